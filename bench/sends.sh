#!/usr/bin/env bash
# Durable sends with the rate limiter ON, each figure beside its reference measured in the same run on the same
# private cluster (fsync on): pgbench running the plain INSERT of a message (no NOTIFY; the schema has none) at the
# same concurrency, and, for delivery latency, that INSERT's commit latency from one client at 100/s.
#
# Two configurations of the limiter:
#   defaults   10/min, 100/h, 500/day; senders rotate over $USERS users (10,000) so that none is refused: the windows
#              are opened again before each run (as if those users had not sent for a day), since at 5,000 sends a
#              second 10,000 users have 20 s of their minute's burst.
#   generous   every window at 100,000,000 (and the WebSocket frame limit), each sender with $HISTORY messages of history.
# For each: REST and WebSocket sends at 8 and 16 clients (closed loop: each client sends its next message once its
# last one is acknowledged, which the relay does after the commit; the admin's socket must receive every one), then
# user -> admin socket latency at 100 msg/s, on one relay and through two relays (sender on one, admin on the other).
#
#   bench/sends.sh         DURATION=20 USERS=10000 HISTORY=100000 by default; PARTS="defaults generous"
duration=${DURATION:-20}
users=${USERS:-10000}
history=${HISTORY:-100000}
parts=" ${PARTS:-defaults generous} "
source "$(dirname "$0")/lib.sh"
start_cluster
export JWT_SECRET=bench-secret
"$bin/msgctl" db migrate >/dev/null
cat >"$work/insert.sql" <<SQL
\set n random(1, :users)
INSERT INTO messages (conversation_id, sender_id, content) SELECT conversation_id, user_id, 'benchmark message body' FROM bench_targets WHERE n = :n;
SQL

# second_relay [NAME=VALUE ...]: another msgrelay on the same database; sets `port2` and `relay2_pid`.
second_relay() {
    port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    env LOG_LEVEL=warning DATABASE_POOL_SIZE="${POOL_SIZE:-16}" "$@" "$bin/msgrelay" --port "$port2" &
    relay2_pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port2/healthz" >/dev/null && break; sleep 0.1; done
}

# run_part NAME USERS LIMIT SOCKETS_PER_SENDER: the sends and latencies of one limiter configuration.
run_part() {
    local name=$1 count=$2 limit=$3 turns=$4
    local limits=()
    # The generous senders each send hundreds of messages a second from one socket: the frame limit per socket (20 a
    # second by default) would refuse them, so it is raised with the message limits. The defaults keep every limit.
    [ "$limit" != default ] && limits=(MESSAGE_RATE_LIMIT_PER_MINUTE="$limit" MESSAGE_RATE_LIMIT_PER_HOUR="$limit" MESSAGE_RATE_LIMIT_PER_DAY="$limit"
        WS_FRAMES_PER_SECOND="$limit" WS_FRAME_BURST="$limit")
    echo "== $name: $count users; limits ${limit}; $(psql_count) messages stored"
    start_relay "${limits[@]}"
    for clients in 8 16; do
        echo "pgbench INSERT, $clients clients:      $(pgbench_run "$clients" -D users="$count")"
        fresh_windows
        echo "REST POST, $clients clients:           $("$bin/msgbench" post --port "$port" --concurrency "$clients" --duration "$duration" --json)"
        fresh_windows
        echo "WebSocket sends, $clients senders:     $("$bin/msgbench" ws-latency --port "$port" --senders "$clients" --sockets-per-sender "$((turns * 16 / clients))" --duration "$duration" --until acknowledged --json)"
    done
    fresh_windows
    echo "reference INSERT at 100/s, 1 client:  $(pgbench_run 1 -R 100 -D users="$count")"
    echo "socket latency at 100 msg/s:          $("$bin/msgbench" ws-latency --port "$port" --senders 16 --sockets-per-sender "$turns" --duration "$duration" --rate 100 --json)"
    second_relay "${limits[@]}"
    # The senders' sockets go to the new relay: the same 10,000 connections to the first one, right after the run above,
    # would meet its 10,000 sockets still in TIME_WAIT on 127.0.0.1 and be refused during the handshake.
    echo "through two relays at 100 msg/s:      $("$bin/msgbench" ws-latency --port "$port2" --admin-port "$port" --senders 16 --sockets-per-sender "$turns" --duration "$duration" --rate 100 --json)"
    kill "$relay2_pid" && wait "$relay2_pid" 2>/dev/null || true
    stop_relay
}

# fresh_windows: every sender's rate-limit windows open again (their rows stay, so each send still updates one).
fresh_windows() { "$pgbin/psql" -X -q -d "$DATABASE_URL" -c "UPDATE sender_rate_limits SET minute_tat = now(), hour_tat = now(), day_tat = now()"; }

psql_count() { "$pgbin/psql" -X -qtA -d "$DATABASE_URL" -c "SELECT count(*) FROM messages"; }

echo "machine: $(nproc) cores; $duration s per run"
if [[ $parts == *" defaults "* ]]; then
    "$bin/msgbench" setup --users "$users" >/dev/null
    # 10 messages per user at most: 16 senders take turns on users/16 sockets each.
    run_part defaults "$users" default $((users / 16))
fi
if [[ $parts == *" generous "* ]]; then
    "$bin/msgbench" setup --users 16 --history "$history" >/dev/null
    "$pgbin/psql" -X -q -d "$DATABASE_URL" -c "CHECKPOINT"
    run_part generous 16 100000000 1
fi
