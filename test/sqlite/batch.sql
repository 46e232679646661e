-- recommend_batch(): every user's rows equal recommend()'s through a lateral
-- join (items, order, scores, reasons, sources) for each algorithm family and
-- with filters and re-ranking; NULL, empty, unknown and repeated user lists;
-- k and option errors; the INSERT ... SELECT recipe.
.headers on
CREATE TABLE b_events AS
  WITH RECURSIVE u(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM u WHERE u < 299),
                 g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 31)
  SELECT DISTINCT 'u' || u AS user_id,
         'i' || CAST((((u * 7919 + g * 104729) % 1000) / 1000.0) * (((u * 7919 + g * 104729) % 1000) / 1000.0) * 400 AS integer) AS item_id,
         1000 + 50 * g AS ts
  FROM u, g WHERE g <= 8 + u % 24;
CREATE TABLE b_items AS
  WITH RECURSIVE i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < 399)
  SELECT 'i' || i AS item_id, i % 50 + 1 AS price, 'c' || (i % 4) AS category FROM i;
CREATE TABLE b_users AS
  WITH RECURSIVE u(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM u WHERE u < 299)
  SELECT 'u' || u AS id FROM u UNION ALL SELECT 'stranger';
SELECT recsys_train('b_als', 'b_events', 'als',
       '{"threads": 1, "factors": 8, "seed": 1, "items": "b_items"}') IS NOT NULL AS als;
SELECT recsys_train('b_svd', 'b_events', 'svd', '{"threads": 1, "factors": 8}') IS NOT NULL AS svd;
SELECT recsys_train('b_bpr', 'b_events', 'bpr', '{"threads": 1, "factors": 8, "seed": 1}') IS NOT NULL AS bpr;
SELECT recsys_train('b_knn', 'b_events', 'itemknn', '{"threads": 1}') IS NOT NULL AS itemknn;
SELECT recsys_train('b_ease', 'b_events', 'ease', '{"threads": 1}') IS NOT NULL AS ease;
SELECT recsys_train('b_pop', 'b_events', 'popularity') IS NOT NULL AS popularity;
SELECT recsys_train('b_content', 'b_events', 'content', '{"items": "b_items"}') IS NOT NULL AS content;
SELECT recsys_train('b_hybrid', 'b_events', 'hybrid',
       '{"threads": 1, "seed": 1, "components": {"als": 2, "itemknn": 1}}') IS NOT NULL AS hybrid;
CREATE TABLE b_list AS SELECT json_group_array(id) AS ids FROM b_users;
-- For each case: rows of the batch missing from the lateral join of
-- recommend(), the other way round, and the two row counts.
SELECT 'b_als' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_als', '{}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_als', '{}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_als', '{}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_als', '{}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_als', '{}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_als', '{}') r)) AS join_rows;
SELECT 'b_svd' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_svd', '{}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_svd', '{}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_svd', '{}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_svd', '{}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_svd', '{}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_svd', '{}') r)) AS join_rows;
SELECT 'b_bpr' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_bpr', '{}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_bpr', '{}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_bpr', '{}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_bpr', '{}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_bpr', '{}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_bpr', '{}') r)) AS join_rows;
SELECT 'b_knn' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_knn', '{}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_knn', '{}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_knn', '{}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_knn', '{}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_knn', '{}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_knn', '{}') r)) AS join_rows;
SELECT 'b_ease' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_ease', '{}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_ease', '{}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_ease', '{}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_ease', '{}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_ease', '{}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_ease', '{}') r)) AS join_rows;
SELECT 'b_pop' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_pop', '{}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_pop', '{}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_pop', '{}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_pop', '{}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_pop', '{}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_pop', '{}') r)) AS join_rows;
SELECT 'b_content' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_content', '{}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_content', '{}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_content', '{}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_content', '{}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_content', '{}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_content', '{}') r)) AS join_rows;
SELECT 'b_hybrid' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_hybrid', '{}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_hybrid', '{}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_hybrid', '{}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_hybrid', '{}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 10, 'b_hybrid', '{}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 10, 'b_hybrid', '{}') r)) AS join_rows;
SELECT 'als {"exclude_seen": false}' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"exclude_seen": false}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"exclude_seen": false}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"exclude_seen": false}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"exclude_seen": false}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"exclude_seen": false}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"exclude_seen": false}') r)) AS join_rows;
SELECT 'als {"price_min": 10, "exclude_categories": ["c1"]}' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"price_min": 10, "exclude_categories": ["c1"]}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"price_min": 10, "exclude_categories": ["c1"]}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"price_min": 10, "exclude_categories": ["c1"]}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"price_min": 10, "exclude_categories": ["c1"]}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"price_min": 10, "exclude_categories": ["c1"]}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"price_min": 10, "exclude_categories": ["c1"]}') r)) AS join_rows;
SELECT 'als {"categories": ["c2"], "exclude_items": ["i0", "i1"]}' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"categories": ["c2"], "exclude_items": ["i0", "i1"]}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"categories": ["c2"], "exclude_items": ["i0", "i1"]}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"categories": ["c2"], "exclude_items": ["i0", "i1"]}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"categories": ["c2"], "exclude_items": ["i0", "i1"]}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"categories": ["c2"], "exclude_items": ["i0", "i1"]}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"categories": ["c2"], "exclude_items": ["i0", "i1"]}') r)) AS join_rows;
SELECT 'als {"diversity": 0.3, "popularity_penalty": 0.5}' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"diversity": 0.3, "popularity_penalty": 0.5}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"diversity": 0.3, "popularity_penalty": 0.5}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"diversity": 0.3, "popularity_penalty": 0.5}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"diversity": 0.3, "popularity_penalty": 0.5}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"diversity": 0.3, "popularity_penalty": 0.5}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"diversity": 0.3, "popularity_penalty": 0.5}') r)) AS join_rows;
SELECT 'als {"upsell": 0.2, "price_sensitivity": true, "candidates": 30}' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"upsell": 0.2, "price_sensitivity": true, "candidates": 30}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"upsell": 0.2, "price_sensitivity": true, "candidates": 30}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"upsell": 0.2, "price_sensitivity": true, "candidates": 30}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"upsell": 0.2, "price_sensitivity": true, "candidates": 30}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"upsell": 0.2, "price_sensitivity": true, "candidates": 30}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"upsell": 0.2, "price_sensitivity": true, "candidates": 30}') r)) AS join_rows;
SELECT 'als {"repurchase_cycle": true, "now": 5000, "reasons": false}' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"repurchase_cycle": true, "now": 5000, "reasons": false}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"repurchase_cycle": true, "now": 5000, "reasons": false}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"repurchase_cycle": true, "now": 5000, "reasons": false}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"repurchase_cycle": true, "now": 5000, "reasons": false}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 5, 'b_als', '{"repurchase_cycle": true, "now": 5000, "reasons": false}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 5, 'b_als', '{"repurchase_cycle": true, "now": 5000, "reasons": false}') r)) AS join_rows;
SELECT 'knn rerank' AS case_, (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 3, 'b_knn', '{"diversity": 0.5, "exclude_seen": false}') EXCEPT SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 3, 'b_knn', '{"diversity": 0.5, "exclude_seen": false}') r)) AS missing,
       (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 3, 'b_knn', '{"diversity": 0.5, "exclude_seen": false}') r EXCEPT SELECT * FROM recommend_batch((SELECT ids FROM b_list), 3, 'b_knn', '{"diversity": 0.5, "exclude_seen": false}'))) AS extra,
       (SELECT count(*) FROM (SELECT * FROM recommend_batch((SELECT ids FROM b_list), 3, 'b_knn', '{"diversity": 0.5, "exclude_seen": false}'))) AS batch_rows, (SELECT count(*) FROM (SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM b_users u, recommend(u.id, 3, 'b_knn', '{"diversity": 0.5, "exclude_seen": false}') r)) AS join_rows;
-- k beyond what is left: every unseen item, no more.
SELECT count(*) AS u1_all FROM recommend_batch('["u1"]', 1000, 'b_als');
SELECT count(*) AS u1_join FROM recommend('u1', 1000, 'b_als');
-- NULL user_ids (or none): every user of the model, k rows each.
SELECT count(*) AS rows, count(DISTINCT user_id) AS users, min(rank) AS min_rank,
       max(rank) AS max_rank FROM recommend_batch(NULL, 4, 'b_als');
SELECT count(*) AS default_k_rows FROM recommend_batch WHERE model = 'b_als';
-- Empty list, nulls, repeats, strangers, numbers as ids.
SELECT count(*) AS empty FROM recommend_batch('[]', 5, 'b_als');
SELECT user_id, count(*) AS n, min(source) AS source
  FROM recommend_batch('["u3", null, "u3", "stranger", "", 7]', 5, 'b_als')
  GROUP BY user_id ORDER BY user_id;
-- The rows come user by user in the list's order, each best first.
SELECT user_id, rank FROM recommend_batch('["u9", "u4"]', 2, 'b_als');
-- Bad arguments and options.
SELECT * FROM recommend_batch('["u1"]', 0, 'b_als');
SELECT * FROM recommend_batch('["u1"]', 100001, 'b_als');
SELECT * FROM recommend_batch('["u1"]', NULL, 'b_als');
SELECT * FROM recommend_batch('["u1"]', 'ten', 'b_als');
SELECT * FROM recommend_batch('["u1"]', 5, 'b_als', '{}');
SELECT * FROM recommend_batch('["u1"]', 5, 'b_als', '{"fresh": true}');
SELECT * FROM recommend_batch('["u1"]', 5, 'b_als', '{"exclude_seen": "yes"}');
SELECT * FROM recommend_batch('["u1"]', 5, 'b_svd', '{"upsell": 1}');
SELECT * FROM recommend_batch('[]', 5, 'b_als', '{"diversity": 2}');
SELECT * FROM recommend_batch('["u1"]', 5, 'no_such_model');
SELECT * FROM recommend_batch('{"u": 1}', 5, 'b_als');
SELECT * FROM recommend_batch('[["u1"]]', 5, 'b_als');
SELECT * FROM recommend_batch('not json', 5, 'b_als');
-- Also a connection-local table, like the other serving functions.
SELECT count(*) AS temp_rows FROM temp.recommend_batch('["u1", "u2"]', 3, 'b_als');
-- The recipe: every user's top 10 into a table.
CREATE TABLE b_recs (user_id TEXT, item_id TEXT, score REAL, rank INTEGER, reason TEXT, source TEXT);
INSERT INTO b_recs SELECT * FROM recommend_batch(NULL, 10, 'b_als');
SELECT count(*) AS stored, count(DISTINCT user_id) AS users FROM b_recs;
