#!/usr/bin/env bash
# store.sh - the model table under concurrency and through pg_dump: two
# simultaneous trainings of one model both commit, as consecutive versions;
# pg_dump keeps the models and a restored database serves the same results.
set -u
. "$(dirname "$0")/lib.sh"
DIR=$(mktemp -d /tmp/recsys-e2e-store.XXXXXX)
PORT=${PORT:-55436}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" && e2e_start "$DIR" || { fail "store: cluster start"; exit 1; }

q "$DIR" "$PORT" <<'SQL' >/dev/null || { fail "store: setup"; exit 1; }
CREATE EXTENSION pg_recsys;
CREATE TABLE events AS SELECT 'u' || (g % 300) AS user_id, 'i' || ((g * 7 + g / 300) % 200) AS item_id
  FROM generate_series(1, 60000) g;
SELECT recsys_train('shop', 'events', 'als', '{"threads": 1, "seed": 42}');
SQL

# Two trainings at once: the second waits for the first's version number.
for n in 1 2; do
  q "$DIR" "$PORT" -c "SELECT recsys_train('shop', 'events', 'als', '{\"threads\": 1}')->>'version'" \
    >"$DIR/train$n.out" 2>&1 &
done
wait
got=$(cat "$DIR/train1.out" "$DIR/train2.out" | sort | tr '\n' ' ')
check "store: concurrent trainings of one model get versions 2 and 3" "2 3 " "$got"
check "store: keep_versions (2) keeps versions 2 and 3" "2,3" \
  "$(q "$DIR" "$PORT" -c "SELECT string_agg(version::text, ',' ORDER BY version) FROM recsys.model_store")"

RECO="SELECT string_agg(item_id || ':' || round(score::numeric, 4), ',' ORDER BY rank) FROM recommend('u7', 5, 'shop')"
before=$(q "$DIR" "$PORT" -c "$RECO")
q "$DIR" "$PORT" -c "CREATE DATABASE restored" >/dev/null
if pg_dump -h "$DIR" -p "$PORT" -U postgres -Fc -f "$DIR/dump" postgres 2>"$DIR/dump.err" &&
   pg_restore -h "$DIR" -p "$PORT" -U postgres -d restored "$DIR/dump" 2>"$DIR/restore.err"; then
  pass "store: pg_dump and pg_restore of a database with models"
else
  fail "store: pg_dump and pg_restore ($(cat "$DIR/dump.err" "$DIR/restore.err"))"
fi
after=$(psql -X -At -h "$DIR" -p "$PORT" -U postgres -d restored -c "$RECO" 2>&1)
check "store: the restored database serves the same recommendations" "$before" "$after"
check "store: the restored database keeps both versions" "2,3" \
  "$(psql -X -At -h "$DIR" -p "$PORT" -U postgres -d restored \
     -c "SELECT string_agg(version::text, ',' ORDER BY version) FROM recsys.model_store")"
exit $E2E_FAILED
