#!/usr/bin/env bash
# Installs the Debian packages msgrelay needs to build and run, when any is missing; with `test`, also those the test
# suite needs (Chromium and its WebDriver for the browser tests, Node.js for the browser client's own tests, Prometheus for
# promtool, which checks and tests deploy/prometheus/alerts.yml; for the Debian package's tests, dpkg-dev and binutils to
# make it, lintian, and man-db, bash-completion, zsh, fish and systemd's tools to find what it installs; faketime to
# run msgctl with a clock of its own; strace to see what the relay asks of the file system).
set -euo pipefail
packages=(libpq-dev libssl-dev libcurl4-openssl-dev libedit-dev pkg-config postgresql groff-base)
command -v python3 >/dev/null || packages+=(python3)
if [ "${1:-}" = test ]; then
    packages+=(chromium chromium-driver prometheus)
    packages+=(dpkg-dev binutils lintian man-db bash-completion zsh fish systemd faketime strace)
    command -v node >/dev/null || packages+=(nodejs)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
