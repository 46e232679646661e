-- Fresh users and recommend_for_session(): recommend() reads an unknown
-- user's (or, with "fresh": true, any user's) current rows from the model's
-- source and folds them in; recommend_for_session() reads one session's.
-- Two taste groups: users 0-19 buy or view items a0-a9, users 20-39 b0-b9,
-- each skipping j = u % 10 and (u + 3) % 10; a session per user.
CREATE TABLE fr_events AS
SELECT 'u' || u AS user_id, (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || j AS item_id,
       (CASE WHEN (u + j) % 3 = 0 THEN 'view' ELSE 'buy' END) AS event,
       timestamptz '2024-01-01' + (u * 10 + j) * interval '1 hour' AS ts,
       's' || u AS session_id
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE j <> u % 10 AND j <> (u + 3) % 10;
CREATE INDEX fr_events_user ON fr_events (user_id);
CREATE INDEX fr_events_session ON fr_events (session_id);
ANALYZE fr_events;

SELECT recsys_train('fr_als', 'fr_events', 'als',
  '{"threads": 1, "factors": 4, "iterations": 30, "solver": "cholesky",
    "event_weights": {"buy": 1, "view": 0.3}}')->>'users' AS users;
-- The model store and recsys_models record the source.
SELECT name, source FROM recsys_models WHERE name = 'fr_als';

-- An unknown user without a row in the source: popular items, as before.
SELECT rank, source FROM recommend('newbie', 2, 'fr_als');
-- Their first events count at once, without retraining: b items only, none
-- of the two they touched, from the model.
INSERT INTO fr_events VALUES
  ('newbie', 'b1', 'buy', '2024-02-01', 'sx'), ('newbie', 'b2', 'buy', '2024-02-01', 'sx'),
  ('newbie', 'b3', 'view', '2024-02-01', 'sx'), ('newbie', 'b3', 'buy', '2024-02-02', 'sx');
SELECT count(*) AS n, bool_and(item_id LIKE 'b%') AS b_only,
       bool_and(item_id NOT IN ('b1', 'b2', 'b3')) AS unseen, min(source) AS source,
       min(reason) AS reason
FROM recommend('newbie', 5, 'fr_als');
-- Events outside event_weights are skipped, as in training.
INSERT INTO fr_events VALUES ('ghost', 'a1', 'like', '2024-02-01', 'sg');
SELECT rank, source FROM recommend('ghost', 1, 'fr_als');

-- A retrain gives what the fold-in gave: at least 4 of the top 5 in common.
CREATE TABLE fr_fresh AS SELECT item_id FROM recommend('newbie', 5, 'fr_als');
SELECT recsys_train('fr_als2', 'fr_events', 'als',
  '{"threads": 1, "factors": 4, "iterations": 30, "solver": "cholesky",
    "event_weights": {"buy": 1, "view": 0.3}}')->>'users' AS users;
SELECT count(*) >= 4 AS top5_match
FROM recommend('newbie', 5, 'fr_als2') r JOIN fr_fresh f USING (item_id);

-- A known user: the plain path ignores new events; "fresh": true sees them
-- (u0 now bought a0, which it had skipped, so a0 is no longer recommended).
INSERT INTO fr_events VALUES ('u0', 'a0', 'buy', '2024-03-01', 's0');
SELECT bool_or(item_id = 'a0') AS a0_plain FROM recommend('u0', 2, 'fr_als');
SELECT bool_or(item_id = 'a0') AS a0_fresh, min(source) AS source
FROM recommend('u0', 2, 'fr_als', '{"fresh": true}');
SELECT count(*) AS n FROM recommend('u0', 2, 'fr_als', '{"fresh": false}');
-- Filters and exclude_seen apply on the fresh path too.
SELECT count(*) AS n, bool_and(item_id <> 'b0') AS no_b0
FROM recommend('newbie', 3, 'fr_als', '{"exclude_items": ["b0"]}');
SELECT bool_or(item_id IN ('b1', 'b2', 'b3')) AS seen_back
FROM recommend('newbie', 10, 'fr_als', '{"exclude_seen": false}');
-- The re-ranking options too, on fresh users and sessions (the serving
-- pipeline: candidates -> filters -> re-rank -> top k).
SELECT count(*) AS n FROM recommend('newbie', 3, 'fr_als', '{"popularity_penalty": 1, "diversity": 0.5}');
SELECT count(*) AS n FROM recommend_for_session('s1', 3, 'fr_als', '{"candidates": 5, "diversity": 0.3}');
SELECT * FROM recommend_for_session('s1', 3, 'fr_als', '{"diversity": 2}');

-- The read is served by the index on the user column (and the session's).
SELECT pg_stat_force_next_flush();
CREATE TABLE fr_scans AS SELECT indexrelname, idx_scan FROM pg_stat_user_indexes
WHERE relname = 'fr_events';
SET enable_seqscan = off;
SELECT count(*) FROM recommend('newbie', 1, 'fr_als');
SELECT count(*) FROM recommend_for_session('s1', 1, 'fr_als');
RESET enable_seqscan;
SELECT pg_stat_force_next_flush();
SELECT s.indexrelname, s.idx_scan > b.idx_scan AS used
FROM pg_stat_user_indexes s JOIN fr_scans b USING (indexrelname)
WHERE s.relname = 'fr_events' ORDER BY 1;

-- An integer user column is compared as text: an expression index serves it.
CREATE TABLE fr_int AS SELECT substr(user_id, 2)::int AS user_id, item_id FROM fr_events
WHERE user_id LIKE 'u%';
CREATE INDEX fr_int_user_text ON fr_int ((user_id::text));
ANALYZE fr_int;
SELECT recsys_train('fr_int', 'fr_int', 'itemknn', '{"threads": 1}')->>'users' AS users;
INSERT INTO fr_int VALUES (1000, 'b1'), (1000, 'b2');
SELECT pg_stat_force_next_flush();
CREATE TABLE fr_scans2 AS SELECT idx_scan FROM pg_stat_user_indexes
WHERE indexrelname = 'fr_int_user_text';
SET enable_seqscan = off;
SELECT count(*) AS n, bool_and(item_id LIKE 'b%') AS b_only FROM recommend('1000', 3, 'fr_int');
RESET enable_seqscan;
SELECT pg_stat_force_next_flush();
SELECT s.idx_scan > b.idx_scan AS used FROM pg_stat_user_indexes s, fr_scans2 b
WHERE s.indexrelname = 'fr_int_user_text';
-- A known user whose rows are all gone: popular items, and the source says so.
DELETE FROM fr_int WHERE user_id = 7;
SELECT rank, source FROM recommend('7', 2, 'fr_int', '{"fresh": true}');

-- recommend_for_session: the session's rows (with their event weights)
-- folded in; u1's session finds the two a items u1 skipped, a1 and a4.
SELECT string_agg(item_id, ',' ORDER BY item_id) AS top2, min(source) AS source
FROM recommend_for_session('s1', 2, 'fr_als');
-- A session that began after training counts too.
SELECT count(*) AS n, bool_and(item_id LIKE 'b%') AS b_only
FROM recommend_for_session('sx', 3, 'fr_als');
-- An empty session: popular items, and the source says so.
SELECT rank, source FROM recommend_for_session('no-such-session', 2, 'fr_als');
SELECT count(*) AS n FROM recommend_for_session('s1', 3, 'fr_als', '{"exclude_items": false}');

-- A query source and its own column names (session_column).
SELECT recsys_train('fr_query', 'SELECT user_id AS who, item_id, session_id AS visit FROM fr_events',
  'itemknn', '{"user_column": "who", "session_column": "visit"}')->>'items' AS items;
SELECT string_agg(item_id, ',' ORDER BY item_id) AS top2
FROM recommend_for_session('s25', 2, 'fr_query');
-- Without event weights, exactly what recommend_for_items gives its items.
SELECT array_agg(r.item_id ORDER BY r.rank) = (
         SELECT array_agg(i.item_id ORDER BY i.rank) FROM recommend_for_items(
           (SELECT array_agg(item_id) FROM fr_events WHERE session_id = 's25'), 5, 'fr_query') i)
       AS same_as_items
FROM recommend_for_session('s25', 5, 'fr_query') r;
SELECT count(*) AS n, bool_and(item_id LIKE 'b%') AS b_only, min(source) AS source
FROM recommend('newbie', 3, 'fr_query');

-- Errors, each on its own line.
SELECT * FROM recommend('newbie', 3, 'fr_als', '{"fresh": 1}');
SELECT * FROM recommend('newbie', 3, 'fr_als', '{"exclude_seen": "no"}');
SELECT * FROM recommend_for_session(NULL, 3, 'fr_als');
SELECT * FROM recommend_for_session('s1', NULL, 'fr_als');
SELECT * FROM recommend_for_session('s1', 0, 'fr_als');
SELECT * FROM recommend_for_session('s1', 3, 'fr_als', NULL);
SELECT * FROM recommend_for_session('s1', 3, 'fr_als', '{"bogus": 1}');
SELECT * FROM recommend_for_session('s1', 100001, 'fr_als');
SELECT * FROM recommend_for_session('s1', 3, 'no_such_model');
-- A source without the session column.
CREATE TABLE fr_nosession AS SELECT user_id, item_id FROM fr_events;
SELECT recsys_train('fr_nos', 'fr_nosession', 'popularity')->>'items' AS items;
SELECT * FROM recommend_for_session('s1', 3, 'fr_nos');

-- A role without a grant of the model is refused; granted, it is served,
-- fresh users and sessions included, without SELECT on the source: the
-- source is read with the owner's rights, as a view's query is.
CREATE ROLE fr_reader;
SET ROLE fr_reader;
SELECT count(*) AS n FROM recommend('u5', 3, 'fr_als');
SELECT count(*) AS n FROM recommend('newbie', 3, 'fr_als');
SELECT count(*) AS n FROM fr_events;
RESET ROLE;
SELECT recsys_grant('fr_als', 'fr_reader');
SET ROLE fr_reader;
SELECT count(*) AS n FROM recommend('u5', 3, 'fr_als');
SELECT count(*) AS n FROM recommend('newbie', 3, 'fr_als');
SELECT count(*) AS n, min(source) AS source FROM recommend('u5', 3, 'fr_als', '{"fresh": true}');
SELECT count(*) AS n FROM recommend_for_session('s1', 3, 'fr_als');
SELECT name, source FROM recsys_models;
RESET ROLE;
-- A dropped source: the same.
DROP TABLE fr_events;
SELECT count(*) AS n FROM recommend('u5', 3, 'fr_als');
SELECT count(*) AS n FROM recommend('u5', 3, 'fr_als', '{"fresh": true}');
DROP ROLE fr_reader;
SELECT recsys_drop_model(m) FROM unnest(ARRAY['fr_als', 'fr_als2', 'fr_query', 'fr_nos', 'fr_int']) m;
