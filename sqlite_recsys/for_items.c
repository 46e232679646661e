/*
 * for_items.c - the table-valued function recommend_for_items(), an
 * eponymous-only virtual table with HIDDEN argument columns (series.c):
 *
 *   recommend_for_items(items, k = 10, model = NULL, options = NULL)
 *       -> item_id TEXT, score REAL, rank INTEGER, reason TEXT, source TEXT
 *
 * `items` is a JSON array of item ids (PostgreSQL: text[]), read with
 * SQLite's json_each(); strings and numbers are ids, nulls are skipped. The
 * model comes from the per-connection cache and the core (core/fold_in.c)
 * computes all rows in xFilter; xNext walks them.
 */
#include "recsys_sqlite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { ARG_ITEMS, ARG_K, ARG_MODEL, ARG_OPTIONS, N_ARGS, N_OUT = 5 };

static const char *const ARG_NAMES[N_ARGS] = {"items", "k", "model", "options"};

typedef rsq_vtab ses_vtab; /* tvf_common.c */

typedef rsq_cursor ses_cursor; /* tvf_common.c */

/* The session's ids, copied out of json_each(). */
typedef struct ses_items {
	char **ids;
	size_t *lens;
	int n;
} ses_items;

/* xConnect: declare the table. */
static int ses_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                       sqlite3_vtab **out, char **err)
{
	(void)argc;
	(void)argv;
	return rsq_vtab_connect(db, aux, "recommend_for_items",
	                        "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, "
	                        "reason TEXT, source TEXT, items HIDDEN, k HIDDEN, "
	                        "model HIDDEN, options HIDDEN)",
	                        NULL, out, err);
}

/*
 * idxNum bit layout (shared with ses_filter): bit i set = hidden argument i
 * (0 items, 1 k, 2 model, 3 options) has an equality constraint, passed to
 * xFilter in increasing i. A constraint that exists but is not usable in
 * this plan (lateral join) makes the plan impossible (SQLITE_CONSTRAINT);
 * an entirely absent items argument gets a plan and xFilter reports it.
 */
static int ses_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	(void)tab;
	return rsq_best_index(info, N_OUT, N_ARGS, 1u);
}

/* Set the vtab's error message (takes ownership of msg). */
static int ses_error(ses_cursor *c, char *msg)
{
	return rsq_vtab_error(c->base.pVtab, msg);
}

/* Check the arguments: items present; items, k and options not NULL (NULL
 * model: the default); k an integer. */
static int ses_check_args(ses_cursor *c, int *k)
{
	if (!c->args[ARG_ITEMS])
		return ses_error(c, sqlite3_mprintf("recommend_for_items: argument \"items\" is required"));
	for (int i = ARG_ITEMS; i < N_ARGS; i++)
		if (i != ARG_MODEL && c->args[i] && sqlite3_value_type(c->args[i]) == SQLITE_NULL)
			return ses_error(c, sqlite3_mprintf("argument \"%s\" must not be null", ARG_NAMES[i]));
	return rsq_arg_k(c->base.pVtab, c->args[ARG_K], k);
}

static void ses_items_free(ses_items *s)
{
	for (int i = 0; i < s->n; i++)
		sqlite3_free(s->ids[i]);
	sqlite3_free(s->ids);
	sqlite3_free(s->lens);
	memset(s, 0, sizeof *s);
}

/* The JSON array text -> ids (strings and numbers; nulls become NULL ids). */
static int ses_read_items(sqlite3 *db, const char *json, ses_items *s, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT json_type(?1)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		const char *type = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
		if (rc == SQLITE_ERROR || (rc == SQLITE_ROW && !type))
			*errmsg = sqlite3_mprintf("argument \"items\" is not valid JSON");
		else if (rc == SQLITE_ROW && strcmp(type, "array") != 0)
			*errmsg = sqlite3_mprintf("argument \"items\" must be a JSON array, not %s", type);
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
			*errmsg = sqlite3_mprintf("argument \"items\" must be a JSON array of item ids, "
			                          "not of %ss", type);
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
		*errmsg = sqlite3_mprintf("recommend_for_items: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/* Ask the core for the rows of this scan. */
static int ses_compute(ses_cursor *c, int k, const rs_opt *opts, const ses_items *s)
{
	const char *model = c->args[ARG_MODEL] ? (const char *)sqlite3_value_text(c->args[ARG_MODEL])
	                                       : NULL;
	char *errmsg = NULL;
	ses_vtab *v = (ses_vtab *)c->base.pVtab;
	int rc = rsq_cache_get(v->ctx, &v->probe, model, &c->model, &errmsg);
	if (rc != SQLITE_OK)
		return rsq_vtab_error_rc(c->base.pVtab, errmsg, rc);
	int room = k >= 1 && k <= RS_MAX_K ? k : 1; /* the core refuses a bad k itself */
	c->recs = sqlite3_malloc64((sqlite3_uint64)room * sizeof *c->recs);
	if (!c->recs)
		return SQLITE_NOMEM;
	rs_error err = {0};
	if (rs_recommend_for_items(c->model->m, (const char *const *)s->ids, s->lens, s->n, k, opts,
	                           c->recs, &c->n, &err) != RS_OK) {
		c->n = 0;
		return err.status == RS_ENOMEM ? SQLITE_NOMEM : ses_error(c, rsq_core_errmsg(&err));
	}
	return SQLITE_OK;
}

/*
 * xFilter. idxNum bit layout (as set by ses_best_index): bit i set =
 * hidden argument i (0 items, 1 k, 2 model, 3 options) is in argv, in
 * increasing i. Absent k is 10, absent model / options NULL; absent items
 * is an error.
 */
static int ses_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv)
{
	(void)idxStr;
	ses_cursor *c = (ses_cursor *)cur;
	rsq_ctx *ctx = ((ses_vtab *)cur->pVtab)->ctx;
	rsq_cursor_reset(c);
	for (int i = 0, j = 0; i < N_ARGS; i++) {
		if (!(idxNum & (1 << i)) || j >= argc)
			continue;
		if (!(c->args[i] = sqlite3_value_dup(argv[j++])))
			return SQLITE_NOMEM;
	}
	int k = 10;
	int rc = ses_check_args(c, &k);
	if (rc != SQLITE_OK)
		return rc;
	const char *json = c->args[ARG_OPTIONS] ? (const char *)sqlite3_value_text(c->args[ARG_OPTIONS])
	                                        : NULL;
	const rsq_opts *opts = NULL;
	char *errmsg = NULL;
	rc = rsq_opts_parse_cached(ctx, json, "options", &opts, &errmsg);
	if (rc != SQLITE_OK)
		return ses_error(c, errmsg);
	ses_items s = {0};
	const char *items = (const char *)sqlite3_value_text(c->args[ARG_ITEMS]);
	rc = ses_read_items(ctx->db, items, &s, &errmsg);
	/* json_each is a table of main, locked while another connection commits:
	 * read the ids on the private connection then (rsq_json_db) */
	sqlite3 *jdb = rsq_is_locked(rc) ? rsq_json_db(ctx) : NULL;
	if (jdb) {
		sqlite3_free(errmsg);
		errmsg = NULL;
		ses_items_free(&s);
		rc = ses_read_items(jdb, items, &s, &errmsg);
	}
	if (rc == SQLITE_OK)
		rc = ses_compute(c, k, rsq_opts_root(opts), &s);
	else if (errmsg)
		rc = ses_error(c, errmsg);
	ses_items_free(&s);
	return rc;
}

/* xNext. */
static int ses_next(sqlite3_vtab_cursor *cur)
{
	((ses_cursor *)cur)->pos++;
	return SQLITE_OK;
}

/* xEof. */
static int ses_eof(sqlite3_vtab_cursor *cur)
{
	ses_cursor *c = (ses_cursor *)cur;
	return c->pos >= c->n;
}


/* xColumn: item_id, score, rank, reason, source, then the arguments. */
static int ses_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	ses_cursor *c = (ses_cursor *)cur;
	if (col >= N_OUT) {
		sqlite3_value *a = c->args[col - N_OUT];
		if (a)
			sqlite3_result_value(ctx, a);
		else if (col - N_OUT == ARG_K)
			sqlite3_result_int(ctx, 10);
		else
			sqlite3_result_null(ctx);
		return SQLITE_OK;
	}
	const rs_reco *r = &c->recs[c->pos];
	const rs_model *m = c->model->m;
	char reason[256];
	size_t len = 0;
	const char *id;
	switch (col) {
	case 0:
		id = rs_model_item_id(m, r->item, &len);
		sqlite3_result_text64(ctx, id ? id : "", id ? len : 0, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case 1: sqlite3_result_double(ctx, rsq_float_decimal(r->score)); break;
	case 2: sqlite3_result_int(ctx, c->pos + 1); break;
	case 3: /* "because you bought X", ... (core/reasons.c) */
		sqlite3_result_text(ctx, rs_reason_format(m, r, reason, sizeof reason), -1,
		                    SQLITE_TRANSIENT);
		break;
	default: sqlite3_result_text(ctx, rs_source_name(m, r->source), -1, SQLITE_TRANSIENT); break;
	}
	return SQLITE_OK;
}

/* xRowid: the rank. */
static int ses_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid)
{
	*rowid = ((ses_cursor *)cur)->pos + 1;
	return SQLITE_OK;
}

/* Eponymous-only (xCreate NULL): usable as recommend_for_items(...). */
const sqlite3_module rsq_session_module = {
    .iVersion = 0,
    .xConnect = ses_connect,
    .xBestIndex = ses_best_index,
    .xDisconnect = rsq_vtab_disconnect,
    .xDestroy = rsq_vtab_disconnect,
    .xOpen = rsq_cursor_open,
    .xClose = rsq_cursor_close,
    .xFilter = ses_filter,
    .xNext = ses_next,
    .xEof = ses_eof,
    .xColumn = ses_column,
    .xRowid = ses_rowid,
};
