#!/usr/bin/env bash
# Install the Debian packages recsys needs, only those that are missing.
# Runs apt-get update once, and only when something has to be installed.
# `scripts/deps.sh explorer`: the explorer's too (chromium for its browser
# test, g++ and python3 for better-sqlite3 when no prebuilt binary fits;
# nodejs and npm only when there is no node at all).
set -euo pipefail
PKGS="gcc make pkg-config libopenblas-dev liblapacke-dev libsqlite3-dev sqlite3
      postgresql-15 postgresql-server-dev-15 postgresql-15-cron
      valgrind"
if [ "${1:-}" = explorer ]; then
  PKGS="$PKGS chromium g++ python3"
  command -v node >/dev/null || PKGS="$PKGS nodejs npm"
fi
missing=()
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
$SUDO apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
echo "deps: done"
