/*
 * two_tower_serve.c - the user tower at serving time (two_tower.h): fresh
 * users and sessions run it over their features and recent items, and
 * recsys_explain asks it how much each history item moves a score.
 */
#include "two_tower.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float rs_tt_tower_row(const rs_tt_tower *t, const float *x, float *hid, float *out)
{
	int f = t->f, h = t->h;
	for (int k = 0; k < h; k++)
		hid[k] = t->b1[k];
	for (int d = 0; d < f; d++) { /* x W1, W1 is f x h (dense.h's layout) */
		const float *w = t->w1 + (size_t)d * h;
		for (int k = 0; k < h; k++)
			hid[k] += x[d] * w[k];
	}
	for (int k = 0; k < h; k++)
		hid[k] = hid[k] > 0 ? hid[k] : 0;
	for (int d = 0; d < f; d++)
		out[d] = x[d] + t->b2[d];
	for (int k = 0; k < h; k++) { /* + hid W2, W2 is h x f */
		const float *w = t->w2 + (size_t)k * f;
		for (int d = 0; d < f; d++)
			out[d] += hid[k] * w[d];
	}
	double n2 = 0;
	for (int d = 0; d < f; d++)
		n2 += (double)out[d] * out[d];
	float norm = (float)sqrt(n2);
	for (int d = 0; d < f; d++)
		out[d] = norm > 0 ? out[d] / norm : 0.0f;
	return norm;
}

int32_t rs_tt_item_identity(const rs_model *m, int32_t j)
{
	const rs_csr *c = &m->item_feats;
	if (j < 0 || j >= c->nrows || c->indptr[j] == c->indptr[j + 1])
		return -1;
	int32_t f = c->indices[c->indptr[j]];
	size_t len;
	const char *name = rs_idmap_get(&m->feats, f, &len);
	return name && len >= 5 && memcmp(name, "item:", 5) == 0 ? f : -1;
}

/* x += a E_f for feature f (its embedding: feat_f's row without the
 * bias column). */
static void add_emb(const rs_model *m, int32_t f, float a, float *x)
{
	const float *e = m->feat_f + (size_t)f * m->factors;
	for (int d = 0; d < m->factors - 1; d++)
		x[d] += a * e[d];
}

int rs_tt_user_bag(const rs_model *m, int32_t user, const int32_t *s, const float *w, int n,
                   float *x)
{
	int f = m->factors - 1;
	const rs_csr *uf = &m->user_feats;
	int has_user = user >= 0 && user < uf->nrows && uf->indptr[user] < uf->indptr[user + 1];
	double total = 0;
	for (int r = 0; r < n; r++)
		if (rs_tt_item_identity(m, s[r]) >= 0)
			total += w ? w[r] : 1.0;
	int has_hist = total > 0;
	float a = has_hist ? 1.0f - m->tt_history : 1.0f, b = has_user ? m->tt_history : 1.0f;
	memset(x, 0, (size_t)f * sizeof *x);
	for (int64_t k = has_user ? uf->indptr[user] : 0; has_user && k < uf->indptr[user + 1]; k++)
		add_emb(m, uf->indices[k], a * uf->data[k], x);
	for (int r = 0; has_hist && r < n; r++) {
		int32_t id = rs_tt_item_identity(m, s[r]);
		if (id >= 0)
			add_emb(m, id, (float)(b * (w ? w[r] : 1.0) / total), x);
	}
	return has_user || has_hist;
}

/* The served vector [o_u / |o_u|, 1] of a bag (x in: m->factors - 1
 * floats; out: m->factors, the 1 adding the item's bias column). */
static rs_status tower(const rs_model *m, const float *x, float *out, rs_error *err)
{
	float *hid = rs_malloc(rs_mul((size_t)m->tt_hidden + 1, sizeof *hid));
	if (!hid)
		return rs_fail(err, RS_ENOMEM, "out of memory running the user tower");
	rs_tt_tower t = rs_tt_tower_at(m->tt_net, m->factors - 1, m->tt_hidden);
	rs_tt_tower_row(&t, x, hid, out);
	out[m->factors - 1] = 1;
	free(hid);
	return RS_OK;
}

rs_status rs_tt_fold(const rs_model *m, int32_t user, const int32_t *s, const float *w, int n,
                     float *x, rs_error *err)
{
	if (!m->tt_net || !m->feat_f)
		return rs_fail(err, RS_EINVAL, "the model has no user tower");
	float *bag = rs_malloc(rs_mul((size_t)m->factors, sizeof *bag));
	if (!bag)
		return rs_fail(err, RS_ENOMEM, "out of memory running the user tower");
	rs_status st = RS_OK;
	if (rs_tt_user_bag(m, user, s, w, n, bag))
		st = tower(m, bag, x, err);
	else
		memset(x, 0, (size_t)m->factors * sizeof *x);
	free(bag);
	return st;
}

/* The score of item i for the user vector x. */
static double dot_item(const rs_model *m, const float *x, int32_t i)
{
	const float *v = m->item_f + (size_t)i * m->factors;
	double s = 0;
	for (int d = 0; d < m->factors; d++)
		s += (double)x[d] * v[d];
	return s;
}

rs_status rs_tt_contributions(const rs_model *m, int32_t user, const int32_t *s, const float *w,
                              int n, int32_t i, double *c, rs_error *err)
{
	size_t f = (size_t)m->factors;
	float *x = rs_malloc(rs_mul(f, sizeof *x));
	int32_t *rest = rs_malloc(rs_mul((size_t)n + 1, sizeof *rest));
	float *rw = rs_malloc(rs_mul((size_t)n + 1, sizeof *rw));
	rs_status st = x && rest && rw ? rs_tt_fold(m, user, s, w, n, x, err)
	                               : rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	double full = st == RS_OK ? dot_item(m, x, i) : 0;
	for (int r = 0; st == RS_OK && r < n; r++) {
		int k = 0;
		for (int q = 0; q < n; q++)
			if (q != r) {
				rest[k] = s[q];
				rw[k++] = w ? w[q] : 1.0f;
			}
		st = rs_tt_fold(m, user, rest, rw, k, x, err);
		c[r] = st == RS_OK ? full - dot_item(m, x, i) : 0;
	}
	free(x);
	free(rest);
	free(rw);
	return st;
}
