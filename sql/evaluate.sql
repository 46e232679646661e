-- recsys_evaluate(): the EVAL.md hold-out (each user's latest 20%) and the
-- metrics at k, by algorithm or by stored model (recorded, shown by
-- recsys_models.last_evaluation).
-- Two taste groups of 20 users and 6 items each; user u has 5 interactions,
-- items (u + j) % 6 of the group at times j = 0..4, so the held-out item
-- (j = 4) is one of the 2 group items the user has not seen in training.
CREATE TABLE eval_events AS
SELECT 'u' || u AS user_id,
       (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || ((u + j) % 6) AS item_id,
       timestamptz '2024-01-01 00:00:00+00' + (u * 10 + j) * interval '1 hour' AS ts
FROM generate_series(0, 39) u, generate_series(0, 4) j;

-- ALS puts the two unseen group items first: every held-out item is in the
-- top 2 (recall 1, precision 1/2), one user in two has it first.
SELECT k, precision, recall, round(ndcg::numeric, 4) AS ndcg, map, coverage, test_users,
       train_interactions, test_interactions, split, train_seconds >= 0 AS timed
FROM recsys_evaluate('eval_events', 'als', '{"threads": 1, "seed": 1, "factors": 8}', 2);
-- Popularity knows no groups: it misses.
SELECT k, recall < 1 AS misses, test_users
FROM recsys_evaluate('eval_events', 'popularity', '{}', 2);
-- Defaults: algorithm als, no options, k 10 (every item but the 4 seen fits).
SELECT k, recall, test_users FROM recsys_evaluate('eval_events');
SELECT k, precision FROM recsys_evaluate('eval_events', 'als', k => 1,
                                         options => '{"threads": 1, "seed": 1, "factors": 8}');
-- Without a time column the hold-out is a seeded random 20%.
SELECT split, test_users, test_interactions
FROM recsys_evaluate('SELECT user_id, item_id FROM eval_events', 'popularity');
-- Evaluating stores nothing.
SELECT count(*) FROM recsys_models;

-- By model name: its algorithm and options, the given options over them.
SELECT recsys_train('eval_m', 'eval_events', 'als',
                    '{"threads": 1, "seed": 1, "factors": 8}')->>'version' AS version;
SELECT k, recall, precision
FROM recsys_evaluate('eval_events', 'eval_m', '{"iterations": 10}', 2);
SELECT name, last_evaluation->>'model' AS model, last_evaluation->>'version' AS version,
       last_evaluation->>'algorithm' AS algorithm, last_evaluation->>'k' AS k,
       last_evaluation->>'recall' AS recall, last_evaluation->'options' AS options,
       last_evaluation ? 'evaluated_at' AS dated
FROM recsys_models;
SELECT name, version, k, source FROM recsys.evaluations;
-- The last evaluation replaces the previous one; a retrain keeps it (it says
-- which version it evaluated).
SELECT k FROM recsys_evaluate('eval_events', 'eval_m', '{}', 3);
SELECT recsys_train('eval_m', 'eval_events', 'popularity')->>'version' AS version;
SELECT name, version, algorithm, last_evaluation->>'k' AS k,
       last_evaluation->>'version' AS evaluated_version,
       last_evaluation->>'algorithm' AS evaluated_algorithm
FROM recsys_models;
-- Now the model is popularity: its evaluation follows.
SELECT k, recall < 1 AS misses FROM recsys_evaluate('eval_events', 'eval_m', '{}', 2);
SELECT last_evaluation->>'algorithm' AS algorithm, last_evaluation->>'version' AS version
FROM recsys_models;

-- An algorithm name wins over a model of that name; nothing is recorded.
SELECT recsys_train('als', 'eval_events', 'popularity')->>'version' AS version;
SELECT k, recall FROM recsys_evaluate('eval_events', 'als', '{"threads": 1, "seed": 1, "factors": 8}', 2);
SELECT name FROM recsys.evaluations ORDER BY name;
SELECT recsys_drop_model('als');

-- Side tables are read as recsys_train reads them.
CREATE TABLE eval_items AS
SELECT DISTINCT item_id, left(item_id, 1) AS grp FROM eval_events;
SELECT k, recall FROM recsys_evaluate('eval_events', 'als',
       '{"threads": 1, "seed": 1, "factors": 8, "items": "eval_items"}', 2);
SELECT * FROM recsys_evaluate('eval_events', 'als', '{"items": "eval_nope"}');
SELECT * FROM recsys_evaluate('eval_events', 'als', '{"items": "eval_items", "item_features": ["genre"]}');

-- In a read-only transaction the model is evaluated, the record skipped.
BEGIN TRANSACTION READ ONLY;
SELECT k, recall < 1 AS misses FROM recsys_evaluate('eval_events', 'eval_m', '{}', 5);
COMMIT;
SELECT last_evaluation->>'k' AS k FROM recsys_models;

-- Evaluating a model by name (its stored options, which may name side
-- tables as queries) and recording it is the owner's; anyone may evaluate an
-- algorithm on what they may read.
CREATE ROLE recsys_eval_reader;
GRANT SELECT ON eval_events TO recsys_eval_reader;
SELECT recsys_grant('eval_m', 'recsys_eval_reader');
SET ROLE recsys_eval_reader;
SELECT k, recall < 1 AS misses FROM recsys_evaluate('eval_events', 'eval_m', '{}', 4);
SELECT k, recall < 1 AS misses FROM recsys_evaluate('eval_events', 'popularity', '{}', 4);
SELECT * FROM recsys_evaluate('eval_items', 'popularity', '{}', 4);
SELECT count(*) FROM recsys.evaluations;
RESET ROLE;
SELECT recsys_set_owner('eval_m', 'recsys_eval_reader');
SET ROLE recsys_eval_reader;
SELECT k FROM recsys_evaluate('eval_events', 'eval_m', '{}', 4);
SELECT last_evaluation->>'k' AS k FROM recsys_models;
RESET ROLE;
SELECT recsys_set_owner('eval_m', current_user);
REVOKE ALL ON eval_events FROM recsys_eval_reader;
DROP ROLE recsys_eval_reader;
SELECT owner, granted_to FROM recsys_models WHERE name = 'eval_m';

-- Dropping the model drops its evaluation.
SELECT recsys_drop_model('eval_m');
SELECT count(*) FROM recsys.evaluations;

-- split "global_time" (how a shop deploys): the rows before a time cut-off
-- train, each user's items new after it are the test. 21 rows on days 1..21;
-- the cut-off is the time at 0-based position floor(0.8 * 21) = 16, day 17:
-- u1 has i5 and i6 new after it, u3 has i1 (its i3 on day 20 repeats day
-- 11), u5 has no row before it (not tested). The user split holds out u1's
-- i6, u2's i5 and u4's i6 instead (u3 has fewer than 5 items).
CREATE TABLE split_events AS
SELECT user_id, item_id, timestamptz '2024-01-01 00:00:00+00' + day * interval '1 day' AS ts
FROM (VALUES ('u1', 'i1', 1), ('u1', 'i2', 2), ('u1', 'i3', 3), ('u1', 'i4', 4), ('u1', 'i5', 17),
             ('u1', 'i6', 18), ('u2', 'i1', 5), ('u2', 'i2', 6), ('u2', 'i3', 7), ('u2', 'i4', 8),
             ('u2', 'i5', 9), ('u3', 'i2', 10), ('u3', 'i3', 11), ('u3', 'i1', 19), ('u3', 'i3', 20),
             ('u4', 'i1', 12), ('u4', 'i2', 13), ('u4', 'i3', 14), ('u4', 'i4', 15), ('u4', 'i6', 16),
             ('u5', 'i2', 21)) AS r(user_id, item_id, day);
SELECT split, test_users, train_interactions, test_interactions, recall
FROM recsys_evaluate('split_events', 'popularity', '{}', 5);
SELECT split, test_users, train_interactions, test_interactions, recall
FROM recsys_evaluate('split_events', 'popularity', '{"split": "user"}', 5);
-- Popularity ranks the unseen i5, i6 for u1 and i1 first for u3: recall 1.
SELECT split, test_users, train_interactions, test_interactions, recall, round(ndcg::numeric, 4) AS ndcg
FROM recsys_evaluate('split_events', 'popularity', '{"split": "global_time"}', 5);
-- Repeats: u3's i3 is a target too, and seen items are ranked again.
SELECT split, test_users, train_interactions, test_interactions, recall
FROM recsys_evaluate('split_events', 'popularity', '{"split": "global_time", "repeats": true}', 5);
-- test_fraction 0.5: the cut-off is the time at position 10, day 11; u1 has
-- i5, i6 new, u3 i3 and i1 (its i2 on day 10 trains), u4 and u5 train nothing.
SELECT split, test_users, train_interactions, test_interactions
FROM recsys_evaluate('split_events', 'popularity', '{"split": "global_time", "test_fraction": 0.5}', 5);
-- Coarse times tie (ML-1M's fold numbers): 5 users x 10 items, items i1-i4
-- in fold 1, i5-i9 in fold 2, i10 in fold 3. Position floor(0.8 * 50) = 40
-- falls inside fold 2 (rows 20-44): the cut-off moves to the next time, fold
-- 3 (target 5 rows, nearer 20% than fold 2's start with 30): 45 rows train.
CREATE TABLE fold_events AS
SELECT 'u' || u AS user_id, 'i' || i AS item_id,
       timestamptz '2024-01-01 00:00:00+00' + (CASE WHEN i <= 4 THEN 1 WHEN i <= 9 THEN 2 ELSE 3 END) * interval '1 day' AS ts
FROM generate_series(1, 5) u, generate_series(1, 10) i;
SELECT split, test_users, train_interactions, test_interactions
FROM recsys_evaluate('fold_events', 'popularity', '{"split": "global_time"}', 5);
DROP TABLE fold_events;
-- A model's evaluation records the split it ran, in the metrics and options.
SELECT recsys_train('split_m', 'split_events', 'popularity')->>'version' AS version;
SELECT split FROM recsys_evaluate('split_events', 'split_m', '{"split": "global_time"}', 5);
SELECT last_evaluation->>'split' AS split, last_evaluation->>'test_interactions' AS test_interactions,
       last_evaluation->'options' AS options
FROM recsys_models WHERE name = 'split_m';
SELECT recsys_drop_model('split_m');
-- Errors: no time, an unknown split, the global split's options with the
-- user split, a fraction out of range, nothing before the cut-off, and the
-- split options given to training.
SELECT * FROM recsys_evaluate('SELECT user_id, item_id FROM split_events', 'popularity',
                              '{"split": "global_time"}');
SELECT * FROM recsys_evaluate('split_events', 'popularity', '{"split": "later"}');
SELECT * FROM recsys_evaluate('split_events', 'popularity', '{"test_fraction": 0.3}');
SELECT * FROM recsys_evaluate('split_events', 'popularity', '{"split": "global_time", "test_fraction": 1}');
SELECT * FROM recsys_evaluate('SELECT user_id, item_id, 7 AS ts FROM split_events', 'popularity',
                              '{"split": "global_time"}');
SELECT recsys_train('split_m', 'split_events', 'popularity', '{"split": "global_time"}');
DROP TABLE split_events;

-- Bad input: the same errors as recsys_train.
SELECT * FROM recsys_evaluate(NULL, 'als');
SELECT * FROM recsys_evaluate('eval_events', NULL);
SELECT * FROM recsys_evaluate('eval_events', 'als', NULL);
SELECT * FROM recsys_evaluate('eval_events', 'als', '{}', NULL);
SELECT * FROM recsys_evaluate('eval_events', 'als', '{}', 0);
SELECT * FROM recsys_evaluate('eval_events', 'als', '{}', 100001);
SELECT * FROM recsys_evaluate('eval_events', 'als', '[1]');
SELECT * FROM recsys_evaluate('eval_events', 'als', '{"factors": "many"}');
SELECT * FROM recsys_evaluate('eval_events', 'eval_m');
SELECT * FROM recsys_evaluate('eval_nope', 'als');
SELECT * FROM recsys_evaluate('SELECT user_id FROM eval_events', 'als');
SELECT * FROM recsys_evaluate('SELECT * FROM eval_events WHERE false', 'als');
SELECT * FROM recsys_evaluate('SELECT * FROM eval_events WHERE ts < ''2024-01-01 03:00+00''', 'als');
-- A cancel or timeout stops the evaluation.
SET statement_timeout = '300ms';
SELECT * FROM recsys_evaluate('SELECT user_id, item_id, pg_sleep(0.01)::text AS slow FROM eval_events', 'als');
RESET statement_timeout;

DROP TABLE eval_events, eval_items;
