/*
 * similar.c - the table-valued function similar_items(), an
 * eponymous-only virtual table with HIDDEN argument columns (series.c):
 *
 *   similar_items(item_id, k = 10, model = NULL, options = NULL)
 *       -> item_id TEXT, score REAL, rank INTEGER, reason TEXT
 *
 * It takes the model from the per-connection cache and asks the core
 * (core/similar.c) for the rows; xFilter computes them all, xNext walks them.
 * Lateral joins work: FROM items i, similar_items(i.id, 3).
 */
#include "recsys_sqlite.h"

#include <math.h>
#include <string.h>

enum { ARG_ITEM, ARG_K, ARG_MODEL, ARG_OPTIONS, N_ARGS, N_OUT = 4 };

static const char *const ARG_NAMES[N_ARGS] = {"item_id", "k", "model", "options"};

typedef rsq_vtab sim_vtab; /* tvf_common.c */

typedef rsq_cursor sim_cursor; /* tvf_common.c */

/* xConnect: declare the table. */
static int sim_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                       sqlite3_vtab **out, char **err)
{
	(void)argc;
	(void)argv;
	return rsq_vtab_connect(db, aux, "similar_items",
	                        "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, "
	                        "reason TEXT, item HIDDEN, k HIDDEN, model HIDDEN, "
	                        "options HIDDEN)",
	                        NULL, out, err);
}

/*
 * idxNum bit layout (shared with sim_filter): bit i set = hidden argument i
 * (0 item, 1 k, 2 model, 3 options) has an equality constraint, passed to
 * xFilter in argv in increasing i. A constraint on an argument that is not
 * usable in this plan (lateral join before the outer table is scanned)
 * makes the plan impossible: SQLITE_CONSTRAINT. An absent item still gets a
 * plan (at a huge cost); xFilter reports it.
 */
static int sim_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	(void)tab;
	return rsq_best_index(info, N_OUT, N_ARGS, 1u);
}

/* Set the vtab's error message (takes ownership of msg). */
static int sim_error(sim_cursor *c, char *msg)
{
	return rsq_vtab_error(c->base.pVtab, msg);
}

/* Check the arguments (item given; item, k and options not NULL; k an
 * integer) into *k. */
static int sim_check_args(sim_cursor *c, int *k)
{
	if (!c->args[ARG_ITEM])
		return sim_error(c, sqlite3_mprintf("similar_items: argument \"item_id\" is required"));
	for (int i = ARG_ITEM; i < N_ARGS; i++) /* NULL model: the default */
		if (i != ARG_MODEL && c->args[i] && sqlite3_value_type(c->args[i]) == SQLITE_NULL)
			return sim_error(c, sqlite3_mprintf("argument \"%s\" must not be null", ARG_NAMES[i]));
	return rsq_arg_k(c->base.pVtab, c->args[ARG_K], k);
}

/* Ask the core for the rows; an unknown item names the model too. */
static int sim_compute(sim_cursor *c, int k, const rs_opt *opts)
{
	sqlite3_value *mv = c->args[ARG_MODEL];
	const char *model = mv ? (const char *)sqlite3_value_text(mv) : NULL;
	char *errmsg = NULL;
	sim_vtab *v = (sim_vtab *)c->base.pVtab;
	int rc = rsq_cache_get(v->ctx, &v->probe, model, &c->model, &errmsg);
	if (rc != SQLITE_OK)
		return rsq_vtab_error_rc(c->base.pVtab, errmsg, rc);
	int room = k >= 1 && k <= RS_MAX_K ? k : 1; /* the core refuses a bad k */
	c->recs = sqlite3_malloc64((sqlite3_uint64)room * sizeof *c->recs);
	if (!c->recs)
		return SQLITE_NOMEM;
	const char *item = (const char *)sqlite3_value_text(c->args[ARG_ITEM]);
	size_t len = (size_t)sqlite3_value_bytes(c->args[ARG_ITEM]);
	rs_error err = {0};
	if (rs_similar_items(c->model->m, item, len, k, opts, c->recs, &c->n, &err) == RS_OK) {
		if (c->n > room)
			c->n = room;
		return SQLITE_OK;
	}
	c->n = 0;
	if (err.status == RS_ENOTFOUND) {
		char sitem[RS_SHORT_CAP], sname[RS_SHORT_CAP];
		return sim_error(c, sqlite3_mprintf("item \"%s\" is not in model \"%s\"",
		                                    rs_shorten(item, len, sitem, sizeof sitem),
		                                    RSQ_SHORT(sname, c->model->name)));
	}
	return err.status == RS_ENOMEM ? SQLITE_NOMEM : sim_error(c, rsq_core_errmsg(&err));
}

/* xFilter: idxNum as documented above sim_best_index. */
static int sim_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv)
{
	(void)idxStr;
	sim_cursor *c = (sim_cursor *)cur;
	rsq_cursor_reset(c);
	for (int i = 0, j = 0; i < N_ARGS; i++) {
		if (!(idxNum & (1 << i)) || j >= argc)
			continue;
		if (!(c->args[i] = sqlite3_value_dup(argv[j++])))
			return SQLITE_NOMEM;
	}
	int k = 10;
	int rc = sim_check_args(c, &k);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_value *ov = c->args[ARG_OPTIONS];
	const char *json = ov ? (const char *)sqlite3_value_text(ov) : NULL;
	const rsq_opts *opts = NULL;
	char *errmsg = NULL;
	rc = rsq_opts_parse_cached(((sim_vtab *)cur->pVtab)->ctx, json, "options", &opts, &errmsg);
	if (rc != SQLITE_OK)
		return sim_error(c, errmsg);
	return sim_compute(c, k, rsq_opts_root(opts));
}

/* xNext. */
static int sim_next(sqlite3_vtab_cursor *cur)
{
	((sim_cursor *)cur)->pos++;
	return SQLITE_OK;
}

/* xEof. */
static int sim_eof(sqlite3_vtab_cursor *cur)
{
	sim_cursor *c = (sim_cursor *)cur;
	return c->pos >= c->n;
}


/* xColumn: item_id, score, rank, reason, then the arguments. */
static int sim_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	sim_cursor *c = (sim_cursor *)cur;
	const rs_reco *r = &c->recs[c->pos];
	const rs_model *m = c->model->m;
	size_t len = 0;
	const char *id;
	switch (col) {
	case 0:
		id = rs_model_item_id(m, r->item, &len);
		sqlite3_result_text64(ctx, id, len, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case 1: sqlite3_result_double(ctx, rsq_float_decimal(r->score)); break;
	case 2: sqlite3_result_int(ctx, c->pos + 1); break;
	case 3: sqlite3_result_text(ctx, rs_similar_reason(m, r->source), -1, SQLITE_STATIC); break;
	default:
		if (c->args[col - N_OUT])
			sqlite3_result_value(ctx, c->args[col - N_OUT]);
		else if (col - N_OUT == ARG_K)
			sqlite3_result_int(ctx, 10);
		else
			sqlite3_result_null(ctx);
		break;
	}
	return SQLITE_OK;
}

/* xRowid: the rank. */
static int sim_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid)
{
	*rowid = ((sim_cursor *)cur)->pos + 1;
	return SQLITE_OK;
}

/* Eponymous-only (xCreate NULL): usable as similar_items(...), never CREATE VIRTUAL TABLE. */
const sqlite3_module rsq_similar_module = {
    .iVersion = 0,
    .xConnect = sim_connect,
    .xBestIndex = sim_best_index,
    .xDisconnect = rsq_vtab_disconnect,
    .xDestroy = rsq_vtab_disconnect,
    .xOpen = rsq_cursor_open,
    .xClose = rsq_cursor_close,
    .xFilter = sim_filter,
    .xNext = sim_next,
    .xEof = sim_eof,
    .xColumn = sim_column,
    .xRowid = sim_rowid,
};
