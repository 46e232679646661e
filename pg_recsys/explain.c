/*
 * explain.c - recsys_explain(): the items of a user's history that make the
 * model score an item, largest contribution first (core/explain.c does the
 * work), and recsys_user_profile(): what the model knows of a user
 * (core/profile.c). Both read the per-backend cached model: a warm call runs
 * no SQL (but explaining a user the model does not know reads their rows
 * from the model's source, as recommend() does).
 */
#include "pg_recsys.h"

#include <math.h>

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

/* Raise the core's error; an unknown user or item names the model too. */
static void
RsReportExplainError(rs_error *err, const rs_model *m, const text *user,
					 const text *item, const char *model)
{
	rs_error_name_model(err, m, model, VARDATA_ANY(user), VARSIZE_ANY_EXHDR(user),
						item ? VARDATA_ANY(item) : NULL, item ? VARSIZE_ANY_EXHDR(item) : 0);
	RsReportError(err);
}

PG_FUNCTION_INFO_V1(recsys_explain);

/*
 * recsys_explain(user_id, item_id, model): rows (item_id, contribution,
 * rank). A user the model does not know is explained from their rows of
 * the model's source, as recommend() serves them (fresh path).
 */
Datum
recsys_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *user;
	text	   *item;
	const char *name;
	const rs_model *m;
	rs_contribution *rows = NULL;
	rs_contribution *copy;
	rs_history *fresh = NULL;
	int			n = 0;
	rs_error	err;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	RsCheckNotNull(fcinfo, 0, "user_id");
	RsCheckNotNull(fcinfo, 1, "item_id");
	user = PG_GETARG_TEXT_PP(0);
	item = PG_GETARG_TEXT_PP(1);
	name = RsCacheResolveName(PG_ARGISNULL(2) ? NULL :
							  text_to_cstring(PG_GETARG_TEXT_PP(2)));
	m = RsCacheGetModel(name);
	RsInitSRF(fcinfo);
	/* a user the model does not know: their rows of the source (fresh.c) */
	if (rs_model_find_user(m, VARDATA_ANY(user), VARSIZE_ANY_EXHDR(user)) < 0)
		fresh = RsFreshHistory(name, m, user);
	if (rs_explain_fresh(m, VARDATA_ANY(user), VARSIZE_ANY_EXHDR(user), fresh, VARDATA_ANY(item),
						 VARSIZE_ANY_EXHDR(item), &rows, &n, &err) != RS_OK)
		RsReportExplainError(&err, m, user, item, name);
	/* into palloc'd memory before anything can raise an error */
	copy = palloc(sizeof(rs_contribution) * (n + 1));
	if (n > 0)
		memcpy(copy, rows, sizeof(rs_contribution) * n);
	rs_free(rows);
	for (int i = 0; i < n; i++)
	{
		size_t		len;
		const char *id = rs_model_item_id(m, copy[i].item, &len);

		values[0] = PointerGetDatum(cstring_to_text_with_len(id, (int) len));
		values[1] = Float4GetDatum(copy[i].contribution);
		values[2] = Int32GetDatum(i + 1);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(recsys_user_profile);

/* A timestamptz from unix seconds, NULL for NaN. */
static Datum
RsTimeOrNull(double t, bool *isnull)
{
	*isnull = isnan(t);
	return *isnull ? (Datum) 0 : DirectFunctionCall1(float8_timestamptz, Float8GetDatum(t));
}

/* A text from a static string, NULL for NULL. */
static Datum
RsTextOrNull(const char *s, bool *isnull)
{
	*isnull = s == NULL;
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

/*
 * recsys_user_profile(user_id, model, options): one row (interactions,
 * distinct_items, spending_segment, avg_item_price, last_interaction,
 * event_counts, purchases, last_purchase, total_spend, spend_segment,
 * customer_type); unknowns are NULL. A user the model does not know but
 * whose rows its source has (a fresh user) is profiled from those rows.
 */
Datum
recsys_user_profile(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *user;
	const char *name;
	const rs_model *m;
	const rs_opt *opts;
	rs_profile	p;
	rs_error	err;
	Datum		values[11];
	bool		nulls[11] = {false};

	RsCheckNotNull(fcinfo, 0, "user_id");
	user = PG_GETARG_TEXT_PP(0);
	name = RsCacheResolveName(PG_ARGISNULL(1) ? NULL :
							  text_to_cstring(PG_GETARG_TEXT_PP(1)));
	opts = PG_NARGS() > 2 && !PG_ARGISNULL(2) ?
		RsOptionsFromJsonb(PG_GETARG_JSONB_P(2), "options") : NULL;
	m = RsCacheGetModel(name);
	RsInitSRF(fcinfo);
	if (rs_user_profile(m, VARDATA_ANY(user), VARSIZE_ANY_EXHDR(user), opts, &p, &err) != RS_OK &&
		(err.status != RS_ENOTFOUND || !RsProfileFresh(name, m, user, opts, &p)))
		RsReportExplainError(&err, m, user, NULL, name);
	values[0] = Int64GetDatum(p.interactions);
	values[1] = Int64GetDatum(p.distinct_items);
	nulls[2] = p.spending_segment == NULL;
	values[2] = nulls[2] ? (Datum) 0 : CStringGetTextDatum(p.spending_segment);
	nulls[3] = isnan(p.avg_item_price);
	values[3] = Float8GetDatum(p.avg_item_price);
	nulls[4] = isnan(p.last_interaction);
	values[4] = nulls[4] ? (Datum) 0 :
		DirectFunctionCall1(float8_timestamptz, Float8GetDatum(p.last_interaction));
	nulls[5] = p.event_counts == NULL;
	values[5] = nulls[5] ? (Datum) 0 :
		DirectFunctionCall1(jsonb_in, CStringGetDatum(pstrdup(p.event_counts)));
	rs_profile_clear(&p);
	nulls[6] = p.purchases < 0;
	values[6] = Int64GetDatum(p.purchases);
	values[7] = RsTimeOrNull(p.last_purchase, &nulls[7]);
	nulls[8] = isnan(p.total_spend);
	values[8] = Float8GetDatum(p.total_spend);
	values[9] = RsTextOrNull(p.spend_segment, &nulls[9]);
	values[10] = RsTextOrNull(p.customer_type, &nulls[10]);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
