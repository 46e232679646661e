-- similar_items(): every model family on two taste groups (users 0-19 buy
-- from items a0-a9, users 20-39 from b0-b9, in an uneven pattern), the
-- items side table's new item for content / bpr / warp, lateral joins, and
-- each bad argument on its own line (the same data as sql/similar_items.sql).
CREATE TABLE sim_events AS
SELECT 'u' || u.value AS user_id, (CASE WHEN u.value < 20 THEN 'a' ELSE 'b' END) || j.value AS item_id
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE (u.value * u.value + 3 * j.value * u.value + 5 * j.value * j.value + j.value) % 11 < 6;
CREATE TABLE sim_items AS
SELECT g.g || j.value AS item_id, CASE g.g WHEN 'a' THEN 'kitchen' ELSE 'garden' END AS category,
       CASE g.g WHEN 'a' THEN 'steel pan ' ELSE 'green hose ' END ||
       CASE j.value % 3 WHEN 0 THEN 'large' WHEN 1 THEN 'small' ELSE 'round' END || ' ' ||
       CASE j.value % 4 WHEN 0 THEN 'red' WHEN 1 THEN 'blue' WHEN 2 THEN 'black' ELSE 'white' END AS descr
FROM (SELECT 'a' AS g UNION ALL SELECT 'b') g, generate_series(0, 9) j
UNION ALL SELECT 'a_new', 'kitchen', 'steel pan round blue';
.headers on
SELECT group_concat(json_extract(recsys_train('s_' || a, 'sim_events', a,
                      '{"threads": 1, "seed": 42, "items": "sim_items"' ||
                      CASE a WHEN 'svd' THEN ', "factors": 4' WHEN 'itemknn' THEN ', "neighbors": 5'
                      ELSE '' END || '}'), '$.algorithm'), ' ') AS trained
FROM (SELECT 'als' AS a UNION ALL SELECT 'svd' UNION ALL SELECT 'bpr' UNION ALL SELECT 'warp'
      UNION ALL SELECT 'itemknn' UNION ALL SELECT 'ease' UNION ALL SELECT 'content'
      UNION ALL SELECT 'popularity');
SELECT json_extract(recsys_train('s_hybrid', 'sim_events', 'hybrid',
       '{"threads": 1, "seed": 42, "components": {"als": 1, "itemknn": 2}}'), '$.algorithm') AS hybrid;
-- Factor models (cosine of item vectors): a1's neighbours are a-items,
-- cosines in (0, 1], best first, a1 itself left out.
SELECT m.m AS model, count(*) AS n, min(substr(s.item_id, 1, 1) = 'a') AS same_group,
       min(s.score > 0 AND s.score <= 1.0001) AS cosine, min(s.item_id <> 'a1') AS not_itself,
       min(s.reason) AS reason
FROM (SELECT 's_als' AS m UNION ALL SELECT 's_svd' UNION ALL SELECT 's_bpr' UNION ALL SELECT 's_warp') m,
     similar_items('a1', 3, m.m) s
GROUP BY m.m ORDER BY m.m;
-- Neighbour lists, EASE weights, content, popularity, hybrid: the rows.
SELECT item_id, round(score, 3) AS score, rank, reason FROM similar_items('a1', 3, 's_itemknn');
SELECT item_id, round(score, 3) AS score, rank, reason FROM similar_items('b4', 3, 's_ease');
SELECT item_id, round(score, 3) AS score, rank, reason FROM similar_items('a2', 3, 's_content');
SELECT item_id, score, rank, reason FROM similar_items('a1', 3, 's_popularity');
SELECT count(*) AS n, min(substr(item_id, 1, 1) = 'b') AS same_group,
       min(score > 0 AND score <= 1.0001) AS scaled,
       (SELECT group_concat(reason, ', ') FROM (SELECT DISTINCT reason FROM similar_items('b3', 5, 's_hybrid') ORDER BY reason)) AS reasons
FROM similar_items('b3', 5, 's_hybrid');
-- k defaults to 10 (hidden columns by name); scores never increase; a
-- neighbour list ends early.
SELECT count(*) AS n FROM similar_items WHERE item = 'a1' AND model = 's_als';
SELECT count(*) AS out_of_order FROM similar_items('a1', 20, 's_ease') a
  JOIN similar_items('a1', 20, 's_ease') b ON b.rank = a.rank + 1 WHERE b.score > a.score;
SELECT count(*) AS five_neighbours FROM similar_items('a1', 50, 's_itemknn');
-- An item only the items table names: content and bpr know it from its features.
SELECT item_id, round(score, 3) AS score, rank, reason FROM similar_items('a_new', 2, 's_content');
SELECT count(*) AS n, min(substr(item_id, 1, 1) = 'a') AS kitchen FROM similar_items('a_new', 3, 's_bpr');
-- Lateral join: two rows per item, arguments from the outer row.
SELECT i.id, count(*) AS n, min(s.rank) AS first, max(s.rank) AS last
FROM (SELECT 'a3' AS id UNION ALL SELECT 'b7') i, similar_items(i.id, 2, 's_itemknn') s
GROUP BY i.id ORDER BY i.id;
SELECT i.item_id, s.item_id AS similar FROM sim_items i JOIN similar_items(i.item_id, 1, 's_content') s
WHERE i.item_id IN ('a0', 'b0') ORDER BY i.item_id;
-- Options (issue 13 A7): recommend()'s filters and diversity, by the same
-- pipeline; exactly k rows while enough items pass.
SELECT count(*) AS n, min(substr(item_id, 1, 1) = 'b') AS garden
FROM similar_items('a1', 3, 's_popularity', '{"categories": ["garden"]}');
SELECT count(*) AS n, min(substr(item_id, 1, 1) = 'a') AS kitchen, max(item_id IN ('a0', 'a2')) AS excluded
FROM similar_items('a1', 3, 's_als', '{"exclude_categories": ["garden"], "exclude_items": ["a0", "a2"]}');
SELECT item_id, rank FROM similar_items('a2', 3, 's_content', '{"exclude_items": ["a_new"]}');
SELECT count(*) AS n FROM similar_items('b3', 5, 's_hybrid', '{"diversity": 0.5, "candidates": 20}');
SELECT * FROM similar_items('a1', 3, 's_als', '{"price_max": 10}');
SELECT * FROM similar_items('a1', 3, 's_als', '{"upsell": 1}');
-- Errors, one per line.
SELECT * FROM similar_items('a_new', 3, 's_als');
SELECT * FROM similar_items('nothing', 3, 's_itemknn');
SELECT * FROM similar_items();
SELECT * FROM similar_items(NULL, 3, 's_als');
SELECT * FROM similar_items('a1', NULL, 's_als');
SELECT * FROM similar_items('a1', 2.5, 's_als');
SELECT * FROM similar_items('a1', 0, 's_als');
SELECT * FROM similar_items('a1', 100001, 's_als');
SELECT * FROM similar_items('a1', 3, 'no_such_model');
SELECT * FROM similar_items('a1', 3);
SELECT * FROM similar_items('a1', 3, 's_als', '{"exclude_seen": false}');
SELECT * FROM similar_items('a1', 3, 's_als', '[1]');
