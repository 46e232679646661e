/*
 * profile.c - what the model knows of a user: rows, distinct items, average
 * item price, spending segment, last interaction (recsys_user_profile), and
 * the spending segments the price_sensitivity option works with.
 *
 * Spend segments (recsys_user_profile's spend_segment): a user's total
 * spend among the buyers' totals (spend_sorted, derived) at the quantiles
 * of option spend_quantiles (0.25, 0.5, 0.75), the same four names.
 *
 * Spending segments: each user's average item price (the mean price of the
 * distinct items of their history that have a price) is placed among all
 * users' averages by the quartiles derived at load: "small" (at most the
 * first quartile), "low average" (at most the median), "average" (at most
 * the third quartile) and "high".
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

static const char *const segment_names[4] = {"small", "low average", "average", "high"};

double rs_history_avg_price(const rs_model *m, const int32_t *items, int32_t n)
{
	double sum = 0;
	int32_t c = 0;
	for (int32_t r = 0; m->item_price && r < n; r++) {
		float p = m->item_price[items[r]];
		if (!isnan(p)) {
			sum += p;
			c++;
		}
	}
	return c ? sum / c : NAN;
}

int rs_spending_segment(const rs_model *m, double avg)
{
	if (isnan(avg) || isnan(m->price_q[0]))
		return -1;
	int s = 0;
	while (s < 3 && avg > m->price_q[s])
		s++;
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Quartiles (nearest rank) of the users' average item prices. */
rs_status rs_rank_prepare(rs_model *m, rs_error *err)
{
	m->price_q[0] = m->price_q[1] = m->price_q[2] = NAN;
	rs_status st = rs_spend_prepare(m, err);
	if (st != RS_OK || !m->item_price || m->users.n == 0)
		return st;
	double *avg = rs_malloc(rs_mul(m->users.n, sizeof *avg));
	if (!avg)
		return rs_fail(err, RS_ENOMEM, "out of memory deriving spending segments");
	size_t n = 0;
	for (size_t u = 0; u < m->users.n; u++) {
		const rs_csr *s = &m->seen;
		double a = rs_history_avg_price(m, s->indices + s->indptr[u],
		                                (int32_t)(s->indptr[u + 1] - s->indptr[u]));
		if (!isnan(a))
			avg[n++] = a;
	}
	qsort(avg, n, sizeof *avg, cmp_double);
	for (int q = 0; n > 0 && q < 3; q++)
		m->price_q[q] = avg[((size_t)(q + 1) * n + 3) / 4 - 1]; /* ceil(n (q+1) / 4) - 1 */
	free(avg);
	return RS_OK;
}

/* ---- events and purchases (issue 13, A3) ---- */

static int cmp_double_asc(const void *a, const void *b) { return cmp_double(a, b); }

rs_status rs_spend_prepare(rs_model *m, rs_error *err)
{
	free(m->spend_sorted);
	m->spend_sorted = NULL;
	m->n_spend = 0;
	if (!m->user_buy)
		return RS_OK;
	double *v = rs_malloc(rs_mul(m->users.n + 1, sizeof *v));
	if (!v)
		return rs_fail(err, RS_ENOMEM, "out of memory deriving spend segments");
	int64_t n = 0;
	for (size_t u = 0; u < m->users.n; u++)
		if (m->user_buy[u * 4 + 3] > 0)
			v[n++] = m->user_buy[u * 4 + 3];
	qsort(v, (size_t)n, sizeof *v, cmp_double_asc);
	m->spend_sorted = v;
	m->n_spend = n;
	return RS_OK;
}

/* The profile's options, checked (unknown keys and wrong values name the key). */
typedef struct prof_opts {
	double q[3], now, new_days, at_risk_days, loyal;
} prof_opts;

static rs_status prof_number(const rs_opt *c, double lo, double hi, double *out, rs_error *err)
{
	rs_status st = rs_opt_check_number(c->key, 0, lo, hi, c, err);
	if (st == RS_OK)
		*out = c->number;
	return st;
}

static rs_status parse_prof(const rs_opt *o, prof_opts *po, rs_error *err)
{
	*po = (prof_opts){{0.25, 0.5, 0.75}, rs_now_seconds(), 30, 90, 3};
	if (o && o->kind != RS_OPT_OBJECT && o->kind != RS_OPT_NULL)
		return rs_fail(err, RS_EINVAL, "options must be a JSON object");
	for (size_t i = 0; o && o->kind == RS_OPT_OBJECT && i < o->n_children; i++) {
		const rs_opt *c = &o->children[i];
		const char *key = c->key ? c->key : "";
		rs_status st = RS_OK;
		if (!strcmp(key, "spend_quantiles")) {
			if (c->kind != RS_OPT_ARRAY || c->n_children != 3)
				return rs_fail(err, RS_EINVAL, "option \"spend_quantiles\" must be an array of 3 "
				               "increasing numbers between 0 and 1, e.g. [0.25, 0.5, 0.75]");
			for (int k = 0; k < 3; k++) {
				const rs_opt *e = &c->children[k];
				if (e->kind != RS_OPT_NUMBER || !(e->number > 0 && e->number < 1) ||
				    (k && !(e->number > po->q[k - 1])))
					return rs_fail(err, RS_EINVAL, "option \"spend_quantiles\" must be an array of 3 "
					               "increasing numbers between 0 and 1, e.g. [0.25, 0.5, 0.75]");
				po->q[k] = e->number;
			}
		} else if (!strcmp(key, "now")) {
			st = prof_number(c, -1e12, 1e12, &po->now, err);
		} else if (!strcmp(key, "new_days")) {
			st = prof_number(c, 0, 1e6, &po->new_days, err);
		} else if (!strcmp(key, "at_risk_days")) {
			st = prof_number(c, 0, 1e6, &po->at_risk_days, err);
		} else if (!strcmp(key, "loyal_purchases")) {
			st = prof_number(c, 1, 1e9, &po->loyal, err);
		} else {
			char sk[RS_SHORT_CAP];
			return rs_fail(err, RS_EINVAL, "unknown option \"%s\" for recsys_user_profile (known "
			               "options: spend_quantiles, now, new_days, at_risk_days, loyal_purchases)",
			               rs_shorten(key, (size_t)-1, sk, sizeof sk));
		}
		if (st != RS_OK)
			return st;
	}
	return RS_OK;
}

/* Segment of a total spend among the buyers' (nearest-rank quantiles). */
static const char *spend_segment(const rs_model *m, double spend, const prof_opts *po)
{
	if (!(spend > 0) || m->n_spend == 0)
		return NULL;
	int s = 0;
	while (s < 3) {
		int64_t r = (int64_t)ceil(po->q[s] * (double)m->n_spend) - 1;
		if (spend <= m->spend_sorted[r < 0 ? 0 : r])
			break;
		s++;
	}
	return segment_names[s];
}

/* The customer type (README "Customer type"): no purchase: prospect; last
 * purchase over at_risk_days ago: at_risk; first purchase within new_days:
 * new; at least loyal_purchases purchases: loyal; else occasional. Without
 * purchase times only the counts decide. */
static const char *customer_type(int64_t purchases, double first, double last,
                                 const prof_opts *po)
{
	const double day = 86400;
	if (purchases <= 0)
		return "prospect";
	if (!isnan(last) && po->now - last > po->at_risk_days * day)
		return "at_risk";
	if (!isnan(first) && po->now - first <= po->new_days * day)
		return "new";
	return purchases >= po->loyal ? "loyal" : "occasional";
}

/* {"view": 12, ...} of the rows per event (NULL without events). */
static char *counts_json(const rs_model *m, const uint32_t *counts, rs_error *err, rs_status *st)
{
	*st = RS_OK;
	if (!m->events.n || !counts)
		return NULL;
	rs_text t = {0};
	rs_text_printf(&t, "{");
	for (size_t e = 0; e < m->events.n; e++) {
		size_t len;
		const char *name = rs_idmap_get(&m->events, (int32_t)e, &len);
		rs_text_printf(&t, "%s", e ? ", " : "");
		rs_text_json_string(&t, name, len);
		rs_text_printf(&t, ": %u", counts[e]);
	}
	rs_text_printf(&t, "}");
	if (t.oom) {
		free(t.buf);
		*st = rs_fail(err, RS_ENOMEM, "out of memory");
		return NULL;
	}
	return t.buf;
}

/* What both profiles share once the user's facts are known. */
static rs_status finish(const rs_model *m, const int32_t *items, int64_t n_items,
                        const uint32_t *counts, const double *buy, const prof_opts *po,
                        rs_profile *out, rs_error *err)
{
	out->distinct_items = n_items;
	out->avg_item_price = rs_history_avg_price(m, items, (int32_t)n_items);
	int seg = rs_spending_segment(m, out->avg_item_price);
	out->spending_segment = seg < 0 ? NULL : segment_names[seg];
	out->purchases = -1;
	out->last_purchase = out->total_spend = NAN;
	out->spend_segment = out->customer_type = NULL;
	if (!buy)
		return RS_OK; /* a model trained before events were kept */
	out->purchases = (int64_t)buy[0];
	out->last_purchase = buy[2];
	out->total_spend = buy[3];
	out->spend_segment = spend_segment(m, buy[3], po);
	out->customer_type = customer_type(out->purchases, buy[1], buy[2], po);
	rs_status st;
	out->event_counts = counts_json(m, counts, err, &st);
	return st;
}

void rs_profile_clear(rs_profile *p)
{
	if (!p)
		return;
	free(p->event_counts);
	p->event_counts = NULL;
}

rs_status rs_user_profile(const rs_model *m, const char *user, size_t len, const rs_opt *options,
                          rs_profile *out, rs_error *err)
{
	if (!m || !user || !out)
		return rs_fail(err, RS_EINVAL, "model and user must not be NULL");
	memset(out, 0, sizeof *out);
	prof_opts po;
	rs_status st = parse_prof(options, &po, err);
	if (st != RS_OK)
		return st;
	int32_t u = rs_idmap_find(&m->users, user, len);
	if (u < 0) {
		char su[RS_SHORT_CAP];
		return rs_fail(err, RS_ENOTFOUND, "unknown user \"%s\"", rs_shorten(user, len, su, sizeof su));
	}
	const rs_csr *s = &m->seen;
	int64_t b = s->indptr[u], e = s->indptr[u + 1];
	out->interactions = m->user_rows ? (int64_t)m->user_rows[u] : e - b;
	out->last_interaction = NAN;
	for (int64_t p = b; s->ts && p < e; p++)
		if (!isnan(s->ts[p]) && (isnan(out->last_interaction) || s->ts[p] > out->last_interaction))
			out->last_interaction = s->ts[p];
	return finish(m, s->indices + b, e - b, m->user_ev ? m->user_ev + (size_t)u * m->events.n : NULL,
	              m->user_buy ? m->user_buy + (size_t)u * 4 : NULL, &po, out, err);
}

rs_status rs_user_profile_history(const rs_model *m, const rs_history *h, const rs_opt *options,
                                  rs_profile *out, rs_error *err)
{
	if (!m || !h || !out)
		return rs_fail(err, RS_EINVAL, "model and history must not be NULL");
	memset(out, 0, sizeof *out);
	prof_opts po;
	rs_status st = parse_prof(options, &po, err);
	if (st != RS_OK)
		return st;
	rs_history_facts f;
	if ((st = rs_history_facts_make(h, &f, err)) != RS_OK)
		return st;
	out->interactions = (int64_t)f.rows;
	out->last_interaction = f.last;
	st = finish(m, f.items, f.n_items, f.counts, m->user_buy ? f.buy : NULL, &po, out, err);
	rs_history_facts_free(&f);
	return st;
}
