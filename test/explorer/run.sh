#!/usr/bin/env bash
# The explorer's suite (make check): its npm packages and Debian's chromium
# installed when missing (never skipped), then the endpoint tests against
# the demo shop in SQLite and in a throw-away PostgreSQL cluster of PGBIN's
# server (pg_recsys installed there), then the browser test on each, which
# writes a screenshot of each page under build/explorer-shots/ (pg/: PostgreSQL).
set -u
cd "$(dirname "$0")/../.."
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
. test/e2e/lib.sh
TMP=$(mktemp -d /tmp/recsys-explorer.XXXXXX)
chmod 755 "$TMP"
DIR=$TMP/pg
PORT=${PORT:-55481}
trap 'e2e_cleanup; rm -rf "$TMP"' EXIT

if ! { scripts/deps.sh explorer && explorer/scripts/npm.sh; } >"$TMP/deps.log" 2>&1; then
  cat "$TMP/deps.log"
  echo "FAIL: explorer: installing node packages and chromium"
  exit 1
fi
if [ ! -f sqlite_recsys/recsys.so ]; then
  echo "FAIL: explorer: sqlite_recsys/recsys.so is missing (make sqlite)"
  exit 1
fi
rc=0
# one test program; a non-zero exit with no FAIL line of its own (a crash, a
# signal) is named here, so that the summary says which one it was
js() {
  local name=$1 out st
  shift
  out=$(node "$@" 2>&1)
  st=$?
  printf '%s\n' "$out"
  if [ $st -ne 0 ] && ! grep -q '^FAIL: ' <<<"$out"; then
    echo "FAIL: explorer: $name exited with status $st and no result line"
  fi
  return $st
}

# SQLite: the demo shop as make explorer makes it
if explorer/scripts/demo-db.sh "$TMP/shop.db" >"$TMP/demo.log" 2>&1; then
  js "api test [sqlite]" explorer/test/api.test.js sqlite "$TMP/shop.db" || rc=1
  js "server test" explorer/test/server.test.js "$TMP/shop.db" || rc=1
else
  cat "$TMP/demo.log"; echo "FAIL: explorer: demo shop (SQLite)"; rc=1
fi

# PostgreSQL: the same shop and models in a cluster of its own; "viewer" may
# use every model but shop_ease
if e2e_init "$DIR" "$PORT" >/dev/null && e2e_start "$DIR" &&
   explorer/scripts/demo-pg.sh -h "$DIR" -p "$PORT" -U postgres -d postgres >"$TMP/demo-pg.log" 2>&1 &&
   q "$DIR" "$PORT" >/dev/null <<'SQL'
CREATE ROLE viewer LOGIN;
GRANT SELECT ON products, events TO viewer;
SELECT recsys_grant('shop_als', 'viewer'), recsys_grant('shop_pop', 'viewer');
SQL
then
  sock=$(printf %s "$DIR" | sed 's|/|%2F|g')
  js "api test [pg]" explorer/test/api.test.js pg "postgresql://postgres@$sock:$PORT/postgres" \
    "postgresql://viewer@$sock:$PORT/postgres" || rc=1
  pg_ok=1
else
  cat "$TMP/demo-pg.log" 2>/dev/null; echo "FAIL: explorer: PostgreSQL cluster and demo shop"; rc=1
fi

# the browser: Debian's chromium, headless, on the demo shop in each database
js "browser test [sqlite]" explorer/test/browser.test.js sqlite "$TMP/shop.db" build/explorer-shots || rc=1
if [ -n "${pg_ok:-}" ]; then
  js "browser test [pg]" explorer/test/browser.test.js pg "postgresql://postgres@$sock:$PORT/postgres" build/explorer-shots/pg || rc=1
fi
exit $rc
