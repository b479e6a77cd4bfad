#!/usr/bin/env bash
# What msgctl costs to install and to start: the release binary's size (as built, and stripped), its segments, the
# shared libraries it loads, how many of its symbols come from the relay's server stack (Hummingbird, NIOWebSocket,
# NIOHTTP1, ServiceLifecycle, Prometheus: none since msgctl no longer links them), and the maximum resident set
# of `msgctl --version` (median of RUNS runs, /usr/bin/time). First the modules it is built from (swift package
# describe).
#
#   bench/msgctl-footprint.sh        RUNS=21 by default
runs=${RUNS:-21}
bench_products=(msgctl)
source "$(dirname "$0")/lib.sh"
msgctl="$bin/msgctl"
# The modules msgctl is built from: its targets and the packages' products they depend on, transitively.
swift package describe --type json 2>/dev/null | python3 -c '
import json, sys
targets = {t["name"]: t for t in json.load(sys.stdin)["targets"]}
seen, stack = set(), ["msgctl"]
while stack:
    name = stack.pop()
    if name not in seen:
        seen.add(name)
        stack += targets.get(name, {}).get("target_dependencies", [])
products = {p for name in seen for p in targets.get(name, {}).get("product_dependencies", [])}
print("targets:", " ".join(sorted(seen)))
print("products:", " ".join(sorted(products)))'

strip -o "$work/msgctl.stripped" "$msgctl"
echo "binary: $(stat -c %s "$msgctl") bytes, stripped $(stat -c %s "$work/msgctl.stripped") bytes"
size "$msgctl" | awk 'NR == 2 { printf "segments: text %d, data %d, bss %d bytes\n", $1, $2, $3 }'
echo "shared libraries: $(ldd "$msgctl" | wc -l)"
nm "$msgctl" >"$work/symbols" 2>/dev/null || true
for module in Hummingbird NIOWebSocket NIOHTTP1 ServiceLifecycle Prometheus ArgumentParser NIOPosix; do
    echo "symbols naming $module: $(grep -c "$module" "$work/symbols" || true)"
done
for _ in $(seq "$runs"); do /usr/bin/time -f %M "$msgctl" --version 2>&1 >/dev/null | tail -1; done | sort -n >"$work/rss"
echo "msgctl --version max RSS: median $(sed -n "$(((runs + 1) / 2))p" "$work/rss") KiB, min $(head -1 "$work/rss"), max $(tail -1 "$work/rss") KiB ($runs runs)"
