#!/usr/bin/env bash
# Sustained POST /api/messages through msgrelay, beside pgbench running the same INSERT (trigger included) at
# the same concurrency on the same private cluster (durable settings: fsync on). Prints both and the ratio.
#
#   bench/post-vs-pgbench.sh            CONCURRENCY=16 DURATION=20 USERS=200 by default
set -euo pipefail
cd "$(dirname "$0")/.."
concurrency=${CONCURRENCY:-16}
duration=${DURATION:-20}
users=${USERS:-200}
scripts/install-deps.sh
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
pgbin=/usr/lib/postgresql/15/bin

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
"$bin/msgbench" setup --users "$users" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MESSAGE_RATE_LIMIT_PER_MINUTE=0 MESSAGE_RATE_LIMIT_PER_HOUR=0 MESSAGE_RATE_LIMIT_PER_DAY=0 LOG_LEVEL=warning \
    DATABASE_POOL_SIZE=${POOL_SIZE:-$concurrency} "$bin/msgrelay" --port "$port" &
relay_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

cat >"$work/insert.sql" <<SQL
\set n random(1, $users)
INSERT INTO messages (conversation_id, sender_id, content) SELECT conversation_id, user_id, 'benchmark message body' FROM bench_targets WHERE n = :n;
SQL
echo "machine: $(nproc) cores; concurrency $concurrency; $duration s per run; $users users"
(cd "$work" && "$pgbin/pgbench" -n -M prepared -c "$concurrency" -j 2 -T "$duration" -l -f insert.sql "$DATABASE_URL" >pgbench.out 2>&1)
reference=$(python3 - "$work" <<'PY'
import glob, sys, json
lat = sorted(int(line.split()[2]) for f in glob.glob(sys.argv[1] + "/pgbench_log.*") for line in open(f))
tps = float([l for l in open(sys.argv[1] + "/pgbench.out") if l.startswith("tps")][0].split()[2])
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))] / 1000
print(json.dumps({"requests_per_second": tps, "p50_ms": pct(50), "p99_ms": pct(99)}))
PY
)
echo "pgbench INSERT:        $reference"
relay=$("$bin/msgbench" post --port "$port" --concurrency "$concurrency" --duration "$duration" --json)
echo "msgrelay POST (max):   $relay"
half=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['requests_per_second'] / 2)" "$reference")
relay_half=$("$bin/msgbench" post --port "$port" --concurrency "$concurrency" --duration "$duration" --rate "$half" --json)
echo "msgrelay POST at half: $relay_half"
python3 - "$reference" "$relay" "$relay_half" <<'PY'
import json, sys
ref, relay, half = (json.loads(a) for a in sys.argv[1:4])
print(f"ratio msgrelay/pgbench rate: {relay['requests_per_second'] / ref['requests_per_second']:.2f} "
      f"(goal >= 0.8); p99 at half rate ({half['target_rate']:.0f}/s): {half['p99_ms']:.2f} ms (goal < 20 ms)")
PY
