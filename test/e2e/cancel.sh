#!/usr/bin/env bash
# cancel.sh - statement_timeout and pg_cancel_backend() stop a training
# within a second, in the read phase and in the training phase of every
# algorithm family, and the previous model version keeps serving the same
# recommendations; a long recommend_batch() stops as promptly.
set -u
. "$(dirname "$0")/lib.sh"
DIR=$(mktemp -d /tmp/recsys-e2e-cancel.XXXXXX)
PORT=${PORT:-55432}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" && e2e_start "$DIR" || { fail "cancel: cluster start"; exit 1; }

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

q "$DIR" "$PORT" <<'SQL' >/dev/null || { fail "cancel: setup"; exit 1; }
CREATE EXTENSION pg_recsys;
-- big: 3 million rows, slow to read. slow: quick to read, slow to train at
-- 512 factors. small: the model that must keep serving.
CREATE TABLE big AS SELECT (g % 200000) AS user_id, ((g::bigint * 7919) % 50000)::int AS item_id
  FROM generate_series(1, 3000000) g;
CREATE TABLE slow AS SELECT (g % 5000) AS user_id, ((g::bigint * 7919) % 2000)::int AS item_id
  FROM generate_series(1, 300000) g;
CREATE TABLE small AS SELECT (g % 50) AS user_id, ((g * 7 + g / 50) % 40) AS item_id
  FROM generate_series(1, 1500) g;
-- Sources whose trainings outlast their timeouts by seconds (times of the
-- same core in SQLite on 2 cores). wide: 3,000 users x 8,000 items, quick to
-- read: ease inverts an 8,000 x 8,000 matrix (7-14 s), svd at 1,000
-- factors. dense: 60 users x 16,000 items each, 960,000 rows (about a second
-- to read): itemknn's products take about 7 s. goods: 80,000 items sharing a
-- category and words: content's neighbours take about 7 s. pairs: 10,000
-- users x 30 items (300,000 distinct pairs; slow has 2 items a user): bpr
-- 0.07 s an epoch, warp at max_sampled 1,000 3 s, auto more than 10 s.
CREATE TABLE wide AS SELECT (g % 3000) AS user_id, ((g::bigint * 7919) % 8000)::int AS item_id
  FROM generate_series(1, 60000) g;
CREATE TABLE dense AS SELECT u AS user_id, ((u * 7 + k * 13) % 17000) AS item_id
  FROM generate_series(0, 59) u, generate_series(0, 15999) k;
CREATE TABLE goods AS SELECT g AS item_id, 'c' || (g % 2) AS category,
  'w' || (g % 17) || ' w' || (g % 13) || ' w' || (g % 11) AS title
  FROM generate_series(0, 79999) g;
CREATE TABLE pairs AS SELECT g % 10000 AS user_id, ((g / 10000) * 37 + (g % 10000) * 11) % 5000 AS item_id
  FROM generate_series(0, 299999) g;
SELECT recsys_train('shop', 'small', 'als', '{"threads": 1, "seed": 42}');
CREATE FUNCTION cancel_and_wait(p int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
  s text;
BEGIN
  PERFORM pg_cancel_backend(p);
  LOOP
    PERFORM pg_stat_clear_snapshot();
    SELECT state INTO s FROM pg_stat_activity WHERE pid = p;
    EXIT WHEN s IS DISTINCT FROM 'active' OR clock_timestamp() - t0 > interval '30 s';
    PERFORM pg_sleep(0.005);
  END LOOP;
  RETURN extract(epoch FROM clock_timestamp() - t0);
END $$;
SQL
RECO="SELECT string_agg(item_id || ':' || round(score::numeric, 3), ',' ORDER BY rank) FROM recommend('1', 5, 'shop')"
before=$(q "$DIR" "$PORT" -c "$RECO")

# still_serving LABEL: version 1 is the latest and serves what it served.
still_serving() {
  check "cancel: $1: version 1 still the latest" "1" \
    "$(q "$DIR" "$PORT" -c "SELECT version FROM recsys_models WHERE name = 'shop'")"
  check "cancel: $1: same recommendations as before" "$before" "$(q "$DIR" "$PORT" -c "$RECO")"
}

# family_case LABEL TIMEOUT_MS SOURCE ALGORITHM OPTIONS
family_case() {
  local label=$1 ms=$2 src=$3 algo=$4 opts=$5 t0 t1 out el limit
  t0=$(now)
  out=$(q "$DIR" "$PORT" -c "SET statement_timeout = '${ms}ms'" \
        -c "SELECT recsys_train('shop', '$src', '$algo', '$opts')" 2>&1)
  t1=$(now)
  el=$(secs "$t0" "$t1")
  limit=$(awk -v m="$ms" 'BEGIN { print m / 1000 + 1 }')
  case "$out" in
    *"canceling statement due to statement timeout"*)
      pass "cancel: $label: statement_timeout ${ms}ms stops the training" ;;
    *) fail "cancel: $label: statement_timeout ${ms}ms (got '$out')" ;;
  esac
  if le "$el" "$limit"; then pass "cancel: $label: stopped after ${el}s (limit ${limit}s)"
  else fail "cancel: $label: stopped after ${el}s (limit ${limit}s)"; fi
  still_serving "$label"
}

# timeout_case LABEL TIMEOUT_MS SOURCE OPTIONS: an ALS training.
timeout_case() { family_case "$1" "$2" "$3" als "$4"; }

timeout_case "read phase" 300 big '{"iterations": 50}'
timeout_case "training phase" 2500 slow '{"factors": 512, "iterations": 200}'
timeout_case "side-table read" 300 small '{"items": "SELECT item_id, user_id AS u FROM big"}'

# Every other family, stopped in its training phase (each source reads in
# well under its timeout; popularity trains in a moment, so its timeout
# lands in the read of 3 million rows).
family_case "ease, 8000 items" 2500 wide ease '{"max_memory_mb": 4000}'
family_case "svd, 1000 factors" 2500 wide svd '{"factors": 1000, "power_iterations": 100}'
family_case "itemknn" 3000 dense itemknn '{}'
family_case "bpr" 2000 pairs bpr '{"epochs": 1000}'
family_case "warp" 2000 pairs warp '{"epochs": 1000, "max_sampled": 1000}'
family_case "content" 2500 small content '{"items": "goods"}'
family_case "popularity" 500 big popularity '{}'
family_case "hybrid" 2500 slow hybrid \
  '{"components": {"als": {"weight": 1, "factors": 512, "iterations": 200}, "popularity": 1}}'
family_case "auto" 3000 pairs auto '{}'

# The core's threads live only while a training runs: a backend has as many
# threads after a finished and after a cancelled 4-thread training as before
# (OpenBLAS's own, started when the library loads, are there all along).
tasks="SELECT count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task')"
counts=$(psql -X -q -At -h "$DIR" -p "$PORT" -U postgres -d postgres \
  -c "SELECT recsys_train('t1', 'small', 'als', '{\"threads\": 1}') IS NOT NULL" -c "$tasks" \
  -c "SELECT recsys_train('t4', 'small', 'als', '{\"threads\": 4}') IS NOT NULL" -c "$tasks" \
  -c "SET statement_timeout = '1500ms'" \
  -c "SELECT recsys_train('shop', 'slow', 'als', '{\"threads\": 4, \"factors\": 512, \"iterations\": 200}')" \
  -c "RESET statement_timeout" -c "$tasks" 2>&1 | grep -v -e '^t$' -e 'statement timeout' | tr '\n' ' ')
case "$counts" in
  [0-9]*) set -- $counts
    if [ "$#" = 3 ] && [ "$1" = "$2" ] && [ "$1" = "$3" ]; then
      pass "cancel: threads: none left in the backend after a training, finished or cancelled ($counts)"
    else
      fail "cancel: threads: none left in the backend after a training (threads before, after, after a cancel: $counts)"
    fi ;;
  *) fail "cancel: threads: counting the backend's threads (got '$counts')" ;;
esac
still_serving "threads"

# sql_timeout_case LABEL TIMEOUT_MS SQL: any statement, same checks.
sql_timeout_case() {
  local label=$1 ms=$2 sql=$3 t0 t1 out el limit
  t0=$(now)
  out=$(q "$DIR" "$PORT" -c "SET statement_timeout = '${ms}ms'" -c "$sql" 2>&1)
  t1=$(now)
  el=$(secs "$t0" "$t1")
  limit=$(awk -v m="$ms" 'BEGIN { print m / 1000 + 1 }')
  case "$out" in
    *"canceling statement due to statement timeout"*)
      pass "cancel: $label: statement_timeout ${ms}ms stops it" ;;
    *) fail "cancel: $label: statement_timeout ${ms}ms (got '$out')" ;;
  esac
  if le "$el" "$limit"; then pass "cancel: $label: stopped after ${el}s (limit ${limit}s)"
  else fail "cancel: $label: stopped after ${el}s (limit ${limit}s)"; fi
  still_serving "$label"
}

sql_timeout_case "evaluation, training phase" 2500 \
  "SELECT * FROM recsys_evaluate('SELECT g % 5000 AS user_id, (g::bigint * 7919 + g / 5000) % 2000 AS item_id
     FROM generate_series(1, 300000) g', 'shop', '{\"factors\": 512, \"iterations\": 200}')"

# recommend_batch over 3 million list entries (the 5,000 users of slow,
# 600 times each: about a minute of scoring) stops between blocks.
q "$DIR" "$PORT" -c "SELECT recsys_train('bt', 'slow', 'als', '{\"factors\": 32}') IS NOT NULL" >/dev/null
sql_timeout_case "recommend_batch" 2500 \
  "SELECT count(*) FROM recommend_batch(ARRAY(SELECT (g % 5000)::text FROM generate_series(1, 3000000) g), 10, 'bt')"

# pg_cancel_backend from a second session, once the training is under way.
q "$DIR" "$PORT" -c "SET application_name = 'victim'" \
  -c "SELECT recsys_train('shop', 'slow', 'als', '{\"factors\": 512, \"iterations\": 200}')" \
  >"$DIR/victim.out" 2>&1 &
vpid=$!
pid=""
for i in $(seq 1 300); do
  pid=$(q "$DIR" "$PORT" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'victim'
        AND state = 'active' AND now() - query_start > interval '2 s'")
  [ -n "$pid" ] && break
  sleep 0.1
done
if [ -z "$pid" ]; then
  fail "cancel: pg_cancel_backend: training never got under way"
else
  el=$(q "$DIR" "$PORT" -c "SELECT round(cancel_and_wait($pid)::numeric, 3)")
  echo "cancel: pg_cancel_backend -> backend idle in ${el}s"
  if le "$el" 1; then pass "cancel: pg_cancel_backend stops the training within 1 s (${el}s)"
  else fail "cancel: pg_cancel_backend stops the training within 1 s (${el}s)"; fi
fi
wait "$vpid"
case "$(cat "$DIR/victim.out")" in
  *"canceling statement due to user request"*) pass "cancel: pg_cancel_backend gives the cancel error" ;;
  *) fail "cancel: pg_cancel_backend gives the cancel error (got '$(cat "$DIR/victim.out")')" ;;
esac
still_serving "pg_cancel_backend"

if grep -qE "terminated by signal|server process .* was terminated" "$DIR/server.log"; then
  fail "cancel: no backend crashed"; grep -E "terminated" "$DIR/server.log"
else
  pass "cancel: no backend crashed"
fi
exit $E2E_FAILED
