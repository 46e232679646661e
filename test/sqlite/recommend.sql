-- recommend() and popular_items(): k rows, exclude_seen, cold start, lateral
-- joins, default model resolution, recsys_set_default_model, drop.
.echo off
.read test/sqlite/fixtures/shop.sql
.echo on
.headers on
SELECT json_extract(recsys_train('shop', 'events', 'als',
       '{"threads": 1, "seed": 42, "factors": 8, "regularization": 0.1}'), '$.version') AS version;
-- k rows from the only model; u1 is in taste group 1 (items i1, i4, i7, ...)
SELECT item_id, round(score, 2) AS score, rank, reason, source FROM recommend('u1', 5);
SELECT group_concat(item_id, ' ') AS history FROM events WHERE user_id = 'u1';
-- k defaults to 10
SELECT count(*) AS rows FROM recommend('u1');
-- exclude_seen (default true): none of the user's 5 items, so 25 of 30 come back
SELECT count(*) AS rows, sum(item_id IN (SELECT item_id FROM events WHERE user_id = 'u1')) AS seen
FROM recommend('u1', 30);
-- exclude_seen false: all 30 items, the user's 5 among them
SELECT count(*) AS rows, sum(item_id IN (SELECT item_id FROM events WHERE user_id = 'u1')) AS seen
FROM recommend('u1', 30, NULL, '{"exclude_seen": false}');
SELECT count(*) AS rows FROM recommend('u1', 1000, 'shop', '{"exclude_seen": true}');
-- ranks are 1..k and scores do not increase
SELECT min(rank) AS first, max(rank) AS last, count(*) AS rows FROM recommend('u2', 7);
SELECT count(*) AS out_of_order FROM recommend('u2', 20) a JOIN recommend('u2', 20) b
  ON b.rank = a.rank + 1 WHERE b.score > a.score;
-- an unknown user gets popular items, and source says so
SELECT item_id, score, rank, reason, source FROM recommend('nobody', 3);
-- lateral join: one call per user, arguments from the outer row
SELECT u.id, r.item_id, r.rank
FROM (SELECT id FROM users ORDER BY id LIMIT 3) u, recommend(u.id, 2) r
ORDER BY u.id, r.rank;
SELECT u.id, count(r.item_id) AS rows FROM users u JOIN recommend(u.id, u.grp + 1) r
GROUP BY u.id ORDER BY u.id LIMIT 4;
-- the model learnt the taste groups: most (> 80%) top-3 items are from the user's own group
SELECT count(*) AS recommendations, sum(i.grp = u.grp) > 0.8 * count(*) AS mostly_own_group
FROM users u, recommend(u.id, 3) r JOIN items i ON i.id = r.item_id;
-- recommend() inside a view, and ORDER BY rank / score DESC (already the row order)
CREATE VIEW top2 AS SELECT u.id AS user_id, r.item_id, r.rank FROM users u, recommend(u.id, 2) r;
SELECT count(*) AS rows, count(DISTINCT user_id) AS users FROM top2;
SELECT group_concat(rank, ' ') AS ranks FROM (SELECT rank FROM recommend('u1', 5) ORDER BY rank);
SELECT group_concat(rank, ' ') AS ranks FROM (SELECT rank FROM recommend('u1', 5) ORDER BY score DESC);
SELECT group_concat(rank, ' ') AS ranks FROM (SELECT rank FROM recommend('u1', 5) ORDER BY rank DESC);
-- hidden argument columns read back
SELECT user_id, k, model, options FROM recommend('u1', 2, 'shop') LIMIT 1;
SELECT user_id, k, model, options FROM recommend('u1') LIMIT 1;
-- popular_items: k defaults to 10
SELECT item_id, score, rank FROM popular_items(3);
SELECT count(*) AS rows FROM popular_items;
SELECT count(*) AS rows FROM popular_items(100, 'shop');
-- two models: NULL model is now ambiguous until a default is set
SELECT json_extract(recsys_train('pop', 'events', 'popularity'), '$.version') AS version;
SELECT item_id FROM recommend('u1', 3);
SELECT item_id, source FROM recommend('u1', 3, 'pop');
SELECT recsys_set_default_model('pop');
SELECT item_id, source FROM recommend('u1', 3);
SELECT item_id, score FROM popular_items(2);
SELECT item_id, source FROM recommend('u1', 1, 'shop');
SELECT recsys_set_default_model('missing');
SELECT item_id FROM recommend('u1', 3);
SELECT recsys_set_default_model(NULL);
SELECT item_id FROM recommend('u1', 3);
-- drop: the other model becomes the only one again
SELECT recsys_drop_model('pop');
SELECT name, version FROM recsys_models;
SELECT item_id, source FROM recommend('u1', 2);
SELECT recsys_drop_model('shop');
SELECT count(*) AS models FROM recsys_models;
SELECT item_id FROM recommend('u1', 2);
