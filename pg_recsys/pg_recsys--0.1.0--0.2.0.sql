/* pg_recsys--0.1.0--0.2.0.sql: upgrade of pg_recsys 0.1.0 to 0.2.0
   (ALTER EXTENSION pg_recsys UPDATE). test/pg/upgrade.sh checks that an
   upgraded database holds exactly the objects of a fresh 0.2.0 install. */

\echo Use "ALTER EXTENSION pg_recsys UPDATE TO '0.2.0'" to load this file. \quit

-- 0.2.0 changes the library only (the model blob records the writer's byte
-- order and float format; 0.1.0 blobs still load): no SQL object changes.
