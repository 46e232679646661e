/*
 * logged.c - the table-valued function recommend_logged() (tvf_common.c):
 *
 *   recommend_logged(user_id, k = 10, model = NULL, options = NULL, request_id = NULL)
 *       -> item_id, score, rank, reason, source, request_id
 *
 * recommend()'s rows, recorded as one impression (main.recsys_impressions,
 * one row per served list: items and scores as JSON arrays in rank order)
 * by the scan that returns them: serve and log in one
 * statement, inside or outside an explicit transaction (outside, the rows
 * commit with the statement). A NULL request id gets a generated one (a
 * random UUID). A connection that cannot write (PRAGMA query_only, a
 * read-only file) gets an error that says to use recommend(). Direct-only:
 * a view or trigger of the file cannot log under the caller's name.
 */
#include "recsys_sqlite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Argument positions (the schema's HIDDEN columns). */
enum { ARG_USER = 0, ARG_REQUEST = 4 };

/* A random (version 4) UUID as text, sqlite3_malloc'd. */
static char *new_request_id(void)
{
	unsigned char b[16];
	sqlite3_randomness(sizeof b, b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return sqlite3_mprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	                       b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	                       b[11], b[12], b[13], b[14], b[15]);
}

/* The error of a failed write: a read-only connection says what to do. */
static int log_error(rsq_cursor *c, sqlite3 *db, int rc)
{
	if ((rc & 0xff) == SQLITE_READONLY || sqlite3_db_readonly(db, "main") == 1)
		return rsq_cursor_error(c, sqlite3_mprintf(
			"recommend_logged: cannot record impressions: the connection is read-only "
			"(PRAGMA query_only or a read-only database file); use recommend() to serve "
			"without logging"));
	if (rsq_is_locked(rc)) {
		rsq_cursor_error(c, sqlite3_mprintf("recommend_logged: %s", sqlite3_errmsg(db)));
		return rc;
	}
	return rsq_cursor_error(c, sqlite3_mprintf("recommend_logged: cannot record impressions: %s",
	                                           sqlite3_errmsg(db)));
}

/* One served list of a policy is one pull of its arm. */
static int count_pull(rsq_cursor *c)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->ctx->db, "UPDATE main.recsys_policy_arms SET impressions = "
	                            "impressions + 1 WHERE policy = ?1 AND arm = ?2", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, c->policy, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->arm, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(c->ctx->db);
	}
	sqlite3_finalize(st);
	return rc;
}

/* The served list as JSON arrays: its item ids and its scores, in rank
 * order (into t: items, then a NUL, then scores); 0 when out of memory. */
static int list_json(const rsq_cursor *c, rs_text *t, size_t *scores_at)
{
	const rs_model *m = c->model->m;
	const rs_reco *rows = c->rows;
	rs_text_printf(t, "[");
	for (int i = 0; i < c->n; i++) {
		size_t len;
		const char *item = rs_model_item_id(m, rows[i].item, &len);
		rs_text_printf(t, "%s", i ? "," : "");
		rs_text_json_string(t, item, len);
	}
	rs_text_printf(t, "]%c", 0);
	*scores_at = t->len;
	rs_text_printf(t, "[");
	for (int i = 0; i < c->n; i++) {
		double s = rsq_float_decimal(rows[i].score);
		if (isfinite(s))
			rs_text_printf(t, "%s%.15g", i ? "," : "", s);
		else
			rs_text_printf(t, "%snull", i ? "," : "");
	}
	rs_text_printf(t, "]");
	return !t->oom && t->buf != NULL;
}

/* Insert the served list as one impression of request c->text. */
static int log_rows(rsq_cursor *c)
{
	static const char SQL[] =
		"INSERT INTO main." RSQ_IMPRESSIONS "(request_id, user_id, items, scores, model, "
		"model_version, policy, arm, propensity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	sqlite3 *db = c->ctx->db;
	char *errmsg = NULL;
	if (sqlite3_db_readonly(db, "main") == 1)
		return log_error(c, db, SQLITE_READONLY);
	int rc = rsq_schema_migrate(db, &errmsg);
	if (rc != SQLITE_OK) {
		sqlite3_free(errmsg);
		return log_error(c, db, sqlite3_extended_errcode(db));
	}
	if (c->n == 0)
		return SQLITE_OK;
	rs_text t = {0};
	size_t scores_at = 0;
	if (!list_json(c, &t, &scores_at)) {
		free(t.buf);
		return log_error(c, db, SQLITE_NOMEM);
	}
	sqlite3_stmt *st = NULL;
	if ((rc = sqlite3_prepare_v2(db, SQL, -1, &st, NULL)) != SQLITE_OK) {
		free(t.buf);
		return log_error(c, db, rc);
	}
	size_t ulen;
	const char *user = rsq_arg_text(c, ARG_USER, &ulen);
	sqlite3_bind_text(st, 1, c->text, -1, SQLITE_STATIC);
	sqlite3_bind_text64(st, 2, user, ulen, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_text(st, 3, t.buf, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, t.buf + scores_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->model->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, c->model->version);
	if (c->policy) { /* a policy's arm served the list (policy.c) */
		sqlite3_bind_text(st, 7, c->policy, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, c->arm, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 9, c->propensity);
	}
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	sqlite3_finalize(st);
	free(t.buf);
	if (rc == SQLITE_OK && c->policy)
		rc = count_pull(c);
	return rc == SQLITE_OK ? rc : log_error(c, db, rc);
}

/* recommend()'s rows, then the log. */
static int logged_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	int rc = rsq_recommend_compute(c, k, opts);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_value *req = c->args[ARG_REQUEST];
	if (req && sqlite3_value_type(req) != SQLITE_NULL)
		c->text = sqlite3_mprintf("%s", (const char *)sqlite3_value_text(req));
	else
		c->text = new_request_id();
	if (!c->text)
		return SQLITE_NOMEM;
	return log_rows(c);
}

/* recommend()'s columns, then the request id. */
static void logged_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	if (col == 5)
		sqlite3_result_text(ctx, c->text, -1, SQLITE_TRANSIENT);
	else
		rsq_reco_column(c, ctx, col);
}

const rsq_tvf rsq_logged_tvf = {
    .name = "recommend_logged",
    .schema = "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, reason TEXT, "
              "source TEXT, request_id TEXT, user_id HIDDEN, k HIDDEN, model HIDDEN, "
              "options HIDDEN, request HIDDEN)",
    .n_out = 6,
    .args = {{"user_id", RSQ_ARG_KEY}, RSQ_SERVING_ARGS, {"request_id", 0}},
    .flags = RSQ_TVF_RANKED | RSQ_TVF_TOPK | RSQ_TVF_DIRECTONLY | RSQ_TVF_POLICY,
    .compute = logged_compute,
    .column = logged_column,
};
