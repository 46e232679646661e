-- Every bad input on its own line, so that each message is frozen here.
CREATE TABLE err_events AS
SELECT 'u' || (g % 10) AS user_id, 'i' || (g % 7) AS item_id, g AS n,
       'x' || g AS label
FROM generate_series(1, 60) g;
SELECT recsys_train('err', 'err_events', 'als', '{"threads": 1, "seed": 42}')->>'version' AS version;
\set VERBOSITY default

-- NULL arguments.
SELECT recsys_train(NULL, 'err_events');
SELECT recsys_train('err', NULL);
SELECT recsys_train('err', 'err_events', NULL);
SELECT recsys_train('err', 'err_events', 'als', NULL);
SELECT * FROM recommend(NULL, 3, 'err');
SELECT * FROM recommend('u1', NULL, 'err');
SELECT * FROM recommend('u1', 3, 'err', NULL);
SELECT * FROM popular_items(NULL, 'err');
SELECT * FROM popular_items(3, 'err', NULL);
SELECT recsys_drop_model(NULL);

-- k out of range.
SELECT * FROM recommend('u1', 0, 'err');
SELECT * FROM recommend('u1', -1, 'err');
SELECT * FROM recommend('u1', 1000000000, 'err');
SELECT * FROM popular_items(0, 'err');
SELECT * FROM popular_items(100001, 'err');

-- Models that do not exist.
SELECT * FROM recommend('u1', 3, 'nope');
SELECT * FROM popular_items(3, 'nope');
SELECT recsys_drop_model('nope');
SET recsys.default_model = 'nope';
SELECT * FROM recommend('u1', 3);
RESET recsys.default_model;
SELECT recsys_train('', 'err_events');
SELECT recsys_train(repeat('m', 64), 'err_events');

-- Bad algorithm and options.
SELECT recsys_train('err', 'err_events', 'nope');
SELECT recsys_train('err', 'err_events', 'als', '{"factorz": 8}');
SELECT recsys_train('err', 'err_events', 'als', '{"factors": "many"}');
SELECT recsys_train('err', 'err_events', 'als', '{"factors": 0}');
SELECT recsys_train('err', 'err_events', 'als', '{"iterations": 2.5}');
SELECT recsys_train('err', 'err_events', 'als', '{"regularization": -1}');
SELECT recsys_train('err', 'err_events', 'als', '{"threads": 1000}');
SELECT recsys_train('err', 'err_events', 'als', '{"event_weights": [1, 2]}');
SELECT recsys_train('err', 'err_events', 'popularity', '{"factors": 8}');
SELECT recsys_train('err', 'err_events', 'auto', '{"algorithms": []}');
SELECT recsys_train('err', 'err_events', 'auto', '{"algorithms": ["als", 7]}');
SELECT recsys_train('err', 'err_events', 'als', '[]');
SELECT recsys_train('err', 'err_events', 'als', '"als"');
SELECT recsys_train('err', 'err_events', 'als', 'null');
SELECT * FROM recommend('u1', 3, 'err', '{"exclude_seen": 1}');
SELECT * FROM recommend('u1', 3, 'err', '{"bogus": true}');
SELECT * FROM recommend('u1', 3, 'err', '3');
SELECT * FROM popular_items(3, 'err', '{"bogus": true}');

-- Sources that do not exist, cannot be read or lack columns.
SELECT recsys_train('err', 'no_such_table');
SELECT recsys_train('err', 'no_such_schema.err_events');
SELECT recsys_train('err', 'err events');
SELECT recsys_train('err', 'SELECT user_id FROM no_such_table');
SELECT recsys_train('err', 'SELECT user_id AS u, item_id FROM err_events');
SELECT recsys_train('err', 'SELECT user_id FROM err_events');
SELECT recsys_train('err', 'SELECT user_id, item_id FROM err_events', 'als', '{"weight_column": "qty"}');
SELECT recsys_train('err', 'SELECT user_id, item_id, label AS ts FROM err_events');
SELECT recsys_train('err', 'SELECT user_id, item_id, label AS weight FROM err_events');
SELECT recsys_train('err', 'SELECT 1; SELECT 2');
SELECT recsys_train('err', 'DELETE FROM err_events');
-- A smuggled second statement is refused before anything runs.
SELECT recsys_train('err', 'SELECT user_id, item_id FROM err_events) s; DELETE FROM err_events; SELECT * FROM (SELECT 1');
SELECT count(*) FROM err_events;
-- event_weights needs an event column.
SELECT recsys_train('err', 'err_events', 'als', '{"event_weights": {"buy": 1}}');
SELECT recsys_train('err', 'err_events', 'als', '{"event_weights": {"buy": 1}, "event_column": "kind"}');
-- A parenthesised query is a query.
SELECT recsys_train('err_paren', '(SELECT * FROM err_events)', 'popularity')->>'interactions' AS interactions;
SELECT recsys_train('err_paren', '  ( (SELECT user_id, item_id FROM err_events) )', 'popularity')->>'interactions' AS interactions;
SELECT recsys_drop_model('err_paren');
-- Names in messages are cut at 64 bytes.
SELECT recsys_train(repeat('m', 100000), 'err_events');
SELECT * FROM recommend('u1', 3, repeat('m', 100000));
SELECT * FROM recsys_explain(repeat('u', 100000), 'i1', 'err');

-- Training and dropping write: refused in a read-only transaction.
BEGIN READ ONLY;
SELECT recsys_train('err', 'err_events');
ROLLBACK;
BEGIN READ ONLY;
SELECT recsys_drop_model('err');
ROLLBACK;

-- Empty source and bad data.
SELECT recsys_train('err', 'SELECT user_id, item_id FROM err_events WHERE false');
SELECT recsys_train('err', 'SELECT NULL::text AS user_id, item_id FROM err_events');
SELECT recsys_train('err', 'SELECT user_id, item_id, ''NaN''::float8 AS weight FROM err_events');
SELECT recsys_train('err', 'SELECT user_id, item_id, ''Infinity''::float8 AS weight FROM err_events');
SELECT recsys_train('err', 'SELECT user_id, item_id, 1e39::float8 AS weight FROM err_events');
SELECT recsys_train('err', 'SELECT user_id, item_id, 1 / (n - 30) AS weight FROM err_events');

-- A caller who may read a source but not create models: refused before any
-- work; serving needs a grant of the model.
CREATE ROLE recsys_err_reader;
CREATE TABLE err_secret AS SELECT * FROM err_events;
GRANT SELECT ON err_events TO recsys_err_reader;
SET ROLE recsys_err_reader;
SELECT recsys_train('err', 'err_events');
SELECT recsys_drop_model('err');
SELECT count(*) FROM recommend('u1', 3, 'err');
SELECT * FROM recommend('u1', 3);
RESET ROLE;
SELECT recsys_grant('err', 'recsys_err_reader');
SET ROLE recsys_err_reader;
SELECT count(*) FROM recommend('u1', 3, 'err');
SELECT count(*) FROM recommend('u1', 3);
RESET ROLE;
-- With EXECUTE on recsys_train, the role trains models of its own, from what
-- it may read; someone else's model it can neither retrain nor drop.
GRANT EXECUTE ON FUNCTION recsys_train(text, text, text, jsonb) TO recsys_err_reader;
SET ROLE recsys_err_reader;
SELECT recsys_train('err', 'err_events');
SELECT recsys_train('err_reader', 'err_secret');
SELECT recsys_train('err_reader', 'SELECT * FROM err_secret');
SELECT recsys_train('err_reader', 'err_events', 'popularity')->>'version' AS version;
SELECT name, owner, source FROM recsys_models ORDER BY name;
SELECT recsys_drop_model('err');
SELECT recsys_drop_model('err_reader');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION recsys_train(text, text, text, jsonb) FROM recsys_err_reader;
SELECT recsys_revoke('err', 'recsys_err_reader');

-- After all that, version 1 still serves.
SELECT name, version FROM recsys_models;
SELECT count(*) FROM recommend('u1', 3, 'err');

-- A damaged blob is an error, never a crash.
UPDATE recsys.model_store SET blob = overlay(blob PLACING '\xdeadbeef'::bytea FROM 200)
WHERE name = 'err';
SELECT count(*) FROM recommend('u1', 3, 'err');
UPDATE recsys.model_store SET blob = substring(blob FROM 1 FOR 10) WHERE name = 'err';
SELECT count(*) FROM recommend('u1', 3, 'err');
SELECT recsys_drop_model('err');

-- No model at all, then two.
SELECT * FROM recommend('u1', 3);
SELECT recsys_train('err1', 'err_events', 'popularity')->>'version' AS version;
SELECT recsys_train('err2', 'err_events', 'popularity')->>'version' AS version;
SELECT * FROM recommend('u1', 3);
SELECT * FROM popular_items(3);
SELECT recsys_drop_model('err1');
SELECT recsys_drop_model('err2');

DROP TABLE err_events, err_secret;
DROP ROLE recsys_err_reader;
