/*
 * for_items.c - recommend_for_items(): recommendations for an anonymous
 * session from the items it touched, from the per-backend cached model
 * (core/fold_in.c folds the session in). Like recommend(), a warm call runs
 * no SQL.
 */
#include "pg_recsys.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(recommend_for_items);

/* recommend_for_items(items, k, model, options): top-k for a session's items. */
Datum
recommend_for_items(PG_FUNCTION_ARGS)
{
	RsKeyCall	c;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n_items;
	const char **items;
	size_t	   *lens;
	rs_error	err;

	RsCallStart(fcinfo, "items", &c);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &elem_nulls, &n_items);
	items = palloc(sizeof(char *) * (n_items + 1));
	lens = palloc(sizeof(size_t) * (n_items + 1));
	/* NULL elements go to the core as NULL: skipped like unknown ids */
	for (int i = 0; i < n_items; i++)
	{
		text	   *t = elem_nulls[i] ? NULL : DatumGetTextPP(elems[i]);

		items[i] = t ? VARDATA_ANY(t) : NULL;
		lens[i] = t ? VARSIZE_ANY_EXHDR(t) : 0;
	}
	if (rs_recommend_for_items(c.m, items, lens, n_items, c.k, c.opts, c.recs, &c.n,
							   &err) != RS_OK)
		RsReportError(&err);
	RsEmitRows(fcinfo, c.m, c.recs, c.n, true);
	return (Datum) 0;
}
