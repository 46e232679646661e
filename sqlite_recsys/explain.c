/*
 * explain.c - the table-valued functions about one user (tvf_common.c):
 *
 *   recsys_explain(user_id, item_id, model = NULL)
 *       -> item_id TEXT, contribution REAL, rank INTEGER
 *   recsys_user_profile(user_id, model = NULL, options = '{}')
 *       -> interactions INTEGER, distinct_items INTEGER, spending_segment TEXT,
 *          avg_item_price REAL, last_interaction TEXT, event_counts TEXT (JSON),
 *          purchases INTEGER, last_purchase TEXT, total_spend REAL,
 *          spend_segment TEXT, customer_type TEXT
 *
 * A user the model does not know whose rows its source has (a fresh user)
 * is profiled from those rows. last_interaction, last_purchase are UTC text 'YYYY-MM-DD HH:MM:SS', the format of SQLite's
 * datetime() (PostgreSQL: timestamptz); unknown values are NULL. The core
 * computes the rows from the cached model (core/explain.c, core/profile.c);
 * a user the model does not know is explained from their rows of the
 * model's source, as recommend()'s fresh path serves them.
 * Lateral joins work: FROM users u, recsys_explain(u.id, 'i1').
 */
#include "recsys_sqlite.h"

#include <math.h>
#include <string.h>
#include <time.h>

/* ---- recsys_explain ---- */

/* The core's contributions; an unknown user or item names the model too. */
static int explain_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	(void)k;
	(void)opts;
	size_t ulen, ilen;
	const char *user = rsq_arg_text(c, 0, &ulen), *item = rsq_arg_text(c, 1, &ilen);
	rs_error err = {0};
	rs_contribution *rows = NULL;
	rs_history *fresh = NULL; /* a user the model does not know: their rows (fresh.c) */
	int rc = rs_model_find_user(c->model->m, user, ulen) < 0 ? rsq_fresh_history(c, &fresh)
	                                                         : SQLITE_OK;
	if (rc != SQLITE_OK)
		return rc;
	rs_status st = rs_explain_fresh(c->model->m, user, ulen, fresh, item, ilen, &rows, &c->n, &err);
	rs_history_destroy(&fresh);
	if (st != RS_OK) {
		rs_error_name_model(&err, c->model->m, c->model->name, user, ulen, item, ilen);
		return rsq_cursor_fail(c, &err);
	}
	/* into SQLite's allocator, freed with the cursor */
	c->rows = sqlite3_malloc64(sizeof *rows * ((sqlite3_uint64)c->n + 1));
	if (c->rows && c->n > 0)
		memcpy(c->rows, rows, sizeof *rows * (size_t)c->n);
	rs_free(rows);
	return c->rows ? SQLITE_OK : SQLITE_NOMEM;
}

/* item_id, contribution, rank. */
static void explain_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	const rs_contribution *r = (const rs_contribution *)c->rows + c->pos;
	size_t len = 0;
	const char *id;
	switch (col) {
	case 0:
		id = rs_model_item_id(c->model->m, r->item, &len);
		sqlite3_result_text64(ctx, id, len, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case 1: sqlite3_result_double(ctx, rsq_float_decimal(r->contribution)); break;
	default: sqlite3_result_int(ctx, c->pos + 1); break;
	}
}

const rsq_tvf rsq_explain_tvf = {
    .name = "recsys_explain",
    .schema = "CREATE TABLE x(item_id TEXT, contribution REAL, rank INTEGER, "
              "user_id HIDDEN, item HIDDEN, model HIDDEN)",
    .n_out = 3,
    .args = {{"user_id", RSQ_ARG_KEY},
             {"item_id", RSQ_ARG_KEY},
             {"model", RSQ_ARG_MODEL}},
    .flags = RSQ_TVF_LOCAL | RSQ_TVF_RANKED,
    .compute = explain_compute,
    .column = explain_column,
};

/* ---- recsys_user_profile ---- */

/* The core's profile of the user (a fresh user's from their rows): one
 * row, its event counts copied behind it into SQLite's allocator. */
static int profile_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	(void)k;
	size_t ulen;
	const char *user = rsq_arg_text(c, 0, &ulen);
	rs_error err = {0};
	rs_profile p;
	int found = 1, rc = SQLITE_OK;
	if (rs_user_profile(c->model->m, user, ulen, opts, &p, &err) != RS_OK) {
		if (err.status == RS_ENOTFOUND)
			rc = rsq_fresh_profile(c, opts, &p, &found);
		if (rc != SQLITE_OK)
			return rc;
		if (err.status != RS_ENOTFOUND || !found) {
			rs_error_name_model(&err, c->model->m, c->model->name, user, ulen, NULL, 0);
			return rsq_cursor_fail(c, &err);
		}
	}
	size_t clen = p.event_counts ? strlen(p.event_counts) + 1 : 0;
	rs_profile *row = sqlite3_malloc64(sizeof *row + clen);
	if (row) {
		*row = p;
		row->event_counts = clen ? memcpy((char *)(row + 1), p.event_counts, clen) : NULL;
	}
	rs_profile_clear(&p);
	if (!(c->rows = row))
		return SQLITE_NOMEM;
	c->n = 1;
	return SQLITE_OK;
}

static void result_text_or_null(sqlite3_context *ctx, const char *s)
{
	if (s)
		sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(ctx);
}

static void result_double_or_null(sqlite3_context *ctx, double v)
{
	if (isnan(v))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_double(ctx, v);
}

/* Unix seconds as UTC 'YYYY-MM-DD HH:MM:SS' (SQLite's datetime() format). */
static void result_datetime(sqlite3_context *ctx, double secs)
{
	time_t t = (time_t)floor(secs);
	struct tm tm;
	char buf[32];
	if (isnan(secs) || !gmtime_r(&t, &tm) ||
	    !strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

/* interactions, distinct_items, spending_segment, avg_item_price,
 * last_interaction, event_counts, purchases, last_purchase, total_spend,
 * spend_segment, customer_type. */
static void profile_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	const rs_profile *p = c->rows;
	switch (col) {
	case 0: sqlite3_result_int64(ctx, p->interactions); break;
	case 1: sqlite3_result_int64(ctx, p->distinct_items); break;
	case 2:
		if (p->spending_segment)
			sqlite3_result_text(ctx, p->spending_segment, -1, SQLITE_STATIC);
		else
			sqlite3_result_null(ctx);
		break;
	case 3:
		if (isnan(p->avg_item_price))
			sqlite3_result_null(ctx);
		else
			sqlite3_result_double(ctx, p->avg_item_price);
		break;
	case 4: result_datetime(ctx, p->last_interaction); break;
	case 5: result_text_or_null(ctx, p->event_counts); break;
	case 6:
		if (p->purchases < 0)
			sqlite3_result_null(ctx);
		else
			sqlite3_result_int64(ctx, p->purchases);
		break;
	case 7: result_datetime(ctx, p->last_purchase); break;
	case 8: result_double_or_null(ctx, p->total_spend); break;
	case 9: result_text_or_null(ctx, p->spend_segment); break;
	default: result_text_or_null(ctx, p->customer_type); break;
	}
}

const rsq_tvf rsq_profile_tvf = {
    .name = "recsys_user_profile",
    .schema = "CREATE TABLE x(interactions INTEGER, distinct_items INTEGER, "
              "spending_segment TEXT, avg_item_price REAL, last_interaction TEXT, "
              "event_counts TEXT, purchases INTEGER, last_purchase TEXT, total_spend REAL, "
              "spend_segment TEXT, customer_type TEXT, user_id HIDDEN, model HIDDEN, "
              "options HIDDEN)",
    .n_out = 11,
    .args = {{"user_id", RSQ_ARG_KEY}, {"model", RSQ_ARG_MODEL}, {"options", RSQ_ARG_OPTIONS}},
    .flags = RSQ_TVF_LOCAL,
    .compute = profile_compute,
    .column = profile_column,
};
