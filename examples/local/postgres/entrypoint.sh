#!/bin/sh
# A stand-in for the postgres image's entrypoint, for the local job (no image can be pulled here):
# the first start creates the cluster, POSTGRES_USER with POSTGRES_PASSWORD, and POSTGRES_DB.
set -eu
export PGDATA=/var/lib/postgresql/data
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" /run/postgresql
  chown -R postgres:postgres "$PGDATA" /run/postgresql
  runuser -u postgres -- initdb -D "$PGDATA" -U postgres --auth=trust >/dev/null
  # Set up over the Unix socket only, as the postgres image does: a server on a TCP address here would
  # answer the healthcheck before the real one is up.
  runuser -u postgres -- pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  psql -v ON_ERROR_STOP=1 -h /run/postgresql -U postgres -q \
    -c "CREATE USER \"$POSTGRES_USER\" WITH PASSWORD '$POSTGRES_PASSWORD'" \
    -c "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\""
  runuser -u postgres -- pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
fi
mkdir -p /run/postgresql && chown postgres:postgres /run/postgresql
exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses='*'
