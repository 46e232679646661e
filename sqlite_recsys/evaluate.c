/*
 * evaluate.c - recsys_evaluate(source, algorithm = 'als', options = '{}',
 * k = 10): offline evaluation by the core's EVAL.md protocol (rs_evaluate)
 * as an eponymous table-valued function with one row:
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
 * recsys_models.last_evaluation. On a read-only database the record is
 * skipped and the metrics are still returned. The stored options come from
 * the database file: with PRAGMA trusted_schema off, a side table they name
 * as a query ("items" / "users", also inside hybrid components) is refused
 * unless the given options replace it.
 */
#include "recsys_sqlite.h"

#include <limits.h>
#include <string.h>

#define N_OUT  11
#define N_ARGS 4

enum { ARG_SOURCE, ARG_ALGORITHM, ARG_OPTIONS, ARG_K };

static const char *const ARG_NAMES[N_ARGS] = {"source", "algorithm", "options", "k"};

/* The result row from the core's JSON, in the declared column order. */
static const char ROW_SQL[] =
    "SELECT json_extract(?1, '$.k'), json_extract(?1, '$.precision'), "
    "json_extract(?1, '$.recall'), json_extract(?1, '$.ndcg'), json_extract(?1, '$.map'), "
    "json_extract(?1, '$.coverage'), json_extract(?1, '$.test_users'), "
    "json_extract(?1, '$.train_interactions'), json_extract(?1, '$.test_interactions'), "
    "json_extract(?1, '$.split'), json_extract(?1, '$.train_seconds')";

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

typedef struct eval_vtab {
	sqlite3_vtab base;
	sqlite3 *db;
} eval_vtab;

typedef struct eval_cursor {
	sqlite3_vtab_cursor base;
	sqlite3_stmt *row; /* stepped onto the one result row; NULL = no row */
	int eof;
	sqlite3_value *args[N_ARGS];
} eval_cursor;

/* What one evaluation owns; eval_job_free releases it. */
typedef struct eval_job {
	sqlite3 *db;
	const char *source, *algorithm, *options;
	int k;
	char *model_algorithm, *merged; /* a model's algorithm, merged options */
	sqlite3_int64 version;
	int is_model;
	rsq_opts opts;
	rs_config *cfg;
	rs_builder *builder;
	sqlite3_stmt *probe;
	char *result; /* rs_free */
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
	sqlite3_finalize(j->probe);
	rs_free(j->result);
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

/* Is `name` one of the core's algorithms ("als, popularity, ...")? */
static int is_algorithm(const char *name)
{
	const char *p = rs_algorithms();
	size_t n = strlen(name);
	while (*p) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p += len;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return 0;
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
	if (is_algorithm(j->algorithm))
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
	if (rc == SQLITE_OK &&
	    rs_config_create(algorithm, rsq_opts_root(&j->opts), 0, &j->cfg, &j->err) != RS_OK)
		rc = rsq_core_fail(&j->err, &j->errmsg);
	if (rc == SQLITE_OK)
		rc = rsq_source_load(j->db, j->source, j->cfg, rsq_opts_root(&j->opts), &j->builder,
		                     &j->errmsg);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_prepare_v2(j->db, "SELECT 1", -1, &j->probe, NULL) != SQLITE_OK)
		j->probe = NULL; /* no probe: the evaluation simply cannot be interrupted */
	rs_callbacks cb = {rsq_interrupted, j->probe};
	if (rs_evaluate(j->cfg, j->builder, j->k, &cb, &j->result, &j->err) != RS_OK)
		return rsq_core_fail(&j->err, &j->errmsg);
	return SQLITE_OK;
}

/* A model's evaluation: the metrics with model, version and options, recorded. */
static int record(eval_job *j)
{
	if (!j->is_model)
		return SQLITE_OK;
	int rc = query_text(j->db, MODEL_METRICS_SQL, j->result, j->algorithm, j->version,
	                    j->merged, &j->metrics, &j->errmsg);
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

/* Set the vtab's error message (takes ownership of msg). */
static int eval_error(eval_cursor *c, char *msg)
{
	return rsq_vtab_error(c->base.pVtab, msg);
}

/* Check the arguments as recsys_train does: given ones not NULL, source
 * required, k an integer in range. Fills the job's argument fields. */
static int check_args(eval_cursor *c, eval_job *j)
{
	if (!c->args[ARG_SOURCE])
		return eval_error(
		    c, sqlite3_mprintf("recsys_evaluate: argument \"source\" is required"));
	for (int i = 0; i < N_ARGS; i++)
		if (c->args[i] && sqlite3_value_type(c->args[i]) == SQLITE_NULL)
			return eval_error(
			    c, sqlite3_mprintf("argument \"%s\" must not be null", ARG_NAMES[i]));
	j->source = (const char *)sqlite3_value_text(c->args[ARG_SOURCE]);
	j->algorithm = c->args[ARG_ALGORITHM]
	                   ? (const char *)sqlite3_value_text(c->args[ARG_ALGORITHM])
	                   : "als";
	j->options =
	    c->args[ARG_OPTIONS] ? (const char *)sqlite3_value_text(c->args[ARG_OPTIONS]) : NULL;
	j->k = 10;
	if (!j->source || !j->algorithm)
		return SQLITE_NOMEM;
	int rc = rsq_arg_k(c->base.pVtab, c->args[ARG_K], &j->k);
	/* checked before the source is read, in the core's words */
	if (rc == SQLITE_OK && (j->k < 1 || j->k > RS_MAX_K))
		return eval_error(c, sqlite3_mprintf("k must be between 1 and %d (got %d)", RS_MAX_K, j->k));
	return rc;
}

/* xConnect: declare the columns; usable only from top-level SQL. */
static int eval_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err)
{
	(void)aux;
	(void)argc;
	(void)argv;
	int rc = sqlite3_declare_vtab(
	    db, "CREATE TABLE x(k INTEGER, precision REAL, recall REAL, ndcg REAL, map REAL, "
	        "coverage REAL, test_users INTEGER, train_interactions INTEGER, "
	        "test_interactions INTEGER, split TEXT, train_seconds REAL, source HIDDEN, "
	        "algorithm HIDDEN, options HIDDEN, k_arg HIDDEN)");
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("recsys_evaluate: %s", sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	eval_vtab *v = sqlite3_malloc64(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->db = db;
	*out = &v->base;
	return SQLITE_OK;
}

/* xDisconnect / xDestroy. */
static int eval_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

/*
 * idxNum bit layout (shared with eval_filter): bit i (0 <= i < 4) set =
 * hidden argument i (0 source, 1 algorithm, 2 options, 3 k_arg) has an
 * equality constraint, passed to xFilter in increasing i. An unusable
 * argument constraint (lateral join) makes the plan impossible.
 */
static int eval_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	(void)tab;
	unsigned mask;
	if (rsq_bind_args(info, N_OUT, N_ARGS, &mask) != SQLITE_OK)
		return SQLITE_CONSTRAINT;
	info->estimatedCost = (mask & 1u) ? 1e6 : 1e12;
	info->estimatedRows = 1;
	return SQLITE_OK;
}

/* xOpen. */
static int eval_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	(void)v;
	eval_cursor *c = sqlite3_malloc64(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->eof = 1;
	*out = &c->base;
	return SQLITE_OK;
}

/* Forget the previous scan. */
static void eval_reset(eval_cursor *c)
{
	sqlite3_finalize(c->row);
	c->row = NULL;
	c->eof = 1;
	for (int i = 0; i < N_ARGS; i++) {
		sqlite3_value_free(c->args[i]);
		c->args[i] = NULL;
	}
}

/* xClose. */
static int eval_close(sqlite3_vtab_cursor *cur)
{
	eval_reset((eval_cursor *)cur);
	sqlite3_free(cur);
	return SQLITE_OK;
}

/* Position the cursor on the result row built from the core's JSON. */
static int result_row(eval_cursor *c, sqlite3 *db, const char *json)
{
	int rc = sqlite3_prepare_v2(db, ROW_SQL, -1, &c->row, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(c->row, 1, json, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(c->row) == SQLITE_ROW ? SQLITE_OK : SQLITE_ERROR;
	}
	if (rc != SQLITE_OK)
		return eval_error(c, sqlite3_mprintf("recsys_evaluate: %s", sqlite3_errmsg(db)));
	c->eof = 0;
	return SQLITE_OK;
}

/* xFilter (idxNum as in eval_best_index): evaluate, then hold one row. */
static int eval_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv)
{
	(void)idxStr;
	eval_cursor *c = (eval_cursor *)cur;
	sqlite3 *db = ((eval_vtab *)cur->pVtab)->db;
	eval_reset(c);
	for (int i = 0, a = 0; i < N_ARGS; i++) {
		if (!(idxNum & (1 << i)) || a >= argc)
			continue;
		if (!(c->args[i] = sqlite3_value_dup(argv[a++])))
			return SQLITE_NOMEM;
	}
	eval_job j;
	memset(&j, 0, sizeof j);
	j.db = db;
	int rc = check_args(c, &j);
	if (rc == SQLITE_OK)
		rc = run_evaluation(&j);
	if (rc == SQLITE_OK)
		rc = record(&j);
	if (rc == SQLITE_OK)
		rc = result_row(c, db, j.result);
	else if (j.errmsg)
		rc = eval_error(c, j.errmsg);
	else if (rc != SQLITE_NOMEM && !cur->pVtab->zErrMsg)
		rc = eval_error(c, sqlite3_mprintf("recsys_evaluate: %s", sqlite3_errstr(rc)));
	if (rc == SQLITE_OK)
		sqlite3_free(j.errmsg);
	eval_job_free(&j);
	return rc;
}

/* xNext: there is one row. */
static int eval_next(sqlite3_vtab_cursor *cur)
{
	((eval_cursor *)cur)->eof = 1;
	return SQLITE_OK;
}

/* xEof. */
static int eval_eof(sqlite3_vtab_cursor *cur)
{
	return ((eval_cursor *)cur)->eof;
}

/* xColumn: the metrics, then the arguments (k_arg defaults to 10). */
static int eval_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	eval_cursor *c = (eval_cursor *)cur;
	if (col < N_OUT)
		sqlite3_result_value(ctx, sqlite3_column_value(c->row, col));
	else if (c->args[col - N_OUT])
		sqlite3_result_value(ctx, c->args[col - N_OUT]);
	else if (col - N_OUT == ARG_K)
		sqlite3_result_int(ctx, 10);
	else if (col - N_OUT == ARG_ALGORITHM)
		sqlite3_result_text(ctx, "als", -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
	return SQLITE_OK;
}

/* xRowid. */
static int eval_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid)
{
	(void)cur;
	*rowid = 1;
	return SQLITE_OK;
}

/* Eponymous-only: SELECT * FROM recsys_evaluate(source, algorithm, options, k). */
const sqlite3_module rsq_evaluate_module = {
    .iVersion = 0,
    .xConnect = eval_connect,
    .xBestIndex = eval_best_index,
    .xDisconnect = eval_disconnect,
    .xDestroy = eval_disconnect,
    .xOpen = eval_open,
    .xClose = eval_close,
    .xFilter = eval_filter,
    .xNext = eval_next,
    .xEof = eval_eof,
    .xColumn = eval_column,
    .xRowid = eval_rowid,
};
