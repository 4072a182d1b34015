#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the test suite and print its URL.
#
#   eval "$(bash scripts/pg-test-server.sh start)"   # exports ROSTERGUI_TEST_PG_URL
#   bash scripts/pg-test-server.sh stop
#
# The server runs as the postgres user (PostgreSQL refuses root) in a temporary directory,
# listens only on localhost, trusts local connections and is deleted on stop.
set -euo pipefail
port="${ROSTERGUI_TEST_PG_PORT:-5433}"
state=/tmp/rostersync-pg-test-$port  # one per port: two runs side by side do not meet
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

case "${1:-start}" in
  start)
    if [ -z "$bin" ]; then
      echo "echo 'PostgreSQL server binaries not found; PostgreSQL tests are skipped' >&2"
      exit 0
    fi
    run_as=()
    if [ "$(id -u)" -eq 0 ]; then run_as=(runuser -u postgres --); fi
    if [ -f "$state/data/postmaster.pid" ]; then
      "${run_as[@]}" "$bin/pg_ctl" -D "$state/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$state"
    mkdir -p "$state/sock"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$state"
    "${run_as[@]}" "$bin/initdb" -D "$state/data" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$state/initdb.log" 2>&1
    "${run_as[@]}" "$bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w \
      -o "-p $port -k $state/sock -c listen_addresses=localhost -c fsync=off" start >/dev/null
    echo "export ROSTERGUI_TEST_PG_URL=postgresql+psycopg://postgres@localhost:$port/postgres"
    ;;
  stop)
    if [ -n "$bin" ] && [ -f "$state/data/postmaster.pid" ]; then
      run_as=()
      if [ "$(id -u)" -eq 0 ]; then run_as=(runuser -u postgres --); fi
      "${run_as[@]}" "$bin/pg_ctl" -D "$state/data" -m fast stop >/dev/null || true
    fi
    rm -rf "$state"
    ;;
esac
