#!/usr/bin/env bash
# The LangGraph examples against a real gateway. JavaScript: npm ci, then the
# npm test, which runs all six examples against the gateway built here (with
# its Bedrock simulator) over stdio and over HTTP with an API key. Python:
# compiled only, as no Python package registry is reachable here.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

echo "== langgraph: build the gateway"
# With the Dockerfile's flags, so that this build and .ci/container.sh's
# share Go's build cache.
CGO_ENABLED=0 go build -trimpath -o "$root/bin/llm-gateway" ./cmd/llm-gateway

echo "== langgraph-js: npm ci"
cd "$root/examples/langgraph-js"
# npm keeps its download cache in ~/.npm, so a second run needs no network.
npm ci --no-audit --no-fund --prefer-offline

echo "== langgraph-js: npm test"
LLM_GATEWAY_BIN="$root/bin/llm-gateway" npm test

echo "== langgraph-python: py_compile (not run: no Python registry here)"
cd "$root/examples/langgraph-python"
export PYTHONPYCACHEPREFIX="$(mktemp -d)" # no __pycache__ in the tree
mapfile -t py < <(find . -name '*.py' -not -path './.venv/*' | sort)
if [ "${#py[@]}" -eq 0 ]; then echo "no Python files found"; exit 1; fi
python3 -m py_compile "${py[@]}"
echo "compiled ${#py[@]} Python files"
