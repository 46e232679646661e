/*
 * vectors.c - recsys_item_vectors(model) / recsys_user_vectors(model):
 * (id, vector real[]) rows of a factor model, for pgvector
 * (INSERT ... SELECT id, vector::vector) and other vector stores. Other
 * models are refused by the core (rs_model_vectors) with a message that
 * says which algorithms have vectors.
 */
#include "pg_recsys.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

/* Emit every (id, vector) row of one side of the model named by arg 0. */
static Datum
RsVectors(FunctionCallInfo fcinfo, rs_side side)
{
	ReturnSetInfo *rsinfo;
	const char *name;
	const rs_model *m;
	rs_error	err;
	int32		dim;
	size_t		n;
	const float *data;
	Datum	   *elems;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	name = RsCacheResolveName(PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	m = RsCacheGetModel(name);
	if (rs_model_vectors(m, side, &dim, &n, &data, &err) != RS_OK)
		RsReportError(&err);
	RsInitSRF(fcinfo);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	elems = palloc(sizeof(Datum) * dim);
	for (size_t r = 0; r < n; r++)
	{
		size_t		len;
		const char *id = side == RS_SIDE_USERS ? rs_model_user_id(m, (int32) r, &len) :
			rs_model_item_id(m, (int32) r, &len);

		CHECK_FOR_INTERRUPTS();
		for (int32 d = 0; d < dim; d++)
			elems[d] = Float4GetDatum(data[r * dim + d]);
		values[0] = PointerGetDatum(cstring_to_text_with_len(id, (int) len));
		values[1] = PointerGetDatum(construct_array(elems, dim, FLOAT4OID, 4, true,
													TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
		pfree(DatumGetPointer(values[1]));
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(recsys_item_vectors);

Datum
recsys_item_vectors(PG_FUNCTION_ARGS)
{
	return RsVectors(fcinfo, RS_SIDE_ITEMS);
}

PG_FUNCTION_INFO_V1(recsys_user_vectors);

Datum
recsys_user_vectors(PG_FUNCTION_ARGS)
{
	return RsVectors(fcinfo, RS_SIDE_USERS);
}
