#!/usr/bin/env bash
# pg_cron.sh - a retraining scheduled with pg_cron really fires and stores a
# new model version. pg_cron 1.4 has minute granularity, so this waits up to
# 90 s for the first run.
set -u
. "$(dirname "$0")/lib.sh"
DIR=$(mktemp -d /tmp/recsys-e2e-cron.XXXXXX)
PORT=${PORT:-55433}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" "shared_preload_libraries = 'pg_cron'" \
  "cron.database_name = 'postgres'" "cron.use_background_workers = on" \
  "max_worker_processes = 16" && e2e_start "$DIR" || { fail "pg_cron: cluster start"; exit 1; }

q "$DIR" "$PORT" <<'SQL' >/dev/null || { fail "pg_cron: setup"; exit 1; }
CREATE EXTENSION pg_cron;
CREATE EXTENSION pg_recsys;
CREATE TABLE events AS SELECT 'u' || (g % 40) AS user_id, 'i' || ((g * 7) % 25) AS item_id
  FROM generate_series(1, 2000) g;
SELECT recsys_train('shop', 'events', 'als', '{"threads": 1}');
SELECT cron.schedule('retrain-shop', '* * * * *',
  $$SELECT recsys_train('shop', 'events', 'als', '{"threads": 1, "progress": "log"}')$$);
SQL

ok=""
for i in $(seq 1 90); do
  runs=$(q "$DIR" "$PORT" -c "SELECT count(*) FILTER (WHERE status = 'succeeded') || ' ' ||
          count(*) FILTER (WHERE status = 'failed') FROM cron.job_run_details")
  version=$(q "$DIR" "$PORT" -c "SELECT version FROM recsys_models WHERE name = 'shop'")
  if [ "${runs%% *}" -ge 1 ] && [ "$version" -ge 2 ]; then ok=1; break; fi
  [ "${runs##* }" -ge 1 ] && break
  sleep 1
done
q "$DIR" "$PORT" -c "SELECT cron.unschedule('retrain-shop')" >/dev/null

if [ -n "$ok" ]; then
  pass "pg_cron: scheduled retrain succeeded and stored version $version (after ~${i}s)"
  # progress reports work in pg_cron's background worker: "log" reaches the server log
  if grep -q 'LOG:  recsys: train "shop": als, ' "$DIR/server.log" &&
     grep -q 'LOG:  recsys: train "shop": done, 2000 rows read, ' "$DIR/server.log"; then
    pass "pg_cron: the job's progress lines (\"progress\": \"log\") are in the server log"
  else
    fail "pg_cron: no progress lines of the job in the server log"
  fi
else
  fail "pg_cron: scheduled retrain (runs: $runs, version: $version)"
  q "$DIR" "$PORT" -c "SELECT status, return_message FROM cron.job_run_details"
fi
check "pg_cron: the new version serves" "als" \
  "$(q "$DIR" "$PORT" -c "SELECT source FROM recommend('u1', 1, 'shop')")"
exit $E2E_FAILED
