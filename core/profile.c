/*
 * profile.c - what the model knows of a user: rows, distinct items, average
 * item price, spending segment, last interaction (recsys_user_profile), and
 * the spending segments the price_sensitivity option works with.
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
	if (!m->item_price || m->users.n == 0)
		return RS_OK;
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

rs_status rs_user_profile(const rs_model *m, const char *user, size_t len, rs_profile *out,
                          rs_error *err)
{
	if (!m || !user || !out)
		return rs_fail(err, RS_EINVAL, "model and user must not be NULL");
	int32_t u = rs_idmap_find(&m->users, user, len);
	if (u < 0) {
		char su[RS_SHORT_CAP];
		return rs_fail(err, RS_ENOTFOUND, "unknown user \"%s\"", rs_shorten(user, len, su, sizeof su));
	}
	const rs_csr *s = &m->seen;
	int64_t b = s->indptr[u], e = s->indptr[u + 1];
	out->distinct_items = e - b;
	out->interactions = m->user_rows ? (int64_t)m->user_rows[u] : e - b;
	out->avg_item_price = rs_history_avg_price(m, s->indices + b, (int32_t)(e - b));
	int seg = rs_spending_segment(m, out->avg_item_price);
	out->spending_segment = seg < 0 ? NULL : segment_names[seg];
	out->last_interaction = NAN;
	for (int64_t p = b; s->ts && p < e; p++)
		if (!isnan(s->ts[p]) && (isnan(out->last_interaction) || s->ts[p] > out->last_interaction))
			out->last_interaction = s->ts[p];
	return RS_OK;
}
