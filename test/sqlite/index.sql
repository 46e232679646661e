-- The approximate index (training option "index"; serving "probes", "exact").
CREATE TABLE ev(user_id, item_id);
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 19999)
INSERT INTO ev SELECT 'u' || (x % 500), 'i' || ((x * 7919) % 2000) FROM n;
SELECT recsys_train('ix', 'ev', 'als', '{"index": "ivf", "index_lists": 40, "factors": 16, "threads": 1}') IS NOT NULL;
SELECT recsys_train('nx', 'ev', 'als', '{"index": "none", "factors": 16, "threads": 1}') IS NOT NULL;
-- one probe: the search goes on until k items pass
SELECT count(*) FROM recommend('u1', 25, 'ix', '{"probes": 1}');
-- a filter passing three items: exactly those
SELECT group_concat(item_id) FROM (SELECT item_id FROM recommend('u1', 10, 'ix',
  (SELECT json_object('probes', 1, 'exclude_items', json_group_array(item_id))
     FROM (SELECT DISTINCT item_id FROM ev WHERE item_id NOT IN ('i5', 'i7', 'i9')))) ORDER BY item_id);
-- re-ranking on the index's pool: k rows
SELECT count(*) FROM recommend('u1', 20, 'ix', '{"probes": 1, "diversity": 0.5}');
-- "exact": true serves what the model without an index serves
SELECT (SELECT group_concat(item_id || ':' || score) FROM recommend('u7', 10, 'ix', '{"exact": true}'))
     = (SELECT group_concat(item_id || ':' || score) FROM recommend('u7', 10, 'nx'));
-- every list probed: the exact answer
SELECT (SELECT group_concat(item_id) FROM recommend('u7', 10, 'ix', '{"probes": 40}'))
     = (SELECT group_concat(item_id) FROM recommend('u7', 10, 'nx'));
SELECT count(*) FROM recommend('u1', 10, 'ix', '{"probes": 0}');
SELECT count(*) FROM recommend('u1', 10, 'ix', '{"exact": 1}');
SELECT recsys_train('kx', 'ev', 'itemknn', '{"index": "ivf"}');
SELECT recsys_train('bad', 'ev', 'als', '{"index": "hnsw"}');
