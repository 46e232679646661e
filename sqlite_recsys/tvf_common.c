/*
 * tvf_common.c - what every table-valued function of the extension shares:
 * binding HIDDEN argument constraints in xBestIndex, the free "ORDER BY
 * rank" of best-first rows, the vtab error message, scores that print
 * like PostgreSQL's real, the cursor of rs_reco rows and the k argument.
 */
#include "recsys_sqlite.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/*
 * idxNum bit layout for every caller: bit i set = hidden argument i (the
 * columns after the n_out outputs) has an equality constraint, passed to
 * xFilter in argv in increasing i. A constraint on an argument that is not
 * usable in this plan (lateral join before the outer table is scanned)
 * makes the plan impossible: SQLITE_CONSTRAINT, so the planner orders the
 * join the other way. *mask gets the bits.
 */
int rsq_bind_args(sqlite3_index_info *info, int n_out, int n_args, unsigned *mask)
{
	int where[RSQ_MAX_ARGS];
	unsigned unusable = 0;
	*mask = 0;
	for (int i = 0; i < RSQ_MAX_ARGS; i++)
		where[i] = -1;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		int arg = c->iColumn - n_out;
		if (arg < 0 || arg >= n_args || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (!c->usable)
			unusable |= 1u << arg;
		else if (where[arg] < 0)
			where[arg] = i;
	}
	for (int arg = 0, next = 1; arg < n_args; arg++) {
		if (where[arg] < 0)
			continue;
		*mask |= 1u << arg;
		info->aConstraintUsage[where[arg]].argvIndex = next++;
		info->aConstraintUsage[where[arg]].omit = 1;
	}
	if (unusable & ~*mask)
		return SQLITE_CONSTRAINT;
	info->idxNum = (int)*mask;
	return SQLITE_OK;
}

/* Set the vtab's error message (takes ownership of msg) and return rc, so
 * that SQLITE_BUSY reaches the caller as SQLITE_BUSY (retry logic works). */
int rsq_vtab_error_rc(sqlite3_vtab *v, char *msg, int rc)
{
	sqlite3_free(v->zErrMsg);
	v->zErrMsg = msg;
	return msg || rc == SQLITE_NOMEM ? rc : SQLITE_NOMEM;
}

/* Rows come out best first (columns 1 score, 2 rank): ORDER BY rank, or
 * score DESC, costs nothing. */
void rsq_order_by_rank(sqlite3_index_info *info)
{
	if (info->nOrderBy == 1 && ((info->aOrderBy[0].iColumn == 2 && !info->aOrderBy[0].desc) ||
	                            (info->aOrderBy[0].iColumn == 1 && info->aOrderBy[0].desc)))
		info->orderByConsumed = 1;
}

/* Set the vtab's error message (takes ownership of msg). */
int rsq_vtab_error(sqlite3_vtab *v, char *msg)
{
	sqlite3_free(v->zErrMsg);
	v->zErrMsg = msg;
	return msg ? SQLITE_ERROR : SQLITE_NOMEM;
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

int rsq_cursor_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	(void)v;
	rsq_cursor *c = sqlite3_malloc64(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	*out = &c->base;
	return SQLITE_OK;
}

void rsq_cursor_reset(rsq_cursor *c)
{
	rsq_model_release(c->model);
	c->model = NULL;
	sqlite3_free(c->recs);
	c->recs = NULL;
	c->n = c->pos = 0;
	for (int i = 0; i < RSQ_MAX_ARGS; i++) {
		sqlite3_value_free(c->args[i]);
		c->args[i] = NULL;
	}
}

int rsq_cursor_close(sqlite3_vtab_cursor *cur)
{
	rsq_cursor_reset((rsq_cursor *)cur);
	sqlite3_free(cur);
	return SQLITE_OK;
}

int rsq_arg_k(sqlite3_vtab *v, sqlite3_value *kv, int *k)
{
	*k = 10;
	if (!kv)
		return SQLITE_OK;
	int type = sqlite3_value_numeric_type(kv);
	double d = sqlite3_value_double(kv);
	int integral = type == SQLITE_INTEGER || (type == SQLITE_FLOAT && d > -9e18 && d < 9e18 &&
	                                          d == (double)(sqlite3_int64)d);
	if (!integral)
		return rsq_vtab_error(v, sqlite3_mprintf("argument \"k\" must be an integer"));
	sqlite3_int64 k64 = sqlite3_value_int64(kv);
	/* the core checks the range; beyond int, say the same in its words */
	if (k64 > INT_MAX || k64 < INT_MIN)
		return rsq_vtab_error(v, sqlite3_mprintf("k must be between 1 and %d (got %lld)", RS_MAX_K,
		                                         (long long)k64));
	*k = (int)k64;
	return SQLITE_OK;
}

int rsq_vtab_connect(sqlite3 *db, void *aux, const char *fn, const char *schema,
                     const void *spec, sqlite3_vtab **out, char **err)
{
	int rc = sqlite3_declare_vtab(db, schema);
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("%s: %s", fn, sqlite3_errmsg(db));
		return rc;
	}
	rsq_vtab *v = sqlite3_malloc64(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->ctx = aux;
	v->spec = spec;
	*out = &v->base;
	return SQLITE_OK;
}

int rsq_vtab_disconnect(sqlite3_vtab *v)
{
	sqlite3_finalize(((rsq_vtab *)v)->probe);
	sqlite3_free(v);
	return SQLITE_OK;
}

int rsq_best_index(sqlite3_index_info *info, int n_out, int n_args, unsigned required)
{
	unsigned mask;
	if (rsq_bind_args(info, n_out, n_args, &mask) != SQLITE_OK)
		return SQLITE_CONSTRAINT;
	rsq_order_by_rank(info);
	/* an absent required argument still gets a plan; xFilter reports it */
	info->estimatedCost = (mask & required) == required ? 10.0 : 1e12;
	info->estimatedRows = 10;
	return SQLITE_OK;
}
