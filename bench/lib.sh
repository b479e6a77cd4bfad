# Shared by the benchmark scripts: a private cluster with durable settings, the schema and bench users, a
# release msgrelay with rate limits off, and pgbench on the same INSERT as the reference. Source it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
pgbin=/usr/lib/postgresql/15/bin
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/msgbench.XXXXXX)
chmod 755 "$work"
relay_pid=""
cleanup() {
    [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null || true
    scripts/pg-cluster.sh stop "$work/pg" || true
    rm -rf "$work"
}
trap cleanup EXIT

DATABASE_URL=$(scripts/pg-cluster.sh start "$work/pg")
export DATABASE_URL JWT_SECRET=bench-secret
"$bin/msgctl" db migrate >/dev/null
"$bin/msgbench" setup --users "${USERS:-200}" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MESSAGE_RATE_LIMIT_PER_MINUTE=0 MESSAGE_RATE_LIMIT_PER_HOUR=0 MESSAGE_RATE_LIMIT_PER_DAY=0 LOG_LEVEL=warning \
    DATABASE_POOL_SIZE=${POOL_SIZE:-16} "$bin/msgrelay" --port "$port" &
relay_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

cat >"$work/insert.sql" <<SQL
\set n random(1, ${USERS:-200})
INSERT INTO messages (conversation_id, sender_id, content) SELECT conversation_id, user_id, 'benchmark message body' FROM bench_targets WHERE n = :n;
SQL

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
