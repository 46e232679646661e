/*
 * evaluate.c - recsys_evaluate(source, algorithm, options, k): offline
 * evaluation by the core's EVAL.md protocol (rs_evaluate), one row of
 * metrics, and the record of the last evaluation of each model.
 *
 * The source and side tables are read exactly as recsys_train reads them
 * (RsSourceLoad). `algorithm` may instead name a stored model: then the
 * model's algorithm is evaluated with its stored options, the given options
 * merged over them, and the metrics are recorded in recsys.evaluations
 * (shown by recsys_models.last_evaluation); an imported model, which
 * cannot be retrained, is measured as it is against the source (split
 * "given"). Only the model's owner may
 * evaluate a model by name: its stored options may name side tables as
 * queries, which must not run with anyone else's rights. The evaluation
 * itself only reads; in a read-only transaction (or on a standby) the
 * metrics are returned and the record is skipped with a NOTICE.
 */
#include "pg_recsys.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

/* The model an evaluation is recorded for (name NULL: an algorithm). */
typedef struct RsEvalTarget
{
	const char *name;
	int			version;
	char	   *algorithm;
	Jsonb	   *options;		/* stored options, the given ones merged over */
} RsEvalTarget;

/*
 * Decide what `algorithm` names. An algorithm name wins; else a stored
 * model; else the core's unknown-algorithm error, hinting at models.
 */
static void
RsEvalResolve(const char *algorithm, Jsonb *options, RsEvalTarget *t)
{
	Jsonb	   *stored;
	rs_config  *probe = NULL;
	rs_error	err;

	memset(t, 0, sizeof(*t));
	t->algorithm = pstrdup(algorithm);
	t->options = options;
	if (rs_is_algorithm(algorithm))
		return;
	if (strlen(algorithm) < NAMEDATALEN && algorithm[0] != '\0' &&
		RsStoreLatest(algorithm, &t->version, &t->algorithm, &stored))
	{
		/* its stored options may name side tables as queries: the owner's SQL */
		RsCheckModelPrivilege(algorithm, RS_PRIV_OWNER, "evaluate");
		t->name = algorithm;
		t->options = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
														JsonbPGetDatum(stored),
														JsonbPGetDatum(options)));
		return;
	}
	/* not an algorithm, so this fails with the core's unknown-algorithm error */
	if (rs_config_create(algorithm, NULL, 0, &probe, &err) == RS_OK)
	{
		rs_config_destroy(&probe);
		elog(ERROR, "algorithm \"%s\" is not known to rs_is_algorithm()", algorithm);
	}
	RsReportErrorHint(&err, psprintf("recsys_evaluate() also takes the name of a stored model; there is no model \"%s\".",
									 algorithm));
}

/* Can this call write the evaluation record? If not, say why in a NOTICE. */
static bool
RsEvalCanRecord(const char *name)
{
	Oid			nsp = get_namespace_oid("recsys", false);
	Oid			relid = get_relname_relid("evaluations", nsp);
	const char *why = NULL;

	if (RecoveryInProgress() || XactReadOnly)
		why = "The transaction is read-only.";
	else if (!OidIsValid(relid))
		why = "Table recsys.evaluations does not exist.";
	if (why == NULL)
		return true;
	ereport(NOTICE,
			(errmsg("evaluation of model \"%s\" not recorded", RsShort(name)),
			 errdetail("%s", why)));
	return false;
}

/* Replace the model's last evaluation record (SPI connected). */
static void
RsEvalRecord(const RsEvalTarget *t, const char *source, int k, Jsonb *metrics)
{
	Oid			types[5] = {TEXTOID, INT4OID, INT4OID, TEXTOID, JSONBOID};
	Datum		values[5];
	RsRoleSwitch rs;
	int			rc;

	values[0] = CStringGetTextDatum(t->name);
	values[1] = Int32GetDatum(t->version);
	values[2] = Int32GetDatum(k);
	values[3] = CStringGetTextDatum(source);
	values[4] = JsonbPGetDatum(metrics);
	RsStoreEnter(&rs);
	rc = SPI_execute_with_args("INSERT INTO recsys.evaluations AS e"
							   " (name, version, evaluated_at, k, source, metrics)"
							   " VALUES ($1, $2, pg_catalog.clock_timestamp(), $3, $4, $5)"
							   " ON CONFLICT (name) DO UPDATE SET version = excluded.version,"
							   " evaluated_at = excluded.evaluated_at, k = excluded.k,"
							   " source = excluded.source, metrics = excluded.metrics",
							   5, types, values, NULL, false, 0);
	RsRestoreRole(&rs);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "recsys evaluation record failed: %s", SPI_result_code_string(rc));
}

/*
 * The metrics of a model's evaluation as jsonb, to record: the core's JSON
 * of the result, with the model, version and options added.
 */
static Jsonb *
RsEvalMetrics(const rs_eval_result *r, const RsEvalTarget *t)
{
	StringInfoData buf;
	char		json[RS_EVAL_JSON_CAP];
	Datum		body;

	if (rs_eval_json(r, json, sizeof(json)) >= sizeof(json))
		elog(ERROR, "recsys evaluation result does not fit %d bytes", RS_EVAL_JSON_CAP);
	body = DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"model\": ");
	escape_json(&buf, t->name);
	appendStringInfo(&buf, ", \"version\": %d, \"options\": ", t->version);
	appendStringInfoString(&buf, JsonbToCString(NULL, &t->options->root,
												VARSIZE(t->options)));
	appendStringInfoChar(&buf, '}');
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
											  DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)),
											  body));
}

/*
 * Emit the one result row from the core's result: k integer, precision,
 * recall, ndcg, map, coverage real, test_users integer, train_interactions,
 * test_interactions bigint, split text, train_seconds real.
 */
static void
RsEvalEmitRow(FunctionCallInfo fcinfo, const rs_eval_result *r)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[11];
	bool		nulls[11] = {0};

	InitMaterializedSRF(fcinfo, 0);
	values[0] = Int32GetDatum(r->k);
	values[1] = Float4GetDatum((float4) r->precision);
	values[2] = Float4GetDatum((float4) r->recall);
	values[3] = Float4GetDatum((float4) r->ndcg);
	values[4] = Float4GetDatum((float4) r->map);
	values[5] = Float4GetDatum((float4) r->coverage);
	values[6] = Int32GetDatum(r->test_users);
	values[7] = Int64GetDatum(r->train_interactions);
	values[8] = Int64GetDatum(r->test_interactions);
	values[9] = CStringGetTextDatum(r->split);
	values[10] = Float4GetDatum((float4) r->train_seconds);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* k is checked before the source is read. */
static int
RsEvalK(FunctionCallInfo fcinfo)
{
	int			k = PG_GETARG_INT32(3);
	rs_error	err;

	if (rs_check_k(k, &err) != RS_OK)
		RsReportError(&err);
	return k;
}

/*
 * An imported model, which nothing here can retrain, is measured as it is:
 * the source (read with the columns of its stored options, the given ones
 * merged over them) is the test set (rs_evaluate_model). The model is
 * taken from the cache after the read, which runs SQL that may process a
 * new version's invalidation.
 */
static void
RsEvalImported(RsTrainState *st, const RsEvalTarget *t, const char *source, int k,
			   rs_eval_result *result)
{
	const rs_opt *opts = RsOptionsFromJsonb(t->options, "options");
	rs_error	err;

	if (rs_import_create(opts, recsys_threads, &st->import, &err) != RS_OK)
		RsReportError(&err);
	RsSourceLoad(source, rs_import_config(st->import), opts, &st->builder);
	if (rs_evaluate_model(RsCacheGetModel(t->name), st->builder, k, &st->progress.cb, result,
						  &err) != RS_OK)
		RsReportTrainError(&err);
}

PG_FUNCTION_INFO_V1(recsys_evaluate);

/* recsys_evaluate(source, algorithm or model, options, k): one row of metrics. */
Datum
recsys_evaluate(PG_FUNCTION_ARGS)
{
	MemoryContext callercxt = CurrentMemoryContext;
	RsTrainState *st;
	RsEvalTarget t;
	const rs_opt *opts;
	const char *source;
	rs_error	err;
	rs_eval_result result;
	Jsonb	   *metrics = NULL;
	int			k;
	bool		imported;

	RsCheckNotNull(fcinfo, 0, "source");
	RsCheckNotNull(fcinfo, 1, "algorithm");
	RsCheckNotNull(fcinfo, 2, "options");
	RsCheckNotNull(fcinfo, 3, "k");
	k = RsEvalK(fcinfo);
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));

	st = RsTrainStateCreate("recsys_evaluate");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RsEvalResolve(text_to_cstring(PG_GETARG_TEXT_PP(1)), PG_GETARG_JSONB_P(2), &t);
	imported = t.name != NULL && rs_is_imported_algorithm(t.algorithm);
	if (!imported)
		RsTrainConfigure(st, t.algorithm, t.options, &opts);
	RsTrainWatch(st, "evaluate", text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_TRY();
	{
		if (imported)
			RsEvalImported(st, &t, source, k, &result);
		else
		{
			RsSourceLoad(source, st->cfg, opts, &st->builder);
			if (rs_evaluate(st->cfg, st->builder, k, &st->progress.cb, &result, &err) != RS_OK)
				RsReportTrainError(&err);
		}
	}
	PG_CATCH();
	{
		RsProgressEnd(&st->progress);
		PG_RE_THROW();
	}
	PG_END_TRY();
	RsProgressEnd(&st->progress);
	MemoryContextSwitchTo(callercxt);
	if (t.name != NULL)
		metrics = RsEvalMetrics(&result, &t);
	if (t.name != NULL && RsEvalCanRecord(t.name))
		RsEvalRecord(&t, source, k, metrics);
	SPI_finish();
	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(st->cxt);
	RsEvalEmitRow(fcinfo, &result);
	return (Datum) 0;
}
