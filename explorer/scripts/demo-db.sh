#!/usr/bin/env bash
# demo-db.sh DB: the explorer's demo shop in SQLite (make explorer runs it when
# DB is missing). demo/gen_shop.c's shop, four models trained with the
# products table (so prices and categories filter), a policy over two of them
# and a simulated week of its traffic, so every page has something to show.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=${1:?usage: demo-db.sh DB}
ext=sqlite_recsys/recsys
[ -f "$ext.so" ] || { echo "demo-db: $ext.so is missing: run make sqlite" >&2; exit 1; }
mkdir -p build "$(dirname "$db")"
cc -std=c11 -O2 -Wall -Wextra -Werror -o build/gen_shop demo/gen_shop.c
tmp=$db.tmp
rm -f "$tmp"
build/gen_shop | sqlite3 "$tmp"
q() { sqlite3 -cmd ".load $ext" "$tmp" "$@"; }
q > /dev/null <<'SQL'
CREATE INDEX events_user ON events (user_id);
SELECT recsys_train('shop_als', 'events', 'als',
  '{"event_weights": {"purchase": 1.0, "cart": 0.5, "view": 0.1}, "purchase_event": "purchase",
    "items": "products", "seed": 42}');
SELECT recsys_train('shop_ease', 'events', 'ease',
  '{"event_weights": {"purchase": 1.0, "cart": 0.5, "view": 0.1}, "purchase_event": "purchase",
    "items": "products"}');
SELECT recsys_train('shop_itemknn', 'events', 'itemknn',
  '{"event_weights": {"purchase": 1.0, "cart": 0.5, "view": 0.1}, "purchase_event": "purchase",
    "items": "products"}');
SELECT recsys_train('shop_pop', 'SELECT user_id, item_id, ts FROM events', 'popularity',
  '{"items": "products"}');
SELECT recsys_set_default_model('shop_als');
SELECT recsys_create_policy('homepage',
  '{"als": {"model": "shop_als"}, "popular": {"model": "shop_pop"}}', 'epsilon_greedy', '{"seed": 42}');
SQL
# A simulated week through the policy, as demo/loop_sqlite.sh: 300 requests a
# day, clicked with probability 0.30 in a liked category, else 0.03. Each
# day's lists are then dated to that day of the past week: the log's
# functions stamp the present, and the CTR chart wants days.
for d in 1 2 3 4 5 6 7; do
  q > /dev/null <<SQL
CREATE TEMP TABLE served(day INTEGER, request_id TEXT, user_id TEXT, item_id TEXT);
CREATE TEMP TABLE likes AS
  WITH RECURSIVE split(user_id, rest, category) AS (
    SELECT user_id, likes || ',', NULL FROM customers
    UNION ALL SELECT user_id, substr(rest, instr(rest, ',') + 1), trim(substr(rest, 1, instr(rest, ',') - 1))
    FROM split WHERE rest <> '')
  SELECT user_id, category FROM split WHERE category IS NOT NULL;
CREATE TEMP TABLE requests AS
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
  SELECT 'd$d-' || i AS rid, (SELECT user_id FROM customers LIMIT 1 OFFSET abs(random()) % 500) AS user_id FROM n;
INSERT INTO served SELECT $d, r.request_id, q.user_id, r.item_id
  FROM requests q, recommend_logged(q.user_id, 1, 'homepage', '{}', q.rid) r;
SELECT count(recsys_record_outcome(s.user_id, s.item_id, 'click', NULL, s.request_id))
  FROM served s JOIN products p USING (item_id)
  WHERE (abs(random()) % 1000000) / 1e6 <
    CASE WHEN EXISTS (SELECT 1 FROM likes l WHERE l.user_id = s.user_id AND l.category = p.category)
         THEN 0.30 ELSE 0.03 END;
UPDATE recsys_impressions SET shown_at = datetime(shown_at, '-$((8 - d)) days') WHERE request_id LIKE 'd$d-%';
UPDATE recsys_outcomes SET occurred_at = datetime(occurred_at, '-$((8 - d)) days') WHERE request_id LIKE 'd$d-%';
SQL
done
mv "$tmp" "$db"
echo "explorer: demo shop in $db (models shop_als, shop_ease, shop_itemknn, shop_pop; policy homepage)"
