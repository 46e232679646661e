#!/usr/bin/env bash
# The one test pass: runs every suite, each of which prints `PASS: name` or
# `FAIL: name` per test, and ends with the summary line `N passed, N failed`.
set -u
cd "$(dirname "$0")/.."
mkdir -p test/out
log=test/out/all.log
: > "$log"
suites=(
  test/meta/run.sh
  test/meta/options_doc.sh
  test/core/run.sh
  test/sqlite/run.sh
  test/pg/run_regress.sh
  test/pg/upgrade.sh
  test/e2e/run.sh
  test/accuracy/run.sh
  test/explorer/run.sh
)
for s in "${suites[@]}"; do
  if [ ! -x "$s" ]; then
    echo "FAIL: $s (suite missing)" | tee -a "$log"
    continue
  fi
  echo "== $s"
  out=test/out/$(echo "$s" | tr '/' '_').log
  "$s" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  cat "$out" >> "$log"
  if ! grep -qE '^(PASS|FAIL|SKIP): ' "$out"; then
    echo "FAIL: $s (suite printed no result, exit $rc)" | tee -a "$log"
  elif [ $rc -ne 0 ] && ! grep -q '^FAIL: ' "$out"; then
    echo "FAIL: $s (suite exited $rc)" | tee -a "$log"
  fi
done
passed=$(grep -c '^PASS: ' "$log")
failed=$(grep -c '^FAIL: ' "$log")
skipped=$(grep -c '^SKIP: ' "$log")
echo
grep -E '^(FAIL|SKIP): ' "$log" || true
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
