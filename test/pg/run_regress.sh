#!/usr/bin/env bash
# pg_regress suite of pg_recsys: runs the files of the root sql/ directory
# against the installed extension in a throw-away cluster of its own (own
# socket directory, no TCP, so parallel runs cannot collide) and prints one
# PASS:/FAIL: line per test; then the valgrind pass (valgrind.sh).
# Needs `make install` first (as root).
set -u
cd "$(dirname "$0")/../.."
. test/e2e/lib.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
out=test/out/pg_regress.log
mkdir -p test/out
rm -f pg_recsys/regression.diffs pg_recsys/regression.out

DIR=$(mktemp -d /tmp/recsys-regress.XXXXXX)
PORT=${PORT:-55440}
trap e2e_cleanup EXIT
if e2e_init "$DIR" "$PORT" && e2e_start "$DIR"; then
  PGHOST=$DIR PGPORT=$PORT PGUSER=postgres \
    make -s -C pg_recsys installcheck PG_CONFIG="$PG_CONFIG" with_llvm=no >"$out" 2>&1
  rc=$?
else
  echo "cluster start failed" >"$out"
  rc=1
fi
e2e_cleanup

tests=$(sed -n 's/^REGRESS *= *//p' pg_recsys/Makefile)
failed=0
for t in $tests; do
  if grep -qE "^(test| ) *$t +\.\.\. ok|^ok [0-9]+ +- +$t " "$out"; then
    echo "PASS: pg_regress $t"
  else
    echo "FAIL: pg_regress $t"
    failed=$((failed + 1))
  fi
done
status=0
if [ $failed -gt 0 ] || [ $rc -ne 0 ]; then
  echo "--- pg_regress output"; cat "$out"
  [ -f pg_recsys/regression.diffs ] && { echo "--- regression.diffs"; cat pg_recsys/regression.diffs; }
  [ $failed -eq 0 ] && echo "FAIL: pg_regress (exit $rc)"
  status=1
fi
test/pg/valgrind.sh || status=1
exit $status
