#!/usr/bin/env bash
# bench/policy_pg.sh - what naming a policy instead of a model costs per
# recommend() call in PostgreSQL (README "Policies and experiments"), in a
# throw-away cluster of its own: microseconds per call of recommend(user, 10,
# <model>) and of the same through an epsilon-greedy, a Thompson and a split
# policy whose arms are that model, timed inside the server (a plpgsql loop
# of CALLS calls, so no client round trip), best of three alternating runs;
# with the per-backend answer memo on (the default: known users repeat) and
# off (every call scores). Prints; asserts nothing.
# Usage: PGBIN=/path/to/pg/bin bench/policy_pg.sh   (needs make install there)
# Env: CALLS (default 20000).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/e2e/lib.sh
CALLS=${CALLS:-20000}
DIR=$(mktemp -d /tmp/recsys-policy-bench.XXXXXX)
PORT=${PORT:-55473}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" >/dev/null && e2e_start "$DIR"
psql_b() { q "$DIR" "$PORT" "$@"; }

echo "# Policy choice bench ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
psql_b > /dev/null <<SQL
CREATE EXTENSION pg_recsys;
SELECT setseed(0.5);
CREATE TABLE ev AS SELECT 'u' || (random() * 2000)::int AS user_id, 'i' || (random() * 500)::int AS item_id
FROM generate_series(1, 60000);
SELECT recsys_train('m', 'ev', 'als', '{"threads": 2, "seed": 1}');
SELECT recsys_train('m2', 'ev', 'als', '{"threads": 2, "seed": 2}');
SELECT recsys_create_policy('p_eps', '{"a": {"model": "m"}, "b": {"model": "m2"}}', 'epsilon_greedy', '{"seed": 1}');
SELECT recsys_create_policy('p_ts', '{"a": {"model": "m"}, "b": {"model": "m2"}}', 'thompson', '{"seed": 1}');
SELECT recsys_create_policy('p_split', '{"a": {"model": "m"}, "b": {"model": "m2"}}', 'split', '{"seed": 1}');
UPDATE recsys.policy_arms SET impressions = 10000, rewards = CASE arm WHEN 'a' THEN 500 ELSE 520 END;
CREATE FUNCTION per_call(name text, n int) RETURNS double precision LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  PERFORM count(*) FROM generate_series(1, n) g, LATERAL recommend('u' || (g % 2000), 10, name) r;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6 / n;
END \$\$;
SQL
echo
echo "| served as | memo on: us / call | memo off: us / call |"
echo "| --- | --- | --- |"
for memo in 10000 0; do
  # best of three alternating rounds, in one backend (the policy cache warm)
  psql_b -c "SET recsys.result_cache = $memo" -c "SELECT per_call('m', 2000)" > /dev/null
  psql_b -F ' ' -c "SET recsys.result_cache = $memo" -c "
    SELECT name, round(min(us)::numeric, 2) FROM (
      SELECT name, per_call(name, $CALLS) AS us
      FROM generate_series(1, 3) r, unnest(ARRAY['m', 'p_eps', 'p_ts', 'p_split']) WITH ORDINALITY n(name, o)
      ORDER BY r, o) s GROUP BY name ORDER BY name" > "$DIR/memo$memo.txt"
done
for n in m p_eps p_ts p_split; do
  on=$(awk -v n="$n" '$1 == n { print $2 }' "$DIR/memo10000.txt")
  off=$(awk -v n="$n" '$1 == n { print $2 }' "$DIR/memo0.txt")
  case $n in m) label="model m";; p_eps) label="policy, epsilon_greedy";; p_ts) label="policy, thompson";;
    p_split) label="policy, split";; esac
  echo "| $label | $on | $off |"
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
