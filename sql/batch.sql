-- recommend_batch(): every user's rows equal recommend()'s (items, order,
-- scores to the bit, reasons, sources) for each algorithm family and with
-- filters and re-ranking; NULL, empty, unknown and repeated user lists; k
-- and option errors; the model USAGE check; the INSERT ... SELECT recipe.
-- 300 users with 8 to 31 items each of 400, skewed to low ids; times; an
-- items table with prices and categories.
CREATE TABLE b_events AS
SELECT DISTINCT 'u' || u AS user_id,
       'i' || floor(power(((u * 7919 + g * 104729) % 1000) / 1000.0, 2) * 400)::int AS item_id,
       1000 + 50 * g AS ts
FROM generate_series(0, 299) u, generate_series(1, 31) g
WHERE g <= 8 + u % 24;
CREATE TABLE b_items AS
SELECT 'i' || i AS item_id, (i % 50 + 1)::numeric AS price, 'c' || (i % 4) AS category
FROM generate_series(0, 399) i;
CREATE TABLE b_users AS
SELECT 'u' || u AS id FROM generate_series(0, 299) u UNION ALL SELECT 'stranger';
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

-- Rows of the batch that the lateral join of recommend() lacks, and the
-- other way round (scores compared exactly).
CREATE FUNCTION pg_temp.batch_diff(m text, users text[], kk int, opts jsonb DEFAULT '{}')
RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM (
    (SELECT * FROM recommend_batch(users, kk, m, opts)
     EXCEPT ALL
     SELECT u.id, r.* FROM unnest(users) u(id), LATERAL recommend(u.id, kk, m, opts) r)
    UNION ALL
    (SELECT u.id, r.* FROM unnest(users) u(id), LATERAL recommend(u.id, kk, m, opts) r
     EXCEPT ALL
     SELECT * FROM recommend_batch(users, kk, m, opts))) d
$$;
-- Every family, every user and a stranger.
SELECT m, pg_temp.batch_diff(m, ARRAY(SELECT id FROM b_users), 10) AS differ,
       (SELECT count(*) FROM recommend_batch(ARRAY(SELECT id FROM b_users), 10, m)) AS batch_rows
FROM unnest(ARRAY['b_als', 'b_svd', 'b_bpr', 'b_knn', 'b_ease', 'b_pop', 'b_content',
                  'b_hybrid']) m;
-- Options: seen items back, filters, re-ranking, repurchase with a fixed now.
SELECT o, pg_temp.batch_diff('b_als', ARRAY(SELECT id FROM b_users), 5, o::jsonb) AS differ
FROM unnest(ARRAY['{"exclude_seen": false}',
                  '{"price_min": 10, "exclude_categories": ["c1"]}',
                  '{"categories": ["c2"], "exclude_items": ["i0", "i1"]}',
                  '{"diversity": 0.3, "popularity_penalty": 0.5}',
                  '{"upsell": 0.2, "price_sensitivity": true, "candidates": 30}',
                  '{"repurchase_cycle": true, "now": 5000, "reasons": false}']) o;
SELECT pg_temp.batch_diff('b_knn', ARRAY(SELECT id FROM b_users), 3,
                          '{"diversity": 0.5, "exclude_seen": false}') AS knn_rerank_differ;
-- k beyond what is left: every unseen item, no more.
SELECT pg_temp.batch_diff('b_als', ARRAY['u1', 'u2'], 1000) AS all_items_differ,
       (SELECT count(*) FROM recommend_batch(ARRAY['u1'], 1000, 'b_als'))
     = 400 - (SELECT count(*) FROM b_events WHERE user_id = 'u1')
       - (SELECT count(*) FROM generate_series(0, 399) i
          WHERE NOT EXISTS (SELECT 1 FROM b_events WHERE item_id = 'i' || i)) AS unseen_only;

-- NULL user_ids: every user of the model, in the model's order, k rows each.
SELECT count(*) AS rows, count(DISTINCT user_id) AS users, min(rank) AS min_rank,
       max(rank) AS max_rank FROM recommend_batch(NULL, 4, 'b_als');
SELECT count(*) AS default_k_rows FROM recommend_batch(model => 'b_als');
-- Empty list, NULL elements, repeats, strangers.
SELECT count(*) AS empty FROM recommend_batch('{}', 5, 'b_als');
SELECT user_id, count(*) AS n, min(source) AS source
FROM recommend_batch(ARRAY['u3', NULL, 'u3', 'stranger', ''], 5, 'b_als')
GROUP BY user_id ORDER BY user_id;
SELECT pg_temp.batch_diff('b_als', ARRAY['u3', 'u3', 'stranger'], 5) AS repeats_differ;
-- The rows come user by user in the list's order, each best first.
SELECT user_id, rank FROM recommend_batch(ARRAY['u9', 'u4'], 2, 'b_als');

-- Bad arguments and options.
SELECT * FROM recommend_batch(ARRAY['u1'], 0, 'b_als');
SELECT * FROM recommend_batch(ARRAY['u1'], 100001, 'b_als');
SELECT * FROM recommend_batch(ARRAY['u1'], NULL, 'b_als');
SELECT * FROM recommend_batch(ARRAY['u1'], 5, 'b_als', NULL);
SELECT * FROM recommend_batch(ARRAY['u1'], 5, 'b_als', '{"fresh": true}');
SELECT * FROM recommend_batch(ARRAY['u1'], 5, 'b_als', '{"exclude_seen": "yes"}');
SELECT * FROM recommend_batch(ARRAY['u1'], 5, 'b_svd', '{"upsell": 1}');
SELECT * FROM recommend_batch(ARRAY['u1'], 5, 'b_als', '[1]');
SELECT * FROM recommend_batch('{}', 5, 'b_als', '{"diversity": 2}');
\set VERBOSITY terse
SELECT * FROM recommend_batch(ARRAY['u1'], 5, 'no_such_model');
\set VERBOSITY default

-- A role without USAGE is refused; with it, served.
CREATE ROLE b_reader;
SET ROLE b_reader;
SELECT count(*) FROM recommend_batch(ARRAY['u1'], 5, 'b_als');
RESET ROLE;
SELECT recsys_grant('b_als', 'b_reader');
SET ROLE b_reader;
SELECT count(*) AS granted_rows FROM recommend_batch(ARRAY['u1'], 5, 'b_als');
RESET ROLE;
SELECT recsys_revoke('b_als', 'b_reader');
DROP ROLE b_reader;

-- The recipe: every user's top 10 into a table.
CREATE TABLE b_recs (user_id text, item_id text, score real, rank integer, reason text,
                     source text);
INSERT INTO b_recs SELECT * FROM recommend_batch(NULL, 10, 'b_als');
SELECT count(*) AS stored, count(DISTINCT user_id) AS users FROM b_recs;
INSERT INTO b_recs (user_id, item_id, rank)
SELECT user_id, item_id, rank FROM recommend_batch(ARRAY(SELECT id FROM b_users LIMIT 5), 3, 'b_als');
SELECT count(*) AS stored FROM b_recs;
