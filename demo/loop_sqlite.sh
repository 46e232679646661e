#!/usr/bin/env bash
# recsys feedback-loop demo in SQLite (make demo-loop runs it before the
# PostgreSQL one, demo/loop.sh): the same shop, models, policy and click rule,
# a simulated week in demo/out/loop.db. Each day's requests are served and
# logged in one statement (recommend_logged), then the day's clicks are
# recorded (recsys_record_outcome), which reward the arms: the policy learns
# day by day. SQLite's random() has no seed, so the figures vary a little
# from run to run.
set -euo pipefail
cd "$(dirname "$0")/.."
ext=sqlite_recsys/recsys
[ -f "$ext.so" ] || { echo "demo-loop: $ext.so is missing: run make sqlite" >&2; exit 1; }
DAYS=${DAYS:-7}
PER_DAY=${PER_DAY:-500}
mkdir -p build demo/out
cc -std=c11 -O2 -Wall -Wextra -Werror -o build/gen_shop demo/gen_shop.c
db=demo/out/loop.db
rm -f "$db"
build/gen_shop | sqlite3 "$db"
q() { sqlite3 -cmd ".load $ext" "$db" "$@"; }
start=$(date +%s)

echo "== SQLite: $(q "SELECT count(*) || ' customers, ' || (SELECT count(*) FROM products) || ' products, ' || (SELECT count(*) FROM events) || ' events' FROM customers")"
q > /dev/null <<'SQL'
SELECT recsys_train('shop_als', 'events', 'als',
  '{"event_weights": {"purchase": 1.0, "cart": 0.5, "view": 0.1}, "seed": 42}');
SELECT recsys_train('shop_pop', 'SELECT user_id, item_id FROM events', 'popularity');
SELECT recsys_create_policy('homepage',
  '{"als": {"model": "shop_als"}, "popular": {"model": "shop_pop"}}', 'epsilon_greedy', '{"seed": 42}');
CREATE TABLE likes AS
  WITH RECURSIVE split(user_id, rest, category) AS (
    SELECT user_id, likes || ',', NULL FROM customers
    UNION ALL SELECT user_id, substr(rest, instr(rest, ',') + 1), trim(substr(rest, 1, instr(rest, ',') - 1))
    FROM split WHERE rest <> '')
  SELECT user_id, category FROM split WHERE category IS NOT NULL;
CREATE TABLE served(day INTEGER, request_id TEXT, user_id TEXT, item_id TEXT, source TEXT);
SQL
echo "policy 'homepage': epsilon-greedy (epsilon 0.1) over arms als (shop_als) and popular (shop_pop)"
echo
printf '%-5s %10s %10s %10s %10s %12s\n' day als_shown als_ctr pop_shown pop_ctr als_share
for d in $(seq 1 "$DAYS"); do
  q > /dev/null <<SQL
CREATE TEMP TABLE requests AS
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $PER_DAY)
  SELECT i, 'd$d-' || i AS rid, (SELECT user_id FROM customers LIMIT 1 OFFSET abs(random()) % 500) AS user_id FROM n;
INSERT INTO served SELECT $d, r.request_id, q.user_id, r.item_id, r.source
  FROM requests q, recommend_logged(q.user_id, 1, 'homepage', '{}', q.rid) r;
-- the click rule: 0.30 for a liked category, else 0.03
SELECT count(recsys_record_outcome(s.user_id, s.item_id, 'click', NULL, s.request_id))
  FROM served s JOIN products p USING (item_id)
  WHERE s.day = $d AND (abs(random()) % 1000000) / 1e6 <
    CASE WHEN EXISTS (SELECT 1 FROM likes l WHERE l.user_id = s.user_id AND l.category = p.category)
         THEN 0.30 ELSE 0.03 END;
SQL
  q -separator ' ' "SELECT $d, sum(impressions) FILTER (WHERE arm = 'als'), round(sum(rate) FILTER (WHERE arm = 'als'), 4),
    sum(impressions) FILTER (WHERE arm = 'popular'), round(sum(rate) FILTER (WHERE arm = 'popular'), 4),
    round(sum(impressions) FILTER (WHERE arm = 'als') * 1.0 / sum(impressions), 3)
    FROM recsys_policy_report('homepage')" |
    while read -r day al ac pl pc share; do
      printf '%-5s %10s %10s %10s %10s %12s\n' "$day" "$al" "$ac" "$pl" "$pc" "$share"
    done
done
echo
echo "== SELECT * FROM recsys_policy_report('homepage')"
q -cmd ".mode box" "SELECT arm, model, impressions, rewards AS clicks, round(rate, 4) AS ctr, round(lower, 4) AS lower,
  round(upper, 4) AS upper, p_value, round(probability, 3) AS probability, winner FROM recsys_policy_report('homepage')"
echo "Winner at 95% confidence: $(q "SELECT coalesce((SELECT arm || ' (model ' || model || ')' FROM recsys_policy_report('homepage') WHERE winner), 'none yet')")"
echo
echo "== Offline replay of the week's log"
q -cmd ".mode box" "SELECT m.value AS model, r.estimator, round(r.estimate, 4) AS estimate, round(r.lower, 4) AS lower,
  round(r.upper, 4) AS upper, r.lists, r.matched
  FROM json_each('[\"shop_als\", \"shop_pop\"]') m, recsys_replay(m.value) r ORDER BY 1, 2"
echo "demo-loop (SQLite): $(( $(date +%s) - start )) s"
