#!/usr/bin/env bash
# Search at scale: a private cluster (durable settings) loaded with a seeded corpus through COPY, a
# release msgrelay, then GET /api/messages/search per query class beside the straightforward query through psql.
# Leaves no process behind.
#
#   bench/search.sh      MESSAGES=1000000 CONVERSATIONS=1000 REQUESTS=100 (per class, 12 classes) REFERENCE=20
#                        (psql reference queries per class) CONCURRENCY=1 SHARED_BUFFERS=1GB
#                        MIGRATION=1 also times migration 12 on a second copy of the corpus loaded at schema 11
#                        (and the stored generated column it decided against, on a third), inserting meanwhile.
#                        NICE=-10 runs PostgreSQL, msgrelay and msgbench at that niceness, so that other work on a
#                        shared machine yields the CPU to both the relay and the reference alike (root only).
#                        EXPLAIN=1 prints EXPLAIN (ANALYZE, BUFFERS) of the search statement for each query class.
#                        SWIFT_SCRATCH=.build-x builds in that scratch folder instead of .build.
messages=${MESSAGES:-1000000}
conversations=${CONVERSATIONS:-1000}
source "$(dirname "$0")/lib.sh"

# PostgreSQL's default of 128 MB cannot hold the 1,000,000 messages (about 650 MB with their indexes).
start_cluster "${SHARED_BUFFERS:-1GB}"
nice=()
if [ -n "${NICE:-}" ]; then
    # New backends inherit the postmaster's niceness.
    renice -n "$NICE" -p "$(postgres_pid)" >/dev/null
    nice=(nice -n "$NICE")
fi
export JWT_SECRET=bench-secret
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'), shared_buffers ${SHARED_BUFFERS:-1GB}${NICE:+, niceness $NICE}"
load() { echo "load average (1, 5, 15 min) $1: $(cut -d' ' -f1-3 /proc/loadavg)"; }

echo "load: $messages messages in $conversations conversations (COPY, seeded)"
"${nice[@]}" "$bin/msgbench" search load --messages "$messages" --conversations "$conversations"

start_relay "${nice[@]}"

load "before the searches"
"${nice[@]}" "$bin/msgbench" search run --port "$port" --conversations "$conversations" --requests "${REQUESTS:-100}" \
    --reference-requests "${REFERENCE:-20}" --concurrency "${CONCURRENCY:-1}"
load "after the searches"
if [ "${EXPLAIN:-0}" = 1 ]; then "${nice[@]}" "$bin/msgbench" search explain; fi

if [ "${MIGRATION:-0}" = 1 ]; then
    stop_relay
    for variant in migration generated; do
        "$pgbin/psql" -X -q -d "$DATABASE_URL" -c "CREATE DATABASE search_$variant"
        url="$DATABASE_URL dbname=search_$variant"
        "${nice[@]}" "$bin/msgbench" search load --database-url "$url" --messages "$messages" --conversations "$conversations" --schema 11 >/dev/null
        echo "migration 12 on $messages messages, variant $variant, one insert every 10 ms meanwhile:"
        "${nice[@]}" "$bin/msgbench" search migrate --database-url "$url" --variant "$variant"
        "$pgbin/psql" -X -q -d "$DATABASE_URL" -c "DROP DATABASE search_$variant"
    done
fi
