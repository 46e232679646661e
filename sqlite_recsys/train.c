/*
 * train.c - recsys_train(model, source [, algorithm [, options]]).
 *
 * Reads the caller's table, view or query with SQLite's own statements,
 * streams the rows into the core's builder, trains, serializes and stores
 * the model as a new version (store.c). Returns the core's training
 * summary as JSON text with "model" and "version" in front.
 */
#include "recsys_sqlite.h"

#include <string.h>

/* Everything one training call owns; train_job_free releases it all. */
typedef struct train_job {
	sqlite3 *db;
	const char *name, *source, *algorithm, *options;
	rsq_opts opts;
	rs_config *cfg;
	rs_builder *builder;
	rs_model *model;
	char *summary;       /* rs_free */
	unsigned char *blob; /* rs_free */
	size_t blob_len;
	char *from;             /* quoted table name or "(query)" */
	char *columns;          /* ", "-separated columns of the source */
	int col[RS_COL__COUNT]; /* column index of each role, -1 = absent */
	sqlite3_stmt *probe;    /* trivial statement that notices sqlite3_interrupt() */
	char *errmsg;
	rs_error err;
} train_job;

/* Release every binding and core object of a job. */
static void train_job_free(train_job *j)
{
	rsq_opts_free(&j->opts);
	rs_config_destroy(&j->cfg);
	rs_builder_destroy(&j->builder);
	rs_model_destroy(&j->model);
	rs_free(j->summary);
	rs_free(j->blob);
	sqlite3_free(j->from);
	sqlite3_free(j->columns);
	sqlite3_free(j->errmsg);
	sqlite3_finalize(j->probe);
}

/*
 * Cancel callback for the core, polled on this thread between units of work.
 * SQLite 3.40 has no sqlite3_is_interrupted() (3.41), but a statement run
 * while sqlite3_interrupt() is pending (Ctrl-C in the CLI, an application's
 * timeout) fails with SQLITE_INTERRUPT; a one-row statement is that probe.
 */
static int train_cancelled(void *arg)
{
	train_job *j = arg;
	if (!j->probe)
		return 0;
	sqlite3_reset(j->probe);
	return sqlite3_step(j->probe) == SQLITE_INTERRUPT;
}

/* Record a core failure as the job's error message. */
static int core_fail(train_job *j)
{
	j->errmsg = rsq_core_errmsg(&j->err);
	return j->err.status == RS_ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
}

/* Is `schema` the name of an attached database (main, temp, ...)? */
static int schema_exists(sqlite3 *db, const char *schema)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db,
	                       "SELECT 1 FROM pragma_database_list WHERE name = ?1 COLLATE NOCASE",
	                       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, schema, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

/* Does a table or view exist in `schema` (NULL: in main or temp)? */
static int table_exists(sqlite3 *db, const char *schema, const char *name)
{
	if (schema && !schema_exists(db, schema))
		return 0;
	char *sql = schema
	                ? sqlite3_mprintf(
	                      "SELECT 1 FROM \"%w\".sqlite_schema WHERE type IN ('table', 'view') "
	                      "AND name = ?1 COLLATE NOCASE",
	                      schema)
	                : sqlite3_mprintf(
	                      "SELECT 1 FROM main.sqlite_schema WHERE type IN ('table', 'view') "
	                      "AND name = ?1 COLLATE NOCASE UNION ALL "
	                      "SELECT 1 FROM temp.sqlite_schema WHERE type IN ('table', 'view') "
	                      "AND name = ?1 COLLATE NOCASE");
	sqlite3_stmt *st = NULL;
	int rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

/* A table name, or "schema.table" for an attached database: quoted FROM term. */
static char *quoted_table(sqlite3 *db, const char *source)
{
	if (table_exists(db, NULL, source))
		return sqlite3_mprintf("\"%w\"", source);
	const char *dot = strchr(source, '.');
	if (!dot)
		return NULL;
	char *schema = sqlite3_mprintf("%.*s", (int)(dot - source), source);
	char *from = NULL;
	if (schema && table_exists(db, schema, dot + 1))
		from = sqlite3_mprintf("\"%w\".\"%w\"", schema, dot + 1);
	sqlite3_free(schema);
	return from;
}

/* Turn `source` into a FROM-clause term: a quoted table name or (query). */
static int resolve_source(train_job *j)
{
	if (rsq_starts_with_word(j->source, "select") || rsq_starts_with_word(j->source, "with")) {
		size_t n = strlen(j->source);
		while (n > 0 && strchr(" \t\r\n;", j->source[n - 1]))
			n--;
		/* newlines keep a trailing -- comment from swallowing the ')' */
		j->from = sqlite3_mprintf("(\n%.*s\n)", (int)n, j->source);
		return j->from ? SQLITE_OK : SQLITE_NOMEM;
	}
	j->from = quoted_table(j->db, j->source);
	if (!j->from) {
		j->errmsg = sqlite3_mprintf("source table \"%s\" does not exist", j->source);
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

/* Prepare "SELECT <what> FROM <from> <suffix>"; a smuggled second
 * statement (source "x); DROP ...") is refused. The caller finalizes *st. */
static int prepare_source(train_job *j, const char *what, const char *suffix, sqlite3_stmt **st)
{
	char *sql = sqlite3_mprintf("SELECT %s FROM %s %s", what, j->from, suffix);
	if (!sql)
		return SQLITE_NOMEM;
	const char *tail = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, st, &tail);
	if (rc != SQLITE_OK) {
		j->errmsg = sqlite3_mprintf("cannot read source: %s", sqlite3_errmsg(j->db));
	} else if (tail && tail[strspn(tail, " \t\r\n;")] != '\0') {
		j->errmsg = sqlite3_mprintf("source must be a single query");
		rc = SQLITE_ERROR;
	}
	sqlite3_free(sql);
	return rc;
}

/* Learn the source's columns and find each role's column. */
static int find_columns(train_job *j)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_source(j, "*", "LIMIT 0", &st);
	sqlite3_str *names = sqlite3_str_new(j->db);
	int n = rc == SQLITE_OK ? sqlite3_column_count(st) : 0;
	for (int r = 0; r < RS_COL__COUNT; r++)
		j->col[r] = -1;
	for (int i = 0; i < n; i++) {
		const char *cn = sqlite3_column_name(st, i);
		sqlite3_str_appendf(names, "%s%s", i ? ", " : "", cn ? cn : "?");
		for (int r = 0; r < RS_COL__COUNT && cn; r++)
			if (j->col[r] < 0 && sqlite3_stricmp(cn, rs_config_column(j->cfg, r)) == 0)
				j->col[r] = i;
	}
	sqlite3_finalize(st);
	j->columns = sqlite3_str_finish(names);
	if (rc != SQLITE_OK)
		return rc;
	if (!j->columns && n > 0)
		return SQLITE_NOMEM;
	for (int r = RS_COL_USER; r <= RS_COL_ITEM; r++) {
		if (j->col[r] >= 0)
			continue;
		j->errmsg =
		    sqlite3_mprintf("source has no column \"%s\" (columns found: %s)",
		                    rs_config_column(j->cfg, r), j->columns ? j->columns : "none");
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

/* The select list that reads the roles in order user, item, weight, event, ts. */
static char *select_list(train_job *j)
{
	const char *c[RS_COL__COUNT];
	for (int r = 0; r < RS_COL__COUNT; r++)
		c[r] = rs_config_column(j->cfg, r);
	sqlite3_str *s = sqlite3_str_new(j->db);
	sqlite3_str_appendf(s, "\"%w\", \"%w\"", c[RS_COL_USER], c[RS_COL_ITEM]);
	if (j->col[RS_COL_WEIGHT] >= 0)
		sqlite3_str_appendf(s, ", \"%w\"", c[RS_COL_WEIGHT]);
	else
		sqlite3_str_appendall(s, ", NULL");
	if (j->col[RS_COL_EVENT] >= 0)
		sqlite3_str_appendf(s, ", \"%w\"", c[RS_COL_EVENT]);
	else
		sqlite3_str_appendall(s, ", NULL");
	/* ts: numbers (also as text, e.g. from .import) are unix seconds, text
	 * dates go through unixepoch(); anything else stays text: an error */
	if (j->col[RS_COL_TS] >= 0)
		sqlite3_str_appendf(
		    s,
		    ", CASE WHEN typeof(\"%w\") IN ('integer', 'real', 'null') THEN \"%w\" "
		    "WHEN trim(\"%w\") GLOB '[0-9+-]*' AND trim(\"%w\") NOT GLOB '?*[^0-9.eE]*' "
		    "THEN CAST(\"%w\" AS REAL) "
		    "ELSE coalesce(unixepoch(\"%w\"), CAST(\"%w\" AS TEXT)) END",
		    c[RS_COL_TS], c[RS_COL_TS], c[RS_COL_TS], c[RS_COL_TS], c[RS_COL_TS],
		    c[RS_COL_TS], c[RS_COL_TS]);
	else
		sqlite3_str_appendall(s, ", NULL");
	return sqlite3_str_finish(s);
}

/* Hand one source row to the builder; a ts that is no date is an error. */
static int add_row(train_job *j, sqlite3_stmt *st)
{
	if (sqlite3_column_type(st, 4) == SQLITE_TEXT) {
		j->errmsg = sqlite3_mprintf(
		    "column \"%s\" must be a date or a number of unix seconds, "
		    "not '%s'",
		    rs_config_column(j->cfg, RS_COL_TS), sqlite3_column_text(st, 4));
		return SQLITE_ERROR;
	}
	const char *user = (const char *)sqlite3_column_text(st, 0);
	size_t user_len = (size_t)sqlite3_column_bytes(st, 0);
	const char *item = (const char *)sqlite3_column_text(st, 1);
	size_t item_len = (size_t)sqlite3_column_bytes(st, 1);
	int has_weight = sqlite3_column_type(st, 2) != SQLITE_NULL;
	double weight = has_weight ? sqlite3_column_double(st, 2) : 1.0;
	const char *event = (const char *)sqlite3_column_text(st, 3);
	size_t event_len = (size_t)sqlite3_column_bytes(st, 3);
	int has_ts = sqlite3_column_type(st, 4) != SQLITE_NULL;
	double ts = has_ts ? sqlite3_column_double(st, 4) : 0.0;
	if (rs_builder_add(j->builder, user, user_len, item, item_len, has_weight, weight, event,
	                   event_len, has_ts, ts, &j->err) != RS_OK)
		return core_fail(j);
	return SQLITE_OK;
}

/* Stream every source row into the builder. */
static int feed_rows(train_job *j)
{
	char *what = select_list(j);
	if (!what)
		return SQLITE_NOMEM;
	sqlite3_stmt *st = NULL;
	int rc = prepare_source(j, what, "", &st);
	sqlite3_free(what);
	if (rc == SQLITE_OK && rs_builder_create(j->cfg, &j->builder, &j->err) != RS_OK)
		rc = core_fail(j);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = add_row(j, st);
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	else if (rc != SQLITE_OK && !j->errmsg)
		j->errmsg = sqlite3_mprintf("cannot read source: %s", sqlite3_errmsg(j->db));
	sqlite3_finalize(st);
	return rc;
}

/* Train, serialize and store a new version; *out = the summary to return. */
static int train_and_store(train_job *j, char **out)
{
	rs_callbacks cb = {train_cancelled, j};
	if (sqlite3_prepare_v2(j->db, "SELECT 1", -1, &j->probe, NULL) != SQLITE_OK)
		j->probe = NULL; /* no probe: training simply cannot be interrupted */
	if (rs_train(j->cfg, j->builder, &cb, &j->model, &j->summary, &j->err) != RS_OK)
		return core_fail(j);
	rs_builder_destroy(&j->builder);
	if (rs_model_save(j->model, &j->blob, &j->blob_len, &j->err) != RS_OK)
		return core_fail(j);
	rsq_store_row row = {
	    .name = j->name,
	    .algorithm = rs_config_algorithm(j->cfg),
	    .options = j->options,
	    .summary = j->summary,
	    .users = (sqlite3_int64)rs_model_n_users(j->model),
	    .items = (sqlite3_int64)rs_model_n_items(j->model),
	    .interactions = (sqlite3_int64)rs_model_n_interactions(j->model),
	    .blob = j->blob,
	    .blob_len = j->blob_len,
	};
	sqlite3_int64 version = 0;
	return rsq_store_insert(j->db, &row, &version, out, &j->errmsg);
}

/* Text of argument i, or `dflt` when absent; *is_null set for SQL NULL. */
static const char *arg_text(int argc, sqlite3_value **argv, int i, const char *dflt, int *is_null)
{
	*is_null = 0;
	if (i >= argc)
		return dflt;
	if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
		*is_null = 1;
		return NULL;
	}
	return (const char *)sqlite3_value_text(argv[i]);
}

/* Read and check the arguments; NULL model / source / algorithm are errors. */
static int train_args(train_job *j, int argc, sqlite3_value **argv)
{
	static const char *const NAMES[] = {"model", "source", "algorithm"};
	int is_null[4];
	j->name = arg_text(argc, argv, 0, NULL, &is_null[0]);
	j->source = arg_text(argc, argv, 1, NULL, &is_null[1]);
	j->algorithm = arg_text(argc, argv, 2, "als", &is_null[2]);
	j->options = arg_text(argc, argv, 3, NULL, &is_null[3]);
	for (int i = 0; i < 3; i++) {
		if (is_null[i]) {
			j->errmsg = sqlite3_mprintf("argument \"%s\" must not be null", NAMES[i]);
			return SQLITE_ERROR;
		}
	}
	if (!j->name || !j->source || !j->algorithm)
		return SQLITE_NOMEM;
	if (j->name[0] == '\0') {
		j->errmsg = sqlite3_mprintf("model name must not be empty");
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

/* SQL: recsys_train(model, source [, algorithm [, options]]) -> summary JSON. */
void rsq_fn_train(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	rsq_ctx *ctx = sqlite3_user_data(c);
	train_job j;
	memset(&j, 0, sizeof j);
	j.db = sqlite3_context_db_handle(c);
	char *summary = NULL;
	int rc = train_args(&j, argc, argv);
	if (rc == SQLITE_OK)
		rc = rsq_opts_parse(j.db, j.options, "options", &j.opts, &j.errmsg);
	/* the configuration first: a bad algorithm or option fails fast */
	if (rc == SQLITE_OK &&
	    rs_config_create(j.algorithm, rsq_opts_root(&j.opts), 0, &j.cfg, &j.err) != RS_OK)
		rc = core_fail(&j);
	if (rc == SQLITE_OK)
		rc = resolve_source(&j);
	if (rc == SQLITE_OK)
		rc = find_columns(&j);
	if (rc == SQLITE_OK)
		rc = feed_rows(&j);
	if (rc == SQLITE_OK)
		rc = train_and_store(&j, &summary);
	ctx->snap_valid = 0; /* the store changed (or may have) */
	if (rc == SQLITE_OK)
		sqlite3_result_text(c, summary, -1, sqlite3_free);
	else if (j.errmsg)
		sqlite3_result_error(c, j.errmsg, -1);
	else if (rc == SQLITE_NOMEM)
		sqlite3_result_error_nomem(c);
	else
		sqlite3_result_error(c, sqlite3_errstr(rc), -1);
	train_job_free(&j);
}
