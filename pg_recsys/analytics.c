/*
 * analytics.c - recsys_user_stats(user_id, model): what one user was shown
 * from a model and what they did, with the model's item categories most
 * shown and most clicked. The dashboards over all users are views of the
 * install script (recsys_ctr, recsys_daily_stats, ...) over rollups; this
 * one reads the user's own lists through the index on user_id, and
 * needs C only to map items to the model's categories.
 */
#include "pg_recsys.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

static SPIPlanPtr rows_plan = NULL;
static SPIPlanPtr summary_plan = NULL;

/* The category of an item id of m, as a Datum (*null when it has none). */
static Datum
RsItemCategory(const rs_model *m, const char *item, bool *null)
{
	size_t		len;
	const char *cat = rs_model_item_category(m, rs_model_find_item(m, item, strlen(item)), &len);

	*null = cat == NULL;
	return cat ? PointerGetDatum(cstring_to_text_with_len(cat, (int) len)) : (Datum) 0;
}

PG_FUNCTION_INFO_V1(recsys_user_stats);

/* recsys_user_stats(user_id, model) */
Datum
recsys_user_stats(PG_FUNCTION_ARGS)
{
	const char *name;
	const rs_model *m;
	RsRoleSwitch rs;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		args[2];
	Datum	   *shown_cat, *click_cat;
	bool	   *shown_null, *click_null;
	int			dims[1], lbs[1] = {1};
	uint64		n;
	int64		clicks = 0, conversions = 0, requests = 0;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	Oid			atypes[2] = {TEXTARRAYOID, TEXTARRAYOID};
	Datum		aargs[2];
	int			n_click = 0;

	RsCheckNotNull(fcinfo, 0, "user_id");
	name = RsCacheResolveName(PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	m = RsCacheGetModel(name);	/* checks the caller's USAGE */
	args[0] = PG_GETARG_DATUM(0);
	args[1] = CStringGetTextDatum(name);
	RsInitSRF(fcinfo);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RsStoreEnter(&rs);
	if (rows_plan == NULL)
		rows_plan = RsPreparePlan(
			"SELECT u.item, (u.pos = 1)::int4,"
			" (SELECT count(*) FILTER (WHERE o.event = 'click') FROM recsys.outcomes o"
			"   WHERE o.impression_id = i.id AND o.rank = u.pos)::int4,"
			" (SELECT count(*) FILTER (WHERE o.event <> 'click') FROM recsys.outcomes o"
			"   WHERE o.impression_id = i.id AND o.rank = u.pos)::int4"
			" FROM recsys.impressions i, pg_catalog.unnest(i.items) WITH ORDINALITY u(item, pos)"
			" WHERE i.user_id = $1 AND i.model = $2", 2, types);
	if (SPI_execute_plan(rows_plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading impressions failed");
	n = SPI_processed;
	shown_cat = palloc(sizeof(Datum) * Max(n, 1));
	shown_null = palloc(sizeof(bool) * Max(n, 1));
	click_cat = palloc(sizeof(Datum) * Max(n, 1));
	click_null = palloc(sizeof(bool) * Max(n, 1));
	for (uint64 r = 0; r < n; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int32		c;

		shown_cat[r] = RsItemCategory(m, SPI_getvalue(tup, desc, 1), &shown_null[r]);
		requests += DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		c = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		clicks += c;
		conversions += DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		if (c > 0)
		{
			click_cat[n_click] = shown_cat[r];
			click_null[n_click++] = shown_null[r];
		}
	}
	/* the five most frequent categories of each list, ties by name */
	dims[0] = (int) n;
	aargs[0] = PointerGetDatum(construct_md_array(shown_cat, shown_null, 1, dims, lbs,
												  TEXTOID, -1, false, TYPALIGN_INT));
	dims[0] = n_click;
	aargs[1] = PointerGetDatum(construct_md_array(click_cat, click_null, 1, dims, lbs,
												  TEXTOID, -1, false, TYPALIGN_INT));
	if (summary_plan == NULL)
		summary_plan = RsPreparePlan(
			"SELECT (SELECT coalesce(pg_catalog.array_agg(c ORDER BY n DESC, c), '{}')"
			"  FROM (SELECT c, count(*) AS n FROM pg_catalog.unnest($1) c WHERE c IS NOT NULL"
			"  GROUP BY c ORDER BY n DESC, c LIMIT 5) s),"
			" (SELECT coalesce(pg_catalog.array_agg(c ORDER BY n DESC, c), '{}')"
			"  FROM (SELECT c, count(*) AS n FROM pg_catalog.unnest($2) c WHERE c IS NOT NULL"
			"  GROUP BY c ORDER BY n DESC, c LIMIT 5) s)", 2, atypes);
	if (SPI_execute_plan(summary_plan, aargs, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "recsys: summarising categories failed");
	values[0] = Int64GetDatum((int64) n);
	values[1] = Int64GetDatum(requests);
	values[2] = Int64GetDatum(clicks);
	values[3] = Int64GetDatum(conversions);
	values[4] = Float8GetDatum(n > 0 ? (double) clicks / (double) n : 0);
	nulls[4] = n == 0;
	values[5] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &nulls[5]);
	values[6] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &nulls[6]);
	RsRestoreRole(&rs);
	/* the arrays must outlive SPI_finish: the tuplestore copies them now */
	tuplestore_putvalues(((ReturnSetInfo *) fcinfo->resultinfo)->setResult,
						 ((ReturnSetInfo *) fcinfo->resultinfo)->setDesc, values, nulls);
	SPI_finish();
	return (Datum) 0;
}

/*
 * The log not folded into the rollups yet (recsys_refresh_analytics), for
 * the analytics views: recsys.impression_tail(), recsys.outcome_tail() and
 * recsys.shown_tail() run this function, which picks its query by the name
 * it was called under. The watermark goes into the query as a value the
 * planner sees (SPI_execute_with_args plans once with it), so the scan of
 * a few new rows at the end of 10M uses the primary key; only rows of
 * models the caller may use come out (a dropped model's: superusers only).
 * Positions come from unnest (planned at 10 rows a list), not
 * generate_series (1000): that estimate made the plan cost enough for JIT,
 * which took 190 of the tail's 250 ms.
 */
static const char *const TAIL_QUERIES[][2] = {
	{"impression_tail",
		"SELECT (i.shown_at AT TIME ZONE 'UTC')::date, i.model, i.model_version, i.policy,"
		" i.arm, p.rank::int4, count(*), count(*) FILTER (WHERE p.rank = 1)"
		" FROM recsys.impressions i, pg_catalog.unnest(i.items) WITH ORDINALITY p(item, rank)"
		" WHERE i.id > $1 GROUP BY 1, 2, 3, 4, 5, 6"},
	{"outcome_tail",
		"SELECT (i.shown_at AT TIME ZONE 'UTC')::date, i.model, i.model_version, i.policy,"
		" i.arm, o.rank, o.event, count(*), sum(o.value)"
		" FROM recsys.outcomes o JOIN recsys.impressions i ON i.id = o.impression_id"
		" WHERE o.id > $2 GROUP BY 1, 2, 3, 4, 5, 6, 7"},
	{"shown_tail",
		"SELECT DISTINCT i.model, u.item FROM recsys.impressions i,"
		" pg_catalog.unnest(i.items) u(item)"
		" WHERE i.id > $1 AND i.model IS NOT NULL"},
};

PG_FUNCTION_INFO_V1(recsys_log_tail);

Datum
recsys_log_tail(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *fn = get_func_name(fcinfo->flinfo->fn_oid);
	const char *sql = NULL;
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		marks[2] = {Int64GetDatum(0), Int64GetDatum(0)};
	RsRoleSwitch rs;
	int			model_col;

	for (size_t i = 0; i < lengthof(TAIL_QUERIES); i++)
		if (fn != NULL && strcmp(fn, TAIL_QUERIES[i][0]) == 0)
			sql = TAIL_QUERIES[i][1];
	if (sql == NULL)
		elog(ERROR, "recsys_log_tail called as unknown function \"%s\"", fn ? fn : "?");
	model_col = strcmp(fn, "shown_tail") == 0 ? 1 : 2;
	RsInitSRF(fcinfo);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RsStoreEnter(&rs);
	if (SPI_execute("SELECT last_impression, last_outcome FROM recsys.analytics_state",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading the analytics state failed");
	if (SPI_processed == 1)
	{
		bool		isnull;

		marks[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		marks[1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	}
	if (SPI_execute_with_args(sql, 2, types, marks, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading the log failed");
	RsRestoreRole(&rs);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		char	   *model = SPI_getvalue(tup, SPI_tuptable->tupdesc, model_col);
		const RsModelAcl *acl = model ? RsCacheModelAcl(model) : NULL;

		if (acl != NULL ? RsAclAllows(acl, RS_PRIV_USAGE) : superuser())
			tuplestore_puttuple(rsinfo->setResult, tup);
	}
	SPI_finish();
	return (Datum) 0;
}
