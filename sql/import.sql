-- recsys_import(): models from vectors trained elsewhere (Spark ALS's
-- userFactors / itemFactors: id + float array), served like any model.
CREATE TABLE im_users (id integer, features real[]);
CREATE TABLE im_items (id bigint, features double precision[]);
INSERT INTO im_users VALUES (1, '{1, 0, 0.5}'), (2, '{0, 1, -1}'), (3, '{0.25, 0.5, 1}');
INSERT INTO im_items SELECT g, ARRAY[sin(g), cos(g), sin(2 * g) / 2] FROM generate_series(1, 12) g;
SELECT s - 'seconds' - 'model_bytes' AS summary FROM recsys_import('im', 'im_users', 'im_items') s;
SELECT name, version, algorithm, users, items, interactions, source FROM recsys_models WHERE name = 'im';
-- Every score is the dot product computed in SQL, best first.
CREATE FUNCTION im_dot(a float8[], b float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE
AS $$ SELECT sum(x * y) FROM unnest(a, b) AS t(x, y) $$;
SELECT u.id AS user_id, count(*) AS rows,
       bool_and(abs(r.score - im_dot(u.features, i.features)) < 1e-5) AS scores_are_dots,
       bool_and(r.rank = (SELECT count(*) FROM im_items j
                          WHERE im_dot(u.features, j.features) > im_dot(u.features, i.features)) + 1) AS ranked,
       min(r.source) AS source
FROM im_users u, recommend(u.id::text, 12, 'im') r JOIN im_items i ON i.id::text = r.item_id
GROUP BY u.id ORDER BY u.id;
-- Filters and re-ranking of the pipeline.
SELECT count(*) AS rows, bool_and(item_id NOT IN ('1', '2', '3')) AS excluded
FROM recommend('1', 5, 'im', '{"exclude_items": ["1", "2", "3"]}');
SELECT count(*) AS rows FROM recommend('2', 4, 'im', '{"diversity": 0.5}');
SELECT DISTINCT reason FROM recommend('3', 12, 'im');
-- similar_items: cosine of the item vectors.
SELECT count(*) > 0 AS rows,
       bool_and(abs(r.score - im_dot(a.features, b.features) /
                sqrt(im_dot(a.features, a.features) * im_dot(b.features, b.features))) < 1e-5) AS cosines
FROM similar_items('1', 11, 'im') r JOIN im_items a ON a.id = 1 JOIN im_items b ON b.id::text = r.item_id;
-- No interactions: no seen items, popularity 0 for every item, unknown users
-- and sessions (without "als") get those, in item order.
SELECT item_id, score, rank FROM popular_items(3, 'im');
SELECT item_id, score, source FROM recommend('stranger', 2, 'im');
SELECT item_id, score, source FROM recommend_for_items(ARRAY['1', '2'], 2, 'im');
-- uuid and text ids, biases: score = u . v + user bias + item bias.
CREATE TABLE im_uu (id uuid, features real[], b real);
CREATE TABLE im_ti (name text, vec real[], bias real);
INSERT INTO im_uu VALUES ('00000000-0000-0000-0000-000000000001', '{1, 2}', 0.5),
  ('00000000-0000-0000-0000-000000000002', '{-1, 1}', -2);
INSERT INTO im_ti VALUES ('apple', '{1, 0}', 0.25), ('pear', '{0, 1}', 0), ('fig', '{1, 1}', -3);
SELECT s->'users' AS users, s->'items' AS items, s->'dimensions' AS dimensions, s->'user_bias' AS ub,
       s->'item_bias' AS ib
FROM recsys_import('im_bias', 'im_uu', 'SELECT name AS id, vec AS features, bias FROM im_ti',
                   '{"user_bias_column": "b", "item_bias_column": "bias"}') s;
SELECT u.id, r.item_id, r.score,
       abs(r.score - (im_dot(u.features, t.vec) + u.b + t.bias)) < 1e-5 AS exact
FROM im_uu u, recommend(u.id::text, 3, 'im_bias') r JOIN im_ti t ON t.name = r.item_id
ORDER BY u.id, r.rank;
-- Cosines leave the bias columns out.
SELECT item_id, round(score::numeric, 4) AS score FROM similar_items('apple', 2, 'im_bias');

-- Bad input: clear errors naming the row, and the previous version serves on.
\set VERBOSITY terse
SELECT recsys_import('im', 'SELECT 1 AS id, ARRAY[1, 2, 3]::real[] AS features UNION ALL SELECT 2, ARRAY[1, 2]::real[]', 'im_items');
SELECT recsys_import('im', 'SELECT 7 AS id, NULL::real[] AS features', 'im_items');
SELECT recsys_import('im', 'SELECT 7 AS id, ARRAY[1, ''NaN'', 3]::real[] AS features', 'im_items');
SELECT recsys_import('im', 'SELECT 7 AS id, ARRAY[1, ''Infinity'', 3]::float8[] AS features', 'im_items');
SELECT recsys_import('im', 'SELECT 7 AS id, ARRAY[1, NULL, 3]::real[] AS features', 'im_items');
SELECT recsys_import('im', 'SELECT 7 AS id, ARRAY[[1, 2], [3, 4]]::real[] AS features', 'im_items');
SELECT recsys_import('im', 'im_users', 'SELECT id, features FROM im_items UNION ALL SELECT 3, ARRAY[1, 2, 3]');
SELECT recsys_import('im', 'SELECT NULL::int AS id, ARRAY[1, 2, 3]::real[] AS features', 'im_items');
SELECT recsys_import('im', 'im_users', 'SELECT * FROM im_items WHERE false');
SELECT recsys_import('im', 'im_users', 'SELECT id AS item, features FROM im_items');
SELECT recsys_import('im', 'im_users', 'im_items', '{"features_column": "vec"}');
SELECT recsys_import('im', 'im_users', 'im_items', '{"item_bias_column": "bias"}');
SELECT recsys_import('im', 'im_users', 'im_items', '{"dimensions": 4}');
SELECT recsys_import('im', 'im_users', 'im_items', '{"colour": "red"}');
SELECT recsys_import(NULL, 'im_users', 'im_items');
SELECT recsys_import('im', 'im_users', 'im_items', '{"dimensions": 0}');
SELECT recsys_import('im', 'im_users', 'im_items', '{"dimensions": 5000}');
SELECT recsys_import('im', 'im_users', 'im_items', '{"als": "yes"}');
SELECT recsys_import('im', 'im_users', 'im_items', '{"regularization": -1}');
SELECT recsys_import('im', 'im_users', 'im_items', '{"als": true, "item_bias_column": "bias"}');
SELECT recsys_import('im', 'im_users', 'no_such_table');
SELECT recsys_import('im', 'im_users', 'SELECT 1; SELECT 2');
SELECT recsys_import('im', NULL, 'im_items');
SELECT recsys_import('im', 'im_users', 'im_items', '{"interactions": "SELECT 1 AS user_id, 2 AS item_id WHERE false"}');
SELECT recsys_train('x', 'im_users', 'imported');
SELECT * FROM recsys_evaluate('im_users', 'imported');
\set VERBOSITY default
SELECT version, users, items FROM recsys_models WHERE name = 'im';
SELECT count(*) AS still_serving FROM recommend('1', 3, 'im');

-- Interactions: seen items, popularity, reasons; "als": fresh users fold in.
CREATE TABLE im_events (user_id text, item_id text, weight real);
INSERT INTO im_events VALUES ('1', '1', 1), ('1', '2', 1), ('2', '2', 1), ('3', '2', 1),
  ('3', '5', 1), ('newbie', '3', 1), ('newbie', '4', 1), ('1', 'gone', 1);
SELECT s->'interactions' AS interactions, s->'skipped' AS skipped, s->'als' AS als
FROM recsys_import('im_als', 'im_users', 'im_items',
                   '{"interactions": "im_events", "als": true, "regularization": 0.1, "alpha": 1}') s;
SELECT source FROM recsys_models WHERE name = 'im_als';
SELECT item_id, score, rank FROM popular_items(2, 'im_als');
SELECT count(*) AS rows, bool_and(item_id NOT IN ('1', '2')) AS unseen
FROM recommend('1', 10, 'im_als');
SELECT item_id, reason FROM recommend('3', 3, 'im_als');
SELECT count(*) > 0 AS explained FROM recsys_explain('1', '3', 'im_als');
-- A fresh user (rows in the interactions, no vector) folds in by ALS's
-- solve: the same answer as a session of the same items with weight 1.
SELECT f.item_id = s.item_id AS same_item, abs(f.score - s.score) < 1e-5 AS same_score, f.source
FROM recommend('newbie', 5, 'im_als') f
JOIN recommend_for_items(ARRAY['3', '4'], 5, 'im_als') s USING (rank) ORDER BY rank;
-- recsys_evaluate of an imported model measures it as it is against a
-- holdout (split "given"): users 1 and 2 hold out their top item, user 3
-- its tenth; at k = 1 two of three are hits. The record is kept.
CREATE TABLE im_holdout AS
SELECT u AS user_id, r.item_id FROM unnest(ARRAY['1', '2']) u, recommend(u, 1, 'im_als') r
UNION ALL SELECT '3', item_id FROM recommend('3', 10, 'im_als') WHERE rank = 10;
SELECT k, precision, recall, test_users, train_interactions, test_interactions, split, train_seconds
FROM recsys_evaluate('im_holdout', 'im_als', '{}', 1);
SELECT last_evaluation->>'split' AS split, last_evaluation->>'precision' AS precision
FROM recsys_models WHERE name = 'im_als';
-- The split options do not apply to it.
SELECT * FROM recsys_evaluate('im_holdout', 'im_als', '{"split": "global_time"}', 1);
-- An items table read with the interactions gives the category filters.
CREATE TABLE im_meta AS SELECT id::text AS item_id, CASE WHEN id % 2 = 0 THEN 'even' ELSE 'odd' END AS category
FROM im_items;
SELECT recsys_import('im_cat', 'im_users', 'im_items', '{"interactions": "im_events", "items": "im_meta"}')->>'version' AS version;
SELECT count(*) AS rows, bool_and(item_id::int % 2 = 0) AS all_even
FROM recommend('2', 4, 'im_cat', '{"categories": ["even"]}');
-- Without "als" a fresh user gets popular items.
SELECT recsys_import('im_pop', 'im_users', 'im_items', '{"interactions": "im_events"}')->'als' AS als;
SELECT item_id, source FROM recommend('newbie', 2, 'im_pop');

-- Privileges: EXECUTE is revoked from PUBLIC; replacing needs ownership.
CREATE ROLE im_role;
GRANT SELECT ON im_users, im_items TO im_role;
SET ROLE im_role;
\set VERBOSITY terse
SELECT recsys_import('im_mine', 'im_users', 'im_items');
RESET ROLE;
GRANT EXECUTE ON FUNCTION recsys_import(text, text, text, jsonb) TO im_role;
SET ROLE im_role;
SELECT recsys_import('im', 'im_users', 'im_items');
SELECT recsys_import('im_mine', 'im_users', 'im_events');
\set VERBOSITY default
SELECT recsys_import('im_mine', 'im_users', 'im_items')->>'version' AS version;
SELECT name, owner FROM recsys_models WHERE name = 'im_mine';
RESET ROLE;
-- A grantee sees the options without the interactions source (it may be a query).
SELECT recsys_grant('im_als', 'im_role');
SET ROLE im_role;
SELECT options ? 'interactions' AS shows_interactions, source FROM recsys_models WHERE name = 'im_als';
RESET ROLE;
SELECT options ? 'interactions' AS owner_sees_interactions FROM recsys_models WHERE name = 'im_als';
SELECT version FROM recsys_models WHERE name = 'im';
SELECT recsys_drop_model(n) FROM unnest(ARRAY['im', 'im_bias', 'im_als', 'im_pop', 'im_mine', 'im_cat']) n;
REVOKE ALL ON im_users, im_items FROM im_role;
REVOKE EXECUTE ON FUNCTION recsys_import(text, text, text, jsonb) FROM im_role;
DROP ROLE im_role;
