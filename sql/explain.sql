-- recsys_explain(): for every model family, the history items behind a
-- score, largest first; where the family's score is a plain sum over the
-- history (itemknn, content, ease, svd, a hybrid of them) the contributions
-- add up to recommend()'s score; als matches within its solver's tolerance;
-- popularity has no rows. recommend()'s reason names the top contributor.
-- Errors one per line.
CREATE TABLE ex_events AS
SELECT 'u' || u AS user_id, (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || j AS item_id,
       1 + (u + j) % 3 AS weight
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE (u * u + 3 * j * u + 5 * j * j + j) % 11 < 6;
CREATE TABLE ex_items AS
SELECT g || j AS item_id, CASE g WHEN 'a' THEN 'kitchen' ELSE 'garden' END AS category,
       CASE g WHEN 'a' THEN 'steel pan ' ELSE 'green hose ' END ||
       (ARRAY['large', 'small', 'round'])[j % 3 + 1] AS descr
FROM unnest(ARRAY['a', 'b']) g, generate_series(0, 9) j
UNION ALL SELECT 'a_new', 'kitchen', 'steel pan round';

SELECT count(*) AS trained FROM (
  SELECT recsys_train('ex_' || a, 'ex_events', a,
                      ('{"threads": 1, "seed": 42, "items": "ex_items"' ||
                       CASE a WHEN 'svd' THEN ', "factors": 4'
                              WHEN 'als' THEN ', "factors": 4, "iterations": 40, "solver": "cholesky"'
                              ELSE '' END || '}')::jsonb)
  FROM unnest(ARRAY['als', 'svd', 'bpr', 'itemknn', 'ease', 'content', 'popularity']) a) t;
SELECT recsys_train('ex_hybrid', 'ex_events', 'hybrid',
       '{"threads": 1, "seed": 42, "components": {"itemknn": 2, "ease": 1}}')->>'algorithm' AS hybrid;

-- The rows themselves: u3's history behind a5 (itemknn, ease) and a_new (content).
SELECT item_id, round(contribution::numeric, 3) AS contribution, rank
FROM recsys_explain('u3', 'a5', 'ex_itemknn');
SELECT item_id, round(contribution::numeric, 3) AS contribution, rank
FROM recsys_explain('u3', 'a5', 'ex_ease') LIMIT 3;
SELECT item_id, round(contribution::numeric, 3) AS contribution, rank
FROM recsys_explain('u3', 'a_new', 'ex_content') LIMIT 3;
-- Every family: contributions never increase, come from the user's history;
-- their sum against recommend()'s score for u3's top 3.
SELECT m AS model, count(*) AS rows,
       bool_and(e.item_id IN (SELECT item_id FROM ex_events WHERE user_id = 'u3')) AS from_history,
       bool_and(e.contribution <= e.prev) AS largest_first
FROM unnest(ARRAY['ex_als', 'ex_svd', 'ex_bpr', 'ex_itemknn', 'ex_ease', 'ex_content',
                  'ex_popularity', 'ex_hybrid']) m,
     LATERAL (SELECT item_id, contribution,
                     lag(contribution, 1, 'Infinity') OVER (ORDER BY rank) AS prev
              FROM recsys_explain('u3', 'a5', m)) e
GROUP BY m ORDER BY m;
SELECT m AS model, bool_and(abs(s.total - r.score) < CASE m WHEN 'ex_als' THEN 0.02 ELSE 0.001 END) AS sums_to_score
FROM unnest(ARRAY['ex_als', 'ex_svd', 'ex_itemknn', 'ex_ease', 'ex_hybrid']) m,
     LATERAL recommend('u3', 3, m) r,
     LATERAL (SELECT coalesce(sum(contribution), 0) AS total FROM recsys_explain('u3', r.item_id, m)) s
GROUP BY m ORDER BY m;
SELECT count(*) AS popularity_rows FROM recsys_explain('u3', 'a5', 'ex_popularity');
-- The default model, lateral over users.
SET recsys.default_model = 'ex_itemknn';
SELECT u.id, u.item, count(*) AS rows, min(e.rank) AS first
FROM (VALUES ('u1', 'a2'), ('u22', 'b2')) u(id, item), LATERAL recsys_explain(u.id, u.item) e
GROUP BY u.id, u.item ORDER BY u.id;

-- recommend()'s reason names the top contributor (itemknn, ease: the same
-- w_uj x similarity); content's item that only the items table names is new;
-- popularity says so; sessions name one of their items.
SELECT m AS model, count(*) AS rows,
       bool_and(r.reason = 'because of ' ||
                (SELECT e.item_id FROM recsys_explain('u3', r.item_id, m) e ORDER BY e.rank LIMIT 1)) AS top_contributor
FROM unnest(ARRAY['ex_itemknn', 'ex_ease']) m, LATERAL recommend('u3', 3, m) r
GROUP BY m ORDER BY m;
SELECT item_id, rank, reason FROM recommend('u3', 3, 'ex_content');
SELECT item_id, rank, reason FROM recommend('u3', 2, 'ex_popularity');
SELECT item_id, rank, reason FROM recommend('u3', 2, 'ex_hybrid');
SELECT item_id, rank, reason FROM recommend_for_items(ARRAY['a1', 'a8'], 2, 'ex_itemknn');
-- recsys_user_profile(): u0 has a repeated row (4 rows, 3 items); users'
-- average item prices rise with their number, so the spending segments are
-- quarters of the eight users; ts is unix seconds.
CREATE TABLE pr_events AS
SELECT 'u' || u AS user_id, 'p' || ((u + j) % 10) AS item_id, 1700000000 + 3600 * u + 60 * j AS ts
FROM generate_series(0, 7) u, generate_series(0, 2) j
UNION ALL SELECT 'u0', 'p0', 1699990000;
CREATE TABLE pr_items AS
SELECT 'p' || j AS item_id, 10 * (j + 1) AS price FROM generate_series(0, 9) j;
SELECT recsys_train('pr_shop', 'pr_events', 'itemknn', '{"items": "pr_items"}') IS NOT NULL AS trained;
SELECT u.id, p.* FROM (VALUES ('u0'), ('u1'), ('u2'), ('u4'), ('u7')) u(id),
     LATERAL recsys_user_profile(u.id, 'pr_shop') p ORDER BY u.id;
-- A model without prices or time: NULLs.
SELECT * FROM recsys_user_profile('u3', 'ex_itemknn');
SELECT * FROM recsys_user_profile('u3');
-- A user the model does not know but the source now holds (issue 13 A6):
-- explained from those rows the way recommend()'s fresh path scores them,
-- the contributions summing to its score; bpr and popularity fold in no
-- history sum (bias; popular items).
INSERT INTO ex_events VALUES ('fresh1', 'a1', 2), ('fresh1', 'a4', 1), ('fresh1', 'b2', 3), ('fresh1', 'a_new', 1);
SELECT m AS model, count(*) AS rows,
       bool_and(abs(coalesce((SELECT sum(contribution) FROM recsys_explain('fresh1', r.item_id, m)), 0) - r.score)
                < 0.001 * greatest(1, abs(r.score))) AS sums_to_score,
       min(r.source) AS source
FROM unnest(ARRAY['ex_als', 'ex_svd', 'ex_itemknn', 'ex_ease', 'ex_content', 'ex_hybrid']) m,
     recommend('fresh1', 3, m, '{"fresh": true}') r
GROUP BY m ORDER BY m;
SELECT item_id, round(contribution::numeric, 3) AS contribution, rank FROM recsys_explain('fresh1', 'a5', 'ex_itemknn');
SELECT count(*) AS rows, bool_and(item_id IN ('a1', 'a4', 'b2', 'a_new')) AS from_rows FROM recsys_explain('fresh1', 'a5', 'ex_bpr');
SELECT count(*) AS popularity_rows FROM recsys_explain('fresh1', 'a5', 'ex_popularity');
-- unknown to the model and the source: still not found (42704)
SELECT * FROM recsys_explain('fresh2', 'a5', 'ex_itemknn');
\echo :SQLSTATE
DELETE FROM ex_events WHERE user_id = 'fresh1';
SELECT * FROM recsys_explain('fresh1', 'a5', 'ex_itemknn');

-- Errors, one per line.
SELECT * FROM recsys_explain('nobody', 'a1', 'ex_itemknn');
SELECT * FROM recsys_explain('u3', 'nothing', 'ex_itemknn');
SELECT * FROM recsys_explain(NULL, 'a1', 'ex_itemknn');
SELECT * FROM recsys_explain('u3', NULL, 'ex_itemknn');
SELECT * FROM recsys_user_profile('nobody', 'pr_shop');
SELECT * FROM recsys_user_profile(NULL, 'pr_shop');
SELECT * FROM recsys_explain('u3', 'a1', 'no_such_model');
SELECT * FROM recsys_user_profile('u3', 'no_such_model');
