/*
 * models.c - recsys_models: a table-valued function without arguments
 * (tvf_common.c) listing the latest version of every stored model (no rows
 * before the first training), with the columns of PostgreSQL's
 * recsys_models view. It reads main.recsys_model_store (and
 * main.recsys_evaluations for the column last_evaluation) with an ordinary
 * statement per scan, a row at a time.
 */
#include "recsys_sqlite.h"

/* %s: the source column (NULL in a store an older build wrote), then the
 * last_evaluation expression (NULL before the first record). */
static const char MODELS_SQL[] =
	"SELECT name, version, algorithm, trained_at, users, items, interactions, bytes, options, "
	"summary, %s, (SELECT count(*) FROM main." RSQ_STORE " WHERE name = s.name), %s FROM main." RSQ_STORE
	" s WHERE version = (SELECT max(version) FROM main." RSQ_STORE " WHERE name = s.name) "
	"ORDER BY name";
static const char LAST_EVALUATION[] =
	"(SELECT json_set(e.metrics, '$.evaluated_at', e.evaluated_at) FROM main." RSQ_EVALUATIONS
	" e WHERE e.name = s.name)";

/* Step the statement onto the next row; finalize it at the end. */
static int models_step(rsq_cursor *c)
{
	sqlite3 *db = c->ctx->db;
	int rc = sqlite3_step(c->stmt);
	if (rc == SQLITE_ROW) {
		c->n = c->pos + 1;
		return SQLITE_OK;
	}
	sqlite3_finalize(c->stmt);
	c->stmt = NULL;
	if (rc == SQLITE_DONE)
		return SQLITE_OK;
	rsq_cursor_error(c, sqlite3_mprintf("recsys_models: %s", sqlite3_errmsg(db)));
	return rc;
}

/* Start reading the store if it exists (else no rows). */
static int models_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	(void)k;
	(void)opts;
	sqlite3 *db = c->ctx->db;
	int exists = rsq_store_exists(db);
	if (exists == 0)
		return SQLITE_OK;
	int evals = exists > 0 ? rsq_table_exists(db, RSQ_EVALUATIONS) : 0;
	int source = exists > 0 ? rsq_store_has_source(db) : 0;
	char *sql = sqlite3_mprintf(MODELS_SQL, source == 1 ? "source" : "NULL",
	                            evals == 1 ? LAST_EVALUATION : "NULL");
	int rc = exists < 0 || evals < 0 || source < 0 ? SQLITE_ERROR
	         : !sql                                 ? SQLITE_NOMEM
	                                                : sqlite3_prepare_v2(db, sql, -1, &c->stmt, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		rsq_cursor_error(c, sqlite3_mprintf("recsys_models: %s", sqlite3_errmsg(db)));
		return rc;
	}
	return models_step(c);
}

const rsq_tvf rsq_models_tvf = {
    .name = "recsys_models",
    .schema = "CREATE TABLE x(name TEXT, version INTEGER, algorithm TEXT, trained_at TEXT, "
              "users INTEGER, items INTEGER, interactions INTEGER, bytes INTEGER, "
              "options TEXT, summary TEXT, source TEXT, versions_stored INTEGER, "
              "last_evaluation TEXT)",
    .n_out = 13,
    .cost = 100,
    .compute = models_compute,
    .column = rsq_stmt_column,
    .next = models_step,
};
