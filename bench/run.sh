#!/usr/bin/env bash
# slipway benchmarks: each prints its figures, and ratios measured side by side in one run (see the
# issue notes for the figures measured on the 2-core CI machine).
#   bench/run.sh            all of them
#   bench/run.sh rollout    one of them (lint, rollout, ecs, e2e, push, build)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
[ $# -gt 0 ] && shift
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
if [ "$which" = all ] || [ "$which" = lint ]; then
	make -s binaries BIN="$bin" >/dev/null # the program as the image ships it
	go run ./bench/lint --bin "$bin/slipway" "$@"
fi
if [ "$which" = all ] || [ "$which" = rollout ]; then
	go run ./bench/rollout
fi
if [ "$which" = all ] || [ "$which" = ecs ]; then
	go run ./bench/ecs
fi
if [ "$which" = all ] || [ "$which" = e2e ]; then
	go run ./bench/e2e
fi
if [ "$which" = all ] || [ "$which" = push ]; then
	go run ./bench/push "$@"
fi
if [ "$which" = all ] || [ "$which" = build ]; then
	go run ./bench/build "$@"
fi
