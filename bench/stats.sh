#!/usr/bin/env bash
# msgctl stats at scale: a private cluster (durable settings) loaded with the seeded corpus of bench/search.sh through
# COPY, its 365 days ending now (so the last 30 days hold a twelfth of it), at schema 30; the plain INSERT timed with
# pgbench before and after migration 31 (the cost of the index on creation time on the send path); migration 31 timed
# while the busiest conversation keeps receiving messages; then `msgctl stats --since 30d` beside the same window's
# reference statements through psql, each the median of several runs. Leaves no process behind.
#
#   bench/stats.sh      MESSAGES=10000000 CONVERSATIONS=10000 RUNS=5 (stats and reference runs) DURATION=20 (seconds
#                       per pgbench run) SHARED_BUFFERS=2GB ZONES="UTC Asia/Kolkata" (TZ of the stats runs)
#                       REFERENCE_TIMEOUT=600 (seconds: the reference's statements are cancelled past it, and not run again)
#                       SWIFT_SCRATCH=.build-x builds in that scratch folder instead of .build.
# The full-text search trigger and indexes are left out of the load (stats do not read them; at 10,000,000 messages
# they would triple the loading time).
messages=${MESSAGES:-10000000}
conversations=${CONVERSATIONS:-10000}
runs=${RUNS:-5}
duration=${DURATION:-20}
bench_products=(msgctl msgbench)
source "$(dirname "$0")/lib.sh"

start_cluster "${SHARED_BUFFERS:-2GB}"
export JWT_SECRET=bench-secret
psql=("$pgbin/psql" -X -q -d "$DATABASE_URL")
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'), shared_buffers ${SHARED_BUFFERS:-2GB}"
load() { echo "load average (1, 5, 15 min) $1: $(cut -d' ' -f1-3 /proc/loadavg)"; }

load "before loading"
echo "load: $messages messages in $conversations conversations (COPY, seeded, ending now), schema 30"
"$bin/msgbench" search load --messages "$messages" --conversations "$conversations" --schema 30 --ending-now --without-search

"${psql[@]}" -c "CREATE TABLE bench_targets AS SELECT row_number() OVER (ORDER BY id)::int AS n, id AS conversation_id, user_id FROM conversations"
cat >"$work/insert.sql" <<SQL
\set n random(1, $conversations)
INSERT INTO messages (conversation_id, sender_id, content) SELECT conversation_id, user_id, 'benchmark message body' FROM bench_targets WHERE n = :n;
SQL
sends() {
    "${psql[@]}" -c CHECKPOINT
    for clients in 1 4; do echo "plain INSERT $1, $clients client(s), ${duration} s: $(pgbench_run "$clients")"; done
}
load "before the sends"
sends "before migration 31"

load "before migration 31"
echo "migration 31 (an index on the creation time of $messages messages), one insert into the busiest conversation every 10 ms meanwhile:"
"$bin/msgbench" stats migrate
"${psql[@]}" -c "VACUUM (ANALYZE) messages"
sends "after migration 31"

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# elapsed_ms COMMAND...: its wall time in ms, or "failed" (after the time) when it fails.
elapsed_ms() {
    local start status=0
    start=$(date +%s%N)
    "$@" >/dev/null 2>"$work/elapsed.err" || status=$?
    local ms=$((($(date +%s%N) - start) / 1000000))
    if [ "$status" = 0 ]; then echo "$ms"; else echo "failed after $ms ms: $(head -1 "$work/elapsed.err")"; fi
}
reference_timeout=${REFERENCE_TIMEOUT:-600}
for zone in ${ZONES:-UTC Asia/Kolkata}; do
    load "before the stats runs ($zone)"
    stats=() reference=() reference_failed=""
    for _ in $(seq "$runs"); do
        stats+=("$(elapsed_ms env TZ="$zone" "$bin/msgctl" stats --since 30d --as searchadmin --json)")
        [ -n "$reference_failed" ] && continue
        until_at=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
        since_at=$(date -u -d "$until_at - 30 days" +%Y-%m-%dT%H:%M:%S.%6NZ)
        "$bin/msgbench" stats reference --since "$since_at" --until "$until_at" --timezone "$zone" >"$work/reference.sql"
        r=$(PGOPTIONS="-c statement_timeout=${reference_timeout}s" elapsed_ms "${psql[@]}" -v ON_ERROR_STOP=1 -f "$work/reference.sql")
        case "$r" in failed*) reference_failed="$r" ;; *) reference+=("$r") ;; esac
    done
    s=$(printf '%s\n' "${stats[@]}" | median)
    if [ -n "$reference_failed" ]; then
        echo "TZ=$zone msgctl stats --since 30d: median ${s} ms (runs: ${stats[*]}); reference through psql: $reference_failed (statement_timeout ${reference_timeout} s)"
    else
        r=$(printf '%s\n' "${reference[@]}" | median)
        echo "TZ=$zone msgctl stats --since 30d: median ${s} ms (runs: ${stats[*]}); reference through psql: median ${r} ms (runs: ${reference[*]}); ratio $(awk -v s="$s" -v r="$r" 'BEGIN { printf "%.1f", r / s }')x"
    fi
    load "after the stats runs ($zone)"
done
echo "figures (msgctl stats --since 30d, TZ=UTC):"
TZ=UTC "$bin/msgctl" stats --since 30d --as searchadmin
