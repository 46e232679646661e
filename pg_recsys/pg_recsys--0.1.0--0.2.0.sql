/* pg_recsys--0.1.0--0.2.0.sql: upgrade of pg_recsys 0.1.0 to 0.2.0
   (ALTER EXTENSION pg_recsys UPDATE). test/pg/upgrade.sh checks that an
   upgraded database holds exactly the objects of a fresh 0.2.0 install. */

\echo Use "ALTER EXTENSION pg_recsys UPDATE TO '0.2.0'" to load this file. \quit

-- The model blob now records the writer's byte order and float format
-- (0.1.0 blobs still load). New: recommend_batch().

CREATE FUNCTION @extschema@.recommend_batch(user_ids text[] DEFAULT NULL, k integer DEFAULT 10,
	model text DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS TABLE (user_id text, item_id text, score real, rank integer, reason text, source text)
AS 'MODULE_PATHNAME', 'recommend_batch'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 1000;
COMMENT ON FUNCTION @extschema@.recommend_batch(text[], integer, text, jsonb) IS
'recommend()''s rows for many users at once (NULL: every user of the model), scored in blocks on recsys.threads threads';
