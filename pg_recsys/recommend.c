/*
 * recommend.c - recommend() and popular_items(): resolve the model, take it from
 * the per-backend cache, ask the core for the top k and return the rows.
 *
 * This is the hot path: with a warm cache a call runs no SQL at all.
 */
#include "pg_recsys.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "nodes/supportnodes.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

/* Room for the core's answer (rs_result_rows: an invalid k still gets a
 * buffer, so that the core can refuse it in its own words). */
rs_reco *
RsRecoBuffer(int32 k)
{
	return palloc(sizeof(rs_reco) * rs_result_rows(k));
}

/*
 * Set up the tuplestore. Called from FROM, the executor already knows the
 * row type (expectedDesc): reusing it skips rebuilding it from pg_proc on
 * every call, which is measurable on the hot path.
 */
void
RsInitSRF(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		expected = rsinfo != NULL && IsA(rsinfo, ReturnSetInfo) &&
		rsinfo->expectedDesc != NULL;

	InitMaterializedSRF(fcinfo, expected ? MAT_SRF_USE_EXPECTED_DESC : 0);
}

/* Text datum of an item id. */
static Datum
RsItemDatum(const rs_model *m, int32 item)
{
	size_t		len;
	const char *id = rs_model_item_id(m, item, &len);

	return PointerGetDatum(cstring_to_text_with_len(id, (int) len));
}

/* Emit rows (item_id, score, rank[, reason, source]) into the SRF's tuplestore. */
void
RsEmitRows(FunctionCallInfo fcinfo, const rs_model *m, const rs_reco *recs,
		   int n, bool with_reason)
{
	RsEmitRowsFor(fcinfo, NULL, m, recs, n, with_reason);
}

/* RsEmitRows with a first column `key` (recommend_batch's user_id), or
 * without one when key is NULL. */
void
RsEmitRowsFor(FunctionCallInfo fcinfo, const Datum *key, const rs_model *m,
			  const rs_reco *recs, int n, bool with_reason)
{
	RsEmitRowsWith(fcinfo, key, NULL, m, recs, n, with_reason, NULL);
}

/* RsEmitRowsFor for the arm of a policy (NULL: none). */
void
RsEmitRowsArm(FunctionCallInfo fcinfo, const Datum *key, const rs_model *m,
			  const rs_reco *recs, int n, bool with_reason, const char *arm)
{
	RsEmitRowsWith(fcinfo, key, NULL, m, recs, n, with_reason, arm);
}

/* RsEmitRowsFor with a last column `tail` (recommend_logged's request_id),
 * or without one when tail is NULL; rows served by the arm of a policy (NULL:
 * none) have source "arm:<arm>/<source>", e.g. arm:b/als, arm:b/popular. */
void
RsEmitRowsWith(FunctionCallInfo fcinfo, const Datum *key, const Datum *tail,
			   const rs_model *m, const rs_reco *recs, int n, bool with_reason,
			   const char *arm)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		cols[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	Datum	   *values = key ? cols + 1 : cols;
	Datum		source[RS_SRC_PART + RS_MAX_PARTS] = {0};
	char		reason[256];

	if (key)
		cols[0] = *key;
	if (tail)
		values[with_reason ? 5 : 3] = *tail;
	for (int i = 0; i < n; i++)
	{
		rs_source src = recs[i].source;

		if ((unsigned) src >= RS_SRC_PART + RS_MAX_PARTS)
			elog(ERROR, "recsys core returned unknown source %d", (int) src);
		values[0] = RsItemDatum(m, recs[i].item);
		values[1] = Float4GetDatum(recs[i].score);
		values[2] = Int32GetDatum(i + 1);
		if (with_reason)
		{
			/* "because you bought X", ... (core/reasons.c) */
			values[3] = CStringGetTextDatum(rs_reason_format(m, &recs[i], reason,
															 sizeof(reason)));
			if (source[src] == 0)
				source[src] = CStringGetTextDatum(arm == NULL ? rs_source_name(m, src) :
												  psprintf("arm:%s/%s", arm, rs_source_name(m, src)));
			values[4] = source[src];
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, cols, nulls);
	}
}

/*
 * The steps every serving function shares: check and read its arguments
 * (the key, `keyname`, first when there is one (NULL: none), then k, model,
 * options), resolve and load the model, set up the tuplestore and the row
 * buffer. A text key is in c->key; others the caller reads itself.
 */
void
RsCallStart(FunctionCallInfo fcinfo, const char *keyname, RsKeyCall *c)
{
	RsCallStartFor(fcinfo, keyname, NULL, false, c);
}

/*
 * RsCallStart, where `policies` lets the model argument name a policy: its
 * arm is chosen for the key (a user) and request id (NULL: none) and
 * recorded in c->policy, c->arm and c->propensity (policy.c).
 */
void
RsCallStartFor(FunctionCallInfo fcinfo, const char *keyname, const char *request_id,
			   bool policies, RsKeyCall *c)
{
	int			karg = keyname ? 1 : 0;
	RsResolved	r;

	if (keyname)
		RsCheckNotNull(fcinfo, 0, keyname);
	RsCheckNotNull(fcinfo, karg, "k");
	RsCheckNotNull(fcinfo, karg + 2, "options");
	c->key = keyname && get_fn_expr_argtype(fcinfo->flinfo, 0) == TEXTOID ?
		PG_GETARG_TEXT_PP(0) : NULL;
	c->k = PG_GETARG_INT32(karg);
	c->optsjb = PG_GETARG_JSONB_P(karg + 2);
	c->name = RsCacheResolveName(PG_ARGISNULL(karg + 1) ? NULL :
								 text_to_cstring(PG_GETARG_TEXT_PP(karg + 1)));
	c->policy = c->arm = NULL;
	c->propensity = 1;
	if (policies && RsPolicyResolve(c->name, c->key, request_id, c->optsjb, &r) &&
		r.policy != NULL)
	{
		c->name = r.model;
		c->optsjb = r.options;
		c->policy = r.policy;
		c->arm = r.arm;
		c->propensity = r.propensity;
	}
	c->opts = RsOptionsFromJsonb(c->optsjb, "options");
	/* checks the caller's USAGE on every call, before any memoised answer */
	c->m = RsCacheGetModelGen(c->name, &c->gen);
	RsInitSRF(fcinfo);
	c->recs = RsRecoBuffer(c->k);
	c->n = 0;
}

/*
 * recommend()'s rows for the call c (RsCallStart done): a known user served
 * from the model under pure options (rs_serve_options_pure) gets the same
 * answer for the same model version, so it is memoised (memo.c); unknown
 * users and "fresh" read the source (fresh.c) and never are. Returns the
 * rows (c->recs or the memo's), c->n of them.
 */
const rs_reco *
RsRecommendRows(RsKeyCall *c)
{
	rs_error	err;
	RsMemoKey	mk;
	const rs_reco *kept;
	bool		memo;
	const char *user = VARDATA_ANY(c->key);
	size_t		len = VARSIZE_ANY_EXHDR(c->key);

	memo = RsMemoKeyFor(c, 'r', &mk);
	if (memo && (kept = RsMemoLookup(&mk, &c->n)) != NULL)
		return kept;
	if (rs_fresh_wanted(c->m, user, len, c->opts))
		RsRecommendFresh(c->name, c->m, c->key, c->k, c->opts, c->recs, &c->n);
	else
	{
		if (rs_recommend(c->m, user, len, c->k, c->opts, c->recs, &c->n, &err) != RS_OK)
			RsReportError(&err);
		if (memo && rs_model_find_user(c->m, user, len) >= 0 &&
			rs_serve_options_pure(c->opts))
			RsMemoStore(&mk, c->recs, c->n);
	}
	return c->recs;
}

PG_FUNCTION_INFO_V1(recommend);

/* recommend(user_id, k, model, options): top-k items for a user, from a
 * model, or from the arm a policy chooses (policy.c). */
Datum
recommend(PG_FUNCTION_ARGS)
{
	RsKeyCall	c;
	const rs_reco *rows;

	RsCallStartFor(fcinfo, "user_id", NULL, true, &c);
	rows = RsRecommendRows(&c);
	RsEmitRowsArm(fcinfo, NULL, c.m, rows, c.n, true, c.arm);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(popular_items);

/* popular_items(k, model, options): the most popular items of a model. */
Datum
popular_items(PG_FUNCTION_ARGS)
{
	RsKeyCall	c;
	rs_error	err;

	RsCallStart(fcinfo, NULL, &c);
	if (rs_popular(c.m, c.k, c.opts, c.recs, &c.n, &err) != RS_OK)
		RsReportError(&err);
	RsEmitRows(fcinfo, c.m, c.recs, c.n, false);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(recsys_rows_support);

/*
 * Planner support for recommend(), popular_items(), similar_items() and
 * recommend_for_items(): when k is a constant,
 * the function returns at most k rows, which is a better estimate than the
 * fixed ROWS of the declaration (lateral joins over many users).
 */
Datum
recsys_rows_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestRows *req;
	FuncExpr   *func;
	char	   *name;
	Node	   *karg;

	if (!IsA(rawreq, SupportRequestRows))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestRows *) rawreq;
	if (!is_funcclause(req->node))
		PG_RETURN_POINTER(NULL);
	func = (FuncExpr *) req->node;
	name = get_func_name(func->funcid);
	if (name == NULL || list_length(func->args) < 2)
		PG_RETURN_POINTER(NULL);
	/* k is the first argument of popular_items, the second of the others */
	karg = strcmp(name, "popular_items") == 0 ? linitial(func->args) : lsecond(func->args);
	if (!IsA(karg, Const) || ((Const *) karg)->constisnull)
		PG_RETURN_POINTER(NULL);
	req->rows = Max(1, Min(DatumGetInt32(((Const *) karg)->constvalue), RS_MAX_K));
	PG_RETURN_POINTER(req);
}
