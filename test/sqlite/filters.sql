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
