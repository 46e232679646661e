-- recsys_import(): models from vectors trained elsewhere, as in
-- sql/import.sql. SQLite has no arrays: features are JSON arrays (or
-- PostgreSQL array literals) as text, or BLOBs of float32.
CREATE TABLE im_users (id INTEGER, features TEXT);
CREATE TABLE im_items (id INTEGER, features TEXT);
INSERT INTO im_users VALUES (1, '[1, 0, 0.5]'), (2, '{0,1,-1}'), (3, '[0.25, 0.5, 1]');
INSERT INTO im_items SELECT value, json_array(sin(value), cos(value), sin(2 * value) / 2)
FROM generate_series(1, 12);
.headers on
SELECT json_remove(recsys_import('im', 'im_users', 'im_items'), '$.seconds', '$.model_bytes') AS summary;
SELECT name, version, algorithm, users, items, interactions FROM recsys_models WHERE name = 'im';
-- Every score is the dot product computed in SQL, best first.
CREATE VIEW im_dots AS
SELECT u.id AS user_id, i.id AS item_id,
       (SELECT sum(a.value * b.value) FROM json_each(u.features) a JOIN json_each(i.features) b
        ON a.key = b.key) AS dot
FROM (SELECT id, '[' || trim(features, '{}[]') || ']' AS features FROM im_users) u, im_items i;
SELECT d.user_id, count(*) AS rows, min(abs(r.score - d.dot) < 1e-5) AS scores_are_dots,
       min(r.rank = (SELECT count(*) FROM im_dots e WHERE e.user_id = d.user_id AND e.dot > d.dot) + 1) AS ranked,
       min(r.source) AS source
FROM im_dots d JOIN recommend r ON r.user_id = CAST(d.user_id AS TEXT) AND r.k = 12 AND r.model = 'im'
     AND r.item_id = CAST(d.item_id AS TEXT)
GROUP BY d.user_id ORDER BY d.user_id;
SELECT count(*) AS rows, min(item_id NOT IN ('1', '2', '3')) AS excluded
FROM recommend('1', 5, 'im', '{"exclude_items": ["1", "2", "3"]}');
-- similar_items: cosine of the item vectors.
SELECT count(*) > 0 AS rows,
       min(abs(r.score - d.dot / sqrt(a.dot * b.dot)) < 1e-5) AS cosines
FROM similar_items('1', 11, 'im') r,
     (SELECT i.id, (SELECT sum(x.value * y.value) FROM json_each(i.features) x JOIN json_each(j.features) y
                    ON x.key = y.key) AS dot FROM im_items i, im_items j WHERE j.id = 1) d,
     (SELECT i.id, (SELECT sum(x.value * x.value) FROM json_each(i.features) x) AS dot FROM im_items i) a,
     (SELECT i.id, (SELECT sum(x.value * x.value) FROM json_each(i.features) x) AS dot FROM im_items i) b
WHERE d.id = CAST(r.item_id AS INTEGER) AND a.id = 1 AND b.id = d.id;
-- No interactions: popularity 0, unknown users get items in import order.
SELECT item_id, score, rank FROM popular_items(2, 'im');
SELECT item_id, score, source FROM recommend('stranger', 2, 'im');
-- Text ids, float32 blobs, biases.
CREATE TABLE im_ti (name TEXT, vec BLOB, bias REAL);
CREATE TABLE im_tu (id TEXT, features TEXT, b REAL);
INSERT INTO im_tu VALUES ('ann', '[1, 2]', 0.5), ('bob', '[-1, 1]', -2);
INSERT INTO im_ti VALUES ('apple', x'0000803F00000000', 0.25), ('pear', x'000000000000803F', 0),
  ('fig', x'0000803F0000803F', -3);
SELECT json_extract(recsys_import('im_bias', 'im_tu', 'SELECT name AS id, vec AS features, bias FROM im_ti',
                    '{"user_bias_column": "b", "item_bias_column": "bias"}'), '$.dimensions') AS dimensions;
SELECT user_id, item_id, score FROM recommend WHERE user_id IN ('ann', 'bob') AND k = 3 AND model = 'im_bias'
ORDER BY user_id, rank;
SELECT item_id, round(score, 4) AS score FROM similar_items('apple', 2, 'im_bias');
-- Bad input: errors naming the row; the previous version serves on.
SELECT recsys_import('im', 'SELECT 1 AS id, ''[1, 2, 3]'' AS features UNION ALL SELECT 2, ''[1, 2]''', 'im_items');
SELECT recsys_import('im', 'SELECT 7 AS id, NULL AS features', 'im_items');
SELECT recsys_import('im', 'SELECT 7 AS id, ''[1, null, 3]'' AS features', 'im_items');
SELECT recsys_import('im', 'SELECT 7 AS id, ''[1, 1e999, 3]'' AS features', 'im_items');
SELECT recsys_import('im', 'SELECT 7 AS id, ''[1, 2'' AS features', 'im_items');
SELECT recsys_import('im', 'SELECT 7 AS id, x''0000803F00'' AS features', 'im_items');
SELECT recsys_import('im', 'im_users', 'SELECT * FROM im_items UNION ALL SELECT 3, ''[1, 2, 3]''');
SELECT recsys_import('im', 'im_users', 'SELECT * FROM im_items WHERE 0');
SELECT recsys_import('im', 'im_users', 'SELECT id AS item, features FROM im_items');
SELECT recsys_import('im', 'im_users', 'no_such_table');
SELECT recsys_import('im', 'im_users', 'im_items', '{"colour": "red"}');
SELECT recsys_import(NULL, 'im_users', 'im_items');
SELECT recsys_import('im', 'im_users', 'im_items', '{"dimensions": 0}');
SELECT recsys_import('im', 'im_users', 'im_items', '{"dimensions": 5000}');
SELECT recsys_import('im', 'im_users', 'im_items', '{"als": "yes"}');
SELECT recsys_import('im', 'im_users', 'im_items', '{"regularization": -1}');
SELECT recsys_import('im', NULL, 'im_items');
SELECT recsys_train('x', 'im_users', 'imported');
SELECT version, users FROM recsys_models WHERE name = 'im';
SELECT count(*) AS still_serving FROM recommend('1', 3, 'im');
-- Interactions and "als": a fresh user folds in like a session of its items.
CREATE TABLE im_events (user_id TEXT, item_id TEXT, weight REAL);
INSERT INTO im_events VALUES ('1', '1', 1), ('1', '2', 1), ('2', '2', 1), ('3', '2', 1),
  ('3', '5', 1), ('newbie', '3', 1), ('newbie', '4', 1);
SELECT json_extract(s, '$.interactions') AS interactions, json_extract(s, '$.skipped') AS skipped
FROM (SELECT recsys_import('im_als', 'im_users', 'im_items',
                           '{"interactions": "im_events", "als": true}') AS s);
SELECT item_id, score FROM popular_items(2, 'im_als');
SELECT count(*) AS rows, min(item_id NOT IN ('1', '2')) AS unseen FROM recommend('1', 10, 'im_als');
SELECT f.item_id = s.item_id AS same_item, abs(f.score - s.score) < 1e-5 AS same_score, f.source
FROM recommend('newbie', 3, 'im_als') f
JOIN recommend_for_items('["3", "4"]', 3, 'im_als') s ON s.rank = f.rank ORDER BY f.rank;
SELECT recsys_import('im', 'im_users', 'im_items', '{"items": "im_items"}');
-- A stored interactions query is SQL from the file: with trusted_schema off
-- a fresh user's read refuses it (a known user is served from the model).
SELECT json_extract(recsys_import('im_q', 'im_users', 'im_items',
  '{"interactions": "SELECT * FROM im_events", "als": true}'), '$.interactions') AS interactions;
PRAGMA trusted_schema = OFF;
SELECT count(*) FROM recommend('newbie', 2, 'im_q');
SELECT count(*) AS known_user FROM recommend('1', 2, 'im_q');
PRAGMA trusted_schema = ON;
SELECT count(*) AS trusted_again FROM recommend('newbie', 2, 'im_q');
-- recsys_evaluate of an imported model: measured as it is against a holdout.
CREATE TABLE im_holdout AS
SELECT '1' AS user_id, item_id FROM recommend('1', 1, 'im_als')
UNION ALL SELECT '2', item_id FROM recommend('2', 1, 'im_als')
UNION ALL SELECT '3', item_id FROM recommend('3', 10, 'im_als') WHERE rank = 10;
SELECT k, precision, recall, test_users, train_interactions, test_interactions, split, train_seconds
FROM recsys_evaluate('im_holdout', 'im_als', '{}', 1);
SELECT json_extract(last_evaluation, '$.split') AS split FROM recsys_models WHERE name = 'im_als';
-- the split options do not apply to it
SELECT * FROM recsys_evaluate('im_holdout', 'im_als', '{"split": "global_time"}', 1);
SELECT * FROM recsys_evaluate('im_holdout', 'imported');
SELECT recsys_drop_model(name) FROM (SELECT DISTINCT name FROM recsys_models) ORDER BY name;
