#!/usr/bin/env bash
# staticcheck, pinned: the version is fetched through the Go module proxy
# and cached like any module. Findings kept on purpose carry a
# //lint:ignore CHECK reason on the line before them.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
