-- The source is stepped row by row into the builder's blocks (core/rows.c):
-- duplicates late in the read merge with early ones, a bad row late in the
-- read fails the training with its row number and the previous version keeps
-- serving, NULL ids anywhere are skipped and counted; the blob, stored by
-- itself after the row, loads back.
.headers on
CREATE TABLE stream_ev AS
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 25000)
SELECT n, 'u' || (n % 997) AS user_id, 'i' || (n % 211) AS item_id, 1.0 AS weight FROM g
UNION ALL
SELECT 25000 + n, 'u' || (n % 997), 'i' || (n % 211), 2.0 FROM g WHERE n <= 5000;
SELECT json_extract(s, '$.rows_read') AS rows_read, json_extract(s, '$.interactions') AS interactions,
       json_extract(s, '$.duplicates_merged') AS duplicates, json_extract(s, '$.users') AS users,
       json_extract(s, '$.items') AS items
FROM (SELECT recsys_train('stream', 'SELECT user_id, item_id, weight FROM stream_ev ORDER BY n',
                          'popularity') AS s);
SELECT recsys_train('stream', 'SELECT user_id, item_id,
    CASE WHEN n = 23456 THEN 1e308 * 10 ELSE weight END AS weight FROM stream_ev ORDER BY n', 'popularity');
SELECT name, version, interactions FROM recsys_models WHERE name = 'stream';
SELECT count(*) AS rows FROM recommend('u1', 5, 'stream');
SELECT json_extract(s, '$.rows_read') AS rows_read, json_extract(s, '$.skipped.null_user') AS null_user
FROM (SELECT recsys_train('stream', 'SELECT CASE WHEN n IN (3, 29999) THEN NULL ELSE user_id END AS user_id,
    item_id, weight FROM stream_ev ORDER BY n', 'als', '{"factors": 4, "iterations": 2, "threads": 1}') AS s);
SELECT name, version, algorithm FROM recsys_models WHERE name = 'stream';
SELECT count(*) AS rows FROM recommend('u1', 5, 'stream');
