/*
 * errors.c - the one place where a core status becomes an SQLite result
 * code, plus error reporting and small text helpers of the SQLite binding.
 *
 * Core errors are shown with the core's message verbatim, so the same
 * mistake reads the same in SQLite and in PostgreSQL (pg_recsys/errors.c).
 */
#include "recsys_sqlite.h"

/* The core's message, or the status text when the message is empty. */
char *rsq_core_errmsg(const rs_error *err)
{
	if (err->msg[0])
		return sqlite3_mprintf("%s", err->msg);
	return sqlite3_mprintf("%s", rs_status_str(err->status));
}

/* A failed core call: SQLITE_NOMEM when the core ran out of memory, else
 * SQLITE_ERROR; *errmsg gets the core's message either way. */
int rsq_core_fail(const rs_error *err, char **errmsg)
{
	*errmsg = rsq_core_errmsg(err);
	return err->status == RS_ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
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

/* Locked by another connection for now? */
int rsq_is_locked(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* Copy a string with sqlite3_malloc64. */
char *rsq_strdup(const char *s)
{
	return s ? sqlite3_mprintf("%s", s) : NULL;
}
