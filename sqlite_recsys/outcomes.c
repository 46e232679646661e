/*
 * outcomes.c - the feedback loop's scalar functions:
 *
 *   recsys_record_outcome(user_id, item_id, event, value = NULL, request_id = NULL,
 *                         options = NULL) -> the attributed impression's id, or NULL
 *   recsys_prune_impressions(older_than, keep) -> impressions deleted
 *
 * An outcome is attributed to the served list (impression) of its request
 * holding its item when the request id is given, else to the user's latest
 * list within options.window (seconds, or text such as '2 hours'; default
 * 24 hours) holding it, with the item's rank in that list; it is recorded
 * either way. An impression served by a
 * policy rewards its arm (recsys_policy_arms.rewards += value, or 1).
 * Pruning deletes impressions older than older_than (seconds or text such
 * as '30 days'; NULL: no bound) and beyond the newest `keep` (NULL: no
 * bound), with the outcomes attributed to them; SQLite's analytics views
 * read the log itself, so pruned rows leave the counts.
 */
#include "recsys_sqlite.h"

#include <math.h>
#include <string.h>

#define DEFAULT_WINDOW "-86400 seconds"

/* The date modifier "-<interval>" of a window or age given as seconds
 * (a non-negative number) or as text ("2 hours"); *mod sqlite3_malloc'd,
 * NULL for a NULL value. SQLITE_OK or an error with *errmsg. */
static int age_modifier(sqlite3 *db, sqlite3_value *v, const rs_opt *o, const char *what,
                        char **mod, char **errmsg)
{
	double secs = -1;
	const char *text = NULL;
	*mod = NULL;
	if (v) {
		int t = sqlite3_value_type(v);
		if (t == SQLITE_NULL)
			return SQLITE_OK;
		if (t == SQLITE_INTEGER || t == SQLITE_FLOAT)
			secs = sqlite3_value_double(v);
		else
			text = (const char *)sqlite3_value_text(v);
	} else if (o->kind == RS_OPT_NUMBER)
		secs = o->number;
	else if (o->kind == RS_OPT_STRING)
		text = o->string;
	if (text)
		*mod = sqlite3_mprintf("-%s", text);
	else if (secs >= 0 && isfinite(secs))
		*mod = sqlite3_mprintf("-%.3f seconds", secs);
	else {
		*errmsg = sqlite3_mprintf("%s must be a number of seconds, not negative, or a text "
		                          "such as '2 hours'", what);
		return SQLITE_ERROR;
	}
	if (!*mod)
		return SQLITE_NOMEM;
	/* SQLite's date modifiers: "-2 hours", "-30 days", ... */
	sqlite3_stmt *st = NULL;
	int ok = 0;
	if (sqlite3_prepare_v2(db, "SELECT datetime('now', ?1) IS NOT NULL", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, *mod, -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	if (ok)
		return SQLITE_OK;
	*errmsg = sqlite3_mprintf("%s \"%s\" is not an interval SQLite understands (seconds, or a "
	                          "text such as '2 hours' or '30 days')", what, *mod + 1);
	sqlite3_free(*mod);
	*mod = NULL;
	return SQLITE_ERROR;
}

/* The window of the options (JSON: {"window": ...}); *mod as above. */
static int outcome_window(rsq_ctx *ctx, sqlite3_value *options, char **mod, char **errmsg)
{
	const rsq_opts *o = NULL;
	const char *json = options ? (const char *)sqlite3_value_text(options) : NULL;
	int rc = rsq_opts_parse_cached(ctx, json, "options", &o, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	const rs_opt *root = rsq_opts_root(o), *w = NULL;
	for (size_t i = 0; root && i < root->n_children; i++) {
		if (strcmp(root->children[i].key, "window") != 0) {
			*errmsg = sqlite3_mprintf("unknown option \"%s\" of recsys_record_outcome(); its "
			                          "option is \"window\": how far back an impression is "
			                          "attributed (seconds, or a text such as '2 hours')",
			                          root->children[i].key);
			return SQLITE_ERROR;
		}
		w = &root->children[i];
	}
	if (!w) {
		*mod = sqlite3_mprintf(DEFAULT_WINDOW);
		return *mod ? SQLITE_OK : SQLITE_NOMEM;
	}
	return age_modifier(ctx->db, NULL, w, "option \"window\"", mod, errmsg);
}

/* Run sql with text parameters (NULL pointer: NULL); one row's id,
 * policy, arm (and rank, when given) when id is given (0: none). */
static int run(sqlite3 *db, const char *sql, int n, const char *const *p, sqlite3_int64 *id,
               char **policy, char **arm, sqlite3_int64 *rank)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	for (int i = 0; rc == SQLITE_OK && i < n; i++)
		sqlite3_bind_text(st, i + 1, p[i], -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && id) {
			*id = sqlite3_column_int64(st, 0);
			*policy = rsq_strdup((const char *)sqlite3_column_text(st, 1));
			*arm = rsq_strdup((const char *)sqlite3_column_text(st, 2));
			if (rank)
				*rank = sqlite3_column_int64(st, 3);
		}
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	}
	sqlite3_finalize(st);
	return rc;
}

/* The error of a failed statement (read-only connections say so). */
static void write_error(sqlite3_context *c, sqlite3 *db, const char *fn, int rc)
{
	if ((rc & 0xff) == SQLITE_READONLY)
		rsq_result_errmsg(c, sqlite3_mprintf("%s: cannot write: the connection is read-only "
		                                     "(PRAGMA query_only or a read-only database file)",
		                                     fn));
	else {
		rsq_result_errmsg(c, sqlite3_mprintf("%s: %s", fn, sqlite3_errmsg(db)));
		sqlite3_result_error_code(c, rc);
	}
}

/* The arguments' text (NULL for NULL or absent). */
static const char *arg_text(int argc, sqlite3_value **argv, int i)
{
	return i < argc && sqlite3_value_type(argv[i]) != SQLITE_NULL
	           ? (const char *)sqlite3_value_text(argv[i])
	           : NULL;
}

void rsq_fn_record_outcome(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	static const char *const FN = "recsys_record_outcome";
	rsq_ctx *ctx = sqlite3_user_data(c);
	sqlite3 *db = ctx->db;
	const char *user = arg_text(argc, argv, 0), *item = arg_text(argc, argv, 1),
	           *event = arg_text(argc, argv, 2), *request = arg_text(argc, argv, 4);
	char *errmsg = NULL, *window = NULL, *policy = NULL, *arm = NULL;
	sqlite3_int64 imp = 0, rank = 0;
	if (!item || !event) {
		rsq_result_errmsg(c, sqlite3_mprintf("argument \"%s\" must not be null",
		                                     item ? "event" : "item_id"));
		return;
	}
	if (!*event) {
		rsq_result_errmsg(c, sqlite3_mprintf("argument \"event\" must not be empty: name what "
		                                     "happened ('click', 'purchase', ...)"));
		return;
	}
	int vtype = argc > 3 ? sqlite3_value_numeric_type(argv[3]) : SQLITE_NULL;
	if (vtype != SQLITE_NULL && vtype != SQLITE_INTEGER && vtype != SQLITE_FLOAT) {
		rsq_result_errmsg(c, sqlite3_mprintf("argument \"value\" must be a number"));
		return;
	}
	int rc = outcome_window(ctx, argc > 5 ? argv[5] : NULL, &window, &errmsg);
	if (rc == SQLITE_OK && sqlite3_db_readonly(db, "main") == 1)
		rc = SQLITE_READONLY;
	if (rc == SQLITE_OK && (rc = rsq_schema_migrate(db, &errmsg)) != SQLITE_OK) {
		sqlite3_free(errmsg);
		errmsg = NULL;
		rc = sqlite3_extended_errcode(db);
	}
	if (rc == SQLITE_OK && (request || user)) {
		const char *by_request[] = {request, item};
		const char *by_user[] = {user, item, window};
		/* the list holding the item, and the item's rank in it */
		rc = request ? run(db, "SELECT i.id, i.policy, i.arm, j.key + 1 FROM main." RSQ_IMPRESSIONS
		                       " i, json_each(i.items) j WHERE i.request_id = ?1 AND j.value = ?2"
		                       " ORDER BY i.id DESC LIMIT 1",
		                   2, by_request, &imp, &policy, &arm, &rank)
		             : run(db, "SELECT i.id, i.policy, i.arm, j.key + 1 FROM main." RSQ_IMPRESSIONS
		                       " i, json_each(i.items) j WHERE i.user_id = ?1 AND j.value = ?2"
		                       " AND i.shown_at >= strftime('%Y-%m-%d %H:%M:%f', 'now', ?3) "
		                       "ORDER BY i.shown_at DESC, i.id DESC LIMIT 1",
		                   3, by_user, &imp, &policy, &arm, &rank);
	}
	if (rc == SQLITE_OK) {
		sqlite3_stmt *st = NULL;
		rc = sqlite3_prepare_v2(db, "INSERT INTO main." RSQ_OUTCOMES "(user_id, item_id, event, "
		                        "value, request_id, impression_id, rank) "
		                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		                        -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, item, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
			if (vtype != SQLITE_NULL)
				sqlite3_bind_double(st, 4, sqlite3_value_double(argv[3]));
			sqlite3_bind_text(st, 5, request, -1, SQLITE_STATIC);
			if (imp > 0) {
				sqlite3_bind_int64(st, 6, imp);
				sqlite3_bind_int64(st, 7, rank);
			}
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
		}
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_OK && imp > 0 && policy && arm) {
		char reward[32];
		sqlite3_snprintf(sizeof reward, reward, "%!.17g",
		                 vtype != SQLITE_NULL ? sqlite3_value_double(argv[3]) : 1.0);
		const char *p[] = {policy, arm, reward};
		rc = run(db, "UPDATE main.recsys_policy_arms SET rewards = rewards + ?3 "
		             "WHERE policy = ?1 AND arm = ?2", 3, p, NULL, NULL, NULL, NULL);
	}
	if (errmsg)
		rsq_result_errmsg(c, errmsg);
	else if (rc != SQLITE_OK)
		write_error(c, db, FN, rc);
	else if (imp > 0)
		sqlite3_result_int64(c, imp);
	else
		sqlite3_result_null(c);
	sqlite3_free(window);
	sqlite3_free(policy);
	sqlite3_free(arm);
}

void rsq_fn_prune_impressions(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	static const char *const FN = "recsys_prune_impressions";
	rsq_ctx *ctx = sqlite3_user_data(c);
	sqlite3 *db = ctx->db;
	char *age = NULL, *errmsg = NULL, cut[32] = "0";
	int rc = age_modifier(db, argv[0], NULL, "argument \"older_than\"", &age, &errmsg);
	if (rc == SQLITE_OK && sqlite3_value_type(argv[1]) != SQLITE_NULL) {
		sqlite3_int64 keep = sqlite3_value_int64(argv[1]);
		if (sqlite3_value_numeric_type(argv[1]) != SQLITE_INTEGER || keep < 0) {
			errmsg = sqlite3_mprintf("argument \"keep\" must be a non-negative integer");
			rc = SQLITE_ERROR;
		} else {
			sqlite3_int64 id = 0;
			char *p = NULL, *a = NULL, keep_s[32];
			sqlite3_snprintf(sizeof keep_s, keep_s, "%lld", keep);
			const char *args[] = {keep_s};
			if (rsq_table_exists(db, RSQ_IMPRESSIONS) == 1)
				rc = run(db, "SELECT id, NULL, NULL FROM main." RSQ_IMPRESSIONS
				             " ORDER BY id DESC LIMIT 1 OFFSET ?1", 1, args, &id, &p, &a, NULL);
			sqlite3_snprintf(sizeof cut, cut, "%lld", id);
			sqlite3_free(p);
			sqlite3_free(a);
		}
	}
	int before = sqlite3_total_changes(db), deleted = 0;
	if (rc == SQLITE_OK && sqlite3_db_readonly(db, "main") == 1)
		rc = SQLITE_READONLY;
	if (rc == SQLITE_OK && (rc = rsq_schema_migrate(db, &errmsg)) != SQLITE_OK) {
		sqlite3_free(errmsg);
		errmsg = NULL;
		rc = sqlite3_extended_errcode(db);
	}
	const char *p[] = {cut, age};
	if (rc == SQLITE_OK)
		rc = run(db, "DELETE FROM main." RSQ_OUTCOMES " WHERE impression_id IN (SELECT id FROM main."
		             RSQ_IMPRESSIONS " WHERE id <= ?1 OR shown_at < "
		             "strftime('%Y-%m-%d %H:%M:%f', 'now', ?2)) OR (impression_id IS NULL AND "
		             "occurred_at < strftime('%Y-%m-%d %H:%M:%f', 'now', ?2))", 2, p, NULL, NULL,
		         NULL, NULL);
	if (rc == SQLITE_OK) {
		before = sqlite3_total_changes(db);
		rc = run(db, "DELETE FROM main." RSQ_IMPRESSIONS " WHERE id <= ?1 OR shown_at < "
		             "strftime('%Y-%m-%d %H:%M:%f', 'now', ?2)", 2, p, NULL, NULL, NULL, NULL);
		deleted = sqlite3_total_changes(db) - before;
	}
	if (errmsg)
		rsq_result_errmsg(c, errmsg);
	else if (rc != SQLITE_OK)
		write_error(c, db, FN, rc);
	else
		sqlite3_result_int(c, deleted);
	sqlite3_free(age);
}
