/*
 * similar.c - the items most similar to one item, for every kind of model.
 *
 * Each model answers from what it already stores (no new training data):
 *  - factor models (als, svd, bpr, warp): cosine of the item vectors,
 *        sim(i, j) = q_i . q_j / (|q_i| |q_j|),
 *    one sgemv over the item factors plus the item norms, computed per call
 *    (O(items x factors), the cost of one recommend(); nothing is added to
 *    the model or its load). bpr / warp serve [q_i, b_i]: the bias column is
 *    left out of the cosine;
 *  - neighbour models (itemknn, content): item i's own kept neighbours N(i)
 *    with their similarities. m->sim stores them by neighbour (COLUMN i holds
 *    N(i), itemknn.c), so row j is searched for i (rows are sorted);
 *  - ease: row i of B, B[i, j] being what having i adds to j's score
 *    (score(u) = x_u B, ease.c);
 *  - popularity: the popularity order;
 *  - hybrid: each component's similarities, scaled by the component's
 *    largest one and blended with the component weights (as hybrid.c blends
 *    recommendations); the reason comes from the component that contributed
 *    most.
 * Only items with a positive similarity are returned (popularity: every
 * other item), so a neighbour list shorter than k gives fewer rows. The
 * options are recommend()'s filters (price, categories, exclude_items) and
 * its diversity / popularity_penalty re-ranking, applied by the same
 * pipeline (rerank.c rs_rank) to the similarities. The item
 * itself is never returned. Items only the items side table named are in
 * the catalogue of content, bpr and warp models trained with it, so they get
 * neighbours from their features like any other item.
 */
#include "internal.h"
#include "options.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Cosine of item i's factor vector with every item's; zero vectors and i
 * itself are -inf. */
static rs_status factor_cosine(const rs_model *m, int32_t i, float *s, rs_error *err)
{
	int32_t n = (int32_t)m->items.n, lda = m->factors;
	int32_t d = lda - rs_model_def(m)->bias_column > 0 ? lda - rs_model_def(m)->bias_column : lda;
	float *v = rs_malloc(rs_mul((size_t)d, sizeof *v));
	if (!v)
		return rs_fail(err, RS_ENOMEM, "out of memory scoring %d items", (int)n);
	memcpy(v, m->item_f + (size_t)i * lda, (size_t)d * sizeof *v);
	cblas_sgemv(CblasRowMajor, CblasNoTrans, n, d, 1.0f, m->item_f, lda, v, 1, 0.0f, s, 1);
	double ni = sqrt(s[i] > 0 ? s[i] : 0);
	for (int32_t j = 0; j < n; j++) {
		const float *q = m->item_f + (size_t)j * lda;
		double nj = 0;
		for (int32_t t = 0; t < d; t++)
			nj += (double)q[t] * q[t];
		nj = sqrt(nj);
		s[j] = ni > 0 && nj > 0 ? (float)(s[j] / (ni * nj)) : -INFINITY;
	}
	free(v);
	return RS_OK;
}

/* Item i's kept neighbours: column i of m->sim (a binary search per row). */
static void neighbour_column(const rs_model *m, int32_t i, float *s)
{
	for (int32_t j = 0; j < m->sim.nrows; j++) {
		int64_t at = rs_csr_find(&m->sim, j, i);
		s[j] = at >= 0 ? m->sim.data[at] : -INFINITY;
	}
}

/* Similarities of item i with every item of a non-hybrid model, into s
 * (m->items.n entries); -inf = not similar. *src: the source of the rows. */
static rs_status plain_scores(const rs_model *m, int32_t i, float *s, rs_source *src,
                              rs_error *err)
{
	size_t n = m->items.n;
	*src = RS_SRC_MODEL;
	if (m->factors > 0 && m->item_f) {
		rs_status st = factor_cosine(m, i, s, err);
		if (st != RS_OK)
			return st;
	} else if (m->dense) {
		memcpy(s, m->dense + (size_t)i * n, n * sizeof *s);
	} else if (m->sim.indptr && (size_t)m->sim.nrows == n) {
		neighbour_column(m, i, s);
	} else {
		*src = RS_SRC_POPULAR;
		memcpy(s, m->pop, n * sizeof *s);
		s[i] = -INFINITY;
		return RS_OK;
	}
	for (size_t j = 0; j < n; j++)
		if (!(s[j] > 0)) /* no evidence of similarity (and NaN) */
			s[j] = -INFINITY;
	s[i] = -INFINITY;
	return RS_OK;
}

/* Blend the components' similarities of the item with this id into total
 * (weights x score / the component's largest), best part per item in bestp. */
static rs_status hybrid_scores(const rs_model *m, const char *id, size_t len, float *total,
                               int32_t *bestp, rs_error *err)
{
	size_t ni = m->items.n, maxpart = 1;
	for (int32_t p = 0; p < m->n_parts; p++)
		if (m->parts[p]->items.n > maxpart)
			maxpart = m->parts[p]->items.n;
	float *buf = rs_malloc(rs_mul(maxpart, sizeof *buf)), *bestc = rs_calloc(ni + 1, sizeof *bestc);
	rs_status st = buf && bestc ? RS_OK : rs_fail(err, RS_ENOMEM, "out of memory blending");
	for (int32_t p = 0; st == RS_OK && p < m->n_parts; p++) {
		const rs_model *part = m->parts[p];
		int32_t pi = rs_idmap_find(&part->items, id, len);
		rs_source src;
		if (pi < 0 || (st = plain_scores(part, pi, buf, &src, err)) != RS_OK)
			continue;
		float hi = 0;
		for (size_t j = 0; j < part->items.n; j++)
			if (isfinite(buf[j]))
				hi = fmaxf(hi, buf[j]);
		for (size_t j = 0; hi > 0 && j < ni; j++) {
			int32_t q = m->part_item[p][j];
			if (q < 0 || !isfinite(buf[q]) || !(buf[q] > 0))
				continue;
			float c = m->part_w[p] * buf[q] / hi;
			total[j] += c;
			if (c > bestc[j]) {
				bestc[j] = c;
				bestp[j] = p;
			}
		}
	}
	for (size_t j = 0; j < ni; j++)
		if (!(total[j] > 0))
			total[j] = -INFINITY;
	free(buf);
	free(bestc);
	return st;
}

rs_status rs_similar_items(const rs_model *m, const char *item, size_t len, int k,
                           const rs_opt *options, rs_reco *out, int *n_out, rs_error *err)
{
	*n_out = 0;
	rs_status st = rs_check_k(k, err);
	if (st != RS_OK)
		return st;
	if (!m || !item)
		return rs_fail(err, RS_EINVAL, "model and item must not be NULL");
	int32_t i = rs_idmap_find(&m->items, item, len);
	if (i < 0) {
		char si[RS_SHORT_CAP];
		return rs_fail(err, RS_ENOTFOUND, "item \"%s\" is not in the model",
		               rs_shorten(item, len, si, sizeof si));
	}
	size_t ni = m->items.n;
	float *s = rs_calloc(ni + 1, sizeof *s);
	int32_t *bestp = m->n_parts > 0 ? rs_calloc(ni + 1, sizeof *bestp) : NULL;
	rs_source src = RS_SRC_MODEL;
	if (!s || (m->n_parts > 0 && !bestp))
		st = rs_fail(err, RS_ENOMEM, "out of memory scoring %zu items", ni);
	else if (m->n_parts > 0)
		st = hybrid_scores(m, item, len, s, bestp, err);
	else
		st = plain_scores(m, i, s, &src, err);
	if (st == RS_OK) { /* recommend()'s filters and re-ranking, then the top k */
		rs_rank_ctx ctx = {.source = src, .part = bestp, .fn = "similar_items",
		                   .taker = RS_FOR_SIMILAR};
		s[i] = -INFINITY;
		st = rs_rank(m, &ctx, s, NULL, k, options, out, n_out, err);
	}
	free(s);
	free(bestp);
	return st;
}

const char *rs_similar_reason(const rs_model *m, rs_source s)
{
	if ((int)s >= RS_SRC_PART && (int)s < RS_SRC_PART + m->n_parts) {
		const rs_model *part = m->parts[s - RS_SRC_PART];
		return rs_similar_reason(part, rs_model_def(part)->split == RS_SPLIT_NONE ? RS_SRC_POPULAR
		                                                                         : RS_SRC_MODEL);
	}
	if (s == RS_SRC_POPULAR)
		return "popular now";
	const char *r = rs_model_def(m)->similar_reason;
	return r ? r : "close in taste space";
}
