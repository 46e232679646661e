/*
 * evaluate.c - recsys_evaluate(source, algorithm = 'als', options = '{}',
 * k = 10): offline evaluation by the core's EVAL.md protocol (rs_evaluate)
 * as a table-valued function (tvf_common.c), top-level SQL only, one row:
 *
 *   k INTEGER, precision REAL, recall REAL, ndcg REAL, map REAL,
 *   coverage REAL, test_users INTEGER, train_interactions INTEGER,
 *   test_interactions INTEGER, split TEXT, train_seconds REAL
 *
 * (PostgreSQL's columns). The arguments are the HIDDEN columns source,
 * algorithm, options and k_arg (k is the output column). The source and
 * side tables are read as recsys_train reads them (source.c). `algorithm`
 * may instead name a stored model: its algorithm is evaluated with its
 * stored options, the given options merged over them (top-level keys), and
 * the metrics are recorded in main.recsys_evaluations, shown by
 * recsys_models.last_evaluation (an imported model, which cannot be
 * retrained, is measured as it is against the source: split "given"). On
 * a read-only database the record is skipped and the metrics are still
 * returned. The stored options come from
 * the database file: with PRAGMA trusted_schema off, a side table they name
 * as a query ("items" / "users", also inside hybrid components) is refused
 * unless the given options replace it.
 */
#include "recsys_sqlite.h"

#include <string.h>

/* Stored options with the given ones over them: top-level keys replaced,
 * as PostgreSQL's jsonb || does. Nested values keep their JSON type. */
static const char MERGE_SQL[] =
    "SELECT json_group_object(key, CASE WHEN type = 'text' THEN raw ELSE json(raw) END) FROM ("
    "SELECT key, type, CASE type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
    "WHEN 'null' THEN 'null' ELSE value END AS raw FROM json_each(?1) "
    "WHERE key NOT IN (SELECT key FROM json_each(?2)) UNION ALL "
    "SELECT key, type, CASE type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
    "WHEN 'null' THEN 'null' ELSE value END FROM json_each(?2))";

/* The metrics of a model's evaluation: model, version and options added. */
static const char MODEL_METRICS_SQL[] =
    "SELECT json_set(json(?1), '$.model', ?2, '$.version', ?3, '$.options', json(?4))";

/* What one evaluation owns; eval_job_free releases it. */
typedef struct eval_job {
	rsq_ctx *ctx;
	sqlite3 *db;
	const char *source, *algorithm, *options;
	int k;
	char *model_algorithm, *merged; /* a model's algorithm, merged options */
	sqlite3_int64 version;
	int is_model;
	rsq_opts opts;
	rs_config *cfg;
	rs_builder *builder;
	rs_import *import;        /* an imported model: its options' reading columns */
	rsq_model *model;         /* ... and the model itself, from the cache */
	sqlite3_stmt *cache_probe;
	sqlite3_stmt *probe;
	rsq_progress progress; /* the core's callbacks */
	rs_eval_result result;
	char *metrics;
	char *errmsg;
	rs_error err;
} eval_job;

/* Release everything a job holds (not errmsg, which the caller takes). */
static void eval_job_free(eval_job *j)
{
	sqlite3_free(j->model_algorithm);
	sqlite3_free(j->merged);
	rsq_opts_free(&j->opts);
	rs_config_destroy(&j->cfg);
	rs_builder_destroy(&j->builder);
	rs_import_destroy(&j->import);
	if (j->model)
		rsq_model_release(j->model);
	sqlite3_finalize(j->cache_probe);
	sqlite3_finalize(j->probe);
	sqlite3_free(j->metrics);
}


/* One-column query over bound texts (NULL = bind NULL); *out mprintf'd. */
static int query_text(sqlite3 *db, const char *sql, const char *a, const char *b, sqlite3_int64 c,
                      const char *d, char **out, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, c);
		sqlite3_bind_text(st, 4, d, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		*out = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
		rc = *out ? SQLITE_OK : SQLITE_NOMEM;
	} else {
		*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
		rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Check the side tables ("items" / "users") named anywhere in a stored
 * options tree: each is SQL from the database file. `top`: o is the root,
 * whose keys the caller's own options may replace. */
static int check_stored_sides(eval_job *j, const rs_opt *o, int top)
{
	for (size_t i = 0; o && i < o->n_children; i++) {
		const rs_opt *c = &o->children[i];
		int side = o->kind == RS_OPT_OBJECT && c->key &&
		           (strcmp(c->key, "items") == 0 || strcmp(c->key, "users") == 0);
		int rc = SQLITE_OK;
		if (side && c->kind == RS_OPT_STRING) {
			if (top && rs_opt_get(rsq_opts_root(&j->opts), c->key))
				continue; /* the caller's value replaces the stored one */
			rc = rsq_check_stored_sql(j->db, j->algorithm, c->key, c->string, &j->errmsg);
		} else if (c->kind == RS_OPT_OBJECT || c->kind == RS_OPT_ARRAY) {
			/* hybrid components carry options of their own */
			rc = check_stored_sides(j, c, 0);
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* A model's stored options come from the database file: with PRAGMA
 * trusted_schema off, a side table stored as a query is not run. */
static int check_stored_options(eval_job *j, const char *stored)
{
	if (rsq_schema_trusted(j->db))
		return SQLITE_OK;
	rsq_opts so;
	int rc = rsq_opts_parse(j->db, stored, "options", &so, &j->errmsg);
	if (rc == SQLITE_OK)
		rc = check_stored_sides(j, rsq_opts_root(&so), 1);
	rsq_opts_free(&so);
	return rc;
}

/* An algorithm name wins; else a stored model (its algorithm, options
 * merged); else the core's unknown-algorithm error. */
static int resolve_algorithm(eval_job *j)
{
	if (rs_is_algorithm(j->algorithm))
		return SQLITE_OK;
	int found = 0;
	char *stored = NULL;
	int rc = rsq_store_model_config(j->db, j->algorithm, &found, &j->version,
	                                &j->model_algorithm, &stored, &j->errmsg);
	if (rc == SQLITE_OK && found)
		rc = check_stored_options(j, stored);
	if (rc == SQLITE_OK && found) {
		j->is_model = 1;
		rc = query_text(j->db, MERGE_SQL, stored, j->options ? j->options : "{}", 0, NULL,
		                &j->merged, &j->errmsg);
	}
	sqlite3_free(stored);
	return rc;
}

/* Configure, read the source and side tables, and evaluate. */
static int run_evaluation(eval_job *j)
{
	int rc = rsq_opts_parse(j->db, j->options, "options", &j->opts, &j->errmsg);
	if (rc == SQLITE_OK)
		rc = resolve_algorithm(j);
	if (rc == SQLITE_OK && j->is_model) {
		rsq_opts_free(&j->opts);
		rc = rsq_opts_parse(j->db, j->merged, "options", &j->opts, &j->errmsg);
	}
	const char *algorithm = j->is_model ? j->model_algorithm : j->algorithm;
	/* an imported model cannot be retrained: measured as it is (split "given") */
	int imported = j->is_model && rs_is_imported_algorithm(algorithm);
	if (rc == SQLITE_OK && imported &&
	    rs_import_create(rsq_opts_root(&j->opts), 0, &j->import, &j->err) != RS_OK)
		rc = rsq_core_fail(&j->err, &j->errmsg);
	if (rc == SQLITE_OK && !imported &&
	    rs_config_create(algorithm, rsq_opts_root(&j->opts), 0, &j->cfg, &j->err) != RS_OK)
		rc = rsq_core_fail(&j->err, &j->errmsg);
	if (rc == SQLITE_OK)
		rsq_progress_begin(&j->progress, j->cfg, "evaluate", j->algorithm);
	if (rc == SQLITE_OK)
		rc = rsq_source_load(j->db, j->source, imported ? rs_import_config(j->import) : j->cfg,
		                     rsq_opts_root(&j->opts), &j->builder, &j->errmsg);
	if (rc == SQLITE_OK && imported)
		rc = rsq_cache_get(j->ctx, &j->cache_probe, j->algorithm, &j->model, &j->errmsg);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_prepare_v2(j->db, "SELECT 1", -1, &j->probe, NULL) != SQLITE_OK)
		j->probe = NULL; /* no probe: the evaluation simply cannot be interrupted */
	j->progress.cb.cancel = rsq_interrupted;
	j->progress.cb.ctx = j->probe;
	rs_status st = imported ? rs_evaluate_model(j->model->m, j->builder, j->k, &j->progress.cb,
	                                            &j->result, &j->err)
	                        : rs_evaluate(j->cfg, j->builder, j->k, &j->progress.cb, &j->result, &j->err);
	if (st != RS_OK)
		return rsq_core_fail(&j->err, &j->errmsg);
	return SQLITE_OK;
}

/* A model's evaluation: the metrics (the core's JSON of the result) with
 * model, version and options, recorded. */
static int record(eval_job *j)
{
	if (!j->is_model)
		return SQLITE_OK;
	char json[RS_EVAL_JSON_CAP];
	rs_eval_json(&j->result, json, sizeof json);
	int rc = query_text(j->db, MODEL_METRICS_SQL, json, j->algorithm, j->version, j->merged,
	                    &j->metrics, &j->errmsg);
	rsq_eval_row row = {
	    .name = j->algorithm,
	    .source = j->source,
	    .metrics = j->metrics,
	    .version = j->version,
	    .k = j->k,
	};
	if (rc == SQLITE_OK)
		rc = rsq_store_record_evaluation(j->db, &row, &j->errmsg);
	return rc;
}

/* Hold the result as the cursor's one row. */
static int result_row(rsq_cursor *c, const rs_eval_result *r)
{
	if (!(c->rows = sqlite3_malloc64(sizeof *r)))
		return SQLITE_NOMEM;
	memcpy(c->rows, r, sizeof *r);
	c->n = 1;
	return SQLITE_OK;
}

/* The metric columns of the result (its texts are static). */
static void evaluate_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	const rs_eval_result *r = c->rows;
	switch (col) {
	case 0: sqlite3_result_int(ctx, r->k); break;
	case 1: sqlite3_result_double(ctx, r->precision); break;
	case 2: sqlite3_result_double(ctx, r->recall); break;
	case 3: sqlite3_result_double(ctx, r->ndcg); break;
	case 4: sqlite3_result_double(ctx, r->map); break;
	case 5: sqlite3_result_double(ctx, r->coverage); break;
	case 6: sqlite3_result_int(ctx, r->test_users); break;
	case 7: sqlite3_result_int64(ctx, r->train_interactions); break;
	case 8: sqlite3_result_int64(ctx, r->test_interactions); break;
	case 9: sqlite3_result_text(ctx, r->split, -1, SQLITE_STATIC); break;
	default: sqlite3_result_double(ctx, r->train_seconds); break;
	}
}

/* Evaluate (the arguments checked as recsys_train checks them), record a
 * model's evaluation, then hold the one row. */
static int evaluate_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	(void)opts; /* the options are read by run_evaluation, merged for a model */
	eval_job j;
	memset(&j, 0, sizeof j);
	j.ctx = c->ctx;
	j.db = c->ctx->db;
	j.source = rsq_arg_text(c, 0, NULL);
	j.algorithm = rsq_arg_text(c, 1, NULL);
	j.options = rsq_arg_text(c, 2, NULL);
	j.k = k;
	if (!j.source || !j.algorithm)
		return SQLITE_NOMEM;
	/* checked before the source is read */
	if (rs_check_k(k, &j.err) != RS_OK)
		return rsq_cursor_fail(c, &j.err);
	int rc = run_evaluation(&j);
	if (rc == SQLITE_OK)
		rc = record(&j);
	if (rc == SQLITE_OK)
		rc = result_row(c, &j.result);
	else if (j.errmsg)
		rc = rsq_cursor_error(c, j.errmsg);
	else if (rc != SQLITE_NOMEM && !c->base.pVtab->zErrMsg)
		rc = rsq_cursor_error(c, sqlite3_mprintf("recsys_evaluate: %s", sqlite3_errstr(rc)));
	if (rc == SQLITE_OK)
		sqlite3_free(j.errmsg);
	eval_job_free(&j);
	return rc;
}

/* The metric columns, then the arguments (k_arg: the argument k). */
const rsq_tvf rsq_evaluate_tvf = {
    .name = "recsys_evaluate",
    .schema = "CREATE TABLE x(k INTEGER, precision REAL, recall REAL, ndcg REAL, map REAL, "
              "coverage REAL, test_users INTEGER, train_interactions INTEGER, "
              "test_interactions INTEGER, split TEXT, train_seconds REAL, source HIDDEN, "
              "algorithm HIDDEN, options HIDDEN, k_arg HIDDEN)",
    .n_out = 11,
    .args = {{"source", RSQ_ARG_KEY},
             {"algorithm", RSQ_ARG_NOT_NULL, "als"},
             {"options", RSQ_ARG_NOT_NULL},
             {"k", RSQ_ARG_K}},
    .flags = RSQ_TVF_DIRECTONLY,
    .cost = 1e6,
    .rows = 1,
    .compute = evaluate_compute,
    .column = evaluate_column,
};
