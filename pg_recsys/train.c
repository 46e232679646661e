/*
 * train.c - recsys_train(): read the source, train with the core, store a new
 * model version, return the training summary.
 *
 * Core objects are malloc'd. They are owned by a memory context whose reset
 * callback destroys them, so every error path (bad options, an SPI error in
 * the middle of the read, bad data, cancel) frees them when PostgreSQL cleans
 * up the (sub)transaction. The context hangs under CurTransactionContext for
 * exactly that reason.
 */
#include "pg_recsys.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "executor/spi.h"
#include "tcop/utility.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/memutils.h"

/* Reset callback of the training context: destroy the core objects. */
static void
RsTrainStateFree(void *arg)
{
	RsTrainState *st = (RsTrainState *) arg;

	if (st->cfg)
		rs_config_destroy(&st->cfg);
	if (st->builder)
		rs_builder_destroy(&st->builder);
	if (st->import)
		rs_import_destroy(&st->import);
	if (st->model)
		rs_model_destroy(&st->model);
	rs_free(st->blob);
	st->blob = NULL;
	rs_free(st->summary);
	st->summary = NULL;
#ifdef __GLIBC__
	/* the training's freed heap pages go back to the OS: the backend stays small */
	malloc_trim(0);
#endif
}

/*
 * A training state in a new context under CurTransactionContext, which
 * becomes the current context; the caller switches back and deletes st->cxt.
 */
RsTrainState *
RsTrainStateCreate(const char *cxtname)
{
	MemoryContext cxt = AllocSetContextCreate(CurTransactionContext, "recsys training",
											  ALLOCSET_DEFAULT_SIZES);
	RsTrainState *st = MemoryContextAllocZero(cxt, sizeof(RsTrainState));

	MemoryContextSetIdentifier(cxt, cxtname);
	st->cxt = cxt;
	st->cb.func = RsTrainStateFree;
	st->cb.arg = st;
	MemoryContextRegisterResetCallback(cxt, &st->cb);
	MemoryContextSwitchTo(cxt);
	return st;
}

/* The configuration of an algorithm and options argument (*opts: its tree). */
void
RsTrainConfigure(RsTrainState *st, const char *algorithm, Jsonb *options,
				 const rs_opt **opts)
{
	rs_error	err;

	*opts = RsOptionsFromJsonb(options, "options");
	if (rs_config_create(algorithm, *opts, recsys_threads, &st->cfg, &err) != RS_OK)
		RsReportError(&err);
}

/* Cancel callback, polled by the core between units of work on this thread.
 * It only reads the flags; CHECK_FOR_INTERRUPTS runs after the core returns. */
static int
RsCancelRequested(void *ctx)
{
	return QueryCancelPending || ProcDiePending;
}

/* Cancel only, no progress: for long serving calls (recommend_batch). */
rs_callbacks
RsTrainCallbacks(void)
{
	rs_callbacks cb = {0};

	cb.cancel = RsCancelRequested;
	return cb;
}

/*
 * The callbacks of a training or an evaluation (st->progress.cb): cancel
 * polls and progress reports of `what` on `name`, from the source's first
 * row on. The caller ends it with RsProgressEnd on every path.
 */
void
RsTrainWatch(RsTrainState *st, const char *what, const char *name)
{
	RsProgressBegin(&st->progress, st->cfg, what, name);
	st->progress.cb.cancel = RsCancelRequested;
}

/* Raise a training's error; a cancel becomes the usual cancel error. */
void
RsReportTrainError(const rs_error *err)
{
	if (err->status == RS_ECANCELLED)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling statement due to user request")));
	}
	RsReportError(err);
}

/* Train on the builder's rows. */
static void
RsTrainModel(RsTrainState *st)
{
	rs_error	err;

	if (rs_train(st->cfg, st->builder, &st->progress.cb, &st->model, &st->summary, &err) != RS_OK)
		RsReportTrainError(&err);
}

/*
 * Memory for the serialized model inside a bytea (*actx), so that the blob
 * is written once, where the INSERT reads it. NULL when out of memory; a
 * blob too large for a bytea is allocated all the same (the store refuses
 * it with a clear error) but its header is left unset.
 */
static void *
RsBlobAlloc(void *actx, size_t bytes)
{
	bytea	  **out = (bytea **) actx;

	*out = palloc_extended(VARHDRSZ + bytes, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (*out == NULL)
		return NULL;
	if (bytes <= MaxAllocSize - VARHDRSZ)
		SET_VARSIZE(*out, VARHDRSZ + bytes);
	return VARDATA(*out);
}

/* The summary as jsonb, with the model name and version added. */
static Jsonb *
RsSummaryJsonb(const char *summary, const char *name, int version)
{
	StringInfoData buf;
	Datum		head;
	Datum		body;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"model\": ");
	escape_json(&buf, name);
	appendStringInfo(&buf, ", \"version\": %d}", version);
	head = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
	body = DirectFunctionCall1(jsonb_in, CStringGetDatum(summary));
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, head, body));
}

/* Serialize the trained (or imported) model and store it as the next
 * version; source NULL: the model records none. */
Jsonb *
RsSaveModel(RsTrainState *st, const char *name, const char *source, Jsonb *options,
			MemoryContext resultcxt)
{
	RsStoredModel m;
	char	   *stored_source;
	char	   *search_path;
	rs_error	err;
	MemoryContext old;
	bytea	   *blob = NULL;	/* the blob is written once, into the stored value */
	unsigned char *data;

	if (rs_model_save_into(st->model, RsBlobAlloc, &blob, &data, &st->blob_len, &err) != RS_OK)
		RsReportError(&err);
	m.name = name;
	m.version = RsStoreLockNextVersion(name);
	RsStoreClaim(name);
	m.algorithm = rs_model_algorithm(st->model);
	m.users = (int64) rs_model_n_users(st->model);
	m.items = (int64) rs_model_n_items(st->model);
	m.interactions = (int64) rs_model_n_interactions(st->model);
	m.blob = st->blob;
	m.blob_len = st->blob_len;
	/* the blob holds it all now: free the model before the store copies it */
	rs_model_destroy(&st->model);
	m.options = options;
	stored_source = search_path = NULL;
	if (source != NULL)
		RsSourceForStore(source, &stored_source, &search_path);
	m.source = stored_source;
	m.search_path = search_path;
	old = MemoryContextSwitchTo(resultcxt);
	m.summary = RsSummaryJsonb(st->summary, name, m.version);
	MemoryContextSwitchTo(old);
	RsStoreInsertValue(&m, blob);
	pfree(blob);
	return m.summary;
}

/* Read the source (and side tables) through SPI and train; returns the stored summary. */
static Jsonb *
RsTrainFromSource(RsTrainState *st, const char *name, const char *source,
				  const rs_opt *opts, Jsonb *options, MemoryContext resultcxt)
{
	Jsonb	   *summary;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RsSourceLoad(source, st->cfg, opts, &st->builder);
	RsTrainModel(st);
	rs_builder_destroy(&st->builder);
	summary = RsSaveModel(st, name, source, options, resultcxt);
	SPI_finish();
	return summary;
}

PG_FUNCTION_INFO_V1(recsys_train);

/* recsys_train(model, source, algorithm, options): train and store a model. */
Datum
recsys_train(PG_FUNCTION_ARGS)
{
	MemoryContext callercxt = CurrentMemoryContext;
	RsTrainState *st;
	const char *name;
	const rs_opt *opts;
	Jsonb	   *options;
	Jsonb	   *summary;

	RsCheckNotNull(fcinfo, 0, "model");
	RsCheckNotNull(fcinfo, 1, "source");
	RsCheckNotNull(fcinfo, 2, "algorithm");
	RsCheckNotNull(fcinfo, 3, "options");
	PreventCommandIfReadOnly("recsys_train()");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	RsCheckModelName(name);
	/* fail before a long training when someone else owns the model */
	if (RsCacheModelAcl(name) != NULL)
		RsCheckModelPrivilege(name, RS_PRIV_OWNER, "train");
	options = PG_GETARG_JSONB_P(3);

	st = RsTrainStateCreate("recsys_train");
	RsTrainConfigure(st, text_to_cstring(PG_GETARG_TEXT_PP(2)), options, &opts);
	RsTrainWatch(st, "train", name);
	PG_TRY();
	{
		summary = RsTrainFromSource(st, name, text_to_cstring(PG_GETARG_TEXT_PP(1)),
									opts, options, callercxt);
	}
	PG_CATCH();
	{
		RsProgressEnd(&st->progress);
		PG_RE_THROW();
	}
	PG_END_TRY();
	RsProgressEnd(&st->progress);
	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(st->cxt);
	PG_RETURN_JSONB_P(summary);
}

PG_FUNCTION_INFO_V1(recsys_drop_model);

/* recsys_drop_model(model): delete all versions; error if there are none. */
Datum
recsys_drop_model(PG_FUNCTION_ARGS)
{
	const char *name;
	bool		dropped;

	RsCheckNotNull(fcinfo, 0, "model");
	PreventCommandIfReadOnly("recsys_drop_model()");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	RsCheckModelName(name);
	RsCheckModelPrivilege(name, RS_PRIV_OWNER, "drop");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	dropped = RsStoreDrop(name);
	SPI_finish();
	if (!dropped)
		RsReportUnknownModel(name);
	PG_RETURN_BOOL(true);
}
