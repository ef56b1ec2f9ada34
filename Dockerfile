# syntax=docker/dockerfile:1
# One image for the five slipway actions: their static binaries, the Python linters lint-python runs,
# and git (lint-python's only-changed mode). Each actions/<name>/action.yml runs it with its own
# entrypoint; the root action.yml runs /usr/local/bin/slipway, which picks one by the "command" input.

ARG GO_VERSION=1.26
ARG PYTHON_VERSION=3.12
# The binaries, in the order the tests check them against actions/.
ARG ACTIONS="lint-python run-e2e build-push-images ecs-deploy flag-rollout"

FROM golang:${GO_VERSION}-bookworm AS build
ARG ACTIONS
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ENV CGO_ENABLED=0
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    set -e; for a in $ACTIONS; do \
      go build -trimpath -ldflags="-s -w" -o "/out/$a" "./actions/$a"; \
    done

# binaries: the five entrypoints alone, FROM scratch (what the image test builds without a base image).
FROM scratch AS binaries
COPY --from=build /out/ /usr/local/bin/

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/*
COPY actions/lint-python/requirements.txt /tmp/lint-requirements.txt
RUN pip install --no-cache-dir -r /tmp/lint-requirements.txt && rm /tmp/lint-requirements.txt
COPY --from=build /out/ /usr/local/bin/
COPY entrypoint.sh /usr/local/bin/slipway
LABEL org.opencontainers.image.source="https://github.com/slipway-actions/slipway" \
      org.opencontainers.image.title="slipway" \
      org.opencontainers.image.description="GitHub Actions from pull request to production for Python platforms" \
      org.opencontainers.image.licenses="Apache-2.0"
ENTRYPOINT ["/usr/local/bin/slipway"]
