#!/usr/bin/env bash
# Makes the local job's base images on a machine that can pull none: a Debian bookworm root
# filesystem from Debian's own packages (debootstrap), with Python, psycopg2, pytest and PostgreSQL,
# imported into the engine; and a postgres stand-in built on it. Made once; later runs reuse them.
#   examples/local/base-images.sh   prints the two image names
set -euo pipefail
cd "$(dirname "$0")"
base=slipway-local/debian-python:bookworm
pg=slipway-local/postgres:15
if ! docker image inspect "$base" >/dev/null 2>&1; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  command -v debootstrap >/dev/null || {
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  rootfs=$(mktemp -d)
  trap '$sudo rm -rf "$rootfs"' EXIT
  echo "debootstrap: Debian bookworm with python3, psycopg2, pytest, postgresql (about a minute)" >&2
  $sudo debootstrap --variant=minbase --include=python3,python3-psycopg2,python3-pytest,postgresql \
    bookworm "$rootfs" http://deb.debian.org/debian >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; exit 1; }
  $sudo rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  $sudo tar -C "$rootfs" -c . | docker import - "$base" >/dev/null
fi
if ! docker image inspect "$pg" >/dev/null 2>&1; then
  docker build -q --build-arg BASE_IMAGE="$base" -t "$pg" postgres >/dev/null
fi
echo "$base $pg"
