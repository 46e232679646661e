/*
 * source.c - resolve the training source and the side tables and stream
 * their rows into the core's builder (shared by recsys_train and
 * recsys_evaluate).
 *
 * A source is a query when the core says so (rs_source_is_query: SELECT,
 * WITH, VALUES or TABLE first), else a table or view name (main, temp, or
 * "schema.table" of an attached database), used only as a quoted
 * identifier. A query must be one statement (checked on its own and once
 * wrapped, before anything runs) and is read as a subquery.
 *
 * SQL text stored in the database file (a model's source, side tables in
 * its options) is run only while PRAGMA trusted_schema is on, as SQLite
 * treats the file's own views and triggers: rsq_check_stored_sql, which
 * the callers that re-read a stored source ask first.
 * Side tables (the options "items" and "users") are resolved the same way
 * before anything is read; their cells go to the core as numbers (INTEGER
 * and REAL values) or as text (TEXT and BLOB values), by each value's
 * storage class. NULL cells reach the core as NULL text, which skips them.
 * A pending sqlite3_interrupt() stops any of these reads.
 */
#include "recsys_sqlite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The options that name side tables and list their columns, by rs_side. */
static const char *const SIDE_OPTION[2] = {"items", "users"};
static const char *const FEATURE_OPTION[2] = {"item_features", "user_features"};

/* A side table to read: "SELECT what FROM from", the id first, then n cells. */
typedef struct side_plan {
	char *what;   /* NULL: the options name no such table */
	char *from;   /* quoted table name or "(query)" */
	char **names; /* column names, as the core sees them */
	int n;
} side_plan;

/* Everything one load owns; reader_free releases it. */
typedef struct reader {
	sqlite3 *db;
	const rs_config *cfg;
	const rs_opt *opts;
	char *from;             /* the source: quoted table name or "(query)" */
	const char *names[RS_COL__COUNT]; /* column name of each role */
	int col[RS_COL__COUNT]; /* column index of each role, -1 = absent */
	rs_history *hist;       /* reading one key's rows (fresh.c): here, not a builder */
	const char *key;        /* that key (user or session id, in the user slot) */
	int key_len;
	side_plan side[2];
	char *errmsg;
	rs_error err;
} reader;

/* Release the reader's statements' texts and names (not errmsg). */
static void reader_free(reader *r)
{
	sqlite3_free(r->from);
	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < r->side[s].n; i++)
			sqlite3_free(r->side[s].names[i]);
		sqlite3_free(r->side[s].names);
		sqlite3_free(r->side[s].what);
		sqlite3_free(r->side[s].from);
	}
}


/* Is `schema` the name of an attached database (main, temp, ...)? */
static int schema_exists(sqlite3 *db, const char *schema)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db,
	                       "SELECT 1 FROM pragma_database_list WHERE name = ?1 COLLATE NOCASE",
	                       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, schema, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

/* Does a table or view exist in `schema` (NULL: in main or temp)? */
static int table_exists(sqlite3 *db, const char *schema, const char *name)
{
	if (schema && !schema_exists(db, schema))
		return 0;
	char *sql = schema
	                ? sqlite3_mprintf(
	                      "SELECT 1 FROM \"%w\".sqlite_schema WHERE type IN ('table', 'view') "
	                      "AND name = ?1 COLLATE NOCASE",
	                      schema)
	                : sqlite3_mprintf(
	                      "SELECT 1 FROM main.sqlite_schema WHERE type IN ('table', 'view') "
	                      "AND name = ?1 COLLATE NOCASE UNION ALL "
	                      "SELECT 1 FROM temp.sqlite_schema WHERE type IN ('table', 'view') "
	                      "AND name = ?1 COLLATE NOCASE");
	sqlite3_stmt *st = NULL;
	int rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

/* A table name, or "schema.table" for an attached database: quoted FROM
 * term. The text is only ever an identifier: each part is quoted with ""
 * doubled, so quotes or SQL in a name (say one stored in the file) name a
 * table that does not exist. */
static char *quoted_table(sqlite3 *db, const char *source)
{
	if (table_exists(db, NULL, source))
		return sqlite3_mprintf("\"%w\"", source);
	const char *dot = strchr(source, '.');
	if (!dot)
		return NULL;
	char *schema = sqlite3_mprintf("%.*s", (int)(dot - source), source);
	char *from = NULL;
	if (schema && table_exists(db, schema, dot + 1))
		from = sqlite3_mprintf("\"%w\".\"%w\"", schema, dot + 1);
	sqlite3_free(schema);
	return from;
}

/* Past white space, semicolons and comments: what follows a statement. */
static const char *skip_between_statements(const char *s)
{
	for (;;) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == ';') {
			s++;
		} else if (s[0] == '-' && s[1] == '-') {
			s += strcspn(s, "\n");
		} else if (s[0] == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");
			s = end ? end + 2 : s + strlen(s); /* SQLite ends an open comment at the end */
		} else {
			return s;
		}
	}
}

/* The label of a read in messages: "source", "items source", "users source". */
static const char *read_label(const char *option)
{
	return !option ? "source" : option[0] == 'i' ? "items source" : "users source";
}

/*
 * A query source as a FROM term: "(\n<query>\n)". It must be one statement:
 * prepared on its own (never run), what follows its first statement may
 * only be white space, semicolons and comments; the trailing ones are cut
 * off. A text SQLite cannot prepare on its own, e.g. "(SELECT ...)", is
 * wrapped with its trailing semicolons cut; prepare_from checks the
 * wrapped statement again.
 */
static int wrap_query(reader *r, const char *source, const char *option, char **from)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	size_t n = strlen(source);
	if (sqlite3_prepare_v2(r->db, source, -1, &st, &tail) == SQLITE_OK && st && tail) {
		if (*skip_between_statements(tail) != '\0') {
			sqlite3_finalize(st);
			r->errmsg = sqlite3_mprintf("%s must be a single query", read_label(option));
			return SQLITE_ERROR;
		}
		n = (size_t)(tail - source);
	}
	sqlite3_finalize(st);
	while (n > 0 && strchr(" \t\r\n\f;", source[n - 1]))
		n--;
	/* newlines keep a trailing -- comment from swallowing the ')' */
	*from = sqlite3_mprintf("(\n%.*s\n)", (int)n, source);
	return *from ? SQLITE_OK : SQLITE_NOMEM;
}

/* Turn `source` into a FROM-clause term (*from): a quoted table name or
 * (query), as the core decides (rs_source_is_query). `option` names the
 * option of a side table (NULL: the source). */
static int resolve(reader *r, const char *source, const char *option, char **from)
{
	if (rs_source_is_query(source))
		return wrap_query(r, source, option, from);
	*from = quoted_table(r->db, source);
	if (*from)
		return SQLITE_OK;
	char name[RS_SHORT_CAP];
	rs_shorten(source, (size_t)-1, name, sizeof name);
	if (option)
		r->errmsg = sqlite3_mprintf("relation \"%s\" named by option \"%s\" does not exist",
		                            name, option);
	else
		r->errmsg = sqlite3_mprintf("source table \"%s\" does not exist", name);
	return SQLITE_ERROR;
}

/* Prepare "SELECT <what> FROM <from> <suffix>"; a smuggled second
 * statement (source "x); DROP ...") is refused before anything runs. The
 * caller finalizes *st. `label` names the source in messages ("source",
 * "items source"). */
static int prepare_from(reader *r, const char *label, const char *what, const char *from,
                        const char *suffix, sqlite3_stmt **st)
{
	char *sql = sqlite3_mprintf("SELECT %s FROM %s %s", what, from, suffix);
	if (!sql)
		return SQLITE_NOMEM;
	const char *tail = NULL;
	int rc = sqlite3_prepare_v2(r->db, sql, -1, st, &tail);
	if (rc != SQLITE_OK) {
		r->errmsg = sqlite3_mprintf("cannot read %s: %s", label, sqlite3_errmsg(r->db));
	} else if (tail && *skip_between_statements(tail) != '\0') {
		r->errmsg = sqlite3_mprintf("%s must be a single query", label);
		rc = SQLITE_ERROR;
	}
	sqlite3_free(sql);
	return rc;
}

/* The column names of a FROM term (*st prepared with LIMIT 0, *names their
 * ", "-separated list for messages). */
static int probe_columns(reader *r, const char *label, const char *from, sqlite3_stmt **st,
                         char **names)
{
	*names = NULL;
	int rc = prepare_from(r, label, "*", from, "LIMIT 0", st);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_str *s = sqlite3_str_new(r->db);
	int n = sqlite3_column_count(*st);
	for (int i = 0; i < n; i++) {
		const char *cn = sqlite3_column_name(*st, i);
		char name[RS_SHORT_CAP];
		sqlite3_str_appendf(s, "%s%s", i ? ", " : "",
		                    cn ? rs_shorten(cn, (size_t)-1, name, sizeof name) : "?");
	}
	*names = sqlite3_str_finish(s);
	return *names || n == 0 ? SQLITE_OK : SQLITE_NOMEM;
}

/* Learn the source's columns and find each role's column. */
static int find_columns(reader *r)
{
	sqlite3_stmt *st = NULL;
	char *names = NULL;
	int rc = probe_columns(r, "source", r->from, &st, &names);
	int n = rc == SQLITE_OK ? sqlite3_column_count(st) : 0;
	for (int c = 0; c < RS_COL__COUNT; c++)
		r->col[c] = -1;
	for (int i = 0; i < n; i++) {
		const char *cn = sqlite3_column_name(st, i);
		for (int c = 0; c < RS_COL__COUNT && cn; c++)
			if (r->col[c] < 0 && sqlite3_stricmp(cn, r->names[c]) == 0)
				r->col[c] = i;
	}
	sqlite3_finalize(st);
	char name[RS_SHORT_CAP];
	for (int c = RS_COL_USER; rc == SQLITE_OK && c <= RS_COL_ITEM; c++) {
		if (r->col[c] >= 0)
			continue;
		r->errmsg = sqlite3_mprintf("source has no column \"%s\" (columns found: %s)",
		                            rs_shorten(r->names[c], (size_t)-1, name, sizeof name),
		                            names ? names : "none");
		rc = SQLITE_ERROR;
	}
	/* event weights without an event column would skip every row as an
	 * unknown event: say which column is missing instead */
	if (rc == SQLITE_OK && r->col[RS_COL_EVENT] < 0 && rs_opt_get(r->opts, "event_weights")) {
		r->errmsg = sqlite3_mprintf(
		    "option \"event_weights\" needs an event column: the source has no column \"%s\" "
		    "(columns found: %s; name the event column with the \"event_column\" option)",
		    rs_shorten(r->names[RS_COL_EVENT], (size_t)-1, name, sizeof name),
		    names ? names : "none");
		rc = SQLITE_ERROR;
	}
	sqlite3_free(names);
	return rc;
}

/* The select list that reads the roles in order user, item, weight, event, ts. */
static char *select_list(reader *r)
{
	const char *const *c = r->names;
	sqlite3_str *s = sqlite3_str_new(r->db);
	sqlite3_str_appendf(s, "\"%w\", \"%w\"", c[RS_COL_USER], c[RS_COL_ITEM]);
	if (r->col[RS_COL_WEIGHT] >= 0)
		sqlite3_str_appendf(s, ", \"%w\"", c[RS_COL_WEIGHT]);
	else
		sqlite3_str_appendall(s, ", NULL");
	if (r->col[RS_COL_EVENT] >= 0)
		sqlite3_str_appendf(s, ", \"%w\"", c[RS_COL_EVENT]);
	else
		sqlite3_str_appendall(s, ", NULL");
	/* ts: numbers (also as text, e.g. from .import) are unix seconds, text
	 * dates go through unixepoch(); anything else stays text: an error */
	if (r->col[RS_COL_TS] >= 0)
		sqlite3_str_appendf(
		    s,
		    ", CASE WHEN typeof(\"%w\") IN ('integer', 'real', 'null') THEN \"%w\" "
		    "WHEN trim(\"%w\") GLOB '[0-9+-]*' AND trim(\"%w\") NOT GLOB '?*[^0-9.eE]*' "
		    "THEN CAST(\"%w\" AS REAL) "
		    "ELSE coalesce(unixepoch(\"%w\"), CAST(\"%w\" AS TEXT)) END",
		    c[RS_COL_TS], c[RS_COL_TS], c[RS_COL_TS], c[RS_COL_TS], c[RS_COL_TS],
		    c[RS_COL_TS], c[RS_COL_TS]);
	else
		sqlite3_str_appendall(s, ", NULL");
	return sqlite3_str_finish(s);
}

/* Hand one source row to the builder; a ts that is no date is an error. */
static int add_row(reader *r, rs_builder *b, sqlite3_stmt *st)
{
	if (sqlite3_column_type(st, 4) == SQLITE_TEXT) {
		char name[RS_SHORT_CAP], value[RS_SHORT_CAP];
		r->errmsg = sqlite3_mprintf(
		    "column \"%s\" must be a date or a number of unix seconds, "
		    "not '%s'",
		    rs_shorten(r->names[RS_COL_TS], (size_t)-1, name, sizeof name),
		    rs_shorten((const char *)sqlite3_column_text(st, 4),
		               (size_t)sqlite3_column_bytes(st, 4), value, sizeof value));
		return SQLITE_ERROR;
	}
	const char *user = (const char *)sqlite3_column_text(st, 0);
	size_t user_len = (size_t)sqlite3_column_bytes(st, 0);
	const char *item = (const char *)sqlite3_column_text(st, 1);
	size_t item_len = (size_t)sqlite3_column_bytes(st, 1);
	int has_weight = sqlite3_column_type(st, 2) != SQLITE_NULL;
	double weight = has_weight ? sqlite3_column_double(st, 2) : 1.0;
	const char *event = (const char *)sqlite3_column_text(st, 3);
	size_t event_len = (size_t)sqlite3_column_bytes(st, 3);
	int has_ts = sqlite3_column_type(st, 4) != SQLITE_NULL;
	double ts = has_ts ? sqlite3_column_double(st, 4) : 0.0;
	if (r->hist) {
		if (rs_history_add(r->hist, item, item_len, has_weight, weight, event, event_len,
		                   has_ts, ts, &r->err) != RS_OK)
			return rsq_core_fail(&r->err, &r->errmsg);
		return SQLITE_OK;
	}
	if (rs_builder_add(b, user, user_len, item, item_len, has_weight, weight, event, event_len,
	                   has_ts, ts, &r->err) != RS_OK)
		return rsq_core_fail(&r->err, &r->errmsg);
	return SQLITE_OK;
}

/* Hand the cells of one side-table row to the builder, by storage class. */
static int add_side_row(reader *r, rs_builder *b, rs_side side, sqlite3_stmt *st)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	size_t id_len = (size_t)sqlite3_column_bytes(st, 0);
	for (int c = 0; c < r->side[side].n; c++) {
		int type = sqlite3_column_type(st, c + 1);
		int is_number = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
		double number = is_number ? sqlite3_column_double(st, c + 1) : 0.0;
		const char *text = is_number ? NULL : (const char *)sqlite3_column_text(st, c + 1);
		size_t len = text ? (size_t)sqlite3_column_bytes(st, c + 1) : 0;
		if (rs_builder_add_attribute(b, side, id, id_len, r->side[side].names[c], text, len,
		                             is_number, number, &r->err) != RS_OK)
			return rsq_core_fail(&r->err, &r->errmsg);
	}
	return SQLITE_OK;
}

/* Step through a read statement: each row to the source or side (-1: source). */
static int read_rows(reader *r, rs_builder *b, int side, const char *label, const char *what,
                     const char *from)
{
	sqlite3_stmt *st = NULL;
	/* one key's rows: a plain comparison, so an index on the column serves it */
	char *where = r->key && side < 0 ? sqlite3_mprintf("WHERE \"%w\" = ?1", r->names[RS_COL_USER])
	                                 : NULL;
	int rc = r->key && side < 0 && !where ? SQLITE_NOMEM
	                                      : prepare_from(r, label, what, from, where ? where : "", &st);
	sqlite3_free(where);
	if (rc == SQLITE_OK && r->key)
		sqlite3_bind_text(st, 1, r->key, r->key_len, SQLITE_STATIC);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = side < 0 ? add_row(r, b, st) : add_side_row(r, b, (rs_side)side, st);
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	else if (rc != SQLITE_OK && !r->errmsg)
		r->errmsg = sqlite3_mprintf("cannot read %s: %s", label, sqlite3_errmsg(r->db));
	sqlite3_finalize(st);
	return rc;
}

/* Every column that "item_features" / "user_features" lists must exist. */
static int check_features(reader *r, rs_side side, sqlite3_stmt *probe, const char *names)
{
	const rs_opt *list = rs_opt_get(r->opts, FEATURE_OPTION[side]);
	int n = sqlite3_column_count(probe);
	for (size_t i = 0; list && list->kind == RS_OPT_ARRAY && i < list->n_children; i++) {
		const char *want = list->children[i].string;
		int found = !want;
		for (int c = 0; c < n && !found; c++) {
			const char *cn = sqlite3_column_name(probe, c);
			found = cn && strcmp(cn, want) == 0;
		}
		if (found)
			continue;
		char name[RS_SHORT_CAP];
		r->errmsg = sqlite3_mprintf(
		    "%s source has no column \"%s\" named in \"%s\" (columns found: %s)",
		    SIDE_OPTION[side], rs_shorten(want, (size_t)-1, name, sizeof name),
		    FEATURE_OPTION[side], names ? names : "none");
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

/* The side plan's select list: the id, then each wanted column but the id. */
static int plan_side_columns(reader *r, rs_side side, sqlite3_stmt *probe, int id_col,
                             sqlite3_str *what)
{
	side_plan *p = &r->side[side];
	int n = sqlite3_column_count(probe);
	p->names = sqlite3_malloc64((sqlite3_uint64)(n > 0 ? n : 1) * sizeof *p->names);
	if (!p->names)
		return SQLITE_NOMEM;
	sqlite3_str_appendf(what, "\"%w\"", sqlite3_column_name(probe, id_col));
	for (int c = 0; c < n; c++) {
		const char *cn = sqlite3_column_name(probe, c);
		if (!cn)
			return SQLITE_NOMEM;
		if (c == id_col || !rs_config_side_column_wanted(r->cfg, side, cn))
			continue;
		if (!(p->names[p->n] = rsq_strdup(cn)))
			return SQLITE_NOMEM;
		p->n++;
		sqlite3_str_appendf(what, ", \"%w\"", cn);
	}
	return sqlite3_str_errcode(what);
}

/* Resolve the side table the options name (if any), check its id and
 * feature columns, and plan its read. */
static int plan_side(reader *r, rs_side side)
{
	const char *source = rs_config_side_source(r->cfg, side);
	if (!source)
		return SQLITE_OK;
	rs_column_role role = side == RS_SIDE_ITEMS ? RS_COL_ITEM : RS_COL_USER;
	const char *id = rs_config_column(r->cfg, role);
	char *names = NULL;
	char label[32];
	sqlite3_snprintf(sizeof label, label, "%s source", SIDE_OPTION[side]);
	sqlite3_stmt *probe = NULL;
	int rc = resolve(r, source, SIDE_OPTION[side], &r->side[side].from);
	if (rc == SQLITE_OK)
		rc = probe_columns(r, label, r->side[side].from, &probe, &names);
	int id_col = -1;
	for (int c = 0; rc == SQLITE_OK && c < sqlite3_column_count(probe) && id_col < 0; c++) {
		const char *cn = sqlite3_column_name(probe, c);
		if (cn && sqlite3_stricmp(cn, id) == 0)
			id_col = c;
	}
	if (rc == SQLITE_OK && id_col < 0) {
		char name[RS_SHORT_CAP];
		r->errmsg = sqlite3_mprintf("%s has no column \"%s\" (columns found: %s)", label,
		                            rs_shorten(id, (size_t)-1, name, sizeof name),
		                            names ? names : "none");
		rc = SQLITE_ERROR;
	}
	if (rc == SQLITE_OK)
		rc = check_features(r, side, probe, names);
	sqlite3_str *what = sqlite3_str_new(r->db);
	if (rc == SQLITE_OK)
		rc = plan_side_columns(r, side, probe, id_col, what);
	r->side[side].what = sqlite3_str_finish(what);
	if (rc == SQLITE_OK && !r->side[side].what)
		rc = SQLITE_NOMEM;
	sqlite3_free(names);
	sqlite3_finalize(probe);
	return rc;
}

/* Read the planned side table into the builder. */
static int read_side(reader *r, rs_builder *b, rs_side side)
{
	if (!r->side[side].what)
		return SQLITE_OK;
	char label[32];
	sqlite3_snprintf(sizeof label, label, "%s source", SIDE_OPTION[side]);
	return read_rows(r, b, side, label, r->side[side].what, r->side[side].from);
}

/* Read the source and side tables into a new builder (see recsys_sqlite.h). */
int rsq_source_load(sqlite3 *db, const char *source, const rs_config *cfg, const rs_opt *opts,
                    rs_builder **builder, char **errmsg)
{
	reader r;
	memset(&r, 0, sizeof r);
	r.db = db;
	r.cfg = cfg;
	r.opts = opts;
	for (int c = 0; c < RS_COL__COUNT; c++)
		r.names[c] = rs_config_column(cfg, (rs_column_role)c);
	*errmsg = NULL;
	int rc = resolve(&r, source, NULL, &r.from);
	if (rc == SQLITE_OK)
		rc = find_columns(&r);
	if (rc == SQLITE_OK)
		rc = plan_side(&r, RS_SIDE_ITEMS);
	if (rc == SQLITE_OK)
		rc = plan_side(&r, RS_SIDE_USERS);
	if (rc == SQLITE_OK && rs_builder_create(cfg, builder, &r.err) != RS_OK)
		rc = rsq_core_fail(&r.err, &r.errmsg);
	char *what = rc == SQLITE_OK ? select_list(&r) : NULL;
	if (rc == SQLITE_OK && !what)
		rc = SQLITE_NOMEM;
	if (rc == SQLITE_OK)
		rc = read_rows(&r, *builder, -1, "source", what, r.from);
	sqlite3_free(what);
	if (rc == SQLITE_OK)
		rc = read_side(&r, *builder, RS_SIDE_ITEMS);
	if (rc == SQLITE_OK)
		rc = read_side(&r, *builder, RS_SIDE_USERS);
	reader_free(&r);
	*errmsg = r.errmsg;
	return rc;
}

/* PRAGMA trusted_schema of the connection, read now (it may change between
 * calls); a failing read counts as untrusted. */
int rsq_schema_trusted(sqlite3 *db)
{
	int on = 0;
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, -1, &on) != SQLITE_OK)
		return 0;
	return on != 0;
}

/* May SQL text stored in the database file run (see recsys_sqlite.h)? */
int rsq_check_stored_sql(sqlite3 *db, const char *model, const char *option, const char *text,
                         char **errmsg)
{
	if (!text || !rs_source_is_query(text) || rsq_schema_trusted(db))
		return SQLITE_OK;
	char name[RS_SHORT_CAP];
	rs_shorten(model, (size_t)-1, name, sizeof name);
	if (option)
		*errmsg = sqlite3_mprintf(
		    "model \"%s\" stores option \"%s\" as a query, and with PRAGMA trusted_schema = "
		    "OFF a query stored in the database file is not run (pass \"%s\" as a table or view "
		    "name, or turn trusted_schema on)",
		    name, option, option);
	else
		*errmsg = sqlite3_mprintf(
		    "model \"%s\" was trained from a query, and with PRAGMA trusted_schema = OFF a "
		    "query stored in the database file is not run (train the model from a table or "
		    "view name, or turn trusted_schema on)",
		    name);
	return *errmsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Read one user's or session's rows (see recsys_sqlite.h). The key column
 * takes the user slot of the read; the model names every column. */
int rsq_source_read_history(sqlite3 *db, const char *source, const rs_model *m,
                            const char *key_role, const char *key, int key_len, rs_history *h,
                            char **errmsg)
{
	static const char *const roles[RS_COL__COUNT] = {"user", "item", "weight", "event", "ts"};
	reader r;
	memset(&r, 0, sizeof r);
	r.db = db;
	r.hist = h;
	r.key = key;
	r.key_len = key_len;
	for (int c = 0; c < RS_COL__COUNT; c++)
		r.names[c] = rs_model_source_column(m, c == RS_COL_USER ? key_role : roles[c]);
	*errmsg = NULL;
	int rc = r.names[RS_COL_USER] ? resolve(&r, source, NULL, &r.from) : SQLITE_ERROR;
	if (!r.names[RS_COL_USER])
		r.errmsg = sqlite3_mprintf("the model does not record its source's columns; retrain it");
	if (rc == SQLITE_OK)
		rc = find_columns(&r);
	char *what = rc == SQLITE_OK ? select_list(&r) : NULL;
	if (rc == SQLITE_OK && !what)
		rc = SQLITE_NOMEM;
	if (rc == SQLITE_OK)
		rc = read_rows(&r, NULL, -1, "source", what, r.from);
	sqlite3_free(what);
	reader_free(&r);
	*errmsg = r.errmsg;
	return rc;
}

/*
 * A features value of a vector source (recsys_import) as numbers: a BLOB of
 * float32 in this machine's byte order (4 bytes each), or text holding a
 * JSON array ("[1, 2.5, null]") or a PostgreSQL array literal ("{1,2.5}").
 * NULL elements are marked in nulls. 0 when the text is no such array.
 */
static int parse_features(sqlite3_stmt *st, int col, double **v, unsigned char **nulls,
                          int64_t *n)
{
	int bytes = sqlite3_column_bytes(st, col);
	int cap = bytes / 2 + 2, type = sqlite3_column_type(st, col);
	*n = 0;
	*v = sqlite3_malloc64((sqlite3_uint64)cap * sizeof **v);
	*nulls = sqlite3_malloc64((sqlite3_uint64)cap);
	if (!*v || !*nulls)
		return -1;
	if (type == SQLITE_BLOB) {
		const unsigned char *b = sqlite3_column_blob(st, col);
		if (bytes % 4 != 0)
			return 0;
		for (int k = 0; k < bytes / 4; k++) {
			float f;
			memcpy(&f, b + 4 * k, 4);
			(*v)[k] = f;
			(*nulls)[k] = 0;
		}
		*n = bytes / 4;
		return 1;
	}
	const char *s = (const char *)sqlite3_column_text(st, col);
	if (type != SQLITE_TEXT || !s)
		return 0;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	char close = *s == '[' ? ']' : *s == '{' ? '}' : 0;
	if (!close)
		return 0;
	for (s++;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (*s == close && *n == 0)
			break;
		char *end;
		if (sqlite3_strnicmp(s, "null", 4) == 0) {
			(*v)[*n] = 0;
			(*nulls)[*n] = 1;
			end = (char *)s + 4;
		} else {
			(*v)[*n] = strtod(s, &end);
			(*nulls)[*n] = 0;
			if (end == s)
				return 0;
		}
		if (++*n >= cap)
			return 0;
		for (s = end; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
			;
		if (*s == close)
			break;
		if (*s++ != ',')
			return 0;
	}
	for (s++; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
		;
	return *s == '\0';
}

/* One vector row: id, features, bias (column 2, when read). */
static int add_vector_row(reader *r, rs_import *im, rs_side side, int has_bias,
                          const char *feat, sqlite3_stmt *st)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	size_t id_len = (size_t)sqlite3_column_bytes(st, 0);
	double *v = NULL, bias = 0;
	unsigned char *nulls = NULL;
	int64_t n = 0;
	int null_bias = !has_bias || sqlite3_column_type(st, 2) == SQLITE_NULL;
	int ok = id && sqlite3_column_type(st, 1) != SQLITE_NULL ? parse_features(st, 1, &v, &nulls, &n) : 1;
	int rc = SQLITE_OK;
	if (has_bias && !null_bias) {
		int t = sqlite3_column_type(st, 2);
		bias = sqlite3_column_double(st, 2);
		if (t != SQLITE_INTEGER && t != SQLITE_FLOAT)
			bias = NAN; /* text: not a number the core takes */
	}
	if (ok < 0) {
		rc = SQLITE_NOMEM;
	} else if (!ok) {
		char sid[RS_SHORT_CAP];
		r->errmsg = sqlite3_mprintf("%s \"%s\": %s must be a JSON array of numbers or a blob of "
		                            "float32 values", side == RS_SIDE_USERS ? "user" : "item",
		                            rs_shorten(id, id_len, sid, sizeof sid), feat);
		rc = SQLITE_ERROR;
	} else if (rs_import_add(im, side, id, id_len,
	                         sqlite3_column_type(st, 1) != SQLITE_NULL ? v : NULL,
	                         nulls, n, null_bias ? NULL : &bias, &r->err) != RS_OK) {
		rc = rsq_core_fail(&r->err, &r->errmsg);
	}
	sqlite3_free(v);
	sqlite3_free(nulls);
	return rc;
}

/* The index of column `name` of a probed source, or an error naming the option. */
static int vector_column(reader *r, sqlite3_stmt *probe, const char *arg, const char *names,
                         const char *name, const char *option, int *col)
{
	char sn[RS_SHORT_CAP];
	for (int i = 0; i < sqlite3_column_count(probe); i++)
		if (sqlite3_column_name(probe, i) && sqlite3_stricmp(sqlite3_column_name(probe, i), name) == 0) {
			*col = i;
			return SQLITE_OK;
		}
	r->errmsg = sqlite3_mprintf("%s source has no column \"%s\" (columns found: %s; name it "
	                            "with the \"%s\" option)", arg,
	                            rs_shorten(name, (size_t)-1, sn, sizeof sn), names ? names : "none",
	                            option);
	return SQLITE_ERROR;
}

/* Read a vector source of recsys_import (see recsys_sqlite.h). */
int rsq_source_load_vectors(sqlite3 *db, const char *source, const char *arg, rs_import *im,
                            rs_side side, char **errmsg)
{
	reader r;
	memset(&r, 0, sizeof r);
	r.db = db;
	sqlite3_stmt *probe = NULL, *st = NULL;
	char *names = NULL, *what = NULL;
	const char *id = rs_import_column(im, RS_IMP_ID), *feat = rs_import_column(im, RS_IMP_FEATURES);
	const char *bias = rs_import_column(im, side == RS_SIDE_USERS ? RS_IMP_USER_BIAS : RS_IMP_ITEM_BIAS);
	int col = 0;
	int rc = resolve(&r, source, NULL, &r.from);
	if (rc == SQLITE_OK)
		rc = probe_columns(&r, arg, r.from, &probe, &names);
	if (rc == SQLITE_OK)
		rc = vector_column(&r, probe, arg, names, id, "id_column", &col);
	if (rc == SQLITE_OK)
		rc = vector_column(&r, probe, arg, names, feat, "features_column", &col);
	if (rc == SQLITE_OK && bias)
		rc = vector_column(&r, probe, arg, names, bias,
		                   side == RS_SIDE_USERS ? "user_bias_column" : "item_bias_column", &col);
	if (rc == SQLITE_OK) {
		what = bias ? sqlite3_mprintf("\"%w\", \"%w\", \"%w\"", id, feat, bias)
		            : sqlite3_mprintf("\"%w\", \"%w\"", id, feat);
		rc = what ? prepare_from(&r, arg, what, r.from, "", &st) : SQLITE_NOMEM;
	}
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = add_vector_row(&r, im, side, bias != NULL, feat, st);
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	else if (rc != SQLITE_OK && !r.errmsg && rc != SQLITE_NOMEM)
		r.errmsg = sqlite3_mprintf("cannot read %s: %s", arg, sqlite3_errmsg(db));
	sqlite3_finalize(probe);
	sqlite3_finalize(st);
	sqlite3_free(names);
	sqlite3_free(what);
	reader_free(&r);
	*errmsg = r.errmsg;
	return rc;
}
