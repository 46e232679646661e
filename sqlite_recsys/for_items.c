/*
 * for_items.c - the table-valued function recommend_for_items()
 * (tvf_common.c):
 *
 *   recommend_for_items(items, k = 10, model = NULL, options = NULL)
 *       -> item_id TEXT, score REAL, rank INTEGER, reason TEXT, source TEXT
 *
 * `items` is a JSON array of item ids (PostgreSQL: text[]), read with
 * SQLite's json_each(); strings and numbers are ids, nulls are skipped. The
 * core (core/fold_in.c) folds them into the cached model.
 */
#include "recsys_sqlite.h"

#include <string.h>

/* Free the ids. */
void rsq_ids_free(rsq_ids *s)
{
	for (int i = 0; i < s->n; i++)
		sqlite3_free(s->ids[i]);
	sqlite3_free(s->ids);
	sqlite3_free(s->lens);
	memset(s, 0, sizeof *s);
}

/* The JSON array text -> ids (strings and numbers; nulls become NULL ids);
 * fn names the function, arg the argument, what its elements ("item ids"). */
static int read_ids(sqlite3 *db, const char *fn, const char *json, const char *arg,
                    const char *what, rsq_ids *s, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT json_type(?1)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		const char *type = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
		if (rc == SQLITE_ERROR || (rc == SQLITE_ROW && !type))
			*errmsg = sqlite3_mprintf("argument \"%s\" is not valid JSON", arg);
		else if (rc == SQLITE_ROW && strcmp(type, "array") != 0)
			*errmsg = sqlite3_mprintf("argument \"%s\" must be a JSON array, not %s", arg, type);
		rc = *errmsg ? SQLITE_ERROR : SQLITE_OK;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT type, value FROM json_each(?1)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
	int cap = 0;
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		const char *type = (const char *)sqlite3_column_text(st, 0);
		if (type && (!strcmp(type, "array") || !strcmp(type, "object"))) {
			*errmsg = sqlite3_mprintf("argument \"%s\" must be a JSON array of %s, not of %ss",
			                          arg, what, type);
			rc = SQLITE_ERROR;
			break;
		}
		if (s->n == cap) {
			cap = cap ? 2 * cap : 16;
			char **ids = sqlite3_realloc64(s->ids, (sqlite3_uint64)cap * sizeof *ids);
			size_t *lens = ids ? sqlite3_realloc64(s->lens, (sqlite3_uint64)cap * sizeof *lens) : NULL;
			if (ids)
				s->ids = ids;
			if (!lens)
				return sqlite3_finalize(st), SQLITE_NOMEM;
			s->lens = lens;
		}
		const unsigned char *v = sqlite3_column_text(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		s->ids[s->n] = NULL;
		s->lens[s->n] = 0;
		if (v && strcmp(type, "null") != 0) {
			if (!(s->ids[s->n] = sqlite3_malloc(len + 1)))
				return sqlite3_finalize(st), SQLITE_NOMEM;
			memcpy(s->ids[s->n], v, (size_t)len + 1);
			s->lens[s->n] = (size_t)len;
		}
		s->n++;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc != SQLITE_OK && !*errmsg)
		*errmsg = sqlite3_mprintf("%s: %s", fn, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

int rsq_read_ids(rsq_ctx *ctx, const char *fn, const char *json, const char *arg,
                 const char *what, rsq_ids *s, char **errmsg)
{
	int rc = read_ids(ctx->db, fn, json, arg, what, s, errmsg);
	/* json_each is a table of main, locked while another connection commits:
	 * read the ids on the private connection then (rsq_json_db) */
	sqlite3 *jdb = rsq_is_locked(rc) ? rsq_json_db(ctx) : NULL;
	if (jdb) {
		sqlite3_free(*errmsg);
		*errmsg = NULL;
		rsq_ids_free(s);
		rc = read_ids(jdb, fn, json, arg, what, s, errmsg);
	}
	return rc;
}

/* The session's top k: its ids from the JSON array, then the model (so an
 * error in the array comes first, as PostgreSQL's text[] input does), then
 * the core. */
static int for_items_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	rsq_ids s = {0};
	char *errmsg = NULL;
	int rc = rsq_read_ids(c->ctx, "recommend_for_items", rsq_arg_text(c, 0, NULL), "items",
	                      "item ids", &s, &errmsg);
	if (rc != SQLITE_OK && errmsg)
		rc = rsq_cursor_error(c, errmsg);
	if (rc == SQLITE_OK)
		rc = rsq_cursor_model(c, 2);
	rs_error err = {0};
	if (rc == SQLITE_OK && rs_recommend_for_items(c->model->m, (const char *const *)s.ids, s.lens,
	                                              s.n, k, opts, c->rows, &c->n, &err) != RS_OK)
		rc = rsq_cursor_fail(c, &err);
	rsq_ids_free(&s);
	return rc;
}

const rsq_tvf rsq_for_items_tvf = {
    .name = "recommend_for_items",
    .schema = "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, reason TEXT, "
              "source TEXT, items HIDDEN, k HIDDEN, model HIDDEN, options HIDDEN)",
    .n_out = 5,
    .args = {{"items", RSQ_ARG_KEY},
             {"k", RSQ_ARG_K},
             {"model", 0}, /* loaded by for_items_compute */
             {"options", RSQ_ARG_OPTIONS}},
    .flags = RSQ_TVF_LOCAL | RSQ_TVF_RANKED | RSQ_TVF_TOPK,
    .compute = for_items_compute,
    .column = rsq_reco_column,
};
