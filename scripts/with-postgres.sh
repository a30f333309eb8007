#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL server: initdb in a temporary
# directory, listen on a free loopback port, export DATABASE_URL, run the
# command, and always stop the server and remove the directory afterwards.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

datadir=$(mktemp -d /tmp/nsatu-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# PostgreSQL refuses to run as root: run the server as the postgres user.
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$datadir"
  as_pg=(runuser -u postgres --)
fi

stop() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$datadir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$datadir"
}
trap stop EXIT INT TERM

"${as_pg[@]}" "$bindir/initdb" -D "$datadir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w \
  -o "-p $port -k $datadir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "PostgreSQL on 127.0.0.1:$port (temporary, $datadir)"
"$@"
