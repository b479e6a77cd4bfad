#!/usr/bin/env bash
# Real-time benchmarks, each beside its reference measured in the same run on the same private cluster
# (durable settings): delivery latency user -> admin socket at 100 msg/s and at the maximum sustained rate
# (reference: commit latency of the same INSERT alone); maximum messages/s through sockets (reference:
# pgbench on the same INSERT at the same concurrency); 10,000 idle sockets with heartbeats (RSS and CPU).
#
#   bench/realtime.sh        SENDERS=16 DURATION=20 SOCKETS=10000 IDLE_SECONDS=60 by default
set -euo pipefail
cd "$(dirname "$0")/.."
senders=${SENDERS:-16}
duration=${DURATION:-20}
sockets=${SOCKETS:-10000}
idle_seconds=${IDLE_SECONDS:-60}
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
"$bin/msgbench" setup --users 200 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MESSAGE_RATE_LIMIT_PER_MINUTE=0 MESSAGE_RATE_LIMIT_PER_HOUR=0 MESSAGE_RATE_LIMIT_PER_DAY=0 LOG_LEVEL=warning \
    DATABASE_POOL_SIZE=16 "$bin/msgrelay" --port "$port" &
relay_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

cat >"$work/insert.sql" <<SQL
\set n random(1, 200)
INSERT INTO messages (conversation_id, sender_id, content) SELECT conversation_id, user_id, 'benchmark message body' FROM bench_targets WHERE n = :n;
SQL
pgbench_run() { # clients, extra args...
    local clients=$1
    shift
    rm -f "$work"/pgbench_log.*
    (cd "$work" && "$pgbin/pgbench" -n -M prepared -c "$clients" -j "$([ "$clients" -gt 1 ] && echo 2 || echo 1)" -T "$duration" -l "$@" -f insert.sql "$DATABASE_URL" >pgbench.out 2>&1)
    python3 - "$work" <<'PY'
import glob, sys, json
lat = sorted(int(line.split()[2]) for f in glob.glob(sys.argv[1] + "/pgbench_log.*") for line in open(f))
tps = float([l for l in open(sys.argv[1] + "/pgbench.out") if l.startswith("tps")][0].split()[2])
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))] / 1000
print(json.dumps({"messages_per_second": round(tps, 1), "p50_ms": pct(50), "p99_ms": pct(99), "p999_ms": pct(99.9)}))
PY
}
echo "machine: $(nproc) cores; $senders senders; $duration s per run"
echo "reference INSERT at 100/s, 1 client:  $(pgbench_run 1 -R 100)"
echo "sockets at 100 msg/s:                 $("$bin/msgbench" ws-latency --port "$port" --senders "$senders" --duration "$duration" --rate 100 --json)"
echo "reference INSERT max, $senders clients:   $(pgbench_run "$senders")"
echo "sockets at maximum (closed loop):     $("$bin/msgbench" ws-latency --port "$port" --senders "$senders" --duration "$duration" --json)"
echo "idle sockets:                         $("$bin/msgbench" ws-idle --port "$port" --relay-pid "$relay_pid" --sockets "$sockets" --duration "$idle_seconds" --json)"
