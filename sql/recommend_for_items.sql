-- recommend_for_items(): recommendations for an anonymous session from the
-- items it touched, for each family of models; empty and unknown sessions,
-- duplicates, exclusion, k rows, and each bad argument on its own line.
-- Two taste groups as in recommend.sql: users 0-19 buy from a0-a9, users
-- 20-39 from b0-b9, each skipping j = u % 10 and j = (u + 3) % 10; a few
-- extra buys make a0 and b9 the most popular items.
CREATE TABLE fi_events AS
SELECT 'u' || u AS user_id, (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || j AS item_id
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE j <> u % 10 AND j <> (u + 3) % 10
UNION ALL SELECT 'u' || u, 'a0' FROM generate_series(20, 22) u
UNION ALL SELECT 'u' || u, 'b9' FROM generate_series(0, 1) u;

SELECT recsys_train('fi_als', 'fi_events', 'als', '{"threads": 1, "seed": 42}')->>'items' AS items;
SELECT recsys_train('fi_svd', 'fi_events', 'svd', '{"threads": 1, "factors": 4}')->>'items' AS items;
SELECT recsys_train('fi_warp', 'fi_events', 'warp', '{"threads": 1, "factors": 8}')->>'items' AS items;
SELECT recsys_train('fi_knn', 'fi_events', 'itemknn', '{"threads": 1}')->>'items' AS items;
SELECT recsys_train('fi_ease', 'fi_events', 'ease', '{"threads": 1}')->>'items' AS items;
SELECT recsys_train('fi_pop', 'fi_events', 'popularity')->>'items' AS items;
SELECT recsys_train('fi_hybrid', 'fi_events', 'hybrid',
  '{"threads": 1, "components": {"als": 1, "itemknn": 1}}')->>'items' AS items;

-- A session of u1's items (u1 skipped a1 and a4): every family finds them.
CREATE TABLE fi_session AS SELECT array_agg(item_id ORDER BY item_id) AS items
FROM fi_events WHERE user_id = 'u1';
SELECT m AS model, string_agg(r.item_id, ',' ORDER BY r.item_id) AS top2, min(r.source) AS source,
       min(r.reason) AS reason
FROM unnest(ARRAY['fi_als', 'fi_svd', 'fi_warp', 'fi_knn', 'fi_ease', 'fi_hybrid']) m,
     fi_session s, LATERAL recommend_for_items(s.items, 2, m) r
GROUP BY m ORDER BY m;
-- Exactly k rows, ranks 1..k, scores non-increasing, none of the session's.
SELECT count(*) AS n, min(rank) AS min_rank, max(rank) AS max_rank,
       bool_and(item_id <> ALL (s.items)) AS none_of_session,
       bool_and(source = 'als') AS als
FROM fi_session s, LATERAL recommend_for_items(s.items, 5, 'fi_als');
SELECT bool_and(score <= prev) AS non_increasing FROM (
  SELECT score, lag(score, 1, 'Infinity') OVER (ORDER BY rank) AS prev
  FROM fi_session s, LATERAL recommend_for_items(s.items, 10, 'fi_ease')) r;
-- The catalogue has 20 items: a 2-item session leaves 18, no more.
SELECT count(*) AS all_others FROM recommend_for_items(ARRAY['a1', 'b2'], 50, 'fi_als');
-- exclude_items false: the session's items may come back.
SELECT count(*) AS everything FROM recommend_for_items(ARRAY['a1', 'b2'], 50, 'fi_als',
  '{"exclude_items": false}');
-- Duplicates count once, unknown ids and NULL elements are skipped.
SELECT (SELECT array_agg(item_id ORDER BY rank) FROM
          recommend_for_items(ARRAY['a2', 'a1', 'a2', 'nope', NULL], 5, 'fi_knn')) =
       (SELECT array_agg(item_id ORDER BY rank) FROM
          recommend_for_items(ARRAY['a1', 'a2'], 5, 'fi_knn')) AS same;
-- ALS fold-in parameters as options.
SELECT count(*) AS n FROM recommend_for_items(ARRAY['a1', 'a2'], 3, 'fi_als',
  '{"regularization": 0.5, "alpha": 2}');
-- Popularity: popular items without the session's (a0 and b9 lead).
SELECT item_id, score, rank, reason, source FROM recommend_for_items(ARRAY['a0'], 2, 'fi_pop');
-- Empty session, or only unknown ids: popular items, and the source says so.
SELECT item_id, score, rank, reason, source FROM recommend_for_items(ARRAY[]::text[], 2, 'fi_als');
SELECT item_id, rank, source FROM recommend_for_items(ARRAY['nope', NULL], 2, 'fi_knn');
-- Defaults: k = 10.
SELECT count(*) AS ten FROM recommend_for_items(ARRAY['a1'], model => 'fi_als');

-- Errors, one per line.
SELECT * FROM recommend_for_items(NULL, 5, 'fi_als');
SELECT * FROM recommend_for_items(ARRAY['a1'], NULL, 'fi_als');
SELECT * FROM recommend_for_items(ARRAY['a1'], 0, 'fi_als');
SELECT * FROM recommend_for_items(ARRAY['a1'], 100001, 'fi_als');
-- (terse: the hint lists every model of the database)
\set VERBOSITY terse
SELECT * FROM recommend_for_items(ARRAY['a1'], 5, 'no_such_model');
\set VERBOSITY default
SELECT * FROM recommend_for_items(ARRAY['a1'], 5, 'fi_als', NULL);
SELECT * FROM recommend_for_items(ARRAY['a1'], 5, 'fi_als', '{"colour": "red"}');
SELECT * FROM recommend_for_items(ARRAY['a1'], 5, 'fi_als', '{"exclude_items": 1}');
SELECT * FROM recommend_for_items(ARRAY['a1'], 5, 'fi_als', '{"alpha": -1}');
SELECT * FROM recommend_for_items(ARRAY['a1'], 5, 'fi_als', '[1]');

SELECT recsys_drop_model(m) FROM unnest(ARRAY['fi_als', 'fi_svd', 'fi_warp', 'fi_knn', 'fi_ease',
  'fi_pop', 'fi_hybrid']) m ORDER BY m;
DROP TABLE fi_session, fi_events;
