/*
 * explain.c - the table-valued functions about one user, eponymous-only
 * virtual tables with HIDDEN argument columns (series.c):
 *
 *   recsys_explain(user_id, item_id, model = NULL)
 *       -> item_id TEXT, contribution REAL, rank INTEGER
 *   recsys_user_profile(user_id, model = NULL)
 *       -> interactions INTEGER, distinct_items INTEGER, spending_segment TEXT,
 *          avg_item_price REAL, last_interaction TEXT
 *
 * last_interaction is UTC text 'YYYY-MM-DD HH:MM:SS', the format of SQLite's
 * datetime() (PostgreSQL: timestamptz); unknown values are NULL. Both take
 * the model from the per-connection cache and ask the core for every row in
 * xFilter (core/explain.c, core/profile.c); xNext walks them. A shape per
 * module drives the shared cursor code. Lateral joins work:
 * FROM users u, recsys_explain(u.id, 'i1').
 */
#include "recsys_sqlite.h"

#include <math.h>
#include <string.h>
#include <time.h>

enum { MAX_ARGS = 3 };

typedef struct xcursor xcursor;

/* One module: its declaration, hidden arguments (the first n_required must
 * be given and not NULL; the last is the model), row computation and
 * columns. */
typedef struct shape {
	const char *fn;      /* SQL name, for messages */
	const char *schema;  /* CREATE TABLE for sqlite3_declare_vtab */
	int n_out, n_args, n_required;
	int ranked;          /* rows best first, rank = column 2: ORDER BY rank is free */
	const char *arg_names[MAX_ARGS];
	int (*compute)(xcursor *c);
	void (*column)(xcursor *c, sqlite3_context *ctx, int col);
} shape;

typedef struct xvtab {
	sqlite3_vtab base;
	rsq_ctx *ctx;
	const shape *sh;
	sqlite3_stmt *probe; /* rsq_cache_get's read of main */
} xvtab;

struct xcursor {
	sqlite3_vtab_cursor base;
	rsq_model *model; /* referenced while rows point into it */
	rs_contribution *rows; /* recsys_explain */
	rs_profile profile;    /* recsys_user_profile: one row */
	int n, pos;
	sqlite3_value *args[MAX_ARGS]; /* copies of the arguments, for xColumn */
};

static const shape *shape_of(xcursor *c) { return ((xvtab *)c->base.pVtab)->sh; }

/* Set the vtab's error message (takes ownership of msg). */
static int x_error(xcursor *c, char *msg)
{
	return rsq_vtab_error(c->base.pVtab, msg);
}

/* Argument i as text and its length (NULL when absent). */
static const char *arg_text(xcursor *c, int i, size_t *len)
{
	*len = c->args[i] ? (size_t)sqlite3_value_bytes(c->args[i]) : 0;
	return c->args[i] ? (const char *)sqlite3_value_text(c->args[i]) : NULL;
}

/* ---- recsys_explain ---- */

/* The core's contributions; an unknown user or item names the model too. */
static int explain_compute(xcursor *c)
{
	size_t ulen, ilen;
	const char *user = arg_text(c, 0, &ulen), *item = arg_text(c, 1, &ilen);
	rs_error err = {0};
	rs_contribution *rows = NULL;
	if (rs_explain(c->model->m, user, ulen, item, ilen, &rows, &c->n, &err) != RS_OK) {
		if (err.status != RS_ENOTFOUND)
			return err.status == RS_ENOMEM ? SQLITE_NOMEM : x_error(c, rsq_core_errmsg(&err));
		int no_user = rs_model_find_user(c->model->m, user, ulen) < 0;
		char sid[RS_SHORT_CAP], sname[RS_SHORT_CAP];
		return x_error(c, sqlite3_mprintf("%s \"%s\" is not in model \"%s\"",
		                                  no_user ? "user" : "item",
		                                  rs_shorten(no_user ? user : item, no_user ? ulen : ilen,
		                                             sid, sizeof sid),
		                                  RSQ_SHORT(sname, c->model->name)));
	}
	/* into SQLite's allocator, freed with the cursor */
	c->rows = sqlite3_malloc64(sizeof *c->rows * ((sqlite3_uint64)c->n + 1));
	if (c->rows && c->n > 0)
		memcpy(c->rows, rows, sizeof *c->rows * (size_t)c->n);
	rs_free(rows);
	if (!c->rows) {
		c->n = 0;
		return SQLITE_NOMEM;
	}
	return SQLITE_OK;
}

/* item_id, contribution, rank. */
static void explain_column(xcursor *c, sqlite3_context *ctx, int col)
{
	const rs_contribution *r = &c->rows[c->pos];
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

static const shape EXPLAIN = {
	.fn = "recsys_explain",
	.schema = "CREATE TABLE x(item_id TEXT, contribution REAL, rank INTEGER, "
	          "user_id HIDDEN, item HIDDEN, model HIDDEN)",
	.n_out = 3, .n_args = 3, .n_required = 2, .ranked = 1,
	.arg_names = {"user_id", "item_id", "model"},
	.compute = explain_compute,
	.column = explain_column,
};

/* ---- recsys_user_profile ---- */

/* The core's profile of the user: one row. */
static int profile_compute(xcursor *c)
{
	size_t ulen;
	const char *user = arg_text(c, 0, &ulen);
	rs_error err = {0};
	if (rs_user_profile(c->model->m, user, ulen, &c->profile, &err) != RS_OK) {
		char sid[RS_SHORT_CAP], sname[RS_SHORT_CAP];
		if (err.status == RS_ENOTFOUND)
			return x_error(c, sqlite3_mprintf("user \"%s\" is not in model \"%s\"",
			                                  rs_shorten(user, ulen, sid, sizeof sid),
			                                  RSQ_SHORT(sname, c->model->name)));
		return err.status == RS_ENOMEM ? SQLITE_NOMEM : x_error(c, rsq_core_errmsg(&err));
	}
	c->n = 1;
	return SQLITE_OK;
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

/* interactions, distinct_items, spending_segment, avg_item_price, last_interaction. */
static void profile_column(xcursor *c, sqlite3_context *ctx, int col)
{
	const rs_profile *p = &c->profile;
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
	default: result_datetime(ctx, p->last_interaction); break;
	}
}

static const shape PROFILE = {
	.fn = "recsys_user_profile",
	.schema = "CREATE TABLE x(interactions INTEGER, distinct_items INTEGER, "
	          "spending_segment TEXT, avg_item_price REAL, last_interaction TEXT, "
	          "user_id HIDDEN, model HIDDEN)",
	.n_out = 5, .n_args = 2, .n_required = 1,
	.arg_names = {"user_id", "model"},
	.compute = profile_compute,
	.column = profile_column,
};

/* ---- the shared virtual-table code ---- */

/* xConnect: declare the table of the module's shape (pAux). */
static int x_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                     sqlite3_vtab **out, char **err, const shape *sh)
{
	(void)argc;
	(void)argv;
	int rc = sqlite3_declare_vtab(db, sh->schema);
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("%s: %s", sh->fn, sqlite3_errmsg(db));
		return rc;
	}
	xvtab *v = sqlite3_malloc64(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->ctx = aux;
	v->sh = sh;
	*out = &v->base;
	return SQLITE_OK;
}

static int explain_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                           sqlite3_vtab **out, char **err)
{
	return x_connect(db, aux, argc, argv, out, err, &EXPLAIN);
}

static int profile_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                           sqlite3_vtab **out, char **err)
{
	return x_connect(db, aux, argc, argv, out, err, &PROFILE);
}

/* xDisconnect / xDestroy. */
static int x_disconnect(sqlite3_vtab *v)
{
	sqlite3_finalize(((xvtab *)v)->probe);
	sqlite3_free(v);
	return SQLITE_OK;
}

/*
 * idxNum bit layout (rsq_bind_args, shared with x_filter): bit i set =
 * hidden argument i has an equality constraint, passed to xFilter in argv
 * in increasing i. Missing required arguments still get a plan (at a huge
 * cost); xFilter reports them.
 */
static int x_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	const shape *sh = ((xvtab *)tab)->sh;
	unsigned mask, need = (1u << sh->n_required) - 1;
	if (rsq_bind_args(info, sh->n_out, sh->n_args, &mask) != SQLITE_OK)
		return SQLITE_CONSTRAINT;
	if (sh->ranked)
		rsq_order_by_rank(info);
	info->estimatedCost = (mask & need) == need ? 10.0 : 1e12;
	info->estimatedRows = 10;
	return SQLITE_OK;
}

/* xOpen. */
static int x_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	(void)v;
	xcursor *c = sqlite3_malloc64(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	*out = &c->base;
	return SQLITE_OK;
}

/* Forget the previous scan's rows, model reference and arguments. */
static void x_reset(xcursor *c)
{
	rsq_model_release(c->model);
	c->model = NULL;
	sqlite3_free(c->rows);
	c->rows = NULL;
	c->n = c->pos = 0;
	for (int i = 0; i < MAX_ARGS; i++) {
		sqlite3_value_free(c->args[i]);
		c->args[i] = NULL;
	}
}

/* xClose. */
static int x_close(sqlite3_vtab_cursor *cur)
{
	x_reset((xcursor *)cur);
	sqlite3_free(cur);
	return SQLITE_OK;
}

/* xFilter: idxNum as documented above x_best_index. */
static int x_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                    sqlite3_value **argv)
{
	(void)idxStr;
	xcursor *c = (xcursor *)cur;
	const shape *sh = shape_of(c);
	x_reset(c);
	for (int i = 0, j = 0; i < sh->n_args; i++) {
		if (!(idxNum & (1 << i)) || j >= argc)
			continue;
		if (!(c->args[i] = sqlite3_value_dup(argv[j++])))
			return SQLITE_NOMEM;
	}
	for (int i = 0; i < sh->n_required; i++) {
		if (!c->args[i])
			return x_error(c, sqlite3_mprintf("%s: argument \"%s\" is required", sh->fn,
			                                  sh->arg_names[i]));
		if (sqlite3_value_type(c->args[i]) == SQLITE_NULL)
			return x_error(c, sqlite3_mprintf("argument \"%s\" must not be null",
			                                  sh->arg_names[i]));
	}
	size_t len;
	const char *model = arg_text(c, sh->n_args - 1, &len);
	char *errmsg = NULL;
	xvtab *v = (xvtab *)cur->pVtab;
	int rc = rsq_cache_get(v->ctx, &v->probe, model, &c->model, &errmsg);
	return rc != SQLITE_OK ? rsq_vtab_error_rc(cur->pVtab, errmsg, rc) : sh->compute(c);
}

/* xNext. */
static int x_next(sqlite3_vtab_cursor *cur)
{
	((xcursor *)cur)->pos++;
	return SQLITE_OK;
}

/* xEof. */
static int x_eof(sqlite3_vtab_cursor *cur)
{
	xcursor *c = (xcursor *)cur;
	return c->pos >= c->n;
}

/* xColumn: the shape's outputs, then the arguments. */
static int x_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	xcursor *c = (xcursor *)cur;
	const shape *sh = shape_of(c);
	if (col < sh->n_out)
		sh->column(c, ctx, col);
	else if (c->args[col - sh->n_out])
		sqlite3_result_value(ctx, c->args[col - sh->n_out]);
	else
		sqlite3_result_null(ctx);
	return SQLITE_OK;
}

/* xRowid: the row number. */
static int x_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid)
{
	*rowid = ((xcursor *)cur)->pos + 1;
	return SQLITE_OK;
}

/* Eponymous-only (xCreate NULL): usable as recsys_explain(...) and
 * recsys_user_profile(...), never CREATE VIRTUAL TABLE. */
#define SHAPE_MODULE(connect)                                                    \
	{                                                                            \
		.iVersion = 0, .xConnect = connect, .xBestIndex = x_best_index,          \
		.xDisconnect = x_disconnect, .xDestroy = x_disconnect, .xOpen = x_open,  \
		.xClose = x_close, .xFilter = x_filter, .xNext = x_next, .xEof = x_eof,  \
		.xColumn = x_column, .xRowid = x_rowid,                                  \
	}

const sqlite3_module rsq_explain_module = SHAPE_MODULE(explain_connect);
const sqlite3_module rsq_profile_module = SHAPE_MODULE(profile_connect);
