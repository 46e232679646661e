-- recommend() and popular_items(): k rows, exclude_seen, cold start, model
-- resolution, lateral joins, cache invalidation within one session.
-- Two taste groups: users 0-19 buy from items a0-a9, users 20-39 from b0-b9;
-- each user skips the two items j = u % 10 and j = (u + 3) % 10 of the group.
-- Item a<j> is bought by 16 of the 20 group users; a few extra buys of a0 and
-- b9 by users who skip neither make those two the most popular.
CREATE TABLE reco_events AS
SELECT 'u' || u AS user_id, (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || j AS item_id
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE j <> u % 10 AND j <> (u + 3) % 10
UNION ALL SELECT 'u' || u, 'a0' FROM generate_series(20, 22) u
UNION ALL SELECT 'u' || u, 'b9' FROM generate_series(0, 1) u;
CREATE TABLE reco_users AS
SELECT 'u' || u AS id FROM generate_series(0, 39, 10) u UNION ALL SELECT 'stranger';

SELECT recsys_train('groups', 'reco_events', 'als', '{"threads": 1, "seed": 42}')->>'users' AS users;

-- The only model is the default. u1 skipped a1 and a4: those come first.
SELECT string_agg(item_id, ',' ORDER BY item_id) AS top2 FROM recommend('u1', 2);
SELECT rank, source, reason FROM recommend('u1', 3) ORDER BY rank;
-- Exactly k rows, ranks 1..k, scores non-increasing, nothing seen.
SELECT count(*) AS n, min(rank) AS min_rank, max(rank) AS max_rank,
       bool_and(item_id NOT IN (SELECT item_id FROM reco_events WHERE user_id = 'u25')) AS unseen
FROM recommend('u25', 5);
SELECT bool_and(score <= prev) AS non_increasing FROM (
  SELECT score, lag(score, 1, 'Infinity') OVER (ORDER BY rank) AS prev
  FROM recommend('u25', 10)) s;
-- u25 has seen 8 of the 20 items: all 12 others come back, no more.
SELECT count(*) AS all_unseen FROM recommend('u25', 50);
-- exclude_seen false: seen items come back and rank high.
SELECT count(*) AS n, bool_or(item_id IN (SELECT item_id FROM reco_events WHERE user_id = 'u1')) AS some_seen
FROM recommend('u1', 5, 'groups', '{"exclude_seen": false}');
SELECT count(*) AS everything FROM recommend('u1', 50, 'groups', '{"exclude_seen": false}');
-- Scores are real, rounded because BLAS kernels differ in the last bits.
SELECT item_id, round(score::numeric, 1) > 0 AS positive FROM recommend('u1', 2) ORDER BY item_id;

-- Unknown user: popular items, and the source says so.
SELECT item_id, score, rank, reason, source FROM recommend('stranger', 2);
SELECT * FROM popular_items(2);
SELECT count(*) FROM popular_items(100, 'groups');

-- Lateral join: three rows per user, the stranger from the cold-start path.
SELECT u.id, count(*) AS n, min(r.source) AS source
FROM reco_users u, LATERAL recommend(u.id, 3) r GROUP BY u.id ORDER BY u.id;
-- Also as a set-returning function in the select list.
SELECT (recommend('u30', 2)).rank;

-- The planner expects k rows when k is a constant (support function), else 10.
CREATE FUNCTION plan_rows(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
  RETURN (j->0->'Plan'->>'Plan Rows')::float8;
END $$;
SELECT plan_rows($$SELECT * FROM recommend('u1', 3)$$) AS recommend_k3,
       plan_rows($$SELECT * FROM popular_items(25)$$) AS popular_k25,
       plan_rows($$SELECT * FROM recommend('u1')$$) AS recommend_default,
       plan_rows($$SELECT * FROM recommend('u1', (SELECT 4))$$) AS not_constant;
SELECT plan_rows($$SELECT * FROM similar_items('i1', 7)$$) AS similar_k7,
       plan_rows($$SELECT * FROM recommend_for_items(ARRAY['i1'], 5)$$) AS session_k5;
DROP FUNCTION plan_rows(text);

-- A second model: the default must now be named.
SELECT recsys_train('pop', 'reco_events', 'popularity')->>'algorithm' AS algorithm;
SELECT item_id, score, rank, source FROM recommend('u5', 1, 'pop');
SET recsys.default_model = 'pop';
SELECT item_id, source FROM recommend('u5', 1);
SELECT item_id FROM popular_items(1);
SET recsys.default_model = 'groups';
SELECT source FROM recommend('u5', 1);
RESET recsys.default_model;

-- Retraining in this session: the cache serves the new version at once.
SELECT item_id, score FROM recommend('u5', 1, 'pop');
SELECT recsys_train('pop', 'SELECT user_id, item_id FROM reco_events UNION ALL SELECT ''x'' || g, ''b5'' FROM generate_series(1, 50) g',
                    'popularity')->>'version' AS version;
SELECT item_id, score FROM recommend('u5', 1, 'pop');
-- Inside a transaction that rolls back, then after it.
BEGIN;
SELECT recsys_train('pop', 'reco_events', 'popularity')->>'version' AS version;
SELECT item_id, score FROM recommend('u5', 1, 'pop');
ROLLBACK;
SELECT item_id, score FROM recommend('u5', 1, 'pop');
-- Same seed and data, one thread: the same recommendations.
CREATE TEMP TABLE before AS SELECT item_id, score FROM recommend('u7', 5, 'groups');
SELECT recsys_train('groups', 'reco_events', 'als', '{"threads": 1, "seed": 42}')->>'version' AS version;
SELECT count(*) AS same FROM recommend('u7', 5, 'groups') r JOIN before b USING (item_id)
WHERE abs(r.score - b.score) < 1e-4;
-- A hand-made change to the store invalidates the cache too.
DELETE FROM recsys.model_store WHERE name = 'pop';
SELECT name FROM recsys_models;
SELECT count(*) FROM recommend('u5', 1);
-- A new session sees the same.
\c
SELECT count(*) FROM recommend('u5', 1);

SELECT recsys_drop_model('groups');
DROP TABLE reco_events, reco_users;
