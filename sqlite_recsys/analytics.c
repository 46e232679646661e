/*
 * analytics.c - the table-valued function recsys_user_stats(user_id, model)
 * -> shown, requests, clicks, conversions, ctr, top_categories,
 * top_clicked_categories (JSON arrays): what one user was shown from a model
 * and what they did, with the model's item categories most shown and most
 * clicked (five each, ties by name). The dashboards over all users are
 * views of the file (schema.c); this one needs the model's categories.
 */
#include "recsys_sqlite.h"

#include <stdlib.h>
#include <string.h>

/* One category and how often it was shown / clicked. */
typedef struct cat_count {
	const char *name;
	size_t len;
	sqlite3_int64 shown, clicked;
} cat_count;

/* The scan's one row. */
typedef struct user_stats {
	sqlite3_int64 shown, requests, clicks, conversions;
	const char *top_shown, *top_clicked; /* JSON arrays, in the same allocation */
} user_stats;

/* Move the two JSON texts into the row's allocation (the framework frees
 * c->rows alone); takes them. */
static int keep_texts(rsq_cursor *c, char *shown, char *clicked)
{
	size_t a = shown ? strlen(shown) + 1 : 0, b = clicked ? strlen(clicked) + 1 : 0;
	user_stats *u = shown && clicked ? sqlite3_realloc64(c->rows, sizeof *u + a + b) : NULL;
	if (u) {
		char *text = (char *)(u + 1);
		memcpy(text, shown, a);
		memcpy(text + a, clicked, b);
		u->top_shown = text;
		u->top_clicked = text + a;
		c->rows = u;
	}
	sqlite3_free(shown);
	sqlite3_free(clicked);
	return u ? SQLITE_OK : SQLITE_NOMEM;
}

static int by_shown(const void *a, const void *b)
{
	const cat_count *x = a, *y = b;
	if (x->shown != y->shown)
		return x->shown > y->shown ? -1 : 1;
	int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int by_clicked(const void *a, const void *b)
{
	const cat_count *x = a, *y = b;
	if (x->clicked != y->clicked)
		return x->clicked > y->clicked ? -1 : 1;
	return by_shown(a, b);
}

/* The first five categories of cats (sorted) with a count > 0, as JSON. */
static char *top_json(const cat_count *cats, int n, int clicked)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	sqlite3_str_appendchar(s, 1, '[');
	for (int i = 0, out = 0; i < n && out < 5; i++) {
		if ((clicked ? cats[i].clicked : cats[i].shown) == 0)
			continue;
		if (out++)
			sqlite3_str_appendchar(s, 1, ',');
		rsq_json_quote(s, cats[i].name, cats[i].len);
	}
	sqlite3_str_appendchar(s, 1, ']');
	return sqlite3_str_finish(s);
}

static int user_stats_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	(void)k;
	(void)opts;
	sqlite3 *db = c->ctx->db;
	const rs_model *m = c->model->m;
	user_stats *u = sqlite3_malloc64(sizeof *u);
	if (!u)
		return SQLITE_NOMEM;
	memset(u, 0, sizeof *u);
	c->rows = u;
	c->n = 1;
	int exists = rsq_table_exists(db, RSQ_IMPRESSIONS);
	if (exists != 1)
		return exists < 0 ? SQLITE_ERROR : keep_texts(c, sqlite3_mprintf("[]"), sqlite3_mprintf("[]"));
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db,
		"SELECT j.value, j.key = 0, "
		"(SELECT count(*) FROM main." RSQ_OUTCOMES " o WHERE o.impression_id = i.id "
		"AND o.rank = j.key + 1 AND o.event = 'click'), "
		"(SELECT count(*) FROM main." RSQ_OUTCOMES " o WHERE o.impression_id = i.id "
		"AND o.rank = j.key + 1 AND o.event <> 'click') "
		"FROM main." RSQ_IMPRESSIONS " i, json_each(i.items) j "
		"WHERE i.user_id = ?1 AND i.model = ?2", -1, &st, NULL);
	cat_count *cats = NULL;
	int n = 0, cap = 0;
	if (rc == SQLITE_OK) {
		size_t len;
		const char *user = rsq_arg_text(c, 0, &len);
		sqlite3_bind_text64(st, 1, user, len, SQLITE_STATIC, SQLITE_UTF8);
		sqlite3_bind_text(st, 2, c->model->name, -1, SQLITE_STATIC);
	}
	while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *item = (const char *)sqlite3_column_text(st, 0);
		sqlite3_int64 clicks = sqlite3_column_int64(st, 2);
		u->shown++;
		u->requests += sqlite3_column_int(st, 1);
		u->clicks += clicks;
		u->conversions += sqlite3_column_int64(st, 3);
		size_t len;
		const char *cat = item ? rs_model_item_category(
		                             m, rs_model_find_item(m, item, strlen(item)), &len)
		                       : NULL;
		if (!cat)
			continue;
		int i = 0;
		while (i < n && !(cats[i].len == len && memcmp(cats[i].name, cat, len) == 0))
			i++;
		if (i == n) {
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				cat_count *grown = sqlite3_realloc64(cats, (sqlite3_uint64)cap * sizeof *cats);
				if (!grown) {
					rc = SQLITE_NOMEM;
					break;
				}
				cats = grown;
			}
			cats[n++] = (cat_count){cat, len, 0, 0};
		}
		cats[i].shown++;
		cats[i].clicked += clicks > 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK) {
		if (n > 0)
			qsort(cats, (size_t)n, sizeof *cats, by_shown);
		char *shown = top_json(cats, n, 0);
		if (n > 0)
			qsort(cats, (size_t)n, sizeof *cats, by_clicked);
		rc = keep_texts(c, shown, top_json(cats, n, 1));
	}
	sqlite3_free(cats);
	if (rc != SQLITE_OK && rc != SQLITE_NOMEM)
		return rsq_cursor_error(c, sqlite3_mprintf("recsys_user_stats: %s", sqlite3_errmsg(db)));
	return rc;
}

static void user_stats_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	const user_stats *u = c->rows;
	switch (col) {
	case 0: sqlite3_result_int64(ctx, u->shown); break;
	case 1: sqlite3_result_int64(ctx, u->requests); break;
	case 2: sqlite3_result_int64(ctx, u->clicks); break;
	case 3: sqlite3_result_int64(ctx, u->conversions); break;
	case 4:
		if (u->shown)
			sqlite3_result_double(ctx, (double)u->clicks / (double)u->shown);
		else
			sqlite3_result_null(ctx);
		break;
	case 5: sqlite3_result_text(ctx, u->top_shown, -1, SQLITE_TRANSIENT); break;
	default: sqlite3_result_text(ctx, u->top_clicked, -1, SQLITE_TRANSIENT); break;
	}
}

const rsq_tvf rsq_user_stats_tvf = {
    .name = "recsys_user_stats",
    .schema = "CREATE TABLE x(shown INTEGER, requests INTEGER, clicks INTEGER, conversions INTEGER, "
              "ctr REAL, top_categories TEXT, top_clicked_categories TEXT, user_id HIDDEN, "
              "model HIDDEN)",
    .n_out = 7,
    .args = {{"user_id", RSQ_ARG_KEY}, {"model", RSQ_ARG_MODEL}},
    .rows = 1,
    .compute = user_stats_compute,
    .column = user_stats_column,
};
