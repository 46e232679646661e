/*
 * svd.c - truncated SVD of the user x item matrix, PureSVD scoring.
 *
 * Cremonesi, Koren, Turrin, "Performance of Recommender Algorithms on Top-N
 * Recommendation Tasks" (RecSys 2010), PureSVD: with X ~ U S V^T (k
 * components), the score of item i for user u is x_u V V^T[:, i]. The model
 * stores item factors V (n_items x k) and user factors x_u V (n_users x k),
 * so serving is the ordinary factor dot product.
 *
 * Option item_scaling = d factors X D^d instead of X, D = diag(|x_i|) the
 * item column norms (Nikolakopoulos, Kalantzis, Gallopoulos, Garofalakis,
 * "EigenRec: generalizing PureSVD for effective and efficient top-N
 * recommendations", KAIS 2019: the scaling component of the item-item
 * proximity matrix); the scores still use the unscaled x_u. d < 0 keeps the
 * most popular items from taking every factor (validation, 32 factors:
 * d = -0.4 gave NDCG@10 +12% on MovieLens 1M, +2% on 100K; bench/TUNING.md).
 *
 * The factorization is the randomized range finder of Halko, Martinsson,
 * Tropp, "Finding Structure with Randomness" (SIAM Review 2011), algorithms
 * 4.4 and 5.1: with l = k + oversampling columns,
 *     Q = orth(X Omega),  Omega Gaussian (n_items x l),
 *     q times: Q = orth(X orth(X^T Q))        (subspace iteration),
 *     Z = X^T Q = W S Vz^T  (thin SVD of an n_items x l matrix),
 * so X ~ Q Q^T X = Q Vz S W^T and V = W[:, :k]. orth() is Householder QR
 * (LAPACK sgeqrf + sorgqr), the small SVD is sgesdd. The sparse x dense
 * products are hand-written over X's CSR rows (X^T D scatters into one
 * accumulator per thread: no transposed copy) and run on the core's
 * threads; the dense steps are a few MB and stay on one BLAS thread.
 */
#include "internal.h"

#include <lapacke.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct spmm_job {
	const rs_csr *a;   /* sparse rows */
	const float *d;    /* dense, row-major: a->ncols x l (gather) or a->nrows x l (scatter) */
	float *out;        /* a->nrows x l (gather) or a->ncols x l (scatter) */
	float *acc;        /* scatter: (parts - 1) more a->ncols x l accumulators */
	int32_t parts;
	int l;
} spmm_job;

/* out = a d for rows [begin, end): out[r] = sum_k a_rk d[k]. */
static void gather_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const spmm_job *j = arg;
	size_t l = (size_t)j->l;
	for (int32_t r = begin; r < end; r++) {
		float *o = j->out + (size_t)r * l;
		memset(o, 0, l * sizeof *o);
		for (int64_t p = j->a->indptr[r]; p < j->a->indptr[r + 1]; p++) {
			const float *dr = j->d + (size_t)j->a->indices[p] * l;
			float w = j->a->data[p];
			for (size_t c = 0; c < l; c++)
				o[c] += w * dr[c];
		}
	}
}

/* out = a d, parallel over a's rows. */
static rs_status gather(rs_train_ctx *ctx, const rs_csr *a, const float *d, int l, float *out,
                        rs_error *err)
{
	spmm_job j = {.a = a, .d = d, .out = out, .l = l};
	return rs_parallel_for(ctx, a->nrows, 64, ctx->cfg->threads, gather_range, &j, err);
}

/* First row of part p when a's rows are cut into parts of equal nonzeros. */
static int32_t part_row(const rs_csr *a, int32_t p, int32_t parts)
{
	int64_t want = (int64_t)((double)rs_csr_nnz(a) * p / parts);
	int32_t lo = 0, hi = a->nrows;
	while (lo < hi) {
		int32_t mid = lo + (hi - lo) / 2;
		if (a->indptr[mid] < want) lo = mid + 1; else hi = mid;
	}
	return p == parts ? a->nrows : lo;
}

/* Parts [begin, end) of a^T d: each part scatters its rows' contributions
 * into its own accumulator (part 0 into out). */
static void scatter_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const spmm_job *j = arg;
	size_t l = (size_t)j->l, nc = (size_t)j->a->ncols;
	for (int32_t part = begin; part < end; part++) {
		float *o = part == 0 ? j->out : j->acc + (size_t)(part - 1) * nc * l;
		memset(o, 0, nc * l * sizeof *o);
		for (int32_t r = part_row(j->a, part, j->parts); r < part_row(j->a, part + 1, j->parts); r++) {
			const float *dr = j->d + (size_t)r * l;
			for (int64_t p = j->a->indptr[r]; p < j->a->indptr[r + 1]; p++) {
				float *dst = o + (size_t)j->a->indices[p] * l, w = j->a->data[p];
				for (size_t c = 0; c < l; c++)
					dst[c] += w * dr[c];
			}
		}
	}
}

/* Rows [begin, end) of out += the other parts' accumulators, in part order. */
static void reduce_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const spmm_job *j = arg;
	size_t l = (size_t)j->l, nc = (size_t)j->a->ncols;
	for (int32_t part = 1; part < j->parts; part++) {
		const float *a = j->acc + (size_t)(part - 1) * nc * l;
		for (size_t k = (size_t)begin * l; k < (size_t)end * l; k++)
			j->out[k] += a[k];
	}
}

/* out = a^T d without a transposed copy of a: the rows are cut into parts
 * (fixed for a thread count, so the sums are reproducible), each scattered
 * into its own accumulator, then the accumulators added in order. */
static rs_status scatter(rs_train_ctx *ctx, const rs_csr *a, const float *d, int l, float *out,
                         float *acc, int32_t parts, rs_error *err)
{
	spmm_job j = {.a = a, .d = d, .out = out, .acc = acc, .parts = parts, .l = l};
	rs_status st = rs_parallel_for(ctx, parts, 1, ctx->cfg->threads, scatter_range, &j, err);
	if (st == RS_OK && parts > 1)
		st = rs_parallel_for(ctx, a->ncols, 256, ctx->cfg->threads, reduce_range, &j, err);
	return st;
}

/* Replace the n x l (n >= l) row-major m by an orthonormal basis of its
 * columns (Householder QR, Q kept). */
static rs_status orthonormalize(float *m, int32_t n, int l, float *tau, rs_error *err)
{
	lapack_int info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, n, l, m, l, tau);
	if (info == 0)
		info = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, n, l, l, m, l, tau);
	if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
		return rs_fail(err, RS_ENOMEM, "out of memory in the SVD's QR step");
	if (info != 0)
		return rs_fail(err, RS_EDATA, "the SVD's QR step failed (LAPACK info %d)", (int)info);
	return RS_OK;
}

/* Standard normal test matrix, n_items x l; row i is drawn from the item
 * id's hash and the seed, so the result does not depend on row order. */
static void gaussian_rows(float *om, const rs_idmap *items, int l, uint64_t seed)
{
	for (size_t i = 0; i < items->n; i++) {
		size_t len;
		const char *id = rs_idmap_get(items, (int32_t)i, &len);
		uint64_t s = rs_hash_bytes(id, len) ^ (seed * 0x9E3779B97F4A7C15ULL);
		for (int c = 0; c < l; c += 2) { /* Box-Muller: two normals per draw */
			double u1 = 1.0 - rs_rand_unit(&s), u2 = rs_rand_unit(&s);
			double r = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
			om[i * (size_t)l + (size_t)c] = (float)(r * cos(th));
			if (c + 1 < l)
				om[i * (size_t)l + (size_t)c + 1] = (float)(r * sin(th));
		}
	}
}

typedef struct svd_work {
	float *z;          /* n_items x l */
	float *y;          /* n_users x l */
	float *tau;        /* l */
	float *acc;        /* (parts - 1) x n_items x l, for X^T products */
	int32_t parts;
} svd_work;

static void work_free(svd_work *w)
{
	free(w->z);
	free(w->y);
	free(w->tau);
	free(w->acc);
}

/* Subspace iteration: y ends as an orthonormal basis Q of X's range
 * (n_users x l), z as X^T Q (n_items x l). */
static rs_status range_finder(rs_train_ctx *ctx, const rs_csr *x, svd_work *w, int l,
                              int power, rs_error *err)
{
	rs_status st = gather(ctx, x, w->z, l, w->y, err); /* Y = X Omega */
	if (st == RS_OK)
		st = orthonormalize(w->y, x->nrows, l, w->tau, err);
	for (int it = 0; st == RS_OK && it < power; it++) {
		st = scatter(ctx, x, w->y, l, w->z, w->acc, w->parts, err);
		if (st == RS_OK)
			st = orthonormalize(w->z, x->ncols, l, w->tau, err);
		if (st == RS_OK)
			st = gather(ctx, x, w->z, l, w->y, err);
		if (st == RS_OK)
			st = orthonormalize(w->y, x->nrows, l, w->tau, err);
		if (st == RS_OK && rs_cancelled(ctx))
			st = rs_fail(err, RS_ECANCELLED, "training cancelled");
	}
	if (st == RS_OK)
		st = scatter(ctx, x, w->y, l, w->z, w->acc, w->parts, err); /* Z = X^T Q */
	return st;
}

/* Thin SVD of z (n x l): the first k left singular vectors into v (n x k). */
static rs_status top_vectors(float *z, int32_t n, int l, int k, float *v, rs_error *err)
{
	float *s = rs_malloc(rs_mul((size_t)l, sizeof *s));
	float *u = rs_malloc(rs_mul(rs_mul((size_t)n, (size_t)l), sizeof *u));
	float *vt = rs_malloc(rs_mul((size_t)l * l, sizeof *vt));
	rs_status st = RS_OK;
	if (!s || !u || !vt)
		st = rs_fail(err, RS_ENOMEM, "out of memory in the SVD");
	lapack_int info = 0;
	if (st == RS_OK)
		info = LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'S', n, l, z, l, s, u, l, vt, l);
	if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
		st = rs_fail(err, RS_ENOMEM, "out of memory in the SVD");
	else if (info != 0)
		st = rs_fail(err, RS_EDATA, "the SVD step failed (LAPACK info %d)", (int)info);
	for (int32_t i = 0; st == RS_OK && i < n; i++)
		memcpy(v + (size_t)i * k, u + (size_t)i * l, (size_t)k * sizeof *v);
	free(s);
	free(u);
	free(vt);
	return st;
}

/* X with column i scaled by |x_i|^d (EigenRec's scaling, see the top of
 * the file): the factorization then sees popular items weighted by d.
 * The copy shares X's structure; only data is new (caller frees it). */
static float *scaled_data(const rs_csr *x, double d)
{
	int64_t nnz = rs_csr_nnz(x);
	double *norm = rs_calloc((size_t)x->ncols, sizeof *norm);
	float *data = rs_malloc(rs_mul((size_t)nnz, sizeof *data));
	if (!norm || !data) {
		free(norm);
		free(data);
		return NULL;
	}
	for (int64_t p = 0; p < nnz; p++)
		norm[x->indices[p]] += (double)x->data[p] * x->data[p];
	for (int32_t i = 0; i < x->ncols; i++)
		norm[i] = norm[i] > 0 ? pow(norm[i], 0.5 * d) : 0;
	for (int64_t p = 0; p < nnz; p++)
		data[p] = (float)(x->data[p] * norm[x->indices[p]]);
	free(norm);
	return data;
}

/* Factor count the data allows: k <= min(users, items). */
static int svd_rank(const rs_config *cfg, const rs_csr *x)
{
	int32_t lim = x->nrows < x->ncols ? x->nrows : x->ncols;
	return cfg->factors < lim ? cfg->factors : (int)lim;
}

/* Fit: V into item_f, X V into user_f. */
static rs_status svd_fit(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	const rs_csr *x = &m->seen;
	int k = svd_rank(cfg, x);
	int32_t lim = x->nrows < x->ncols ? x->nrows : x->ncols;
	int l = k + cfg->oversampling > lim ? (int)lim : k + cfg->oversampling;
	ctx->factors = k;
	/* one X^T accumulator per thread, at most 16 (their sum is the cost) */
	svd_work w = {.parts = cfg->threads < 16 ? cfg->threads : 16};
	w.acc = w.parts > 1 ? rs_malloc(rs_mul(rs_mul((size_t)w.parts - 1, (size_t)x->ncols),
	                                       rs_mul((size_t)l, sizeof *w.acc)))
	                    : NULL;
	w.z = rs_malloc(rs_mul(rs_mul((size_t)x->ncols, (size_t)l), sizeof *w.z));
	w.y = rs_malloc(rs_mul(rs_mul((size_t)x->nrows, (size_t)l), sizeof *w.y));
	w.tau = rs_malloc(rs_mul((size_t)l, sizeof *w.tau));
	float *v = rs_malloc(rs_mul(rs_mul((size_t)x->ncols, (size_t)k), sizeof *v));
	float *uf = rs_malloc(rs_mul(rs_mul((size_t)x->nrows, (size_t)k), sizeof *uf));
	rs_status st = RS_OK;
	if (!w.z || !w.y || !w.tau || !v || !uf || (w.parts > 1 && !w.acc))
		st = rs_fail(err, RS_ENOMEM, "out of memory for %d x %d SVD factors",
		             x->nrows + x->ncols, l);
	if (st == RS_OK) {
		gaussian_rows(w.z, &m->items, l, cfg->seed);
		rs_csr xs = *x; /* X, or its column-scaled copy */
		if (cfg->item_scaling != 0 && !(xs.data = scaled_data(x, cfg->item_scaling)))
			st = rs_fail(err, RS_ENOMEM, "out of memory scaling the interaction matrix");
		if (st == RS_OK)
			st = range_finder(ctx, &xs, &w, l, cfg->power_iters, err);
		if (xs.data != x->data)
			free(xs.data);
	}
	if (st == RS_OK)
		st = top_vectors(w.z, x->ncols, l, k, v, err);
	if (st == RS_OK)
		st = gather(ctx, x, v, k, uf, err); /* user factors x_u V */
	work_free(&w);
	if (st != RS_OK) {
		free(v);
		free(uf);
		return st;
	}
	m->factors = k;
	m->item_f = v;
	m->user_f = uf;
	return RS_OK;
}

/* Summary parameters as resolved (factors clamped to the data). */
static void svd_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	rs_text_printf(t, "\"factors\": %d, \"oversampling\": %d, \"power_iterations\": %d, "
	               "\"seed\": %llu",
	               ctx->factors, c->oversampling, c->power_iters, (unsigned long long)c->seed);
}

/* Defaults chosen on validation splits (bench/TUNING.md). */
static const rs_opt_spec SVD_OPTIONS[] = {
	{"factors", RS_T_INT, offsetof(rs_config, factors), 32, 1, 1024, NULL},
	{"oversampling", RS_T_INT, offsetof(rs_config, oversampling), 10, 0, 1000, NULL},
	{"power_iterations", RS_T_INT, offsetof(rs_config, power_iters), 4, 0, 100, NULL},
	{"item_scaling", RS_T_NUM, offsetof(rs_config, item_scaling), -0.4, -2, 2, NULL},
};

const rs_algo_def rs_def_svd = {
	.id = RS_ALGO_SVD,
	.name = "svd",
	.fit = svd_fit,
	.params = svd_params,
	.options = SVD_OPTIONS,
	.n_options = sizeof SVD_OPTIONS / sizeof SVD_OPTIONS[0],
};
