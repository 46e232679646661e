-- Side tables: the "items" and "users" options name a table, view or query
-- with an id column and attribute columns. Numeric columns reach the core as
-- numbers, every other type as its text form; the training summary counts
-- what arrived (items_table / users_table).
CREATE TABLE side_events AS
SELECT 'u' || u AS user_id, 'i' || ((u * 3 + j) % 12) AS item_id
FROM generate_series(0, 19) u, generate_series(0, 3) j;
-- 14 items (two never bought): 3 numeric columns, 4 others, 4 NULL notes.
CREATE TABLE side_items AS
SELECT 'i' || i AS item_id,
       CASE WHEN i < 6 THEN 'books' ELSE 'games' END AS category,
       (9.5 + i)::numeric(6, 2) AS price, i::smallint AS shelf, (i / 2.0)::float4 AS rating,
       ARRAY['t' || (i % 3), 't' || (i % 4)] AS tags, i % 2 = 0 AS in_stock,
       CASE WHEN i % 4 = 0 THEN NULL ELSE 'note ' || i END AS note
FROM generate_series(0, 13) i;
CREATE TABLE side_users AS
SELECT 'u' || u AS user_id, u % 3 AS segment, u % 2 = 0 AS vip FROM generate_series(0, 19) u;

-- By table name: every column but the id.
SELECT s->'items_table' AS items_table, s ? 'users_table' AS has_users_table
FROM recsys_train('side', 'side_events', 'popularity', '{"items": "side_items"}') s;
-- Numbers: numeric, smallint, real; text: text, text[], boolean.
SELECT s->'items_table' AS items_table
FROM recsys_train('side', 'side_events', 'popularity',
                  '{"items": "side_items", "item_features": ["price", "shelf", "rating"]}') s;
SELECT s->'items_table' AS items_table
FROM recsys_train('side', 'side_events', 'popularity',
                  '{"items": "side_items", "item_features": ["category", "tags", "in_stock"]}') s;
-- NULL cells are skipped (4 notes).
SELECT s->'items_table' AS items_table
FROM recsys_train('side', 'side_events', 'popularity',
                  '{"items": "side_items", "item_features": ["note"]}') s;

-- By query (SELECT or WITH), and rows with a NULL id carry nothing.
SELECT s->'items_table' AS items_table
FROM recsys_train('side', 'side_events', 'popularity',
                  '{"items": "SELECT item_id, price FROM side_items WHERE price > 12"}') s;
SELECT s->'items_table' AS items_table
FROM recsys_train('side', 'side_events', 'popularity',
                  '{"items": "WITH x AS (SELECT item_id, category FROM side_items) SELECT * FROM x UNION ALL SELECT NULL, ''toys'';"}') s;

-- Users too, with the schema-qualified name of a view; both summaries.
CREATE VIEW side_users_view AS SELECT user_id, segment, vip FROM side_users;
SELECT s->'items_table' AS items_table, s->'users_table' AS users_table
FROM recsys_train('side', 'side_events', 'popularity',
                  '{"items": "side_items", "item_features": ["category"],
                    "users": "public.side_users_view", "user_features": ["segment", "vip"]}') s;

-- The id column follows item_column / user_column.
CREATE TABLE side_skus AS SELECT item_id AS sku, category FROM side_items;
SELECT s->'items_table' AS items_table
FROM recsys_train('side', 'SELECT user_id, item_id AS sku FROM side_events', 'popularity',
                  '{"item_column": "sku", "items": "side_skus"}') s;

-- ALS ignores attributes: trains and serves as before.
SELECT s->>'algorithm' AS algorithm, s->'items_table'->>'entities' AS entities
FROM recsys_train('side_als', 'side_events', 'als',
                  '{"threads": 1, "seed": 1, "factors": 4, "items": "side_items", "users": "side_users"}') s;
SELECT count(*) FROM recommend('u1', 3, 'side_als');

-- Mistakes are errors before anything is read.
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
-- The failed trainings stored nothing.
SELECT name, version FROM recsys_models ORDER BY name;

-- Privileges: the caller's own, column by column.
CREATE ROLE recsys_side_reader;
GRANT SELECT ON side_events TO recsys_side_reader;
GRANT SELECT (item_id, category) ON side_items TO recsys_side_reader;
GRANT EXECUTE ON FUNCTION recsys_train(text, text, text, jsonb) TO recsys_side_reader;
SET ROLE recsys_side_reader;
SELECT recsys_train('side_r', 'side_events', 'popularity', '{"items": "side_items"}');
SELECT s->'items_table' AS items_table
FROM recsys_train('side_r', 'side_events', 'popularity',
                  '{"items": "side_items", "item_features": ["category"]}') s;
SELECT recsys_train('side_r', 'side_events', 'popularity', '{"users": "side_users"}');
\set VERBOSITY terse
SELECT recsys_train('side_r', 'side_events', 'popularity', '{"items": "SELECT * FROM side_items"}');
\set VERBOSITY default
SELECT recsys_drop_model('side_r');
RESET ROLE;
REVOKE ALL ON side_events, side_items FROM recsys_side_reader;
REVOKE EXECUTE ON FUNCTION recsys_train(text, text, text, jsonb) FROM recsys_side_reader;
DROP ROLE recsys_side_reader;

-- A cancel or timeout stops the side-table read too.
SET statement_timeout = '300ms';
SELECT recsys_train('side', 'side_events', 'popularity',
                    '{"items": "SELECT item_id, pg_sleep(0.1)::text AS slow FROM side_items"}');
RESET statement_timeout;
SELECT name, version FROM recsys_models ORDER BY name;

-- A hybrid with a content component (issue 13 A4): the top-level "items"
-- reaches every component, and "items" inside the component works too.
SELECT s->'params'->'components' AS components, s->'items_table'->'entities' AS entities
FROM recsys_train('side_h', 'side_events', 'hybrid',
     '{"items": "side_items", "threads": 1, "components": {"als": 0.5, "popularity": 0.3, "content": 0.2}}') s;
-- content contributes: side-table-only items (i12, i13: nobody bought them)
-- come from it, and rows name the component
SELECT source, count(*) AS n FROM recommend('u3', 14, 'side_h') GROUP BY source ORDER BY source;
SELECT item_id, score > 0 AS positive, source FROM recommend('u3', 14, 'side_h')
WHERE item_id IN ('i12', 'i13') ORDER BY item_id;
-- (the hybrid reads every column, which als takes; content keeps its two)
SELECT s->'items_table'->'columns' AS columns
FROM recsys_train('side_h', 'side_events', 'hybrid',
     '{"threads": 1, "components": {"als": 0.5, "popularity": 0.3,
       "content": {"weight": 0.2, "items": "side_items", "item_features": ["category", "tags"]}}}') s;
SELECT item_id, score > 0 AS positive, source FROM recommend('u3', 14, 'side_h')
WHERE item_id IN ('i12', 'i13') ORDER BY item_id;
-- the components share one items table
SELECT recsys_train('side_h', 'side_events', 'hybrid',
       '{"items": "side_items", "components": {"als": 0.5, "content": {"weight": 0.2, "items": "side_users"}}}');
SELECT recsys_drop_model('side_h');

SELECT recsys_drop_model('side');
SELECT recsys_drop_model('side_als');
DROP VIEW side_users_view;
DROP TABLE side_events, side_items, side_users, side_skus;
