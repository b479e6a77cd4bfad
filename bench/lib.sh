# Shared by the benchmark scripts. Source it: it builds in release mode (every product, or the ones a script
# lists in `bench_products` before sourcing; SWIFT_SCRATCH=.build-x builds in that scratch folder instead of .build),
# sets `bin` and `pgbin`, makes a temporary folder `work`, and on exit stops the relay and the cluster it started
# and removes the folder. The functions below start what a script needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Package.swift declares msgbench only when this is set.
export MSG_BENCHMARKS=1
scripts/install-deps.sh
scratch=()
[ -n "${SWIFT_SCRATCH:-}" ] && scratch=(--scratch-path "$SWIFT_SCRATCH")
if [ -n "${bench_products+x}" ]; then
    for product in "${bench_products[@]}"; do swift build -c release "${scratch[@]}" --product "$product" >/dev/null; done
else
    swift build -c release "${scratch[@]}" >/dev/null
fi
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
pgbin=/usr/lib/postgresql/15/bin
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/msgbench.XXXXXX)
chmod 755 "$work"
relay_pid=""
cleanup() {
    [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null || true
    scripts/pg-cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# start_cluster [SHARED_BUFFERS]: a private cluster with durable settings in $work/pg, its URL exported as
# DATABASE_URL; with shared_buffers set to SHARED_BUFFERS when given (a restart).
start_cluster() {
    DATABASE_URL=$(scripts/pg-cluster.sh start "$work/pg")
    export DATABASE_URL
    if [ -n "${1:-}" ]; then
        "$pgbin/psql" -X -q -d "$DATABASE_URL" -c "ALTER SYSTEM SET shared_buffers = '$1'"
        scripts/pg-cluster.sh restart "$work/pg" >/dev/null
    fi
}

# postgres_pid: the postmaster's process id.
postgres_pid() { head -1 "$work/pg/data/postmaster.pid"; }

# start_relay [NAME=VALUE ...] [COMMAND PREFIX ...]: the release msgrelay on a free port of 127.0.0.1 (LOG_LEVEL=warning,
# DATABASE_POOL_SIZE=$POOL_SIZE or 16) with these settings added, run through the prefix when one is given (e.g.
# nice -n -10); sets `port` and `relay_pid` and returns once it answers /healthz.
start_relay() {
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    env LOG_LEVEL=warning DATABASE_POOL_SIZE="${POOL_SIZE:-16}" "$@" "$bin/msgrelay" --port "$port" &
    relay_pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "msgrelay did not start" >&2; exit 1; }
}

# stop_relay: stops the relay start_relay started.
stop_relay() {
    kill "$relay_pid" && wait "$relay_pid" 2>/dev/null || true
    relay_pid=""
}

# start_message_bench: what the REST and WebSocket benchmarks share: a cluster with the schema and $USERS bench
# users (200) each with a conversation, a relay with rate limits off, and pgbench's script of the same INSERT.
start_message_bench() {
    start_cluster
    export JWT_SECRET=bench-secret
    "$bin/msgctl" db migrate >/dev/null
    "$bin/msgbench" setup --users "${USERS:-200}" >/dev/null
    start_relay MESSAGE_RATE_LIMIT_PER_MINUTE=0 MESSAGE_RATE_LIMIT_PER_HOUR=0 MESSAGE_RATE_LIMIT_PER_DAY=0
    cat >"$work/insert.sql" <<SQL
\set n random(1, ${USERS:-200})
INSERT INTO messages (conversation_id, sender_id, content) SELECT conversation_id, user_id, 'benchmark message body' FROM bench_targets WHERE n = :n;
SQL
}

# pgbench_run CLIENTS [pgbench options...]: the reference INSERT for $duration seconds; prints rate and latency as JSON.
pgbench_run() {
    local clients=$1
    shift
    rm -f "$work"/pgbench_log.*
    (cd "$work" && "$pgbin/pgbench" -n -M prepared -c "$clients" -j "$([ "$clients" -gt 1 ] && echo 2 || echo 1)" -T "$duration" -l "$@" \
        -f insert.sql "$DATABASE_URL" >pgbench.out 2>&1)
    python3 - "$work" <<'PY'
import glob, sys, json
lat = sorted(int(line.split()[2]) for f in glob.glob(sys.argv[1] + "/pgbench_log.*") for line in open(f))
tps = float([l for l in open(sys.argv[1] + "/pgbench.out") if l.startswith("tps")][0].split()[2])
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))] / 1000
print(json.dumps({"requests_per_second": round(tps, 1), "p50_ms": pct(50), "p99_ms": pct(99), "p999_ms": pct(99.9)}))
PY
}
