-- The "weighting" training option: raw, binary, log for every algorithm,
-- recorded in the summary; fresh users fold in with the model's weighting;
-- itemknn keeps 0.1.0's none|tfidf|bm25; a bad value names the allowed ones.
-- Play counts: users p0-p9 play artists a0-a5 (a few of them a lot), q0-q9 b0-b5.
CREATE TABLE plays AS
SELECT (CASE WHEN x / 6 % 2 = 0 THEN 'p' ELSE 'q' END) || (x / 12) AS user_id,
       (CASE WHEN x / 6 % 2 = 0 THEN 'a' ELSE 'b' END) || ((x * 5 + x / 12) % 6) AS item_id,
       1 + (x * 37) % 11 * (x * 37) % 11 * 100 AS weight
FROM generate_series(0, 59) x WHERE (x + x / 12) % 6 <> 0;
SELECT count(*) AS rows, sum(weight) AS plays FROM plays;

-- Each value, recorded in the summary.
SELECT a.alg, w.val, (recsys_train('w_' || a.alg || '_' || w.val, 'plays', a.alg,
         jsonb_build_object('threads', 1, 'weighting', w.val)))->>'weighting' AS weighting
FROM unnest(ARRAY['als', 'itemknn', 'ease', 'svd', 'popularity', 'bpr']) a(alg),
     unnest(ARRAY['raw', 'binary', 'log']) w(val)
ORDER BY a.alg, w.val;
SELECT (recsys_train('w_default', 'plays', 'ease', '{"threads": 1}'))->>'weighting' IN ('raw', 'binary', 'log') AS has_default;

-- The transform changes what the model learns.
SELECT (SELECT string_agg(item_id || ':' || round(score::numeric, 4), ',' ORDER BY rank) FROM recommend('q1', 3, 'w_ease_raw')) <>
       (SELECT string_agg(item_id || ':' || round(score::numeric, 4), ',' ORDER BY rank) FROM recommend('q1', 3, 'w_ease_binary')) AS differs;

-- A fresh user (rows read from the source) folds in with the model's
-- weighting: the same items and scores as the trained user.
SELECT k.rank, k.item_id = f.item_id AS same_item, abs(k.score - f.score) < 1e-4 AS same_score
FROM recommend('p1', 3, 'w_ease_log') k JOIN recommend('p1', 3, 'w_ease_log', '{"fresh": true}') f USING (rank)
ORDER BY k.rank;
SELECT k.rank, k.item_id = f.item_id AS same_item, abs(k.score - f.score) < 1e-4 AS same_score
FROM recommend('q2', 3, 'w_itemknn_binary') k JOIN recommend('q2', 3, 'w_itemknn_binary', '{"fresh": true}') f USING (rank)
ORDER BY k.rank;

-- A hybrid: its weighting for components without their own, per component.
SELECT (recsys_train('w_hybrid', 'plays', 'hybrid',
  '{"threads": 1, "weighting": "log", "components": {"ease": 1, "itemknn": {"weight": 1, "weighting": "binary"}}}'))->'weighting' AS weighting;
-- auto: candidates take auto's weighting.
SELECT (recsys_train('w_auto', 'plays', 'auto', '{"threads": 1, "weighting": "binary", "algorithms": ["ease"]}'))->>'weighting' AS weighting;
-- recsys_evaluate trains with it too.
SELECT test_users > 0 AS evaluated FROM recsys_evaluate('plays', 'ease', '{"threads": 1, "weighting": "log"}');

-- itemknn: 0.1.0's weighting values are its item weighting now (also item_weighting).
SELECT s->>'weighting' AS weighting, s->'params'->>'weighting' AS item_weighting
FROM recsys_train('w_knn_tfidf', 'plays', 'itemknn', '{"threads": 1, "weighting": "tfidf"}') s;
SELECT s->>'weighting' AS weighting, s->'params'->>'weighting' AS item_weighting
FROM recsys_train('w_knn_both', 'plays', 'itemknn', '{"threads": 1, "weighting": "log", "item_weighting": "none"}') s;

-- Bad values.
SELECT recsys_train('w_bad', 'plays', 'als', '{"weighting": "sqrt"}');
SELECT recsys_train('w_bad', 'plays', 'itemknn', '{"weighting": "idf"}');
SELECT recsys_train('w_bad', 'plays', 'ease', '{"weighting": 1}');

SELECT count(*) FROM (SELECT recsys_drop_model(name) FROM recsys_models WHERE name LIKE 'w\_%') d;
DROP TABLE plays;
