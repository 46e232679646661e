/*
 * ease.c - EASE, an item x item linear model in closed form.
 *
 * Steck, "Embarrassingly Shallow Autoencoders for Sparse Data" (WWW 2019):
 *     min_B |X - X B|^2 + lambda |B|^2  subject to diag(B) = 0
 * has the solution
 *     G = X^T X + lambda I,  P = G^-1,  B_ij = -P_ij / P_jj (i != j), B_jj = 0,
 * With "dropout_penalty" w the ridge of item i grows by w (X^T X)_ii: the
 * penalty that training on inputs dropped out with probability w / (1 + w)
 * amounts to (Steck, "Autoencoders that don't overfit towards the Identity",
 * NeurIPS 2020), which shrinks popular items' weights more than plain EASE.
 * and the scores of user u are x_u B. G is built from the sparse rows on the
 * core's threads (its upper triangle only), P by a Cholesky factorization and
 * inverse by blocks (spd.c: LAPACK's dpotrf + dpotri as BLAS calls of bounded
 * size, so a cancel stops it; in double: G's condition number grows with
 * item popularity over lambda) on OpenBLAS's threads, and B is
 * stored as n_items^2 float32 in m->dense. Serving sums the B rows of the
 * user's items (weighted): O(|u| n_items), vectorized.
 *
 * It is quadratic in items: the memory is estimated before anything is
 * allocated and the training refused (RS_ELIMIT) above "max_memory_mb".
 */
#include "internal.h"

#include <cblas.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define TILE 32 /* rows per unit of work when forming B */

/*
 * The default lambda follows the scale of G's diagonal: lambda =
 * regularization_scale x mean(diag X^T X) (for 0/1 data: interactions per
 * item). lambda is a ridge against |x_i|^2, so when the data grow by a factor
 * the same relative shrinkage needs lambda grown by that factor; on the
 * validation splits of MovieLens 100K and 1M (28 and 107 interactions per
 * item) the best lambdas (100-150, 500) were both about 4x that, where one
 * fixed value suits one size only. With the dropout penalty (default 0.5)
 * scale 2 was best (bench/TUNING.md).
 */
static double ease_lambda(const rs_config *cfg, const rs_csr *x)
{
	if (cfg->regularization >= 0)
		return cfg->regularization;
	double sq = 0;
	for (int64_t p = 0; p < rs_csr_nnz(x); p++)
		sq += (double)x->data[p] * x->data[p];
	return cfg->reg_scale * (x->ncols ? sq / x->ncols : 0);
}

/* Bytes the fit needs at its peak: G/P (double), B (float), X^T. */
static double ease_bytes(const rs_csr *x)
{
	double n = (double)x->ncols, nnz = (double)rs_csr_nnz(x);
	return n * n * (sizeof(double) + sizeof(float)) + nnz * 16.0 + (double)x->nrows * 8.0;
}

typedef struct gram_job {
	const rs_csr *x, *xt;
	double *g;        /* n x n, row-major; upper triangle written */
	double lambda, omega; /* ridge: lambda + omega G_ii on the diagonal */
} gram_job;

/* Rows [begin, end) of G's upper triangle: G_ij = sum_u x_ui x_uj, j >= i,
 * plus lambda on the diagonal. */
static void gram_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const gram_job *j = arg;
	size_t n = (size_t)j->x->ncols;
	for (int32_t i = begin; i < end; i++) {
		double *gi = j->g + (size_t)i * n;
		memset(gi + i, 0, (n - (size_t)i) * sizeof *gi);
		for (int64_t p = j->xt->indptr[i]; p < j->xt->indptr[i + 1]; p++) {
			int32_t u = j->xt->indices[p];
			double w = j->xt->data[p];
			const int32_t *lo = j->x->indices + j->x->indptr[u];
			const int32_t *hi = j->x->indices + j->x->indptr[u + 1];
			while (lo < hi) { /* the row is sorted: first index >= i */
				const int32_t *mid = lo + (hi - lo) / 2;
				if (*mid < i) lo = mid + 1; else hi = mid;
			}
			const float *d = j->x->data + (lo - j->x->indices);
			const int32_t *e = j->x->indices + j->x->indptr[u + 1];
			for (; lo < e; lo++, d++)
				gi[*lo] += w * *d;
		}
		gi[i] += j->lambda + j->omega * gi[i];
	}
}

typedef struct b_job {
	const double *p;  /* P = G^-1, upper triangle, row-major */
	const double *inv; /* 1 / P_jj */
	float *b;
	int32_t n;
} b_job;

/* Rows of B in tiles [begin, end): B_ij = -P_ij / P_jj, B_ii = 0; the lower
 * triangle is read from P's upper one tile by tile. */
static void b_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const b_job *j = arg;
	size_t n = (size_t)j->n;
	for (int32_t t = begin; t < end; t++) {
		size_t i0 = (size_t)t * TILE, i1 = i0 + TILE < n ? i0 + TILE : n;
		for (size_t c = 0; c < i1; c++) { /* columns left of the diagonal */
			const double *pc = j->p + c * n;
			double s = -j->inv[c];
			for (size_t i = c + 1 > i0 ? c + 1 : i0; i < i1; i++)
				j->b[i * n + c] = (float)(pc[i] * s);
		}
		for (size_t i = i0; i < i1; i++) {
			const double *pi = j->p + i * n;
			float *bi = j->b + i * n;
			bi[i] = 0;
			for (size_t c = i + 1; c < n; c++)
				bi[c] = (float)(-pi[c] * j->inv[c]);
		}
	}
}

/* P = G^-1 in place (Cholesky by blocks, spd.c: cancellable), on
 * OpenBLAS's threads for this call only. */
static rs_status invert(rs_train_ctx *ctx, double *g, int32_t n, rs_error *err)
{
	int prev = openblas_get_num_threads();
	openblas_set_num_threads(ctx->cfg->threads);
	/* row-major upper = column-major lower: no transposed copy */
	rs_status st = rs_spd_inverse(ctx, g, n, 0, err);
	openblas_set_num_threads(prev);
	if (st == RS_ENOTPD)
		return rs_fail(err, RS_ENOTPD,
		               "the EASE Gram matrix is not positive definite; raise \"regularization\"");
	return st;
}

/* The memory check, then G, P and B into m->dense. */
static rs_status ease_fit(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	const rs_csr *x = &m->seen;
	int32_t n = x->ncols;
	double need = ease_bytes(x) / 1048576.0;
	if (need > cfg->max_memory_mb)
		return rs_fail(err, RS_ELIMIT,
		               "ease needs about %.0f MB for %d items (it grows with the square of "
		               "the item count), over the limit \"max_memory_mb\" = %g; raise the "
		               "limit, or use als or itemknn",
		               need, (int)n, cfg->max_memory_mb);
	rs_status rst = rs_recency_check(cfg, x, err);
	if (rst != RS_OK)
		return rst;
	m->recency = cfg->recency;
	ctx->lambda = ease_lambda(cfg, x);
	gram_job gj = {.x = x, .lambda = ctx->lambda, .omega = cfg->ease_dropout};
	rs_csr xt = {0};
	if (rs_csr_transpose(x, &xt) != RS_OK)
		return rs_fail(err, RS_ENOMEM, "out of memory transposing the interaction matrix");
	gj.xt = &xt;
	gj.g = rs_malloc(rs_mul(rs_mul((size_t)n, (size_t)n), sizeof *gj.g));
	double *inv = rs_malloc(rs_mul((size_t)n, sizeof *inv));
	rs_status st = RS_OK;
	if (!gj.g || !inv)
		st = rs_fail(err, RS_ENOMEM, "out of memory for the %d x %d EASE Gram matrix", n, n);
	if (st == RS_OK)
		st = rs_parallel_for(ctx, n, 8, cfg->threads, gram_range, &gj, err);
	rs_csr_free(&xt);
	if (st == RS_OK && rs_cancelled(ctx))
		st = rs_fail(err, RS_ECANCELLED, "training cancelled");
	if (st == RS_OK) {
		rs_phase(ctx, "ease inverse", "step", 3);
		st = invert(ctx, gj.g, n, err);
	}
	if (st == RS_OK)
		rs_phase(ctx, "ease weights", NULL, 0);
	b_job bj = {.p = gj.g, .inv = inv, .n = n};
	if (st == RS_OK) {
		for (int32_t i = 0; i < n; i++)
			inv[i] = 1.0 / gj.g[(size_t)i * n + i];
		bj.b = rs_malloc(rs_mul(rs_mul((size_t)n, (size_t)n), sizeof *bj.b));
		if (!bj.b)
			st = rs_fail(err, RS_ENOMEM, "out of memory for the %d x %d EASE weights", n, n);
	}
	if (st == RS_OK)
		st = rs_parallel_for(ctx, (n + TILE - 1) / TILE, 1, cfg->threads, b_range, &bj, err);
	free(gj.g);
	free(inv);
	if (st != RS_OK) {
		free(bj.b);
		return st;
	}
	m->dense = bj.b;
	return RS_OK;
}

/* Scores of user u: x_u B, the weighted sum of the B rows of u's items. */
static void ease_score(const rs_model *m, int32_t u, float *scores)
{
	size_t n = m->items.n, padded = ((n + RS_BLK - 1) / RS_BLK) * RS_BLK;
	const float *hw = rs_history_w(m);
	memset(scores, 0, padded * sizeof *scores);
	for (int64_t p = m->seen.indptr[u]; p < m->seen.indptr[u + 1]; p++) {
		const float *b = m->dense + (size_t)m->seen.indices[p] * n;
		float w = hw[p];
		for (size_t j = 0; j < n; j++)
			scores[j] += w * b[j];
	}
}

/* Summary parameters as resolved. */
static void ease_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	rs_text_printf(t, "\"regularization\": %g, \"dropout_penalty\": %g, \"max_memory_mb\": %g, "
	               "\"recency\": %g", ctx->lambda, c->ease_dropout, c->max_memory_mb, c->recency);
}

/* Defaults chosen on validation splits (bench/TUNING.md). regularization
 * < 0 (the default): scaled from the data, see ease_lambda. */
static const rs_opt_spec EASE_OPTIONS[] = {
	{"regularization", RS_T_NUM, offsetof(rs_config, regularization), -1, 0, 1e12, NULL},
	{"regularization_scale", RS_T_NUM, offsetof(rs_config, reg_scale), 2, 0, 1e9, NULL},
	{"dropout_penalty", RS_T_NUM, offsetof(rs_config, ease_dropout), 0.5, 0, 1e6, NULL},
	{"max_memory_mb", RS_T_NUM, offsetof(rs_config, max_memory_mb), 2048, 1, 1e9, NULL},
	{"recency", RS_T_NUM, offsetof(rs_config, recency), 0, 0, 1e9, NULL},
};

const rs_algo_def rs_def_ease = {
	.id = RS_ALGO_EASE,
	.name = "ease",
	.fit = ease_fit,
	.score = ease_score,
	.params = ease_params,
	.options = EASE_OPTIONS,
	.n_options = sizeof EASE_OPTIONS / sizeof EASE_OPTIONS[0],
	.reason = "often chosen with your items",
	.similar_reason = "often chosen together",
	.split = RS_SPLIT_DENSE,
};
