/*
 * source.c - resolve the training source and stream its rows into the core.
 *
 * A source is a table or view name (resolved like any relation name, checked
 * for SELECT privilege and quoted safely) or a query (rs_source_is_query: its
 * first word is SELECT, WITH, VALUES or TABLE). Either way it runs with the
 * caller's privileges, one statement only, and is read in batches so that memory
 * stays flat however large the source is.
 *
 * Side tables (the options "items" and "users") are resolved the same way,
 * before anything is read, and their cells are streamed into the builder
 * after the interactions: numeric columns as numbers, every other type as
 * its text form (booleans "true"/"false", arrays "{a,b}").
 */
#include "pg_recsys.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/varlena.h"

#define RS_FETCH_ROWS 10000

/* The columns the training reads, in the order of the read query. */
typedef struct RsSourceColumns
{
	int			user_att;		/* 1-based attribute numbers in the read query */
	int			item_att;
	int			weight_att;		/* 0 when absent */
	int			event_att;
	int			ts_att;
} RsSourceColumns;

/* A side table to read: the id is column 1 of the query, then ncols cells. */
typedef struct RsSidePlan
{
	rs_side		side;
	char	   *query;			/* NULL: the options name no such table */
	int			ncols;
	char	  **names;			/* column names, as the core sees them */
	bool	   *is_number;		/* read as float8, else as text */
} RsSidePlan;

/* What a batch of fetched rows goes to. */
typedef struct RsReadTarget
{
	const RsSourceColumns *cols;
	const RsSidePlan *side;
	rs_builder *builder;
	rs_import  *import;			/* vector rows (RsAddVectorRow) */
	rs_side		vside;			/* ... of the users or of the items */
	bool		has_bias;		/* column 3 is the bias */
} RsReadTarget;

typedef void (*RsRowFn) (HeapTuple tup, TupleDesc desc, const RsReadTarget *t);

/* The options that name side tables and list their columns, by rs_side. */
static const char *const side_options[2] = {"items", "users"};
static const char *const feature_options[2] = {"item_features", "user_features"};

/* Roles by rs_column_role, then the session column of recommend_for_session. */
static const char *const role_names[RS_COL__COUNT + 1] = {
	"user", "item", "weight", "event", "ts", "session"
};

/*
 * Is the source text a query (else a relation name)? The core decides for
 * both bindings (core/source_kind.c): SELECT, WITH, VALUES or TABLE first,
 * after white space, comments and opening parentheses.
 */
static bool
RsSourceIsQuery(const char *s)
{
	return rs_source_is_query(s) != 0;
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
				 errmsg("source \"%s\" is neither a relation name nor a query", RsShort(source)),
				 errhint("The source must be a table or view name, or a query (SELECT, WITH, VALUES or TABLE).")));
	foreach(lc, parts)
		names = lappend(names, makeString(pstrdup(lfirst(lc))));
	return names;
}

/*
 * The FROM item for a table or view name: checked, quoted, aliased s.
 * `option` names the option a side table came from (NULL: the source).
 */
static char *
RsSourceFromRelation(const char *source, const char *option, Oid *relidp)
{
	RangeVar   *rv = makeRangeVarFromNameList(RsSourceNameList(source));
	Oid			relid = RangeVarGetRelid(rv, AccessShareLock, true);

	if (!OidIsValid(relid) && option != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" named by option \"%s\" does not exist",
						RsShort(source), option),
				 errhint("The option must name a table or view, or be a query (SELECT, WITH, VALUES or TABLE).")));
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", RsShort(source)),
				 errhint("The source must be a table or view name, or a query (SELECT, WITH, VALUES or TABLE).")));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(relid, GetUserId(), ACL_SELECT,
								  ACLMASK_ANY) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid))));
	*relidp = relid;
	return psprintf("%s s",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   get_rel_name(relid)));
}

/*
 * The FROM item (aliased s) that reads `source` (a side table when `option`
 * is not NULL). A query is wrapped in parentheses on lines of its own, so a
 * trailing comment cannot swallow the closing parenthesis; the parser finds
 * its end, so a final ";" and comments after it are left out, and a second
 * statement is refused before anything runs (as in SQLite).
 */
/*
 * The raw parse of a source query. A syntax error says it is the source's
 * (its position counted in the source text, not in the caller's statement):
 * text that closes the wrapping parenthesis to smuggle in a second
 * statement fails here, before anything runs.
 */
static List *
RsParseSource(const char *source, const char *option)
{
	MemoryContext cxt = CurrentMemoryContext;
	List	   *stmts = NIL;

	PG_TRY();
	{
		stmts = raw_parser(source, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 option ? errmsg("%s source must be one valid query: %s", option, ed->message) :
				 errmsg("source must be one valid query: %s", ed->message),
				 ed->cursorpos > 0 ?
				 errdetail("The error is at character %d of the source.", ed->cursorpos) : 0));
	}
	PG_END_TRY();
	return stmts;
}

static char *
RsSourceRelation(const char *source, const char *option, Oid *relid)
{
	List	   *stmts;
	RawStmt    *stmt;
	int			len;

	*relid = InvalidOid;
	if (!RsSourceIsQuery(source))
		return RsSourceFromRelation(source, option, relid);
	/* one statement; what follows it (";", comments) is left out */
	stmts = RsParseSource(source, option);
	if (list_length(stmts) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 option ? errmsg("%s source must be a single query", option) :
				 errmsg("source must be a single query"),
				 errdetail("The text holds %d statements.", list_length(stmts)),
				 errhint("Remove the semicolons between statements; nothing was run.")));
	stmt = linitial_node(RawStmt, stmts);
	len = stmt->stmt_len > 0 ? stmt->stmt_len : (int) strlen(source) - stmt->stmt_location;
	return psprintf("(\n%.*s\n) s", len, source + stmt->stmt_location);
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

/* Error for a column the configuration names but the source (or the
 * side table of option `option`) lacks. */
static void
RsMissingColumn(TupleDesc desc, rs_column_role role, const char *name,
				const char *option)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 option ? errmsg("%s source has no column \"%s\"", option, name) :
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
 * The columns of a FROM item, from the planned (not executed) SELECT *: the
 * privilege checks happen when a read query runs, so a table with a column
 * the caller may not read can still be read without that column.
 */
static TupleDesc
RsProbeColumns(const char *from)
{
	SPIPlanPtr	plan = SPI_prepare(psprintf("SELECT * FROM %s LIMIT 0", from), 0, NULL);
	List	   *sources;
	TupleDesc	desc;

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	sources = SPI_plan_get_plan_sources(plan);
	if (list_length(sources) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("source must be a single query"),
				 errdetail("The source text holds %d statements.", list_length(sources)),
				 errhint("Remove the semicolons between statements; nothing was run.")));
	if (((CachedPlanSource *) linitial(sources))->resultDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("source query returns no columns"),
				 errhint("The source must be a table or view name, or a query (SELECT, WITH, VALUES or TABLE).")));
	desc = CreateTupleDescCopy(((CachedPlanSource *) linitial(sources))->resultDesc);
	SPI_freeplan(plan);
	return desc;
}

/*
 * Learn the source's columns and build the query that reads the roles the
 * configuration asks for. A missing user or item column, or a missing
 * optional column the options name explicitly, is an error.
 */
static char *
RsSourceReadQuery(const char *from, const rs_config *cfg, const rs_opt *opts,
				  RsSourceColumns *cols)
{
	TupleDesc	desc = RsProbeColumns(from);
	StringInfoData sql;
	int		   *atts[RS_COL__COUNT] = {&cols->user_att, &cols->item_att,
	&cols->weight_att, &cols->event_att, &cols->ts_att};
	int			natt = 0;

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
				RsMissingColumn(desc, role, name, NULL);
			continue;
		}
		RsAppendRole(&sql, desc, role, srcatt, atts[role], &natt);
	}
	if (cols->event_att == 0 && rs_opt_get(opts, "event_weights") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("option \"event_weights\" needs an event column: the source has no column \"%s\"",
						rs_config_column(cfg, RS_COL_EVENT)),
				 errdetail("Columns found: %s.", desc->natts ? RsColumnList(desc) : "none"),
				 errhint("Name the event column with the \"event_column\" option.")));
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

/* Hand one fetched row of the source to the builder. */
static void
RsAddRow(HeapTuple tup, TupleDesc desc, const RsReadTarget *t)
{
	const RsSourceColumns *cols = t->cols;
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

	if (rs_builder_add(t->builder, user, ulen, item, ilen, has_weight, weight,
					   event, elen, has_ts, ts, &err) != RS_OK)
		RsReportError(&err);
}

/*
 * Hand the cells of one side-table row to the builder. NULL ids and NULL
 * cells go to the core too (as a NULL id, or as NULL text), which skips them.
 */
static void
RsAddSideRow(HeapTuple tup, TupleDesc desc, const RsReadTarget *t)
{
	const RsSidePlan *plan = t->side;
	size_t		idlen;
	const char *id = RsTextBytes(tup, desc, 1, &idlen);
	rs_error	err;

	for (int c = 0; c < plan->ncols; c++)
	{
		size_t		len = 0;
		const char *text = NULL;
		int			has = 0;
		double		number = 0.0;

		if (plan->is_number[c])
			number = RsFloatValue(tup, desc, c + 2, &has);
		else
			text = RsTextBytes(tup, desc, c + 2, &len);
		if (rs_builder_add_attribute(t->builder, plan->side, id, idlen, plan->names[c],
									 text, len, has, number, &err) != RS_OK)
			RsReportError(&err);
	}
}

/* Stream the rows of a read query to `fn`, RS_FETCH_ROWS at a time. */
static void
RsReadRows(const char *query, RsRowFn fn, const RsReadTarget *t)
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
			fn(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, t);
		MemoryContextSwitchTo(old);
		MemoryContextReset(batch);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(batch);
}

/* Side-table columns are numbers when numeric, else read as text. */
static bool
RsIsNumberType(Oid type)
{
	switch (getBaseType(type))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return true;
		default:
			return false;
	}
}

/* Every column that "item_features" / "user_features" lists must exist. */
static void
RsCheckFeatureColumns(TupleDesc desc, const rs_opt *opts, rs_side side)
{
	const rs_opt *list = rs_opt_get(opts, feature_options[side]);

	for (size_t i = 0; list && list->kind == RS_OPT_ARRAY && i < list->n_children; i++)
	{
		const char *name = list->children[i].string;

		if (name != NULL && RsFindColumn(desc, name) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("%s source has no column \"%s\" named in \"%s\"",
							side_options[side], name, feature_options[side]),
					 errdetail("Columns found: %s.", desc->natts ? RsColumnList(desc) : "none")));
	}
}

/* A side table named as a relation: the caller must be able to read each column used. */
static void
RsCheckColumnPrivilege(Oid relid, const char *name, rs_side side)
{
	AttrNumber	attnum = get_attnum(relid, name);

	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK ||
		(attnum != InvalidAttrNumber &&
		 pg_attribute_aclcheck(relid, attnum, GetUserId(), ACL_SELECT) == ACLCHECK_OK))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for column \"%s\" of table %s",
					name, get_rel_name(relid)),
			 errhint("List the columns to read in the \"%s\" option, or ask for SELECT on the column.",
					 feature_options[side])));
}

/*
 * Resolve the side table the options name (if any) and build its read query:
 * the id column as text first, then each wanted column but the id. Missing
 * tables or columns and unreadable columns are errors, before any reading.
 */
static void
RsSidePlanBuild(const rs_config *cfg, const rs_opt *opts, rs_side side, RsSidePlan *plan)
{
	const char *source = rs_config_side_source(cfg, side);
	rs_column_role role = side == RS_SIDE_ITEMS ? RS_COL_ITEM : RS_COL_USER;
	const char *idname = rs_config_column(cfg, role);
	const char *from;
	Oid			relid;
	TupleDesc	desc;
	int			idatt;
	StringInfoData sql;

	memset(plan, 0, sizeof(*plan));
	plan->side = side;
	if (source == NULL)
		return;
	from = RsSourceRelation(source, side_options[side], &relid);
	desc = RsProbeColumns(from);
	idatt = RsFindColumn(desc, idname);
	if (idatt == 0)
		RsMissingColumn(desc, role, idname, side_options[side]);
	RsCheckFeatureColumns(desc, opts, side);
	plan->names = palloc(Max(desc->natts, 1) * sizeof(char *));
	plan->is_number = palloc(Max(desc->natts, 1) * sizeof(bool));
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT s.%s::text", quote_identifier(idname));
	if (OidIsValid(relid))
		RsCheckColumnPrivilege(relid, idname, side);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);

		if (att->attisdropped || i + 1 == idatt ||
			!rs_config_side_column_wanted(cfg, side, name))
			continue;
		if (OidIsValid(relid))
			RsCheckColumnPrivilege(relid, name, side);
		plan->names[plan->ncols] = pstrdup(name);
		plan->is_number[plan->ncols] = RsIsNumberType(att->atttypid);
		appendStringInfo(&sql, ", s.%s::%s", quote_identifier(name),
						 plan->is_number[plan->ncols] ? "float8" : "text");
		plan->ncols++;
	}
	appendStringInfo(&sql, " FROM %s", from);
	plan->query = sql.data;
}

/*
 * Read everything a training needs into a new builder (*builder, owned by
 * the caller's reset callback): the source's interactions, then the side
 * tables' cells. Every table and column is resolved and checked first, so a
 * mistake fails before a long read. SPI must be connected.
 */
void
RsSourceLoad(const char *source, const rs_config *cfg, const rs_opt *opts,
			 rs_builder **builder)
{
	RsSourceColumns cols;
	RsSidePlan	sides[2];
	RsReadTarget t = {&cols, NULL, NULL, NULL, RS_SIDE_ITEMS, false};
	Oid			relid;
	char	   *query;
	rs_error	err;

	query = RsSourceReadQuery(RsSourceRelation(source, NULL, &relid), cfg, opts, &cols);
	RsSidePlanBuild(cfg, opts, RS_SIDE_ITEMS, &sides[RS_SIDE_ITEMS]);
	RsSidePlanBuild(cfg, opts, RS_SIDE_USERS, &sides[RS_SIDE_USERS]);
	if (rs_builder_create(cfg, builder, &err) != RS_OK)
		RsReportError(&err);
	t.builder = *builder;
	RsReadRows(query, RsAddRow, &t);
	for (int s = RS_SIDE_ITEMS; s <= RS_SIDE_USERS; s++)
	{
		if (sides[s].query == NULL)
			continue;
		t.side = &sides[s];
		RsReadRows(sides[s].query, RsAddSideRow, &t);
	}
}

/*
 * The WHERE clause that picks one key (a user or a session) as text. A text
 * or varchar column is compared as it is, so a plain index on it serves the
 * read; other types are compared as text, which an expression index on
 * ((column::text)) serves (README, "Fresh users").
 */
static char *
RsKeyCondition(TupleDesc desc, int att)
{
	Oid			type = getBaseType(TupleDescAttr(desc, att - 1)->atttypid);
	const char *qname = quote_identifier(NameStr(TupleDescAttr(desc, att - 1)->attname));

	if (type == TEXTOID || type == VARCHAROID || type == BPCHAROID)
		return psprintf(" WHERE s.%s OPERATOR(pg_catalog.=) $1", qname);
	return psprintf(" WHERE s.%s::text OPERATOR(pg_catalog.=) $1", qname);
}

/*
 * Read one user's (key_role "user") or session's ("session") rows of a
 * model's source into a history, with the caller's privileges: the model's
 * item, weight, event and time columns where the source has them. A missing
 * item or key column is an error naming the training option to use.
 */
void
RsSourceReadHistory(const char *source, const rs_model *m, const char *key_role,
					text *key, rs_history *h)
{
	Oid			relid;
	const char *from = RsSourceRelation(source, NULL, &relid);
	TupleDesc	desc = RsProbeColumns(from);
	const char *keyname = rs_model_source_column(m, key_role);
	int			keyatt = RsFindColumn(desc, keyname);
	int			atts[RS_COL__COUNT] = {0};
	int			natt = 0;
	StringInfoData sql;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {PointerGetDatum(key)};
	rs_error	err;

	if (keyatt == 0)
		RsMissingColumn(desc, strcmp(key_role, "user") == 0 ? RS_COL_USER : RS_COL__COUNT,
						keyname, NULL);
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (int role = RS_COL_ITEM; role < RS_COL__COUNT; role++)
	{
		const char *name = rs_model_source_column(m, role_names[role]);
		int			srcatt = RsFindColumn(desc, name);

		if (srcatt == 0 && role == RS_COL_ITEM)
			RsMissingColumn(desc, role, name, NULL);
		if (srcatt != 0)
			RsAppendRole(&sql, desc, role, srcatt, &atts[role], &natt);
	}
	appendStringInfo(&sql, " FROM %s%s", from, RsKeyCondition(desc, keyatt));
	if (SPI_execute_with_args(sql.data, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading the rows of \"%s\" failed", source);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		size_t		ilen,
					elen;
		const char *item = RsTextBytes(tup, SPI_tuptable->tupdesc, atts[RS_COL_ITEM], &ilen);
		const char *event = RsTextBytes(tup, SPI_tuptable->tupdesc, atts[RS_COL_EVENT], &elen);
		int			has_weight,
					has_ts;
		double		weight = RsFloatValue(tup, SPI_tuptable->tupdesc, atts[RS_COL_WEIGHT], &has_weight);
		double		ts = RsFloatValue(tup, SPI_tuptable->tupdesc, atts[RS_COL_TS], &has_ts);

		if (rs_history_add(h, item, ilen, has_weight, weight, event, elen, has_ts, ts,
						   &err) != RS_OK)
			RsReportError(&err);
	}
}

/*
 * What a model records of its source: a table or view as its qualified,
 * quoted name (so reading it later depends on no search_path), a query as
 * its text with the trainer's search_path (the schemas it named, temporary
 * ones left out), which the fresh read sets again (fresh.c).
 */
void
RsSourceForStore(const char *source, char **stored, char **search_path)
{
	Oid			relid;
	StringInfoData path;
	ListCell   *lc;

	*search_path = NULL;
	if (!RsSourceIsQuery(source))
	{
		RsSourceFromRelation(source, NULL, &relid);
		*stored = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											 get_rel_name(relid));
		return;
	}
	*stored = pstrdup(source);
	initStringInfo(&path);
	foreach(lc, fetch_search_path(false))
	{
		Oid			nsp = lfirst_oid(lc);

		if (isAnyTempNamespace(nsp))
			continue;
		appendStringInfo(&path, "%s%s", path.len ? ", " : "",
						 quote_identifier(get_namespace_name(nsp)));
	}
	*search_path = path.len ? path.data : pstrdup("pg_catalog");
}

/*
 * One row of a vector source (recsys_import): the id as text, the features
 * as a one-dimensional float8 array and the bias, handed to the core, which
 * checks lengths, NULLs and values and names the row in its errors.
 */
static void
RsAddVectorRow(HeapTuple tup, TupleDesc desc, const RsReadTarget *t)
{
	size_t		idlen;
	const char *id = RsTextBytes(tup, desc, 1, &idlen);
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, 2, &isnull);
	double	   *v = NULL;
	unsigned char *nulls = NULL;
	int			n = 0;
	int			has_bias = 0;
	double		bias = t->has_bias ? RsFloatValue(tup, desc, 3, &has_bias) : 0.0;
	rs_error	err;

	if (!isnull && id != NULL)
	{
		ArrayType  *arr = DatumGetArrayTypeP(d);
		Datum	   *elems;
		bool	   *elnulls;
		char		sid[RS_SHORT_CAP];
		bool		f4 = ARR_ELEMTYPE(arr) == FLOAT4OID;

		if (ARR_NDIM(arr) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s \"%s\": %s must be a one-dimensional array, not %d-dimensional",
							t->vside == RS_SIDE_USERS ? "user" : "item",
							rs_shorten(id, idlen, sid, sizeof sid),
							rs_import_column(t->import, RS_IMP_FEATURES), ARR_NDIM(arr))));
		if (f4)
			deconstruct_array(arr, FLOAT4OID, 4, true, TYPALIGN_INT, &elems, &elnulls, &n);
		else
			deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
							  &elems, &elnulls, &n);
		v = palloc((n + 1) * sizeof(double));
		nulls = palloc(n + 1);
		for (int k = 0; k < n; k++)
		{
			nulls[k] = elnulls[k];
			v[k] = elnulls[k] ? 0.0 : f4 ? DatumGetFloat4(elems[k]) : DatumGetFloat8(elems[k]);
		}
	}
	if (rs_import_add(t->import, t->vside, id, idlen, v, nulls, n,
					  has_bias ? &bias : NULL, &err) != RS_OK)
		RsReportError(&err);
}

/* The column `name` of a vector source, or an error naming the option. */
static int
RsVectorColumn(TupleDesc desc, const char *arg, const char *name, const char *option)
{
	int			att = RsFindColumn(desc, name);

	if (att == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s source has no column \"%s\"", arg, name),
				 errdetail("Columns found: %s.", desc->natts ? RsColumnList(desc) : "none"),
				 errhint("Rename the column in a query, or name it with the \"%s\" option.", option)));
	return att;
}

/*
 * Read a vector source of recsys_import (`arg`: "user_vectors" or
 * "item_vectors") into the import, with the caller's privileges like a
 * training source: the id column as text, the features column as float8[]
 * (real[], numeric[] and text like '{1,2}' cast), the side's bias column
 * as float8 when the options name one. SPI must be connected.
 */
void
RsSourceLoadVectors(const char *source, const char *arg, rs_import *im, rs_side side)
{
	Oid			relid;
	char	   *from = RsSourceRelation(source, NULL, &relid);
	TupleDesc	desc = RsProbeColumns(from);
	const char *bias = rs_import_column(im, side == RS_SIDE_USERS ? RS_IMP_USER_BIAS : RS_IMP_ITEM_BIAS);
	int			idatt = RsVectorColumn(desc, arg, rs_import_column(im, RS_IMP_ID), "id_column");
	int			fatt = RsVectorColumn(desc, arg, rs_import_column(im, RS_IMP_FEATURES), "features_column");
	StringInfoData sql;
	RsReadTarget t = {NULL, NULL, NULL, im, side, bias != NULL};

	Oid			ftype = getBaseType(TupleDescAttr(desc, fatt - 1)->atttypid);

	/* real[] (what Spark writes) and float8[] are read as they are */
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT s.%s::text, s.%s%s",
					 quote_identifier(NameStr(TupleDescAttr(desc, idatt - 1)->attname)),
					 quote_identifier(NameStr(TupleDescAttr(desc, fatt - 1)->attname)),
					 ftype == FLOAT4ARRAYOID || ftype == FLOAT8ARRAYOID ? "" : "::float8[]");
	if (bias != NULL)
	{
		int			batt = RsVectorColumn(desc, arg, bias, side == RS_SIDE_USERS ?
										  "user_bias_column" : "item_bias_column");

		appendStringInfo(&sql, ", s.%s::float8",
						 quote_identifier(NameStr(TupleDescAttr(desc, batt - 1)->attname)));
	}
	appendStringInfo(&sql, " FROM %s", from);
	RsReadRows(sql.data, RsAddVectorRow, &t);
}
