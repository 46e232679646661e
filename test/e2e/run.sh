#!/usr/bin/env bash
# run.sh - runs every end-to-end scenario (each starts and removes its own
# cluster on its own port) and passes their PASS:/FAIL: lines through.
# A scenario that dies without printing a FAIL line is reported as failed.
set -u
cd "$(dirname "$0")"
rc=0
for s in cache.sh store.sh security.sh serve_during_retrain.sh cancel.sh progress.sh replica.sh pg_cron.sh shared_model.sh memo.sh policy.sh; do
  out=$(./"$s" 2>&1)
  src=$?
  echo "$out"
  if [ $src -ne 0 ]; then
    rc=1
    echo "$out" | grep -q '^FAIL: ' || echo "FAIL: e2e $s (exit $src)"
  fi
done
exit $rc
