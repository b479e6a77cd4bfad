#!/usr/bin/env bash
# Relay start-up: from starting the msgrelay process to its first `GET /readyz` 200, with the schema already applied,
# beside the reference measured the same way in the same run: `psql -c 'select 1'` from start to exit (a process that
# connects to the same database once). Each is run $RUNS times; medians and maxima are printed.
#
#   bench/startup.sh        RUNS=20 by default
runs=${RUNS:-20}
bench_products=(msgrelay msgctl)
source "$(dirname "$0")/lib.sh"
start_cluster
export JWT_SECRET=bench-secret
"$bin/msgctl" db migrate >/dev/null
echo "machine: $(nproc) cores; $runs runs each"
python3 - "$bin/msgrelay" "$pgbin/psql" "$DATABASE_URL" "$runs" <<'PY'
import http.client, json, socket, statistics, subprocess, sys, time
relay, psql, url, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def ready(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/readyz")
        return c.getresponse().status == 200
    except OSError:
        return False

def relay_start():
    port = free_port()
    start = time.monotonic()
    p = subprocess.Popen([relay, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={"DATABASE_URL": url, "JWT_SECRET": "bench-secret", "LOG_LEVEL": "warning", "PATH": "/usr/bin:/bin"})
    try:
        while not ready(port):
            if p.poll() is not None or time.monotonic() - start > 30:
                raise SystemExit("msgrelay did not become ready")
            time.sleep(0.001)
        return (time.monotonic() - start) * 1000
    finally:
        p.terminate()
        p.wait()

def psql_once():
    start = time.monotonic()
    subprocess.run([psql, "-X", "-qtA", url, "-c", "select 1"], check=True, stdout=subprocess.DEVNULL)
    return (time.monotonic() - start) * 1000

relay_ms = [relay_start() for _ in range(runs)]
psql_ms = [psql_once() for _ in range(runs)]
for name, values in (("msgrelay start to /readyz 200", relay_ms), ("psql -c 'select 1'", psql_ms)):
    print(f"{name:32s} median {statistics.median(values):7.1f} ms   max {max(values):7.1f} ms")
print(json.dumps({"relay_median_ms": round(statistics.median(relay_ms), 1), "psql_median_ms": round(statistics.median(psql_ms), 1),
                  "ratio": round(statistics.median(relay_ms) / statistics.median(psql_ms), 2)}))
PY
