/*
 * errors.c - error reporting and small text helpers of the SQLite binding.
 *
 * Core errors are shown with the core's message verbatim, so the same
 * mistake reads the same in SQLite and in PostgreSQL.
 */
#include "recsys_sqlite.h"

#include <string.h>

/* The core's message, or the status text when the message is empty. */
char *rsq_core_errmsg(const rs_error *err)
{
	if (err->msg[0])
		return sqlite3_mprintf("%s", err->msg);
	return sqlite3_mprintf("%s", rs_status_str(err->status));
}

/* Report an mprintf'd message (NULL means out of memory) and free it. */
void rsq_result_errmsg(sqlite3_context *c, char *msg)
{
	if (!msg) {
		sqlite3_result_error_nomem(c);
		return;
	}
	sqlite3_result_error(c, msg, -1);
	sqlite3_free(msg);
}

/* A model name is not empty and has at most RSQ_MAX_NAME bytes (PostgreSQL's
 * NAMEDATALEN - 1, its cache key), with PostgreSQL's words. */
int rsq_check_model_name(const char *name, char **errmsg)
{
	char sname[RS_SHORT_CAP];
	if (name[0] == '\0')
		*errmsg = sqlite3_mprintf("model name must not be empty");
	else if (strlen(name) > RSQ_MAX_NAME)
		*errmsg = sqlite3_mprintf("model name \"%s\" is too long (model names have at most %d bytes)",
		                          RSQ_SHORT(sname, name), RSQ_MAX_NAME);
	else
		return SQLITE_OK;
	return *errmsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Locked by another connection for now? */
int rsq_is_locked(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* The private in-memory connection for JSON (see recsys_sqlite.h). */
sqlite3 *rsq_json_db(rsq_ctx *ctx)
{
	if (!ctx->json_db &&
	    sqlite3_open_v2(":memory:", &ctx->json_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY,
	                    NULL) != SQLITE_OK) {
		sqlite3_close(ctx->json_db);
		ctx->json_db = NULL;
	}
	return ctx->json_db;
}

/* Copy a string with sqlite3_malloc64. */
char *rsq_strdup(const char *s)
{
	return s ? sqlite3_mprintf("%s", s) : NULL;
}

/*
 * SQLite 3.40 has no sqlite3_is_interrupted() (3.41), but a statement run
 * while sqlite3_interrupt() is pending fails with SQLITE_INTERRUPT.
 */
int rsq_interrupted(void *probe)
{
	if (!probe)
		return 0;
	sqlite3_reset(probe);
	return sqlite3_step(probe) == SQLITE_INTERRUPT;
}
