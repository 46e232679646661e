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
	uint8_t *ev;   /* each kept row's event (255 none) and quantity (events.c) */
	float *q;
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
	free((*h)->ev);
	free((*h)->q);
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
	uint8_t *e = rs_realloc(h->ev, cap);
	if (e)
		h->ev = e;
	float *q = rs_realloc(h->q, rs_mul(cap, sizeof *q));
	if (q)
		h->q = q;
	if (!i || !w || !t || !e || !q)
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
	int32_t e = h->m->events.n > 0 && event ? rs_idmap_find(&h->m->events, event, event_len) : -1;
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
	h->ev[h->n] = e >= 0 && e < 255 ? (uint8_t)e : 255;
	h->q[h->n] = has_weight ? (float)weight : 1.0f;
	h->n++;
	return RS_OK;
}

/* Is kept row k a purchase (every row without an event column)? */
static int row_bought(const rs_history *h, size_t k)
{
	return h->m->events.n == 0 || (h->m->purchase_ev >= 0 && h->ev[k] == h->m->purchase_ev);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

rs_status rs_history_verbs(const rs_history *h, const int32_t *items, int n, double **buy,
                           uint8_t **verb, rs_error *err)
{
	const rs_model *m = h->m;
	*buy = rs_malloc(rs_mul((size_t)n + 1, sizeof **buy));
	*verb = rs_calloc((size_t)n + 1, 1);
	if (!*buy || !*verb)
		return rs_fail(err, RS_ENOMEM, "out of memory reading %zu history rows", h->n);
	uint8_t *strong = rs_malloc((size_t)n + 1);
	if (!strong)
		return rs_fail(err, RS_ENOMEM, "out of memory reading %zu history rows", h->n);
	for (int o = 0; o < n; o++) {
		(*buy)[o] = NAN;
		strong[o] = 255;
	}
	for (size_t k = 0; k < h->n; k++) {
		const int32_t *at = bsearch(&h->items[k], items, (size_t)n, sizeof *items, cmp_i32);
		if (!at)
			continue;
		size_t o = (size_t)(at - items);
		uint8_t e = h->ev[k];
		if (e < m->events.n && (strong[o] == 255 || m->event_w[e] > m->event_w[strong[o]]))
			strong[o] = e;
		/* older models count every row, as their training did */
		if (!m->user_buy || row_bought(h, k)) {
			double t = isnan(h->ts[k]) ? -INFINITY : h->ts[k];
			if (isnan((*buy)[o]) || t > (*buy)[o])
				(*buy)[o] = t;
		}
	}
	for (int o = 0; o < n; o++) {
		if (!m->user_buy || !m->events.n)
			(*verb)[o] = RS_VERB_NEUTRAL;
		else if (!isnan((*buy)[o]))
			(*verb)[o] = RS_VERB_BOUGHT;
		else if (strong[o] < 254 - RS_VERB_EVENT)
			(*verb)[o] = (uint8_t)(RS_VERB_EVENT + strong[o]);
		if (isinf((*buy)[o]) && !m->user_buy)
			(*buy)[o] = NAN; /* as before: a row without time is never due */
	}
	free(strong);
	return RS_OK;
}

rs_status rs_history_facts_make(const rs_history *h, rs_history_facts *f, rs_error *err)
{
	const rs_model *m = h->m;
	memset(f, 0, sizeof *f);
	f->rows = h->n;
	f->last = NAN;
	f->buy[1] = f->buy[2] = f->buy[3] = NAN;
	f->items = rs_malloc(rs_mul(h->n + 1, sizeof *f->items));
	f->counts = rs_calloc(m->events.n + 1, sizeof *f->counts);
	if (!f->items || !f->counts) {
		rs_history_facts_free(f);
		return rs_fail(err, RS_ENOMEM, "out of memory reading %zu history rows", h->n);
	}
	for (size_t k = 0; k < h->n; k++) {
		double t = h->ts[k];
		f->items[k] = h->items[k];
		if (!isnan(t) && (isnan(f->last) || t > f->last))
			f->last = t;
		if (h->ev[k] < m->events.n)
			f->counts[h->ev[k]]++;
		if (!row_bought(h, k))
			continue;
		f->buy[0]++;
		float pr = m->item_price ? m->item_price[h->items[k]] : NAN;
		if (!isnan(pr))
			f->buy[3] = (isnan(f->buy[3]) ? 0 : f->buy[3]) + (double)pr * h->q[k];
		if (!isnan(t)) {
			f->buy[1] = isnan(f->buy[1]) || t < f->buy[1] ? t : f->buy[1];
			f->buy[2] = isnan(f->buy[2]) || t > f->buy[2] ? t : f->buy[2];
		}
	}
	qsort(f->items, h->n, sizeof *f->items, cmp_i32);
	int64_t n = 0;
	for (size_t k = 0; k < h->n; k++)
		if (n == 0 || f->items[k] != f->items[n - 1])
			f->items[n++] = f->items[k];
	f->n_items = n;
	return RS_OK;
}

void rs_history_facts_free(rs_history_facts *f)
{
	free(f->items);
	free(f->counts);
	f->items = NULL;
	f->counts = NULL;
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
