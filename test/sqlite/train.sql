-- recsys_train: sources (table, view, query), column roles, event weights,
-- explicit weights, text timestamps, popularity, versions in the store.
.echo off
.read test/sqlite/fixtures/shop.sql
.echo on
.headers on
SELECT recsys_version();
-- from a table: the summary names the model and its version
SELECT json_extract(s, '$.model') AS model, json_extract(s, '$.version') AS version,
       json_extract(s, '$.algorithm') AS algorithm, json_extract(s, '$.users') AS users,
       json_extract(s, '$.items') AS items, json_extract(s, '$.interactions') AS interactions,
       json_extract(s, '$.rows_read') AS rows_read, json_extract(s, '$.threads') AS threads
FROM (SELECT recsys_train('t_table', 'events', 'als', '{"threads": 1, "seed": 42}') AS s);
-- the summary is compact JSON that starts with the model and its version
SELECT json_valid(s) AS valid, s LIKE '{"model":"t_json","version":1,"algorithm":"popularity",%' AS starts_ok
FROM (SELECT recsys_train('t_json', 'events', 'popularity') AS s);
-- the default algorithm is als
SELECT json_extract(recsys_train('t_default', 'events'), '$.algorithm') AS algorithm;
-- from a view (also found case-insensitively)
CREATE VIEW purchases AS SELECT user_id, item_id FROM events WHERE event = 'purchase';
SELECT json_extract(s, '$.users') AS users, json_extract(s, '$.interactions') AS interactions
FROM (SELECT recsys_train('t_view', 'PURCHASES', 'als', '{"threads": 1, "seed": 42}') AS s);
-- a table name that needs quoting
CREATE TABLE "odd ""name""" AS SELECT * FROM events WHERE user_id = 'u1';
SELECT json_extract(recsys_train('t_odd', 'odd "name"', 'popularity'), '$.interactions') AS interactions;
-- a table in an attached database, as schema.table
ATTACH ':memory:' AS aux;
CREATE TABLE aux.ev AS SELECT * FROM events WHERE user_id IN ('u1', 'u2');
SELECT json_extract(recsys_train('t_aux', 'aux.ev', 'popularity'), '$.users') AS users;
SELECT recsys_train('t_aux', 'nosuch.ev', 'popularity');
SELECT recsys_train('t_aux', 'aux.nosuch', 'popularity');
DETACH aux;
-- from a query: lower-case select, renamed columns via options, trailing semicolon
SELECT json_extract(s, '$.users') AS users, json_extract(s, '$.items') AS items
FROM (SELECT recsys_train('t_query', 'select user_id AS customer, item_id AS sku from events;',
                          'als', '{"threads": 1, "seed": 42, "user_column": "customer", "item_column": "sku"}') AS s);
-- from a WITH query
SELECT json_extract(recsys_train('t_with', 'WITH e AS (SELECT * FROM events WHERE ts < 1700030000)
  SELECT user_id, item_id FROM e', 'als', '{"threads": 1, "seed": 42}'), '$.users') AS users;
-- event weights: events missing from the map are skipped and counted
SELECT json_extract(s, '$.rows_read') AS rows_read,
       json_extract(s, '$.skipped.unknown_event') AS unknown_event,
       (SELECT count(*) FROM events WHERE event = 'view') AS views
FROM (SELECT recsys_train('t_events', 'events', 'als',
      '{"threads": 1, "seed": 42, "event_weights": {"purchase": 1.0, "cart": 0.5}}') AS s);
-- event weights multiply the row weight: popularity by weight equals the SQL sum
SELECT json_extract(recsys_train('t_events2', 'events', 'popularity',
      '{"by": "weight", "event_weights": {"purchase": 1.0, "cart": 0.5, "view": 0.1}}'), '$.interactions') AS interactions;
SELECT count(*) AS items, sum(abs(p.score - t.w) > 1e-4) AS mismatches
FROM popular_items(30, 't_events2') p
JOIN (SELECT item_id, sum(CASE event WHEN 'purchase' THEN 1.0 WHEN 'cart' THEN 0.5 ELSE 0.1 END) AS w
      FROM events GROUP BY item_id) t USING (item_id);
-- scores print like PostgreSQL's real (shortest decimal of the float)
SELECT item_id, score FROM popular_items(3, 't_events2');
-- explicit weight column: popularity by weight equals the SQL sum of qty per item
SELECT json_extract(recsys_train('t_weight', 'SELECT user_id, item_id, qty AS weight FROM events',
                                 'popularity', '{"by": "weight"}'), '$.algorithm') AS algorithm;
SELECT count(*) AS items, sum(abs(p.score - t.w) > 1e-4) AS mismatches
FROM popular_items(30, 't_weight') p
JOIN (SELECT item_id, sum(qty) AS w FROM events GROUP BY item_id) t USING (item_id);
-- NULL weights count as 1, zero and negative weights are skipped and counted
SELECT json_extract(s, '$.interactions') AS interactions,
       json_extract(s, '$.skipped.nonpositive_weight') AS nonpositive
FROM (SELECT recsys_train('t_w2', 'SELECT user_id, item_id, CASE WHEN qty = 1 THEN NULL
      WHEN qty = 2 THEN 0 ELSE -qty END AS weight FROM events', 'popularity') AS s);
SELECT count(DISTINCT user_id || ' ' || item_id) AS interactions FROM events WHERE qty = 1;
SELECT sum(qty <> 1) AS nonpositive FROM events;
-- NULL ids are skipped and counted
SELECT json_extract(s, '$.skipped.null_user') AS null_user,
       json_extract(s, '$.skipped.null_item') AS null_item
FROM (SELECT recsys_train('t_nulls', 'SELECT CASE WHEN ts % 7 = 0 THEN NULL ELSE user_id END AS user_id,
      CASE WHEN ts % 5 = 0 THEN NULL ELSE item_id END AS item_id FROM events', 'popularity') AS s);
SELECT sum(ts % 7 = 0) AS null_user, sum(ts % 7 <> 0 AND ts % 5 = 0) AS null_item FROM events;
-- numeric ids are compared as text
SELECT json_extract(recsys_train('t_int', 'SELECT CAST(substr(user_id, 2) AS INTEGER) AS user_id,
  item_id FROM events', 'popularity'), '$.users') AS users;
SELECT count(*) AS rows FROM recommend('7', 3, 't_int');
SELECT source FROM recommend(7, 1, 't_int');
-- timestamps as text dates go through unixepoch(); decayed popularity trains
SELECT json_extract(recsys_train('t_ts', 'SELECT user_id, item_id, datetime(ts, ''unixepoch'') AS ts FROM events',
                                 'popularity', '{"half_life_days": 1}'), '$.interactions') AS interactions;
-- unix seconds stored as text (as .import leaves them) and NULL times are accepted
SELECT json_extract(recsys_train('t_ts2', 'SELECT user_id, item_id, CASE WHEN ts % 2 = 0 THEN CAST(ts AS TEXT) END AS ts
  FROM events', 'popularity', '{"half_life_days": 1}'), '$.interactions') AS interactions;
-- popularity (default: distinct users per item) agrees with SQL
SELECT json_extract(recsys_train('t_pop', 'events', 'popularity'), '$.algorithm') AS algorithm;
SELECT count(*) AS items, sum(p.score <> t.n) AS mismatches
FROM popular_items(30, 't_pop') p
JOIN (SELECT item_id, count(DISTINCT user_id) AS n FROM events GROUP BY item_id) t USING (item_id);
-- decay: with a 1-day half-life the scores are far below the plain counts
SELECT (SELECT max(score) FROM popular_items(30, 't_ts')) < (SELECT max(score) FROM popular_items(30, 't_pop')) AS decayed;
-- versions: two trainings give version 2; a third prunes version 1
SELECT json_extract(recsys_train('shop', 'events', 'popularity'), '$.version') AS version;
SELECT json_extract(recsys_train('shop', 'events', 'popularity'), '$.version') AS version;
SELECT name, version, algorithm, users, items, interactions, bytes > 0 AS has_bytes,
       options, trained_at IS NOT NULL AS has_time, json_extract(summary, '$.version') AS summary_version
FROM recsys_models WHERE name = 'shop';
SELECT json_extract(recsys_train('shop', 'events', 'als', '{"threads": 1, "seed": 42}'), '$.version') AS version;
SELECT version, algorithm, length(blob) = bytes AS bytes_ok FROM recsys_model_store WHERE name = 'shop' ORDER BY version;
SELECT name, version, algorithm, versions_stored FROM recsys_models;
