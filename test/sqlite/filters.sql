-- recommend()'s business filters: prices and categories come from the items
-- table given at training; exactly k rows while enough items pass, fewer
-- (never an error) when they do not.
.headers on
CREATE TABLE f_events AS
  WITH RECURSIVE u(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM u WHERE u < 19),
                 i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < 15)
  SELECT 'u' || u AS user_id, 'i' || i AS item_id FROM u, i
  WHERE (u < 10) = (i < 8) AND i % 8 <> u % 8;
CREATE TABLE f_items AS
  WITH RECURSIVE i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < 15)
  SELECT 'i' || i AS item_id, i AS price, 'c' || (i % 4) AS category FROM i;
SELECT recsys_train('f_shop', 'f_events', 'als',
                    '{"items": "f_items", "threads": 1, "factors": 4}') IS NOT NULL AS trained;
SELECT recsys_train('f_plain', 'f_events', 'als', '{"threads": 1, "factors": 4}') IS NOT NULL AS trained;
-- u1 has seen i0, i2..i7; prices are the item numbers, categories c0..c3
SELECT count(*) AS rows, min(CAST(substr(item_id, 2) AS integer) >= 9) AS all_at_least_9
  FROM recommend('u1', 5, 'f_shop', '{"price_min": 9}');
SELECT item_id FROM recommend('u1', 5, 'f_shop', '{"price_max": 2}');
SELECT item_id FROM recommend('u1', 5, 'f_shop', '{"categories": ["c3"]}') ORDER BY item_id;
SELECT count(*) AS rows, min(CAST(substr(item_id, 2) AS integer) % 4 <> 3) AS no_c3
  FROM recommend('u1', 5, 'f_shop', '{"exclude_categories": ["c3"]}');
SELECT count(*) AS rows, min(item_id NOT IN ('i8', 'i9')) AS excluded
  FROM recommend('u1', 5, 'f_plain', '{"exclude_items": ["i8", "i9", "nope"]}');
SELECT count(*) AS rows FROM recommend('u1', 5, 'f_shop',
  '{"price_min": 10, "price_max": 13, "exclude_categories": ["c2"]}');
-- an unknown user gets filtered popular items
SELECT count(*) AS rows, min(CAST(substr(item_id, 2) AS integer) <= 3) AS cheap
  FROM recommend('nobody', 3, 'f_shop', '{"price_max": 3}');
-- errors
SELECT * FROM recommend('u1', 5, 'f_plain', '{"price_min": 9}');
SELECT * FROM recommend('u1', 5, 'f_plain', '{"categories": ["c3"]}');
SELECT * FROM recommend('u1', 5, 'f_shop', '{"price_min": "9"}');
SELECT * FROM recommend('u1', 5, 'f_shop', '{"categories": "c3"}');
SELECT * FROM recommend('u1', 5, 'f_shop', '{"exclude_items": [1]}');
-- Prices stored as text (issue 13 A5; what `sqlite3 .import` creates): numeric
-- text is a price, anything else is unknown and counted in the summary.
CREATE TABLE f_text_items (item_id TEXT, price TEXT, category TEXT);
INSERT INTO f_text_items
  WITH RECURSIVE i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < 15)
  SELECT 'i' || i, CASE i WHEN 0 THEN '' WHEN 1 THEN 'n/a' WHEN 2 THEN '12 EUR' WHEN 3 THEN NULL
                          WHEN 4 THEN ' 7 ' WHEN 5 THEN '1e2' ELSE CAST(i AS TEXT) || '.50' END,
         'c' || (i % 4) FROM i;
SELECT typeof(price) AS stored, count(*) AS n FROM f_text_items GROUP BY 1 ORDER BY 1;
SELECT json_extract(recsys_train('f_text', 'f_events', 'als',
       '{"items": "f_text_items", "threads": 1, "factors": 4}'), '$.prices') AS prices;
-- i4 costs 7, i5 100, i6..i15 6.50..15.50; unparsed and missing prices never pass
SELECT item_id FROM recommend('u1', 16, 'f_text', '{"price_max": 9, "exclude_seen": false}') ORDER BY item_id;
SELECT item_id FROM recommend('u11', 16, 'f_text', '{"price_min": 99, "exclude_seen": false}');
SELECT count(*) AS rows FROM recommend('u1', 16, 'f_text', '{"price_min": 0, "exclude_seen": false}');
-- the same through `.import` of a CSV file (every column TEXT)
.import --csv test/sqlite/fixtures/prices.csv f_csv_items
SELECT typeof(price) AS stored, count(*) AS n FROM f_csv_items GROUP BY 1;
SELECT json_extract(recsys_train('f_text', 'f_events', 'als',
       '{"items": "f_csv_items", "threads": 1, "factors": 4}'), '$.prices') AS prices;
SELECT item_id FROM recommend('u1', 16, 'f_text', '{"price_max": 5, "exclude_seen": false}') ORDER BY item_id;
-- a model whose items all lack a price: an error naming it, not 0 rows
CREATE TABLE f_noprice AS SELECT item_id, 'n/a' AS price, category FROM f_items;
SELECT json_extract(recsys_train('f_text', 'f_events', 'als',
       '{"items": "f_noprice", "threads": 1, "factors": 4}'), '$.prices') AS prices;
SELECT * FROM recommend('u1', 5, 'f_text', '{"price_max": 10}');
SELECT * FROM recommend('u1', 5, 'f_text', '{"upsell": 0.5}');
SELECT * FROM recommend('u1', 5, 'f_text', '{"price_sensitivity": true}');
-- an empty price range is an error, not 0 rows
SELECT * FROM recommend('u1', 5, 'f_shop', '{"price_min": 50, "price_max": 10}');
SELECT count(*) AS rows FROM recommend('u1', 5, 'f_shop', '{"price_min": 10, "price_max": 10}');
SELECT recsys_drop_model('f_text');
-- popular_items with recommend()'s filters, a measure and a time window
-- (issue 13 A7): "popular coffee under 7" is one call. 30 users x 20 items,
-- item i costs i / 2, coffee when i % 3 = 0; a pair's time is its day.
CREATE TABLE p_events AS
  WITH RECURSIVE u(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM u WHERE u < 29),
                 i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < 19)
  SELECT 'u' || u AS user_id, 'i' || i AS item_id, 1 + u % 3 AS weight,
         1700000000 + 86400 * ((u * 7 + i * 3) % 40) AS ts
  FROM u, i WHERE (u * i + u + 2 * i) % 5 < 2 OR u < i / 2;
CREATE TABLE p_items AS
  WITH RECURSIVE i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < 19)
  SELECT 'i' || i AS item_id, i / 2.0 AS price,
         CASE i % 3 WHEN 0 THEN 'coffee' WHEN 1 THEN 'tea' ELSE 'cocoa' END AS category FROM i;
-- weighting raw: the measure "weight" sums the raw weights the model keeps
SELECT recsys_train('p_shop', 'p_events', 'als', '{"items": "p_items", "threads": 1, "factors": 4, "weighting": "raw"}') IS NOT NULL AS trained;
-- 5 coffees cost 7 or less (i0 i3 i6 i9 i12): all 5 rows, by distinct users
SELECT p.item_id, p.score, p.rank, i.category, i.price,
       (SELECT count(DISTINCT user_id) FROM p_events e WHERE e.item_id = p.item_id) AS users
FROM popular_items(5, 'p_shop', '{"categories": ["coffee"], "price_max": 7}') p JOIN p_items i USING (item_id)
ORDER BY p.rank;
-- the filters keep k rows while enough items pass; the measure "weight" sums weights
SELECT count(*) AS n, min(i.category <> 'tea') AS no_tea, min(p.item_id NOT IN ('i0', 'i2')) AS excluded
FROM popular_items(8, 'p_shop', '{"exclude_categories": ["tea"], "exclude_items": ["i0", "i2"], "price_min": 1}') p
JOIN p_items i USING (item_id);
SELECT count(*) AS n, sum(p.score = (SELECT sum(weight) FROM p_events e WHERE e.item_id = p.item_id)) AS summed
FROM popular_items(10, 'p_shop', '{"measure": "weight"}') p;
SELECT count(*) AS n, sum(p.score = (SELECT count(DISTINCT user_id) FROM p_events e WHERE e.item_id = p.item_id)) AS users
FROM popular_items(10, 'p_shop', '{"measure": "users"}') p;
-- a window: the pairs whose (latest) time is in the 10 days up to now
SELECT count(*) AS n, sum(p.score = (SELECT count(*) FROM p_events e WHERE e.item_id = p.item_id
                                      AND e.ts > 1700000000 + 86400 * 20 AND e.ts <= 1700000000 + 86400 * 30)) AS in_window
FROM popular_items(20, 'p_shop', '{"window_days": 10, "now": 1702592000}') p;
SELECT item_id, score, rank FROM popular_items(3, 'p_shop',
  '{"window_days": 10, "now": 1702592000, "measure": "weight", "categories": ["cocoa"]}');
-- errors: a model trained without time, unknown measure and option
SELECT * FROM popular_items(3, 'f_shop', '{"window_days": 30}');
SELECT * FROM popular_items(3, 'p_shop', '{"measure": "revenue"}');
-- a model whose weighting changed the pair values cannot sum the raw weights
SELECT recsys_train('p_bin', 'p_events', 'als', '{"threads": 1, "factors": 4}') IS NOT NULL AS trained;
SELECT * FROM popular_items(3, 'p_bin', '{"measure": "weight"}');
SELECT * FROM popular_items(3, 'p_shop', '{"window_days": 0}');
SELECT * FROM popular_items(3, 'p_shop', '{"upsell": 1}');
SELECT * FROM popular_items(3, 'p_shop', '{"price_min": 5, "price_max": 1}');
SELECT recsys_drop_model('p_shop'), recsys_drop_model('p_bin');
