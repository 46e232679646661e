-- Policies and experiments (issue 14 items 4 and 5): recommend() serving a
-- policy named in place of a model, seeded arm choice, reward updates, the
-- report, and offline replay on a log of known rates.
.echo off
.read test/sqlite/fixtures/shop.sql
.echo on
.headers on
SELECT json_extract(recsys_train('p_als', 'events', 'als', '{"threads": 1, "seed": 42, "factors": 8}'), '$.version') AS version;
SELECT json_extract(recsys_train('p_pop', 'events', 'popularity'), '$.version') AS version;
SELECT recsys_create_policy('p_home', '{"a": {"model": "p_als"}, "b": {"model": "p_pop", "options": {"exclude_seen": false}}}',
       'epsilon_greedy', '{"epsilon": 0.5, "seed": 7}') AS created;
SELECT version, release FROM recsys_schema ORDER BY version;
SELECT name, strategy, options FROM recsys_policies;
SELECT policy, arm, model, options, impressions, rewards FROM recsys_policy_arms ORDER BY arm;
-- a policy serves where a model does; the source names the arm
SELECT count(*) AS rows, min(source) GLOB 'arm:[ab]/*' AS arm_source FROM recommend('u1', 3, 'p_home');
-- seeded: this connection's sequence of arms is always the same (a never
-- pulled arm is greedy: a 0.75, b 0.25)
WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < 40)
SELECT group_concat(substr((SELECT source FROM recommend('u' || g, 1, 'p_home')), 5, 1), '') AS arms FROM n;
WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < 2000)
SELECT sum(substr((SELECT source FROM recommend('u' || (g % 60), 1, 'p_home')), 5, 1) = 'a') BETWEEN 1400 AND 1600 AS share_a FROM n;
-- arm b's options under the caller's: exclude_seen false brings u1's items back
SELECT count(*) > 0 AS seen_items_back FROM recsys_policy_arms a, recommend('u1', 30, 'p_home') r
WHERE a.policy = 'p_home' AND r.source GLOB 'arm:b/*' AND r.item_id IN (SELECT item_id FROM events WHERE user_id = 'u1')
   OR r.source GLOB 'arm:a/*' LIMIT 1;
-- logging through a policy: each impression records the policy, the arm and
-- its propensity; a served list counts one pull, an attributed click one reward
SELECT count(*) AS rows, min(source) GLOB 'arm:[ab]/*' AS arm_source, min(request_id) AS request_id
FROM recommend_logged('u1', 3, 'p_home', '{}', 'req-1');
SELECT policy, arm IN ('a', 'b') AS arm, propensity IN (0.75, 0.25) AS propensity, sum(json_array_length(items)) AS rows
FROM recsys_impressions WHERE request_id = 'req-1' GROUP BY 1, 2, 3;
SELECT recsys_record_outcome('u1', (SELECT json_extract(items, '$[0]') FROM recsys_impressions WHERE request_id = 'req-1'),
       'click', NULL, 'req-1') IS NOT NULL AS attributed;
SELECT sum(impressions) AS pulls, sum(rewards) AS rewards FROM recsys_policy_arms WHERE policy = 'p_home';
-- the same request id gets the same arm (epsilon 1: a uniform choice the
-- statistics do not move), different ones both arms
SELECT recsys_create_policy('p_uniform', '{"a": {"model": "p_als"}, "b": {"model": "p_pop"}}',
       'epsilon_greedy', '{"epsilon": 1, "seed": 5}') AS created;
WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < 20)
SELECT count(DISTINCT (SELECT source FROM recommend_logged('u' || g, 1, 'p_uniform', '{}', 'same-request'))) AS one_arm,
       count(DISTINCT (SELECT substr(source, 1, 5) FROM recommend_logged('u2', 1, 'p_uniform', '{}', 'r' || g))) AS both_arms,
       (SELECT count(*) FROM recsys_impressions WHERE request_id = 'same-request') AS logged FROM n;
SELECT recsys_drop_policy('p_uniform') AS dropped;
UPDATE recsys_policy_arms SET impressions = 0, rewards = 0;
DELETE FROM recsys_outcomes;
DELETE FROM recsys_impressions;
-- rewards update the statistics (what logging and attribution write):
-- the report and the choice follow at the next call
UPDATE recsys_policy_arms SET impressions = 1000, rewards = CASE arm WHEN 'a' THEN 50 ELSE 100 END;
SELECT arm, model, impressions, rewards, rate, round(lower, 4) AS lower, round(upper, 4) AS upper,
       p_value < 0.001 AS small_p, probability, winner FROM recsys_policy_report('p_home');
SELECT arm, winner FROM recsys_policy_report('p_home', 0.999999999);
WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < 2000)
SELECT sum(substr((SELECT source FROM recommend('u' || (g % 60), 1, 'p_home')), 5, 1) = 'b') BETWEEN 1400 AND 1600 AS now_mostly_b FROM n;
-- a split is sticky per user
SELECT recsys_create_policy('p_ab', '{"control": {"model": "p_pop"}, "test": {"model": "p_als"}}', 'split',
       '{"weights": {"control": 3, "test": 1}, "seed": 3}') AS created;
WITH RECURSIVE n(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM n WHERE u < 59)
SELECT count(*) AS users, sum(a1 = a2 AND a2 = a3) AS sticky, sum(a1 = 'c') AS control FROM (
  SELECT substr((SELECT source FROM recommend('u' || u, 1, 'p_ab')), 5, 1) AS a1,
         substr((SELECT source FROM recommend('u' || u, 1, 'p_ab')), 5, 1) AS a2,
         substr((SELECT source FROM recommend('u' || u, 1, 'p_ab')), 5, 1) AS a3 FROM n);
-- Thompson sampling on the rewards
SELECT recsys_create_policy('p_ts', '{"a": {"model": "p_als"}, "b": {"model": "p_pop"}}', 'thompson', '{"seed": 1}') AS created;
SELECT arm, probability BETWEEN 0.45 AND 0.55 AS even FROM recsys_policy_report('p_ts');
UPDATE recsys_policy_arms SET impressions = 2000, rewards = CASE arm WHEN 'a' THEN 100 ELSE 200 END WHERE policy = 'p_ts';
SELECT arm, probability > 0.99 AS b_sure FROM recsys_policy_report('p_ts');

-- Replay on a log of known rates: 800 lists of p_als logged with propensity
-- 0.8, 240 clicked (0.3); 200 of p_pop with 0.2, 20 clicked (0.1).
SELECT estimator, estimate, lists FROM recsys_replay('p_als');
WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < 1000)
INSERT INTO recsys_impressions(request_id, user_id, items, model, policy, arm, propensity)
SELECT 'k' || g, 'u' || (g % 60), '["i1"]', CASE WHEN g <= 800 THEN 'p_als' ELSE 'p_pop' END, 'p_known',
       CASE WHEN g <= 800 THEN 'a' ELSE 'b' END, CASE WHEN g <= 800 THEN 0.8 ELSE 0.2 END FROM n;
INSERT INTO recsys_outcomes(user_id, item_id, event, impression_id, rank)
SELECT user_id, json_extract(items, '$[0]'), 'click', id, 1 FROM recsys_impressions
WHERE CAST(substr(request_id, 2) AS INTEGER) <= 240 OR CAST(substr(request_id, 2) AS INTEGER) BETWEEN 801 AND 820;
SELECT estimator, round(estimate, 6) AS estimate, round(lower, 4) AS lower, round(upper, 4) AS upper, lists, matched
FROM recsys_replay('p_als');
SELECT estimator, round(estimate, 6) AS estimate, lists, matched FROM recsys_replay('p_pop', '{"confidence": 0.99, "event": "click"}');
-- the policy as it chooses now (a 0.25, b 0.75): 0.25 * 0.3 + 0.75 * 0.1
SELECT estimator, round(estimate, 6) AS estimate, matched FROM recsys_replay('p_home');
SELECT estimator, estimate, lists FROM recsys_replay('p_als', '{"since": "2999-01-01"}');
SELECT estimator, estimate, lists FROM recsys_replay('p_als', '{"policy": "someone_else"}');

-- errors
SELECT recsys_create_policy('p_als', '{"a": {"model": "p_als"}}');
SELECT recsys_create_policy('p_home', '{"a": {"model": "p_als"}}');
SELECT recsys_train('p_home', 'events', 'popularity');
SELECT recsys_create_policy('p_x', '{"a": {"model": "nope"}}');
SELECT recsys_create_policy('p_x', '{"a": 1}');
SELECT recsys_create_policy('p_x', '{"a": {"model": "p_als", "weight": 2}}');
SELECT recsys_create_policy('p_x', '{"a": {"model": "p_als", "options": []}}');
SELECT recsys_create_policy('p_x', '{"a/b": {"model": "p_als"}}');
SELECT recsys_create_policy('p_x', '{}');
SELECT recsys_create_policy('p_x', '[]');
SELECT recsys_create_policy('p_x', '{"a": {"model": "p_als"}}', 'ucb');
SELECT recsys_create_policy('p_x', '{"a": {"model": "p_als"}}', 'thompson', '{"epsilon": 0.2}');
SELECT recsys_create_policy('p_x', '{"a": {"model": "p_als"}}', 'epsilon_greedy', '{"epsilon": 2}');
SELECT recsys_create_policy('p_x', '{"a": {"model": "p_als"}}', 'epsilon_greedy', '{"epsilon": "x"}');
SELECT recsys_create_policy('p_x', '{"a": {"model": "p_als"}, "b": {"model": "p_pop"}}', 'split', '{"weights": {"a": 1}}');
SELECT recsys_create_policy('p_x', '{"a": {"model": "p_als"}, "b": {"model": "p_pop"}}', 'split', '{"weights": {"a": 1, "b": 0}}');
SELECT recsys_create_policy(NULL, '{"a": {"model": "p_als"}}');
SELECT * FROM recsys_policy_report('nope');
SELECT * FROM recsys_policy_report('p_home', 1.5);
SELECT * FROM recsys_replay('nope');
SELECT * FROM recsys_replay('p_home', '{"bogus": 1}');
SELECT * FROM recsys_replay('p_home', '{"confidence": 0}');
SELECT recsys_drop_policy('nope');
SELECT count(*) FROM recsys_policies WHERE name = 'p_x';
-- NULL and unknown arguments of the policy functions
SELECT * FROM recsys_policy_report(NULL);
SELECT * FROM recsys_policy_report('no_such_policy');
SELECT * FROM recsys_policy_report('p_home', 2);
SELECT * FROM recsys_replay(NULL);
SELECT recsys_drop_policy(NULL);
SELECT recsys_create_policy('p_bad', '{"a": {"model": "no_such_model"}}');
SELECT recsys_create_policy('p_bad', '{"a": {"model": "p_als"}}', 'greedy');
-- drop
SELECT recsys_drop_policy('p_ab') AS dropped, recsys_drop_policy('p_ts') AS dropped;
SELECT name FROM recsys_policies;
SELECT count(*) AS arms_left FROM recsys_policy_arms WHERE policy <> 'p_home';
SELECT recsys_drop_policy('p_home') AS dropped;
SELECT count(*) FROM recommend('u1', 2, 'p_home');
