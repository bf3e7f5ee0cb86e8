# Sourced by the .ci scripts that start servers: a scratch directory ($work),
# the repository root ($root), and the background processes they add to
# pids, all stopped and removed when the script exits, however it exits.
root=$PWD
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
