#!/usr/bin/env bash
# cache.sh - a model retrained or dropped in one session is picked up by
# another, already connected session at its next call, without reconnecting.
set -u
. "$(dirname "$0")/lib.sh"
DIR=$(mktemp -d /tmp/recsys-e2e-cache.XXXXXX)
PORT=${PORT:-55431}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" && e2e_start "$DIR" || { fail "cache: cluster start"; exit 1; }

q "$DIR" "$PORT" <<'SQL' >/dev/null || { fail "cache: setup"; exit 1; }
CREATE EXTENSION pg_recsys;
-- Two datasets whose most popular item differs: p1 in the first, p2 in the second.
CREATE TABLE ev1 AS SELECT 'u' || g AS user_id, CASE WHEN g % 3 = 0 THEN 'p2' ELSE 'p1' END AS item_id
  FROM generate_series(1, 300) g;
CREATE TABLE ev2 AS SELECT 'u' || g AS user_id, CASE WHEN g % 3 = 0 THEN 'p1' ELSE 'p2' END AS item_id
  FROM generate_series(1, 300) g;
SELECT recsys_train('m', 'ev1', 'popularity');
SQL

sess_open A "$DIR" "$PORT"
pid1=$(sess_query A "SELECT pg_backend_pid();")
check "cache: session A serves the first model" "p1" \
  "$(sess_query A "SELECT item_id FROM popular_items(1, 'm');")"

q "$DIR" "$PORT" -c "SELECT recsys_train('m', 'ev2', 'popularity')" >/dev/null
check "cache: session A sees the retrain from session B" "p2" \
  "$(sess_query A "SELECT item_id FROM popular_items(1, 'm');")"
check "cache: ... and serves version 2" "2" \
  "$(sess_query A "SELECT version FROM recsys_models WHERE name = 'm';")"

# An ALS model whose recommendations for u1 differ between the datasets.
q "$DIR" "$PORT" -c "SELECT recsys_train('a', 'SELECT user_id, item_id FROM ev1 UNION ALL SELECT ''u1'', ''p1''', 'als', '{\"threads\": 1}')" >/dev/null
r1=$(sess_query A "SELECT string_agg(item_id, ',') FROM recommend('u3', 2, 'a', '{\"exclude_seen\": false}');")
q "$DIR" "$PORT" -c "SELECT recsys_train('a', 'ev2', 'popularity')" >/dev/null
check "cache: an ALS model replaced by a popularity model is noticed" "popularity" \
  "$(sess_query A "SELECT source FROM recommend('u3', 1, 'a');")"
echo "$r1" | grep -qE '^p[12],p[12]$' && pass "cache: ALS recommendations served before the swap ($r1)" \
  || fail "cache: ALS recommendations before the swap"

# A retrain that is rolled back in B changes nothing in A.
q "$DIR" "$PORT" -c "BEGIN" -c "SELECT recsys_train('m', 'ev1', 'popularity')" -c "ROLLBACK" >/dev/null
check "cache: a rolled-back retrain is not served" "p2" \
  "$(sess_query A "SELECT item_id FROM popular_items(1, 'm');")"

# REPEATABLE READ: A keeps its snapshot's model until its transaction ends,
# then sees the retrain.
sess_query A "BEGIN ISOLATION LEVEL REPEATABLE READ;" >/dev/null
check "cache: repeatable read, before the retrain" "p2" \
  "$(sess_query A "SELECT item_id FROM popular_items(1, 'm');")"
q "$DIR" "$PORT" -c "SELECT recsys_train('m', 'ev1', 'popularity')" >/dev/null
check "cache: repeatable read keeps its snapshot's model" "p2" \
  "$(sess_query A "SELECT item_id FROM popular_items(1, 'm');")"
sess_query A "COMMIT;" >/dev/null
check "cache: after the repeatable read transaction, the retrain is served" "p1" \
  "$(sess_query A "SELECT item_id FROM popular_items(1, 'm');")"

# A drop in B: A now gets the unknown-model error.
q "$DIR" "$PORT" -c "SELECT recsys_drop_model('m')" >/dev/null
out=$(sess_query A "SELECT item_id FROM popular_items(1, 'm');")
case "$out" in
  *'model "m" does not exist'*) pass "cache: a drop in session B is seen by session A" ;;
  *) fail "cache: a drop in session B is seen by session A (got '$out')" ;;
esac

pid2=$(sess_query A "SELECT pg_backend_pid();")
check "cache: session A never reconnected" "$pid1" "$pid2"
sess_close A
exit $E2E_FAILED
