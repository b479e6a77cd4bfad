#!/usr/bin/env bash
# Export at scale: a private cluster (durable settings) loaded with the seeded search corpus through COPY
# (`msgbench search load`, 1,000,000 messages), then `msgctl export --format F --output FILE` for each format,
# each run beside psql's `\copy (the same SELECT) to FILE` measured just before it, wall time and maximum RSS from
# /usr/bin/time -v. Also the bare transports (COPY binary vs a cursor fetched in batches) and one incremental run
# (--state) over the whole history. Leaves no process or file behind.
#
#   bench/export.sh      MESSAGES=1000000 CONVERSATIONS=1000 ROUNDS=3 SHARED_BUFFERS=1GB
#                        FORMATS="jsonl csv mbox markdown" (the formats timed) PARTS="state transports" (the rest)
#                        SYNC_REFERENCE=1: psql's file is flushed to disk (`sync FILE`) within its time, as msgctl
#                        flushes its own before publishing it
#                        SWIFT_SCRATCH=.build-x builds in that scratch folder instead of .build.
messages=${MESSAGES:-1000000}
conversations=${CONVERSATIONS:-1000}
rounds=${ROUNDS:-3}
formats=${FORMATS:-jsonl csv mbox markdown}
parts=" ${PARTS-state transports} "
bench_products=(msgctl msgbench)
source "$(dirname "$0")/lib.sh"

# The 1,000,000 messages with their indexes (about 650 MB) fit in 1 GB of shared buffers: both sides read from memory.
start_cluster "${SHARED_BUFFERS:-1GB}"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
    "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'), shared_buffers ${SHARED_BUFFERS:-1GB}; $(swift --version 2>&1 | head -1)"
echo "load: $messages messages in $conversations conversations (msgbench search load: COPY, seed 42)"
"$bin/msgbench" search load --messages "$messages" --conversations "$conversations"

sql=$("$bin/msgbench" export sql)
rows=$("$pgbin/psql" -X -At -d "$DATABASE_URL" -c "SELECT count(*) FROM ($sql) s")
echo "rows exported (deleted ones left out): $rows"
echo "reference: psql -X -q -c \"\\copy ($sql) to FILE\""

# timed NAME COMMAND...: runs it under /usr/bin/time -v (stdout discarded), appends "NAME seconds max_rss_kib" to results.
timed() {
    local name=$1
    shift
    /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null
    local elapsed rss
    elapsed=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
    echo "$name $(python3 -c "import sys; p=sys.argv[1].split(':'); print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))" "$elapsed") $rss" >>"$work/results.txt"
}

# reference NAME: psql's \copy of the statement to $work/reference.txt, timed (flushed to disk too with SYNC_REFERENCE=1).
reference() {
    if [ "${SYNC_REFERENCE:-0}" = 1 ]; then
        timed "$1" sh "$work/reference-sync.sh" "$pgbin/psql" "$sql" "$work/reference.txt"
    else
        timed "$1" "$pgbin/psql" -X -q -d "$DATABASE_URL" -c "\\copy ($sql) to '$work/reference.txt'"
    fi
}
cat >"$work/reference-sync.sh" <<'SH'
"$1" -X -q -d "$DATABASE_URL" -c "\\copy ($2) to '$3'" && sync "$3"
SH

# Warm-up: the first pass brings the table into shared buffers and the page cache.
"$pgbin/psql" -X -q -d "$DATABASE_URL" -c "\\copy ($sql) to '$work/warm.txt'"
rm -f "$work/warm.txt"
: >"$work/results.txt"
for round in $(seq "$rounds"); do
    for format in $formats; do
        reference "psql-$format"
        echo "size psql-$format $(stat -c %s "$work/reference.txt")" >>"$work/sizes.txt"
        rm -f "$work/reference.txt"
        timed "msgctl-$format" "$bin/msgctl" export --format "$format" --output "$work/export.$format"
        echo "size msgctl-$format $(stat -c %s "$work/export.$format")" >>"$work/sizes.txt"
        rm -f "$work/export.$format"
    done
    echo "round $round done" >&2
done

# One incremental run over the whole history (first run of a new state file), and the bare transports.
if [[ $parts == *" state "* ]]; then
    reference "psql-state"
    rm -f "$work/reference.txt"
    timed "msgctl-state" "$bin/msgctl" export --state "$work/export.state" --output "$work/export.state.jsonl"
    echo "size msgctl-state $(stat -c %s "$work/export.state.jsonl")" >>"$work/sizes.txt"
    rm -f "$work/export.state.jsonl"
fi
if [[ $parts == *" transports "* ]]; then
    echo "transport, COPY binary: $("$bin/msgbench" export transport --method copy)"
    echo "transport, cursor FETCH 1000: $("$bin/msgbench" export transport --method cursor --batch 1000)"
    echo "transport, cursor FETCH 10000: $("$bin/msgbench" export transport --method cursor --batch 10000)"
fi

python3 - "$work/results.txt" "$work/sizes.txt" "$rows" <<'PY'
import sys, statistics
results, sizes, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = {}
for line in open(results):
    name, seconds, rss = line.split()
    runs.setdefault(name, []).append((float(seconds), int(rss)))
size = {}
for line in open(sizes):
    _, name, value = line.split()
    size[name] = int(value)
print()
print("| format | psql \\copy (reference) | msgctl export | rate vs psql | msgctl max RSS | output |")
print("|---|---|---|---|---|---|")
for fmt in ["jsonl", "csv", "mbox", "markdown", "state"]:
    ref, ours = runs.get("psql-" + fmt), runs.get("msgctl-" + fmt)
    if not ref or not ours:
        continue
    ratios = [r[0] / o[0] for r, o in zip(ref, ours)]
    rs, os_ = statistics.median(x[0] for x in ref), statistics.median(x[0] for x in ours)
    label = "jsonl, --state (first run)" if fmt == "state" else fmt
    print(f"| {label} | {rs:.2f} s ({rows / rs:,.0f} rows/s) | {os_:.2f} s ({rows / os_:,.0f} rows/s) | **{statistics.median(ratios):.2f}** "
          f"(runs: {', '.join(f'{x:.2f}' for x in ratios)}) | {max(x[1] for x in ours) / 1024:.1f} MiB | {size.get('msgctl-' + fmt, 0) / 1048576:.0f} MiB |")
print(f"\npsql max RSS {max(x[1] for k, v in runs.items() if k.startswith('psql') for x in v) / 1024:.1f} MiB; "
      f"reference file {max(size.get('psql-' + f, 0) for f in ['jsonl', 'csv', 'mbox', 'markdown']) / 1048576:.0f} MiB; medians of {max(len(v) for v in runs.values())} rounds, rate = psql seconds / msgctl seconds")
PY
