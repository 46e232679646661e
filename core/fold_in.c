/*
 * fold_in.c - recommendations for an anonymous session from the items it
 * touched (recommend_for_items): the session becomes a user the model has
 * never seen, and each family scores it the way it scores its own users.
 *
 *  - als: fold-in, one exact half-step of ALS (Hu, Koren, Volinsky, ICDM
 *    2008) for the new row with the item factors Y fixed:
 *        x = (Y^T Y + lambda I + alpha sum_{i in S} y_i y_i^T)^-1 (1 + alpha) sum_{i in S} y_i
 *    (every session item has weight 1, so c_i = 1 + alpha). Y^T Y is formed
 *    once when the model is loaded (model.c) and the f x f system solved by Cholesky
 *    (LAPACKE_dposv). The model blob does not keep lambda and alpha, so
 *    fold-in uses ALS's defaults: alpha 5 and the data-scaled default lambda
 *    recomputed from the model's interactions (rs_als_lambda); the options
 *    "regularization" and "alpha" override them for models trained with
 *    other values.
 *  - svd (PureSVD): x = sum_{i in S} v_i, the user's x_u V for a 0/1 row.
 *  - bpr, warp: x = mean of the session items' vectors q_i (no gradient
 *    steps), with the bias dimension set to 1 as for trained users.
 *  - itemknn, content, ease: the algorithm's own scorer on a one-row
 *    interaction matrix holding the session (neighbour / B-row sums).
 *  - popularity: popular items. hybrid: each component as above, blended
 *    by hybrid.c's normalization.
 * Unknown ids are skipped, duplicates count once; a session with no known
 * item gets popular items with source RS_SRC_SESSION_EMPTY.
 */
#include "internal.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct fold_opts {
	int exclude_items;
	double lambda, alpha; /* < 0: ALS defaults */
} fold_opts;

/* A non-negative number option, or an error naming it. */
static rs_status num_opt(const rs_opt *c, double *out, rs_error *err)
{
	if (c->kind != RS_OPT_NUMBER || !isfinite(c->number) || c->number < 0)
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be a number >= 0", c->key);
	*out = c->number;
	return RS_OK;
}

/* Validate the per-call options of recommend_for_items(). */
static rs_status parse_opts(const rs_opt *o, fold_opts *fo, rs_error *err)
{
	*fo = (fold_opts){.exclude_items = 1, .lambda = -1, .alpha = -1};
	if (!o || o->kind == RS_OPT_NULL)
		return RS_OK;
	if (o->kind != RS_OPT_OBJECT)
		return rs_fail(err, RS_EINVAL, "options must be a JSON object");
	for (size_t i = 0; i < o->n_children; i++) {
		const rs_opt *c = &o->children[i];
		const char *key = c->key ? c->key : "";
		rs_status st = RS_OK;
		if (strcmp(key, "exclude_items") == 0) {
			if (c->kind != RS_OPT_BOOL)
				return rs_fail(err, RS_EINVAL, "option \"exclude_items\" must be a boolean");
			fo->exclude_items = c->boolean;
		} else if (strcmp(key, "regularization") == 0) {
			st = num_opt(c, &fo->lambda, err);
		} else if (strcmp(key, "alpha") == 0) {
			st = num_opt(c, &fo->alpha, err);
		} else {
			return rs_fail(err, RS_EINVAL,
			               "unknown option \"%s\" for recommend_for_items (known options: "
			               "exclude_items, regularization, alpha)", key);
		}
		if (st != RS_OK)
			return st;
	}
	return RS_OK;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* The known items of the list as sorted, distinct indices of m. */
static int32_t *session_items(const rs_model *m, const char *const *items, const size_t *lens,
                              int n_items, int *n)
{
	int32_t *s = rs_malloc(rs_mul((size_t)n_items + 1, sizeof *s));
	*n = 0;
	if (!s)
		return NULL;
	for (int r = 0; r < n_items; r++) {
		int32_t i = items[r] ? rs_idmap_find(&m->items, items[r], lens[r]) : -1;
		if (i >= 0)
			s[(*n)++] = i;
	}
	qsort(s, (size_t)*n, sizeof *s, cmp_i32);
	int w = 0;
	for (int r = 0; r < *n; r++)
		if (w == 0 || s[w - 1] != s[r])
			s[w++] = s[r];
	*n = w;
	return s;
}

/* ALS fold-in (header comment): x solves the session's normal equations. */
static rs_status als_fold_in(const rs_model *m, const int32_t *s, int n, const fold_opts *fo,
                             float *x, rs_error *err)
{
	int f = m->factors;
	double lambda = fo->lambda, alpha = fo->alpha;
	if (lambda < 0 || alpha < 0) {
		rs_config *cfg = NULL;
		rs_status st = rs_config_create("als", NULL, 1, &cfg, err);
		if (st != RS_OK)
			return st;
		if (alpha < 0)
			alpha = cfg->alpha;
		if (lambda < 0) {
			cfg->alpha = alpha;
			lambda = rs_als_lambda(cfg, &m->seen);
		}
		rs_config_destroy(&cfg);
	}
	const float *g = m->item_gram; /* Y^T Y, derived at load (model.c) */
	double *a = rs_malloc(rs_mul((size_t)f * f + f, sizeof *a)), *rhs = a ? a + (size_t)f * f : NULL;
	rs_status st = RS_OK;
	if (!a || !g) {
		st = rs_fail(err, RS_ENOMEM, "out of memory folding in the session");
		goto done;
	}
	for (int p = 0; p < f; p++) {
		for (int q = p; q < f; q++)
			a[(size_t)p * f + q] = g[(size_t)p * f + q];
		a[(size_t)p * f + p] += lambda;
		rhs[p] = 0;
	}
	for (int r = 0; r < n; r++) {
		const float *y = m->item_f + (size_t)s[r] * f;
		for (int p = 0; p < f; p++) {
			double t = alpha * y[p];
			for (int q = p; q < f; q++)
				a[(size_t)p * f + q] += t * y[q];
			rhs[p] += (1.0 + alpha) * y[p];
		}
	}
	if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', f, 1, a, f, rhs, 1) != 0) {
		st = rs_fail(err, RS_ENOTPD,
		             "the session's fold-in system is not positive definite; raise \"regularization\"");
		goto done;
	}
	for (int p = 0; p < f; p++)
		x[p] = (float)rhs[p];
done:
	free(a);
	return st;
}

/* The session's user vector for a factor model (header comment). */
static rs_status fold_in_vector(const rs_model *m, const int32_t *s, int n, const fold_opts *fo,
                                float *x, rs_error *err)
{
	int f = m->factors;
	if (m->algo == RS_ALGO_ALS)
		return als_fold_in(m, s, n, fo, x, err);
	memset(x, 0, (size_t)f * sizeof *x);
	for (int r = 0; r < n; r++)
		for (int d = 0; d < f; d++)
			x[d] += m->item_f[(size_t)s[r] * f + d];
	if (m->algo == RS_ALGO_BPR || m->algo == RS_ALGO_WARP) {
		for (int d = 0; d < f - 1; d++)
			x[d] /= (float)(n > 0 ? n : 1);
		x[f - 1] = 1; /* the bias dimension (lightfm.c) */
	}
	return RS_OK;
}

/* Scores of every item of m (scores: padded to RS_BLK) for the session s;
 * *uvec set when they are factor dot products of that vector. */
static rs_status session_scores(const rs_model *m, const int32_t *s, int n, const fold_opts *fo,
                                float *scores, float *uvec, int *has_uvec, rs_error *err)
{
	const rs_algo_def *def = rs_algo_find(m->algo);
	*has_uvec = 0;
	if (n > 0 && def->score) {
		/* the scorer reads row 0 of `seen`: a one-row matrix of the session */
		rs_model tmp = *m;
		int64_t indptr[2] = {0, n};
		float *ones = rs_malloc(rs_mul((size_t)n, sizeof *ones));
		if (!ones)
			return rs_fail(err, RS_ENOMEM, "out of memory scoring the session");
		for (int r = 0; r < n; r++)
			ones[r] = 1;
		tmp.seen = (rs_csr){.nrows = 1, .ncols = m->seen.ncols, .indptr = indptr,
		                    .indices = (int32_t *)s, .data = ones};
		def->score(&tmp, 0, scores);
		free(ones);
	} else if (n > 0 && m->factors > 0) {
		rs_status st = fold_in_vector(m, s, n, fo, uvec, err);
		if (st != RS_OK)
			return st;
		rs_score_items(m, uvec, scores);
		*has_uvec = 1;
	} else {
		memcpy(scores, m->pop, m->items.n * sizeof *scores);
	}
	return RS_OK;
}

/* Popular items, without the session's when asked. */
static int popular_except(const rs_model *m, const int32_t *s, int n, int k, rs_source src,
                          rs_reco *out)
{
	int w = 0;
	for (size_t r = 0; r < m->items.n && w < k; r++) {
		int32_t i = m->pop_order[r];
		if (n > 0 && bsearch(&i, s, (size_t)n, sizeof *s, cmp_i32))
			continue;
		out[w++] = (rs_reco){i, m->pop[i], src};
	}
	return w;
}

/* Hybrid: each component's session scores, blended as hybrid.c does. */
static rs_status hybrid_session(const rs_model *m, const int32_t *s, int n, const fold_opts *fo,
                                int k, rs_reco *out, int *n_out, rs_error *err)
{
	size_t ni = m->items.n, maxpart = 0, maxf = 1;
	for (int32_t p = 0; p < m->n_parts; p++) {
		if (m->parts[p]->items.n > maxpart)
			maxpart = m->parts[p]->items.n;
		if ((size_t)m->parts[p]->factors > maxf)
			maxf = (size_t)m->parts[p]->factors;
	}
	float *total = rs_calloc(ni, sizeof *total), *bestc = rs_calloc(ni, sizeof *bestc);
	int32_t *bestp = rs_calloc(ni, sizeof *bestp), *ps = rs_malloc(rs_mul((size_t)n + 1, 4));
	float *buf = rs_malloc(rs_mul(((maxpart + RS_BLK - 1) / RS_BLK) * RS_BLK + RS_BLK, 4));
	float *uvec = rs_malloc(rs_mul(maxf, 4)), *val = rs_malloc(rs_mul((size_t)k, 4));
	int32_t *idx = rs_malloc(rs_mul((size_t)k, 4));
	rs_status st = RS_OK;
	if (!total || !bestc || !bestp || !ps || !buf || !uvec || !val || !idx)
		st = rs_fail(err, RS_ENOMEM, "out of memory blending %d components", (int)m->n_parts);
	if (st == RS_OK && fo->exclude_items)
		for (int r = 0; r < n; r++)
			total[s[r]] = -INFINITY;
	for (int32_t p = 0; st == RS_OK && p < m->n_parts; p++) {
		int np = 0, has_uvec;
		for (int r = 0; r < n; r++)
			if (m->part_item[p][s[r]] >= 0)
				ps[np++] = m->part_item[p][s[r]];
		qsort(ps, (size_t)np, sizeof *ps, cmp_i32);
		st = session_scores(m->parts[p], ps, np, fo, buf, uvec, &has_uvec, err);
		if (st == RS_OK)
			rs_hybrid_blend(m, p, buf, total, bestc, bestp);
	}
	if (st == RS_OK) {
		int w = rs_topk(total, (int32_t)ni, k, idx, val);
		for (int r = 0; r < w; r++)
			out[r] = (rs_reco){idx[r], val[r], (rs_source)(RS_SRC_PART + bestp[idx[r]])};
		*n_out = w;
	}
	free(total); free(bestc); free(bestp); free(ps); free(buf); free(uvec); free(val); free(idx);
	return st;
}

/* One model's scores for the session, its items excluded, top k. */
static rs_status model_session(const rs_model *m, const int32_t *s, int n, const fold_opts *fo,
                               int k, rs_reco *out, int *n_out, rs_error *err)
{
	size_t ni = m->items.n, padded = ((ni + RS_BLK - 1) / RS_BLK) * RS_BLK;
	float *scores = rs_malloc(rs_mul(padded + RS_BLK, sizeof *scores));
	float *uvec = rs_malloc(rs_mul((size_t)m->factors + 1, sizeof *uvec));
	float *val = rs_malloc(rs_mul((size_t)k, sizeof *val));
	int32_t *idx = rs_malloc(rs_mul((size_t)k, sizeof *idx));
	int has_uvec = 0, w = -1;
	rs_status st = RS_OK;
	if (!scores || !uvec || !val || !idx)
		st = rs_fail(err, RS_ENOMEM, "out of memory scoring %zu items", ni);
	if (st == RS_OK)
		st = session_scores(m, s, n, fo, scores, uvec, &has_uvec, err);
	if (st == RS_OK) {
		if (fo->exclude_items)
			for (int r = 0; r < n; r++)
				scores[s[r]] = -INFINITY;
		if (has_uvec) {
			w = rs_exact_topk(m, uvec, scores, (int32_t)ni, k, out);
		} else {
			w = rs_topk(scores, (int32_t)ni, k, idx, val);
			for (int r = 0; r < w; r++)
				out[r] = (rs_reco){idx[r], val[r], RS_SRC_MODEL};
		}
		if (w < 0)
			st = rs_fail(err, RS_ENOMEM, "out of memory ranking %zu items", ni);
		else
			*n_out = w;
	}
	free(scores); free(uvec); free(val); free(idx);
	return st;
}

rs_status rs_recommend_for_items(const rs_model *m, const char *const *items, const size_t *lens,
                                 int n_items, int k, const rs_opt *options, rs_reco *out,
                                 int *n_out, rs_error *err)
{
	fold_opts fo;
	*n_out = 0;
	if (k < 1 || k > RS_MAX_K)
		return rs_fail(err, RS_EINVAL, "k must be between 1 and %d (got %d)", RS_MAX_K, k);
	rs_status st = parse_opts(options, &fo, err);
	if (st != RS_OK)
		return st;
	if (!m || n_items < 0 || (n_items > 0 && (!items || !lens)))
		return rs_fail(err, RS_EINVAL, "model and items must not be NULL");
	int n = 0;
	int32_t *s = session_items(m, items, lens, n_items, &n);
	if (!s)
		return rs_fail(err, RS_ENOMEM, "out of memory reading %d items", n_items);
	if (n == 0)
		*n_out = popular_except(m, s, 0, k, RS_SRC_SESSION_EMPTY, out);
	else if (m->n_parts > 0)
		st = hybrid_session(m, s, n, &fo, k, out, n_out, err);
	else if (m->factors == 0 && !rs_algo_find(m->algo)->score)
		*n_out = popular_except(m, s, fo.exclude_items ? n : 0, k, RS_SRC_POPULAR, out);
	else
		st = model_session(m, s, n, &fo, k, out, n_out, err);
	free(s);
	return st;
}
