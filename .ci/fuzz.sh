#!/usr/bin/env bash
# Fuzz targets over raw input, each for a bounded time (FUZZTIME, default
# 20s). Their corpora are checked in under testdata/fuzz and run as plain
# tests by `go test` too. For a longer run by hand:
#   FUZZTIME=10m bash .ci/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-20s}"
targets=(
  "FuzzLine ./internal/stdio"                 # whole JSON-RPC lines on stdio
  "FuzzHTTPBody ./internal/httpserver"        # whole POST /mcp bodies
  "FuzzDecodeCall ./internal/httpserver"      # bodies the HTTP lane reads as the SDK does
  "FuzzGenerateArguments ./internal/mcpserver" # generate arguments through decoding and validation: an answer or a clear error
  # The hand-written fast paths against the general code they stand in for:
  "FuzzEnvelopeScan ./internal/stdio"         # a stdio line's envelope: scanner = json.Unmarshal
  "FuzzGenerateArgsScan ./internal/mcpserver" # generate's arguments: scanner = decodeArgs
  "FuzzAppendResponse ./internal/mcpserver"   # generate's result: by hand = json.Marshal
  "FuzzLeanBody ./internal/bedrock"           # the Converse request: by hand = the SDK's serializer
  "FuzzRequest ./internal/openaiapi"          # OpenAI request bodies (fast decoder = encoding/json)
  "FuzzRequest ./internal/anthropicapi"       # Anthropic request bodies (fast decoder = encoding/json)
)
# Go 1.26's fuzz coordinator can fail a clean run with a bare "context
# deadline exceeded" as -fuzztime ends, on a loaded machine
# (go.dev/issue/75804, fixed in Go 1.27). Such a run is tried once more; a
# run that wrote a failing input, or failed any other way, fails the step.
fuzz_once() {
  local name=$1 pkg=$2 out
  out=$(mktemp)
  if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 2 "$pkg" 2>&1 | tee "$out"; then
    rm -f "$out"; return 0
  fi
  if grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out"; then
    rm -f "$out"; return 75
  fi
  rm -f "$out"; return 1
}
for t in "${targets[@]}"; do
  read -r name pkg <<<"$t"
  echo "== fuzz $name ($pkg, $fuzztime)"
  rc=0; fuzz_once "$name" "$pkg" || rc=$?
  if [ "$rc" -eq 75 ]; then
    echo "== fuzz $name: the coordinator's deadline race (go.dev/issue/75804), no failing input: once more"
    fuzz_once "$name" "$pkg"
  elif [ "$rc" -ne 0 ]; then
    exit "$rc"
  fi
done
