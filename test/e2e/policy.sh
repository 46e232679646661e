#!/usr/bin/env bash
# policy.sh - a policy across sessions: session A keeps a policy's statistics
# for recsys.policy_refresh_ms (its choice does not move when session B
# rewards the other arm), reads them again once that time is up (the choice
# follows the rewards), and sees a policy B drops, or creates, at its next
# call; a role without USAGE on an arm's model is refused the policy.
set -u
. "$(dirname "$0")/lib.sh"
DIR=$(mktemp -d /tmp/recsys-e2e-policy.XXXXXX)
PORT=${PORT:-55452}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" && e2e_start "$DIR" || { fail "policy: cluster start"; exit 1; }

q "$DIR" "$PORT" <<'SQL' >/dev/null || { fail "policy: setup"; exit 1; }
CREATE EXTENSION pg_recsys;
CREATE TABLE ev AS SELECT 'u' || u AS user_id, 'i' || ((u * 7 + j * 3) % 40) AS item_id
  FROM generate_series(0, 29) u, generate_series(0, 7) j;
SELECT recsys_train('m_a', 'ev', 'popularity');
SELECT recsys_train('m_b', 'ev', 'popularity');
-- epsilon 0: always the greedy arm (a, the first, before any statistics)
SELECT recsys_create_policy('p', '{"a": {"model": "m_a"}, "b": {"model": "m_b"}}', 'epsilon_greedy',
  '{"epsilon": 0, "seed": 1}');
SQL

arm() { echo "SELECT substr(source, 5, 1) FROM recommend('u1', 1, 'p');"; }
sess_open A "$DIR" "$PORT"
sess_query A "SET recsys.policy_refresh_ms = 600000;" >/dev/null
check "policy: A serves the greedy arm a" "a" "$(sess_query A "$(arm)")"

# B rewards arm b: A keeps its cached statistics (refresh 10 minutes) ...
q "$DIR" "$PORT" -c "UPDATE recsys.policy_arms SET impressions = 100, rewards = CASE arm WHEN 'b' THEN 40 ELSE 5 END" >/dev/null
check "policy: A's cached statistics hold within recsys.policy_refresh_ms" "a" "$(sess_query A "$(arm)")"
# ... and reads them again once its refresh time is up
sess_query A "SET recsys.policy_refresh_ms = 0;" >/dev/null
check "policy: A follows the rewards once its statistics are read again" "b" "$(sess_query A "$(arm)")"

# B drops the policy: A's next call fails at once; B creates it again: A serves it
q "$DIR" "$PORT" -c "SELECT recsys_drop_policy('p')" >/dev/null
out=$(sess_query A "$(arm)" 2>&1)
case "$out" in
  *'model "p" does not exist'*) pass "policy: a policy dropped in B is gone for A at once" ;;
  *) fail "policy: a policy dropped in B is gone for A at once (got '$out')" ;;
esac
q "$DIR" "$PORT" -c "SELECT recsys_create_policy('p', '{\"z\": {\"model\": \"m_b\"}}')" >/dev/null
check "policy: a policy created in B serves in A at once" "z" "$(sess_query A "$(arm)")"
sess_close A

# USAGE: a role with USAGE on m_b only may not use a policy that also serves m_a
q "$DIR" "$PORT" <<'SQL' >/dev/null
CREATE ROLE reader;
SELECT recsys_grant('m_b', 'reader');
SELECT recsys_create_policy('p2', '{"a": {"model": "m_a"}, "b": {"model": "m_b"}}');
SQL
out=$(q "$DIR" "$PORT" -c "SET ROLE reader" -c "$(arm | sed 's/'"'p'"'/'"'p2'"'/')" 2>&1)
case "$out" in
  *'permission denied for policy "p2"'*) pass "policy: USAGE on every arm's model is needed" ;;
  *) fail "policy: USAGE on every arm's model is needed (got '$out')" ;;
esac
check "policy: a policy of models the role may use serves it" "z" \
  "$(q "$DIR" "$PORT" -c "SET ROLE reader" -c "$(arm)" 2>&1)"
exit $E2E_FAILED
