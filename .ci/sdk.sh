#!/usr/bin/env bash
# The official SDKs against the gateway's compatible APIs: the openai and
# @anthropic-ai/sdk npm packages (and Claude Code's CLI), pinned by
# test/sdk/package-lock.json, against the gateway built here with its
# Bedrock simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

echo "== sdk: build the gateway"
# With the Dockerfile's flags, so that this build and the others share
# Go's build cache.
CGO_ENABLED=0 go build -trimpath -o "$root/bin/llm-gateway" ./cmd/llm-gateway

echo "== sdk: npm ci"
cd "$root/test/sdk"
# npm keeps its download cache in ~/.npm, so a second run needs no network.
npm ci --no-audit --no-fund --prefer-offline

echo "== sdk: npm test"
LLM_GATEWAY_BIN="$root/bin/llm-gateway" npm test
