#!/usr/bin/env bash
# golangci-lint, pinned, with the errcheck, errorlint and gosec passes that
# .golangci.yml enables: the version is fetched through the Go module proxy
# and built like any module (the first run builds it, a few minutes; later
# runs reuse the build cache). Findings kept on purpose carry
# //nolint:LINTER // why on their line.
#
# .ci/run calls it after staticcheck: about 30 s with a warm build cache, a
# few minutes the first time (the build).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== golangci-lint (errcheck, errorlint, gosec)"
go run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0 run ./...
