-- valgrind.sql: one statement per line (postgres --single); every path that
-- allocates core memory: training, serving, and errors in the middle of a read.
CREATE EXTENSION pg_recsys;
CREATE TABLE ev AS SELECT 'u' || (g % 50) AS user_id, 'i' || ((g * 7 + g / 50) % 40) AS item_id, g % 3 AS qty, (ARRAY['view','cart','purchase'])[1 + g % 3] AS event, now() - g * interval '1 minute' AS ts FROM generate_series(1, 1500) g;
SELECT recsys_train('m', 'ev', 'als', '{"threads": 2, "factors": 16, "iterations": 3}');
SELECT recsys_train('m', 'SELECT user_id, item_id, qty AS weight, event, ts FROM ev', 'als', '{"threads": 1, "factors": 8, "iterations": 2, "event_weights": {"cart": 0.5, "purchase": 1}}');
SELECT recsys_train('p', 'ev', 'popularity');
SELECT * FROM recommend('u1', 5, 'm');
SELECT * FROM recommend('nobody', 5, 'm');
SELECT * FROM recommend('u1', 5, 'm', '{"exclude_seen": false}');
SELECT * FROM popular_items(5, 'p');
SELECT count(*) FROM ev, LATERAL recommend(ev.user_id, 3, 'm');
SELECT recsys_train('m', 'SELECT user_id, item_id, CASE WHEN n > 900 THEN ''NaN''::float8 ELSE 1 END AS weight FROM (SELECT *, row_number() OVER () AS n FROM ev) e', 'als');
SELECT recsys_train('m', 'SELECT user_id, item_id, 1 + 1 / (n - 20000) AS weight FROM (SELECT e.*, row_number() OVER () AS n FROM ev e, generate_series(1, 20) g) e', 'als');
SELECT recsys_train('m', 'ev', 'als', '{"factorz": 1}');
SELECT recsys_train('m', 'SELECT user_id FROM ev', 'als');
SELECT recsys_train('m', 'SELECT user_id, item_id FROM ev WHERE false', 'als');
SELECT * FROM recommend('u1', 0, 'm');
SELECT * FROM recommend('u1', 3, 'nope');
UPDATE recsys.model_store SET blob = overlay(blob PLACING '\xdeadbeef'::bytea FROM 100) WHERE name = 'p';
SELECT * FROM popular_items(5, 'p');
SELECT recsys_drop_model('p');
SELECT * FROM recommend('u2', 5, 'm');
SELECT recsys_drop_model('m');
SELECT recsys_train('c', 'ev', 'als', '{"threads": 1, "factors": 4, "iterations": 1}');
SELECT recsys_drop_model('c');
