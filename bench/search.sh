#!/usr/bin/env bash
# Search at scale (issue 8): a private cluster (durable settings) loaded with a seeded corpus through COPY, a
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
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
messages=${MESSAGES:-1000000}
conversations=${CONVERSATIONS:-1000}
scratch=()
[ -n "${SWIFT_SCRATCH:-}" ] && scratch=(--scratch-path "$SWIFT_SCRATCH")
swift build -c release "${scratch[@]}" >/dev/null
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
pgbin=/usr/lib/postgresql/15/bin

work=$(mktemp -d /tmp/msgbench-search.XXXXXX)
chmod 755 "$work"
relay_pid=""
cleanup() {
    [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null || true
    scripts/pg-cluster.sh stop "$work/pg" || true
    rm -rf "$work"
}
trap cleanup EXIT

DATABASE_URL=$(scripts/pg-cluster.sh start "$work/pg")
# PostgreSQL's default of 128 MB cannot hold the 1,000,000 messages (about 650 MB with their indexes).
"$pgbin/psql" -X -q -d "$DATABASE_URL" -c "ALTER SYSTEM SET shared_buffers = '${SHARED_BUFFERS:-1GB}'"
scripts/pg-cluster.sh restart "$work/pg" >/dev/null
nice=()
if [ -n "${NICE:-}" ]; then
    # New backends inherit the postmaster's niceness.
    renice -n "$NICE" -p "$(head -1 "$work/pg/data/postmaster.pid")" >/dev/null
    nice=(nice -n "$NICE")
fi
export DATABASE_URL JWT_SECRET=bench-secret
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'), shared_buffers ${SHARED_BUFFERS:-1GB}${NICE:+, niceness $NICE}"
load() { echo "load average (1, 5, 15 min) $1: $(cut -d' ' -f1-3 /proc/loadavg)"; }

echo "load: $messages messages in $conversations conversations (COPY, seeded)"
"${nice[@]}" "$bin/msgbench" search load --messages "$messages" --conversations "$conversations"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG_LEVEL=warning DATABASE_POOL_SIZE=${POOL_SIZE:-16} "${nice[@]}" "$bin/msgrelay" --port "$port" &
relay_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

load "before the searches"
"${nice[@]}" "$bin/msgbench" search run --port "$port" --conversations "$conversations" --requests "${REQUESTS:-100}" \
    --reference-requests "${REFERENCE:-20}" --concurrency "${CONCURRENCY:-1}"
load "after the searches"
if [ "${EXPLAIN:-0}" = 1 ]; then "${nice[@]}" "$bin/msgbench" search explain; fi

if [ "${MIGRATION:-0}" = 1 ]; then
    kill "$relay_pid" && wait "$relay_pid" 2>/dev/null || true
    relay_pid=""
    for variant in migration generated; do
        "$pgbin/psql" -X -q -d "$DATABASE_URL" -c "CREATE DATABASE search_$variant"
        url="$DATABASE_URL dbname=search_$variant"
        "${nice[@]}" "$bin/msgbench" search load --database-url "$url" --messages "$messages" --conversations "$conversations" --schema 11 >/dev/null
        echo "migration 12 on $messages messages, variant $variant, one insert every 10 ms meanwhile:"
        "${nice[@]}" "$bin/msgbench" search migrate --database-url "$url" --variant "$variant"
        "$pgbin/psql" -X -q -d "$DATABASE_URL" -c "DROP DATABASE search_$variant"
    done
fi
