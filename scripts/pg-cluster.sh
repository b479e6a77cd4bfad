#!/usr/bin/env bash
# A private PostgreSQL cluster in a folder of its own, never the system one.
#
#   pg-cluster.sh start DIR [--fast]   initialise DIR (if new) and start; prints a libpq conninfo on stdout
#   pg-cluster.sh stop DIR             stop (fast shutdown)
#   pg-cluster.sh restart DIR          stop and start again on the same port
#   pg-cluster.sh conninfo DIR         print the conninfo of a started cluster
#   pg-cluster.sh standby DIR PRIMARY  a synchronous streaming standby in DIR of the started cluster in PRIMARY
#                                      (pg_basebackup; the primary then waits for it at every commit); started
#   pg-cluster.sh crash DIR            stop at once, as a crash would (immediate shutdown)
#   pg-cluster.sh promote DIR          promote a standby to a primary and wait until it takes writes
#
# As root the server runs as the `postgres` OS user (initdb refuses root). It listens on 127.0.0.1 at a
# free port (kept in DIR/port) and on a Unix socket in DIR. --fast turns fsync off: tests only. With PG_FAKETIME
# (a libfaketime offset such as +120), `start` runs the server with its clock that far from this host's.
set -euo pipefail
cmd=${1:?usage: pg-cluster.sh start|stop|restart|conninfo DIR}
dir=${2:?usage: pg-cluster.sh start|stop|restart|conninfo DIR}
fast=${3:-}
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
faketime=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then (cd "$dir" && runuser -u postgres -- "$@"); else (cd "$dir" && "$@"); fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

conninfo() {
    echo "host=127.0.0.1 port=$(cat "$dir/port") user=postgres dbname=postgres"
}

start() {
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if [ "$fast" = "--fast" ]; then echo "--fast" >"$dir/fast"; fi
    local extra=""
    # The test suite runs many relays at once (each: a pool, a listener, an outbox worker).
    [ -f "$dir/fast" ] && extra="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=600"
    local attempt
    for attempt in 1 2 3; do
        [ -f "$dir/port" ] || free_port >"$dir/port"
        if as_owner ${PG_FAKETIME:+env LD_PRELOAD=$faketime FAKETIME=$PG_FAKETIME FAKETIME_ONLY_CMDS=postgres} "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $(cat "$dir/port") -k $dir -c max_connections=200 $extra" start >/dev/null; then
            conninfo
            return 0
        fi
        rm -f "$dir/port" # the port may have been taken meanwhile: pick another
    done
    tail -20 "$dir/server.log" >&2
    exit 1
}

stop() {
    [ -f "$dir/data/postmaster.pid" ] || return 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

# standby (DIR PRIMARY): copy the primary with pg_basebackup into $dir/data as a streaming standby named after
# this folder, start it, and make the primary wait for it at every commit (synchronous_standby_names).
standby() {
    local primary
    primary=$(cd "$fast" && pwd)
    local name
    name="standby_$(basename "$dir" | tr -c 'a-zA-Z0-9_\n' '_')"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_owner "$bin/pg_basebackup" -D "$dir/data" -R -X stream -c fast \
        -d "host=127.0.0.1 port=$(cat "$primary/port") user=postgres application_name=$name" >"$dir/basebackup.log" 2>&1 ||
        { cat "$dir/basebackup.log" >&2; exit 1; }
    fast=""
    start >/dev/null
    "$bin/psql" -X -q -h 127.0.0.1 -p "$(cat "$primary/port")" -U postgres -d postgres \
        -c "ALTER SYSTEM SET synchronous_standby_names = '$name'" -c "SELECT pg_reload_conf()" >/dev/null
    local attempt
    for attempt in $(seq 100); do
        [ "$("$bin/psql" -X -At -h 127.0.0.1 -p "$(cat "$primary/port")" -U postgres -d postgres \
            -c "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$name' AND sync_state = 'sync'")" = 1 ] && {
            conninfo
            return 0
        }
        sleep 0.1
    done
    echo "the standby did not become synchronous" >&2
    exit 1
}

case "$cmd" in
start) start ;;
standby) standby ;;
crash)
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null
    ;;
promote) as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 promote >/dev/null ;;
stop) stop ;;
restart)
    stop
    start
    ;;
conninfo) conninfo ;;
*) echo "usage: pg-cluster.sh start|stop|restart|conninfo|standby|crash|promote ..." >&2; exit 2 ;;
esac
