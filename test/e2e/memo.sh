#!/usr/bin/env bash
# memo.sh - the result memo (recsys.result_cache) across sessions: session A
# keeps an answer; a retrain in session B gives A the new model's answer at
# its next call (not the kept one), and a revoke in B refuses A's role at its
# next call although the answer is kept.
set -u
. "$(dirname "$0")/lib.sh"
DIR=$(mktemp -d /tmp/recsys-e2e-memo.XXXXXX)
PORT=${PORT:-55451}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" && e2e_start "$DIR" || { fail "memo: cluster start"; exit 1; }

q "$DIR" "$PORT" <<'SQL' >/dev/null || { fail "memo: setup"; exit 1; }
CREATE EXTENSION pg_recsys;
CREATE TABLE ev AS SELECT 'u' || u AS user_id, 'i' || ((u * 7 + j * 3) % 40) AS item_id
  FROM generate_series(0, 29) u, generate_series(0, 7) j;
SELECT recsys_train('m', 'ev', 'als', '{"threads": 1, "seed": 3}');
CREATE ROLE reader;
SELECT recsys_grant('m', 'reader');
SQL

top() { echo "SELECT string_agg(item_id, ',' ORDER BY rank) FROM recommend('u5', 4, 'm');"; }
sess_open A "$DIR" "$PORT"
sess_query A "SET client_min_messages = debug1;" >/dev/null
a1=$(sess_query A "$(top)")
a2=$(sess_query A "$(top)")
case "$a2" in
  *"answer from the result memo"*) pass "memo: session A's second call is kept" ;;
  *) fail "memo: session A's second call is kept (got '$a2')" ;;
esac

# B retrains: A's next call is the new model's answer.
# u5 has now bought the items of its kept answer: the new answer differs.
q "$DIR" "$PORT" -c "SELECT recsys_train('m', format(\$\$SELECT user_id, item_id FROM ev
  UNION ALL SELECT 'u5', unnest(string_to_array(%L, ','))\$\$, '$a1'), 'als', '{\"threads\": 1, \"seed\": 3}')" >/dev/null
new=$(q "$DIR" "$PORT" -c "SET recsys.result_cache = 0" -c "$(top)")
a3=$(sess_query A "$(top)")
check "memo: after B's retrain A serves the new model, computed" "$new" "$a3"
[ "$new" != "$a1" ] && pass "memo: the retrain changed u5's answer ($a1 -> $new)" \
  || fail "memo: the retrain changed u5's answer (both $new)"
a4=$(sess_query A "$(top)")
case "$a4" in
  *"answer from the result memo"*) check "memo: ... then kept again" "$new" "$(echo "$a4" | tail -n 1)" ;;
  *) fail "memo: ... then kept again (got '$a4')" ;;
esac

# A as reader keeps an answer; B revokes: A is refused at its next call.
sess_query A "SET client_min_messages = notice; SET ROLE reader;" >/dev/null
r1=$(sess_query A "$(top)")
check "memo: the reader is served" "$new" "$r1"
q "$DIR" "$PORT" -c "SELECT recsys_revoke('m', 'reader')" >/dev/null
r2=$(sess_query A "$(top)")
case "$r2" in
  *"permission denied"*) pass "memo: a revoke in B refuses A's next call although kept" ;;
  *) fail "memo: a revoke in B refuses A's next call although kept (got '$r2')" ;;
esac
sess_close A
exit $E2E_FAILED
