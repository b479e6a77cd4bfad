#!/usr/bin/env bash
# Web Push, beside references measured in the same run: `openssl speed` for ECDH P-256, ECDSA P-256
# (what a VAPID signature costs) and AES-128-GCM; then microseconds per push encryption and per VAPID header
# (`msgbench push-encrypt`), and push notifications/s end to end (`msgbench push-e2e`): messages created through the
# service layer on a private cluster (durable settings), a release msgrelay with VAPID keys whose outbox worker
# sends every push, and a loopback push service inside msgbench that answers 201. Prints one JSON object per line.
# Leaves no process behind.
#
#   bench/push.sh      RUNS="1:5000 10:1000" (maximum-rate runs, each SUBSCRIPTIONS:MESSAGES)
#                      SENDERS=8 DURATION=20 (longest sending time per run) LATENCY_RATE=100 LATENCY_SECONDS=10
#                      (a paced run for latency; LATENCY_RATE=0 skips it) ITERATIONS=3000 OPENSSL_SECONDS=3 USERS=200
#                      POOL_SIZE=16 (the relay's database pool)
#                      SWIFT_SCRATCH=.build-x builds in that scratch folder instead of .build.
runs=${RUNS:-1:5000 10:1000}
senders=${SENDERS:-8}
duration=${DURATION:-20}
latency_rate=${LATENCY_RATE:-100}
latency_seconds=${LATENCY_SECONDS:-10}
iterations=${ITERATIONS:-3000}
openssl_seconds=${OPENSSL_SECONDS:-3}
source "$(dirname "$0")/lib.sh"

# line NAME JSON: the object with "run": NAME first.
line() { echo "{\"run\":\"$1\",${2#\{}"; }

line machine "{\"cores\":$(nproc),\"load_average_1m\":$(cut -d' ' -f1 /proc/loadavg),\"openssl\":\"$(openssl version | awk '{print $2}')\"}"

# The references: OpenSSL's own loops, one core, nothing else of ours running.
openssl speed -seconds "$openssl_seconds" ecdhp256 >"$work/ecdh.txt" 2>/dev/null
openssl speed -seconds "$openssl_seconds" ecdsap256 >"$work/ecdsa.txt" 2>/dev/null
openssl speed -seconds "$openssl_seconds" -evp aes-128-gcm >"$work/gcm.txt" 2>/dev/null
encrypt=$("$bin/msgbench" push-encrypt --iterations "$iterations" --json)
python3 - "$work" "$encrypt" <<'PY'
import json, sys
work, ours = sys.argv[1], json.loads(sys.argv[2])
def row(name, marker):
    return [l.split() for l in open(f"{work}/{name}.txt") if marker in l][-1]
ecdh_ops = float(row("ecdh", "ecdh (nistp256)")[-1])
ecdsa = row("ecdsa", "ecdsa (nistp256)")
sign_ops = float(ecdsa[-2])
gcm = row("gcm", "AES-128-GCM")[1:]
sizes = [16, 64, 256, 1024, 8192, 16384]
record = ours["payload_bytes"] + 1  # plaintext and its delimiter: one record
size = min(sizes, key=lambda s: abs(s - record))
gcm_kbps = float(gcm[sizes.index(size)].rstrip("k"))
reference = {
    "ecdh_p256_per_second": ecdh_ops, "ecdh_p256_us": round(1e6 / ecdh_ops, 2),
    "ecdsa_p256_sign_per_second": sign_ops, "ecdsa_p256_sign_us": round(1e6 / sign_ops, 2),
    "aes128gcm_block_bytes": size, "aes128gcm_mb_per_second": round(gcm_kbps / 1000, 1),
    "aes128gcm_us_per_block": round(size / (gcm_kbps * 1000) * 1e6, 3),
}
print(json.dumps({"run": "openssl_reference", **reference}))
print(json.dumps({"run": "push_encrypt", **{k: round(v, 3) for k, v in sorted(ours.items())}}))
# Ours by their medians: on a shared machine a mean mostly measures the neighbours.
print(json.dumps({"run": "ratios",
    "encrypt_over_ecdh": round(ours["encrypt_p50_us"] / reference["ecdh_p256_us"], 2),
    "keygen_plus_ecdh_over_ecdh": round((ours["keygen_p50_us"] + ours["ecdh_p50_us"]) / reference["ecdh_p256_us"], 2),
    "ecdh_over_openssl_ecdh": round(ours["ecdh_p50_us"] / reference["ecdh_p256_us"], 2),
    "gcm_seal_over_openssl_block": round(ours["gcm_seal_p50_us"] / reference["aes128gcm_us_per_block"], 1),
    "vapid_over_ecdsa_sign": round(ours["vapid_p50_us"] / reference["ecdsa_p256_sign_us"], 2),
    "per_push_over_ecdh": round(ours["per_push_p50_us"] / reference["ecdh_p256_us"], 2)}))
PY

# End to end: a private cluster, bench users, VAPID keys, a relay that may send to http://127.0.0.1.
start_cluster
export JWT_SECRET=bench-secret
"$bin/msgctl" db migrate >/dev/null
"$bin/msgbench" setup --users "${USERS:-200}" >/dev/null
eval "$("$bin/msgctl" vapid generate)"
start_relay VAPID_PUBLIC_KEY="$VAPID_PUBLIC_KEY" VAPID_PRIVATE_KEY="$VAPID_PRIVATE_KEY" VAPID_SUBJECT=mailto:bench@example.com \
    PUSH_ALLOW_INSECURE_ENDPOINTS=1 MESSAGE_RATE_LIMIT_PER_MINUTE=0 MESSAGE_RATE_LIMIT_PER_HOUR=0 MESSAGE_RATE_LIMIT_PER_DAY=0

e2e=("$bin/msgbench" push-e2e --senders "$senders" --relay-pid "$relay_pid" --postgres-pid "$(postgres_pid)" --json)
for run in $runs; do
    line "e2e_max_s${run%%:*}" "$("${e2e[@]}" --subscriptions "${run%%:*}" --messages "${run##*:}" --duration "$duration")"
done
if [ "$latency_rate" != 0 ]; then
    paced=$(python3 -c "print(int($latency_rate * $latency_seconds))")
    line "e2e_rate${latency_rate}_s1" \
        "$("${e2e[@]}" --subscriptions 1 --messages "$paced" --rate "$latency_rate" --duration "$((latency_seconds + 2))")"
fi
kill -0 "$relay_pid" 2>/dev/null || { echo "msgrelay died during the run" >&2; exit 1; }
