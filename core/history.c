/*
 * history.c - a user's or session's rows read at request time (fresh users,
 * recommend_for_session), and what the model keeps from training so that
 * folding them in matches training: the event weights, the source's column
 * names, and ALS's alpha and regularization (blob sections 30-32).
 *
 * Rows follow rs_builder_add's rules exactly, with the model's stored event
 * map in place of the configuration's; duplicates add up and the latest ts
 * wins, as when training aggregates them.
 */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rs_history {
	const rs_model *m;
	int32_t *items;
	float *w;
	double *ts;
	size_t n, cap;
	size_t rows;   /* rows added */
};

static const char *const ROLE_NAMES[RS_HIST_COLS] = {
	"user", "item", "weight", "event", "ts", "session"};

rs_status rs_history_create(const rs_model *m, rs_history **out, rs_error *err)
{
	*out = NULL;
	if (!m)
		return rs_fail(err, RS_EINVAL, "model must not be NULL");
	rs_history *h = rs_calloc(1, sizeof *h);
	if (!h)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	h->m = m;
	*out = h;
	return RS_OK;
}

void rs_history_destroy(rs_history **h)
{
	if (!h || !*h)
		return;
	free((*h)->items);
	free((*h)->w);
	free((*h)->ts);
	free(*h);
	*h = NULL;
}

size_t rs_history_rows(const rs_history *h) { return h ? h->rows : 0; }
size_t rs_history_kept(const rs_history *h) { return h ? h->n : 0; }

/* Weight of an event in the model's map, or -1 when it names no such event. */
static double stored_event_weight(const rs_model *m, const char *ev, size_t len)
{
	int32_t e = ev ? rs_idmap_find(&m->events, ev, len) : -1;
	return e >= 0 ? m->event_w[e] : -1;
}

/* Room for one more row. */
static int grow(rs_history *h)
{
	if (h->n < h->cap)
		return 1;
	size_t cap = h->cap ? h->cap * 2 : 64;
	int32_t *i = rs_realloc(h->items, rs_mul(cap, sizeof *i));
	if (i)
		h->items = i;
	float *w = rs_realloc(h->w, rs_mul(cap, sizeof *w));
	if (w)
		h->w = w;
	double *t = rs_realloc(h->ts, rs_mul(cap, sizeof *t));
	if (t)
		h->ts = t;
	if (!i || !w || !t)
		return 0;
	h->cap = cap;
	return 1;
}

rs_status rs_history_add(rs_history *h, const char *item, size_t item_len, int has_weight,
                         double weight, const char *event, size_t event_len, int has_ts,
                         double ts, rs_error *err)
{
	h->rows++;
	if (!item)
		return RS_OK;
	char si[RS_SHORT_CAP];
	if (has_weight && !isfinite(weight))
		return rs_fail(err, RS_EDATA, "weight of row %zu (item \"%s\") is not a finite number",
		               h->rows, rs_shorten(item, item_len, si, sizeof si));
	if (has_weight && weight > FLT_MAX) /* kept as float32, as in training */
		return rs_fail(err, RS_EDATA, "weight of row %zu (item \"%s\") is %g, above the float32 "
		               "maximum " RS_FLT_MAX_TEXT, h->rows, rs_shorten(item, item_len, si, sizeof si),
		               weight);
	double w = has_weight ? weight : 1.0;
	if (h->m->events.n > 0) {
		double ew = stored_event_weight(h->m, event, event_len);
		if (ew < 0)
			return RS_OK;
		w *= ew;
		if (w > FLT_MAX)
			return rs_fail(err, RS_EDATA, "weight of row %zu (item \"%s\") times its event weight "
			               "is %g x %g = %g, above the float32 maximum " RS_FLT_MAX_TEXT, h->rows,
			               rs_shorten(item, item_len, si, sizeof si), w / ew, ew, w);
	}
	int32_t i = rs_idmap_find(&h->m->items, item, item_len);
	if (!(w > 0) || i < 0)
		return RS_OK;
	if (!grow(h))
		return rs_fail(err, RS_ENOMEM, "out of memory after %zu history rows", h->n);
	h->items[h->n] = i;
	h->w[h->n] = (float)w;
	h->ts[h->n] = has_ts && isfinite(ts) ? ts : NAN;
	h->n++;
	return RS_OK;
}

typedef struct hrow { int32_t item; float w; double ts; } hrow;

static int cmp_hrow(const void *a, const void *b)
{
	const hrow *x = a, *y = b;
	return (x->item > y->item) - (x->item < y->item);
}

rs_status rs_history_merged(const rs_history *h, int32_t **items, float **w, double **ts,
                            int *n, rs_error *err)
{
	size_t cnt = h->n;
	hrow *r = rs_malloc(rs_mul(cnt + 1, sizeof *r));
	*items = rs_malloc(rs_mul(cnt + 1, sizeof **items));
	*w = rs_malloc(rs_mul(cnt + 1, sizeof **w));
	*ts = rs_malloc(rs_mul(cnt + 1, sizeof **ts));
	*n = 0;
	if (!r || !*items || !*w || !*ts || cnt > INT32_MAX) {
		free(r);
		return rs_fail(err, RS_ENOMEM, "out of memory merging %zu history rows", cnt);
	}
	for (size_t k = 0; k < cnt; k++)
		r[k] = (hrow){h->items[k], h->w[k], h->ts[k]};
	qsort(r, cnt, sizeof *r, cmp_hrow);
	int o = -1;
	for (size_t k = 0; k < cnt; k++) {
		if (o < 0 || (*items)[o] != r[k].item) {
			o++;
			(*items)[o] = r[k].item;
			(*w)[o] = 0;
			(*ts)[o] = NAN;
		}
		(*w)[o] += r[k].w;
		if (isinf((*w)[o])) {
			size_t l;
			char si[RS_SHORT_CAP];
			const char *id = rs_idmap_get(&h->m->items, r[k].item, &l);
			rs_shorten(id, l, si, sizeof si);
			free(r);
			return rs_fail(err, RS_EDATA, "the weights of item \"%s\" add up to more than the "
			               "float32 maximum " RS_FLT_MAX_TEXT " (duplicate rows add up)", si);
		}
		if (!isnan(r[k].ts) && (isnan((*ts)[o]) || r[k].ts > (*ts)[o]))
			(*ts)[o] = r[k].ts;
	}
	*n = o + 1;
	free(r);
	return RS_OK;
}

const char *rs_model_source_column(const rs_model *m, const char *role)
{
	if (!m || !role || m->columns.n != RS_HIST_COLS)
		return NULL;
	for (int r = 0; r < RS_HIST_COLS; r++)
		if (strcmp(role, ROLE_NAMES[r]) == 0) {
			size_t len; /* stored as role byte + name + NUL (rs_model_keep_fold) */
			return rs_idmap_get(&m->columns, r, &len) + 1;
		}
	return NULL;
}

/* Intern s with its terminating NUL, so rs_model_source_column can return it. */
static rs_status intern_z(rs_idmap *map, const char *s, rs_error *err)
{
	int32_t idx;
	if (rs_idmap_intern(map, s, strlen(s) + 1, &idx) != RS_OK)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	return RS_OK;
}

rs_status rs_model_keep_fold(rs_model *m, const rs_train_ctx *ctx, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	if (cfg->algo == RS_ALGO_ALS) {
		m->fold_alpha = cfg->alpha;
		m->fold_lambda = ctx->lambda;
	} else if (m->algo != RS_ALGO_ALS) {
		m->fold_alpha = m->fold_lambda = NAN;
	} /* else auto chose als: auto.c kept the winner's (rs_model_keep_als) */
	rs_model_free_fold(m);
	rs_status st = RS_OK;
	if (cfg->n_events > 0) {
		m->event_w = rs_malloc(rs_mul(cfg->n_events, sizeof *m->event_w));
		if (!m->event_w)
			return rs_fail(err, RS_ENOMEM, "out of memory");
	}
	for (size_t e = 0; st == RS_OK && e < cfg->n_events; e++) {
		int32_t idx;
		if (rs_idmap_intern(&m->events, cfg->event_names[e], strlen(cfg->event_names[e]),
		                    &idx) != RS_OK)
			return rs_fail(err, RS_ENOMEM, "out of memory");
		m->event_w[idx] = cfg->event_weights[e];
	}
	/* column names may repeat (a role's name is unique per role, but two
	 * options may name one column): keep them in role order, distinct by a
	 * role prefix byte */
	for (int r = 0; st == RS_OK && r < RS_HIST_COLS; r++) {
		const char *name = r < RS_COL__COUNT ? rs_config_column(cfg, (rs_column_role)r)
		                   : cfg->session_column ? cfg->session_column : "session_id";
		char buf[512];
		size_t len = strlen(name);
		if (len + 2 > sizeof buf)
			return rs_fail(err, RS_EINVAL, "column name \"%.64s...\" is too long", name);
		buf[0] = (char)('0' + r);
		memcpy(buf + 1, name, len + 1);
		st = intern_z(&m->columns, buf, err);
	}
	return st;
}

void rs_model_keep_als(rs_model *m, const rs_train_ctx *ctx)
{
	m->fold_alpha = ctx->cfg->alpha;
	m->fold_lambda = ctx->lambda;
}

void rs_model_free_fold(rs_model *m)
{
	rs_idmap_free(&m->events);
	rs_idmap_free(&m->columns);
	free(m->event_w);
	m->event_w = NULL;
}
