-- The recsys tables of a file and their migrations (sqlite_recsys/schema.c,
-- mirroring pg_recsys's upgrade scripts): recorded in recsys_schema.
CREATE TABLE ev AS WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
  SELECT 'u' || (i % 30) AS user_id, 'i' || ((i * 7) % 20) AS item_id FROM n;
-- A new file: the first training creates the tables and records every step.
SELECT json_extract(recsys_train('m', 'ev', 'popularity'), '$.version') AS version;
SELECT version, release FROM recsys_schema ORDER BY version;
-- A file last written by recsys 0.1.0: the next write applies what is missing.
DELETE FROM recsys_schema WHERE version > 1;
SELECT json_extract(recsys_train('m', 'ev', 'popularity'), '$.version') AS version;
SELECT version, release FROM recsys_schema ORDER BY version;
-- The usual training writes no schema row.
SELECT json_extract(recsys_train('m', 'ev', 'popularity'), '$.version') AS version;
SELECT count(*) AS steps FROM recsys_schema;
-- A file a newer recsys migrated: reading goes on, writing is refused, and
-- the failed training leaves the model as it was.
INSERT INTO recsys_schema VALUES (99, '9.9.9', '2030-01-01 00:00:00');
SELECT count(*) AS rows FROM recommend('u1', 3, 'm');
SELECT recsys_train('m', 'ev', 'popularity');
SELECT max(version) AS latest FROM recsys_model_store WHERE name = 'm';
