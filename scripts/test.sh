#!/usr/bin/env bash
# Runs the whole test suite against a throwaway PostgreSQL cluster, and leaves no process behind.
# Extra arguments go to `swift test` (e.g. --filter MigrationTests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test

work=$(mktemp -d /tmp/msgrelay-test.XXXXXX)
chmod 755 "$work"
bin_dir=""
cleanup() {
    status=$?
    [ -n "$bin_dir" ] && pkill -f "^$bin_dir/msg(relay|ctl)" 2>/dev/null || true
    for cluster in "$work"/*/; do
        [ -f "$cluster/data/PG_VERSION" ] && scripts/pg-cluster.sh stop "$cluster" 2>/dev/null || true
    done
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT INT TERM

# schemathesis (PyPI) checks the running relay against its OpenAPI document.
venv=.build/venv
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv" 2>/dev/null || { apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q --disable-pip-version-check schemathesis
fi
export MSGTEST_SCHEMATHESIS="$PWD/$venv/bin/schemathesis"
# Independent implementations that check our Web Push encryption and VAPID tokens (PyPI).
"$venv/bin/python" -c "import http_ece, jwt, cryptography, py_vapid" 2>/dev/null ||
    "$venv/bin/pip" install -q --disable-pip-version-check http-ece pyjwt cryptography py-vapid
# Slack's own SDK checks our request signatures both ways (PyPI).
"$venv/bin/python" -c "import slack_sdk.signature" 2>/dev/null ||
    "$venv/bin/pip" install -q --disable-pip-version-check slack-sdk
# botocore's S3 presigner checks our presigned URLs; moto (server mode) is the S3 the attachment tests run against.
"$venv/bin/python" -c "import boto3, botocore, moto.server, flask_cors" 2>/dev/null ||
    "$venv/bin/pip" install -q --disable-pip-version-check boto3 "moto[server]"
# markdown-it-py renders msgctl's Markdown export as a reader's viewer would (CommonMark).
"$venv/bin/python" -c "import markdown_it" 2>/dev/null ||
    "$venv/bin/pip" install -q --disable-pip-version-check markdown-it-py
# Selenium drives Debian's Chromium (through chromium-driver) in the browser tests.
"$venv/bin/python" -c "import selenium" 2>/dev/null ||
    "$venv/bin/pip" install -q --disable-pip-version-check selenium
export MSGTEST_PYTHON="$PWD/$venv/bin/python"
# Screenshots and other files tests keep for a person to look at.
export MSGTEST_ARTIFACTS_DIR="$PWD/.build/test-artifacts"

swift build --build-tests
bin_dir=$(swift build --show-bin-path)
MSGTEST_DATABASE_URL=$(scripts/pg-cluster.sh start "$work/pg" --fast)
export MSGTEST_DATABASE_URL
export MSGTEST_WORK_DIR="$work"
export MSGTEST_CLUSTER_SCRIPT="$PWD/scripts/pg-cluster.sh"
export MSG_BIN_DIR="$bin_dir"
swift test --skip-build "$@"
