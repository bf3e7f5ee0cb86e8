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
  "FuzzGenerateArguments ./internal/mcpserver" # decoded generate arguments
)
for t in "${targets[@]}"; do
  read -r name pkg <<<"$t"
  echo "== fuzz $name ($pkg, $fuzztime)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 2 "$pkg"
done
