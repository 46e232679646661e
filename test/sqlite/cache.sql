-- The per-connection model cache: a retrain on this connection is picked up
-- by the next call, a failed training leaves the previous version serving,
-- a rolled-back training is forgotten, hand edits of the store are noticed.
.echo off
.read test/sqlite/fixtures/shop.sql
.echo on
.headers on
SELECT json_extract(recsys_train('shop', 'events', 'als', '{"threads": 1, "seed": 42}'), '$.version') AS version;
SELECT count(*) AS rows, source FROM recommend('u1', 2) GROUP BY source;
-- retrain as popularity under the same name: the next call serves version 2
SELECT json_extract(recsys_train('shop', 'events', 'popularity'), '$.version') AS version;
SELECT count(*) AS rows, source FROM recommend('u1', 2) GROUP BY source;
SELECT name, version, algorithm FROM recsys_models;
-- a failed training (non-finite weight) leaves version 2 serving
SELECT recsys_train('shop', 'SELECT user_id, item_id, 1e999 AS weight FROM events', 'als');
SELECT recsys_train('shop', 'events', 'als', '{"factors": -1}');
SELECT recsys_train('shop', 'no_such_table', 'als');
SELECT name, version, algorithm FROM recsys_models;
SELECT count(*) AS rows, source FROM recommend('u1', 2) GROUP BY source;
-- a training inside a transaction is seen inside it and gone after ROLLBACK
BEGIN;
SELECT json_extract(recsys_train('shop', 'events', 'als', '{"threads": 1, "seed": 42}'), '$.version') AS version;
SELECT count(*) AS rows, source FROM recommend('u1', 1) GROUP BY source;
ROLLBACK;
SELECT name, version, algorithm FROM recsys_models;
SELECT count(*) AS rows, source FROM recommend('u1', 1) GROUP BY source;
-- ... and kept after COMMIT
BEGIN;
SELECT json_extract(recsys_train('shop', 'events', 'als', '{"threads": 1, "seed": 42}'), '$.version') AS version;
COMMIT;
SELECT count(*) AS rows, source FROM recommend('u1', 1) GROUP BY source;
-- deleting the newest version by hand: the previous one serves again
DELETE FROM recsys_model_store WHERE name = 'shop' AND version = 3;
SELECT name, version, algorithm FROM recsys_models;
SELECT count(*) AS rows, source FROM recommend('u1', 1) GROUP BY source;
-- a damaged blob is a clear error, never a crash (a new row, so it is loaded)
UPDATE recsys_model_store SET blob = substr(blob, 1, length(blob) / 2), trained_at = 'damaged'
WHERE name = 'shop';
SELECT item_id FROM recommend('u1', 1);
UPDATE recsys_model_store SET blob = zeroblob(64), trained_at = 'zeros' WHERE name = 'shop';
SELECT item_id FROM recommend('u1', 1);
UPDATE recsys_model_store SET blob = NULL, trained_at = 'null' WHERE name = 'shop';
SELECT item_id FROM recommend('u1', 1);
-- retraining repairs it
SELECT json_extract(recsys_train('shop', 'events', 'popularity'), '$.version') AS version;
SELECT count(*) AS rows, source FROM recommend('u1', 1) GROUP BY source;
-- dropping and training again restarts at version 1, and is not confused with the old version 1
SELECT recsys_drop_model('shop');
SELECT json_extract(recsys_train('shop', 'events', 'als', '{"threads": 1, "seed": 42}'), '$.version') AS version;
SELECT count(*) AS rows, source FROM recommend('u1', 1) GROUP BY source;
-- training inside a writing statement (SQLite allows no savepoint there):
-- the statement's own transaction keeps it atomic. Two trainings per row...
CREATE TABLE train_log(version INTEGER);
INSERT INTO train_log SELECT json_extract(recsys_train('shop', 'events', 'popularity'), '$.version')
  FROM (VALUES (1), (2));
SELECT group_concat(version, ' ') AS versions FROM train_log;
-- ... and when the second fails, the first is rolled back with the statement
INSERT INTO train_log SELECT CASE WHEN column1 = 1
  THEN json_extract(recsys_train('shop', 'events', 'popularity'), '$.version')
  ELSE recsys_train('shop', 'no_such_table') END FROM (VALUES (1), (2));
SELECT group_concat(version, ' ') AS versions FROM train_log;
SELECT name, version, algorithm FROM recsys_models;
