/* pg_recsys--0.1.0--0.2.0.sql: upgrade of pg_recsys 0.1.0 to 0.2.0
   (ALTER EXTENSION pg_recsys UPDATE). test/pg/upgrade.sh checks that an
   upgraded database holds exactly the objects of a fresh 0.2.0 install. */

\echo Use "ALTER EXTENSION pg_recsys UPDATE TO '0.2.0'" to load this file. \quit

-- The model blob records the writer's byte order and float format (0.1.0
-- blobs still load). New: recommend_batch(), recsys_import(), and
-- recsys_models hides recsys_import's "interactions" option (a source) from
-- non-owners as it hides "items".

CREATE FUNCTION @extschema@.recommend_batch(user_ids text[] DEFAULT NULL, k integer DEFAULT 10,
	model text DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS TABLE (user_id text, item_id text, score real, rank integer, reason text, source text)
AS 'MODULE_PATHNAME', 'recommend_batch'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 1000;
COMMENT ON FUNCTION @extschema@.recommend_batch(text[], integer, text, jsonb) IS
'recommend()''s rows for many users at once (NULL: every user of the model), scored in blocks on recsys.threads threads';
CREATE FUNCTION @extschema@.recsys_import(model text, user_vectors text, item_vectors text,
	options jsonb DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'recsys_import'
LANGUAGE C VOLATILE CALLED ON NULL INPUT SECURITY INVOKER PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.recsys_import(text, text, text, jsonb) IS
'create a new version of a model from user and item vectors trained elsewhere (id, float array rows: Spark ALS userFactors / itemFactors); returns the import summary';
-- Like recsys_train: granted by GRANT EXECUTE ON FUNCTION recsys_import(text,
-- text, text, jsonb) TO role; replacing a model also needs its ownership.
REVOKE EXECUTE ON FUNCTION @extschema@.recsys_import(text, text, text, jsonb) FROM PUBLIC;
-- popular_items() and similar_items() take options (filters, measure, window).
COMMENT ON FUNCTION @extschema@.popular_items(integer, text, jsonb) IS
'the k most popular items of a model''s training data, by distinct users or summed weight, optionally in a time window, with recommend()''s filters (options)';
COMMENT ON FUNCTION @extschema@.similar_items(text, integer, text, jsonb) IS
'the k items most similar to an item in a trained model, with recommend()''s filters and diversity (options)';

CREATE OR REPLACE VIEW @extschema@.recsys_models WITH (security_barrier) AS
SELECT DISTINCT ON (s.name)
	s.name, s.version, s.algorithm, s.trained_at, s.users, s.items,
	s.interactions, s.bytes,
	CASE WHEN o.owner THEN s.options ELSE s.options - 'items' - 'users' - 'interactions' END AS options,
	s.summary,
	CASE WHEN o.owner THEN s.source END AS source,
	count(*) OVER (PARTITION BY s.name) AS versions_stored,
	(SELECT CASE WHEN o.owner THEN e.metrics ELSE e.metrics - 'options' END
	        || pg_catalog.jsonb_build_object('evaluated_at', e.evaluated_at)
	 FROM recsys.evaluations e WHERE e.name = s.name) AS last_evaluation,
	m.owner, m.granted_to
FROM recsys.model_store s LEFT JOIN recsys.models m ON m.name = s.name
CROSS JOIN LATERAL (SELECT @extschema@.recsys_has_model_privilege(s.name, 'OWNER') AS owner) o
WHERE @extschema@.recsys_has_model_privilege(s.name, 'USAGE')
ORDER BY s.name, s.version DESC;

-- recsys_user_profile gains options and the columns of events and
-- purchases (rows per event, purchases, last purchase, total spend, spend
-- segment, customer type); fresh users are profiled from their rows.
DROP FUNCTION @extschema@.recsys_user_profile(text, text);
CREATE FUNCTION @extschema@.recsys_user_profile(user_id text, model text DEFAULT NULL,
	options jsonb DEFAULT '{}')
RETURNS TABLE (interactions bigint, distinct_items bigint, spending_segment text,
	avg_item_price double precision, last_interaction timestamptz, event_counts jsonb,
	purchases bigint, last_purchase timestamptz, total_spend double precision,
	spend_segment text, customer_type text)
AS 'MODULE_PATHNAME', 'recsys_user_profile'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.recsys_user_profile(text, text, jsonb) IS
'what a model knows of a user (a fresh user: from their rows of the source): source rows, distinct items, spending segment, average item price, last interaction, rows per event, purchases, last purchase, total spend, spend segment, customer type';

-- Policies (issue 14): a name recommend() takes in place of a model, served
-- by one of several arms chosen per call (epsilon-greedy, Thompson sampling
-- or a split sticky per user). Models and policies share one namespace.
-- Written only by the extension's functions, as the extension owner, after
-- checking the caller's rights; no privileges for anyone else.
CREATE TABLE recsys.policies (
	name       text        PRIMARY KEY CHECK (name <> '' AND octet_length(name) < 64),
	strategy   text        NOT NULL,
	options    jsonb       NOT NULL DEFAULT '{}',
	owner      name        NOT NULL,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE recsys.policies IS 'pg_recsys policies: strategy, options and owner';
REVOKE ALL ON recsys.policies FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('recsys.policies', '');
-- One row per arm, with its incremental statistics: impressions += 1 per
-- served list, rewards += an attributed outcome's value (or 1).
CREATE TABLE recsys.policy_arms (
	policy      text             NOT NULL REFERENCES recsys.policies (name) ON DELETE CASCADE,
	arm         text             NOT NULL CHECK (arm <> ''),
	model       text             NOT NULL,
	options     jsonb            NOT NULL DEFAULT '{}',
	impressions bigint           NOT NULL DEFAULT 0,
	rewards     double precision NOT NULL DEFAULT 0,
	PRIMARY KEY (policy, arm)
);
COMMENT ON TABLE recsys.policy_arms IS 'arms of pg_recsys policies: model, serving options, impressions and rewards';
REVOKE ALL ON recsys.policy_arms FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('recsys.policy_arms', '');
-- A policy created or dropped takes effect in every backend at once (the
-- statistics, updated on every logged list, are re-read by time instead:
-- recsys.policy_refresh_ms).
CREATE TRIGGER policies_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON recsys.policies
	FOR EACH STATEMENT EXECUTE FUNCTION recsys.model_store_changed();

CREATE FUNCTION @extschema@.recsys_create_policy(name text, arms jsonb,
	strategy text DEFAULT 'epsilon_greedy', options jsonb DEFAULT '{}')
RETURNS void
AS 'MODULE_PATHNAME', 'recsys_create_policy'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.recsys_create_policy(text, jsonb, text, jsonb) IS
'create a policy over arms {"a": {"model": "m1"}, "b": {"model": "m2", "options": {...}}} that recommend() serves in place of a model; strategy epsilon_greedy (options epsilon, seed), thompson (seed) or split (weights, seed)';

CREATE FUNCTION @extschema@.recsys_drop_policy(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'recsys_drop_policy'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.recsys_drop_policy(text) IS
'delete a policy and its arms'' statistics; owner only';

CREATE FUNCTION @extschema@.recsys_policy_report(name text, confidence double precision DEFAULT 0.95)
RETURNS TABLE (arm text, model text, impressions bigint, rewards double precision,
	rate double precision, lower double precision, upper double precision,
	p_value double precision, probability double precision, winner boolean)
AS 'MODULE_PATHNAME', 'recsys_policy_report'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE ROWS 4;
COMMENT ON FUNCTION @extschema@.recsys_policy_report(text, double precision) IS
'per arm of a policy: impressions, rewards, rate, its Wilson interval, the one-sided p-value against the best arm, the probability of being chosen now, and the winner at the confidence (Bonferroni-corrected z-tests)';

CREATE FUNCTION @extschema@.recsys_replay(policy_or_model text, options jsonb DEFAULT '{}')
RETURNS TABLE (estimator text, estimate double precision, lower double precision,
	upper double precision, lists bigint, matched bigint)
AS 'MODULE_PATHNAME', 'recsys_replay'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE ROWS 2;
COMMENT ON FUNCTION @extschema@.recsys_replay(text, jsonb) IS
'estimate the reward per served list a policy or model would have earned on the logged impressions with propensities: inverse propensity scoring (ips) and its self-normalised variant (snips), with intervals';
