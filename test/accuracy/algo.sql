-- algo.sql - train model NAME with ALGO and OPTS on train_set, recommend
-- top-10 for every test user through recommend(), print NDCG@10.
-- run.sh substitutes NAME, ALGO and OPTS.
SELECT 'train NAME', recsys_train('NAME', 'train_set', 'ALGO', 'OPTS') IS NOT NULL;
CREATE TABLE recs_NAME AS
  SELECT t.user_id, r.item_id, r.rank
  FROM test_users t, recommend(CAST(t.user_id AS text), 10, 'NAME') r;
SELECT 'ndcg NAME', round(CAST(avg(dcg / idcg) AS numeric), 4) FROM (
  SELECT t.user_id,
         (SELECT coalesce(sum(d.d), 0) FROM recs_NAME r
            JOIN test_set x ON x.user_id = r.user_id AND CAST(x.item_id AS text) = r.item_id
            JOIN disc d ON d.r = r.rank
           WHERE r.user_id = t.user_id) AS dcg,
         (SELECT sum(d.d) FROM disc d WHERE d.r <= t.n_test) AS idcg
  FROM test_users t) q;
