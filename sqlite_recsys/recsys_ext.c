/*
 * recsys_ext.c - entry point of the SQLite loadable extension.
 *
 * `.load sqlite_recsys/recsys` calls sqlite3_recsys_init, which creates the
 * per-connection context and registers every SQL function and table-valued
 * module from the static tables below. Each registration holds a reference
 * on the context; the last destructor (connection close) frees it. The
 * connection's own scalar functions live here too (pg_recsys.c holds the
 * GUCs and recsys_version()): SQLite has no GUCs, so
 * recsys_set_default_model(name) is the per-connection stand-in for
 * PostgreSQL's recsys.default_model. It lasts until the connection closes;
 * NULL clears it. The name is not checked when set (like a GUC): an unknown
 * default is reported when a call resolves it.
 *
 * The serving functions are also created as connection-local virtual tables
 * of the temp schema (temp.recommend, ...), which unqualified names find
 * before the eponymous ones of main. A statement that reads only them opens
 * no read transaction on the main database, so in rollback-journal mode,
 * while another connection commits a retraining, it is not refused with
 * SQLITE_BUSY before the function runs: the function itself serves the
 * model it has cached (cache.c). Where that table cannot be created (say
 * PRAGMA query_only) or main has a table or view of the name, the
 * eponymous function serves as before.
 */
#include "recsys_sqlite.h"

#include <string.h>

SQLITE_EXTENSION_INIT1

/* SQL: recsys_set_default_model(name or NULL) -> the new default. */
void rsq_fn_set_default_model(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	rsq_ctx *ctx = sqlite3_user_data(c);
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	char *copy = NULL;
	if (name && !(copy = rsq_strdup(name))) {
		sqlite3_result_error_nomem(c);
		return;
	}
	sqlite3_free(ctx->default_model);
	ctx->default_model = copy;
	if (copy)
		sqlite3_result_text(c, copy, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(c);
}

/* SQL: recsys_version() -> the one version string of the project. */
void rsq_fn_version(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_text(c, RS_VERSION, -1, SQLITE_STATIC);
}

/* Scalar functions. Only recsys_version is deterministic and innocuous:
 * the others read or write the model store or connection state. */
static const struct {
	const char *name;
	int n_args;
	int flags;
	void (*fn)(sqlite3_context *, int, sqlite3_value **);
} FUNCTIONS[] = {
    {"recsys_train", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_train},
    {"recsys_train", 3, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_train},
    {"recsys_train", 4, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_train},
    {"recsys_drop_model", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_drop_model},
    {"recsys_set_default_model", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_set_default_model},
    {"recsys_version", 0, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, rsq_fn_version},
};

/* Eponymous table-valued modules; `local`: a serving function that reads
 * only cached models, also created in temp (see the file comment). */
static const struct {
	const char *name;
	const sqlite3_module *module;
	int local;
} MODULES[] = {
    {"recommend", &rsq_recommend_module, 1},
    {"popular_items", &rsq_popular_module, 1},
    {"similar_items", &rsq_similar_module, 1},
    {"recommend_for_items", &rsq_session_module, 1},
    {"recommend_for_session", &rsq_for_session_module, 1},
    {"recsys_models", &rsq_models_module, 0},
    {"recsys_evaluate", &rsq_evaluate_module, 0},
    {"recsys_explain", &rsq_explain_module, 1},
    {"recsys_user_profile", &rsq_profile_module, 1},
};

/* The module of a connection-local table: a copy of the eponymous module
 * that CREATE VIRTUAL TABLE accepts, in the temp schema only. */
typedef struct local_module {
	sqlite3_module module;
	const sqlite3_module *orig;
	rsq_ctx *ctx;
} local_module;

/* xConnect of a local table: the eponymous module's own. */
static int local_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **err)
{
	local_module *lm = aux;
	return lm->orig->xConnect(db, lm->ctx, argc, argv, out, err);
}

/* xCreate of a local table: only temp.<name> (nothing goes into the file). */
static int local_create(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err)
{
	if (argc < 3 || sqlite3_stricmp(argv[1], "temp") != 0) {
		*err = sqlite3_mprintf("%s: a table of this module can only be created in the temp schema",
		                       argc > 0 ? argv[0] : "recsys");
		return SQLITE_ERROR;
	}
	return local_connect(db, aux, argc, argv, out, err);
}

/* Destructor of a local module registration. */
static void local_free(void *p)
{
	local_module *lm = p;
	rsq_ctx_unref(lm->ctx);
	sqlite3_free(lm);
}

/* Register the local module of `name` ("recsys_local_<name>") and create
 * temp.<name>, unless main has a table or view of that name (it wins over
 * the eponymous function, and must keep winning). Failures are not errors:
 * the eponymous function serves then. */
static int register_local(sqlite3 *db, rsq_ctx *ctx, const char *name,
                          const sqlite3_module *orig)
{
	local_module *lm = sqlite3_malloc64(sizeof *lm);
	if (!lm)
		return SQLITE_NOMEM;
	lm->module = *orig;
	lm->module.xCreate = local_create;
	lm->module.xConnect = local_connect;
	lm->orig = orig;
	lm->ctx = rsq_ctx_ref(ctx);
	char *module = sqlite3_mprintf("recsys_local_%s", name);
	int rc = module ? sqlite3_create_module_v2(db, module, &lm->module, lm, local_free)
	                : (local_free(lm), SQLITE_NOMEM);
	char *sql = NULL;
	if (rc == SQLITE_OK && rsq_table_exists_any(db, "main", name) != 1)
		sql = sqlite3_mprintf("CREATE VIRTUAL TABLE IF NOT EXISTS temp.\"%w\" USING \"%w\"",
		                      name, module);
	if (sql)
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	sqlite3_free(module);
	return rc;
}

/* Take one more reference on the context. */
rsq_ctx *rsq_ctx_ref(rsq_ctx *ctx)
{
	ctx->refs++;
	return ctx;
}

/* Drop a reference; the last one frees the cache and the context. */
void rsq_ctx_unref(void *p)
{
	rsq_ctx *ctx = p;
	if (!ctx || --ctx->refs > 0)
		return;
	rsq_cache_clear(ctx);
	rsq_opts_cache_clear(ctx);
	sqlite3_close(ctx->json_db);
	sqlite3_free(ctx->default_model);
	sqlite3_free(ctx->sole_model);
	sqlite3_free(ctx);
}

/* Register everything on db; on failure *pzErrMsg names what failed. */
static int register_all(sqlite3 *db, rsq_ctx *ctx, char **pzErrMsg)
{
	for (size_t i = 0; i < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; i++) {
		int rc = sqlite3_create_function_v2(db, FUNCTIONS[i].name, FUNCTIONS[i].n_args,
		                                    FUNCTIONS[i].flags, rsq_ctx_ref(ctx),
		                                    FUNCTIONS[i].fn, NULL, NULL, rsq_ctx_unref);
		if (rc != SQLITE_OK) {
			*pzErrMsg = sqlite3_mprintf("recsys: cannot register function %s/%d: %s",
			                            FUNCTIONS[i].name, FUNCTIONS[i].n_args,
			                            sqlite3_errmsg(db));
			return rc;
		}
	}
	for (size_t i = 0; i < sizeof MODULES / sizeof MODULES[0]; i++) {
		int rc = sqlite3_create_module_v2(db, MODULES[i].name, MODULES[i].module,
		                                  rsq_ctx_ref(ctx), rsq_ctx_unref);
		if (rc == SQLITE_OK && MODULES[i].local)
			rc = register_local(db, ctx, MODULES[i].name, MODULES[i].module);
		if (rc != SQLITE_OK) {
			*pzErrMsg = sqlite3_mprintf("recsys: cannot register module %s: %s",
			                            MODULES[i].name, sqlite3_errmsg(db));
			return rc;
		}
	}
	return SQLITE_OK;
}

/* The entry point SQLite derives from the file name recsys.so. */
__attribute__((visibility("default"))) int sqlite3_recsys_init(sqlite3 *db, char **pzErrMsg,
                                                               const sqlite3_api_routines *pApi)
{
	SQLITE_EXTENSION_INIT2(pApi);
	if (sqlite3_libversion_number() < 3037000) {
		*pzErrMsg = sqlite3_mprintf("recsys: SQLite 3.37.0 or newer is required (found %s)",
		                            sqlite3_libversion());
		return SQLITE_ERROR;
	}
	rsq_ctx *ctx = sqlite3_malloc64(sizeof *ctx);
	if (!ctx) {
		*pzErrMsg = sqlite3_mprintf("recsys: out of memory");
		return SQLITE_NOMEM;
	}
	memset(ctx, 0, sizeof *ctx);
	ctx->refs = 1;
	ctx->db = db;
	int rc = register_all(db, ctx, pzErrMsg);
	rsq_ctx_unref(ctx);
	return rc;
}
