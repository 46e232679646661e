/*
 * explain.c - recsys_explain(): which items of a user's history make the
 * model score an item, and by how much. Each family splits its own score
 * into a sum over the history items j of the user u, for the item i:
 *
 *  - als (Hu, Koren, Volinsky, ICDM 2008, section 5): the user vector solves
 *    x_u = W_u Y^T C_u p_u with W_u = (Y^T C_u Y + lambda I)^-1, so
 *        score = y_i . x_u = sum_j c_uj (y_i^T W_u y_j),  c_uj = 1 + alpha w_uj.
 *    One Cholesky solve z = W_u y_i, then c_uj z . y_j per item, with the
 *    alpha and lambda the model was trained with (blob; older blobs: ALS's
 *    defaults, as fold_in.c) and, with "recency", the recency-weighted w_uj
 *    its user vectors were last solved with. The sum is the score of the
 *    exact least-squares user vector, which the trained (CG) one approximates.
 *  - svd (PureSVD): x_u = sum_j w_uj v_j, so contribution w_uj v_j . v_i.
 *  - bpr, warp: the user vector is learned from the user's identity, not a
 *    function of the history, so the split is that of the session fold-in
 *    (fold_in.c: the mean of the history's vectors): q_j . q_i / |history|,
 *    the bias dimension left out.
 *  - itemknn, content: w_uj sim(i, j) (the neighbour walk of rs_knn_score;
 *    0 when j is not among i's kept neighbours).
 *  - ease: w_uj B[j, i] (score = x_u B).
 *    For these w_uj is the weight the scorer uses ("recency" included).
 *  - hybrid: each component's contributions scaled as hybrid.c blends its
 *    scores, w_p / (component p's largest score over u's unseen items),
 *    and summed, for the components that score i above 0.
 *  - popularity: nothing in the history contributes: no rows.
 */
#include "internal.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The history of user u in m: items, weights and count. */
typedef struct history {
	const int32_t *items;
	const float *w;
	int32_t n;
} history;

/* The weights are the ones the scorer uses (rs_history_w: "recency"). */
static history user_history(const rs_model *m, int32_t u)
{
	int64_t b = m->seen.indptr[u];
	return (history){m->seen.indices + b, rs_history_w(m) + b,
	                 (int32_t)(m->seen.indptr[u + 1] - b)};
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Dot product of the first d factors of items a and b. */
static double item_dot(const rs_model *m, int32_t a, int32_t b, int d)
{
	const float *x = m->item_f + (size_t)a * m->factors, *y = m->item_f + (size_t)b * m->factors;
	double s = 0;
	for (int t = 0; t < d; t++)
		s += (double)x[t] * y[t];
	return s;
}

/* sim(i, j) as item j's score walk uses it: row j of m->sim, column i. */
static float knn_sim(const rs_model *m, int32_t j, int32_t i)
{
	int64_t at = rs_csr_find(&m->sim, j, i);
	return at >= 0 ? m->sim.data[at] : 0.0f;
}

/* What history item j (weight w) adds to item i's score, for the families
 * whose score is a plain sum over the history (every one but als). The
 * ALS-style dot product serves reasons.c as a cheap stand-in for als. */
double rs_pair_contribution(const rs_model *m, int32_t j, float w, int32_t i, int32_t n_hist)
{
	switch (rs_model_def(m)->split) {
	case RS_SPLIT_SIM:
		return (double)w * knn_sim(m, j, i);
	case RS_SPLIT_DENSE:
		return (double)w * m->dense[(size_t)j * m->items.n + (size_t)i];
	case RS_SPLIT_MEAN:
		return item_dot(m, j, i, m->factors - 1) / (n_hist > 0 ? n_hist : 1);
	case RS_SPLIT_NONE:
		return 0.0;
	default: /* bias columns (imported) are no part of the taste space */
		return m->factors > 0 ? (double)w * item_dot(m, j, i, m->factors - rs_model_def(m)->bias_column)
		                      : 0.0;
	}
}

/* ALS's lambda and alpha: what the model was trained with (kept in the
 * blob), else ALS's defaults, as fold_in.c resolves them. */
static rs_status als_params(const rs_model *m, double *lambda, double *alpha, rs_error *err)
{
	*alpha = m->fold_alpha;
	*lambda = m->fold_lambda;
	if (isfinite(*alpha) && isfinite(*lambda))
		return RS_OK;
	rs_config *cfg = NULL;
	rs_status st = rs_config_create("als", NULL, 1, &cfg, err);
	if (st != RS_OK)
		return st;
	if (!isfinite(*alpha))
		*alpha = cfg->alpha;
	cfg->alpha = *alpha;
	if (!isfinite(*lambda))
		*lambda = rs_als_lambda(cfg, &m->seen);
	rs_config_destroy(&cfg);
	return RS_OK;
}

/* ALS: c_uj (W_u y_i) . y_j into c[r] for every history item (header). */
static rs_status als_contributions(const rs_model *m, history h, int32_t i, double *c,
                                   rs_error *err)
{
	int f = m->factors;
	double lambda, alpha;
	rs_status st = als_params(m, &lambda, &alpha, err);
	if (st != RS_OK)
		return st;
	double *a = rs_malloc(rs_mul((size_t)f * f + f, sizeof *a));
	if (!a || !m->item_gram) {
		free(a);
		return rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	}
	double *z = a + (size_t)f * f;
	const float *g = m->item_gram, *yi = m->item_f + (size_t)i * f;
	for (int p = 0; p < f; p++) {
		for (int q = p; q < f; q++)
			a[(size_t)p * f + q] = g[(size_t)p * f + q] + (p == q ? lambda : 0);
		z[p] = yi[p];
	}
	for (int32_t r = 0; r < h.n; r++) { /* + Y^T (C_u - I) Y */
		const float *y = m->item_f + (size_t)h.items[r] * f;
		double cm1 = alpha * h.w[r];
		for (int p = 0; p < f; p++)
			for (int q = p; q < f; q++)
				a[(size_t)p * f + q] += cm1 * y[p] * y[q];
	}
	if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', f, 1, a, f, z, 1) != 0) {
		free(a);
		return rs_fail(err, RS_ENOTPD, "the user's least-squares system is not positive definite");
	}
	for (int32_t r = 0; r < h.n; r++) {
		const float *y = m->item_f + (size_t)h.items[r] * f;
		double d = 0;
		for (int p = 0; p < f; p++)
			d += z[p] * y[p];
		c[r] = (1.0 + alpha * h.w[r]) * d;
	}
	free(a);
	return RS_OK;
}

/* Contributions of user u's history items to item i of a non-hybrid model,
 * c[r] for the r-th item of u's row. */
static rs_status plain_contributions(const rs_model *m, int32_t u, int32_t i, double *c,
                                     rs_error *err)
{
	history h = user_history(m, u);
	if (rs_model_def(m)->solve_fold && m->factors > 0)
		return als_contributions(m, h, i, c, err);
	for (int32_t r = 0; r < h.n; r++)
		c[r] = rs_pair_contribution(m, h.items[r], h.w[r], i, h.n); /* popularity: 0 */
	return RS_OK;
}

/* Component p's largest score over the hybrid user u's unseen items (the
 * blend's scale, hybrid.c), or 0 when it scores nothing above 0. */
static rs_status part_scale(const rs_model *m, int32_t p, int32_t u, int32_t pu, double *hi,
                            rs_error *err)
{
	const rs_model *part = m->parts[p];
	size_t pn = part->items.n, padded = ((pn + RS_BLK - 1) / RS_BLK) * RS_BLK + RS_BLK;
	float *buf = rs_malloc(rs_mul(padded, sizeof *buf));
	unsigned char *seen = rs_calloc(m->items.n + 1, 1);
	if (!buf || !seen) {
		free(buf);
		free(seen);
		return rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	}
	const rs_algo_def *d = rs_algo_find(part->algo);
	if (d->score)
		d->score(part, pu, buf);
	else if (part->factors > 0)
		rs_score_items(part, part->user_f + (size_t)pu * part->factors, buf);
	else
		memcpy(buf, part->pop, pn * sizeof *buf);
	for (int64_t q = m->seen.indptr[u]; q < m->seen.indptr[u + 1]; q++)
		seen[m->seen.indices[q]] = 1;
	*hi = 0;
	for (size_t i = 0; i < m->items.n; i++) {
		int32_t pi = m->part_item[p][i];
		if (pi >= 0 && !seen[i] && isfinite(buf[pi]) && buf[pi] > *hi)
			*hi = buf[pi];
	}
	free(buf);
	free(seen);
	return RS_OK;
}

/* Hybrid: the components' contributions, scaled as blended, into c[r] for
 * the r-th item of u's row of m (header comment). */
static rs_status hybrid_contributions(const rs_model *m, int32_t u, int32_t i, double *c,
                                      rs_error *err)
{
	size_t len;
	const char *id = rs_idmap_get(&m->users, u, &len);
	history h = user_history(m, u);
	memset(c, 0, (size_t)h.n * sizeof *c);
	rs_status st = RS_OK;
	for (int32_t p = 0; st == RS_OK && p < m->n_parts; p++) {
		const rs_model *part = m->parts[p];
		int32_t pu = rs_idmap_find(&part->users, id, len), pi = m->part_item[p][i];
		if (pu < 0 || pi < 0 || rs_model_def(part)->split == RS_SPLIT_NONE)
			continue;
		history ph = user_history(part, pu);
		double *pc = rs_malloc(rs_mul((size_t)ph.n + 1, sizeof *pc)), hi = 0, total = 0;
		if (!pc)
			return rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
		st = plain_contributions(part, pu, pi, pc, err);
		if (st == RS_OK)
			st = part_scale(m, p, u, pu, &hi, err);
		for (int32_t r = 0; r < ph.n; r++)
			total += pc[r];
		/* a component scoring i at 0 or below adds nothing to the blend */
		for (int32_t r = 0; st == RS_OK && hi > 0 && total > 0 && r < ph.n; r++) {
			size_t l;
			const char *jid = rs_idmap_get(&part->items, ph.items[r], &l);
			int32_t j = rs_idmap_find(&m->items, jid, l);
			const int32_t *at = j < 0 ? NULL : bsearch(&j, h.items, (size_t)h.n, sizeof j,
			                                            cmp_i32);
			if (at)
				c[at - h.items] += m->part_w[p] * pc[r] / hi;
		}
		free(pc);
	}
	return st;
}

/* Largest contribution first; ties to the lower item index. */
static int cmp_contribution(const void *a, const void *b)
{
	const rs_contribution *x = a, *y = b;
	if (x->contribution != y->contribution)
		return x->contribution > y->contribution ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

rs_status rs_explain(const rs_model *m, const char *user, size_t user_len, const char *item,
                     size_t item_len, rs_contribution **out, int *n_out, rs_error *err)
{
	*out = NULL;
	*n_out = 0;
	if (!m || !user || !item)
		return rs_fail(err, RS_EINVAL, "model, user and item must not be NULL");
	char id[RS_SHORT_CAP];
	int32_t u = rs_idmap_find(&m->users, user, user_len);
	if (u < 0)
		return rs_fail(err, RS_ENOTFOUND, "user \"%s\" is not in the model",
		               rs_shorten(user, user_len, id, sizeof id));
	int32_t i = rs_idmap_find(&m->items, item, item_len);
	if (i < 0)
		return rs_fail(err, RS_ENOTFOUND, "item \"%s\" is not in the model",
		               rs_shorten(item, item_len, id, sizeof id));
	history h = user_history(m, u);
	double *c = rs_malloc(rs_mul((size_t)h.n + 1, sizeof *c));
	rs_contribution *rows = rs_malloc(rs_mul((size_t)h.n + 1, sizeof *rows));
	rs_status st = c && rows ? RS_OK : rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	if (st == RS_OK)
		st = m->n_parts > 0 ? hybrid_contributions(m, u, i, c, err)
		                    : plain_contributions(m, u, i, c, err);
	int n = 0;
	for (int32_t r = 0; st == RS_OK && r < h.n; r++)
		if (c[r] != 0 && isfinite(c[r]))
			rows[n++] = (rs_contribution){h.items[r], (float)c[r]};
	free(c);
	if (st != RS_OK || n == 0) {
		free(rows);
		return st;
	}
	qsort(rows, (size_t)n, sizeof *rows, cmp_contribution);
	*out = rows;
	*n_out = n;
	return RS_OK;
}
