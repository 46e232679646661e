-- similar_items(): every model family on two taste groups (users 0-19 buy
-- from items a0-a9, users 20-39 from b0-b9, in an uneven pattern), the
-- items side table's new item for content / bpr / warp, lateral joins, and
-- each bad argument on its own line.
CREATE TABLE sim_events AS
SELECT 'u' || u AS user_id, (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || j AS item_id
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE (u * u + 3 * j * u + 5 * j * j + j) % 11 < 6;
-- Items: a kitchen group and a garden group; a_new is in no event.
CREATE TABLE sim_items AS
SELECT g || j AS item_id, CASE g WHEN 'a' THEN 'kitchen' ELSE 'garden' END AS category,
       CASE g WHEN 'a' THEN 'steel pan ' ELSE 'green hose ' END ||
       (ARRAY['large', 'small', 'round'])[j % 3 + 1] || ' ' ||
       (ARRAY['red', 'blue', 'black', 'white'])[j % 4 + 1] AS descr
FROM unnest(ARRAY['a', 'b']) g, generate_series(0, 9) j
UNION ALL SELECT 'a_new', 'kitchen', 'steel pan round blue';

SELECT count(*) AS trained FROM (
  SELECT recsys_train('s_' || a, 'sim_events', a,
                      ('{"threads": 1, "seed": 42, "items": "sim_items"' ||
                       CASE a WHEN 'svd' THEN ', "factors": 4' WHEN 'itemknn' THEN ', "neighbors": 5'
                       ELSE '' END || '}')::jsonb)
  FROM unnest(ARRAY['als', 'svd', 'bpr', 'warp', 'itemknn', 'ease', 'content', 'popularity']) a) t;
SELECT recsys_train('s_hybrid', 'sim_events', 'hybrid',
       '{"threads": 1, "seed": 42, "components": {"als": 1, "itemknn": 2}}')->>'algorithm' AS hybrid;

-- Factor models (cosine of item vectors): a1's neighbours are a-items,
-- cosines in (0, 1], best first, a1 itself left out.
SELECT m AS model, count(*) AS n, bool_and(left(s.item_id, 1) = 'a') AS same_group,
       bool_and(s.score > 0 AND s.score <= 1.0001) AS cosine, bool_and(s.item_id <> 'a1') AS not_itself,
       min(s.reason) AS reason
FROM unnest(ARRAY['s_als', 's_svd', 's_bpr', 's_warp']) m, similar_items('a1', 3, m) s
GROUP BY m ORDER BY m;
-- Neighbour lists, EASE weights, content, popularity, hybrid: the rows.
SELECT item_id, round(score::numeric, 3) AS score, rank, reason FROM similar_items('a1', 3, 's_itemknn');
SELECT item_id, round(score::numeric, 3) AS score, rank, reason FROM similar_items('b4', 3, 's_ease');
SELECT item_id, round(score::numeric, 3) AS score, rank, reason FROM similar_items('a2', 3, 's_content');
SELECT item_id, score, rank, reason FROM similar_items('a1', 3, 's_popularity');
SELECT count(*) AS n, bool_and(left(item_id, 1) = 'b') AS same_group,
       bool_and(score > 0 AND score <= 1.0001) AS scaled, string_agg(DISTINCT reason, ', ') AS reasons
FROM similar_items('b3', 5, 's_hybrid');
-- k defaults to 10; scores never increase; a neighbour list ends early.
SELECT count(*) AS n FROM similar_items('a1', model => 's_als');
SELECT bool_and(score <= prev) AS non_increasing FROM (
  SELECT score, lag(score, 1, 'Infinity') OVER (ORDER BY rank) AS prev
  FROM similar_items('a1', 20, 's_ease')) s;
SELECT count(*) AS five_neighbours FROM similar_items('a1', 50, 's_itemknn');
-- An item only the items table names: content and bpr know it from its features.
SELECT item_id, round(score::numeric, 3) AS score, rank, reason FROM similar_items('a_new', 2, 's_content');
SELECT count(*) AS n, bool_and(left(item_id, 1) = 'a') AS kitchen FROM similar_items('a_new', 3, 's_bpr');
-- Lateral join: two rows per item.
SELECT i.id, count(*) AS n, min(s.rank) AS first, max(s.rank) AS last
FROM (VALUES ('a3'), ('b7')) i(id), LATERAL similar_items(i.id, 2, 's_itemknn') s
GROUP BY i.id ORDER BY i.id;

-- Options (issue 13 A7): recommend()'s filters and diversity, by the same
-- pipeline; exactly k rows while enough items pass.
SELECT count(*) AS n, bool_and(left(item_id, 1) = 'b') AS garden
FROM similar_items('a1', 3, 's_popularity', '{"categories": ["garden"]}');
SELECT count(*) AS n, bool_and(left(item_id, 1) = 'a') AS kitchen, bool_or(item_id IN ('a0', 'a2')) AS excluded
FROM similar_items('a1', 3, 's_als', '{"exclude_categories": ["garden"], "exclude_items": ["a0", "a2"]}');
SELECT item_id, rank FROM similar_items('a2', 3, 's_content', '{"exclude_items": ["a_new"]}');
SELECT count(*) AS n FROM similar_items('b3', 5, 's_hybrid', '{"diversity": 0.5, "candidates": 20}');
SELECT * FROM similar_items('a1', 3, 's_als', '{"price_max": 10}');
SELECT * FROM similar_items('a1', 3, 's_als', '{"upsell": 1}');

-- Errors, one per line.
SELECT * FROM similar_items('a_new', 3, 's_als');
SELECT * FROM similar_items('nothing', 3, 's_itemknn');
SELECT * FROM similar_items(NULL, 3, 's_als');
SELECT * FROM similar_items('a1', NULL, 's_als');
SELECT * FROM similar_items('a1', 3, 's_als', NULL);
SELECT * FROM similar_items('a1', 0, 's_als');
SELECT * FROM similar_items('a1', 100001, 's_als');
SELECT * FROM similar_items('a1', 3, 'no_such_model');
SELECT * FROM similar_items('a1', 3);
SELECT * FROM similar_items('a1', 3, 's_als', '{"exclude_seen": false}');
SELECT * FROM similar_items('a1', 3, 's_als', '[1]');
