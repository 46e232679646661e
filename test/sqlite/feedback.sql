-- The feedback loop: recommend_logged() serves and records impressions,
-- recsys_record_outcome() attributes outcomes, the analytics views count
-- them, recsys_prune_impressions() keeps the log bounded, and
-- recsys_item_vectors() / recsys_user_vectors() export factors.
.echo off
.read test/sqlite/fixtures/shop.sql
.echo on
.headers on
CREATE TABLE cats AS SELECT id AS item_id, CASE grp WHEN 0 THEN 'garden' ELSE 'kitchen' END AS category FROM items;
SELECT json_extract(recsys_train('shop', 'events', 'als',
       '{"threads": 1, "seed": 42, "factors": 8, "items": "cats"}'), '$.version') AS version;
SELECT json_extract(recsys_train('knn', 'events', 'itemknn', '{"threads": 1}'), '$.version') AS version;
-- the log's tables and views come with schema version 3
SELECT max(version) AS schema_version FROM recsys_schema;
SELECT name FROM sqlite_master WHERE name LIKE 'recsys_%' AND type IN ('table', 'view') ORDER BY name;

-- Serve and log, outside an explicit transaction: recommend()'s rows plus the request id.
SELECT (SELECT group_concat(item_id) FROM recommend_logged('u1', 3, 'shop', '{}', 'req-1'))
     = (SELECT group_concat(item_id) FROM recommend('u1', 3, 'shop')) AS same_rows;
SELECT count(*) AS rows, min(request_id) AS request_id FROM recommend_logged('u2', 4, 'shop', '{}', 'req-2');
-- One impression row per served list: items and scores as JSON arrays, in rank order.
SELECT request_id, user_id, json_array_length(items) AS items, json_array_length(scores) AS scores,
       model, model_version, policy IS NULL AS no_policy,
       (SELECT json_group_array(item_id) FROM (SELECT item_id FROM recommend('u1', 3, 'shop') ORDER BY rank)) = items AS same_items,
       (SELECT min(abs(r.score - j.value) < 1e-6) FROM recommend('u1', 3, 'shop') r
        JOIN json_each(i.scores) j ON j.key + 1 = r.rank) AS same_scores
FROM recsys_impressions i WHERE request_id = 'req-1';
-- A NULL request id gets a generated UUID, the same on every row.
SELECT count(DISTINCT request_id) AS ids, min(length(request_id)) AS len,
       min(substr(request_id, 15, 1)) AS version
FROM recommend_logged('u3', 3, 'shop');
-- Inside an explicit transaction: logged with it, gone with its rollback.
BEGIN;
SELECT count(*) AS rows FROM recommend_logged('u4', 2, 'shop', '{}', 'in-tx');
ROLLBACK;
BEGIN;
SELECT count(*) AS rows FROM recommend_logged('u5', 2, 'shop', '{}', 'kept');
COMMIT;
SELECT request_id, sum(json_array_length(items)) AS n FROM recsys_impressions WHERE request_id IN ('in-tx', 'kept') GROUP BY 1;
-- INSERT ... SELECT and a lateral join over users.
CREATE TABLE served AS SELECT u.id, r.item_id, r.request_id
FROM (SELECT id FROM users WHERE id IN ('u6', 'u7')) u, recommend_logged(u.id, 2, 'shop', '{}', 'b-' || u.id) r;
SELECT count(*) AS served, count(DISTINCT request_id) AS requests FROM served;
SELECT count(*) AS lists, sum(json_array_length(items)) AS impressions FROM recsys_impressions;
-- Not from a view or a trigger (it writes).
CREATE VIEW logged_view AS SELECT * FROM recommend_logged('u1', 3, 'shop');
SELECT count(*) FROM logged_view;
DROP VIEW logged_view;
-- Bad arguments are recommend()'s errors.
SELECT * FROM recommend_logged(NULL, 3, 'shop');
SELECT * FROM recommend_logged('u1', 0, 'shop');

-- Outcomes: by request id, else the user's latest list within the window
-- that holds the item; the outcome records the list and the item's rank.
SELECT recsys_record_outcome('u1', (SELECT json_extract(items, '$[0]') FROM recsys_impressions WHERE request_id = 'req-1'), 'click', NULL, 'req-1')
     = (SELECT id FROM recsys_impressions WHERE request_id = 'req-1') AS by_request;
SELECT recsys_record_outcome('u2', (SELECT json_extract(items, '$[1]') FROM recsys_impressions WHERE request_id = 'req-2'), 'purchase', 19.5)
     = (SELECT id FROM recsys_impressions WHERE request_id = 'req-2') AS by_user_item;
SELECT recsys_record_outcome('u2', 'never-shown', 'click') IS NULL AS unattributed;
SELECT recsys_record_outcome('u1', (SELECT json_extract(items, '$[1]') FROM recsys_impressions WHERE request_id = 'req-2'), 'click', NULL, 'req-1') IS NULL AS wrong_request;
UPDATE recsys_impressions SET shown_at = datetime(shown_at, '-2 days') WHERE request_id = 'req-2';
SELECT recsys_record_outcome('u2', (SELECT json_extract(items, '$[2]') FROM recsys_impressions WHERE request_id = 'req-2'), 'click') IS NULL AS too_old;
SELECT recsys_record_outcome('u2', (SELECT json_extract(items, '$[2]') FROM recsys_impressions WHERE request_id = 'req-2'), 'click', NULL, NULL, '{"window": "3 days"}') IS NOT NULL AS wider_window;
SELECT recsys_record_outcome('u2', (SELECT json_extract(items, '$[2]') FROM recsys_impressions WHERE request_id = 'req-2'), 'click', NULL, NULL, '{"window": 600}') IS NULL AS window_seconds;
UPDATE recsys_impressions SET shown_at = datetime(shown_at, '+2 days') WHERE request_id = 'req-2';
SELECT event, value, impression_id IS NOT NULL AS attributed, rank FROM recsys_outcomes ORDER BY id;
-- Bad outcomes.
SELECT recsys_record_outcome('u1', NULL, 'click');
SELECT recsys_record_outcome('u1', 'i1', '');
SELECT recsys_record_outcome('u1', 'i1', 'click', 'much');
SELECT recsys_record_outcome('u1', 'i1', 'click', NULL, NULL, '{"windw": 5}');
SELECT recsys_record_outcome('u1', 'i1', 'click', NULL, NULL, '{"window": -5}');
SELECT recsys_record_outcome('u1', 'i1', 'click', NULL, NULL, '{"window": "soon"}');

-- Analytics views.
SELECT model, rank, sum(impressions) AS impressions, sum(requests) AS requests
FROM recsys_impression_stats GROUP BY model, rank ORDER BY model, rank;
SELECT model, rank, event, outcomes, value FROM recsys_outcome_stats ORDER BY rank, event;
SELECT rank, impressions, clicks, conversions, round(ctr, 3) AS ctr, round(conversion_rate, 3) AS conversion_rate
FROM recsys_ctr ORDER BY rank;
SELECT requests, impressions, clicks, conversions FROM recsys_daily_stats;
SELECT policy, arm, model, requests, share FROM recsys_arm_distribution;
SELECT model, items, items_shown, coverage > 0 AS covered FROM recsys_coverage ORDER BY model;
SELECT * FROM recsys_user_stats('u1', 'shop');
SELECT * FROM recsys_user_stats('u2', 'shop');
SELECT * FROM recsys_user_stats('nobody', 'shop');

-- Read-only connection: a clear error; recommend() still serves.
PRAGMA query_only = 1;
SELECT * FROM recommend_logged('u1', 3, 'shop');
SELECT recsys_record_outcome('u1', 'i1', 'click');
SELECT recsys_prune_impressions(NULL, 0);
SELECT count(*) AS served FROM recommend('u1', 3, 'shop');
PRAGMA query_only = 0;

-- Pruning: by count, then by age; outcomes go with their impressions.
SELECT recsys_prune_impressions(NULL, 5) AS pruned;
SELECT count(*) AS kept, (SELECT count(*) FROM recsys_outcomes o WHERE o.impression_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM recsys_impressions i WHERE i.id = o.impression_id)) AS orphans
FROM recsys_impressions;
UPDATE recsys_impressions SET shown_at = datetime('now', '-40 days') WHERE id IN (SELECT id FROM recsys_impressions ORDER BY id LIMIT 2);
SELECT recsys_prune_impressions('30 days', NULL) AS pruned_by_age;
SELECT recsys_prune_impressions(NULL, NULL) AS no_bound;
SELECT recsys_prune_impressions(NULL, -1);
SELECT recsys_prune_impressions('ages', NULL);
SELECT count(*) AS kept FROM recsys_impressions;

-- Embeddings out: factor models only; a JSON array per id.
SELECT count(*) AS items, min(json_array_length(vector)) AS dim FROM recsys_item_vectors('shop');
SELECT count(*) AS users, min(json_array_length(vector)) AS dim FROM recsys_user_vectors('shop');
-- a user's dot product with an item is its score
SELECT count(*) AS rows, min(abs(d.s - r.score) < 1e-4) AS dot_is_score
FROM recommend('u1', 5, 'shop') r JOIN (
  SELECT i.id AS item_id, (SELECT sum(a.value * b.value) FROM json_each(u.vector) a
                           JOIN json_each(i.vector) b ON a.key = b.key) AS s
  FROM recsys_user_vectors('shop') u, recsys_item_vectors('shop') i WHERE u.id = 'u1') d
  ON d.item_id = r.item_id;
SELECT * FROM recsys_item_vectors('knn');
SELECT * FROM recsys_user_vectors('nope');
-- NULL and unknown arguments of the loop's functions
SELECT * FROM recsys_item_vectors(NULL);
SELECT * FROM recsys_user_vectors('no_such_model');
SELECT * FROM recommend_logged('u1', 3, 'no_such_model');
SELECT * FROM recommend_logged('u1', 0, 'shop');
SELECT recsys_record_outcome('u1', 'a1', NULL);
SELECT recsys_record_outcome('u1', 'a1', 'click', NULL, NULL, '{"window": "soon"}');

-- A file last written before the log existed (schema version 2): the first
-- recommend_logged() brings it to version 3, from inside its scan.
DROP VIEW recsys_coverage; DROP VIEW recsys_arm_distribution; DROP VIEW recsys_daily_stats;
DROP VIEW recsys_ctr; DROP VIEW recsys_outcome_stats; DROP VIEW recsys_impression_stats;
DROP TABLE recsys_impressions; DROP TABLE recsys_outcomes;
DROP TABLE IF EXISTS recsys_policy_arms; DROP TABLE IF EXISTS recsys_policies;
DELETE FROM recsys_schema WHERE version = 3;
SELECT count(*) AS rows FROM recommend_logged('u1', 2, 'shop', '{}', 'after-migration');
SELECT max(version) AS schema_version, (SELECT count(*) FROM recsys_impressions) AS impressions FROM recsys_schema;
-- top categories are JSON arrays even when a category holds quotes or backslashes
CREATE TABLE q_items(item_id TEXT, category TEXT);
INSERT INTO q_items VALUES ('a', 'say "hi"\x'), ('b', 'plain');
CREATE TABLE q_events(user_id TEXT, item_id TEXT);
INSERT INTO q_events VALUES ('u1', 'a'), ('u1', 'b'), ('u2', 'a'), ('u2', 'b'), ('u3', 'b');
SELECT recsys_train('q_m', 'q_events', 'als', '{"items": "q_items", "factors": 2, "threads": 1}') IS NOT NULL AS trained;
SELECT count(*) AS logged FROM recommend_logged('u3', 1, 'q_m');
SELECT top_categories, json_valid(top_categories) AS valid FROM recsys_user_stats('u3', 'q_m');
SELECT recsys_drop_model('q_m');
DROP TABLE q_items;
DROP TABLE q_events;
