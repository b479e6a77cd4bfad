#!/usr/bin/env bash
# Breaks things while users and the admin send and resume, then counts what was lost or shown twice.
#
# Three relays (the third reaches PostgreSQL through a proxy that can blackhole the link), a primary with a
# synchronous streaming standby, all on 127.0.0.1. `msgbench chaos` sends over REST through any relay and keeps a
# socket per user and one for the admin, reconnecting to another relay and resuming from its cursor whenever one fails.
# Meanwhile, one fault every FAULT_EVERY seconds, in turn: SIGKILL a relay (restarted 2 s later), SIGTERM a relay
# (restarted), restart PostgreSQL, blackhole the third relay's database link for 25 s, and once, half-way, fail over
# (primary stopped with -m immediate, standby promoted). The last 20 s are quiet; then every client resumes once more
# and every stored message is checked at its two recipients: delivered exactly once.
#
#   bench/chaos.sh       DURATION=180 USERS=20 RATE=1 FAULT_EVERY=10 by default; bounded: it ends by itself.
duration=${DURATION:-180}
users=${USERS:-20}
rate=${RATE:-1}
fault_every=${FAULT_EVERY:-10}
bench_products=(msgrelay msgctl msgbench)
source "$(dirname "$0")/lib.sh"
relay_pids=("" "" "")
proxy_pid=""
chaos_cleanup() {
    for pid in "${relay_pids[@]}" "$proxy_pid"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
    scripts/pg-cluster.sh stop "$work/standby" >/dev/null 2>&1 || true
    cleanup
}
trap chaos_cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_cluster
primary_port=$(cat "$work/pg/port")
scripts/pg-cluster.sh standby "$work/standby" "$work/pg" >/dev/null
standby_port=$(cat "$work/standby/port")
export JWT_SECRET=bench-secret
"$bin/msgctl" db migrate >/dev/null
"$bin/msgbench" setup --users "$users" >/dev/null
proxy_port=$(free_port)
python3 bench/chaos/proxy.py "$proxy_port" "$primary_port,$standby_port" &
proxy_pid=$!
hosts="host=127.0.0.1,127.0.0.1 user=postgres dbname=postgres target_session_attrs=read-write connect_timeout=3"
urls=("$hosts port=$primary_port,$standby_port" "$hosts port=$standby_port,$primary_port" "$hosts port=$proxy_port,$standby_port")
ports=("$(free_port)" "$(free_port)" "$(free_port)")
declare -A counts=([kill]=0 [term]=0 [pg_restart]=0 [blackhole]=0 [failover]=0)

# relay N: (re)starts relay N on its port.
relay() {
    local n=$1
    env LOG_LEVEL=error DATABASE_URL="${urls[$n]}" MESSAGE_RATE_LIMIT_PER_MINUTE=100000 MESSAGE_RATE_LIMIT_PER_HOUR=100000 \
        MESSAGE_RATE_LIMIT_PER_DAY=100000 "$bin/msgrelay" --port "${ports[$n]}" 2>>"$work/relay$n.log" &
    relay_pids[$n]=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:${ports[$n]}/healthz" >/dev/null && return 0; sleep 0.1; done
}
for n in 0 1 2; do relay "$n"; done
bump() { counts[$1]=$((counts[$1] + 1)); }

"$bin/msgbench" chaos --database-url "${urls[0]}" --ports "$(IFS=,; echo "${ports[*]}")" --users "$users" --rate "$rate" --duration "$duration" --settle 90 \
    >"$work/result.json" 2>"$work/chaos.log" &
chaos_pid=$!
current="$work/pg"
failed_over=""
start=$(date +%s)
step=0
while [ $(($(date +%s) - start)) -lt $((duration - 20)) ]; do
    sleep "$fault_every"
    elapsed=$(($(date +%s) - start))
    [ "$elapsed" -ge $((duration - 20)) ] && break
    if [ -z "$failed_over" ] && [ "$elapsed" -ge $((duration / 2)) ]; then
        scripts/pg-cluster.sh crash "$work/pg"
        scripts/pg-cluster.sh promote "$work/standby"
        current="$work/standby"
        failed_over=yes
        bump failover
        echo "$elapsed s: failover to the standby ($(date -u +%H:%M:%S.%N))"
        continue
    fi
    n=$((step % 3))
    case $((step % 4)) in
    0)
        kill -9 "${relay_pids[$n]}"; wait "${relay_pids[$n]}" 2>/dev/null || true
        sleep 2; relay "$n"; bump kill; echo "$elapsed s: SIGKILL relay $n, restarted" ;;
    1)
        kill -TERM "${relay_pids[$n]}"; wait "${relay_pids[$n]}" 2>/dev/null || true
        relay "$n"; bump term; echo "$elapsed s: SIGTERM relay $n, restarted" ;;
    2)
        scripts/pg-cluster.sh restart "$current" >/dev/null; bump pg_restart; echo "$elapsed s: PostgreSQL restarted" ;;
    3)
        kill -USR1 "$proxy_pid"; sleep 25; kill -USR2 "$proxy_pid"; bump blackhole
        echo "$elapsed s: relay 2's database link blackholed for 25 s" ;;
    esac
    step=$((step + 1))
done
wait "$chaos_pid" || true
echo "faults: SIGKILL ${counts[kill]}, SIGTERM ${counts[term]}, PostgreSQL restarts ${counts[pg_restart]}, blackholes ${counts[blackhole]}, failovers ${counts[failover]}"
cat "$work/chaos.log" >&2
echo "result: $(cat "$work/result.json")"
# Where the lost ones came from, if any: their transaction and time, beside the failover's.
for id in $(grep '^lost: ' "$work/chaos.log" | awk '{print $2}' | sort -u); do
    "$pgbin/psql" -X -At -d "${urls[0]}" -c "SELECT 'lost message', id, txid, created_at FROM messages WHERE id = '$id'"
done
