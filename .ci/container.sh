#!/usr/bin/env bash
# The container image, as far as it can be checked without a container
# engine (there is none on these machines): lint the Dockerfile and
# docker-compose.yml with pinned npm linters, build the binary with the
# Dockerfile's own go build line, check that it is static and trimmed, and
# run its healthcheck, as the image's HEALTHCHECK does, against a live
# gateway. Not checked here: docker build itself, the distroless base, the
# compose file under a real engine (see docs/DEPLOYMENT.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

echo "== container: lint Dockerfile, docker-compose.yml and deploy/compose.fleet.yml"
(cd .ci/container-lint && npm ci --no-audit --no-fund --prefer-offline --silent)
lint=$root/.ci/container-lint/node_modules/.bin
"$lint/dockerfile-utils" lint Dockerfile
"$lint/dclint" --color=false docker-compose.yml deploy/compose.fleet.yml # compose schema and best practices
# What the linters do not know: the final image has no shell, so the health
# check must be in exec form, and the user must not be root.
grep -q '^    CMD \["/usr/local/bin/llm-gateway", "healthcheck"\]$' Dockerfile ||
  { echo "Dockerfile: HEALTHCHECK must be CMD [\"/usr/local/bin/llm-gateway\", \"healthcheck\"]"; exit 1; }
grep -q '^USER 65532:65532$' Dockerfile || { echo "Dockerfile: USER must be the distroless nonroot user"; exit 1; }
echo "lint ok"

echo "== container: build the binary with the Dockerfile's go build line"
line=$(grep -E '^RUN CGO_ENABLED=0 .* go build ' Dockerfile) || { echo "Dockerfile: no go build line"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
build=${line#RUN }
build=${build//\/out\//$out/}
echo "$build"
VERSION="ci-$(git rev-parse --short HEAD)" eval "$build"
bin=$out/llm-gateway
settings=$(go version -m "$bin")
for want in 'build	CGO_ENABLED=0' 'build	-trimpath=true' 'build	GOOS=linux'; do
  grep -qF "$want" <<<"$settings" || { echo "binary lacks build setting: $want"; echo "$settings"; exit 1; }
done
"$bin" version

echo "== container: healthcheck against a live gateway"
key=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
log=$out/gateway.log
# As the image runs it (HTTP, keys required, JSON log), but on a free
# loopback port, from an empty directory (no .env), with the simulator.
(cd "$out" && MCP_TRANSPORT=http MCP_ADDR=127.0.0.1:0 LOG_FORMAT=json API_KEYS="ci:$key" \
  exec "$bin" --simulate 2>"$log") &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$out"' EXIT
addr=
for _ in $(seq 1 300); do # up to 30 s for the gateway to listen
  addr=$(grep -o '"msg":"gateway listening".*"url":"http://[^"/]*' "$log" | sed 's|.*"url":"http://||' || true)
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "gateway exited:"; cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "gateway did not report its address:"; cat "$log"; exit 1; }
echo "gateway on $addr"
MCP_ADDR=$addr "$bin" healthcheck
"$bin" call generate --url "http://$addr/mcp" --key "$key" --arg model=nova-lite --prompt "[sim:reply=served]" |
  grep -q '"content": "served"' || { echo "generate over HTTP with the key failed"; cat "$log"; exit 1; }
if "$bin" call get_stats --url "http://$addr/mcp" --key "not-the-key-0123456789" >/dev/null 2>&1; then
  echo "a wrong key was accepted"; exit 1
fi
kill "$pid"
wait "$pid" || true
if MCP_ADDR=$addr "$bin" healthcheck --timeout 2s 2>/dev/null; then
  echo "healthcheck passed with the gateway stopped"; exit 1
fi
echo "container: 6 passed, 0 failed"
