/*
 * store.c - the model store: table main.recsys_model_store in the same
 * database file, one row per trained version (newest two kept).
 *
 * A new version is written inside one SAVEPOINT: the insert and the pruning
 * of old versions commit together or not at all, so a failure leaves the
 * previous version serving.
 */
#include "recsys_sqlite.h"

#include <string.h>

/* Does the store have the column `source` (older builds wrote none)? 1 yes,
 * 0 no (or no store), -1 error. */
int rsq_store_has_source(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db,
	                       "SELECT 1 FROM pragma_table_info('" RSQ_STORE "', 'main') "
	                       "WHERE name = 'source'",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
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

/* "<what> "<name>": <SQLite's message>", the name cut short. */
static char *store_error(sqlite3 *db, const char *what, const char *name)
{
	char sname[RS_SHORT_CAP];
	return sqlite3_mprintf("%s \"%s\": %s", what, RSQ_SHORT(sname, name), sqlite3_errmsg(db));
}

/* Prepare sql and bind ?1 = name (if non-NULL); *errmsg set on failure. */
static int prepare_named(sqlite3 *db, const char *sql, const char *name, sqlite3_stmt **st,
                         char **errmsg)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
	if (rc != SQLITE_OK) {
		if (errmsg)
			*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
		return rc;
	}
	if (name)
		sqlite3_bind_text(*st, 1, name, -1, SQLITE_TRANSIENT);
	return SQLITE_OK;
}

/* Does table main.<name> exist? *exists 1 or 0; returns SQLite's code
 * (SQLITE_BUSY when another connection holds the file locked). */
static int table_exists_rc(sqlite3 *db, const char *name, int *exists)
{
	sqlite3_stmt *st = NULL;
	*exists = 0;
	int rc = prepare_named(db, "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1",
	                       name, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	*exists = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Does a table or view <schema>.<name> exist (any case)? 1 yes, 0 no, -1 error. */
int rsq_table_exists_any(sqlite3 *db, const char *schema, const char *name)
{
	sqlite3_stmt *st = NULL;
	char *sql = sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_schema WHERE type IN ('table', 'view') "
	                            "AND name = ?1 COLLATE NOCASE",
	                            schema);
	int rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Does table main.<name> exist? 1 yes, 0 no, -1 error. */
int rsq_table_exists(sqlite3 *db, const char *name)
{
	int exists = 0;
	return table_exists_rc(db, name, &exists) == SQLITE_OK ? exists : -1;
}

/* Does main.recsys_model_store exist? 1 yes, 0 no, -1 error. */
int rsq_store_exists(sqlite3 *db)
{
	return rsq_table_exists(db, RSQ_STORE);
}

/* ", "-separated stored model names, "none" when there are none. */
char *rsq_store_names(sqlite3 *db)
{
	int exists = rsq_store_exists(db);
	if (exists <= 0)
		return sqlite3_mprintf("none");
	sqlite3_stmt *st = NULL;
	if (prepare_named(db, "SELECT DISTINCT name FROM main." RSQ_STORE " ORDER BY name", NULL,
	                  &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_str *out = sqlite3_str_new(db);
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char name[RS_SHORT_CAP];
		const char *s = (const char *)sqlite3_column_text(st, 0);
		sqlite3_str_appendf(out, "%s%s", n++ ? ", " : "", RSQ_SHORT(name, s ? s : ""));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		sqlite3_free(sqlite3_str_finish(out));
		return NULL;
	}
	if (n == 0)
		sqlite3_str_appendall(out, "none");
	return sqlite3_str_finish(out);
}

/* The message for an unknown model (the core's words), listing the models
 * that do exist. */
char *rsq_unknown_model_msg(sqlite3 *db, const char *name)
{
	int count = 0;
	char *first = NULL;
	rsq_store_count_names(db, &count, &first);
	sqlite3_free(first);
	rs_error err;
	rs_not_found(&err, RS_MISSING_MODEL, name, (size_t)-1, NULL);
	if (count == 0)
		return sqlite3_mprintf("%s (no model exists yet: train one with recsys_train())",
		                       err.msg);
	char *names = rsq_store_names(db);
	char *msg = sqlite3_mprintf("%s (existing models: %s)", err.msg, names ? names : "?");
	sqlite3_free(names);
	return msg;
}

/* Count distinct model names; *first = the smallest name (mprintf'd).
 * SQLite's own code on failure (SQLITE_BUSY: locked for now). */
int rsq_store_count_names(sqlite3 *db, int *count, char **first)
{
	*count = 0;
	*first = NULL;
	int exists = 0;
	int rc = table_exists_rc(db, RSQ_STORE, &exists);
	if (rc != SQLITE_OK || !exists)
		return rc;
	sqlite3_stmt *st = NULL;
	rc = prepare_named(db, "SELECT count(DISTINCT name), min(name) FROM main." RSQ_STORE, NULL,
	                   &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*count = sqlite3_column_int(st, 0);
		const char *s = (const char *)sqlite3_column_text(st, 1);
		*first = s ? sqlite3_mprintf("%s", s) : NULL;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Latest version and trained_at of a model; SQLite's own code on failure
 * (SQLITE_BUSY / SQLITE_LOCKED: the store is locked for now). */
int rsq_store_latest(sqlite3 *db, const char *name, int *found, sqlite3_int64 *version,
                     char **trained_at)
{
	*found = 0;
	*trained_at = NULL;
	int exists = 0;
	int rc = table_exists_rc(db, RSQ_STORE, &exists);
	if (rc != SQLITE_OK || !exists)
		return rc;
	sqlite3_stmt *st = NULL;
	rc = prepare_named(db,
	                       "SELECT version, trained_at FROM main." RSQ_STORE
	                       " WHERE name = ?1 ORDER BY version DESC LIMIT 1",
	                       name, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		*version = sqlite3_column_int64(st, 0);
		*trained_at = sqlite3_mprintf("%s", sqlite3_column_text(st, 1));
		rc = *trained_at ? SQLITE_OK : SQLITE_NOMEM;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Load one stored version; a damaged blob is the core's corrupt-model error. */
int rsq_store_load(sqlite3 *db, const char *name, sqlite3_int64 version, rs_model **out,
                   char **errmsg)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	int rc = prepare_named(
	    db, "SELECT blob FROM main." RSQ_STORE " WHERE name = ?1 AND version = ?2", name, &st,
	    errmsg);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
		rs_error err = {0};
		const void *blob = sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		rc = SQLITE_OK;
		if (rs_model_load(blob, len, out, &err) != RS_OK) {
			rc = rsq_core_fail(&err, errmsg);
		}
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		char sname[RS_SHORT_CAP];
		*errmsg = sqlite3_mprintf("model \"%s\" version %lld has no stored blob",
		                          RSQ_SHORT(sname, name), (long long)version);
		rc = SQLITE_ERROR;
	} else {
		*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc;
}

/* Append the len bytes of s to out as a JSON string literal. */
void rsq_json_quote(sqlite3_str *out, const char *s, size_t len)
{
	sqlite3_str_appendchar(out, 1, '"');
	for (const unsigned char *p = (const unsigned char *)s, *e = p + len; p < e; p++) {
		if (*p == '"' || *p == '\\')
			sqlite3_str_appendf(out, "\\%c", *p);
		else if (*p < 0x20)
			sqlite3_str_appendf(out, "\\u%04x", *p);
		else
			sqlite3_str_appendchar(out, 1, (char)*p);
	}
	sqlite3_str_appendchar(out, 1, '"');
}

/* The core's summary object with "model" and "version" keys in front. */
static char *summary_with_version(const char *summary, const char *name, sqlite3_int64 v)
{
	const char *body = summary ? strchr(summary, '{') : NULL;
	sqlite3_str *out = sqlite3_str_new(NULL);
	sqlite3_str_appendall(out, "{\"model\":");
	rsq_json_quote(out, name, strlen(name));
	sqlite3_str_appendf(out, ",\"version\":%lld", (long long)v);
	if (body) {
		body++;
		while (*body == ' ' || *body == '\n' || *body == '\t' || *body == '\r')
			body++;
		if (*body != '}')
			sqlite3_str_appendchar(out, 1, ',');
		sqlite3_str_appendall(out, body);
	} else {
		sqlite3_str_appendchar(out, 1, '}');
	}
	return sqlite3_str_finish(out);
}

/* SQLite's compact form of a JSON text (the text itself if json() refuses it). */
static char *compact_json(sqlite3 *db, char *text)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT json(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			out = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (!out)
		return text;
	sqlite3_free(text);
	return out;
}

/* Run one statement with ?1 = name and ?2 = an integer; *errmsg on failure. */
static int exec_named(sqlite3 *db, const char *sql, const char *name, sqlite3_int64 arg,
                      char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_named(db, sql, name, &st, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 2, arg);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*errmsg = store_error(db, "cannot store model", name);
		return rc;
	}
	return SQLITE_OK;
}

/*
 * The blob goes in last, by itself: the row is inserted without it and its
 * summary set while the record is small, so the model's bytes are copied
 * once (into the record SQLite writes), never read back by an UPDATE.
 */
static int store_blob(sqlite3 *db, const rsq_store_row *r, sqlite3_int64 rowid)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "UPDATE main." RSQ_STORE " SET blob = ?1 WHERE rowid = ?2", -1,
	                            &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_blob64(st, 1, r->blob, r->blob_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rowid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * INSERT the row as version max + 1 (summary filled in later). The insert is
 * the store's first statement, so it takes the write lock before reading
 * anything: a concurrent training waits for it (busy timeout) instead of
 * failing on a lock upgrade. The table is created on first use.
 */
static int insert_row(sqlite3 *db, const rsq_store_row *r, sqlite3_int64 *rowid, char **errmsg)
{
	static const char SQL[] =
		"INSERT INTO main." RSQ_STORE " (name, version, algorithm, trained_at, users, items, "
		"interactions, bytes, options, summary, blob, source) "
		"VALUES(?1, (SELECT coalesce(max(version), 0) + 1 "
		"FROM main." RSQ_STORE " WHERE name = ?1), ?2, strftime('%Y-%m-%d %H:%M:%f', 'now'), "
		"?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9)";
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, SQL, -1, &st, NULL) != SQLITE_OK) {
		/* no store yet, or an older one: mend and migrate (schema.c) */
		if (rsq_schema_mend(db, errmsg) != SQLITE_OK)
			return SQLITE_ERROR;
		int rc = prepare_named(db, SQL, NULL, &st, errmsg);
		if (rc != SQLITE_OK)
			return rc;
	}
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->algorithm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->users);
	sqlite3_bind_int64(st, 4, r->items);
	sqlite3_bind_int64(st, 5, r->interactions);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->blob_len);
	sqlite3_bind_text(st, 7, r->options ? r->options : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_null(st, 8); /* store_blob sets it */
	sqlite3_bind_text(st, 9, r->source, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*errmsg = store_error(db, "cannot store model", r->name);
		return rc;
	}
	*rowid = sqlite3_last_insert_rowid(db);
	/* with the write lock held: record (or refuse) the file's schema */
	return rsq_schema_migrate(db, errmsg);
}

/* The version the insert got. */
static int inserted_version(sqlite3 *db, sqlite3_int64 rowid, sqlite3_int64 *v, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_named(db, "SELECT version FROM main." RSQ_STORE " WHERE rowid = ?1", NULL,
	                       &st, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, rowid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else {
		*errmsg = sqlite3_mprintf("cannot read the stored version: %s", sqlite3_errmsg(db));
		rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Write the summary that names the version into the inserted row. */
static int store_summary(sqlite3 *db, const char *name, sqlite3_int64 rowid, const char *summary,
                         char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_named(db, "UPDATE main." RSQ_STORE " SET summary = ?1 WHERE rowid = ?2",
	                       summary, &st, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 2, rowid);
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	if (rc != SQLITE_OK)
		*errmsg = store_error(db, "cannot store model", name);
	sqlite3_finalize(st);
	return rc;
}

/* Insert, learn the version, write the summary that names it, prune. */
static int write_version(sqlite3 *db, const rsq_store_row *row, sqlite3_int64 *version,
                         char **summary_out, char **errmsg)
{
	sqlite3_int64 rowid = 0;
	int rc = insert_row(db, row, &rowid, errmsg);
	if (rc == SQLITE_OK)
		rc = inserted_version(db, rowid, version, errmsg);
	if (rc == SQLITE_OK) {
		*summary_out = summary_with_version(row->summary, row->name, *version);
		if (*summary_out)
			*summary_out = compact_json(db, *summary_out);
		rc = *summary_out ? SQLITE_OK : SQLITE_NOMEM;
	}
	if (rc == SQLITE_OK)
		rc = store_summary(db, row->name, rowid, *summary_out, errmsg);
	if (rc == SQLITE_OK && (rc = store_blob(db, row, rowid)) != SQLITE_OK)
		*errmsg = store_error(db, "cannot store model", row->name);
	/* keep the newest two versions */
	if (rc == SQLITE_OK)
		rc = exec_named(db, "DELETE FROM main." RSQ_STORE " WHERE name = ?1 AND version < ?2",
		                row->name, *version - 1, errmsg);
	return rc;
}

/* Undo a failed store: back to the savepoint (if we hold one). */
static void undo_store(sqlite3 *db, int have_savepoint)
{
	if (!have_savepoint)
		return;
	sqlite3_exec(db, "ROLLBACK TO recsys_train", NULL, NULL, NULL);
	sqlite3_exec(db, "RELEASE recsys_train", NULL, NULL, NULL);
}

/*
 * Store a new version of a model atomically (see the file comment). Inside
 * a statement that is itself writing (INSERT INTO log SELECT recsys_train(..))
 * SQLite refuses new savepoints; then the enclosing statement's own
 * transaction makes the store atomic: our error fails it and rolls it back.
 */
int rsq_store_insert(sqlite3 *db, const rsq_store_row *row, sqlite3_int64 *version,
                     char **summary_out, char **errmsg)
{
	*summary_out = NULL;
	if (rsq_policy_name_taken(db, row->name) == 1) { /* models and policies share names */
		char sname[RS_SHORT_CAP];
		*errmsg = sqlite3_mprintf("a policy called \"%s\" exists (models and policies share one "
		                          "namespace)", RSQ_SHORT(sname, row->name));
		return SQLITE_ERROR;
	}
	int have_sp = sqlite3_exec(db, "SAVEPOINT recsys_train", NULL, NULL, NULL) == SQLITE_OK;
	int rc = write_version(db, row, version, summary_out, errmsg);
	if (rc == SQLITE_OK && have_sp &&
	    (rc = sqlite3_exec(db, "RELEASE recsys_train", NULL, NULL, NULL)) != SQLITE_OK)
		*errmsg = store_error(db, "cannot store model", row->name);
	if (rc != SQLITE_OK) {
		undo_store(db, have_sp);
		sqlite3_free(*summary_out);
		*summary_out = NULL;
	}
	return rc;
}

/* Delete every version of a model. */
int rsq_store_drop(sqlite3 *db, const char *name, int *deleted, char **errmsg)
{
	*deleted = 0;
	int exists = rsq_store_exists(db);
	if (exists <= 0) {
		if (exists < 0)
			*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
		return exists < 0 ? SQLITE_ERROR : SQLITE_OK;
	}
	sqlite3_stmt *st = NULL;
	int rc =
	    prepare_named(db, "DELETE FROM main." RSQ_STORE " WHERE name = ?1", name, &st, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*errmsg = store_error(db, "cannot drop model", name);
		return rc;
	}
	*deleted = sqlite3_changes(db);
	/* the model's evaluation record goes with it */
	if (rsq_table_exists(db, RSQ_EVALUATIONS) == 1)
		return exec_named(db, "DELETE FROM main." RSQ_EVALUATIONS " WHERE name = ?1", name, 0,
		                  errmsg);
	return SQLITE_OK;
}

/* Algorithm and options (JSON text) of a model's latest version; all
 * sqlite3_mprintf'd. *found = 0 when the model does not exist. */
int rsq_store_model_config(sqlite3 *db, const char *name, int *found, sqlite3_int64 *version,
                           char **algorithm, char **options, char **errmsg)
{
	*found = 0;
	*algorithm = *options = NULL;
	int exists = rsq_store_exists(db);
	if (exists <= 0)
		return exists < 0 ? SQLITE_ERROR : SQLITE_OK;
	sqlite3_stmt *st = NULL;
	int rc = prepare_named(db,
	                       "SELECT version, algorithm, coalesce(options, '{}') FROM main." RSQ_STORE
	                       " WHERE name = ?1 ORDER BY version DESC LIMIT 1",
	                       name, &st, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		*version = sqlite3_column_int64(st, 0);
		*algorithm = sqlite3_mprintf("%s", sqlite3_column_text(st, 1));
		*options = sqlite3_mprintf("%s", sqlite3_column_text(st, 2));
		rc = *algorithm && *options ? SQLITE_OK : SQLITE_NOMEM;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	} else {
		*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Replace a model's evaluation record (the table is created on first use).
 * A read-only database (or PRAGMA query_only) skips the record: the
 * evaluation itself only reads.
 */
int rsq_store_record_evaluation(sqlite3 *db, const rsq_eval_row *row, char **errmsg)
{
	static const char SQL[] =
		"INSERT OR REPLACE INTO main." RSQ_EVALUATIONS " VALUES(?1, ?2, "
		"strftime('%Y-%m-%d %H:%M:%f', 'now'), ?3, ?4, ?5)";
	if (sqlite3_db_readonly(db, "main") == 1)
		return SQLITE_OK;
	int rc = rsq_schema_migrate(db, errmsg);
	if (rc != SQLITE_OK && (sqlite3_extended_errcode(db) & 0xff) == SQLITE_READONLY) {
		sqlite3_free(*errmsg); /* PRAGMA query_only: the record is skipped */
		*errmsg = NULL;
		return SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_stmt *st = NULL;
	rc = sqlite3_prepare_v2(db, SQL, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, row->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, row->version);
		sqlite3_bind_int(st, 3, row->k);
		sqlite3_bind_text(st, 4, row->source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, row->metrics, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	if ((rc & 0xff) == SQLITE_READONLY)
		return SQLITE_OK;
	if (rc != SQLITE_OK)
		*errmsg = store_error(db, "cannot record the evaluation of model", row->name);
	return rc;
}

/* The source of a model's latest version (mprintf'd; NULL when the store
 * predates the column or the row records none). */
int rsq_store_source(sqlite3 *db, const char *name, char **source, char **errmsg)
{
	*source = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db,
	                            "SELECT source FROM main." RSQ_STORE
	                            " WHERE name = ?1 ORDER BY version DESC LIMIT 1",
	                            -1, &st, NULL);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
		return rc;
	}
	if (rc != SQLITE_OK)
		return SQLITE_OK; /* an older store without the column */
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*source = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
		rc = *source ? SQLITE_OK : SQLITE_NOMEM;
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	} else {
		*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc;
}
