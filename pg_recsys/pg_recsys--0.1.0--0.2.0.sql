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

-- ---- The feedback loop: impressions, outcomes, analytics, vectors ----
-- Written only by the extension's functions, as the extension owner, after
-- checking the caller's rights; read through the views below, which show
-- only rows of models the caller may use. Days are UTC days.
CREATE TABLE recsys.impressions (
	id bigserial PRIMARY KEY,
	request_id text NOT NULL,
	user_id text,
	items text[] NOT NULL,
	scores real[],
	model text,
	model_version integer,
	policy text,
	arm text,
	propensity real,
	shown_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE recsys.impressions IS 'what was shown: one row per list served by recommend_logged(), its items in rank order';
-- One row per served list (an item's rank is its position in items): one
-- heap row and three index entries per call, not per item. Attribution:
-- by request id, else the user's latest lists within the window, newest
-- first, the first holding the item. Pruning by age scans the table.
CREATE INDEX impressions_user ON recsys.impressions (user_id, shown_at);
CREATE INDEX impressions_request ON recsys.impressions (request_id);
REVOKE ALL ON recsys.impressions FROM PUBLIC;
REVOKE ALL ON SEQUENCE recsys.impressions_id_seq FROM PUBLIC;

CREATE TABLE recsys.outcomes (
	id bigserial PRIMARY KEY,
	user_id text,
	item_id text,
	event text NOT NULL,
	value double precision,
	request_id text,
	occurred_at timestamptz NOT NULL DEFAULT now(),
	impression_id bigint,
	rank integer
);
COMMENT ON TABLE recsys.outcomes IS 'what happened after: clicks, purchases, ... and the impression (served list) and rank each is attributed to';
CREATE INDEX outcomes_impression ON recsys.outcomes (impression_id);
REVOKE ALL ON recsys.outcomes FROM PUBLIC;
REVOKE ALL ON SEQUENCE recsys.outcomes_id_seq FROM PUBLIC;

-- Rollups for the dashboards (recsys_refresh_analytics folds the log into
-- them; the views add the rows not folded yet).
CREATE TABLE recsys.analytics_state (
	-- the rows up to these ids are in the rollups
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	last_impression bigint NOT NULL DEFAULT 0,
	last_outcome bigint NOT NULL DEFAULT 0
);
CREATE TABLE recsys.impression_rollup (
	day date NOT NULL, model text, model_version integer, policy text, arm text, rank integer,
	impressions bigint NOT NULL, requests bigint NOT NULL
);
CREATE UNIQUE INDEX impression_rollup_key ON recsys.impression_rollup
	(day, model, model_version, policy, arm, rank) NULLS NOT DISTINCT;
CREATE TABLE recsys.outcome_rollup (
	day date NOT NULL, model text, model_version integer, policy text, arm text, rank integer,
	event text NOT NULL, outcomes bigint NOT NULL, value double precision
);
CREATE UNIQUE INDEX outcome_rollup_key ON recsys.outcome_rollup
	(day, model, model_version, policy, arm, rank, event) NULLS NOT DISTINCT;
CREATE TABLE recsys.shown_items (
	model text NOT NULL, item_id text NOT NULL, impressions bigint NOT NULL,
	PRIMARY KEY (model, item_id)
);
REVOKE ALL ON recsys.analytics_state, recsys.impression_rollup, recsys.outcome_rollup,
	recsys.shown_items FROM PUBLIC;
-- pg_dump keeps the log and its rollups
SELECT pg_catalog.pg_extension_config_dump('recsys.impressions', '');
SELECT pg_catalog.pg_extension_config_dump('recsys.impressions_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('recsys.outcomes', '');
SELECT pg_catalog.pg_extension_config_dump('recsys.outcomes_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('recsys.analytics_state', '');
SELECT pg_catalog.pg_extension_config_dump('recsys.impression_rollup', '');
SELECT pg_catalog.pg_extension_config_dump('recsys.outcome_rollup', '');
SELECT pg_catalog.pg_extension_config_dump('recsys.shown_items', '');

CREATE FUNCTION @extschema@.recommend_logged(user_id text, k integer DEFAULT 10,
	model text DEFAULT NULL, options jsonb DEFAULT '{}', request_id text DEFAULT NULL)
RETURNS TABLE (item_id text, score real, rank integer, reason text, source text,
	request_id text)
AS 'MODULE_PATHNAME', 'recommend_logged'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE ROWS 10
SUPPORT recsys.rows_support;
COMMENT ON FUNCTION @extschema@.recommend_logged(text, integer, text, jsonb, text) IS
'recommend() that also records its rows as impressions (recsys.impressions) under request_id (NULL: a generated one); an error in a read-only transaction';

CREATE FUNCTION @extschema@.recsys_record_outcome(user_id text, item_id text, event text,
	value double precision DEFAULT NULL, request_id text DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'recsys_record_outcome'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.recsys_record_outcome(text, text, text, double precision, text, jsonb) IS
'record an outcome (click, purchase, ...) and attribute it to the impression that led to it (by request id, else the latest list of the user within options.window, default 24 hours, that holds the item), with the item''s rank in it; returns the impression id or NULL';

CREATE FUNCTION @extschema@.recsys_refresh_analytics(settle interval DEFAULT '1 minute')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	st recsys.analytics_state;
	hi_imp bigint;
	hi_out bigint;
	n bigint;
BEGIN
	INSERT INTO recsys.analytics_state DEFAULT VALUES ON CONFLICT DO NOTHING;
	SELECT * INTO st FROM recsys.analytics_state FOR UPDATE;
	SELECT coalesce(max(id), st.last_impression), count(*) INTO hi_imp, n FROM recsys.impressions
	WHERE id > st.last_impression AND shown_at <= now() - settle;
	SELECT coalesce(max(id), st.last_outcome) INTO hi_out FROM recsys.outcomes
	WHERE id > st.last_outcome AND occurred_at <= now() - settle;
	INSERT INTO recsys.impression_rollup AS r
	SELECT (i.shown_at AT TIME ZONE 'UTC')::date, i.model, i.model_version, i.policy, i.arm,
		p.rank::integer, count(*), count(*) FILTER (WHERE p.rank = 1)
	FROM recsys.impressions i, unnest(i.items) WITH ORDINALITY p(item, rank)
	WHERE i.id > st.last_impression AND i.id <= hi_imp
	GROUP BY 1, 2, 3, 4, 5, 6
	ON CONFLICT (day, model, model_version, policy, arm, rank) DO UPDATE
	SET impressions = r.impressions + excluded.impressions, requests = r.requests + excluded.requests;
	INSERT INTO recsys.shown_items AS r
	SELECT i.model, u.item, count(*) FROM recsys.impressions i, unnest(i.items) u(item)
	WHERE i.id > st.last_impression AND i.id <= hi_imp AND i.model IS NOT NULL
	GROUP BY 1, 2
	ON CONFLICT (model, item_id) DO UPDATE SET impressions = r.impressions + excluded.impressions;
	INSERT INTO recsys.outcome_rollup AS r
	SELECT (i.shown_at AT TIME ZONE 'UTC')::date, i.model, i.model_version, i.policy, i.arm, o.rank,
		o.event, count(*), sum(o.value)
	FROM recsys.outcomes o JOIN recsys.impressions i ON i.id = o.impression_id
	WHERE o.id > st.last_outcome AND o.id <= hi_out
	GROUP BY 1, 2, 3, 4, 5, 6, 7
	ON CONFLICT (day, model, model_version, policy, arm, rank, event) DO UPDATE
	SET outcomes = r.outcomes + excluded.outcomes, value = r.value + excluded.value;
	UPDATE recsys.analytics_state SET last_impression = hi_imp, last_outcome = hi_out;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.recsys_refresh_analytics(interval) IS
'fold the impressions and outcomes logged more than `settle` ago into the analytics rollups (pg_cron-schedulable); returns the impressions folded';
REVOKE EXECUTE ON FUNCTION @extschema@.recsys_refresh_analytics(interval) FROM PUBLIC;

CREATE FUNCTION @extschema@.recsys_prune_impressions(older_than interval DEFAULT NULL,
	keep bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cut bigint := 0;
	n bigint;
BEGIN
	IF keep < 0 THEN
		RAISE EXCEPTION 'keep must not be negative (got %)', keep
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- the rollups keep the counts of what goes
	PERFORM @extschema@.recsys_refresh_analytics('0');
	IF keep IS NOT NULL THEN
		SELECT coalesce((SELECT id FROM recsys.impressions ORDER BY id DESC OFFSET keep LIMIT 1), 0)
		INTO cut;
	END IF;
	DELETE FROM recsys.outcomes o USING recsys.impressions i
	WHERE o.impression_id = i.id
	  AND (i.id <= cut OR i.shown_at < now() - older_than);
	DELETE FROM recsys.outcomes o
	WHERE o.impression_id IS NULL AND o.occurred_at < now() - older_than;
	DELETE FROM recsys.impressions i WHERE i.id <= cut OR i.shown_at < now() - older_than;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.recsys_prune_impressions(interval, bigint) IS
'delete impressions older than older_than and beyond the newest keep (NULL: no bound), with their outcomes, after folding them into the analytics rollups; returns the impressions deleted';
REVOKE EXECUTE ON FUNCTION @extschema@.recsys_prune_impressions(interval, bigint) FROM PUBLIC;

-- Analytics: the rollups plus the rows not folded yet (the *_tail
-- functions, which read the log past the watermark and keep only rows of
-- models the caller may use), for models the caller may use.
CREATE FUNCTION recsys.impression_tail()
RETURNS TABLE (day date, model text, model_version integer, policy text, arm text, rank integer,
	impressions bigint, requests bigint)
AS 'MODULE_PATHNAME', 'recsys_log_tail'
LANGUAGE C STABLE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION recsys.impression_tail() IS
'impressions not folded into the rollups yet, grouped as recsys.impression_rollup (models the caller may use)';
CREATE FUNCTION recsys.outcome_tail()
RETURNS TABLE (day date, model text, model_version integer, policy text, arm text, rank integer,
	event text, outcomes bigint, value double precision)
AS 'MODULE_PATHNAME', 'recsys_log_tail'
LANGUAGE C STABLE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION recsys.outcome_tail() IS
'attributed outcomes not folded into the rollups yet, grouped as recsys.outcome_rollup (models the caller may use)';
CREATE FUNCTION recsys.shown_tail()
RETURNS TABLE (model text, item_id text)
AS 'MODULE_PATHNAME', 'recsys_log_tail'
LANGUAGE C STABLE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION recsys.shown_tail() IS
'distinct (model, item) pairs shown and not folded into recsys.shown_items yet (models the caller may use)';

CREATE VIEW @extschema@.recsys_impression_stats WITH (security_barrier) AS
SELECT s.day, s.model, s.model_version, s.policy, s.arm, s.rank,
	sum(s.impressions)::bigint AS impressions, sum(s.requests)::bigint AS requests
FROM (SELECT r.day, r.model, r.model_version, r.policy, r.arm, r.rank, r.impressions, r.requests
	  FROM recsys.impression_rollup r
	  WHERE @extschema@.recsys_has_model_privilege(r.model, 'USAGE')
	  UNION ALL
	  SELECT * FROM recsys.impression_tail()) s
GROUP BY 1, 2, 3, 4, 5, 6;
COMMENT ON VIEW @extschema@.recsys_impression_stats IS
'impressions and requests (served lists) by day, model, version, policy, arm and rank';
GRANT SELECT ON @extschema@.recsys_impression_stats TO PUBLIC;

CREATE VIEW @extschema@.recsys_outcome_stats WITH (security_barrier) AS
SELECT s.day, s.model, s.model_version, s.policy, s.arm, s.rank, s.event,
	sum(s.outcomes)::bigint AS outcomes, sum(s.value) AS value
FROM (SELECT r.day, r.model, r.model_version, r.policy, r.arm, r.rank, r.event, r.outcomes, r.value
	  FROM recsys.outcome_rollup r
	  WHERE @extschema@.recsys_has_model_privilege(r.model, 'USAGE')
	  UNION ALL
	  SELECT * FROM recsys.outcome_tail()) s
GROUP BY 1, 2, 3, 4, 5, 6, 7;
COMMENT ON VIEW @extschema@.recsys_outcome_stats IS
'attributed outcomes and their summed value by the day, model, version, policy, arm and rank of the impression, and event';
GRANT SELECT ON @extschema@.recsys_outcome_stats TO PUBLIC;

CREATE VIEW @extschema@.recsys_ctr WITH (security_barrier) AS
SELECT i.day, i.model, i.model_version, i.policy, i.arm, i.rank, i.impressions, i.requests,
	coalesce(o.clicks, 0) AS clicks, coalesce(o.conversions, 0) AS conversions,
	coalesce(o.clicks, 0)::double precision / i.impressions AS ctr,
	coalesce(o.conversions, 0)::double precision / i.impressions AS conversion_rate
FROM @extschema@.recsys_impression_stats i
LEFT JOIN (SELECT day, model, model_version, policy, arm, rank,
		sum(outcomes) FILTER (WHERE event = 'click')::bigint AS clicks,
		sum(outcomes) FILTER (WHERE event <> 'click')::bigint AS conversions
	FROM @extschema@.recsys_outcome_stats GROUP BY 1, 2, 3, 4, 5, 6) o
  ON (o.day, o.model, o.model_version, o.policy, o.arm, o.rank)
	IS NOT DISTINCT FROM (i.day, i.model, i.model_version, i.policy, i.arm, i.rank);
COMMENT ON VIEW @extschema@.recsys_ctr IS
'click-through (event click) and conversion (any other event) rates by day, model, version, policy, arm and rank';
GRANT SELECT ON @extschema@.recsys_ctr TO PUBLIC;

CREATE VIEW @extschema@.recsys_daily_stats AS
SELECT day, sum(requests)::bigint AS requests, sum(impressions)::bigint AS impressions,
	sum(clicks)::bigint AS clicks, sum(conversions)::bigint AS conversions,
	sum(clicks)::double precision / sum(impressions) AS ctr,
	sum(conversions)::double precision / sum(impressions) AS conversion_rate
FROM @extschema@.recsys_ctr GROUP BY day;
COMMENT ON VIEW @extschema@.recsys_daily_stats IS 'requests, impressions, clicks, conversions and rates per day (UTC)';
GRANT SELECT ON @extschema@.recsys_daily_stats TO PUBLIC;

CREATE VIEW @extschema@.recsys_arm_distribution AS
SELECT policy, arm, model, sum(requests)::bigint AS requests,
	sum(impressions)::bigint AS impressions,
	sum(requests)::double precision / nullif(sum(sum(requests)) OVER (PARTITION BY policy), 0) AS share
FROM @extschema@.recsys_impression_stats GROUP BY policy, arm, model;
COMMENT ON VIEW @extschema@.recsys_arm_distribution IS
'served lists per policy, arm and model and each one''s share of its policy (policy NULL: models named directly)';
GRANT SELECT ON @extschema@.recsys_arm_distribution TO PUBLIC;

CREATE VIEW @extschema@.recsys_coverage WITH (security_barrier) AS
SELECT m.name AS model, m.items, c.items_shown,
	c.items_shown::double precision / nullif(m.items, 0) AS coverage
FROM @extschema@.recsys_models m
CROSS JOIN LATERAL (SELECT count(*) AS items_shown FROM (
	SELECT s.item_id FROM recsys.shown_items s WHERE s.model = m.name
	UNION SELECT t.item_id FROM recsys.shown_tail() t WHERE t.model = m.name) u) c;
COMMENT ON VIEW @extschema@.recsys_coverage IS
'catalogue coverage: distinct items ever shown from each model against the items of its latest version';
GRANT SELECT ON @extschema@.recsys_coverage TO PUBLIC;

CREATE FUNCTION @extschema@.recsys_user_stats(user_id text, model text DEFAULT NULL)
RETURNS TABLE (shown bigint, requests bigint, clicks bigint, conversions bigint,
	ctr double precision, top_categories text[], top_clicked_categories text[])
AS 'MODULE_PATHNAME', 'recsys_user_stats'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.recsys_user_stats(text, text) IS
'what a user was shown from a model and what they did: impressions, requests, clicks, conversions, CTR, and the model''s item categories most shown and most clicked';

CREATE FUNCTION @extschema@.recsys_item_vectors(model text)
RETURNS TABLE (id text, vector real[])
AS 'MODULE_PATHNAME', 'recsys_item_vectors'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.recsys_item_vectors(text) IS
'the item factor vectors of a factor model (als, svd, bpr, warp, imported), for pgvector and other vector stores';
CREATE FUNCTION @extschema@.recsys_user_vectors(model text)
RETURNS TABLE (id text, vector real[])
AS 'MODULE_PATHNAME', 'recsys_user_vectors'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.recsys_user_vectors(text) IS
'the user factor vectors of a factor model (als, svd, bpr, warp, imported)';

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
