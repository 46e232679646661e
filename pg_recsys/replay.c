/*
 * replay.c - recsys_replay(policy_or_model, options): what a policy or a
 * model would have earned on logged traffic (core/replay.c's IPS and SNIPS).
 *
 * The unit is a served list (one request id of recsys.impressions: one pull
 * of an arm), its reward the sum of the values (1 when NULL) of the outcomes
 * attributed to its impressions, its propensity the logged one. The target's
 * probability of serving the same: a model's is 1 when the list came from
 * that model, else 0; a policy's is its current probability of the logged
 * arm (for lists it logged itself) or of the arms serving the logged model
 * (for others' lists), a split's 1 or 0 by the user's sticky arm.
 */
#include "pg_recsys.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include <math.h>

#include "policy.h"

/* Lists are read through a cursor, this many at a time. */
#define REPLAY_FETCH 10000

typedef struct RsReplayTarget
{
	const char *model;			/* a model target, or NULL */
	const char *policy;			/* a policy target, or NULL */
	int			n_arms;
	const char **arms;
	const char **models;
	const double *prob;
	rs_policy  *pol;
} RsReplayTarget;

/* The target's probability of serving what a logged list served. */
static double
RsReplayTargetProb(const RsReplayTarget *t, const char *user, const char *policy,
				   const char *arm, const char *model)
{
	if (t->model != NULL)
		return model != NULL && strcmp(model, t->model) == 0 ? 1 : 0;
	return rs_replay_policy_target(t->pol, t->policy, t->arms, t->models, user, policy, arm,
								   model);
}

/* A text option of recsys_replay, or NULL. */
static char *
RsReplayText(Jsonb *options, const char *key)
{
	JsonbValue	k;
	JsonbValue *v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&options->root, JB_FOBJECT, &k);
	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("replay option \"%s\" must be a string", key)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Refuse options recsys_replay does not know. */
static void
RsReplayCheckKeys(Jsonb *options)
{
	static const char *const known[] = {"confidence", "policy", "event", "since", "until"};
	JsonbIterator *it = JsonbIteratorInit(&options->root);
	JsonbValue	v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		ok = false;

		if (tok != WJB_KEY)
			continue;
		for (int i = 0; i < (int) lengthof(known); i++)
			ok |= strlen(known[i]) == (size_t) v.val.string.len &&
				memcmp(known[i], v.val.string.val, v.val.string.len) == 0;
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown replay option \"%s\"",
							RsShort(pnstrdup(v.val.string.val, v.val.string.len))),
					 errhint("recsys_replay takes confidence, policy, event, since and until.")));
	}
}

PG_FUNCTION_INFO_V1(recsys_replay);

Datum
recsys_replay(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RsReplayTarget t = {0};
	Jsonb	   *options;
	double		confidence = 0.95;
	char	   *name;
	Oid			types[4] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	const char *opt_names[4] = {"policy", "event", "since", "until"};
	SPIPlanPtr	plan;
	Portal		portal;
	RsRoleSwitch rs;
	rs_replay	acc;
	rs_replay_result res;
	rs_error	err;

	RsCheckNotNull(fcinfo, 0, "policy_or_model");
	RsCheckNotNull(fcinfo, 1, "options");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	options = PG_GETARG_JSONB_P(1);
	RsOptionsFromJsonb(options, "options");
	RsReplayCheckKeys(options);
	{
		JsonbValue	k;
		JsonbValue *v;

		k.type = jbvString;
		k.val.string.val = "confidence";
		k.val.string.len = 10;
		v = findJsonbValueFromContainer(&options->root, JB_FOBJECT, &k);
		if (v != NULL && v->type != jbvNumeric)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("replay option \"confidence\" must be a number")));
		if (v != NULL)
			confidence = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
															NumericGetDatum(v->val.numeric)));
	}
	if (RsCacheModelAcl(name) != NULL)
	{
		RsCheckModelPrivilege(name, RS_PRIV_USAGE, "use");
		t.model = name;
	}
	else if (RsPolicyExists(name))
	{
		t.policy = name;
		t.n_arms = RsPolicyArms(name, &t.arms, &t.models, &t.prob, &t.pol);
	}
	else
		RsReportUnknownModel(name);
	for (int i = 0; i < 4; i++)
	{
		char	   *s = RsReplayText(options, opt_names[i]);

		nulls[i] = s ? ' ' : 'n';
		values[i] = (Datum) 0;
		if (s && i < 2)
			values[i] = CStringGetTextDatum(s);
		else if (s)
			values[i] = DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
											ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	}

	rs_replay_init(&acc);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RsStoreEnter(&rs);
	plan = SPI_prepare("SELECT min(i.user_id), min(i.policy), min(i.arm), min(i.model),"
					   " min(i.propensity)::float8, coalesce(sum(r.v), 0)::float8"
					   " FROM recsys.impressions i"
					   " LEFT JOIN LATERAL (SELECT sum(coalesce(o.value, 1)) AS v"
					   "   FROM recsys.outcomes o WHERE o.impression_id = i.id"
					   "   AND ($2 IS NULL OR o.event = $2)) r ON true"
					   " WHERE i.propensity IS NOT NULL"
					   " AND ($1 IS NULL OR i.policy = $1)"
					   " AND ($3 IS NULL OR i.shown_at >= $3)"
					   " AND ($4 IS NULL OR i.shown_at < $4)"
					   " GROUP BY i.request_id", 4, types);
	if (plan == NULL)
		elog(ERROR, "recsys: reading the impressions failed: %s",
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, values, nulls, true);
	RsRestoreRole(&rs);
	for (;;)
	{
		RsStoreEnter(&rs);
		SPI_cursor_fetch(portal, true, REPLAY_FETCH);
		RsRestoreRole(&rs);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			char	   *model = SPI_getvalue(tup, desc, 4);
			const RsModelAcl *acl;
			bool		isnull;
			double		prop;
			double		reward;

			/* a list of a model the caller may not use is not theirs to read */
			acl = model ? RsCacheModelAcl(model) : NULL;
			if (acl != NULL && !RsAclAllows(acl, RS_PRIV_USAGE))
				continue;
			prop = DatumGetFloat8(SPI_getbinval(tup, desc, 5, &isnull));
			reward = DatumGetFloat8(SPI_getbinval(tup, desc, 6, &isnull));
			if (rs_replay_add(&acc, prop,
							  RsReplayTargetProb(&t, SPI_getvalue(tup, desc, 1),
												 SPI_getvalue(tup, desc, 2),
												 SPI_getvalue(tup, desc, 3), model),
							  reward, &err) != RS_OK)
				RsReportError(&err);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();
	if (rs_replay_finish(&acc, confidence, &res, &err) != RS_OK)
		RsReportError(&err);
	RsInitSRF(fcinfo);
	for (int e = 0; e < 2; e++)
	{
		double		est[3] = {e == 0 ? res.ips : res.snips,
			e == 0 ? res.ips_lower : res.snips_lower,
		e == 0 ? res.ips_upper : res.snips_upper};
		Datum		v[6];
		bool		vn[6] = {0};

		v[0] = CStringGetTextDatum(e == 0 ? "ips" : "snips");
		for (int i = 0; i < 3; i++)
		{
			v[1 + i] = Float8GetDatum(est[i]);
			vn[1 + i] = isnan(est[i]);
		}
		v[4] = Int64GetDatum((int64) res.n);
		v[5] = Int64GetDatum((int64) res.matched);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, vn);
	}
	return (Datum) 0;
}
