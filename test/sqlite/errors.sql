-- Every bad input on its own line, so each error message is frozen in the
-- expected output. The script carries on after errors (no -bail).
.echo off
.read test/sqlite/fixtures/shop.sql
.echo on
.headers on
-- before any training
SELECT * FROM recommend('u1', 5);
SELECT * FROM popular_items(5);
SELECT * FROM recommend('u1', 5, 'shop');
SELECT count(*) AS models FROM recsys_models;
SELECT recsys_drop_model('shop');
-- recsys_train: NULL and empty arguments
SELECT recsys_train(NULL, 'events');
SELECT recsys_train('m', NULL);
SELECT recsys_train('m', 'events', NULL);
SELECT recsys_train('', 'events');
-- recsys_train: algorithm and options
SELECT recsys_train('m', 'events', 'nope');
SELECT recsys_train('m', 'events', 'ALS');
SELECT recsys_train('m', 'events', 'als', '{"nope": 1}');
SELECT recsys_train('m', 'events', 'als', '{"factors": "many"}');
SELECT recsys_train('m', 'events', 'als', '{"factors": 0}');
SELECT recsys_train('m', 'events', 'als', '{"factors": 1e999}');
SELECT recsys_train('m', 'events', 'als', '{"threads": 1.5}');
SELECT recsys_train('m', 'events', 'als', '{"solver": "magic"}');
SELECT recsys_train('m', 'events', 'popularity', '{"factors": 8}');
SELECT recsys_train('m', 'events', 'auto', '{"algorithms": "als"}');
SELECT recsys_train('m', 'events', 'auto', '{"algorithms": ["als", "magic"]}');
SELECT recsys_train('m', 'events', 'als', '{"algorithms": ["als"]}');
SELECT recsys_train('m', 'events', 'als', '{"event_weights": {"purchase": "lots"}}');
SELECT recsys_train('m', 'events', 'als', '{"event_weights": [1, 2]}');
SELECT recsys_train('m', 'events', 'als', '[1, 2]');
SELECT recsys_train('m', 'events', 'als', '"text"');
SELECT recsys_train('m', 'events', 'als', '42');
SELECT recsys_train('m', 'events', 'als', '{"factors": ');
SELECT recsys_train('m', 'events', 'als', 'not json');
-- recsys_train: sources
SELECT recsys_train('m', 'no_such_table');
SELECT recsys_train('m', 'no such "table"');
SELECT recsys_train('m', 'SELECT * FROM no_such_table');
SELECT recsys_train('m', 'SELECT user_id AS who, item_id FROM events');
SELECT recsys_train('m', 'SELECT user_id FROM events');
SELECT recsys_train('m', 'events', 'als', '{"user_column": "customer"}');
SELECT recsys_train('m', 'SELECT user_id, item_id FROM events WHERE 0');
CREATE TABLE empty_events(user_id TEXT, item_id TEXT);
SELECT recsys_train('m', 'empty_events');
SELECT recsys_train('m', 'SELECT NULL AS user_id, item_id FROM events');
SELECT recsys_train('m', 'SELECT user_id, item_id, 0 AS weight FROM events');
SELECT recsys_train('m', 'events', 'als', '{"event_weights": {"refund": 1}}');
-- a time column that holds no date
SELECT recsys_train('m', 'SELECT user_id, item_id, ''soon'' AS ts FROM events');
SELECT recsys_train('m', 'SELECT user_id, item_id, x''00'' AS ts FROM events');
-- non-finite weights
SELECT recsys_train('m', 'SELECT ''u1'' AS user_id, ''i1'' AS item_id, 1e999 AS weight');
SELECT recsys_train('m', 'SELECT ''u1'' AS user_id, ''i1'' AS item_id, -1e999 AS weight');
SELECT recsys_train('m', 'SELECT user_id, item_id, CASE WHEN ts % 50 = 0 THEN 1e999 ELSE 1 END AS weight FROM events');
-- finite weights above the float32 maximum: an error naming the row and the limit
SELECT recsys_train('m', 'SELECT ''u1'' AS user_id, ''i1'' AS item_id, 1e39 AS weight');
SELECT recsys_train('m', 'SELECT user_id, item_id, CASE WHEN ts % 50 = 7 THEN 1e39 ELSE 1 END AS weight FROM events');
SELECT recsys_train('m', 'SELECT ''u1'' AS user_id, ''i1'' AS item_id, 3e38 AS weight UNION ALL SELECT ''u1'', ''i1'', 3e38');
SELECT recsys_train('m', 'SELECT ''u1'' AS user_id, ''i1'' AS item_id, 1e38 AS weight, ''buy'' AS event', 'popularity', '{"event_weights": {"buy": 10}}');
-- a second statement smuggled into the source is refused, not run
SELECT recsys_train('m', 'SELECT 1 AS user_id, 2 AS item_id); DROP TABLE events; --');
SELECT count(*) AS events_rows FROM events;
SELECT count(*) AS models FROM recsys_models;
-- now one model exists
SELECT json_extract(recsys_train('shop', 'events', 'als', '{"threads": 1, "seed": 42}'), '$.version') AS version;
-- recommend: arguments
SELECT * FROM recommend(NULL, 5);
SELECT * FROM recommend;
SELECT * FROM recommend();
SELECT * FROM recommend WHERE k = 5;
SELECT * FROM recommend('u1', NULL);
SELECT * FROM recommend('u1', 0);
SELECT * FROM recommend('u1', -1);
SELECT * FROM recommend('u1', 100001);
SELECT * FROM recommend('u1', 1000000000);
SELECT * FROM recommend('u1', 1000000000000);
SELECT * FROM recommend('u1', 2.5);
SELECT * FROM recommend('u1', 'five');
SELECT count(*) AS rows FROM recommend('u1', '5');
SELECT count(*) AS rows FROM recommend('u1', 5.0);
SELECT * FROM recommend('u1', 5, 'unknown');
SELECT * FROM recommend('u1', 5, NULL, '{"exclude_seen": 1}');
SELECT * FROM recommend('u1', 5, NULL, '{"nope": true}');
SELECT * FROM recommend('u1', 5, NULL, '[]');
SELECT * FROM recommend('u1', 5, NULL, 'not json');
SELECT * FROM recommend('u1', 1, 2, 3, 4);
-- popular_items: arguments
SELECT * FROM popular_items(NULL);
SELECT * FROM popular_items(0);
SELECT * FROM popular_items(-1);
SELECT * FROM popular_items(1000000000);
SELECT * FROM popular_items(5, 'unknown');
SELECT * FROM popular_items(5, NULL, '{"x": 1}');
SELECT * FROM popular_items(5, NULL, '[1]');
-- drop
SELECT recsys_drop_model(NULL);
SELECT recsys_drop_model('unknown');
-- functions with side effects are refused inside views (SQLITE_DIRECTONLY)
CREATE VIEW v_train AS SELECT recsys_train('v', 'events') AS s;
SELECT * FROM v_train;
-- the table-valued functions cannot be created as tables
CREATE VIRTUAL TABLE r USING recommend;
-- nothing above damaged the one good model
SELECT name, version FROM recsys_models;
SELECT count(*) AS rows FROM recommend('u1', 3);
-- one rule in PostgreSQL and SQLite: NULL options are an error in every
-- function (a NULL model still means the default model)
SELECT recsys_train('m', 'events', 'als', NULL);
SELECT * FROM recommend('u1', 5, 'shop', NULL);
SELECT * FROM popular_items(5, 'shop', NULL);
SELECT * FROM similar_items('i1', 5, 'shop', NULL);
SELECT * FROM recommend_for_items('["i1"]', 5, 'shop', NULL);
SELECT * FROM recommend_for_session('s1', 5, 'shop', NULL);
SELECT * FROM recsys_evaluate('events', 'als', NULL);
SELECT count(*) AS rows FROM recommend('u1', 3, NULL);
-- model names are non-empty and at most 63 bytes, as in PostgreSQL
SELECT json_extract(recsys_train('m23456789012345678901234567890123456789012345678901234567890123', 'events', 'popularity'), '$.version') AS v;
SELECT recsys_train('m234567890123456789012345678901234567890123456789012345678901234', 'events', 'popularity');
SELECT recsys_drop_model('m23456789012345678901234567890123456789012345678901234567890123');
-- a name or id echoed in a message is cut to 64 bytes and "...": 100 KB texts
SELECT recsys_train(replace(hex(zeroblob(50000)), '00', 'ab'), 'events');
SELECT * FROM recommend('u1', 5, replace(hex(zeroblob(50000)), '00', 'ab'));
SELECT recsys_drop_model(replace(hex(zeroblob(50000)), '00', 'ab'));
SELECT * FROM similar_items(replace(hex(zeroblob(50000)), '00', 'ab'), 5, 'shop');
SELECT * FROM recsys_explain(replace(hex(zeroblob(50000)), '00', 'ab'), 'i1', 'shop');
SELECT * FROM recsys_user_profile(replace(hex(zeroblob(50000)), '00', 'ab'), 'shop');
SELECT recsys_train('m', replace(hex(zeroblob(50000)), '00', 'ab'));
SELECT recsys_train('m', 'events', replace(hex(zeroblob(50000)), '00', 'ab'));
SELECT recsys_train('m', 'events', 'als', json_object(replace(hex(zeroblob(50000)), '00', 'ab'), 1));
SELECT recsys_train('m', 'events', 'als', json_object('user_column', replace(hex(zeroblob(50000)), '00', 'ab')));
SELECT recsys_train('m', 'events', 'popularity', json_object('items', replace(hex(zeroblob(50000)), '00', 'ab')));
SELECT * FROM recommend('u1', 5, 'shop', json_object(replace(hex(zeroblob(50000)), '00', 'ab'), 1));
-- never inside a UTF-8 character: a name of 40 two-byte characters shows 32
SELECT recsys_train(replace(hex(zeroblob(40)), '00', 'é'), 'events');
-- event_weights on a source without the event column names the column
SELECT recsys_train('m', 'SELECT user_id, item_id FROM events', 'als', '{"event_weights": {"purchase": 1}}');
SELECT recsys_train('m', 'events', 'als', '{"event_weights": {"purchase": 1}, "event_column": "kind"}');
SELECT * FROM recsys_evaluate('SELECT user_id, item_id FROM events', 'als', '{"event_weights": {"purchase": 1}}');
-- a source (or side table) must be one query; nothing of a second statement runs
SELECT recsys_train('m', 'SELECT user_id, item_id FROM events) s; DELETE FROM events; SELECT * FROM (SELECT 1');
SELECT recsys_train('m', 'SELECT user_id, item_id FROM events; DELETE FROM events');
SELECT recsys_train('m', 'SELECT user_id, item_id FROM events; DELETE FROM events; --');
SELECT recsys_train('m', 'events', 'popularity', '{"items": "SELECT id AS item_id FROM items; DELETE FROM events"}');
SELECT * FROM recsys_evaluate('SELECT user_id, item_id FROM events; DELETE FROM events');
SELECT count(*) AS events_rows FROM events;
-- what is a query (core/source_kind.c, the same rule as PostgreSQL): SELECT,
-- WITH, VALUES or TABLE first, after white space, comments and parentheses
SELECT json_extract(recsys_train('q', '(SELECT * FROM events)', 'popularity'), '$.interactions') AS parenthesised;
SELECT json_extract(recsys_train('q', '-- the shop''s events
  SELECT * FROM events', 'popularity'), '$.interactions') AS after_comment;
SELECT json_extract(recsys_train('q', '/* all */ with e AS (SELECT * FROM events) SELECT * FROM e; -- done', 'popularity'), '$.interactions') AS with_trailing_comment;
SELECT json_extract(recsys_train('q', 'VALUES (''u1'', ''i1''), (''u2'', ''i1'')', 'popularity', '{"user_column": "column1", "item_column": "column2"}'), '$.interactions') AS values_query;
SELECT recsys_train('q', 'TABLE events');
SELECT recsys_train('q', 'selected_events');
SELECT recsys_drop_model('q');
-- the serving functions' connection-local tables live in temp only
CREATE VIRTUAL TABLE x USING recsys_local_recommend;
SELECT name FROM sqlite_temp_schema ORDER BY name;
