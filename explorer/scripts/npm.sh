#!/usr/bin/env bash
# npm.sh: the explorer's node packages, exactly as package-lock.json pins
# them (npm ci), installed only when the lock file changed since the last
# install. Needs Node 20 or later (Debian 12's nodejs is 18: install a newer
# one, e.g. from NodeSource, where it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "explorer: Node 20 or later is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
stamp=node_modules/.lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "explorer: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
