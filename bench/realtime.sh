#!/usr/bin/env bash
# Real-time benchmarks, each beside its reference measured in the same run on the same private cluster
# (durable settings): delivery latency user -> admin socket at 100 msg/s and at the maximum sustained rate
# (reference: commit latency of the same INSERT alone); maximum messages/s through sockets (reference:
# pgbench on the same INSERT at the same concurrency); 10,000 idle sockets with heartbeats (RSS and CPU).
#
#   bench/realtime.sh        SENDERS=16 DURATION=20 SOCKETS=10000 IDLE_SECONDS=60 PING_INTERVAL=30 by default
#   PARTS="idle" bench/realtime.sh    only some of: latency max idle
# PING_INTERVAL (seconds between one socket's pings) sets the heartbeat rate: 19,000 sockets pinging every 5.7 s send
# the pings of 100,000 sockets pinging every 30 s.
senders=${SENDERS:-16}
duration=${DURATION:-20}
sockets=${SOCKETS:-10000}
idle_seconds=${IDLE_SECONDS:-60}
ping_interval=${PING_INTERVAL:-30}
parts=" ${PARTS:-latency max idle} "
source "$(dirname "$0")/lib.sh"
start_message_bench

echo "machine: $(nproc) cores; $senders senders; $duration s per run"
if [[ $parts == *" latency "* ]]; then
    echo "reference INSERT at 100/s, 1 client:  $(pgbench_run 1 -R 100)"
    echo "sockets at 100 msg/s:                 $("$bin/msgbench" ws-latency --port "$port" --senders "$senders" --duration "$duration" --rate 100 --json)"
fi
if [[ $parts == *" max "* ]]; then
    echo "reference INSERT max, $senders clients:   $(pgbench_run "$senders")"
    echo "sockets at maximum (closed loop):     $("$bin/msgbench" ws-latency --port "$port" --senders "$senders" --duration "$duration" --json)"
fi
if [[ $parts == *" idle "* ]]; then
    echo "idle sockets:                         $("$bin/msgbench" ws-idle --port "$port" --relay-pid "$relay_pid" --sockets "$sockets" --duration "$idle_seconds" --ping-interval "$ping_interval" --json)"
fi
