/*
 * import.c - recsys_import(model, user_vectors, item_vectors, options): a
 * model from vectors trained elsewhere (core/import.c), stored as the next
 * version of `model` like a training's result.
 *
 * The rules are recsys_train's: EXECUTE is revoked from PUBLIC, replacing a
 * model needs its ownership, the sources (the two vector sources and the
 * optional "interactions") are read with the caller's privileges, and the
 * interactions source is what the model records for fresh users, read later
 * with the owner's rights (fresh.c). Nothing is stored unless every row was
 * good: a failed import leaves the previous version serving.
 */
#include "pg_recsys.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(recsys_import);

Datum
recsys_import(PG_FUNCTION_ARGS)
{
	MemoryContext callercxt = CurrentMemoryContext;
	RsTrainState *st;
	const char *name;
	const char *interactions;
	const rs_opt *opts;
	Jsonb	   *options;
	Jsonb	   *summary;
	rs_error	err;

	RsCheckNotNull(fcinfo, 0, "model");
	RsCheckNotNull(fcinfo, 1, "user_vectors");
	RsCheckNotNull(fcinfo, 2, "item_vectors");
	PreventCommandIfReadOnly("recsys_import()");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	RsCheckModelName(name);
	/* fail before a long read when someone else owns the model */
	if (RsCacheModelAcl(name) != NULL)
		RsCheckModelPrivilege(name, RS_PRIV_OWNER, "replace");
	options = PG_ARGISNULL(3) ?
		DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))) :
		PG_GETARG_JSONB_P(3);

	st = RsTrainStateCreate("recsys_import");
	opts = RsOptionsFromJsonb(options, "options");
	if (rs_import_create(opts, recsys_threads, &st->import, &err) != RS_OK)
		RsReportError(&err);
	interactions = rs_import_interactions(st->import);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* progress: the activity line and the cancel callback (no configuration) */
	RsTrainWatch(st, "import", name);
	PG_TRY();
	{
		RsSourceLoadVectors(text_to_cstring(PG_GETARG_TEXT_PP(1)), "user_vectors", st->import,
							RS_SIDE_USERS);
		RsSourceLoadVectors(text_to_cstring(PG_GETARG_TEXT_PP(2)), "item_vectors", st->import,
							RS_SIDE_ITEMS);
		if (interactions != NULL)
			RsSourceLoad(interactions, rs_import_config(st->import), opts, &st->builder);
		if (rs_import_finish(st->import, st->builder, &st->progress.cb, &st->model,
							 &st->summary, &err) != RS_OK)
			RsReportTrainError(&err);
	}
	PG_CATCH();
	{
		RsProgressEnd(&st->progress);
		PG_RE_THROW();
	}
	PG_END_TRY();
	RsProgressEnd(&st->progress);
	summary = RsSaveModel(st, name, interactions, options, callercxt);
	SPI_finish();
	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(st->cxt);
	PG_RETURN_JSONB_P(summary);
}
