/*
 * session.c - recommend_for_items(): recommendations for an anonymous
 * session from the items it touched, from the per-backend cached model
 * (core/fold_in.c folds the session in). Like recommend(), a warm call runs
 * no SQL.
 */
#include "pg_recsys.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

/* Emit rows (item_id, score, rank, reason, source) into the SRF's tuplestore. */
static void
RsEmitSessionRows(FunctionCallInfo fcinfo, const rs_model *m, const rs_reco *recs, int n)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	for (int i = 0; i < n; i++)
	{
		size_t		len;
		const char *id = rs_model_item_id(m, recs[i].item, &len);

		values[0] = PointerGetDatum(cstring_to_text_with_len(id, (int) len));
		values[1] = Float4GetDatum(recs[i].score);
		values[2] = Int32GetDatum(i + 1);
		values[3] = CStringGetTextDatum(rs_reason_text(m, recs[i].source));
		values[4] = CStringGetTextDatum(rs_source_name(m, recs[i].source));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

PG_FUNCTION_INFO_V1(recommend_for_items);

/* recommend_for_items(items, k, model, options): top-k for a session's items. */
Datum
recommend_for_items(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n_items;
	const char **items;
	size_t	   *lens;
	int32		k;
	const rs_model *m;
	const rs_opt *opts;
	rs_reco    *recs;
	int			n = 0;
	rs_error	err;

	RsCheckNotNull(fcinfo, 0, "items");
	RsCheckNotNull(fcinfo, 1, "k");
	RsCheckNotNull(fcinfo, 3, "options");
	arr = PG_GETARG_ARRAYTYPE_P(0);
	k = PG_GETARG_INT32(1);
	opts = RsOptionsFromJsonb(PG_GETARG_JSONB_P(3), "options");
	m = RsCacheGetModel(RsCacheResolveName(PG_ARGISNULL(2) ? NULL :
										   text_to_cstring(PG_GETARG_TEXT_PP(2))));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &elem_nulls, &n_items);
	items = palloc(sizeof(char *) * (n_items + 1));
	lens = palloc(sizeof(size_t) * (n_items + 1));
	/* NULL elements go to the core as NULL: skipped like unknown ids */
	for (int i = 0; i < n_items; i++)
	{
		text	   *t = elem_nulls[i] ? NULL : DatumGetTextPP(elems[i]);

		items[i] = t ? VARDATA_ANY(t) : NULL;
		lens[i] = t ? VARSIZE_ANY_EXHDR(t) : 0;
	}
	InitMaterializedSRF(fcinfo, 0);
	/* an invalid k still gets a buffer: the core rejects it in its words */
	recs = palloc(sizeof(rs_reco) * ((k >= 1 && k <= RS_MAX_K) ? k : 1));
	if (rs_recommend_for_items(m, items, lens, n_items, k, opts, recs, &n, &err) != RS_OK)
		RsReportError(&err);
	RsEmitSessionRows(fcinfo, m, recs, n);
	return (Datum) 0;
}
