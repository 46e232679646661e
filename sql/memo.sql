-- The result memo (recsys.result_cache): a kept answer is the computed one;
-- only pure answers are kept ("fresh", unknown users, the clock bypass it);
-- a retrain and a revoke take effect at the next call; small sizes evict.
-- A hit prints the DEBUG line "recsys: answer from the result memo".
CREATE TABLE memo_events AS
SELECT 'u' || u AS user_id, 'i' || ((u * 7 + j * 3) % 40) AS item_id,
       1700000000 + u * 1000 + j * 86400 AS ts
FROM generate_series(0, 29) u, generate_series(0, 7) j;
SELECT recsys_train('memo_m', 'memo_events', 'als', '{"threads": 1, "seed": 7}')->>'users' AS users;
CREATE TABLE memo_opts(o jsonb);
INSERT INTO memo_opts VALUES ('{}'), ('{"exclude_seen": false}'), ('{"reasons": false}'),
  ('{"diversity": 0.5}'), ('{"exclude_items": ["i3", "i10"], "candidates": 20}'),
  ('{"repurchase_cycle": true, "now": 1800000000}');
CREATE VIEW memo_answers AS
SELECT e.user_id, o.o::text AS opts, r.*
FROM (SELECT DISTINCT user_id FROM memo_events) e, memo_opts o,
     LATERAL recommend(e.user_id, 5, 'memo_m', o.o) r;

-- Uncached, then twice with the memo (the second time from it): the same rows.
SET recsys.result_cache = 0;
CREATE TEMP TABLE memo_off AS SELECT * FROM memo_answers;
RESET recsys.result_cache;
SHOW recsys.result_cache;
CREATE TEMP TABLE memo_on1 AS SELECT * FROM memo_answers;
CREATE TEMP TABLE memo_on2 AS SELECT * FROM memo_answers;
SELECT (SELECT count(*) FROM memo_off) AS n_rows,
       (SELECT count(*) FROM (TABLE memo_off EXCEPT TABLE memo_on1) d) AS off_not_first,
       (SELECT count(*) FROM (TABLE memo_on1 EXCEPT TABLE memo_off) d) AS first_not_off,
       (SELECT count(*) FROM (TABLE memo_off EXCEPT TABLE memo_on2) d) AS off_not_second,
       (SELECT count(*) FROM (TABLE memo_on2 EXCEPT TABLE memo_off) d) AS second_not_off;
-- similar_items too.
SET recsys.result_cache = 0;
CREATE TEMP TABLE memo_sim_off AS SELECT * FROM similar_items('i3', 5, 'memo_m');
RESET recsys.result_cache;
SELECT count(*) AS sim_first FROM (TABLE memo_sim_off EXCEPT SELECT * FROM similar_items('i3', 5, 'memo_m')) d;
SELECT count(*) AS sim_second FROM (TABLE memo_sim_off EXCEPT SELECT * FROM similar_items('i3', 5, 'memo_m')) d;

SET client_min_messages = debug1;
-- A first call computes, the second is kept (one DEBUG line).
SELECT string_agg(item_id, ',' ORDER BY rank) = (SELECT string_agg(item_id, ',' ORDER BY rank)
  FROM memo_off WHERE user_id = 'u1' AND opts = '{}' AND rank <= 3) AS same FROM recommend('u1', 3, 'memo_m');
SELECT count(*) FROM recommend('u1', 3, 'memo_m');
SELECT count(*) FROM similar_items('i4', 3, 'memo_m');
SELECT count(*) FROM similar_items('i4', 3, 'memo_m');
-- Never kept: "fresh", unknown users, repurchase_cycle without "now"
-- (the clock decides what is due), the memo turned off.
SELECT count(*) FROM recommend('u1', 3, 'memo_m', '{"fresh": true}');
SELECT count(*) FROM recommend('u1', 3, 'memo_m', '{"fresh": true}');
SELECT count(*) FROM recommend('stranger', 3, 'memo_m');
SELECT count(*) FROM recommend('stranger', 3, 'memo_m');
SELECT count(*) FROM recommend('u1', 3, 'memo_m', '{"repurchase_cycle": true}');
SELECT count(*) FROM recommend('u1', 3, 'memo_m', '{"repurchase_cycle": true}');
-- ... but with "fresh": false or an explicit "now" it is.
SELECT count(*) FROM recommend('u1', 3, 'memo_m', '{"fresh": false}');
SELECT count(*) FROM recommend('u1', 3, 'memo_m', '{"fresh": false}');
SELECT count(*) FROM recommend('u1', 3, 'memo_m', '{"repurchase_cycle": true, "now": 1700000000}');
SELECT count(*) FROM recommend('u1', 3, 'memo_m', '{"repurchase_cycle": true, "now": 1700000000}');
SET recsys.result_cache = 0;
SELECT count(*) FROM recommend('u2', 3, 'memo_m');
SELECT count(*) FROM recommend('u2', 3, 'memo_m');
RESET recsys.result_cache;

-- A stranger's answer follows the source (it is never kept): after new
-- rows the stranger is served from them, not from popular items.
SELECT DISTINCT source FROM recommend('stranger', 3, 'memo_m');
INSERT INTO memo_events VALUES ('stranger', 'i1', 1700000000), ('stranger', 'i2', 1700000000);
SELECT DISTINCT source FROM recommend('stranger', 3, 'memo_m');
DELETE FROM memo_events WHERE user_id = 'stranger';

-- Least recently used out first: with room for 3 answers, u11 is gone after
-- three more users, and kept again after its call.
SET recsys.result_cache = 3;
SELECT count(*) FROM recommend('u11', 2, 'memo_m');
SELECT count(*) FROM recommend('u11', 2, 'memo_m');
SELECT count(*) FROM recommend('u12', 2, 'memo_m');
SELECT count(*) FROM recommend('u13', 2, 'memo_m');
SELECT count(*) FROM recommend('u14', 2, 'memo_m');
SELECT count(*) FROM recommend('u11', 2, 'memo_m');
SELECT count(*) FROM recommend('u11', 2, 'memo_m');
SET client_min_messages = notice;
-- A full pass through a memo of 3: still the uncached answers.
SELECT count(*) AS small_memo_diff FROM (
  (TABLE memo_off EXCEPT SELECT * FROM memo_answers)
  UNION ALL (SELECT * FROM memo_answers EXCEPT TABLE memo_off)) d;
RESET recsys.result_cache;

-- A retrain in this session: the next call serves the new version. u5 has
-- now bought the items of its kept answer, so the new answer differs.
SELECT string_agg(item_id, ',' ORDER BY rank) AS before FROM recommend('u5', 4, 'memo_m') \gset
SELECT recsys_train('memo_m', format($$SELECT user_id, item_id FROM memo_events
  UNION ALL SELECT 'u5', unnest(string_to_array(%L, ','))$$, :'before'),
  'als', '{"threads": 1, "seed": 7}')->>'version' AS version;
SELECT string_agg(item_id, ',' ORDER BY rank) AS after FROM recommend('u5', 4, 'memo_m') \gset
SET recsys.result_cache = 0;
SELECT string_agg(item_id, ',' ORDER BY rank) AS uncached FROM recommend('u5', 4, 'memo_m') \gset
RESET recsys.result_cache;
SELECT :'before' <> :'after' AS changed, :'after' = :'uncached' AS after_is_new_model;

-- A revoke: a kept answer is refused at the next call.
CREATE ROLE memo_reader;
SELECT recsys_grant('memo_m', 'memo_reader');
SET ROLE memo_reader;
SELECT count(*) FROM recommend('u6', 3, 'memo_m');
SET client_min_messages = debug1;
SELECT count(*) FROM recommend('u6', 3, 'memo_m');
SET client_min_messages = notice;
RESET ROLE;
SELECT recsys_revoke('memo_m', 'memo_reader');
SET ROLE memo_reader;
SELECT count(*) FROM recommend('u6', 3, 'memo_m');
SELECT count(*) FROM similar_items('i4', 3, 'memo_m');
RESET ROLE;
SELECT recsys_drop_model('memo_m');
DROP ROLE memo_reader;
DROP VIEW memo_answers;
DROP TABLE memo_events, memo_opts;
