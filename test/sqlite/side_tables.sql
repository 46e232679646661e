-- Side tables: the "items" and "users" options name a table, view or query
-- with an id column and attribute columns. Cells reach the core by storage
-- class: INTEGER and REAL as numbers, TEXT and BLOB as text; NULL is skipped.
-- The training summary counts what arrived (items_table / users_table).
.headers on
CREATE TABLE side_events AS
  WITH RECURSIVE n(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM n WHERE u < 19),
                 j(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM j WHERE j < 3)
  SELECT 'u' || u AS user_id, 'i' || ((u * 3 + j) % 12) AS item_id FROM n, j;
-- 14 items (two never bought): 3 number columns, 3 text ones, 4 NULL notes.
CREATE TABLE side_items AS
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 13)
  SELECT 'i' || i AS item_id, CASE WHEN i < 6 THEN 'books' ELSE 'games' END AS category,
         9.5 + i AS price, i AS shelf, i % 2 = 0 AS in_stock,
         json_array('t' || (i % 3), 't' || (i % 4)) AS tags, x'00ff' AS code,
         CASE WHEN i % 4 = 0 THEN NULL ELSE 'note ' || i END AS note
  FROM n;
CREATE TABLE side_users AS
  WITH RECURSIVE n(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM n WHERE u < 19)
  SELECT 'u' || u AS user_id, u % 3 AS segment, CASE WHEN u % 2 THEN 'vip' ELSE 'regular' END AS tier
  FROM n;
-- by table name: every column but the id
SELECT json_extract(s, '$.items_table') AS items_table, json_type(s, '$.users_table') AS users_table
FROM (SELECT recsys_train('side', 'side_events', 'popularity', '{"items": "side_items"}') AS s);
-- numbers: REAL, INTEGER (booleans are integers in SQLite); text: TEXT, BLOB
SELECT json_extract(recsys_train('side', 'side_events', 'popularity',
       '{"items": "side_items", "item_features": ["price", "shelf", "in_stock"]}'), '$.items_table') AS items_table;
SELECT json_extract(recsys_train('side', 'side_events', 'popularity',
       '{"items": "side_items", "item_features": ["category", "tags", "code"]}'), '$.items_table') AS items_table;
-- NULL cells are skipped (4 notes)
SELECT json_extract(recsys_train('side', 'side_events', 'popularity',
       '{"items": "side_items", "item_features": ["note"]}'), '$.items_table') AS items_table;
-- by query (SELECT or WITH); rows with a NULL id carry nothing
SELECT json_extract(recsys_train('side', 'side_events', 'popularity',
       '{"items": "SELECT item_id, price FROM side_items WHERE price > 12"}'), '$.items_table') AS items_table;
SELECT json_extract(recsys_train('side', 'side_events', 'popularity',
       '{"items": "WITH x AS (SELECT item_id, category FROM side_items) SELECT * FROM x UNION ALL SELECT NULL, ''toys'';"}'),
       '$.items_table') AS items_table;
-- users too, from a view (and main.name); both summaries
CREATE VIEW side_users_view AS SELECT user_id, segment, tier FROM side_users;
SELECT json_extract(s, '$.items_table') AS items_table, json_extract(s, '$.users_table') AS users_table
FROM (SELECT recsys_train('side', 'side_events', 'popularity',
      '{"items": "side_items", "item_features": ["category"],
        "users": "main.side_users_view", "user_features": ["segment", "tier"]}') AS s);
-- the id column follows item_column / user_column
CREATE TABLE side_skus AS SELECT item_id AS sku, category FROM side_items;
SELECT json_extract(recsys_train('side', 'SELECT user_id, item_id AS sku FROM side_events', 'popularity',
       '{"item_column": "sku", "items": "side_skus"}'), '$.items_table') AS items_table;
-- ALS ignores attributes: trains and serves as before
SELECT json_extract(s, '$.algorithm') AS algorithm, json_extract(s, '$.items_table.entities') AS entities
FROM (SELECT recsys_train('side_als', 'side_events', 'als',
      '{"threads": 1, "seed": 1, "factors": 4, "items": "side_items", "users": "side_users"}') AS s);
SELECT count(*) FROM recommend('u1', 3, 'side_als');
-- mistakes are errors before anything is read
SELECT recsys_train('side', 'side_events', 'popularity', '{"items": "side_nope"}');
SELECT recsys_train('side', 'side_events', 'popularity', '{"users": "nope.side_users"}');
SELECT recsys_train('side', 'side_events', 'popularity', '{"items": "side_users"}');
SELECT recsys_train('side', 'side_events', 'popularity', '{"users": "SELECT segment FROM side_users"}');
SELECT recsys_train('side', 'side_events', 'popularity',
                    '{"items": "side_items", "item_features": ["category", "colour"]}');
SELECT recsys_train('side', 'side_events', 'popularity',
                    '{"users": "side_users", "user_features": ["age"]}');
SELECT recsys_train('side', 'side_events', 'popularity', '{"items": "SELECT item_id FROM side_items WHERE"}');
SELECT recsys_train('side', 'side_events', 'popularity', '{"items": "SELECT 1 AS item_id; DROP TABLE side_items"}');
SELECT recsys_train('side', 'side_events', 'popularity', '{"items": 42}');
SELECT recsys_train('side', 'side_events', 'popularity', '{"item_features": "price"}');
-- the failed trainings stored nothing
SELECT name, version FROM recsys_models ORDER BY name;
SELECT recsys_drop_model('side');
SELECT recsys_drop_model('side_als');
-- A hybrid with a content component (issue 13 A4): the top-level "items"
-- reaches every component, and "items" inside the component works too.
SELECT json_extract(s, '$.params.components') AS components, json_extract(s, '$.items_table.entities') AS entities
FROM (SELECT recsys_train('side_h', 'side_events', 'hybrid',
      '{"items": "side_items", "threads": 1, "components": {"als": 0.5, "popularity": 0.3, "content": 0.2}}') AS s);
-- content contributes: side-table-only items (i12, i13: nobody bought them)
-- come from it, and rows name the component
SELECT source, count(*) AS n FROM recommend('u3', 14, 'side_h') GROUP BY source ORDER BY source;
SELECT item_id, score > 0 AS positive, source FROM recommend('u3', 14, 'side_h')
WHERE item_id IN ('i12', 'i13') ORDER BY item_id;
-- (the hybrid reads every column, which als takes; content keeps its two)
SELECT json_extract(s, '$.items_table.columns') AS columns
FROM (SELECT recsys_train('side_h', 'side_events', 'hybrid',
      '{"threads": 1, "components": {"als": 0.5, "popularity": 0.3,
        "content": {"weight": 0.2, "items": "side_items", "item_features": ["category", "tags"]}}}') AS s);
SELECT item_id, score > 0 AS positive, source FROM recommend('u3', 14, 'side_h')
WHERE item_id IN ('i12', 'i13') ORDER BY item_id;
-- the components share one items table
SELECT recsys_train('side_h', 'side_events', 'hybrid',
       '{"items": "side_items", "components": {"als": 0.5, "content": {"weight": 0.2, "items": "side_users"}}}');
SELECT recsys_drop_model('side_h');
