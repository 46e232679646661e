-- recommend()'s re-ranking options (core/rerank.c): upsell, price_sensitivity,
-- diversity, popularity_penalty, repurchase_cycle, candidates. Prices and
-- categories come from the items table, repurchase intervals from ts.
-- Users u2..u5 bought i1 three times, 100 s apart; nobody bought any other
-- item twice. Item i costs i + 1, category c<i % 4>.
.headers on
CREATE TABLE r_events AS
  WITH RECURSIVE u(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM u WHERE u < 19),
                 i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < 15),
                 t(t) AS (SELECT 0 UNION ALL SELECT t + 1 FROM t WHERE t < 2)
  SELECT 'u' || u AS user_id, 'i' || i AS item_id, 1000 + 100 * t AS ts FROM u, i, t
  WHERE (u < 10) = (i < 8) AND i % 8 <> u % 8 AND (t = 0 OR (i = 1 AND u BETWEEN 2 AND 5));
CREATE TABLE r_items AS
  WITH RECURSIVE i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < 15)
  SELECT 'i' || i AS item_id, i + 1 AS price, 'c' || (i % 4) AS category FROM i;
CREATE VIEW r_no_ts AS SELECT user_id, item_id FROM r_events;
SELECT recsys_train('r_shop', 'r_events', 'als',
                    '{"items": "r_items", "threads": 1, "factors": 4, "seed": 3}') IS NOT NULL AS trained;
SELECT recsys_train('r_plain', 'r_no_ts', 'als', '{"threads": 1, "factors": 4}') IS NOT NULL AS trained;
SELECT recsys_train('r_pop', 'r_events', 'popularity', '{"items": "r_items"}') IS NOT NULL AS trained;
-- options that are off change nothing
SELECT (SELECT group_concat(item_id) FROM (SELECT item_id FROM recommend('u1', 5, 'r_shop',
          '{"upsell": 0, "diversity": 0, "popularity_penalty": 0, "candidates": 50}') ORDER BY rank))
     = (SELECT group_concat(item_id) FROM (SELECT item_id FROM recommend('u1', 5, 'r_shop') ORDER BY rank)) AS same;
-- upsell: u1's unseen items are i1 (price 2, below u1's average) and i8..i15
-- (above it): i1 comes last
SELECT rank FROM recommend('u1', 9, 'r_shop', '{"upsell": 10}') WHERE item_id = 'i1';
-- price_sensitivity: u1 spends little, i8..i15 cost more than the tolerance:
-- i1 comes first
SELECT item_id FROM recommend('u1', 9, 'r_shop', '{"price_sensitivity": true}') WHERE rank = 1;
-- diversity 1 with categories: four rows, four categories (known and unknown users, popularity)
SELECT count(DISTINCT category) AS categories
  FROM recommend('u12', 4, 'r_shop', '{"diversity": 1}') JOIN r_items USING (item_id);
SELECT count(DISTINCT category) AS categories
  FROM recommend('nobody', 4, 'r_shop', '{"diversity": 1}') JOIN r_items USING (item_id);
SELECT count(DISTINCT category) AS categories
  FROM recommend('u1', 4, 'r_pop', '{"diversity": 1}') JOIN r_items USING (item_id);
-- factor cosine without categories: k distinct rows
SELECT count(DISTINCT item_id) AS rows FROM recommend('u12', 6, 'r_plain', '{"diversity": 0.5}');
-- a large popularity penalty: least popular first
WITH pop AS (SELECT item_id, count(DISTINCT user_id) AS users FROM r_events GROUP BY item_id),
     r AS (SELECT rank, users FROM recommend('u1', 9, 'r_shop', '{"popularity_penalty": 1000}')
           JOIN pop USING (item_id))
SELECT min(ok) AS ascending
  FROM (SELECT users >= coalesce(lag(users) OVER (ORDER BY rank), 0) AS ok FROM r) x;
-- repurchase_cycle: i1 (every 100 s, last at 1200) is back at 1300, not at
-- 1250; i3 (bought once) never
SELECT count(*) AS rows, max(item_id = 'i1') AS i1
  FROM recommend('u2', 16, 'r_shop', '{"repurchase_cycle": true, "now": 1250}');
SELECT count(*) AS rows, max(item_id = 'i1') AS i1, max(item_id = 'i3') AS i3
  FROM recommend('u2', 16, 'r_shop', '{"repurchase_cycle": true, "now": 1300}');
-- a hybrid: the same pipeline, rows keep the component that contributed most
SELECT recsys_train('r_hyb', 'r_events', 'hybrid',
  '{"items": "r_items", "threads": 1, "components": {"als": {"weight": 1, "factors": 4, "seed": 3}, "popularity": 1}}')
  IS NOT NULL AS trained;
SELECT count(DISTINCT category) AS categories, min(source LIKE 'hybrid:%') AS parts
  FROM recommend('u12', 4, 'r_hyb', '{"diversity": 1}') JOIN r_items USING (item_id);
SELECT count(*) AS rows, max(item_id = 'i1') AS i1
  FROM recommend('u2', 16, 'r_hyb', '{"repurchase_cycle": true, "now": 1300}');
-- filters leaving fewer than k: fewer rows, no error
SELECT count(*) AS rows FROM recommend('u1', 5, 'r_shop',
  '{"price_max": 2, "upsell": 1, "diversity": 0.5, "candidates": 5}');
-- "reasons": false leaves the history item unnamed (same rows, the source's text)
SELECT count(*) AS rows, count(*) FILTER (WHERE reason LIKE 'because of %') > 0 AS named
  FROM recommend('u1', 5, 'r_shop');
SELECT count(*) AS rows, count(*) FILTER (WHERE reason LIKE 'because of %') AS named
  FROM recommend('u1', 5, 'r_shop', '{"reasons": false}');
SELECT count(*) AS rows, count(*) FILTER (WHERE reason LIKE 'similar to %') AS named
  FROM recommend_for_items('["i1", "i2"]', 3, 'r_shop', '{"reasons": false}');
-- errors
SELECT * FROM recommend('u1', 5, 'r_shop', '{"candidates": 3}');
SELECT * FROM recommend('u1', 5, 'r_shop', '{"candidates": 10.5}');
SELECT * FROM recommend('u1', 5, 'r_shop', '{"diversity": 1.5}');
SELECT * FROM recommend('u1', 5, 'r_shop', '{"upsell": -1}');
SELECT * FROM recommend('u1', 5, 'r_shop', '{"upsell": "much"}');
SELECT * FROM recommend('u1', 5, 'r_shop', '{"popularity_penalty": -0.5}');
SELECT * FROM recommend('u1', 5, 'r_shop', '{"price_sensitivity": 1}');
SELECT * FROM recommend('u1', 5, 'r_shop', '{"repurchase_cycle": "yes"}');
SELECT * FROM recommend('u1', 5, 'r_shop', '{"now": "today"}');
SELECT * FROM recommend('u1', 5, 'r_shop', '{"reasons": "no"}');
SELECT * FROM recommend('u1', 5, 'r_plain', '{"upsell": 1}');
SELECT * FROM recommend('u1', 5, 'r_plain', '{"price_sensitivity": true}');
SELECT * FROM recommend('u1', 5, 'r_plain', '{"repurchase_cycle": true}');
SELECT recsys_drop_model('r_shop'), recsys_drop_model('r_plain'), recsys_drop_model('r_pop'),
       recsys_drop_model('r_hyb');
