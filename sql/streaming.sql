-- The source is read in batches of 10,000 rows (pg_recsys/source.c) and the
-- builder keeps rows in blocks (core/rows.c): every row on either side of a
-- batch boundary arrives, duplicates in a later batch merge with earlier
-- ones, and a bad row in a later batch fails the training with its row
-- number while the previous version keeps serving.
CREATE TABLE stream_ev AS
SELECT g AS n, 'u' || (g % 997) AS user_id, 'i' || (g % 211) AS item_id, 1.0::float8 AS weight
FROM generate_series(1, 25000) g
UNION ALL
SELECT 25000 + g, 'u' || (g % 997), 'i' || (g % 211), 2.0 FROM generate_series(1, 5000) g;

SELECT s->>'rows_read' AS rows_read, s->>'interactions' AS interactions,
       s->>'duplicates_merged' AS duplicates, s->>'users' AS users, s->>'items' AS items
FROM recsys_train('stream', 'SELECT user_id, item_id, weight FROM stream_ev ORDER BY n',
                  'popularity', '{}') s;

-- row 23,456 (third batch) is NaN: the error names it, nothing is stored
SELECT recsys_train('stream', $$SELECT user_id, item_id,
    CASE WHEN n = 23456 THEN 'NaN'::float8 ELSE weight END AS weight
  FROM stream_ev ORDER BY n$$, 'popularity', '{}');
SELECT name, version, interactions FROM recsys_models WHERE name = 'stream';
SELECT count(*) FROM recommend('u1', 5, 'stream');

-- a NULL user in a later batch is skipped and counted, as in the first
SELECT s->>'rows_read' AS rows_read, s->'skipped'->>'null_user' AS null_user
FROM recsys_train('stream', $$SELECT CASE WHEN n IN (3, 29999) THEN NULL ELSE user_id END AS user_id,
    item_id, weight FROM stream_ev ORDER BY n$$, 'popularity', '{}') s;
SELECT recsys_drop_model('stream');
DROP TABLE stream_ev;
