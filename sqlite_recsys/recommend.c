/*
 * recommend.c - the table-valued functions recommend() and
 * popular_items(), eponymous-only virtual tables with HIDDEN argument
 * columns (the series.c pattern):
 *
 *   recommend(user_id, k = 10, model = NULL, options = NULL)
 *       -> item_id TEXT, score REAL, rank INTEGER, reason TEXT, source TEXT
 *   popular_items(k = 10, model = NULL, options = NULL)
 *       -> item_id TEXT, score REAL, rank INTEGER
 *   recommend_for_session(session_id, k = 10, model = NULL, options = NULL)
 *       -> as recommend(), from the session's rows of the model's source
 *
 * Both get the model from the per-connection cache and ask the core for
 * the top k; xFilter computes all rows at once, xNext walks them.
 */
#include "recsys_sqlite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 4

/* Shape of one table-valued function. */
typedef struct tvf_spec {
	const char *fn;     /* SQL name, for error messages */
	const char *schema; /* CREATE TABLE for sqlite3_declare_vtab */
	int n_out;          /* output columns; hidden arguments follow */
	int n_args;         /* hidden argument columns */
	const char *arg_names[MAX_ARGS];
	unsigned required;                           /* bit i: argument i must be given */
	int arg_k, arg_model, arg_options, arg_user; /* argument positions, -1 = none */
	int session;                                 /* arg_user is a session id (fresh.c) */
} tvf_spec;

static const tvf_spec RECOMMEND = {
    .fn = "recommend",
    .schema = "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, reason TEXT, "
              "source TEXT, user_id HIDDEN, k HIDDEN, model HIDDEN, options HIDDEN)",
    .n_out = 5,
    .n_args = 4,
    .arg_names = {"user_id", "k", "model", "options"},
    .required = 1u << 0,
    .arg_user = 0,
    .arg_k = 1,
    .arg_model = 2,
    .arg_options = 3,
};

static const tvf_spec POPULAR = {
    .fn = "popular_items",
    .schema = "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, k HIDDEN, model HIDDEN, "
              "options HIDDEN)",
    .n_out = 3,
    .n_args = 3,
    .arg_names = {"k", "model", "options"},
    .required = 0,
    .arg_user = -1,
    .arg_k = 0,
    .arg_model = 1,
    .arg_options = 2,
};

static const tvf_spec SESSION = {
    .fn = "recommend_for_session",
    .schema = "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, reason TEXT, "
              "source TEXT, session_id HIDDEN, k HIDDEN, model HIDDEN, options HIDDEN)",
    .n_out = 5,
    .n_args = 4,
    .arg_names = {"session_id", "k", "model", "options"},
    .required = 1u << 0,
    .arg_user = 0,
    .arg_k = 1,
    .arg_model = 2,
    .arg_options = 3,
    .session = 1,
};

typedef rsq_vtab tvf_vtab; /* tvf_common.c; spec: the module's tvf_spec */

typedef rsq_cursor tvf_cursor; /* tvf_common.c */

/* xConnect of recommend. */
static int recommend_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                             sqlite3_vtab **out, char **err)
{
	(void)argc;
	(void)argv;
	return rsq_vtab_connect(db, aux, RECOMMEND.fn, RECOMMEND.schema, &RECOMMEND, out, err);
}

/* xConnect of popular_items. */
static int popular_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                           sqlite3_vtab **out, char **err)
{
	(void)argc;
	(void)argv;
	return rsq_vtab_connect(db, aux, POPULAR.fn, POPULAR.schema, &POPULAR, out, err);
}

/* xConnect of recommend_for_session. */
static int session_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                           sqlite3_vtab **out, char **err)
{
	(void)argc;
	(void)argv;
	return rsq_vtab_connect(db, aux, SESSION.fn, SESSION.schema, &SESSION, out, err);
}

/*
 * idxNum bit layout (shared with tvf_filter):
 *   bit i (0 <= i < spec->n_args) set = hidden argument i has an equality
 *   constraint, passed to xFilter; the set arguments arrive in argv in
 *   increasing i. recommend: bit 0 user_id, 1 k, 2 model, 3 options;
 *   popular_items: bit 0 k, 1 model, 2 options.
 * A hidden-argument constraint that exists but is not usable in this plan
 * (lateral join: recommend(u.id) before u is scanned) makes the plan
 * impossible: SQLITE_CONSTRAINT, so the planner puts u first. A required
 * argument that is entirely absent still gets a plan; xFilter reports it.
 */
static int tvf_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	const tvf_spec *spec = ((tvf_vtab *)tab)->spec;
	return rsq_best_index(info, spec->n_out, spec->n_args, spec->required);
}

/* Set the vtab's error message (takes ownership of msg). */
static int tvf_error(tvf_cursor *c, char *msg)
{
	return rsq_vtab_error(c->base.pVtab, msg);
}

/* Check the arguments: required ones present, user_id, k and options not NULL. */
static int check_args(tvf_cursor *c, const tvf_spec *spec, int *k)
{
	for (int i = 0; i < spec->n_args; i++) {
		if ((spec->required & (1u << i)) && !c->args[i])
			return tvf_error(c, sqlite3_mprintf("%s: argument \"%s\" is required",
			                                    spec->fn, spec->arg_names[i]));
		/* NULL model means the default; NULL options are refused, as in PostgreSQL */
		int must_not_be_null = i == spec->arg_user || i == spec->arg_k || i == spec->arg_options;
		if (must_not_be_null && c->args[i] && sqlite3_value_type(c->args[i]) == SQLITE_NULL)
			return tvf_error(c, sqlite3_mprintf("argument \"%s\" must not be null",
			                                    spec->arg_names[i]));
	}
	return rsq_arg_k(c->base.pVtab, c->args[spec->arg_k], k);
}

/* Ask the core for the rows of this scan. */
static int compute_rows(tvf_cursor *c, const tvf_spec *spec, int k, const rs_opt *opts)
{
	const char *model = c->args[spec->arg_model]
	                        ? (const char *)sqlite3_value_text(c->args[spec->arg_model])
	                        : NULL;
	char *errmsg = NULL;
	tvf_vtab *v = (tvf_vtab *)c->base.pVtab;
	int rc = rsq_cache_get(v->ctx, &v->probe, model, &c->model, &errmsg);
	if (rc != SQLITE_OK)
		return rsq_vtab_error_rc(c->base.pVtab, errmsg, rc);
	/* an out-of-range k is refused by the core before it writes anything */
	int room = k >= 1 && k <= RS_MAX_K ? k : 1;
	c->recs = sqlite3_malloc64((sqlite3_uint64)room * sizeof *c->recs);
	if (!c->recs)
		return SQLITE_NOMEM;
	rs_error err = {0};
	rs_status st;
	if (spec->arg_user >= 0) {
		sqlite3_value *u = c->args[spec->arg_user];
		const char *user = (const char *)sqlite3_value_text(u);
		size_t len = (size_t)sqlite3_value_bytes(u);
		/* sessions, unknown users and "fresh" read the source (fresh.c) */
		if (spec->session || rsq_fresh_wanted(c->model->m, user, len, opts)) {
			rc = rsq_fresh_rows(((tvf_vtab *)c->base.pVtab)->ctx->db, c->model, spec->session,
			                    user, len, k, opts, c->recs, &c->n, &errmsg);
			if (rc != SQLITE_OK)
				return errmsg ? tvf_error(c, errmsg) : rc;
			return SQLITE_OK;
		}
		st = rs_recommend(c->model->m, user, len, k, opts, c->recs, &c->n, &err);
	} else {
		st = rs_popular(c->model->m, k, opts, c->recs, &c->n, &err);
	}
	if (st != RS_OK) {
		c->n = 0;
		return err.status == RS_ENOMEM ? SQLITE_NOMEM : tvf_error(c, rsq_core_errmsg(&err));
	}
	if (c->n > room)
		c->n = room;
	return SQLITE_OK;
}

/*
 * xFilter. idxNum bit layout (as set by tvf_best_index):
 *   bit i (0 <= i < spec->n_args) set = hidden argument i was given and is
 *   in argv, in increasing i. recommend: bit 0 user_id, 1 k, 2 model,
 *   3 options; popular_items: bit 0 k, 1 model, 2 options. Absent k is 10,
 *   absent model / options are NULL; absent user_id is an error.
 */
static int tvf_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv)
{
	(void)idxStr;
	tvf_cursor *c = (tvf_cursor *)cur;
	const tvf_spec *spec = ((tvf_vtab *)cur->pVtab)->spec;
	rsq_cursor_reset(c);
	for (int i = 0, j = 0; i < spec->n_args; i++) {
		if (!(idxNum & (1 << i)) || j >= argc)
			continue;
		if (!(c->args[i] = sqlite3_value_dup(argv[j++])))
			return SQLITE_NOMEM;
	}
	int k = 10;
	int rc = check_args(c, spec, &k);
	if (rc != SQLITE_OK)
		return rc;
	const char *json = c->args[spec->arg_options]
	                       ? (const char *)sqlite3_value_text(c->args[spec->arg_options])
	                       : NULL;
	const rsq_opts *opts = NULL;
	char *errmsg = NULL;
	rc = rsq_opts_parse_cached(((tvf_vtab *)cur->pVtab)->ctx, json, "options", &opts, &errmsg);
	if (rc != SQLITE_OK)
		return tvf_error(c, errmsg);
	return compute_rows(c, spec, k, rsq_opts_root(opts));
}

/* xNext. */
static int tvf_next(sqlite3_vtab_cursor *cur)
{
	((tvf_cursor *)cur)->pos++;
	return SQLITE_OK;
}

/* xEof. */
static int tvf_eof(sqlite3_vtab_cursor *cur)
{
	tvf_cursor *c = (tvf_cursor *)cur;
	return c->pos >= c->n;
}


/* A hidden column reads back its argument (k defaults to 10). */
static void arg_column(tvf_cursor *c, const tvf_spec *spec, int arg, sqlite3_context *ctx)
{
	if (c->args[arg])
		sqlite3_result_value(ctx, c->args[arg]);
	else if (arg == spec->arg_k)
		sqlite3_result_int(ctx, 10);
	else
		sqlite3_result_null(ctx);
}

/* xColumn: item_id, score, rank [, reason, source], then the arguments. */
static int tvf_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	tvf_cursor *c = (tvf_cursor *)cur;
	const tvf_spec *spec = ((tvf_vtab *)cur->pVtab)->spec;
	const rs_reco *r = &c->recs[c->pos];
	const rs_model *m = c->model->m;
	size_t len = 0;
	const char *id;
	char reason[256];
	if (col >= spec->n_out) {
		arg_column(c, spec, col - spec->n_out, ctx);
		return SQLITE_OK;
	}
	switch (col) {
	case 0:
		id = rs_model_item_id(m, r->item, &len);
		sqlite3_result_text64(ctx, id ? id : "", id ? len : 0, SQLITE_TRANSIENT,
		                      SQLITE_UTF8);
		break;
	case 1: sqlite3_result_double(ctx, rsq_float_decimal(r->score)); break;
	case 2: sqlite3_result_int(ctx, c->pos + 1); break;
	case 3: /* "because you bought X", ... (core/reasons.c) */
		sqlite3_result_text(ctx, rs_reason_format(m, r, reason, sizeof reason), -1,
		                    SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_result_text(ctx, rs_source_name(m, r->source), -1, SQLITE_TRANSIENT);
		break;
	}
	return SQLITE_OK;
}

/* xRowid: the rank. */
static int tvf_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid)
{
	*rowid = ((tvf_cursor *)cur)->pos + 1;
	return SQLITE_OK;
}

/* Eponymous-only (xCreate NULL): usable as recommend(...), never CREATE
 * VIRTUAL TABLE. The three modules differ in xConnect (their spec) only. */
#define TVF_MODULE(connect)                                                    \
	{                                                                          \
		.iVersion = 0, .xConnect = connect, .xBestIndex = tvf_best_index,      \
		.xDisconnect = rsq_vtab_disconnect, .xDestroy = rsq_vtab_disconnect,             \
		.xOpen = rsq_cursor_open, .xClose = rsq_cursor_close, .xFilter = tvf_filter,         \
		.xNext = tvf_next, .xEof = tvf_eof, .xColumn = tvf_column,             \
		.xRowid = tvf_rowid,                                                   \
	}

const sqlite3_module rsq_recommend_module = TVF_MODULE(recommend_connect);
const sqlite3_module rsq_popular_module = TVF_MODULE(popular_connect);
const sqlite3_module rsq_for_session_module = TVF_MODULE(session_connect);
