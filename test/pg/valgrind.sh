#!/usr/bin/env bash
# valgrind.sh - runs valgrind.sql in a single-user postgres under valgrind:
# no invalid reads/writes, no uninitialised use, and no definite leaks (core
# objects must be freed on every error path). Needs `make install` first.
set -u
cd "$(dirname "$0")"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if ! command -v valgrind >/dev/null; then echo "FAIL: valgrind pg_recsys (valgrind missing)"; exit 1; fi
dir=$(mktemp -d /tmp/recsys-valgrind.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
cp valgrind.sql valgrind.supp "$dir/" && chmod a+r "$dir"/*
as_pg "$PGBIN/initdb" -D "$dir/data" -A trust >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; echo "FAIL: valgrind pg_recsys (initdb)"; exit 1; }
as_pg valgrind --error-exitcode=42 --leak-check=full --errors-for-leak-kinds=definite \
  --suppressions="$dir/valgrind.supp" --log-file="$dir/valgrind.log" \
  "$PGBIN/postgres" --single -D "$dir/data" postgres <"$dir/valgrind.sql" >"$dir/out.log" 2>&1
rc=$?
expected_errors=10
errors=$(grep -c ' ERROR: ' "$dir/out.log")
if [ $rc -eq 0 ] && [ "$errors" -eq $expected_errors ]; then
  echo "PASS: valgrind pg_recsys (clean, $errors expected errors raised)"
  exit 0
fi
echo "FAIL: valgrind pg_recsys (exit $rc, $errors of $expected_errors expected errors)"
grep ' ERROR: ' "$dir/out.log"
grep -A30 -E 'Invalid|uninitialised|definitely lost in' "$dir/valgrind.log" | head -120
exit 1
