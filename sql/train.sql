-- recsys_train(): sources, options, summaries, versions, pruning, drop.
-- Shop with two taste groups: users 0-19 buy from items a0-a9, users 20-39
-- from b0-b9; each user skips two items of their group.
CREATE TABLE shop_events AS
SELECT 'u' || u AS user_id,
       (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || j AS item_id,
       1 + (u + j) % 3 AS qty,
       (ARRAY['view', 'cart', 'purchase'])[1 + (u * j) % 3] AS event,
       timestamptz '2024-01-01 00:00:00+00' + (u * 10 + j) * interval '1 hour' AS ts
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE j <> u % 10 AND j <> (u + 3) % 10;
SELECT count(*) FROM shop_events;

-- From a table name, with defaults apart from threads and seed.
SELECT s->>'model' AS model, s->>'version' AS version, s->>'algorithm' AS algorithm,
       s->>'users' AS users, s->>'items' AS items, s->>'interactions' AS interactions,
       s->>'rows_read' AS rows_read, s->'skipped' AS skipped
FROM recsys_train('shop', 'shop_events', 'als', '{"threads": 1, "seed": 42}') s;

-- The catalogue view shows the latest version.
SELECT name, version, algorithm, users, items, interactions, bytes > 0 AS has_bytes,
       options, versions_stored, trained_at <= now() + interval '1 minute' AS recent
FROM recsys_models;

-- From a query (SELECT ... AS), explicit weight column, trailing semicolon.
SELECT s->>'version' AS version, s->>'interactions' AS interactions
FROM recsys_train('shop', '  select user_id, item_id, qty AS weight FROM shop_events;',
                  'als', '{"threads": 1, "seed": 42, "factors": 8}') s;

-- From a WITH query with event weights: views are not in the map, so skipped.
SELECT s->>'version' AS version, s->>'interactions' AS interactions,
       s->'skipped'->>'unknown_event' AS unknown_event
FROM recsys_train('shop', 'WITH e AS (SELECT * FROM shop_events) SELECT user_id, item_id, event FROM e',
                  'als', '{"threads": 1, "seed": 42, "event_weights": {"purchase": 1.0, "cart": 0.5}}') s;

-- Columns named by options, a time column, a view as source.
CREATE VIEW shop_view AS SELECT user_id AS customer, item_id AS sku, ts FROM shop_events;
SELECT s->>'users' AS users, s->>'items' AS items
FROM recsys_train('shop_view_model', 'public.shop_view', 'als',
                  '{"threads": 1, "user_column": "customer", "item_column": "sku"}') s;

-- Time columns: timestamptz (above), date, or a number of unix seconds; used
-- by popularity time decay.
SELECT s->>'interactions' AS interactions
FROM recsys_train('ts_date', 'SELECT user_id, item_id, ts::date AS ts FROM shop_events',
                  'popularity', '{"half_life_days": 7}') s;
SELECT s->>'interactions' AS interactions
FROM recsys_train('ts_epoch', 'SELECT user_id, item_id, extract(epoch FROM ts)::bigint AS ts FROM shop_events',
                  'popularity', '{"half_life_days": 7}') s;
SELECT recsys_train('ts_tz', 'SELECT user_id, item_id, ts FROM shop_events',
                    'popularity', '{"half_life_days": 7}')->>'interactions' AS interactions;
-- Same instants as timestamptz and as epoch seconds: the same ranking.
SELECT (SELECT string_agg(item_id || ':' || round(score::numeric, 3), ',' ORDER BY rank) FROM popular_items(5, 'ts_tz')) =
       (SELECT string_agg(item_id || ':' || round(score::numeric, 3), ',' ORDER BY rank) FROM popular_items(5, 'ts_epoch'))
       AS same_ranking;
-- ... and the decay really applied (counts alone would be whole numbers).
SELECT bool_or(score <> round(score)) AS decayed FROM popular_items(5, 'ts_epoch');

-- NULL ids and non-positive weights are skipped and counted, never silently.
SELECT s->>'interactions' AS interactions, s->'skipped' AS skipped
FROM recsys_train('skips', $$SELECT * FROM (VALUES ('x', 'i1', 1.0), (NULL, 'i1', 1.0),
                  ('x', NULL, 1.0), ('y', 'i2', 0.0), ('y', 'i1', -2.0), ('y', 'i2', 2.0),
                  ('x', 'i2', NULL)) v(user_id, item_id, weight)$$, 'popularity') s;

-- Duplicate pairs aggregate.
SELECT s->>'rows_read' AS rows_read, s->>'interactions' AS interactions,
       s->>'duplicates_merged' AS duplicates_merged
FROM recsys_train('dups', 'SELECT user_id, item_id FROM shop_events UNION ALL SELECT user_id, item_id FROM shop_events',
                  'popularity') s;

-- Integer ids are compared as text; the popularity algorithm.
SELECT s->>'algorithm' AS algorithm, s->>'users' AS users, s->>'items' AS items
FROM recsys_train('ints', 'SELECT g % 7 AS user_id, g % 5 AS item_id FROM generate_series(1, 100) g',
                  'popularity') s;

-- recsys.threads is the default; the "threads" option overrides it.
SET recsys.threads = 1;
SELECT recsys_train('thr', 'shop_events', 'popularity')->>'threads' AS threads;
SELECT recsys_train('thr', 'shop_events', 'popularity', '{"threads": 2}')->>'threads' AS threads;
RESET recsys.threads;
SELECT recsys_drop_model('thr');

-- Versions increment; only the last recsys.keep_versions are kept.
SELECT version FROM recsys.model_store WHERE name = 'shop' ORDER BY version;
SET recsys.keep_versions = 1;
SELECT recsys_train('shop', 'shop_events', 'als', '{"threads": 1, "seed": 42}')->>'version' AS version;
SELECT version FROM recsys.model_store WHERE name = 'shop' ORDER BY version;
RESET recsys.keep_versions;
SELECT recsys_train('shop', 'shop_events', 'als', '{"threads": 1, "seed": 42}')->>'version' AS version;
SELECT name, version, versions_stored FROM recsys_models ORDER BY name;

-- Training is transactional: a rolled-back training leaves the model as it was.
BEGIN;
SELECT recsys_train('shop', 'shop_events', 'popularity')->>'version' AS version;
ROLLBACK;
SELECT name, version, algorithm FROM recsys_models WHERE name = 'shop';

-- Drop.
SELECT recsys_drop_model('shop_view_model');
SELECT recsys_drop_model('skips');
SELECT recsys_drop_model('dups');
SELECT recsys_drop_model('ints');
SELECT recsys_drop_model('ts_date');
SELECT recsys_drop_model('ts_epoch');
SELECT recsys_drop_model('ts_tz');
SELECT name FROM recsys_models ORDER BY name;
SELECT recsys_drop_model('shop');
SELECT count(*) AS models_left FROM recsys.model_store;
DROP VIEW shop_view;
DROP TABLE shop_events;
