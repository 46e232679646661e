-- recommend_for_items(): recommendations for an anonymous session from a
-- JSON array of item ids, for each family of models; empty and unknown
-- sessions, duplicates, exclusion, k rows, and each bad argument on its own
-- line. The data are those of sql/recommend_for_items.sql (PostgreSQL): two
-- taste groups, u0-u19 buy from a0-a9 and u20-u39 from b0-b9, each skipping
-- j = u % 10 and (u + 3) % 10; a few extra buys make a0 and b9 the most popular.
.headers on
CREATE TABLE fi_events AS
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 39)
SELECT 'u' || u.x AS user_id, (CASE WHEN u.x < 20 THEN 'a' ELSE 'b' END) || j.x AS item_id
FROM n u, n j WHERE j.x < 10 AND j.x <> u.x % 10 AND j.x <> (u.x + 3) % 10
UNION ALL SELECT 'u' || x, 'a0' FROM n WHERE x BETWEEN 20 AND 22
UNION ALL SELECT 'u' || x, 'b9' FROM n WHERE x BETWEEN 0 AND 1;
SELECT json_extract(recsys_train('fi_als', 'fi_events', 'als', '{"threads": 1, "seed": 42}'), '$.items') AS items;
SELECT json_extract(recsys_train('fi_svd', 'fi_events', 'svd', '{"threads": 1, "factors": 4}'), '$.items') AS items;
SELECT json_extract(recsys_train('fi_warp', 'fi_events', 'warp', '{"threads": 1, "factors": 8}'), '$.items') AS items;
SELECT json_extract(recsys_train('fi_knn', 'fi_events', 'itemknn', '{"threads": 1}'), '$.items') AS items;
SELECT json_extract(recsys_train('fi_ease', 'fi_events', 'ease', '{"threads": 1}'), '$.items') AS items;
SELECT json_extract(recsys_train('fi_pop', 'fi_events', 'popularity'), '$.items') AS items;
SELECT json_extract(recsys_train('fi_hybrid', 'fi_events', 'hybrid',
  '{"threads": 1, "components": {"als": 1, "itemknn": 1}}'), '$.items') AS items;

-- A session of u1's items (u1 skipped a1 and a4): every family finds them.
CREATE TABLE fi_session AS SELECT json_group_array(item_id) AS items
FROM (SELECT item_id FROM fi_events WHERE user_id = 'u1' ORDER BY item_id);
SELECT m.name AS model, (SELECT group_concat(item_id, ',') FROM (SELECT item_id FROM
         recommend_for_items(s.items, 2, m.name) ORDER BY item_id)) AS top2,
       (SELECT min(source) FROM recommend_for_items(s.items, 2, m.name)) AS source,
       (SELECT min(reason) FROM recommend_for_items(s.items, 2, m.name)) AS reason
FROM (SELECT value AS name FROM json_each('["fi_als","fi_ease","fi_hybrid","fi_knn","fi_svd","fi_warp"]')) m,
     fi_session s ORDER BY m.name;
-- Exactly k rows, ranks 1..k, scores non-increasing, none of the session's.
SELECT count(*) AS n, min(rank) AS min_rank, max(rank) AS max_rank,
       sum(r.item_id IN (SELECT value FROM json_each(s.items))) AS of_session,
       min(source = 'als') AS als
FROM fi_session s, recommend_for_items(s.items, 5, 'fi_als') r;
SELECT count(*) AS out_of_order FROM fi_session s, recommend_for_items(s.items, 10, 'fi_ease') a,
  recommend_for_items(s.items, 10, 'fi_ease') b WHERE b.rank = a.rank + 1 AND b.score > a.score;
-- The catalogue has 20 items: a 2-item session leaves 18, no more.
SELECT count(*) AS all_others FROM recommend_for_items('["a1", "b2"]', 50, 'fi_als');
-- exclude_items false: the session's items may come back.
SELECT count(*) AS everything FROM recommend_for_items('["a1", "b2"]', 50, 'fi_als',
  '{"exclude_items": false}');
-- Duplicates count once, unknown ids and nulls are skipped.
SELECT (SELECT group_concat(item_id) FROM recommend_for_items('["a2", "a1", "a2", "nope", null]', 5, 'fi_knn')) =
       (SELECT group_concat(item_id) FROM recommend_for_items('["a1", "a2"]', 5, 'fi_knn')) AS same;
-- ALS fold-in parameters as options.
SELECT count(*) AS n FROM recommend_for_items('["a1", "a2"]', 3, 'fi_als',
  '{"regularization": 0.5, "alpha": 2}');
-- Popularity: popular items without the session's (a0 and b9 lead).
SELECT item_id, score, rank, reason, source FROM recommend_for_items('["a0"]', 2, 'fi_pop');
-- Empty session, or only unknown ids: popular items, and the source says so.
SELECT item_id, score, rank, reason, source FROM recommend_for_items('[]', 2, 'fi_als');
SELECT item_id, rank, source FROM recommend_for_items('["nope", null]', 2, 'fi_knn');
-- Defaults: k = 10; numbers are ids too (none here).
SELECT count(*) AS ten FROM recommend_for_items('["a1"]', 10, 'fi_als');
SELECT count(*) AS ten FROM recommend_for_items WHERE items = '["a1"]' AND model = 'fi_als';
SELECT source FROM recommend_for_items('[1, 2.5]', 1, 'fi_als');

-- Errors, one per line.
SELECT * FROM recommend_for_items(NULL, 5, 'fi_als');
SELECT * FROM recommend_for_items WHERE k = 5;
SELECT * FROM recommend_for_items('["a1"]', NULL, 'fi_als');
SELECT * FROM recommend_for_items('["a1"]', 1.5, 'fi_als');
SELECT * FROM recommend_for_items('["a1"]', 0, 'fi_als');
SELECT * FROM recommend_for_items('["a1"]', 100001, 'fi_als');
SELECT * FROM recommend_for_items('["a1"]', 5, 'no_such_model');
SELECT * FROM recommend_for_items('{"a": 1}', 5, 'fi_als');
SELECT * FROM recommend_for_items('"a1"', 5, 'fi_als');
SELECT * FROM recommend_for_items('[a1', 5, 'fi_als');
SELECT * FROM recommend_for_items('[["a1"]]', 5, 'fi_als');
SELECT * FROM recommend_for_items('["a1"]', 5, 'fi_als', '{"colour": "red"}');
SELECT * FROM recommend_for_items('["a1"]', 5, 'fi_als', '{"exclude_items": 1}');
SELECT * FROM recommend_for_items('["a1"]', 5, 'fi_als', '{"alpha": -1}');
SELECT * FROM recommend_for_items('["a1"]', 5, 'fi_als', '[1]');
