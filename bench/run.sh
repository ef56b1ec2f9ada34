#!/usr/bin/env bash
# slipway benchmarks: each prints ratios measured side by side in one run (see the issue notes for
# the figures measured on the 2-core CI machine).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
CGO_ENABLED=0 go build -o "$bin/lint-python" ./actions/lint-python
go run ./bench/lint --bin "$bin/lint-python" "$@"
