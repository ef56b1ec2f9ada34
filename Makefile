# The two commands of the README: `make local` runs the main job on the example platform, `make test`
# runs every check CI runs. Both install what they need first (.ci/setup).

GOBIN := $(shell go env GOPATH)/bin
GO_FILES := $(shell git ls-files '*.go' 2>/dev/null)

.PHONY: setup test check unit local bench

setup:
	@.ci/setup

# check: no tracked build outputs, formatting, vet, staticcheck, dead code, workflow and shell lint.
check: setup
	.ci/tracked-files
	@out=$$(gofmt -l $(GO_FILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	$(GOBIN)/staticcheck ./...
	@out=$$($(GOBIN)/deadcode -test ./...); if [ -n "$$out" ]; then echo "deadcode: unreachable functions:"; echo "$$out"; exit 1; fi
	$(GOBIN)/actionlint
	$(GOBIN)/actionlint examples/platform/.github/workflows/*.yml
	shellcheck entrypoint.sh .ci/setup .ci/run .ci/tracked-files $(wildcard bench/*.sh examples/*.sh examples/local/*.sh examples/local/*/*.sh)

# unit: every Go test, with the race detector.
unit: setup
	go test -race -count=1 -timeout 30m ./...

test: check unit

# local: the main job on this machine (see README).
local: setup
	@bash examples/local-job.sh

bench: setup
	@bash bench/run.sh
