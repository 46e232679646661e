/*
 * models.c - recsys_models: an eponymous virtual table listing the
 * latest version of every stored model (no rows before the first training),
 * with the columns of PostgreSQL's recsys_models view. It reads
 * main.recsys_model_store (and main.recsys_evaluations for the column
 * last_evaluation) with an ordinary statement per scan.
 */
#include "recsys_sqlite.h"

#include <string.h>

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

typedef struct models_cursor {
	sqlite3_vtab_cursor base;
	sqlite3 *db;
	sqlite3_stmt *st; /* NULL when there is no store or the scan ended */
	sqlite3_int64 row;
} models_cursor;

typedef struct models_vtab {
	sqlite3_vtab base;
	sqlite3 *db;
} models_vtab;

/* xConnect: declare the columns. */
static int models_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                          sqlite3_vtab **out, char **err)
{
	(void)aux;
	(void)argc;
	(void)argv;
	int rc = sqlite3_declare_vtab(
	    db, "CREATE TABLE x(name TEXT, version INTEGER, "
	        "algorithm TEXT, trained_at TEXT, users INTEGER, items INTEGER, "
	        "interactions INTEGER, bytes INTEGER, options TEXT, summary TEXT, source TEXT, "
	        "versions_stored INTEGER, last_evaluation TEXT)");
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("recsys_models: %s", sqlite3_errmsg(db));
		return rc;
	}
	models_vtab *v = sqlite3_malloc64(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->db = db;
	*out = &v->base;
	return SQLITE_OK;
}

/* xDisconnect / xDestroy. */
static int models_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

/* xBestIndex: always a full scan of the (small) store; idxNum unused. */
static int models_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
	(void)v;
	info->estimatedCost = 100.0;
	info->estimatedRows = 10;
	return SQLITE_OK;
}

/* xOpen. */
static int models_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	models_cursor *c = sqlite3_malloc64(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->db = ((models_vtab *)v)->db;
	*out = &c->base;
	return SQLITE_OK;
}

/* xClose. */
static int models_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_finalize(((models_cursor *)cur)->st);
	sqlite3_free(cur);
	return SQLITE_OK;
}

/* xNext: step the statement; finalize it at the end. */
static int models_next(sqlite3_vtab_cursor *cur)
{
	models_cursor *c = (models_cursor *)cur;
	int rc = sqlite3_step(c->st);
	c->row++;
	if (rc == SQLITE_ROW)
		return SQLITE_OK;
	sqlite3_finalize(c->st);
	c->st = NULL;
	if (rc == SQLITE_DONE)
		return SQLITE_OK;
	sqlite3_free(cur->pVtab->zErrMsg);
	cur->pVtab->zErrMsg = sqlite3_mprintf("recsys_models: %s", sqlite3_errmsg(c->db));
	return rc;
}

/* xFilter (idxNum unused): start reading the store if it exists. */
static int models_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                         sqlite3_value **argv)
{
	(void)idxNum;
	(void)idxStr;
	(void)argc;
	(void)argv;
	models_cursor *c = (models_cursor *)cur;
	sqlite3_finalize(c->st);
	c->st = NULL;
	c->row = 0;
	int exists = rsq_store_exists(c->db);
	if (exists == 0)
		return SQLITE_OK;
	int evals = exists > 0 ? rsq_table_exists(c->db, RSQ_EVALUATIONS) : 0;
	int source = exists > 0 ? rsq_store_has_source(c->db) : 0;
	char *sql = sqlite3_mprintf(MODELS_SQL, source == 1 ? "source" : "NULL",
	                            evals == 1 ? LAST_EVALUATION : "NULL");
	int rc = exists < 0 || evals < 0 || source < 0 ? SQLITE_ERROR
	         : !sql                  ? SQLITE_NOMEM
	                                 : sqlite3_prepare_v2(c->db, sql, -1, &c->st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		sqlite3_free(cur->pVtab->zErrMsg);
		cur->pVtab->zErrMsg = sqlite3_mprintf("recsys_models: %s", sqlite3_errmsg(c->db));
		return rc;
	}
	return models_next(cur);
}

/* xEof. */
static int models_eof(sqlite3_vtab_cursor *cur)
{
	return ((models_cursor *)cur)->st == NULL;
}

/* xColumn: the statement's column as is. */
static int models_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	sqlite3_result_value(ctx, sqlite3_column_value(((models_cursor *)cur)->st, col));
	return SQLITE_OK;
}

/* xRowid: position in the scan. */
static int models_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid)
{
	*rowid = ((models_cursor *)cur)->row;
	return SQLITE_OK;
}

/* Eponymous-only: SELECT * FROM recsys_models. */
const sqlite3_module rsq_models_module = {
    .iVersion = 0,
    .xConnect = models_connect,
    .xBestIndex = models_best_index,
    .xDisconnect = models_disconnect,
    .xDestroy = models_disconnect,
    .xOpen = models_open,
    .xClose = models_close,
    .xFilter = models_filter,
    .xNext = models_next,
    .xEof = models_eof,
    .xColumn = models_column,
    .xRowid = models_rowid,
};
