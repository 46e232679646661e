/*
 * source.c - resolve the training source and stream its rows into the core.
 *
 * A source is a table or view name (resolved like any relation name, checked
 * for SELECT privilege and quoted safely) or a query beginning with SELECT or
 * WITH. Either way it runs with the caller's privileges through SPI cursors,
 * which refuse multi-statement text, and is read in batches so that memory
 * stays flat however large the source is.
 */
#include "pg_recsys.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#define RS_FETCH_ROWS 10000

static const char *const role_names[RS_COL__COUNT] = {
	"user", "item", "weight", "event", "ts"
};

/* True for characters that may continue an SQL keyword or identifier. */
static bool
RsIsIdentChar(char c)
{
	return isalnum((unsigned char) c) || c == '_' || c == '$';
}

/* Does the source text start (after whitespace) with SELECT or WITH? */
static bool
RsSourceIsQuery(const char *s)
{
	while (isspace((unsigned char) *s))
		s++;
	if (pg_strncasecmp(s, "select", 6) == 0 && !RsIsIdentChar(s[6]))
		return true;
	return pg_strncasecmp(s, "with", 4) == 0 && !RsIsIdentChar(s[4]);
}

/* The parts of a possibly qualified, possibly quoted relation name. */
static List *
RsSourceNameList(const char *source)
{
	char	   *raw = pstrdup(source);
	List	   *parts = NIL;
	List	   *names = NIL;
	ListCell   *lc;

	if (!SplitIdentifierString(raw, '.', &parts) || parts == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source \"%s\" is neither a relation name nor a query", source),
				 errhint("The source must be a table or view name, or a query beginning with SELECT or WITH.")));
	foreach(lc, parts)
		names = lappend(names, makeString(pstrdup(lfirst(lc))));
	return names;
}

/* The FROM item for a table or view name: checked, quoted, aliased s. */
static char *
RsSourceFromRelation(const char *source)
{
	RangeVar   *rv = makeRangeVarFromNameList(RsSourceNameList(source));
	Oid			relid = RangeVarGetRelid(rv, AccessShareLock, true);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", source),
				 errhint("The source must be a table or view name, or a query beginning with SELECT or WITH.")));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(relid, GetUserId(), ACL_SELECT,
								  ACLMASK_ANY) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid))));
	return psprintf("%s s",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   get_rel_name(relid)));
}

/*
 * The FROM item (aliased s) that reads `source`. A query is wrapped in
 * parentheses on lines of its own, so a trailing comment cannot swallow the
 * closing parenthesis; trailing semicolons are dropped.
 */
char *
RsSourceRelation(const char *source)
{
	char	   *q;
	int			len;

	if (!RsSourceIsQuery(source))
		return RsSourceFromRelation(source);
	q = pstrdup(source);
	len = strlen(q);
	while (len > 0 && (isspace((unsigned char) q[len - 1]) || q[len - 1] == ';'))
		q[--len] = '\0';
	return psprintf("(\n%s\n) s", q);
}

/* Open a read-only cursor on `sql` (one statement only; SPI must be connected). */
static Portal
RsOpenCursor(const char *sql)
{
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	return SPI_cursor_open(NULL, plan, NULL, NULL, false);
}

/* 1-based number of the column named `name` in `desc`, or 0. */
static int
RsFindColumn(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return i + 1;
	}
	return 0;
}

/* "a, b, c": the column names of `desc`, for error details. */
static char *
RsColumnList(TupleDesc desc)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < desc->natts; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "",
						 quote_identifier(NameStr(TupleDescAttr(desc, i)->attname)));
	return buf.data;
}

/* Error for a column the configuration names but the source lacks. */
static void
RsMissingColumn(TupleDesc desc, rs_column_role role, const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("source has no column \"%s\"", name),
			 errdetail("Columns found: %s.", desc->natts ? RsColumnList(desc) : "none"),
			 errhint("Rename the column in a query, or name it with the \"%s_column\" option.",
					 role_names[role])));
}

/* SQL expression giving the time column as unix seconds (float8). */
static char *
RsTsExpr(TupleDesc desc, int att, const char *qname)
{
	Oid			type = getBaseType(TupleDescAttr(desc, att - 1)->atttypid);

	switch (type)
	{
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case DATEOID:
			return psprintf("extract(epoch FROM s.%s)::float8", qname);
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return psprintf("s.%s::float8", qname);
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" must be a timestamp, date or number, not %s",
							NameStr(TupleDescAttr(desc, att - 1)->attname),
							format_type_be(type))));
	}
	return NULL;				/* keep the compiler quiet */
}

/* Append the select-list entry of one role; sets *att to its position. */
static void
RsAppendRole(StringInfo sql, TupleDesc desc, rs_column_role role, int srcatt,
			 int *att, int *natt)
{
	const char *qname = quote_identifier(NameStr(TupleDescAttr(desc, srcatt - 1)->attname));

	if (*natt > 0)
		appendStringInfoString(sql, ", ");
	if (role == RS_COL_TS)
		appendStringInfoString(sql, RsTsExpr(desc, srcatt, qname));
	else
		appendStringInfo(sql, "s.%s::%s", qname,
						 role == RS_COL_WEIGHT ? "float8" : "text");
	*att = ++(*natt);
}

/*
 * Learn the source's columns (SELECT * ... LIMIT 0) and build the query that
 * reads the roles the configuration asks for. A missing user or item column,
 * or a missing optional column the options name explicitly, is an error.
 */
char *
RsSourceReadQuery(const char *from, const rs_config *cfg, const rs_opt *opts,
				  RsSourceColumns *cols)
{
	Portal		probe = RsOpenCursor(psprintf("SELECT * FROM %s LIMIT 0", from));
	TupleDesc	desc = CreateTupleDescCopy(probe->tupDesc);
	StringInfoData sql;
	int		   *atts[RS_COL__COUNT] = {&cols->user_att, &cols->item_att,
	&cols->weight_att, &cols->event_att, &cols->ts_att};
	int			natt = 0;

	SPI_cursor_close(probe);
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (int role = 0; role < RS_COL__COUNT; role++)
	{
		const char *name = rs_config_column(cfg, role);
		int			srcatt = RsFindColumn(desc, name);

		*atts[role] = 0;
		if (srcatt == 0)
		{
			char	   *key = psprintf("%s_column", role_names[role]);

			if (role <= RS_COL_ITEM || rs_opt_get(opts, key) != NULL)
				RsMissingColumn(desc, role, name);
			continue;
		}
		RsAppendRole(&sql, desc, role, srcatt, atts[role], &natt);
	}
	appendStringInfo(&sql, " FROM %s", from);
	return sql.data;
}

/* Bytes of a text datum (detoasted into the current context). */
static const char *
RsTextBytes(HeapTuple tup, TupleDesc desc, int att, size_t *len)
{
	bool		isnull;
	Datum		d;
	text	   *t;

	*len = 0;
	if (att == 0)
		return NULL;
	d = SPI_getbinval(tup, desc, att, &isnull);
	if (isnull)
		return NULL;
	t = DatumGetTextPP(d);
	*len = VARSIZE_ANY_EXHDR(t);
	return VARDATA_ANY(t);
}

/* A float8 column: *has = 0 when absent or NULL. */
static double
RsFloatValue(HeapTuple tup, TupleDesc desc, int att, int *has)
{
	bool		isnull = true;
	Datum		d = att ? SPI_getbinval(tup, desc, att, &isnull) : (Datum) 0;

	*has = !isnull;
	return isnull ? 0.0 : DatumGetFloat8(d);
}

/* Hand one fetched row to the builder. */
static void
RsAddRow(HeapTuple tup, TupleDesc desc, const RsSourceColumns *cols,
		 rs_builder *builder)
{
	size_t		ulen,
				ilen,
				elen;
	const char *user = RsTextBytes(tup, desc, cols->user_att, &ulen);
	const char *item = RsTextBytes(tup, desc, cols->item_att, &ilen);
	const char *event = RsTextBytes(tup, desc, cols->event_att, &elen);
	int			has_weight,
				has_ts;
	double		weight = RsFloatValue(tup, desc, cols->weight_att, &has_weight);
	double		ts = RsFloatValue(tup, desc, cols->ts_att, &has_ts);
	rs_error	err;

	if (rs_builder_add(builder, user, ulen, item, ilen, has_weight, weight,
					   event, elen, has_ts, ts, &err) != RS_OK)
		RsReportError(&err);
}

/* Stream the rows of the read query into the builder, RS_FETCH_ROWS at a time. */
void
RsSourceRead(const char *query, const RsSourceColumns *cols, rs_builder *builder)
{
	Portal		portal = RsOpenCursor(query);
	MemoryContext batch = AllocSetContextCreate(CurrentMemoryContext,
												"recsys source batch",
												ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		MemoryContext old;

		SPI_cursor_fetch(portal, true, RS_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(batch);
		for (uint64 i = 0; i < SPI_processed; i++)
			RsAddRow(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, cols, builder);
		MemoryContextSwitchTo(old);
		MemoryContextReset(batch);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(batch);
}
