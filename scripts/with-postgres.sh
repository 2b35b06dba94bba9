#!/usr/bin/env bash
# Run a command with KEYHOUSE_TEST_POSTGRES_URL pointing at a PostgreSQL server.
# Uses the URL if already set; otherwise starts a throwaway cluster on a free loopback
# port (when PostgreSQL's binaries are installed) and removes it afterwards.
set -euo pipefail

if [ -n "${KEYHOUSE_TEST_POSTGRES_URL:-}" ]; then exec "$@"; fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with-postgres: PostgreSQL is not installed; API tests run on SQLite only" >&2
  exec "$@"
fi

datadir=$(mktemp -d /tmp/keyhouse-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_pg=()
if [ "$(id -u)" = "0" ]; then
  chown postgres "$datadir"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$datadir/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$datadir"
}
trap cleanup EXIT
"${as_pg[@]}" "$bindir/initdb" -D "$datadir/db" -U keyhouse --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$datadir/db" -l "$datadir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $datadir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
"${as_pg[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U keyhouse keyhouse_test
export KEYHOUSE_TEST_POSTGRES_URL="postgresql://keyhouse@127.0.0.1:$port/keyhouse_test"
echo "with-postgres: PostgreSQL $(basename "$(dirname "$bindir")") on 127.0.0.1:$port" >&2
"$@"
