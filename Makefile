# The two commands of the README: `make local` runs the main job on the example platform, `make test`
# runs every check CI runs. Both install what they need first (.ci/setup).

GOBIN := $(shell go env GOPATH)/bin
GO_FILES := $(shell git ls-files '*.go' 2>/dev/null)

.PHONY: setup test check unit fuzz local bench binaries slipway image

IMAGE ?= slipway:dev

setup:
	@.ci/setup

# check: no tracked build outputs, formatting, vet, staticcheck, dead code, workflow and shell lint,
# and the workflow security scan (KICS).
check: setup
	.ci/tracked-files
	@out=$$(gofmt -l $(GO_FILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	$(GOBIN)/staticcheck ./...
	@out=$$($(GOBIN)/deadcode -test ./...); if [ -n "$$out" ]; then echo "deadcode: unreachable functions:"; echo "$$out"; exit 1; fi
	$(GOBIN)/actionlint
	$(GOBIN)/actionlint examples/platform/.github/workflows/*.yml
	.ci/scan-workflows
	shellcheck $(filter-out %.txt,$(wildcard .ci/*)) $(wildcard bench/*.sh examples/*.sh examples/local/*.sh examples/local/*/*.sh)

# unit: every Go test, with the race detector. Most tests wait on the engine, buildkitd or a server
# rather than on a core: -parallel 4 runs twice the tests of a package at once that the default (one
# per core, 2 here) would, and measured 0.74 of the default's time on build-push-images' tests.
unit: setup
	go test -race -count=1 -parallel 4 -timeout 30m ./...

# fuzz: the parsers of what a pull request controls, a few seconds each (their seeds run in unit too).
# Budgets are counts of inputs (about 5 s each here), not durations: with a duration, Go 1.26's fuzz
# coordinator can fail a target with a bare "context deadline exceeded" when its workers are slow to
# stop at the deadline on a loaded machine (go.dev/issue/75804, fixed in Go 1.27), with no input found.
FUZZ := ./internal/compose:FuzzCheckTrust:4000x ./internal/lint:FuzzSanitise:40000x ./internal/pyenv:FuzzCheckRequirement:40000x
fuzz: setup
	@for f in $(FUZZ); do \
	  pkg=$${f%%:*}; rest=$${f#*:}; \
	  go test -run '^$$' -fuzz "^$${rest%%:*}$$" -fuzztime "$${rest#*:}" "$$pkg" || exit 1; \
	done

test: check unit fuzz

# local: the main job on this machine (see README).
local: setup
	@bash examples/local-job.sh

bench: setup
	@bash bench/run.sh

# binaries: what the Dockerfile copies from bin/, static linux binaries for GOARCH (this machine's
# unless given: make binaries GOARCH=arm64). slipway, the one program
# whose subcommands the actions are: inlining is off (-gcflags=all=-l), an I/O-bound program gives up
# little speed for a tenth less size (see CONTRIBUTING.md, "The image"). buildkitd, slipway's own
# builder, from the moby/buildkit module at go.mod's version (.ci/build-buildkitd): inlining kept,
# it compresses and hashes every layer it exports.
# BIN=<dir> builds them there instead (the tests' image: internal/runnertest).
BIN ?= bin
GOARCH ?= $(shell go env GOARCH)
export GOARCH
binaries:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags='-s -w' -gcflags=all=-l -o $(BIN)/slipway ./cmd/slipway
	.ci/build-buildkitd $(BIN)/buildkitd --strip

# slipway: the same program for this machine, the local CLI of every action (bin/slipway <action>).
slipway: binaries

# image: the shipped image from the root Dockerfile for linux/GOARCH (this machine's unless given:
# make image GOARCH=arm64, emulated by QEMU on another machine), tagged $(IMAGE). bin/ holds one
# architecture at a time, the one binaries just built for it; both programs' GOARCH are checked
# before the build, the image's platform after it. Its base (the Dockerfile's BASE, by digest) is pulled
# for that platform, or made from Debian's packages where nothing can be pulled (.ci/debian-image,
# which prints what to build from). DOCKER_BUILD_FLAGS adds to the build (the release: --iidfile,
# labels). SLIPWAY_TEST_IMAGE=$(IMAGE) make test runs the tests in it.
BASE := $(shell sed -n 's/^ARG BASE=//p' Dockerfile)
image: binaries
	@for b in slipway buildkitd; do go version -m $(BIN)/$$b | grep -qx "[[:space:]]*build[[:space:]]*GOARCH=$(GOARCH)" || \
	  { echo "make image: $(BIN)/$$b is not built for $(GOARCH)" >&2; exit 1; }; done
	@base=$$(.ci/debian-image --pull --arch $(GOARCH) $(BASE) trixie) && \
	case " $(DOCKER_BUILD_FLAGS) " in *" --pull "*) [ "$$base" = "$(BASE)" ] || { \
	  echo "make image: --pull asks for the pinned base $(BASE), which could not be pulled" >&2; exit 1; };; esac && \
	echo "docker build --platform linux/$(GOARCH) $(DOCKER_BUILD_FLAGS) --build-arg BASE=$$base -t $(IMAGE) ." && \
	docker build --platform linux/$(GOARCH) $(DOCKER_BUILD_FLAGS) --build-arg BASE=$$base -t $(IMAGE) .
	@platform=$$(docker image inspect --format '{{.Os}}/{{.Architecture}}' $(IMAGE)) && \
	[ "$$platform" = linux/$(GOARCH) ] || { echo "make image: $(IMAGE) is $$platform, not linux/$(GOARCH)" >&2; exit 1; }
	@docker run --rm --platform linux/$(GOARCH) --entrypoint sh $(IMAGE) -c 'ls -l /usr/local/bin/slipway /usr/local/bin/buildkitd' | \
	  awk '{printf "the image'"'"'s binaries: %s (%.1f MB)\n", $$NF, $$5/1e6}'
	@docker image inspect --format '{{.Size}}' $(IMAGE) | awk '{printf "the image: %.1f MB\n", $$1/1e6}'
