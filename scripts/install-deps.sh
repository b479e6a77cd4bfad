#!/usr/bin/env bash
# Installs the Debian packages msgrelay needs to build, run and test, when any is missing.
set -euo pipefail
packages=(libpq-dev libssl-dev libcurl4-openssl-dev libedit-dev pkg-config postgresql groff-base)
command -v python3 >/dev/null || packages+=(python3)
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
