#!/usr/bin/env bash
# Runs the whole system on this machine: builds in release mode, starts a private PostgreSQL cluster under
# .run/ (unless DATABASE_URL is set), migrates, creates a demo admin and user, prints their tokens, and
# serves msgrelay on 127.0.0.1:8080 until Ctrl-C. Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/install-deps.sh
swift build -c release
bin=$(swift build -c release --show-bin-path)
state="$root/.run"
mkdir -p "$state"
chmod 755 "$state"

relay_pid=""
cluster=""
cleanup() {
    [ -n "$relay_pid" ] && kill -TERM "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null || true
    [ -n "$cluster" ] && scripts/pg-cluster.sh stop "$cluster" && echo "stopped PostgreSQL ($cluster)"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

if [ -z "${DATABASE_URL:-}" ]; then
    cluster="$state/pg"
    DATABASE_URL=$(scripts/pg-cluster.sh start "$cluster")
    echo "started a private PostgreSQL: $DATABASE_URL (data in $cluster/data)"
fi
export DATABASE_URL
if [ -z "${JWT_SECRET:-}" ]; then
    [ -s "$state/jwt_secret" ] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$state/jwt_secret")
    JWT_SECRET=$(cat "$state/jwt_secret")
fi
export JWT_SECRET
# Attachments in a folder beside the database, served by the relay itself.
export ATTACHMENT_STORE=${ATTACHMENT_STORE:-local:$state/attachments}
# The demo chat page at /client/demo/ (docs/browser.md).
export MSGRELAY_DEMO=${MSGRELAY_DEMO:-1}
host=${MSGRELAY_HOST:-127.0.0.1}
port=${MSGRELAY_PORT:-8080}

"$bin/msgctl" db migrate
"$bin/msgctl" user add --username admin --display-name "Site Admin" --admin --if-not-exists >/dev/null
"$bin/msgctl" user add --username alice --display-name "Alice Example" --if-not-exists >/dev/null
admin_token=$("$bin/msgctl" token --user admin --ttl 86400)
user_token=$("$bin/msgctl" token --user alice --ttl 86400)
base="http://$host:$port"

cat <<INFO

Demo users (tokens valid 24 h):
  admin  ADMIN_TOKEN=$admin_token
  alice  USER_TOKEN=$user_token

Chat in a browser (the demo page; the token stays in the fragment, never sent to the server):
  as alice  $base/client/demo/#token=$user_token
  as admin  $base/client/demo/#token=$admin_token

Try:
  curl -s $base/healthz
  curl -s -H "Authorization: Bearer $user_token" -H 'Content-Type: application/json' \\
       -d '{"content":"Hello from Alice"}' $base/api/messages
  curl -s -H "Authorization: Bearer $admin_token" $base/api/conversations
  websocat "ws://$host:$port/ws/messages?token=$user_token"     # any WebSocket client
  DATABASE_URL='$DATABASE_URL' $bin/msgctl user list
  # an attachment: declare it, PUT the file to the URL in the answer, send its id (docs/attachments.md)
  curl -s -H "Authorization: Bearer $user_token" -H 'Content-Type: application/json' \\
       -d '{"filename":"hello.txt","content_type":"text/plain","size":6}' $base/api/attachments

msgrelay on $base (Ctrl-C stops it and the database it started)
INFO

"$bin/msgrelay" --host "$host" --port "$port" &
relay_pid=$!
wait "$relay_pid"
