-- recsys_explain(): for every model family, the history items behind a
-- score, largest first; where the score is a plain sum over the history
-- (itemknn, content, ease, svd, a hybrid of them) the contributions add up
-- to recommend()'s score; als within its solver's tolerance; popularity has
-- no rows. Errors one per line (the same data as sql/explain.sql).
CREATE TABLE ex_events AS
SELECT 'u' || u.value AS user_id, (CASE WHEN u.value < 20 THEN 'a' ELSE 'b' END) || j.value AS item_id,
       1 + (u.value + j.value) % 3 AS weight
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE (u.value * u.value + 3 * j.value * u.value + 5 * j.value * j.value + j.value) % 11 < 6;
CREATE TABLE ex_items AS
SELECT g.g || j.value AS item_id, CASE g.g WHEN 'a' THEN 'kitchen' ELSE 'garden' END AS category,
       CASE g.g WHEN 'a' THEN 'steel pan ' ELSE 'green hose ' END ||
       CASE j.value % 3 WHEN 0 THEN 'large' WHEN 1 THEN 'small' ELSE 'round' END AS descr
FROM (SELECT 'a' AS g UNION ALL SELECT 'b') g, generate_series(0, 9) j
UNION ALL SELECT 'a_new', 'kitchen', 'steel pan round';
.headers on
SELECT group_concat(json_extract(recsys_train('ex_' || a, 'ex_events', a,
                      '{"threads": 1, "seed": 42, "items": "ex_items"' ||
                      CASE a WHEN 'svd' THEN ', "factors": 4'
                             WHEN 'als' THEN ', "factors": 4, "iterations": 40, "solver": "cholesky"'
                             ELSE '' END || '}'), '$.algorithm'), ' ') AS trained
FROM (SELECT 'als' AS a UNION ALL SELECT 'svd' UNION ALL SELECT 'bpr' UNION ALL SELECT 'itemknn'
      UNION ALL SELECT 'ease' UNION ALL SELECT 'content' UNION ALL SELECT 'popularity');
SELECT json_extract(recsys_train('ex_hybrid', 'ex_events', 'hybrid',
       '{"threads": 1, "seed": 42, "components": {"itemknn": 2, "ease": 1}}'), '$.algorithm') AS hybrid;
-- The rows themselves: u3's history behind a5 (itemknn, ease) and a_new (content).
SELECT item_id, round(contribution, 3) AS contribution, rank FROM recsys_explain('u3', 'a5', 'ex_itemknn');
SELECT item_id, round(contribution, 3) AS contribution, rank FROM recsys_explain('u3', 'a5', 'ex_ease') LIMIT 3;
SELECT item_id, round(contribution, 3) AS contribution, rank FROM recsys_explain('u3', 'a_new', 'ex_content') LIMIT 3;
-- Every family: rows from the user's history, largest first.
SELECT m.m AS model, count(*) AS rows,
       min(e.item_id IN (SELECT item_id FROM ex_events WHERE user_id = 'u3')) AS from_history,
       min(e.contribution <= e.prev) AS largest_first
FROM (SELECT 'ex_als' AS m UNION ALL SELECT 'ex_svd' UNION ALL SELECT 'ex_bpr'
      UNION ALL SELECT 'ex_itemknn' UNION ALL SELECT 'ex_ease' UNION ALL SELECT 'ex_content'
      UNION ALL SELECT 'ex_popularity' UNION ALL SELECT 'ex_hybrid') m,
     (SELECT x.m, item_id, contribution, lag(contribution, 1, 1e308) OVER (PARTITION BY x.m ORDER BY rank) AS prev
      FROM (SELECT 'ex_als' AS m UNION ALL SELECT 'ex_svd' UNION ALL SELECT 'ex_bpr'
            UNION ALL SELECT 'ex_itemknn' UNION ALL SELECT 'ex_ease' UNION ALL SELECT 'ex_content'
            UNION ALL SELECT 'ex_popularity' UNION ALL SELECT 'ex_hybrid') x,
           recsys_explain('u3', 'a5', x.m)) e
WHERE e.m = m.m
GROUP BY m.m ORDER BY m.m;
-- Their sum against recommend()'s score for u3's top 3.
SELECT m.m AS model,
       min(abs(coalesce((SELECT sum(contribution) FROM recsys_explain('u3', r.item_id, m.m)), 0) - r.score)
           < CASE m.m WHEN 'ex_als' THEN 0.02 ELSE 0.001 END) AS sums_to_score
FROM (SELECT 'ex_als' AS m UNION ALL SELECT 'ex_svd' UNION ALL SELECT 'ex_itemknn'
      UNION ALL SELECT 'ex_ease' UNION ALL SELECT 'ex_hybrid') m, recommend('u3', 3, m.m) r
GROUP BY m.m ORDER BY m.m;
SELECT count(*) AS popularity_rows FROM recsys_explain('u3', 'a5', 'ex_popularity');
-- The default model, lateral over users.
SELECT recsys_set_default_model('ex_itemknn') AS default_model;
SELECT u.id, u.item, count(*) AS rows, min(e.rank) AS first
FROM (SELECT 'u1' AS id, 'a2' AS item UNION ALL SELECT 'u22', 'b2') u, recsys_explain(u.id, u.item) e
GROUP BY u.id, u.item ORDER BY u.id;
-- recommend()'s reason names the top contributor (itemknn, ease: the same
-- w_uj x similarity); content's item that only the items table names is new;
-- popularity says so; sessions name one of their items.
SELECT m.m AS model, count(*) AS rows,
       min(r.reason = 'because of ' ||
           (SELECT e.item_id FROM recsys_explain('u3', r.item_id, m.m) e ORDER BY e.rank LIMIT 1)) AS top_contributor
FROM (SELECT 'ex_itemknn' AS m UNION ALL SELECT 'ex_ease') m, recommend('u3', 3, m.m) r
GROUP BY m.m ORDER BY m.m;
SELECT item_id, rank, reason FROM recommend('u3', 3, 'ex_content');
SELECT item_id, rank, reason FROM recommend('u3', 2, 'ex_popularity');
SELECT item_id, rank, reason FROM recommend('u3', 2, 'ex_hybrid');
SELECT item_id, rank, reason FROM recommend_for_items('["a1", "a8"]', 2, 'ex_itemknn');
-- recsys_user_profile(): u0 has a repeated row (4 rows, 3 items); users'
-- average item prices rise with their number, so the spending segments are
-- quarters of the eight users; ts is unix seconds, shown as UTC text.
CREATE TABLE pr_events AS
SELECT 'u' || u.value AS user_id, 'p' || ((u.value + j.value) % 10) AS item_id,
       1700000000 + 3600 * u.value + 60 * j.value AS ts
FROM generate_series(0, 7) u, generate_series(0, 2) j
UNION ALL SELECT 'u0', 'p0', 1699990000;
CREATE TABLE pr_items AS
SELECT 'p' || j.value AS item_id, 10 * (j.value + 1) AS price FROM generate_series(0, 9) j;
SELECT recsys_train('pr_shop', 'pr_events', 'itemknn', '{"items": "pr_items"}') IS NOT NULL AS trained;
SELECT u.id, p.* FROM (SELECT 'u0' AS id UNION ALL SELECT 'u1' UNION ALL SELECT 'u2'
                       UNION ALL SELECT 'u4' UNION ALL SELECT 'u7') u,
     recsys_user_profile(u.id, 'pr_shop') p ORDER BY u.id;
-- A model without prices or time: NULLs.
SELECT * FROM recsys_user_profile('u3', 'ex_itemknn');
SELECT * FROM recsys_user_profile('u3');
-- A user the model does not know but the source now holds (issue 13 A6):
-- explained from those rows the way recommend()'s fresh path scores them,
-- the contributions summing to its score; bpr and popularity fold in no
-- history sum (bias; popular items).
INSERT INTO ex_events VALUES ('fresh1', 'a1', 2), ('fresh1', 'a4', 1), ('fresh1', 'b2', 3), ('fresh1', 'a_new', 1);
SELECT m.m AS model, count(*) AS rows,
       min(abs(coalesce((SELECT sum(contribution) FROM recsys_explain('fresh1', r.item_id, m.m)), 0) - r.score)
           < 0.001 * max(1, abs(r.score))) AS sums_to_score,
       min(r.source) AS source
FROM (SELECT 'ex_als' AS m UNION ALL SELECT 'ex_svd' UNION ALL SELECT 'ex_itemknn'
      UNION ALL SELECT 'ex_ease' UNION ALL SELECT 'ex_content' UNION ALL SELECT 'ex_hybrid') m,
     recommend('fresh1', 3, m.m, '{"fresh": true}') r
GROUP BY m.m ORDER BY m.m;
SELECT item_id, round(contribution, 3) AS contribution, rank FROM recsys_explain('fresh1', 'a5', 'ex_itemknn');
SELECT count(*) AS rows, min(item_id IN ('a1', 'a4', 'b2', 'a_new')) AS from_rows FROM recsys_explain('fresh1', 'a5', 'ex_bpr');
SELECT count(*) AS popularity_rows FROM recsys_explain('fresh1', 'a5', 'ex_popularity');
-- unknown to the model and the source: still not found
SELECT * FROM recsys_explain('fresh2', 'a5', 'ex_itemknn');
DELETE FROM ex_events WHERE user_id = 'fresh1';
SELECT * FROM recsys_explain('fresh1', 'a5', 'ex_itemknn');
-- Errors, one per line.
SELECT * FROM recsys_explain('nobody', 'a1', 'ex_itemknn');
SELECT * FROM recsys_explain('u3', 'nothing', 'ex_itemknn');
SELECT * FROM recsys_explain(NULL, 'a1', 'ex_itemknn');
SELECT * FROM recsys_explain('u3', NULL, 'ex_itemknn');
SELECT * FROM recsys_explain('u3');
SELECT * FROM recsys_explain('u3', 'a1', 'no_such_model');
SELECT * FROM recsys_user_profile('nobody', 'pr_shop');
SELECT * FROM recsys_user_profile(NULL, 'pr_shop');
SELECT * FROM recsys_explain('u3', 'a1', 'no_such_model');
SELECT * FROM recsys_user_profile('u3', 'no_such_model');
SELECT * FROM recsys_user_profile();
SELECT * FROM recsys_user_profile('u1', 'no_such_model');
