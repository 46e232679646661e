/*
 * fresh.c - recommendations from the model's source at request time:
 * recommend() for a user the model does not know, or with "fresh": true,
 * and the table-valued function recommend_for_session() (tvf_common.c):
 *
 *   recommend_for_session(session_id, k = 10, model = NULL, options = NULL)
 *       -> as recommend(), from the session's rows of the model's source
 *
 * The user's (session's) current rows are read from the source the model
 * was trained on (recsys_model_store.source, source.c) and folded in by the
 * core (rs_recommend_for_history), so new events count without retraining.
 * recommend() for a known user without "fresh" reads no table (recommend.c).
 *
 * A source stored as a query runs only while PRAGMA trusted_schema is on
 * (SQLite's rule for untrusted files: with it off, nothing stored in the
 * file runs SQL the application did not write); a table or view name is
 * always read as a quoted identifier.
 */
#include "recsys_sqlite.h"

#include <string.h>

/* Read the rows of one user or session of model m into h (m->source set).
 * A stored query runs only with a trusted schema (PRAGMA trusted_schema,
 * read at every call); a stored table name is always read as a quoted
 * identifier. */
static int read_key_rows(sqlite3 *db, const rsq_model *m, const char *role, const char *key,
                         size_t len, rs_history *h, char **errmsg)
{
	int rc = rsq_check_stored_sql(db, m->name, NULL, m->source, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	char *msg = NULL;
	rc = rsq_source_read_history(db, m->source, m->m, role, key, (int)len, h, &msg);
	char skey[RS_SHORT_CAP], sname[RS_SHORT_CAP];
	if (msg) /* say whose rows, as PostgreSQL's context line does */
		*errmsg = sqlite3_mprintf("%s (reading the rows of %s \"%s\" from the source of "
		                          "model \"%s\")", msg, role,
		                          rs_shorten(key, len, skey, sizeof skey),
		                          rs_shorten(m->name, (size_t)-1, sname, sizeof sname));
	sqlite3_free(msg);
	return rc;
}

/*
 * The rows of a fresh user (session = 0) or of a session (1), the key
 * being argument 0. Which answer a fresh user gets is the core's decision
 * (rs_recommend_fresh; no history when the model records no source); a
 * session needs the source.
 */
int rsq_fresh_compute(rsq_cursor *c, int session, int k, const rs_opt *opts)
{
	size_t len;
	const char *key = rsq_arg_text(c, 0, &len);
	const rsq_model *model = c->model;
	const rs_model *m = model->m;
	rs_history *h = NULL;
	rs_error err = {0};
	char *errmsg = NULL;
	if (rs_history_create(m, &h, &err) != RS_OK)
		return SQLITE_NOMEM;
	int rc = SQLITE_OK;
	if (model->source)
		rc = read_key_rows(c->ctx->db, model, session ? "session" : "user", key, len, h,
		                   &errmsg);
	else if (session) {
		char sname[RS_SHORT_CAP];
		errmsg = sqlite3_mprintf("model \"%s\" does not record its source; retrain it with "
		                         "recsys_train() to read sessions from its source",
		                         rs_shorten(model->name, (size_t)-1, sname, sizeof sname));
		rc = SQLITE_ERROR;
	}
	rs_status st = RS_OK;
	if (rc == SQLITE_OK && session)
		st = rs_recommend_for_history(m, h, 0, k, opts, c->rows, &c->n, &err);
	else if (rc == SQLITE_OK)
		st = rs_recommend_fresh(m, key, len, model->source ? h : NULL, k, opts, c->rows, &c->n,
		                        &err);
	rs_history_destroy(&h);
	if (rc != SQLITE_OK)
		return errmsg ? rsq_cursor_error(c, errmsg) : rc;
	return st == RS_OK ? SQLITE_OK : rsq_cursor_fail(c, &err);
}

/* recsys_explain() for a user the model does not know (argument 0): the
 * user's rows of the source into *out, as the fresh path reads them; *out
 * stays NULL when the model records no source (the core keeps the
 * not-found error then). */
int rsq_fresh_history(rsq_cursor *c, rs_history **out)
{
	size_t len;
	const char *key = rsq_arg_text(c, 0, &len);
	rs_error err = {0};
	char *errmsg = NULL;
	*out = NULL;
	if (!c->model->source)
		return SQLITE_OK;
	if (rs_history_create(c->model->m, out, &err) != RS_OK)
		return SQLITE_NOMEM;
	int rc = read_key_rows(c->ctx->db, c->model, "user", key, len, *out, &errmsg);
	if (rc != SQLITE_OK) {
		rs_history_destroy(out);
		return errmsg ? rsq_cursor_error(c, errmsg) : rc;
	}
	return SQLITE_OK;
}

/*
 * recsys_user_profile() of a user the model does not know: their rows of
 * the source (as a fresh user's are read). *found 0 when the model records
 * no source or it has no row of the user (the caller reports the unknown
 * user); an error of the read or the core otherwise.
 */
int rsq_fresh_profile(rsq_cursor *c, const rs_opt *opts, rs_profile *p, int *found)
{
	rs_history *h = NULL;
	rs_error err = {0};
	*found = 0;
	int rc = rsq_fresh_history(c, &h);
	if (rc != SQLITE_OK || !h)
		return rc;
	rs_status st = RS_OK;
	if (rs_history_rows(h) > 0) {
		*found = 1;
		st = rs_user_profile_history(c->model->m, h, opts, p, &err);
	}
	rs_history_destroy(&h);
	return st == RS_OK ? SQLITE_OK : rsq_cursor_fail(c, &err);
}

/* recommend_for_session(): the session's top k. */
static int session_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	return rsq_fresh_compute(c, 1, k, opts);
}

const rsq_tvf rsq_for_session_tvf = {
    .name = "recommend_for_session",
    .schema = "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, reason TEXT, "
              "source TEXT, session_id HIDDEN, k HIDDEN, model HIDDEN, options HIDDEN)",
    .n_out = 5,
    .args = {{"session_id", RSQ_ARG_KEY}, RSQ_SERVING_ARGS},
    .flags = RSQ_TVF_LOCAL | RSQ_TVF_RANKED | RSQ_TVF_TOPK,
    .compute = session_compute,
    .column = rsq_reco_column,
};
