/*
 * functions.c - the small scalar functions: recsys_drop_model,
 * recsys_set_default_model and recsys_version.
 *
 * SQLite has no GUCs: recsys_set_default_model(name) is the per-connection
 * stand-in for PostgreSQL's recsys.default_model. It lasts until the
 * connection closes; NULL clears it. The name is not checked when set
 * (like a GUC): an unknown default is reported when a call resolves it.
 */
#include "recsys_sqlite.h"

/* SQL: recsys_drop_model(name) -> 1; an unknown model is an error. */
void rsq_fn_drop_model(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	rsq_ctx *ctx = sqlite3_user_data(c);
	sqlite3 *db = sqlite3_context_db_handle(c);
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	if (!name) {
		rsq_result_errmsg(c, sqlite3_mprintf("argument \"model\" must not be null"));
		return;
	}
	int deleted = 0;
	char *errmsg = NULL;
	if (rsq_store_drop(db, name, &deleted, &errmsg) != SQLITE_OK) {
		rsq_result_errmsg(c, errmsg);
		return;
	}
	if (deleted == 0) {
		rsq_result_errmsg(c, rsq_unknown_model_msg(db, name));
		return;
	}
	rsq_cache_forget(ctx, name);
	sqlite3_result_int(c, 1);
}

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
