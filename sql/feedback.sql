-- The feedback loop: recommend_logged() serves and records impressions,
-- recsys_record_outcome() attributes outcomes, the analytics views count
-- them, recsys_prune_impressions() keeps the log bounded, and
-- recsys_item_vectors() / recsys_user_vectors() export factors.
CREATE TABLE fb_events AS
SELECT 'u' || u AS user_id, (CASE WHEN u < 20 THEN 'a' ELSE 'b' END) || j AS item_id
FROM generate_series(0, 39) u, generate_series(0, 9) j
WHERE j <> u % 10 AND j <> (u + 3) % 10;
CREATE TABLE fb_items AS
SELECT (CASE WHEN g < 10 THEN 'a' ELSE 'b' END) || (g % 10) AS item_id,
       CASE WHEN g < 10 THEN 'apparel' ELSE 'books' END AS category
FROM generate_series(0, 19) g;
SELECT recsys_train('fb', 'fb_events', 'als',
  '{"threads": 1, "seed": 42, "factors": 4, "items": "fb_items"}')->>'users' AS users;
SELECT recsys_train('fb_knn', 'fb_events', 'itemknn', '{"threads": 1}')->>'items' AS items;

-- Serve and log: recommend()'s rows plus the request id, one impression
-- (a row of recsys.impressions) per served list, its items in rank order.
SELECT (SELECT array_agg(item_id ORDER BY rank) FROM recommend_logged('u1', 3, 'fb', '{}', 'req-1'))
     = (SELECT array_agg(item_id ORDER BY rank) FROM recommend('u1', 3, 'fb')) AS same_rows;
SELECT count(*) AS rows, min(request_id) AS request_id FROM recommend_logged('u2', 4, 'fb', '{}', 'req-2');
SELECT request_id, user_id, cardinality(items) AS items, cardinality(scores) AS scores, model,
       model_version, policy IS NULL AS no_policy,
       items = (SELECT array_agg(item_id ORDER BY rank) FROM recommend('u1', 3, 'fb')) AS same_items,
       scores = (SELECT array_agg(score ORDER BY rank) FROM recommend('u1', 3, 'fb')) AS same_scores
FROM recsys.impressions i WHERE request_id = 'req-1';
-- A NULL request id gets a generated one (a UUID), the same on every row.
SELECT count(DISTINCT request_id) AS ids, bool_and(request_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4') AS uuid
FROM recommend_logged('u3', 3, 'fb');
-- INSERT ... SELECT works too, and so does a lateral join over users.
CREATE TABLE fb_served AS
SELECT u.id, r.item_id, r.request_id FROM (VALUES ('u4'), ('u25')) u(id),
  recommend_logged(u.id, 2, 'fb', '{}', 'batch-' || u.id) r;
SELECT count(*) AS served, count(DISTINCT request_id) AS requests FROM fb_served;
SELECT count(*) AS lists, sum(cardinality(items)) AS impressions FROM recsys.impressions;
-- A rolled back statement logs nothing.
BEGIN;
SELECT count(*) FROM recommend_logged('u5', 3, 'fb', '{}', 'rolled-back');
ROLLBACK;
SELECT count(*) AS rolled_back FROM recsys.impressions WHERE request_id = 'rolled-back';
-- Read-only: an error that says to use recommend(); recommend() still serves.
BEGIN READ ONLY;
SELECT * FROM recommend_logged('u1', 3, 'fb');
ROLLBACK;
BEGIN READ ONLY;
SELECT count(*) AS served_read_only FROM recommend('u1', 3, 'fb');
ROLLBACK;
-- Bad arguments are recommend()'s errors.
SELECT * FROM recommend_logged(NULL, 3, 'fb');
SELECT * FROM recommend_logged('u1', 0, 'fb');

-- Outcomes: by request id, else the user's latest list within the window
-- that holds the item; the outcome records the list and the item's rank.
SELECT items[1] AS r1_top FROM recsys.impressions WHERE request_id = 'req-1' \gset
SELECT recsys_record_outcome('u1', :'r1_top', 'click', NULL, 'req-1')
     = (SELECT id FROM recsys.impressions WHERE request_id = 'req-1') AS by_request;
SELECT items[2] AS r2_second FROM recsys.impressions WHERE request_id = 'req-2' \gset
SELECT recsys_record_outcome('u2', :'r2_second', 'purchase', 19.5)
     = (SELECT id FROM recsys.impressions WHERE request_id = 'req-2') AS by_user_item;
-- Nothing shown: recorded, not attributed (NULL).
SELECT recsys_record_outcome('u2', 'a9-never-shown', 'click') IS NULL AS unattributed;
-- A request id that did not show the item attributes nothing.
SELECT recsys_record_outcome('u1', :'r2_second', 'click', NULL, 'req-1') IS NULL AS wrong_request;
-- Outside the window: the impression is too old.
UPDATE recsys.impressions SET shown_at = shown_at - interval '2 days' WHERE request_id = 'req-2';
SELECT recsys_record_outcome('u2', :'r2_second', 'click') IS NULL AS too_old;
SELECT recsys_record_outcome('u2', :'r2_second', 'click', NULL, NULL, '{"window": "3 days"}')
     IS NOT NULL AS wider_window;
SELECT recsys_record_outcome('u2', :'r2_second', 'click', NULL, NULL, '{"window": 600}')
     IS NULL AS window_seconds;
UPDATE recsys.impressions SET shown_at = shown_at + interval '2 days' WHERE request_id = 'req-2';
SELECT event, value, impression_id IS NOT NULL AS attributed, rank FROM recsys.outcomes ORDER BY id;
-- Bad outcomes.
SELECT recsys_record_outcome('u1', NULL, 'click');
SELECT recsys_record_outcome('u1', 'a1', '');
SELECT recsys_record_outcome('u1', 'a1', 'click', 'NaN');
SELECT recsys_record_outcome('u1', 'a1', 'click', NULL, NULL, '{"windw": 5}');
SELECT recsys_record_outcome('u1', 'a1', 'click', NULL, NULL, '{"window": -5}');
BEGIN READ ONLY;
SELECT recsys_record_outcome('u1', 'a1', 'click');
ROLLBACK;

-- Analytics: the views see the live log before any refresh...
SELECT model, rank, sum(impressions) AS impressions, sum(requests) AS requests
FROM recsys_impression_stats GROUP BY model, rank ORDER BY model, rank;
SELECT model, rank, event, outcomes, value FROM recsys_outcome_stats ORDER BY rank, event;
SELECT rank, impressions, clicks, conversions, round(ctr::numeric, 3) AS ctr,
       round(conversion_rate::numeric, 3) AS conversion_rate
FROM recsys_ctr ORDER BY rank;
SELECT requests, impressions, clicks, conversions FROM recsys_daily_stats;
SELECT policy, arm, model, requests, share FROM recsys_arm_distribution;
SELECT model, items, items_shown, coverage > 0 AS covered FROM recsys_coverage
WHERE model LIKE 'fb%' ORDER BY model;
-- ...and the same after folding it into the rollups.
CREATE TABLE fb_before AS SELECT * FROM recsys_ctr;
SELECT recsys_refresh_analytics('0') AS folded;
SELECT last_impression = (SELECT max(id) FROM recsys.impressions) AS watermark FROM recsys.analytics_state;
SELECT count(*) AS rollup_rows FROM recsys.impression_rollup;
SELECT (SELECT count(*) FROM (SELECT * FROM recsys_ctr EXCEPT SELECT * FROM fb_before) d) AS new_rows,
       (SELECT count(*) FROM (SELECT * FROM fb_before EXCEPT SELECT * FROM recsys_ctr) d) AS lost_rows;
SELECT model, items_shown FROM recsys_coverage WHERE model LIKE 'fb%' ORDER BY model;
-- Rows logged after a refresh are added live, and folded once.
SELECT count(*) FROM recommend_logged('u6', 2, 'fb', '{}', 'after');
SELECT sum(impressions) AS impressions FROM recsys_impression_stats;
SELECT recsys_refresh_analytics('0') AS folded, recsys_refresh_analytics('0') AS again;
SELECT sum(impressions) AS impressions FROM recsys_impression_stats;
-- Per user: shown, requests, clicks, conversions, CTR, the model's categories.
SELECT * FROM recsys_user_stats('u1', 'fb');
SELECT * FROM recsys_user_stats('u2', 'fb');
SELECT * FROM recsys_user_stats('nobody', 'fb');

-- Privileges: no direct access; views show only models one may use.
CREATE ROLE fb_reader;
SET ROLE fb_reader;
SELECT count(*) FROM recsys.impressions;
SELECT count(*) AS visible FROM recsys_impression_stats;
SELECT * FROM recommend_logged('u1', 3, 'fb');
SELECT recsys_record_outcome('u1', :'r1_top', 'click', NULL, 'req-1');
SELECT recsys_record_outcome('u1', 'zz', 'click') IS NULL AS unattributed_ok;
SELECT recsys_prune_impressions(NULL, 0);
RESET ROLE;
SELECT recsys_grant('fb', 'fb_reader');
SET ROLE fb_reader;
SELECT count(*) > 0 AS visible FROM recsys_impression_stats;
SELECT count(*) AS logged FROM recommend_logged('u1', 3, 'fb', '{}', 'reader');
RESET ROLE;

-- Pruning: by count, then by age; outcomes go with their impressions, the
-- rollups keep the counts.
SELECT sum(impressions) AS before_prune FROM recsys_impression_stats;
SELECT recsys_prune_impressions(NULL, 5) AS pruned;
SELECT count(*) AS kept, (SELECT count(*) FROM recsys.outcomes o
  WHERE o.impression_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM recsys.impressions i WHERE i.id = o.impression_id)) AS orphans
FROM recsys.impressions;
SELECT sum(impressions) AS after_prune FROM recsys_impression_stats;
UPDATE recsys.impressions SET shown_at = now() - interval '40 days' WHERE id IN (
  SELECT id FROM recsys.impressions ORDER BY id LIMIT 2);
SELECT recsys_prune_impressions(interval '30 days', NULL) AS pruned_by_age;
SELECT recsys_prune_impressions(NULL, NULL) AS nothing;
SELECT recsys_prune_impressions(NULL, -1);
SELECT count(*) AS kept FROM recsys.impressions;

-- Embeddings out: factor models only.
SELECT count(*) AS items, min(array_length(vector, 1)) AS dim, max(array_length(vector, 1)) AS dim_max
FROM recsys_item_vectors('fb');
SELECT count(*) AS users, min(array_length(vector, 1)) AS dim FROM recsys_user_vectors('fb');
-- The vectors are the model's: a user's dot product with an item is its score.
SELECT count(*) AS rows, bool_and(abs(d.s - r.score) < 1e-4) AS dot_is_score
FROM recommend('u1', 5, 'fb') r JOIN (
  SELECT i.id AS item_id, (SELECT sum(a * b) FROM unnest(u.vector, i.vector) t(a, b)) AS s
  FROM recsys_user_vectors('fb') u, recsys_item_vectors('fb') i WHERE u.id = 'u1') d
  ON d.item_id = r.item_id;
-- NULL and unknown arguments of the loop's functions.
\set VERBOSITY terse
SELECT * FROM recsys_item_vectors(NULL);
SELECT * FROM recsys_user_vectors('no_such_model');
SELECT * FROM recommend_logged('u1', 3, 'no_such_model');
SELECT * FROM recommend_logged('u1', 0, 'fb');
SELECT recsys_record_outcome('u1', 'a1', NULL);
SELECT recsys_record_outcome('u1', 'a1', 'click', NULL, NULL, '{"window": "soon"}');
\set VERBOSITY default
SELECT * FROM recsys_item_vectors('fb_knn');
SET ROLE fb_reader;
SELECT count(*) AS granted FROM recsys_item_vectors('fb');
SELECT count(*) FROM recsys_item_vectors('fb_knn');
RESET ROLE;
DROP ROLE fb_reader;
