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
for t in "${targets[@]}"; do
  read -r name pkg <<<"$t"
  echo "== fuzz $name ($pkg, $fuzztime)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 2 "$pkg"
done
