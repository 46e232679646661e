-- The vae algorithm (Mult-VAE, core/vae.c): trains on two taste groups
-- (users 0-19 take items a0-a9, users 20-39 b0-b9, each skipping two),
-- recommends within the group, folds in fresh users and sessions through
-- its encoder, finds similar items by the decoder's item vectors, explains
-- a score by the items whose removal lowers it most; bad options and the
-- memory limit are refused, and a cancelled training keeps the old model.
CREATE TABLE vae_events AS
SELECT 'u' || u AS user_id, (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || j AS item_id
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE j <> u % 10 AND j <> (u + 3) % 10;
CREATE INDEX vae_events_user ON vae_events (user_id);

SELECT s->>'algorithm' AS algorithm, s->>'users' AS users, s->>'items' AS items,
       s->'params'->>'hidden' AS hidden, s->'params'->>'latent' AS latent,
       s->>'weighting' AS weighting
FROM recsys_train('vae_m', 'vae_events', 'vae',
  '{"threads": 1, "seed": 7, "hidden": 16, "latent": 4, "epochs": 150, "batch": 8,
    "learning_rate": 0.01, "anneal_steps": 0, "beta": 0.05}') s;

-- Known users: the two items they skipped come first, from their own group.
SELECT count(*) AS n, bool_and(item_id LIKE 'a%') AS own_group,
       bool_and(item_id IN ('a1', 'a4')) AS skipped_ones
FROM recommend('u1', 2, 'vae_m');
SELECT bool_and(item_id LIKE 'b%') AS own_group, min(source) AS source
FROM recommend('u25', 2, 'vae_m');
-- The same user through the encoder at serving ("fresh"): same items and scores.
SELECT k.rank, k.item_id = f.item_id AS same_item, abs(k.score - f.score) < 1e-4 AS same_score
FROM recommend('u5', 3, 'vae_m') k JOIN recommend('u5', 3, 'vae_m', '{"fresh": true}') f USING (rank)
ORDER BY k.rank;
-- A fresh user with b items, without retraining.
INSERT INTO vae_events VALUES ('newbie', 'b1'), ('newbie', 'b2'), ('newbie', 'b3');
SELECT count(*) AS n, bool_and(item_id LIKE 'b%') AS b_only,
       bool_and(item_id NOT IN ('b1', 'b2', 'b3')) AS unseen, min(source) AS source
FROM recommend('newbie', 4, 'vae_m');
-- A session of a items.
SELECT count(*) AS n, bool_and(item_id LIKE 'a%') AS a_only
FROM recommend_for_items(ARRAY['a0', 'a2', 'a5'], 4, 'vae_m');
-- Similar items: the decoder's item vectors, by cosine.
SELECT count(*) AS n, bool_and(item_id LIKE 'a%') AS same_group, bool_and(item_id <> 'a1') AS not_self,
       min(reason) AS reason
FROM similar_items('a1', 3, 'vae_m');
-- Explain: u1's history items, largest drop first; u1 holds a0, a2, a3, a5-a9.
SELECT count(*) AS n,
       bool_and(item_id IN (SELECT item_id FROM vae_events WHERE user_id = 'u1')) AS from_history,
       bool_and(contribution IS NOT NULL) AS has_values
FROM recsys_explain('u1', 'a4', 'vae_m');
SELECT bool_and(a.contribution >= b.contribution) AS largest_first
FROM recsys_explain('u1', 'a4', 'vae_m') a JOIN recsys_explain('u1', 'a4', 'vae_m') b
  ON b.rank = a.rank + 1;
-- recsys_evaluate trains and scores it like any algorithm.
SELECT test_users > 0 AS evaluated, ndcg >= 0 AS has_ndcg
FROM recsys_evaluate('vae_events', 'vae', '{"threads": 1, "hidden": 8, "latent": 2, "epochs": 5}');

-- Bad options, each named.
SELECT recsys_train('vae_bad', 'vae_events', 'vae', '{"hidden": 0}');
SELECT recsys_train('vae_bad', 'vae_events', 'vae', '{"latent": 5000}');
SELECT recsys_train('vae_bad', 'vae_events', 'vae', '{"dropout": 1}');
SELECT recsys_train('vae_bad', 'vae_events', 'vae', '{"learning_rate": 0}');
SELECT recsys_train('vae_bad', 'vae_events', 'vae', '{"epochs": "many"}');
SELECT recsys_train('vae_bad', 'vae_events', 'vae', '{"beta": -1}');
SELECT recsys_train('vae_bad', 'vae_events', 'vae', '{"factors": 8}');
-- The memory limit is checked before anything is allocated.
SELECT recsys_train('vae_bad', 'vae_events', 'vae', '{"hidden": 60000, "max_memory_mb": 10}');
SELECT count(*) AS no_model FROM recsys_models WHERE name = 'vae_bad';

-- A cancelled retraining leaves the previous model serving.
SELECT version AS before FROM recsys_models WHERE name = 'vae_m';
SET statement_timeout = '500ms';
SELECT recsys_train('vae_m', 'vae_events', 'vae', '{"threads": 1, "epochs": 100000}');
RESET statement_timeout;
SELECT version AS after FROM recsys_models WHERE name = 'vae_m';
SELECT count(*) AS n FROM recommend('u1', 2, 'vae_m');

SELECT recsys_drop_model('vae_m');
DROP TABLE vae_events;
