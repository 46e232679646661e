-- The two_tower algorithm (core/two_tower.c): two taste groups (users
-- 0-19 take items a0-a9, users 20-39 b0-b9, each skipping two) with a users
-- table (taste x / y) and an items table (genre a / b) that also name a user
-- and an item without interactions; recommends within the group, serves the
-- side-only user and item by their attributes, folds in fresh users and
-- sessions through the user tower, similar items by the item tower's cosine,
-- explains a score by the drops when each history item is removed; bad
-- options are refused and a cancelled training keeps the old model.
CREATE TABLE tt_events AS
SELECT 'u' || u AS user_id, (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || j AS item_id
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE j <> u % 10 AND j <> (u + 3) % 10;
CREATE INDEX tt_events_user ON tt_events (user_id);
CREATE TABLE tt_users AS
SELECT 'u' || u AS user_id, CASE WHEN u < 20 THEN 'x' ELSE 'y' END AS taste
FROM generate_series(0, 39) u
UNION ALL SELECT 'cold_user', 'y';
CREATE TABLE tt_items AS
SELECT g || j AS item_id, g AS genre FROM unnest(ARRAY['a', 'b']) g, generate_series(0, 9) j
UNION ALL SELECT 'new_b', 'b';

SELECT s->>'algorithm' AS algorithm, s->>'users' AS users, s->>'items' AS items,
       s->'params'->>'dim' AS dim, s->'params'->>'new_items' AS new_items,
       s->'params'->>'new_users' AS new_users, s->>'weighting' AS weighting
FROM recsys_train('tt_m', 'tt_events', 'two_tower',
  '{"threads": 1, "seed": 7, "dim": 8, "hidden": 8, "epochs": 60, "batch": 32, "cold_dropout": 0.3,
    "users": "tt_users", "items": "tt_items"}') s;

-- Known users: the two items they skipped come first, from their own group.
SELECT count(*) AS n, bool_and(item_id LIKE 'a%') AS own_group
FROM recommend('u1', 2, 'tt_m');
SELECT bool_and(item_id LIKE 'b%' OR item_id = 'new_b') AS own_group, min(source) AS source
FROM recommend('u25', 2, 'tt_m');
-- The user only the users table names: served by its taste (y: b items).
SELECT count(*) AS n, sum((item_id LIKE 'b%')::int) >= 4 AS mostly_b
FROM recommend('cold_user', 5, 'tt_m');
-- The item only the items table names is scored by its genre: ahead of every
-- a item for a b user, behind them for an a user.
SELECT (SELECT rank FROM recommend('u25', 21, 'tt_m') WHERE item_id = 'new_b') <
       (SELECT min(rank) FROM recommend('u25', 21, 'tt_m') WHERE item_id LIKE 'a%') AS b_user_ranks_it_high,
       (SELECT rank FROM recommend('u1', 21, 'tt_m') WHERE item_id = 'new_b') >
       (SELECT min(rank) FROM recommend('u1', 21, 'tt_m') WHERE item_id LIKE 'a%') AS a_user_ranks_it_lower;
-- A fresh user with b items, without retraining: the user tower over them.
INSERT INTO tt_events VALUES ('newbie', 'b5'), ('newbie', 'b6'), ('newbie', 'b7');
SELECT count(*) AS n, sum((item_id LIKE 'b%')::int) >= 3 AS mostly_b,
       bool_and(item_id NOT IN ('b5', 'b6', 'b7')) AS unseen, min(source) AS source
FROM recommend('newbie', 4, 'tt_m');
-- A session of a items.
SELECT count(*) AS n, sum((item_id LIKE 'a%')::int) >= 3 AS mostly_a
FROM recommend_for_items(ARRAY['a0', 'a2', 'a5'], 4, 'tt_m');
-- Similar items: the item tower's vectors, by cosine.
SELECT count(*) AS n, sum((item_id LIKE 'a%')::int) >= 2 AS same_group,
       bool_and(item_id <> 'a1') AS not_self
FROM similar_items('a1', 3, 'tt_m');
-- The vectors: [user tower, 1] and [item tower / temperature, item bias]
-- (dim 8 + 1); the biases are learned, and zero with item_bias false.
SELECT count(*) AS users, bool_and(array_length(vector, 1) = 9 AND vector[9] = 1) AS last_is_one
FROM recsys_user_vectors('tt_m');
SELECT count(*) AS items, bool_and(array_length(vector, 1) = 9) AS dim_and_bias,
       count(DISTINCT vector[9]) > 1 AS biases_learned
FROM recsys_item_vectors('tt_m');
SELECT s->'params'->>'item_bias' AS item_bias
FROM recsys_train('tt_nb', 'tt_events', 'two_tower',
  '{"threads": 1, "dim": 4, "epochs": 2, "item_bias": false, "items": "tt_items"}') s;
SELECT bool_and(vector[5] = 0) AS no_bias FROM recsys_item_vectors('tt_nb');
SELECT recsys_drop_model('tt_nb') IS NOT NULL AS dropped;
-- Explain: u1's history items, largest drop first; u1 holds a0, a2, a3, a5-a9.
SELECT count(*) > 0 AS has_rows,
       bool_and(item_id IN (SELECT item_id FROM tt_events WHERE user_id = 'u1')) AS from_history,
       bool_and(contribution IS NOT NULL) AS has_values
FROM recsys_explain('u1', 'a4', 'tt_m');
SELECT coalesce(bool_and(a.contribution >= b.contribution), true) AS largest_first
FROM recsys_explain('u1', 'a4', 'tt_m') a JOIN recsys_explain('u1', 'a4', 'tt_m') b
  ON b.rank = a.rank + 1;
-- recsys_evaluate trains and scores it like any algorithm.
SELECT test_users > 0 AS evaluated, ndcg >= 0 AS has_ndcg
FROM recsys_evaluate('tt_events', 'two_tower', '{"threads": 1, "dim": 4, "epochs": 2}');

-- Bad options, each named.
SELECT recsys_train('tt_bad', 'tt_events', 'two_tower', '{"dim": 1}');
SELECT recsys_train('tt_bad', 'tt_events', 'two_tower', '{"hidden": -1}');
SELECT recsys_train('tt_bad', 'tt_events', 'two_tower', '{"temperature": 0}');
SELECT recsys_train('tt_bad', 'tt_events', 'two_tower', '{"dropout": 1}');
SELECT recsys_train('tt_bad', 'tt_events', 'two_tower', '{"history": 2}');
SELECT recsys_train('tt_bad', 'tt_events', 'two_tower', '{"batch": "big"}');
SELECT recsys_train('tt_bad', 'tt_events', 'two_tower', '{"factors": 8}');
SELECT count(*) AS no_model FROM recsys_models WHERE name = 'tt_bad';

-- A cancelled retraining leaves the previous model serving.
SELECT version AS before FROM recsys_models WHERE name = 'tt_m';
SET statement_timeout = '500ms';
SELECT recsys_train('tt_m', 'tt_events', 'two_tower', '{"threads": 1, "epochs": 10000}');
RESET statement_timeout;
SELECT version AS after FROM recsys_models WHERE name = 'tt_m';
SELECT count(*) AS n FROM recommend('u1', 2, 'tt_m');

SELECT recsys_drop_model('tt_m');
DROP TABLE tt_events, tt_users, tt_items;
