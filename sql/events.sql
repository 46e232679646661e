-- Event logs (core/events.c, issue 13 A1-A3, A6): a shop's view / cart /
-- purchase funnel. Users u001..u030 browse p01..p20 (views, some carts and
-- purchases); even users buy coffee p01 every 7 days (last at 3814400);
-- u011..u020 view, cart and buy p20 5 and 10 minutes apart (u011 bought it
-- at 5110600). Item pNN costs 5 x NN. As test/sqlite/events.sql.
CREATE TABLE events AS
  SELECT 'u' || lpad(u::text, 3, '0') AS user_id, 'p' || lpad(i::text, 2, '0') AS item_id,
         'view' AS event, 1000000 + u * 1000 + i * 10 AS ts
    FROM generate_series(1, 30) u, generate_series(1, 20) i WHERE (u * 7 + i * 3) % 4 <> 0
  UNION ALL SELECT 'u' || lpad(u::text, 3, '0'), 'p' || lpad(i::text, 2, '0'), 'cart', 1000060 + u * 1000 + i * 10
    FROM generate_series(1, 30) u, generate_series(1, 20) i WHERE (u + i) % 3 = 0
  UNION ALL SELECT 'u' || lpad(u::text, 3, '0'), 'p' || lpad(i::text, 2, '0'), 'purchase', 1000120 + u * 1000 + i * 10
    FROM generate_series(1, 30) u, generate_series(1, 20) i WHERE (u + i) % 6 = 0
  UNION ALL SELECT 'u' || lpad(u::text, 3, '0'), 'p01', 'purchase', 2000000 + k * 604800
    FROM generate_series(1, 30) u, generate_series(0, 3) k WHERE u % 2 = 0
  UNION ALL SELECT 'u' || lpad(u::text, 3, '0'), 'p20', e.event, 5000000 + u * 10000 + e.dt
    FROM generate_series(11, 20) u, (VALUES ('view', 0), ('cart', 300), ('purchase', 600)) e(event, dt);
CREATE TABLE products AS
  SELECT 'p' || lpad(i::text, 2, '0') AS item_id, (5 * i)::numeric AS price FROM generate_series(1, 20) i;
SELECT recsys_train('als_shop', 'events', 'als',
         '{"event_weights": {"view": 0.1, "cart": 0.5, "purchase": 1}, "items": "products",
           "threads": 1, "factors": 8, "seed": 1}') ->> 'purchase_event' AS purchase_event;
SELECT recsys_train('warp_shop', 'events', 'warp',
         '{"event_weights": {"view": 1, "cart": 1.5, "purchase": 2}, "threads": 1, "seed": 1}')
       ->> 'purchase_event' AS purchase_event;
-- purchase_event: an explicit name, null (none), a name event_weights lacks
SELECT recsys_train('ev_carts', 'events', 'popularity',
         '{"event_weights": {"view": 0.1, "cart": 0.5, "purchase": 1}, "purchase_event": "cart"}')
       ->> 'purchase_event' AS purchase_event;
SELECT recsys_train('ev_none', 'events', 'als',
         '{"event_weights": {"view": 0.1, "cart": 0.5, "purchase": 1}, "purchase_event": null,
           "threads": 1, "factors": 4}') -> 'purchase_event' AS purchase_event;
SELECT recsys_train('ev_bad', 'events', 'als',
         '{"event_weights": {"view": 0.1, "purchase": 1}, "purchase_event": "order"}');
SELECT recsys_train('ev_bad', 'events', 'als', '{"purchase_event": 3}');

-- A1 repurchase_cycle: p20, bought by u011 16 minutes ago after a view and
-- a cart 5 and 10 minutes before, is not back (before: it was)
SELECT count(*) AS p20_back_after_16_min
  FROM recommend('u011', 20, 'als_shop', '{"repurchase_cycle": true, "now": 5111560}')
  WHERE item_id = 'p20';
-- items u011 only viewed or carted never come back, even years later
SELECT count(*) AS never_bought_back
  FROM recommend('u011', 20, 'als_shop', '{"repurchase_cycle": true, "now": 9000000000}')
  WHERE item_id IN (SELECT item_id FROM events WHERE user_id = 'u011' GROUP BY item_id
                    HAVING count(*) FILTER (WHERE event = 'purchase') = 0);
-- coffee p01 (every 7 days) is due for u002 8 days after the last, not 1 day after
SELECT count(*) AS p01_due_after_8_days
  FROM recommend('u002', 20, 'als_shop', '{"repurchase_cycle": true, "now": 4505600}')
  WHERE item_id = 'p01';
SELECT count(*) AS p01_due_after_1_day
  FROM recommend('u002', 20, 'als_shop', '{"repurchase_cycle": true, "now": 3900800}')
  WHERE item_id = 'p01';
SELECT count(*) AS batch_p20_back
  FROM recommend_batch(ARRAY['u011'], 20, 'als_shop', '{"repurchase_cycle": true, "now": 5111560}')
  WHERE item_id = 'p20';
-- a model of events without a purchase event says so
SELECT * FROM recommend('u011', 3, 'ev_none', '{"repurchase_cycle": true}');
-- popular_items by buyers: each item's score is its distinct purchasing users
SELECT count(*) AS items, count(*) FILTER (WHERE p.score = (SELECT count(DISTINCT user_id) FROM events e
         WHERE e.item_id = p.item_id AND e.event = 'purchase')) AS buyers_match
  FROM popular_items(10, 'als_shop', '{"measure": "purchases"}') p;
-- in a window of 2 days up to the last p20 purchase: only p20's buyers of that window
SELECT item_id, score FROM popular_items(3, 'als_shop',
         '{"measure": "purchases", "window_days": 2, "now": 5200600}');
SELECT * FROM popular_items(3, 'ev_none', '{"measure": "purchases"}');

-- A2 reasons: "bought" only for items the user purchased
CREATE TABLE reasons AS
  SELECT u.user_id, r.item_id, r.reason
  FROM (SELECT DISTINCT user_id FROM events) u, LATERAL recommend(u.user_id, 10, 'warp_shop') r;
SELECT count(*) AS bought_but_not_purchased FROM reasons r
  WHERE r.reason LIKE 'because you bought %'
    AND NOT EXISTS (SELECT 1 FROM events e WHERE e.user_id = r.user_id AND e.event = 'purchase'
                    AND e.item_id = substr(r.reason, 20));
-- each named item's verb is the strongest event the user had on it
SELECT count(*) AS viewed_but_carted FROM reasons r
  WHERE r.reason LIKE 'because you viewed %'
    AND EXISTS (SELECT 1 FROM events e WHERE e.user_id = r.user_id AND e.event <> 'view'
                AND e.item_id = substr(r.reason, 20));
-- a fresh user's reasons follow their rows read now
INSERT INTO events VALUES ('u900', 'p03', 'view', 6000000), ('u900', 'p05', 'cart', 6000100),
                          ('u900', 'p05', 'view', 6000000), ('u900', 'p07', 'purchase', 6000200);
INSERT INTO events VALUES ('u901', 'p02', 'view', 6000000), ('u901', 'p04', 'view', 6000000),
                          ('u902', 'p02', 'cart', 6000000), ('u902', 'p04', 'cart', 6000000);
SELECT count(*) AS fresh_rows,
       count(*) FILTER (WHERE reason LIKE 'because you bought %' AND reason <> 'because you bought p07') AS wrong_bought
  FROM recommend('u900', 10, 'warp_shop');
-- every verb: u901 only viewed, u902 only carted, u011 bought
SELECT u.user_id, CASE WHEN reason LIKE 'because you bought %' THEN 'bought'
                       WHEN reason LIKE 'because you viewed %' THEN 'viewed'
                       WHEN reason LIKE 'because you added % to your cart' THEN 'added to cart'
                       ELSE reason END AS verb, count(*) > 0 AS seen
  FROM (VALUES ('u011'), ('u901'), ('u902')) u(user_id), LATERAL recommend(u.user_id, 5, 'warp_shop') r
  GROUP BY 1, 2 ORDER BY 1, 2;
-- without an event column every row is a purchase, and the reason is neutral
CREATE VIEW orders AS SELECT user_id, item_id, ts FROM events WHERE event = 'purchase';
SELECT recsys_train('als_orders', 'orders', 'als', '{"threads": 1, "factors": 4, "seed": 1}') IS NOT NULL AS trained;
SELECT count(*) FILTER (WHERE reason LIKE 'because of %') > 0 AS neutral,
       count(*) FILTER (WHERE reason LIKE 'because you %') AS verbs
  FROM recommend('u002', 5, 'als_orders');

-- A3 profile: rows per event, purchases, last purchase, spend and its segment, customer type
SET timezone = 'UTC';
SELECT * FROM recsys_user_profile('u011', 'als_shop', '{"now": 5111560}');
SELECT * FROM recsys_user_profile('u002', 'als_shop', '{"now": 9000000}');
SELECT u.user_id, purchases, total_spend, spend_segment, customer_type
  FROM (VALUES ('u004'), ('u005'), ('u012')) u(user_id),
       LATERAL recsys_user_profile(u.user_id, 'als_shop', '{"now": 5200000, "spend_quantiles": [0.1, 0.2, 0.3],
                                                    "loyal_purchases": 5, "at_risk_days": 30}');
SELECT interactions, event_counts, purchases, last_purchase, customer_type
  FROM recsys_user_profile('u002', 'als_orders', '{"now": 4000000}');
SELECT sum(p.price * 1) AS spend_by_sql FROM events e JOIN products p USING (item_id)
  WHERE e.user_id = 'u011' AND e.event = 'purchase';
SELECT * FROM recsys_user_profile('u011', 'als_shop', '{"spend_quantiles": [0.5, 0.2, 0.9]}');
SELECT * FROM recsys_user_profile('u011', 'als_shop', '{"new_days": -1}');
SELECT * FROM recsys_user_profile('u011', 'als_shop', '{"loyal": 3}');
-- A6: a fresh user (rows in the source, unknown to the model) is profiled from them
SELECT * FROM recsys_user_profile('u900', 'als_shop', '{"now": 6000300}');
SELECT * FROM recsys_user_profile('nobody', 'als_shop');

-- price_tolerances: price_sensitivity's tolerance per spending segment
-- (u900's average item price is 25: tolerance 1.5 puts items above 37.5 last)
SELECT string_agg(item_id, ' ' ORDER BY rank) AS loose FROM recommend('u900', 20, 'als_shop',
         '{"price_sensitivity": true, "price_tolerances": [100, 100, 100, 100]}');
SELECT string_agg(item_id, ' ' ORDER BY rank) AS tight FROM recommend('u900', 20, 'als_shop',
         '{"price_sensitivity": true, "price_tolerances": [1.5, 1.5, 1.5, 1.5]}');
SELECT * FROM recommend('u011', 3, 'als_shop', '{"price_tolerances": [1, 2, 3]}');
SELECT * FROM recommend('u011', 3, 'als_shop', '{"price_tolerances": [1, 2, 3, 0]}');
SELECT * FROM recommend('u011', 3, 'als_orders', '{"price_tolerances": [1, 2, 3, 4]}');
DROP VIEW orders;
DROP TABLE events, products, reasons;
SELECT recsys_drop_model(m) FROM unnest(ARRAY['als_shop', 'warp_shop', 'ev_carts', 'ev_none', 'als_orders']) m;
