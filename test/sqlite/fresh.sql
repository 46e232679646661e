-- Fresh users and recommend_for_session(), as sql/fresh.sql in PostgreSQL:
-- recommend() reads an unknown user's (or, with "fresh": true, any user's)
-- current rows from the model's source and folds them in;
-- recommend_for_session() reads one session's. Two taste groups: users
-- 0-19 buy or view a0-a9, users 20-39 b0-b9, each skipping j = u % 10 and
-- (u + 3) % 10; a session per user.
.headers on
CREATE TABLE fr_events AS
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 39)
SELECT 'u' || u.x AS user_id, (CASE WHEN u.x < 20 THEN 'a' ELSE 'b' END) || j.x AS item_id,
       (CASE WHEN (u.x + j.x) % 3 = 0 THEN 'view' ELSE 'buy' END) AS event,
       1704067200 + (u.x * 10 + j.x) * 3600 AS ts, 's' || u.x AS session_id
FROM n u, n j WHERE j.x < 10 AND j.x <> u.x % 10 AND j.x <> (u.x + 3) % 10;
CREATE INDEX fr_events_user ON fr_events (user_id);
CREATE INDEX fr_events_session ON fr_events (session_id);

SELECT json_extract(recsys_train('fr_als', 'fr_events', 'als',
  '{"threads": 1, "factors": 4, "iterations": 30, "solver": "cholesky",
    "event_weights": {"buy": 1, "view": 0.3}}'), '$.users') AS users;
-- The model store and recsys_models record the source.
SELECT name, source FROM recsys_model_store WHERE name = 'fr_als';
SELECT name, source, versions_stored FROM recsys_models WHERE name = 'fr_als';

-- An unknown user without a row in the source: popular items, as before.
SELECT rank, source FROM recommend('newbie', 2, 'fr_als');
-- Their first events count at once, without retraining.
INSERT INTO fr_events VALUES
  ('newbie', 'b1', 'buy', 1706745600, 'sx'), ('newbie', 'b2', 'buy', 1706745600, 'sx'),
  ('newbie', 'b3', 'view', 1706745600, 'sx'), ('newbie', 'b3', 'buy', 1706832000, 'sx');
SELECT count(*) AS n, min(item_id LIKE 'b%') AS b_only,
       min(item_id NOT IN ('b1', 'b2', 'b3')) AS unseen, min(source) AS source
FROM recommend('newbie', 5, 'fr_als');
-- Events outside event_weights are skipped, as in training.
INSERT INTO fr_events VALUES ('ghost', 'a1', 'like', 1706745600, 'sg');
SELECT rank, source FROM recommend('ghost', 1, 'fr_als');

-- A retrain gives what the fold-in gave: at least 4 of the top 5 in common.
CREATE TABLE fr_fresh AS SELECT item_id FROM recommend('newbie', 5, 'fr_als');
SELECT json_extract(recsys_train('fr_als2', 'fr_events', 'als',
  '{"threads": 1, "factors": 4, "iterations": 30, "solver": "cholesky",
    "event_weights": {"buy": 1, "view": 0.3}}'), '$.users') AS users;
SELECT count(*) >= 4 AS top5_match
FROM recommend('newbie', 5, 'fr_als2') r JOIN fr_fresh f USING (item_id);

-- A known user: the plain path ignores new events; "fresh": true sees them.
INSERT INTO fr_events VALUES ('u0', 'a0', 'buy', 1709251200, 's0');
SELECT max(item_id = 'a0') AS a0_plain FROM recommend('u0', 2, 'fr_als');
SELECT max(item_id = 'a0') AS a0_fresh, min(source) AS source
FROM recommend('u0', 2, 'fr_als', '{"fresh": true}');
SELECT count(*) AS n FROM recommend('u0', 2, 'fr_als', '{"fresh": false}');
-- Filters and exclude_seen apply on the fresh path too.
SELECT count(*) AS n, min(item_id <> 'b0') AS no_b0
FROM recommend('newbie', 3, 'fr_als', '{"exclude_items": ["b0"]}');
SELECT max(item_id IN ('b1', 'b2', 'b3')) AS seen_back
FROM recommend('newbie', 10, 'fr_als', '{"exclude_seen": false}');
-- The re-ranking options too, on fresh users and sessions (the serving
-- pipeline: candidates -> filters -> re-rank -> top k).
SELECT count(*) AS n FROM recommend('newbie', 3, 'fr_als', '{"popularity_penalty": 1, "diversity": 0.5}');
SELECT count(*) AS n FROM recommend_for_session('s1', 3, 'fr_als', '{"candidates": 5, "diversity": 0.3}');
SELECT * FROM recommend_for_session('s1', 3, 'fr_als', '{"diversity": 2}');

-- The reads use the indexes on the user and session columns.
EXPLAIN QUERY PLAN SELECT "user_id", "item_id", NULL, "event", "ts" FROM "fr_events"
WHERE "user_id" = 'newbie';
EXPLAIN QUERY PLAN SELECT "session_id", "item_id", NULL, "event", "ts" FROM "fr_events"
WHERE "session_id" = 's1';

-- An integer user column: the text key takes the column's affinity, so a
-- plain index serves it too.
CREATE TABLE fr_int AS SELECT CAST(substr(user_id, 2) AS INTEGER) AS user_id, item_id
FROM fr_events WHERE user_id LIKE 'u%';
CREATE INDEX fr_int_user ON fr_int (user_id);
SELECT json_extract(recsys_train('fr_int', 'fr_int', 'itemknn', '{"threads": 1}'), '$.users') AS users;
INSERT INTO fr_int VALUES (1000, 'b1'), (1000, 'b2');
SELECT count(*) AS n, min(item_id LIKE 'b%') AS b_only FROM recommend('1000', 3, 'fr_int');
EXPLAIN QUERY PLAN SELECT "user_id", "item_id" FROM "fr_int" WHERE "user_id" = '1000';
-- A known user whose rows are all gone: popular items, and the source says so.
DELETE FROM fr_int WHERE user_id = 7;
SELECT rank, source FROM recommend('7', 2, 'fr_int', '{"fresh": true}');

-- recommend_for_session: the session's rows (with their event weights)
-- folded in; u1's session finds the two a items u1 skipped, a1 and a4.
SELECT group_concat(item_id, ',') AS top2, min(source) AS source
FROM (SELECT item_id, source FROM recommend_for_session('s1', 2, 'fr_als') ORDER BY item_id);
SELECT count(*) AS n, min(item_id LIKE 'b%') AS b_only
FROM recommend_for_session('sx', 3, 'fr_als');
-- An empty session: popular items, and the source says so.
SELECT rank, source FROM recommend_for_session('no-such-session', 2, 'fr_als');
SELECT count(*) AS n FROM recommend_for_session('s1', 3, 'fr_als', '{"exclude_items": false}');
-- Lateral: one session per row.
SELECT s.sid, count(r.item_id) AS n
FROM (SELECT 's1' AS sid UNION ALL SELECT 's25') s, recommend_for_session(s.sid, 2, 'fr_als') r
GROUP BY s.sid ORDER BY s.sid;

-- A query source and its own column names (session_column).
SELECT json_extract(recsys_train('fr_query',
  'SELECT user_id AS who, item_id, session_id AS visit FROM fr_events',
  'itemknn', '{"user_column": "who", "session_column": "visit"}'), '$.items') AS items;
SELECT group_concat(item_id, ',') AS top2
FROM (SELECT item_id FROM recommend_for_session('s25', 2, 'fr_query') ORDER BY item_id);
-- Without event weights, exactly what recommend_for_items gives its items.
SELECT (SELECT group_concat(item_id) FROM recommend_for_session('s25', 5, 'fr_query')) =
       (SELECT group_concat(item_id) FROM recommend_for_items(
          (SELECT json_group_array(item_id) FROM fr_events WHERE session_id = 's25'), 5,
          'fr_query')) AS same_as_items;
SELECT count(*) AS n, min(item_id LIKE 'b%') AS b_only, min(source) AS source
FROM recommend('newbie', 3, 'fr_query');

-- Errors, each on its own line.
SELECT * FROM recommend('newbie', 3, 'fr_als', '{"fresh": 1}');
SELECT * FROM recommend_for_session(NULL, 3, 'fr_als');
SELECT * FROM recommend_for_session('s1', NULL, 'fr_als');
SELECT * FROM recommend_for_session('s1', 0, 'fr_als');
SELECT * FROM recommend_for_session('s1', 3, 'fr_als', '{"bogus": 1}');
SELECT * FROM recommend_for_session('s1', 100001, 'fr_als');
SELECT * FROM recommend_for_session('s1', 'ten', 'fr_als');
SELECT * FROM recommend_for_session('s1', 3, 'fr_als', 'not json');
SELECT * FROM recommend_for_session('s1', 3, 'no_such_model');
SELECT * FROM recommend_for_session();
-- A source without the session column.
CREATE TABLE fr_nosession AS SELECT user_id, item_id FROM fr_events;
SELECT json_extract(recsys_train('fr_nos', 'fr_nosession', 'popularity'), '$.items') AS items;
SELECT * FROM recommend_for_session('s1', 3, 'fr_nos');

-- A dropped source: known users are still served (the plain path reads no
-- table); the fresh path and sessions fail with a clear error.
DROP TABLE fr_events;
SELECT count(*) AS n FROM recommend('u5', 3, 'fr_als');
SELECT count(*) AS n FROM recommend('u5', 3, 'fr_als', '{"fresh": true}');
SELECT count(*) AS n FROM recommend_for_session('s1', 3, 'fr_als');

-- A store written by an older build has no `source` column: its models
-- serve unknown users by popularity and cannot read sessions; the next
-- training adds the column.
CREATE TABLE fr_keep AS SELECT * FROM recsys_model_store WHERE name = 'fr_nos';
DROP TABLE recsys_model_store;
CREATE TABLE recsys_model_store(name TEXT NOT NULL, version INTEGER NOT NULL,
  algorithm TEXT NOT NULL, trained_at TEXT NOT NULL, users INTEGER, items INTEGER,
  interactions INTEGER, bytes INTEGER, options TEXT, summary TEXT, blob BLOB,
  PRIMARY KEY(name, version));
-- (another trained_at, so this connection's cache reloads it as a new row)
INSERT INTO recsys_model_store SELECT name, version, algorithm, trained_at || 'Z', users, items,
  interactions, bytes, options, summary, blob FROM fr_keep;
SELECT name, source FROM recsys_models;
SELECT rank, source FROM recommend('nobody', 2, 'fr_nos');
SELECT * FROM recommend_for_session('s1', 3, 'fr_nos');
SELECT json_extract(recsys_train('old', 'fr_nosession', 'popularity'), '$.items') AS items;
SELECT name, source FROM recsys_model_store ORDER BY name;
