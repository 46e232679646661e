/*
 * similar.c - similar_items(): the items most similar to one item, from the
 * per-backend cached model (core/similar.c does the work). Like recommend(),
 * a warm call runs no SQL.
 */
#include "pg_recsys.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

/* Emit rows (item_id, score, rank, reason) into the SRF's tuplestore. */
static void
RsEmitSimilar(FunctionCallInfo fcinfo, const rs_model *m, const rs_reco *recs, int n)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	for (int i = 0; i < n; i++)
	{
		size_t		len;
		const char *id = rs_model_item_id(m, recs[i].item, &len);

		values[0] = PointerGetDatum(cstring_to_text_with_len(id, (int) len));
		values[1] = Float4GetDatum(recs[i].score);
		values[2] = Int32GetDatum(i + 1);
		values[3] = CStringGetTextDatum(rs_similar_reason(m, recs[i].source));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

PG_FUNCTION_INFO_V1(similar_items);

/*
 * similar_items(item_id, k, model, options): the k items most like one item.
 * The answer depends on the model version alone: memoised (memo.c) under
 * pure options.
 */
Datum
similar_items(PG_FUNCTION_ARGS)
{
	RsKeyCall	c;
	rs_error	err;
	RsMemoKey	mk;
	const rs_reco *kept;
	bool		memo;

	RsCallStart(fcinfo, "item_id", &c);
	memo = RsMemoKeyFor(&c, 's', &mk);
	if (memo && (kept = RsMemoLookup(&mk, &c.n)) != NULL)
	{
		RsEmitSimilar(fcinfo, c.m, kept, c.n);
		return (Datum) 0;
	}
	if (rs_similar_items(c.m, VARDATA_ANY(c.key), VARSIZE_ANY_EXHDR(c.key), c.k, c.opts,
						 c.recs, &c.n, &err) != RS_OK)
	{
		/* an unknown item names the model too */
		rs_error_name_model(&err, c.m, c.name, NULL, 0, VARDATA_ANY(c.key),
							VARSIZE_ANY_EXHDR(c.key));
		RsReportError(&err);
	}
	if (memo && rs_serve_options_pure(c.opts))
		RsMemoStore(&mk, c.recs, c.n);
	RsEmitSimilar(fcinfo, c.m, c.recs, c.n);
	return (Datum) 0;
}
