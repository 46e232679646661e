/*
 * util.c - error reporting and small text helpers of the SQLite binding.
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

/* Case-insensitive keyword test after leading white space. */
int rsq_starts_with_word(const char *text, const char *keyword)
{
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r' || *text == '(')
		text++;
	size_t n = strlen(keyword);
	if (sqlite3_strnicmp(text, keyword, (int)n) != 0)
		return 0;
	char next = text[n];
	return !(next == '_' || (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
	         (next >= '0' && next <= '9'));
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
