#!/usr/bin/env bash
# demo-pg.sh [psql connection arguments]: the explorer's demo shop in a
# PostgreSQL database where pg_recsys is installed (CREATE EXTENSION is run
# if needed): demo/gen_shop.c's tables, the four models of demo-db.sh trained
# with the products table, policy "homepage" and a simulated week of its
# traffic (each day's lists dated to that day of the past week; a superuser
# is needed for that, as the log belongs to the extension).
#   explorer/scripts/demo-pg.sh -h localhost -d shop
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build
cc -std=c11 -O2 -Wall -Wextra -Werror -o build/gen_shop demo/gen_shop.c
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
{
  echo "CREATE EXTENSION IF NOT EXISTS pg_recsys;"
  # gen_shop writes SQLite's datetime(n, 'unixepoch'): the same text here
  echo "CREATE FUNCTION pg_temp.datetime(bigint, text) RETURNS text LANGUAGE sql AS
        \$\$ SELECT to_char(to_timestamp(\$1) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') \$\$;"
  echo "SET search_path = public, pg_temp;"
  build/gen_shop | sed 's/datetime(/pg_temp.datetime(/g'
  cat <<'SQL'
CREATE INDEX events_user ON events (user_id);
SELECT recsys_train('shop_als', 'SELECT user_id, item_id, event, ts::timestamp AS ts FROM events', 'als',
  '{"event_weights": {"purchase": 1.0, "cart": 0.5, "view": 0.1}, "purchase_event": "purchase",
    "items": "products", "seed": 42}');
SELECT recsys_train('shop_ease', 'SELECT user_id, item_id, event, ts::timestamp AS ts FROM events', 'ease',
  '{"event_weights": {"purchase": 1.0, "cart": 0.5, "view": 0.1}, "purchase_event": "purchase",
    "items": "products"}');
SELECT recsys_train('shop_itemknn', 'SELECT user_id, item_id, event, ts::timestamp AS ts FROM events', 'itemknn',
  '{"event_weights": {"purchase": 1.0, "cart": 0.5, "view": 0.1}, "purchase_event": "purchase",
    "items": "products"}');
SELECT recsys_train('shop_pop', 'SELECT user_id, item_id, ts::timestamp AS ts FROM events', 'popularity',
  '{"items": "products"}');
SELECT recsys_create_policy('homepage',
  '{"als": {"model": "shop_als"}, "popular": {"model": "shop_pop"}}', 'epsilon_greedy', '{"seed": 42}');
-- a simulated week, 300 requests a day: clicked with probability 0.30 in a
-- liked category, else 0.03 (demo/loop.sh's rule)
SELECT setseed(0.42);
DO $$
DECLARE d int; r record;
BEGIN
  FOR d IN 1..7 LOOP
    FOR r IN
      SELECT q.rid, q.user_id, s.item_id, p.category, c.likes
      FROM (SELECT 'd' || d || '-' || i AS rid, 'c' || lpad((floor(random() * 500))::int::text, 3, '0') AS user_id
            FROM generate_series(1, 300) i) q
      CROSS JOIN LATERAL recommend_logged(q.user_id, 1, 'homepage', '{}', q.rid) s
      JOIN products p ON p.item_id = s.item_id JOIN customers c ON c.user_id = q.user_id
    LOOP
      IF random() < (CASE WHEN position(r.category IN r.likes) > 0 THEN 0.30 ELSE 0.03 END) THEN
        PERFORM recsys_record_outcome(r.user_id, r.item_id, 'click', NULL, r.rid);
      END IF;
    END LOOP;
    UPDATE recsys.impressions SET shown_at = shown_at - make_interval(days => 8 - d)
      WHERE request_id LIKE 'd' || d || '-%';
    UPDATE recsys.outcomes SET occurred_at = occurred_at - make_interval(days => 8 - d)
      WHERE request_id LIKE 'd' || d || '-%';
  END LOOP;
END $$;
SQL
} | psql_q "$@" >/dev/null
echo "explorer: demo shop loaded (models shop_als, shop_ease, shop_itemknn, shop_pop; policy homepage)"
