#!/usr/bin/env bash
# serve_during_retrain.sh - pgbench serves recommend() and popular_items()
# from 4 clients while another session retrains the model 12 times, switching
# between ALS and popularity with recsys.keep_versions = 1 (each training
# prunes the version the clients may just have cached). No call may fail and
# no backend may crash.
set -u
. "$(dirname "$0")/lib.sh"
DIR=$(mktemp -d /tmp/recsys-e2e-serve.XXXXXX)
PORT=${PORT:-55437}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" && e2e_start "$DIR" || { fail "serve: cluster start"; exit 1; }
command -v pgbench >/dev/null || { fail "serve: pgbench missing"; exit 1; }

q "$DIR" "$PORT" <<'SQL' >/dev/null || { fail "serve: setup"; exit 1; }
CREATE EXTENSION pg_recsys;
CREATE TABLE events AS SELECT (g % 900)::text AS user_id, ((g * 7919) % 1500)::text AS item_id
  FROM generate_series(1, 100000) g;
SELECT recsys_train('live', 'events', 'als', '{"factors": 16, "iterations": 3}');
SQL
cat >"$DIR/bench.sql" <<'EOF2'
\set u random(1, 1000)
SELECT * FROM recommend(:u::text, 10, 'live');
SELECT * FROM popular_items(5, 'live');
EOF2

(
  for i in $(seq 1 12); do
    if [ $((i % 2)) -eq 0 ]; then alg=als; opts='{"factors": 16, "iterations": 3}'; else alg=popularity; opts='{}'; fi
    q "$DIR" "$PORT" -c "SET recsys.keep_versions = 1" \
      -c "SELECT recsys_train('live', 'events', '$alg', '$opts')" >/dev/null || echo "retrain $i failed"
    sleep 0.3
  done
) >"$DIR/retrain.out" 2>&1 &
rpid=$!
pgbench -n -M prepared -c 4 -j 2 -T 10 -h "$DIR" -p "$PORT" -U postgres -f "$DIR/bench.sql" postgres \
  >"$DIR/pgbench.out" 2>&1
brc=$?
wait $rpid

failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$DIR/pgbench.out")
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$DIR/pgbench.out" | cut -d. -f1)
if [ $brc -eq 0 ] && [ "${failed:-x}" = 0 ]; then
  pass "serve: 4 clients served without a failure during retrains (${tps} tps)"
else
  fail "serve: clients failed during retrains"; cat "$DIR/pgbench.out"
fi
check "serve: all 12 retrains committed" "13" \
  "$(q "$DIR" "$PORT" -c "SELECT version FROM recsys_models WHERE name = 'live'")"
[ -s "$DIR/retrain.out" ] && { fail "serve: retrain errors"; cat "$DIR/retrain.out"; }
if grep -qE "terminated by signal" "$DIR/server.log"; then fail "serve: no backend crashed"
else pass "serve: no backend crashed"; fi
exit $E2E_FAILED
