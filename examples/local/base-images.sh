#!/usr/bin/env bash
# Makes the local job's base images on a machine that can pull none: a Debian bookworm root
# filesystem from Debian's own packages (.ci/debian-image: debootstrap), with Python, psycopg2,
# pytest and PostgreSQL, imported into the engine; and a postgres stand-in built on it. Made once;
# later runs reuse them.
#   examples/local/base-images.sh   prints the two image names
set -euo pipefail
cd "$(dirname "$0")"
base=slipway-local/debian-python:bookworm
pg=slipway-local/postgres:15
../../.ci/debian-image "$base" bookworm python3,python3-psycopg2,python3-pytest,postgresql >/dev/null
if ! docker image inspect "$pg" >/dev/null 2>&1; then
  docker build -q --build-arg BASE_IMAGE="$base" -t "$pg" postgres >/dev/null
fi
echo "$base $pg"
