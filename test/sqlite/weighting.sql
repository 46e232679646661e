-- the "weighting" training option: raw, binary, log for every algorithm,
-- the summary says which was used, fresh users fold in with the model's,
-- itemknn keeps 0.1.0's none|tfidf|bm25, a bad value names the allowed ones.
.headers on
-- play counts: users p0-p9 play artists a0-a5 (a few of them a lot), q0-q9 b0-b5
CREATE TABLE plays AS
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 59)
SELECT (CASE WHEN x / 6 % 2 = 0 THEN 'p' ELSE 'q' END) || (x / 12) AS user_id,
       (CASE WHEN x / 6 % 2 = 0 THEN 'a' ELSE 'b' END) || ((x * 5 + x / 12) % 6) AS item_id,
       1 + (x * 37) % 11 * (x * 37) % 11 * 100 AS weight
FROM n WHERE (x + x / 12) % 6 <> 0;
SELECT count(*) AS rows, sum(weight) AS plays FROM plays;
-- each value, recorded in the summary (and the default: the family's)
SELECT a.alg, w.val, json_extract(recsys_train('w_' || a.alg || '_' || w.val, 'plays', a.alg,
         json_object('threads', 1, 'weighting', w.val)), '$.weighting') AS weighting
FROM (SELECT 'als' AS alg UNION ALL SELECT 'itemknn' UNION ALL SELECT 'ease' UNION ALL SELECT 'svd'
      UNION ALL SELECT 'popularity' UNION ALL SELECT 'bpr') a,
     (SELECT 'raw' AS val UNION ALL SELECT 'binary' UNION ALL SELECT 'log') w
ORDER BY a.alg, w.val;
SELECT json_extract(recsys_train('w_default', 'plays', 'ease', '{"threads": 1}'), '$.weighting') IN ('raw', 'binary', 'log') AS has_default;
-- the transform changes what the model learns: raw and binary ease rank q1 differently
SELECT (SELECT group_concat(item_id) FROM (SELECT item_id FROM recommend('q1', 3, 'w_ease_raw') ORDER BY rank)) <>
       (SELECT group_concat(item_id) FROM (SELECT item_id FROM recommend('q1', 3, 'w_ease_binary') ORDER BY rank))
       OR (SELECT group_concat(round(score, 4)) FROM (SELECT score FROM recommend('q1', 3, 'w_ease_raw') ORDER BY rank)) <>
          (SELECT group_concat(round(score, 4)) FROM (SELECT score FROM recommend('q1', 3, 'w_ease_binary') ORDER BY rank)) AS differs;
-- a fresh user (rows read from the source) folds in with the model's weighting:
-- the same items and scores as the trained user
SELECT k.rank, k.item_id = f.item_id AS same_item, abs(k.score - f.score) < 1e-4 AS same_score
FROM recommend('p1', 3, 'w_ease_log') k JOIN recommend('p1', 3, 'w_ease_log', '{"fresh": true}') f USING (rank)
ORDER BY k.rank;
SELECT k.rank, k.item_id = f.item_id AS same_item, abs(k.score - f.score) < 1e-4 AS same_score
FROM recommend('q2', 3, 'w_itemknn_binary') k JOIN recommend('q2', 3, 'w_itemknn_binary', '{"fresh": true}') f USING (rank)
ORDER BY k.rank;
-- a hybrid: its weighting for components without their own, stored per component
SELECT json_extract(recsys_train('w_hybrid', 'plays', 'hybrid',
  '{"threads": 1, "weighting": "log", "components": {"ease": 1, "itemknn": {"weight": 1, "weighting": "binary"}}}'),
  '$.weighting') AS weighting;
-- auto: candidates take auto's weighting
SELECT json_extract(s, '$.weighting') AS weighting
FROM (SELECT recsys_train('w_auto', 'plays', 'auto', '{"threads": 1, "weighting": "binary", "algorithms": ["ease"]}') AS s);
-- recsys_evaluate trains with it too
SELECT test_users > 0 AS evaluated FROM recsys_evaluate('plays', 'ease', '{"threads": 1, "weighting": "log"}');
-- itemknn: 0.1.0's weighting values are its item weighting now (and item_weighting)
SELECT json_extract(s, '$.weighting') AS weighting, json_extract(s, '$.params.weighting') AS item_weighting
FROM (SELECT recsys_train('w_knn_tfidf', 'plays', 'itemknn', '{"threads": 1, "weighting": "tfidf"}') AS s);
SELECT json_extract(s, '$.weighting') AS weighting, json_extract(s, '$.params.weighting') AS item_weighting
FROM (SELECT recsys_train('w_knn_both', 'plays', 'itemknn', '{"threads": 1, "weighting": "log", "item_weighting": "none"}') AS s);
-- bad values
SELECT recsys_train('w_bad', 'plays', 'als', '{"weighting": "sqrt"}');
SELECT recsys_train('w_bad', 'plays', 'itemknn', '{"weighting": "idf"}');
SELECT recsys_train('w_bad', 'plays', 'ease', '{"weighting": 1}');
