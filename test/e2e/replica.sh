#!/usr/bin/env bash
# replica.sh - models replicate: recommend() works on a hot standby, and a
# session there that is already connected picks up a retrain made on the
# primary (the relcache invalidation travels in the commit record).
set -u
. "$(dirname "$0")/lib.sh"
P=$(mktemp -d /tmp/recsys-e2e-pri.XXXXXX)
S=$(mktemp -d /tmp/recsys-e2e-sby.XXXXXX)
PPORT=${PORT:-55434}
SPORT=$((PPORT + 1))
trap e2e_cleanup EXIT
e2e_init "$P" "$PPORT" "listen_addresses = '127.0.0.1'" && e2e_start "$P" \
  || { fail "replica: primary start"; exit 1; }
[ "$(id -u)" -eq 0 ] && chown postgres "$S"
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PPORT" -U postgres -D "$S/data" \
  -R -X stream -c fast >"$S/basebackup.log" 2>&1 || { cat "$S/basebackup.log"; fail "replica: basebackup"; exit 1; }
printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = ''\n" "$SPORT" "$S" \
  >>"$S/data/postgresql.conf"
e2e_start "$S" || { fail "replica: standby start"; exit 1; }

# catch_up: wait (up to 30 s) until the standby replayed the primary's WAL.
catch_up() {
  local lsn i
  lsn=$(q "$P" "$PPORT" -c "SELECT pg_current_wal_lsn()")
  for i in $(seq 1 300); do
    [ "$(q "$S" "$SPORT" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] && return 0
    sleep 0.1
  done
  return 1
}

q "$P" "$PPORT" <<'SQL' >/dev/null || { fail "replica: setup"; exit 1; }
CREATE EXTENSION pg_recsys;
CREATE TABLE ev1 AS SELECT 'u' || g AS user_id, CASE WHEN g % 3 = 0 THEN 'p2' ELSE 'p1' END AS item_id
  FROM generate_series(1, 300) g;
CREATE TABLE ev2 AS SELECT 'u' || g AS user_id, CASE WHEN g % 3 = 0 THEN 'p1' ELSE 'p2' END AS item_id
  FROM generate_series(1, 300) g;
-- 20 users with 7 distinct items each, for recsys_evaluate()
CREATE TABLE ev3 AS SELECT 'u' || (g % 20) AS user_id, 'i' || (g % 7) AS item_id
  FROM generate_series(0, 139) g;
SELECT recsys_train('m', 'ev1', 'popularity');
SQL
catch_up || fail "replica: standby catches up"

sess_open R "$S" "$SPORT"
check "replica: the standby is in recovery" "t" "$(sess_query R "SELECT pg_is_in_recovery();")"
check "replica: recommend() works on the standby" "p1|popularity (unknown user)" \
  "$(sess_query R "SELECT item_id, source FROM recommend('new-user', 1);")"

q "$P" "$PPORT" -c "SELECT recsys_train('m', 'ev2', 'popularity')" >/dev/null
catch_up || fail "replica: standby catches up after the retrain"
check "replica: a connected standby session sees the retrain" "p2" \
  "$(sess_query R "SELECT item_id FROM popular_items(1);")"
check "replica: ... as version 2" "2" "$(sess_query R "SELECT version FROM recsys_models;")"

out=$(sess_query R "SELECT recsys_train('m', 'ev1', 'popularity');")
case "$out" in
  *"read-only transaction"*) pass "replica: training on the standby is refused (read-only)" ;;
  *) fail "replica: training on the standby is refused (got '$out')" ;;
esac
# Evaluation records replicate; on the standby a model is evaluated but
# the record is skipped (read-only).
q "$P" "$PPORT" -c "SELECT k FROM recsys_evaluate('ev3', 'm', '{}', 3)" >/dev/null
catch_up || fail "replica: standby catches up after the evaluation"
check "replica: the evaluation record replicates" "3" \
  "$(sess_query R "SELECT last_evaluation->>'k' FROM recsys_models;")"
check "replica: recsys_evaluate() works on the standby, with a NOTICE" \
  "$(printf 'NOTICE:  evaluation of model "m" not recorded\nDETAIL:  The transaction is read-only.\n4|20')" \
  "$(sess_query R "SELECT k, test_users FROM recsys_evaluate('ev3', 'm', '{}', 4);")"
check "replica: ... without touching the record" "3" \
  "$(sess_query R "SELECT last_evaluation->>'k' FROM recsys_models;")"
# An imported model replicates like a trained one; importing is the primary's.
q "$P" "$PPORT" <<'SQL' >/dev/null || fail "replica: recsys_import on the primary"
CREATE TABLE vu AS SELECT g AS id, ARRAY[g, 1]::real[] AS features FROM generate_series(1, 3) g;
CREATE TABLE vi AS SELECT g AS id, ARRAY[1, -g]::real[] AS features FROM generate_series(1, 4) g;
SELECT recsys_import('imp', 'vu', 'vi');
SQL
catch_up || fail "replica: standby catches up after the import"
check "replica: an imported model serves on the standby" "1|2|imported" \
  "$(sess_query R "SELECT item_id, score, source FROM recommend('3', 1, 'imp');")"
out=$(sess_query R "SELECT recsys_import('imp', 'vu', 'vi');")
case "$out" in
  *"read-only transaction"*) pass "replica: importing on the standby is refused (read-only)" ;;
  *) fail "replica: importing on the standby is refused (got '$out')" ;;
esac
# progress reports work on the standby (an evaluation of an algorithm)
out=$(sess_query R "SELECT k FROM recsys_evaluate('ev3', 'popularity', '{\"progress\": \"notice\"}', 4);")
check "replica: an evaluation on the standby reports its progress" "1 4" \
  "$(echo "$out" | grep -c '^NOTICE:  recsys: evaluate "popularity": done, ') $(echo "$out" | tail -1)"
# The feedback loop logs on the primary; a standby serves with recommend()
# and refuses to log, saying so (25006).
out=$(sess_query R "SELECT item_id FROM recommend_logged('new-user', 1, 'm');")
case "$out" in
  *"read-only transaction (this server is a standby)"*"Use recommend()"*)
    pass "replica: recommend_logged() on the standby is refused, pointing to recommend()" ;;
  *) fail "replica: recommend_logged() on the standby is refused (got '$out')" ;;
esac
out=$(sess_query R "SELECT recsys_record_outcome('new-user', 'p1', 'click');")
case "$out" in
  *"read-only transaction"*) pass "replica: recsys_record_outcome() on the standby is refused" ;;
  *) fail "replica: recsys_record_outcome() on the standby is refused (got '$out')" ;;
esac
q "$P" "$PPORT" -c "SELECT count(*) FROM recommend_logged('new-user', 2, 'm', '{}', 'r1')" >/dev/null ||
  fail "replica: recommend_logged() on the primary"
catch_up || fail "replica: standby catches up after logging"
check "replica: impressions replicate and the views read them on the standby" "2" \
  "$(sess_query R "SELECT sum(impressions) FROM recsys_impression_stats;")"
sess_close R
exit $E2E_FAILED
