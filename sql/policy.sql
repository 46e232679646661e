-- Policies and experiments (issue 14 items 4 and 5): recommend() serving a
-- policy named in place of a model, seeded arm choice, reward updates, the
-- experiment report, and offline replay against a log of known rates.
CREATE TABLE pol_events AS
SELECT 'u' || u AS user_id, (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || j AS item_id
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE j <> u % 10 AND j <> (u + 3) % 10;
SELECT recsys_train('pol_als', 'pol_events', 'als', '{"threads": 1, "seed": 42}')->>'users' AS users;
SELECT recsys_train('pol_pop', 'pol_events', 'popularity')->>'users' AS users;
SELECT recsys_create_policy('pol_home', '{"a": {"model": "pol_als"}, "b": {"model": "pol_pop", "options": {"exclude_seen": false}}}',
	'epsilon_greedy', '{"epsilon": 0.5, "seed": 7}');
-- Statistics are read on every call in this test (default: once a second).
SET recsys.policy_refresh_ms = 0;

-- A policy is served where a model is; the rows' source names the arm.
-- No statistics yet: arm a (the first, never pulled) is greedy, 0.75.
SELECT count(*) AS rows, min(source) LIKE 'arm:_/%' AS arm_source FROM recommend('u1', 3, 'pol_home');
SELECT user_id, count(*) AS rows, bool_and(source ~ '^arm:[ab]/(als|popularity)') AS sources
FROM recommend_batch(ARRAY['u1', 'u2', 'stranger'], 2, 'pol_home') GROUP BY 1 ORDER BY 1;
-- Arm b's options apply under the caller's (exclude_seen false: u1's items come back).
SELECT count(*) > 0 AS seen_items_back FROM (
  SELECT source, item_id FROM recommend_logged('u1', 5, 'pol_home', '{}', 'pol-b-probe')) r
WHERE source LIKE 'arm:b/%' AND item_id IN (SELECT item_id FROM pol_events WHERE user_id = 'u1')
   OR source LIKE 'arm:a/%';

-- Seeded and reproducible: the same request id gets the same arm (epsilon 1:
-- a uniform choice the statistics do not move), different ones both arms.
SELECT recsys_create_policy('pol_uniform', '{"a": {"model": "pol_als"}, "b": {"model": "pol_pop"}}',
	'epsilon_greedy', '{"epsilon": 1, "seed": 5}');
SELECT count(DISTINCT r.source) AS one_arm FROM generate_series(1, 20) g,
  LATERAL recommend_logged('u' || g, 1, 'pol_uniform', '{}', 'same-request') r;
SELECT count(DISTINCT substr(r.source, 1, 5)) AS both_arms FROM generate_series(1, 20) g,
  LATERAL recommend_logged('u3', 1, 'pol_uniform', '{}', 'r' || g) r;
SELECT recsys_drop_policy('pol_uniform');
DELETE FROM recsys.impressions WHERE policy = 'pol_uniform';
DELETE FROM recsys.impressions WHERE request_id IN ('same-request', 'pol-b-probe');
UPDATE recsys.policy_arms SET impressions = 0, rewards = 0 WHERE policy = 'pol_home';

-- A simulated week: arm a's lists are clicked with probability 0.3, arm
-- b's with 0.1; the report finds a, and replay estimates each model.
SELECT setseed(0.25);
CREATE TEMP TABLE pol_served AS
SELECT g, r.* FROM generate_series(1, 2000) g,
  LATERAL recommend_logged('u' || g % 40, 1, 'pol_home', '{}', 'pol-' || g) r;
SELECT count(*) FILTER (WHERE source LIKE 'arm:a/%') BETWEEN 1300 AND 1700 AS mostly_a FROM pol_served;
SELECT count(*) > 0 AS clicks FROM (
  SELECT recsys_record_outcome('u' || g % 40, item_id, 'click', NULL, request_id) AS imp
  FROM pol_served WHERE random() < CASE WHEN source LIKE 'arm:a/%' THEN 0.3 ELSE 0.1 END) c
WHERE imp IS NOT NULL;
-- impressions count served lists; rewards the attributed clicks
SELECT arm, model, impressions = (SELECT count(*) FROM pol_served WHERE source LIKE 'arm:' || r.arm || '/%') AS impressions_counted,
       rewards = (SELECT count(*) FROM recsys.outcomes o JOIN recsys.impressions i ON i.id = o.impression_id
                  WHERE i.policy = 'pol_home' AND i.arm = r.arm) AS rewards_counted,
       0.3 BETWEEN lower AND upper OR 0.1 BETWEEN lower AND upper AS interval_holds_truth,
       probability, winner
FROM recsys_policy_report('pol_home') r ORDER BY arm;
-- 0.3 against 0.1 over about 1500 and 500 lists is clear even at 99.99999%
SELECT bool_or(winner) AS winner_at_extreme_confidence FROM recsys_policy_report('pol_home', 0.9999999);
-- the p-value of the losing arm, the best arm's none
SELECT arm, p_value < 1e-9 AS tiny_p, p_value IS NULL AS best FROM recsys_policy_report('pol_home') ORDER BY arm;
SELECT estimator, 0.3 BETWEEN lower AND upper AS truth_in_interval, matched < lists AS partial
FROM recsys_replay('pol_als', '{"policy": "pol_home"}') ORDER BY 1;
SELECT estimator, 0.1 BETWEEN lower AND upper AS truth_in_interval
FROM recsys_replay('pol_pop', '{"event": "click"}') ORDER BY 1;

-- Replay on a log of known rates: 800 lists of pol_als logged with
-- propensity 0.8 of which 240 clicked (0.3), 200 of pol_pop with 0.2 of
-- which 20 clicked (0.1): IPS of pol_als is (240 / 0.8) / 1000 = 0.3 exactly.
TRUNCATE recsys.outcomes, recsys.impressions;
INSERT INTO recsys.impressions (request_id, user_id, items, model, policy, arm, propensity)
SELECT 'k' || g, 'u' || g % 40, '{a1}', CASE WHEN g <= 800 THEN 'pol_als' ELSE 'pol_pop' END,
       'pol_known', CASE WHEN g <= 800 THEN 'a' ELSE 'b' END, CASE WHEN g <= 800 THEN 0.8 ELSE 0.2 END
FROM generate_series(1, 1000) g;
INSERT INTO recsys.outcomes (user_id, item_id, event, impression_id, rank)
SELECT user_id, items[1], 'click', id, 1 FROM recsys.impressions
WHERE request_id IN (SELECT 'k' || g FROM generate_series(1, 240) g UNION ALL SELECT 'k' || g FROM generate_series(801, 820) g);
SELECT estimator, round(estimate::numeric, 6) AS estimate, round(lower::numeric, 4) AS lower,
       round(upper::numeric, 4) AS upper, lists, matched
FROM recsys_replay('pol_als') ORDER BY 1;
SELECT estimator, round(estimate::numeric, 6) AS estimate, lists, matched
FROM recsys_replay('pol_pop', '{"confidence": 0.99}') ORDER BY 1;
-- a policy target: pol_home chooses a (pol_als) with 0.75 now, b with 0.25
SELECT arm, probability FROM recsys_policy_report('pol_home') ORDER BY arm;
SELECT estimator, round(estimate::numeric, 6) AS estimate, matched FROM recsys_replay('pol_home') ORDER BY 1;
-- nothing logged in the window: no estimate
SELECT estimator, estimate, lists FROM recsys_replay('pol_als', '{"since": "2999-01-01"}') ORDER BY 1;

-- A split is sticky per user: each user always gets the same arm.
SELECT recsys_create_policy('pol_ab', '{"control": {"model": "pol_pop"}, "test": {"model": "pol_als"}}',
	'split', '{"weights": {"control": 1, "test": 1}, "seed": 3}');
SELECT count(*) AS users, count(*) FILTER (WHERE arms = 1) AS sticky FROM (
  SELECT u, count(DISTINCT r.source ~ '^arm:test') AS arms
  FROM generate_series(0, 39) u, generate_series(1, 3) rep,
       LATERAL recommend('u' || u, 1, 'pol_ab') r GROUP BY u) s;
-- Thompson sampling: all arms possible before any reward
SELECT recsys_create_policy('pol_ts', '{"a": {"model": "pol_als"}, "b": {"model": "pol_pop"}}', 'thompson', '{"seed": 1}');
SELECT arm, probability BETWEEN 0.45 AND 0.55 AS even FROM recsys_policy_report('pol_ts') ORDER BY arm;

-- Errors.
\set VERBOSITY terse
SELECT recsys_create_policy('pol_als', '{"a": {"model": "pol_als"}}');
SELECT recsys_create_policy('pol_home', '{"a": {"model": "pol_als"}}');
SELECT recsys_train('pol_home', 'pol_events', 'popularity');
SELECT recsys_create_policy('pol_x', '{"a": {"model": "nope"}}');
SELECT recsys_create_policy('pol_x', '{"a": 1}');
SELECT recsys_create_policy('pol_x', '{"a": {"model": "pol_als", "weight": 2}}');
SELECT recsys_create_policy('pol_x', '{"a": {"model": "pol_als", "options": []}}');
SELECT recsys_create_policy('pol_x', '{"a/b": {"model": "pol_als"}}');
SELECT recsys_create_policy('pol_x', '{}');
SELECT recsys_create_policy('pol_x', '[]');
SELECT recsys_create_policy('pol_x', '{"a": {"model": "pol_als"}}', 'ucb');
SELECT recsys_create_policy('pol_x', '{"a": {"model": "pol_als"}}', 'thompson', '{"epsilon": 0.2}');
SELECT recsys_create_policy('pol_x', '{"a": {"model": "pol_als"}}', 'epsilon_greedy', '{"epsilon": 2}');
SELECT recsys_create_policy('pol_x', '{"a": {"model": "pol_als"}}', 'epsilon_greedy', '{"epsilon": "x"}');
SELECT recsys_create_policy('pol_x', '{"a": {"model": "pol_als"}, "b": {"model": "pol_pop"}}', 'split', '{"weights": {"a": 1}}');
SELECT recsys_create_policy('pol_x', '{"a": {"model": "pol_als"}, "b": {"model": "pol_pop"}}', 'split', '{"weights": {"a": 1, "b": 0}}');
SELECT recsys_create_policy(NULL, '{"a": {"model": "pol_als"}}');
SELECT recsys_policy_report('nope');
SELECT recsys_policy_report('pol_home', 1.5);
SELECT recsys_replay('nope');
SELECT recsys_replay('pol_home', '{"bogus": 1}');
SELECT recsys_replay('pol_home', '{"confidence": 0}');
SELECT recommend_batch(NULL, 2, 'pol_home');
SELECT recsys_drop_policy('nope');
\set VERBOSITY default

-- Privileges: using a policy needs USAGE on every arm's model; dropping it
-- needs its ownership.
CREATE ROLE pol_user;
SELECT recsys_grant('pol_pop', 'pol_user');
SET ROLE pol_user;
\set VERBOSITY terse
SELECT count(*) FROM recommend('u1', 2, 'pol_home');
SELECT recsys_create_policy('pol_mine', '{"a": {"model": "pol_als"}}');
SELECT recsys_drop_policy('pol_home');
SELECT count(*) FROM recsys.policies;
\set VERBOSITY default
SELECT recsys_create_policy('pol_mine', '{"p": {"model": "pol_pop"}}');
SELECT source FROM recommend('u1', 1, 'pol_mine');
SELECT recsys_drop_policy('pol_mine');
RESET ROLE;
SELECT recsys_drop_policy('pol_ab'), recsys_drop_policy('pol_ts');
SELECT name FROM recsys.policies ORDER BY 1;
SELECT count(*) AS arms_left FROM recsys.policy_arms WHERE policy <> 'pol_home';
-- NULL and unknown arguments of the policy functions.
\set VERBOSITY terse
SELECT * FROM recsys_policy_report(NULL);
SELECT * FROM recsys_policy_report('no_such_policy');
SELECT * FROM recsys_policy_report('pol_home', 2);
SELECT * FROM recsys_replay(NULL);
SELECT recsys_drop_policy(NULL);
SELECT recsys_create_policy('pol_bad', '{"a": {"model": "no_such_model"}}');
SELECT recsys_create_policy('pol_bad', '{"a": {"model": "pol_als"}}', 'greedy');
\set VERBOSITY default
-- A dropped policy is gone for this backend at once.
SELECT recsys_drop_policy('pol_home');
\set VERBOSITY terse
SELECT count(*) FROM recommend('u1', 2, 'pol_home');
\set VERBOSITY default
SELECT recsys_drop_model('pol_als'), recsys_drop_model('pol_pop');
TRUNCATE recsys.outcomes, recsys.impressions;
DROP ROLE pol_user;
DROP TABLE pol_events;
