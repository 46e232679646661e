/*
 * recsys_ext.c - entry point of the SQLite loadable extension.
 *
 * `.load sqlite_recsys/recsys` calls sqlite3_recsys_init, which creates the
 * per-connection context and registers every SQL function and table-valued
 * module from the static tables below. Each registration holds a reference
 * on the context; the last destructor (connection close) frees it.
 */
#include "recsys_sqlite.h"

#include <string.h>

SQLITE_EXTENSION_INIT1

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

/* Eponymous table-valued modules. */
static const struct {
	const char *name;
	const sqlite3_module *module;
} MODULES[] = {
    {"recommend", &rsq_recommend_module},
    {"popular_items", &rsq_popular_module},
    {"similar_items", &rsq_similar_module},
    {"recommend_for_items", &rsq_session_module},
    {"recommend_for_session", &rsq_for_session_module},
    {"recsys_models", &rsq_models_module},
    {"recsys_evaluate", &rsq_evaluate_module},
    {"recsys_explain", &rsq_explain_module},
    {"recsys_user_profile", &rsq_profile_module},
};

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
