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
    {"recsys_import", 3, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_import},
    {"recsys_import", 4, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_import},
    {"recsys_drop_model", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_drop_model},
    {"recsys_create_policy", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_create_policy},
    {"recsys_create_policy", 3, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_create_policy},
    {"recsys_create_policy", 4, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_create_policy},
    {"recsys_drop_policy", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_drop_policy},
    {"recsys_set_default_model", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_set_default_model},
    {"recsys_record_outcome", 3, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_record_outcome},
    {"recsys_record_outcome", 4, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_record_outcome},
    {"recsys_record_outcome", 5, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_record_outcome},
    {"recsys_record_outcome", 6, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_record_outcome},
    {"recsys_prune_impressions", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, rsq_fn_prune_impressions},
    {"recsys_version", 0, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, rsq_fn_version},
};

/* The registry of table-valued functions (tvf_common.c): one rsq_tvf spec
 * per function, defined in the file named; the spec says whether the
 * function is also created in temp (see the file comment). Adding a
 * function is its file and one line here. */
#define TVFS(X)                                                                               \
	X(rsq_recommend_tvf)   /* recommend.c */                                                  \
	X(rsq_popular_tvf)     /* recommend.c */                                                  \
	X(rsq_similar_tvf)     /* similar.c */                                                    \
	X(rsq_for_items_tvf)   /* for_items.c */                                                  \
	X(rsq_for_session_tvf) /* fresh.c */                                                      \
	X(rsq_batch_tvf)       /* batch.c */                                                      \
	X(rsq_models_tvf)      /* models.c */                                                     \
	X(rsq_evaluate_tvf)    /* evaluate.c */                                                   \
	X(rsq_explain_tvf)     /* explain.c */                                                    \
	X(rsq_profile_tvf)     /* explain.c */                                                    \
	X(rsq_logged_tvf)      /* logged.c */                                                     \
	X(rsq_item_vectors_tvf) /* vectors.c */                                                   \
	X(rsq_user_vectors_tvf) /* vectors.c */                                                   \
	X(rsq_user_stats_tvf)  /* analytics.c */                                                  \
	X(rsq_policy_report_tvf) /* policy_admin.c */                                             \
	X(rsq_replay_tvf)      /* replay.c */                                                     \
	/* end of the list */

#define DECLARE_TVF(spec) extern const rsq_tvf spec;
#define TVF_ADDRESS(spec) &spec,
TVFS(DECLARE_TVF)
static const rsq_tvf *const TVF_LIST[] = {TVFS(TVF_ADDRESS)};

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
	rsq_policy_cache_clear(ctx);
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
	for (size_t i = 0; i < sizeof TVF_LIST / sizeof TVF_LIST[0]; i++) {
		int rc = rsq_tvf_register(db, ctx, TVF_LIST[i]);
		if (rc != SQLITE_OK) {
			*pzErrMsg = sqlite3_mprintf("recsys: cannot register module %s: %s",
			                            TVF_LIST[i]->name, sqlite3_errmsg(db));
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
