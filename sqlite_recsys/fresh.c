/*
 * fresh.c - recommendations from the model's source at request time:
 * recommend() for a user the model does not know, or with "fresh": true,
 * and recommend_for_session(). The user's (session's) current rows are read
 * from the source the model was trained on (recsys_model_store.source,
 * source.c) and folded in by the core (rs_recommend_for_history), so new
 * events count without retraining. recommend() for a known user without
 * "fresh" reads no table (recommend.c).
 *
 * A source stored as a query runs only while PRAGMA trusted_schema is on
 * (SQLite's rule for untrusted files: with it off, nothing stored in the
 * file runs SQL the application did not write); a table or view name is
 * always read as a quoted identifier.
 */
#include "recsys_sqlite.h"

#include <string.h>

/* Does recommend() take the fresh path: an unknown user, or "fresh" not false? */
int rsq_fresh_wanted(const rs_model *m, const char *user, size_t len, const rs_opt *opts)
{
	const rs_opt *f = rs_opt_get(opts, "fresh");
	if (f)
		return !(f->kind == RS_OPT_BOOL && !f->boolean);
	return rs_model_find_user(m, user, len) < 0;
}

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
 * The rows of a fresh user (session = 0) or of a session (1). An unknown
 * user without any row, and every user of a model that records no source,
 * get recommend()'s own answer (cold start: popular items); a session needs
 * the source.
 */
int rsq_fresh_rows(sqlite3 *db, const rsq_model *model, int session, const char *key,
                   size_t len, int k, const rs_opt *opts, rs_reco *out, int *n, char **errmsg)
{
	const rs_model *m = model->m;
	rs_history *h = NULL;
	rs_error err = {0};
	*errmsg = NULL;
	if (rs_history_create(m, &h, &err) != RS_OK)
		return SQLITE_NOMEM;
	int rc = SQLITE_OK;
	if (model->source)
		rc = read_key_rows(db, model, session ? "session" : "user", key, len, h, errmsg);
	else if (session) {
		char sname[RS_SHORT_CAP];
		*errmsg = sqlite3_mprintf("model \"%s\" does not record its source; retrain it with "
		                          "recsys_train() to read sessions from its source",
		                          rs_shorten(model->name, (size_t)-1, sname, sizeof sname));
		rc = SQLITE_ERROR;
	}
	rs_status st = RS_OK;
	if (rc == SQLITE_OK && !session &&
	    (!model->source || (rs_model_find_user(m, key, len) < 0 && rs_history_kept(h) == 0)))
		st = rs_recommend(m, key, len, k, opts, out, n, &err);
	else if (rc == SQLITE_OK)
		st = rs_recommend_for_history(m, h, !session, k, opts, out, n, &err);
	rs_history_destroy(&h);
	if (st != RS_OK) {
		*n = 0;
		if (st == RS_ENOMEM)
			return SQLITE_NOMEM;
		*errmsg = rsq_core_errmsg(&err);
		return SQLITE_ERROR;
	}
	return rc;
}
