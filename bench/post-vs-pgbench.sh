#!/usr/bin/env bash
# Sustained POST /api/messages through msgrelay, beside pgbench running the same INSERT (trigger included) at
# the same concurrency on the same private cluster (durable settings: fsync on). Prints both and the ratio.
#
#   bench/post-vs-pgbench.sh            CONCURRENCY=16 DURATION=20 USERS=200 by default
concurrency=${CONCURRENCY:-16}
duration=${DURATION:-20}
source "$(dirname "$0")/lib.sh"
start_message_bench

echo "machine: $(nproc) cores; concurrency $concurrency; $duration s per run; ${USERS:-200} users"
reference=$(pgbench_run "$concurrency")
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
