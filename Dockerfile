# One image for the five slipway actions: one static program, slipway, whose subcommands they are, and
# the Python, git and linters that lint-python runs, all from Debian's own packages; and slipway's own
# builder, buildkitd (static, from the moby/buildkit module go.mod pins) with Debian's runc, which
# build-push-images runs in a privileged container of this same image beside the action's (see
# internal/images/sibling.go). Each
# actions/<name>/action.yml runs /usr/local/bin/slipway with args [<name>]; the root action.yml runs it
# without arguments and it picks the action by the "command" input.
#
# The programs are built before the image, static, into bin/ of the build context:
#   make image            (or: make binaries && docker build -t slipway .)
# Nothing here needs BuildKit or a registry besides the base's. The base is pinned by digest (Docker's
# official multi-platform index of debian:trixie-slim): a moved tag never changes what a release is
# built on. On a machine that can pull nothing, .ci/debian-image makes debian:trixie-slim from
# Debian's packages and the build is given BASE=debian:trixie-slim (make image, runnertest).
#
# The workflow security scan (.ci/scan-workflows, KICS) reads this file too. What it may not ask here:
# a USER (the runner starts a container action as root, beside its Docker socket, and its contract
# says not to set one; what the pull request controls runs as internal/sandbox's user), a HEALTHCHECK
# (an action runs once and exits), Debian package versions pinned (Debian's signed archive is the
# source, and a pin would hold back its security updates).
# kics-scan disable=fd54f200-402c-4333-a5a4-36ef6709af2f,b03a748a-542d-44f4-bb86-9199ab4fd2d5,965a08d7-ef86-4f14-8792-4a3b2098937e
ARG BASE=debian:trixie-slim@sha256:a29215f6a35e51e22adffa17f89e9d2ef06214e64a2bad10d765c46aea49f11f

FROM ${BASE}
ARG DEBIAN_FRONTEND=noninteractive
# python3-venv and python3-pip: lint-python installs a project's own linters into a virtualenv.
# runc: buildkitd's OCI worker runs each RUN step of a build with it; isal: its igzip, which buildkitd
# decompresses the layers it extracts with, about three times faster than Go's gzip (bench/build).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates git python3 python3-venv python3-pip flake8 black isort pylint mypy runc isal \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
# The sandbox user (internal/sandbox): gate commands, linters and pip run as it, never as the root the
# runner starts a container action as, beside its Docker socket. The code uses the numbers and needs no
# entry here; this one names them in ps and ls.
RUN groupadd --system --gid 65532 slipway-sandbox \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin slipway-sandbox
LABEL org.opencontainers.image.source="https://github.com/slipway-actions/slipway" \
      org.opencontainers.image.title="slipway" \
      org.opencontainers.image.description="GitHub Actions from pull request to production for Python platforms" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY bin/buildkitd /usr/local/bin/buildkitd
COPY bin/slipway /usr/local/bin/slipway
ENTRYPOINT ["/usr/local/bin/slipway"]
