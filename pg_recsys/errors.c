/*
 * errors.c - the one place where a core status becomes a PostgreSQL error,
 * plus the NULL-argument check shared by the SQL-callable functions.
 */
#include "pg_recsys.h"

/* The SQLSTATE for a core status. */
static int
RsStatusErrcode(rs_status status)
{
	switch (status)
	{
		case RS_EINVAL:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case RS_EDATA:
			return ERRCODE_DATA_EXCEPTION;
		case RS_ELIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case RS_ENOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case RS_ENOTPD:
			return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
		case RS_ECORRUPT:
			return ERRCODE_DATA_CORRUPTED;
		case RS_ENOTFOUND:
			return ERRCODE_UNDEFINED_OBJECT;
		case RS_ECANCELLED:
			return ERRCODE_QUERY_CANCELED;
		case RS_OK:
			break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

/*
 * Raise the error a core call returned, with `hint` (or NULL) as the hint
 * where the status has none of its own. Core objects must already be owned
 * by a memory context whose reset callback destroys them (see train.c).
 */
void
RsReportErrorHint(const rs_error *err, const char *hint)
{
	const char *msg = err->msg[0] ? err->msg : rs_status_str(err->status);

	ereport(ERROR,
			(errcode(RsStatusErrcode(err->status)),
			 errmsg("%s", msg),
			 err->status == RS_ENOTPD ?
			 errhint("Raise the \"regularization\" option.") : 0,
			 err->status == RS_ECORRUPT ?
			 errhint("Train the model again.") : 0,
			 hint != NULL ? errhint("%s", hint) : 0));
	pg_unreachable();
}

/* Raise the error a core call returned (see RsReportErrorHint). */
void
RsReportError(const rs_error *err)
{
	RsReportErrorHint(err, NULL);
}

/* Functions are not STRICT so that a NULL argument gets an error naming it. */
void
RsCheckNotNull(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must not be null", name)));
}

/*
 * A name or id as error messages show it: at most RS_SHORT_BYTES bytes, cut
 * on a character boundary and marked "...", by the core's rule (rs_shorten)
 * so both databases cut alike and a 100 kB argument does not fill the log.
 */
const char *
RsShort(const char *name)
{
	char	   *buf = palloc(RS_SHORT_CAP);

	return rs_shorten(name, (size_t) -1, buf, RS_SHORT_CAP);
}
