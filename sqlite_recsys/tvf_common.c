/*
 * tvf_common.c - the table-valued function framework: every function is an
 * rsq_tvf spec (recsys_sqlite.h) with a compute and a column step, and this
 * file is the rest. Each function is an eponymous virtual table with HIDDEN
 * argument columns (the series.c pattern); a serving function (RSQ_TVF_LOCAL)
 * is also created as the connection-local table temp.<name>, module
 * recsys_local_<name>, so that a statement using it opens no read
 * transaction on main (recsys_ext.c says why).
 *
 * A scan: xBestIndex binds the hidden arguments; xFilter copies them,
 * checks them (required, NULL, k), reads the options, takes the model from
 * the per-connection cache, makes room for k rows and calls the spec's
 * compute step, which computes every row at once; xNext walks them and
 * xColumn reads them (the spec's column step) or the arguments.
 */
#include "recsys_sqlite.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* The vtab: the connection's context, the function, and rsq_cache_get's
 * statement for the cheap read of main (finalized by xDisconnect, before
 * sqlite3_close looks for open statements). */
typedef struct tvf_vtab {
	sqlite3_vtab base;
	rsq_ctx *ctx;
	const rsq_tvf *tvf;
	sqlite3_stmt *probe;
} tvf_vtab;

/* What one module registration carries (pAux): connection and function. */
typedef struct tvf_reg {
	rsq_ctx *ctx;
	const rsq_tvf *tvf;
} tvf_reg;

/* Number of hidden arguments. */
static int n_args(const rsq_tvf *t)
{
	int n = 0;
	while (n < RSQ_MAX_ARGS && t->args[n].name)
		n++;
	return n;
}

/* The first argument with role `flag` (RSQ_ARG_*), or -1. */
static int arg_with(const rsq_tvf *t, unsigned flag)
{
	for (int i = 0; i < n_args(t); i++)
		if (t->args[i].flags & flag)
			return i;
	return -1;
}

/* Bits of the arguments that have all of `flags`. */
static unsigned args_with(const rsq_tvf *t, unsigned flags)
{
	unsigned mask = 0;
	for (int i = 0; i < n_args(t); i++)
		if ((t->args[i].flags & flags) == flags)
			mask |= 1u << i;
	return mask;
}

/* Set the vtab's error message (takes ownership of msg) and return rc, so
 * that SQLITE_BUSY reaches the caller as SQLITE_BUSY (retry logic works). */
static int vtab_error_rc(sqlite3_vtab *v, char *msg, int rc)
{
	sqlite3_free(v->zErrMsg);
	v->zErrMsg = msg;
	return msg || rc == SQLITE_NOMEM ? rc : SQLITE_NOMEM;
}

/* The scan's error: msg (taken) as the vtab's message. */
int rsq_cursor_error(rsq_cursor *c, char *msg)
{
	return vtab_error_rc(c->base.pVtab, msg, SQLITE_ERROR);
}

/* A failed core call: its message, or SQLITE_NOMEM alone. */
int rsq_cursor_fail(rsq_cursor *c, const rs_error *err)
{
	char *msg = NULL;
	int rc = rsq_core_fail(err, &msg);
	if (rc != SQLITE_NOMEM)
		return rsq_cursor_error(c, msg);
	sqlite3_free(msg);
	return rc;
}

/* Argument i as text (text first, then its byte count), or its default. */
const char *rsq_arg_text(const rsq_cursor *c, int i, size_t *len)
{
	sqlite3_value *v = c->args[i];
	const char *text = v ? (const char *)sqlite3_value_text(v) : c->tvf->args[i].dflt;
	if (len)
		*len = v ? (size_t)sqlite3_value_bytes(v) : text ? strlen(text) : 0;
	return text;
}

/* The double that prints like the float (PostgreSQL's real shows 0.636,
 * not 0.636000037193298): f rounded to the fewest significant digits (6 to
 * 9) that read back as f. Arithmetic, not printf + strtod, which took a
 * tenth of a recommend() call. */
double rsq_float_decimal(float f)
{
	if (f == 0 || !isfinite(f))
		return (double)f;
	int e = (int)floor(log10(fabs((double)f)));
	for (int digits = 6; digits <= 9; digits++) {
		double scale = pow(10.0, digits - 1 - e);
		double d = round((double)f * scale) / scale;
		if ((float)d == f)
			return d;
	}
	return (double)f;
}

/* The columns of rs_reco rows (recommend, popular_items, ...). */
void rsq_reco_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	const rs_reco *r = (const rs_reco *)c->rows + c->pos;
	const rs_model *m = c->model->m;
	size_t len = 0;
	const char *id;
	char reason[256];
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
	default:
		/* a policy's arm: "arm:<arm>/<source>" (pg_recsys's format) */
		if (c->arm)
			sqlite3_result_text(ctx, sqlite3_mprintf("arm:%s/%s", c->arm,
			                                         rs_source_name(m, r->source)),
			                    -1, sqlite3_free);
		else
			sqlite3_result_text(ctx, rs_source_name(m, r->source), -1, SQLITE_TRANSIENT);
		break;
	}
}

/* A column of the statement's current row (recsys_models). */
void rsq_stmt_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	sqlite3_result_value(ctx, sqlite3_column_value(c->stmt, col));
}

/* ---- the virtual table ---- */

/* xConnect: declare the function's table. */
static int tvf_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                       sqlite3_vtab **out, char **err)
{
	(void)argc;
	(void)argv;
	const tvf_reg *reg = aux;
	int rc = sqlite3_declare_vtab(db, reg->tvf->schema);
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("%s: %s", reg->tvf->name, sqlite3_errmsg(db));
		return rc;
	}
	if (reg->tvf->flags & RSQ_TVF_DIRECTONLY)
		sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	tvf_vtab *v = sqlite3_malloc64(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->ctx = reg->ctx;
	v->tvf = reg->tvf;
	*out = &v->base;
	return SQLITE_OK;
}

/* xCreate of a local table: only temp.<name> (nothing goes into the file). */
static int local_create(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err)
{
	if (argc < 3 || sqlite3_stricmp(argv[1], "temp") != 0) {
		*err = sqlite3_mprintf("%s: a table of this module can only be created in the temp schema",
		                       argc > 0 ? argv[0] : "recsys");
		return SQLITE_ERROR;
	}
	return tvf_connect(db, aux, argc, argv, out, err);
}

/* xDisconnect / xDestroy. */
static int tvf_disconnect(sqlite3_vtab *v)
{
	sqlite3_finalize(((tvf_vtab *)v)->probe);
	sqlite3_free(v);
	return SQLITE_OK;
}

/*
 * idxNum bit layout, shared with tvf_filter: bit i set = hidden argument i
 * (the columns after the n_out outputs, in the spec's order) has an
 * equality constraint, passed to xFilter in argv in increasing i. A
 * constraint on an argument that is not usable in this plan (lateral join:
 * recommend(u.id) before u is scanned) makes the plan impossible,
 * SQLITE_CONSTRAINT, so the planner puts u first. A required argument that
 * is entirely absent still gets a plan (at a huge cost); xFilter reports it.
 */
static int tvf_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	const rsq_tvf *t = ((tvf_vtab *)tab)->tvf;
	int where[RSQ_MAX_ARGS], n = n_args(t);
	unsigned unusable = 0, mask = 0, required = args_with(t, RSQ_ARG_REQUIRED);
	for (int i = 0; i < RSQ_MAX_ARGS; i++)
		where[i] = -1;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		int arg = c->iColumn - t->n_out;
		if (arg < 0 || arg >= n || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (!c->usable)
			unusable |= 1u << arg;
		else if (where[arg] < 0)
			where[arg] = i;
	}
	for (int arg = 0, next = 1; arg < n; arg++) {
		if (where[arg] < 0)
			continue;
		mask |= 1u << arg;
		info->aConstraintUsage[where[arg]].argvIndex = next++;
		info->aConstraintUsage[where[arg]].omit = 1;
	}
	if (unusable & ~mask)
		return SQLITE_CONSTRAINT;
	info->idxNum = (int)mask;
	/* rows come out best first: ORDER BY rank, or score DESC, costs nothing */
	if ((t->flags & RSQ_TVF_RANKED) && info->nOrderBy == 1 &&
	    ((info->aOrderBy[0].iColumn == 2 && !info->aOrderBy[0].desc) ||
	     (info->aOrderBy[0].iColumn == 1 && info->aOrderBy[0].desc)))
		info->orderByConsumed = 1;
	info->estimatedCost = (mask & required) != required ? 1e12 : t->cost > 0 ? t->cost : 10.0;
	info->estimatedRows = t->rows > 0 ? (sqlite3_int64)t->rows : 10;
	return SQLITE_OK;
}

/* xOpen. */
static int tvf_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	rsq_cursor *c = sqlite3_malloc64(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->tvf = ((tvf_vtab *)v)->tvf;
	c->ctx = ((tvf_vtab *)v)->ctx;
	*out = &c->base;
	return SQLITE_OK;
}

/* Forget the previous scan's rows, statement, model reference and arguments. */
static void cursor_reset(rsq_cursor *c)
{
	rsq_model_release(c->model);
	c->model = NULL;
	sqlite3_free(c->rows);
	c->rows = NULL;
	sqlite3_finalize(c->stmt);
	c->stmt = NULL;
	sqlite3_free(c->text);
	c->text = NULL;
	c->n = c->pos = 0;
	sqlite3_free(c->policy);
	sqlite3_free(c->arm);
	c->policy = c->arm = NULL;
	c->propensity = 1;
	for (int i = 0; i < RSQ_MAX_ARGS; i++) {
		sqlite3_value_free(c->args[i]);
		c->args[i] = NULL;
	}
}

/* xClose. */
static int tvf_close(sqlite3_vtab_cursor *cur)
{
	cursor_reset((rsq_cursor *)cur);
	sqlite3_free(cur);
	return SQLITE_OK;
}

/* Argument k into *k: 10 when absent, else an integer (PostgreSQL's k is an
 * int: what does not convert exactly is refused). */
static int arg_k(rsq_cursor *c, sqlite3_value *kv, int *k)
{
	*k = 10;
	if (!kv)
		return SQLITE_OK;
	int type = sqlite3_value_numeric_type(kv);
	double d = sqlite3_value_double(kv);
	int integral = type == SQLITE_INTEGER || (type == SQLITE_FLOAT && d > -9e18 && d < 9e18 &&
	                                          d == (double)(sqlite3_int64)d);
	if (!integral)
		return rsq_cursor_error(c, sqlite3_mprintf("argument \"k\" must be an integer"));
	sqlite3_int64 k64 = sqlite3_value_int64(kv);
	/* the core checks the range; beyond int, with its check here */
	rs_error err;
	if ((k64 > INT_MAX || k64 < INT_MIN) && rs_check_k(k64, &err) != RS_OK)
		return rsq_cursor_fail(c, &err);
	*k = (int)k64;
	return SQLITE_OK;
}

/* Copy the arguments of idxNum (see tvf_best_index), check them in order
 * (required, not NULL) and read k. */
static int take_args(rsq_cursor *c, int idxNum, int argc, sqlite3_value **argv, int *k)
{
	const rsq_tvf *t = c->tvf;
	int n = n_args(t), k_arg = arg_with(t, RSQ_ARG_K);
	for (int i = 0, j = 0; i < n; i++) {
		if (!(idxNum & (1 << i)) || j >= argc)
			continue;
		if (!(c->args[i] = sqlite3_value_dup(argv[j++])))
			return SQLITE_NOMEM;
	}
	for (int i = 0; i < n; i++) {
		unsigned f = t->args[i].flags;
		if ((f & RSQ_ARG_REQUIRED) && !c->args[i])
			return rsq_cursor_error(c, sqlite3_mprintf("%s: argument \"%s\" is required",
			                                           t->name, t->args[i].name));
		int not_null = f & (RSQ_ARG_NOT_NULL | RSQ_ARG_K | RSQ_ARG_OPTIONS);
		if (not_null && c->args[i] && sqlite3_value_type(c->args[i]) == SQLITE_NULL)
			return rsq_cursor_error(c, sqlite3_mprintf("argument \"%s\" must not be null",
			                                           t->args[i].name));
	}
	return arg_k(c, k_arg >= 0 ? c->args[k_arg] : NULL, k);
}

/* The model of argument arg from the per-connection cache, with a reference. */
int rsq_cursor_model(rsq_cursor *c, int arg)
{
	tvf_vtab *v = (tvf_vtab *)c->base.pVtab;
	char *errmsg = NULL;
	int rc = rsq_cache_get(c->ctx, &v->probe, rsq_arg_text(c, arg, NULL), &c->model, &errmsg);
	return rc == SQLITE_OK ? rc : vtab_error_rc(&v->base, errmsg, rc);
}

/*
 * A policy named by the model argument (RSQ_TVF_POLICY): choose its arm
 * for the key (argument 0, the user) and remember it in the cursor; *model
 * becomes the arm's model, *options its options under the caller's
 * (mprintf'd into *owned). A model's name is left as it is.
 */
static int take_policy(rsq_cursor *c, int model_arg, const char **model, const char **options,
                       char **owned)
{
	tvf_vtab *v = (tvf_vtab *)c->base.pVtab;
	char *errmsg = NULL;
	rsq_resolved r;
	size_t ulen = 0;
	const char *user = rsq_arg_text(c, 0, &ulen);
	const char *request = NULL;
	/* recommend_logged: the same request id chooses the same arm */
	for (int i = 0; i < n_args(c->tvf); i++)
		if (strcmp(c->tvf->args[i].name, "request_id") == 0)
			request = rsq_arg_text(c, i, NULL);
	*owned = NULL;
	*model = rsq_arg_text(c, model_arg, NULL);
	if (!*model)
		return SQLITE_OK;
	rsq_cache_snapshot(c->ctx, &v->probe);
	int rc = rsq_policy_resolve(c->ctx, *model, user, ulen, request, *options, &r, &errmsg);
	if (rc != SQLITE_OK)
		return vtab_error_rc(&v->base, errmsg, rc);
	if (!r.policy)
		return SQLITE_OK;
	c->policy = rsq_strdup(r.policy);
	c->arm = rsq_strdup(r.arm);
	c->propensity = r.propensity;
	*model = r.model;
	if (r.options)
		*options = *owned = r.options;
	return c->policy && c->arm ? SQLITE_OK : SQLITE_NOMEM;
}

/* The options tree (through the connection's one-entry cache), then the
 * model, for the functions that have those arguments. */
static int take_options_and_model(rsq_cursor *c, const rs_opt **opts)
{
	const rsq_tvf *t = c->tvf;
	int options = arg_with(t, RSQ_ARG_OPTIONS), model = arg_with(t, RSQ_ARG_MODEL);
	const char *text = options >= 0 ? rsq_arg_text(c, options, NULL) : NULL;
	const char *name = NULL;
	char *owned = NULL;
	*opts = NULL;
	if (model >= 0 && (t->flags & RSQ_TVF_POLICY)) {
		int rc = take_policy(c, model, &name, &text, &owned);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (options >= 0) {
		char *errmsg = NULL;
		const rsq_opts *o = NULL;
		int rc = rsq_opts_parse_cached(c->ctx, text, t->args[options].name, &o, &errmsg);
		sqlite3_free(owned);
		if (rc != SQLITE_OK)
			return rsq_cursor_error(c, errmsg);
		*opts = rsq_opts_root(o);
	}
	if (model < 0)
		return SQLITE_OK;
	if (!c->policy)
		return rsq_cursor_model(c, model);
	tvf_vtab *v = (tvf_vtab *)c->base.pVtab;
	char *errmsg = NULL;
	int rc = rsq_cache_get(c->ctx, &v->probe, name, &c->model, &errmsg);
	return rc == SQLITE_OK ? rc : vtab_error_rc(&v->base, errmsg, rc);
}

/* xFilter: idxNum as documented above tvf_best_index. Computes every row. */
static int tvf_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv)
{
	(void)idxStr;
	rsq_cursor *c = (rsq_cursor *)cur;
	const rsq_tvf *t = c->tvf;
	const rs_opt *opts = NULL;
	int k = 10;
	cursor_reset(c);
	int rc = take_args(c, idxNum, argc, argv, &k);
	if (rc == SQLITE_OK)
		rc = take_options_and_model(c, &opts);
	/* an out-of-range k is refused by the core before it writes anything */
	int room = (int)rs_result_rows(k);
	if (rc == SQLITE_OK && (t->flags & RSQ_TVF_TOPK) &&
	    !(c->rows = sqlite3_malloc64((sqlite3_uint64)room * sizeof(rs_reco))))
		rc = SQLITE_NOMEM;
	if (rc == SQLITE_OK)
		rc = t->compute(c, k, opts);
	if (rc != SQLITE_OK)
		c->n = 0;
	else if ((t->flags & RSQ_TVF_TOPK) && c->n > room)
		c->n = room;
	return rc;
}

/* xNext. */
static int tvf_next(sqlite3_vtab_cursor *cur)
{
	rsq_cursor *c = (rsq_cursor *)cur;
	c->pos++;
	return c->tvf->next ? c->tvf->next(c) : SQLITE_OK;
}

/* xEof. */
static int tvf_eof(sqlite3_vtab_cursor *cur)
{
	rsq_cursor *c = (rsq_cursor *)cur;
	return c->pos >= c->n;
}

/* xColumn: the spec's outputs, then the arguments (absent: k is 10, others
 * their default text or NULL). */
static int tvf_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	rsq_cursor *c = (rsq_cursor *)cur;
	const rsq_tvf *t = c->tvf;
	int arg = col - t->n_out;
	if (arg < 0)
		t->column(c, ctx, col);
	else if (c->args[arg])
		sqlite3_result_value(ctx, c->args[arg]);
	else if (t->args[arg].flags & RSQ_ARG_K)
		sqlite3_result_int(ctx, 10);
	else if (t->args[arg].dflt)
		sqlite3_result_text(ctx, t->args[arg].dflt, -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
	return SQLITE_OK;
}

/* xRowid: the row number (the rank of ranked rows). */
static int tvf_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid)
{
	*rowid = ((rsq_cursor *)cur)->pos + 1;
	return SQLITE_OK;
}

/* The module of every function: xCreate NULL makes it eponymous-only
 * (recommend(...), never CREATE VIRTUAL TABLE); local_create makes module
 * recsys_local_<name>, whose tables live in temp. */
#define TVF_MODULE(create)                                                                    \
	{                                                                                         \
		.iVersion = 0, .xCreate = (create), .xConnect = tvf_connect,                          \
		.xBestIndex = tvf_best_index, .xDisconnect = tvf_disconnect,                          \
		.xDestroy = tvf_disconnect, .xOpen = tvf_open, .xClose = tvf_close,                   \
		.xFilter = tvf_filter, .xNext = tvf_next, .xEof = tvf_eof, .xColumn = tvf_column,     \
		.xRowid = tvf_rowid,                                                                  \
	}
static const sqlite3_module EPONYMOUS = TVF_MODULE(NULL);
static const sqlite3_module LOCAL = TVF_MODULE(local_create);

/* Destructor of a module registration. */
static void reg_free(void *p)
{
	tvf_reg *reg = p;
	rsq_ctx_unref(reg->ctx);
	sqlite3_free(reg);
}

/* Register module `name` for tvf (SQLite calls reg_free even on failure). */
static int create_module(sqlite3 *db, rsq_ctx *ctx, const rsq_tvf *tvf, const char *name,
                         const sqlite3_module *module)
{
	tvf_reg *reg = sqlite3_malloc64(sizeof *reg);
	if (!reg)
		return SQLITE_NOMEM;
	reg->ctx = rsq_ctx_ref(ctx);
	reg->tvf = tvf;
	return sqlite3_create_module_v2(db, name, module, reg, reg_free);
}

/* Register module recsys_local_<name> and create temp.<name>, unless main
 * has a table or view of that name (it wins over the eponymous function,
 * and must keep winning). Failing to create the table is not an error: the
 * eponymous function serves then. */
static int register_local(sqlite3 *db, rsq_ctx *ctx, const rsq_tvf *tvf)
{
	char *module = sqlite3_mprintf("recsys_local_%s", tvf->name);
	int rc = module ? create_module(db, ctx, tvf, module, &LOCAL) : SQLITE_NOMEM;
	char *sql = NULL;
	if (rc == SQLITE_OK && rsq_table_exists_any(db, "main", tvf->name) != 1)
		sql = sqlite3_mprintf("CREATE VIRTUAL TABLE IF NOT EXISTS temp.\"%w\" USING \"%w\"",
		                      tvf->name, module);
	if (sql)
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	sqlite3_free(module);
	return rc;
}

/* The eponymous module, and the local one for a serving function. */
int rsq_tvf_register(sqlite3 *db, rsq_ctx *ctx, const rsq_tvf *tvf)
{
	int rc = create_module(db, ctx, tvf, tvf->name, &EPONYMOUS);
	if (rc == SQLITE_OK && (tvf->flags & RSQ_TVF_LOCAL))
		rc = register_local(db, ctx, tvf);
	return rc;
}
