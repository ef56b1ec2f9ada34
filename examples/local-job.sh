#!/usr/bin/env bash
# The main job of the README, run on this machine with the actions' own binaries as local CLIs:
# the example platform linted and unit-tested; E2E of the example platform and the push to a local
# registry come with issues #9 and #6, and this script says so rather than pretend.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
start=$SECONDS

echo "== build the action binaries"
for a in lint-python run-e2e build-push-images; do
  CGO_ENABLED=0 go build -o "$bin/$a" "./actions/$a"
done

echo "== lint-python on examples/platform/api (linters detected from its config)"
"$bin/lint-python" --working-directory examples/platform/api --sarif-file "$bin/lint.sarif"

echo "== unit tests of examples/platform/api"
(cd examples/platform/api && python3 -m unittest discover -v -s tests -t . 2>&1)

echo "== not run yet: run-e2e on the example platform - the action works (its tests run a FROM scratch"
echo "   platform on this engine), but the example's images need a Python base image this machine cannot pull: issue #9"
echo "== not run yet: build-push-images (to a local registry) - the action's engine is not built: issue #6"
echo "== local job: lint and unit tests passed in $((SECONDS - start))s"
