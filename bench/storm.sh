#!/usr/bin/env bash
# Connect storm: $SOCKETS authenticated sockets (over $USERS users) on one relay, which is killed with SIGKILL; one
# message per user is written while it is down; it is started again and every socket reconnects at once, resuming
# from its cursor: the time until all have replayed, messages lost or doubled, and the relay's database pool
# meanwhile; then the same restart with the sockets reconnecting without a cursor (the reference). msgbench starts
# and kills the relay itself. Leaves no process behind.
#
#   bench/storm.sh      SOCKETS=10000 USERS=1000 THREADS=16 POOL_SIZE=16
sockets=${SOCKETS:-10000}
bench_products=(msgrelay msgctl msgbench)
source "$(dirname "$0")/lib.sh"

start_cluster
export JWT_SECRET=bench-secret
"$bin/msgctl" db migrate >/dev/null
"$bin/msgbench" setup --users "${USERS:-1000}" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "machine: $(nproc) cores; $sockets sockets over ${USERS:-1000} users; open files $(ulimit -n); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
LOG_LEVEL=warning DATABASE_POOL_SIZE="${POOL_SIZE:-16}" "$bin/msgbench" ws-storm --port "$port" --relay "$bin/msgrelay" \
    --sockets "$sockets" --threads "${THREADS:-16}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
