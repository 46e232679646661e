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
 * by blocks (qr.c: LAPACK's sgeqrf + sorgqr as calls of bounded size, so a
 * cancel stops it), and the thin SVD of Z is that QR, sgesdd of the l x l
 * R, and a gemm, as sgesdd itself does it for a tall matrix. The sparse x
 * dense products are hand-written over X's CSR rows (X^T D scatters into one
 * accumulator per thread: no transposed copy) and run on the core's
 * threads; the dense steps run on OpenBLAS's threads, one call at a time.
 * Every step polls the cancel callback at least every few tenths of a
 * second on 200,000 x 50,000 interactions with 256 factors; the one call
 * that does not is sgesdd on l x l (0.3 s for l = 1,034, 2.4 s for the
 * largest l the options allow, 2,024).
 */
#include "internal.h"

#include <cblas.h>
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
	int32_t slice, slices; /* scatter: this round's slice of every part */
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

/* First row of slice s of the rows [lo, hi) cut into `slices` of equal
 * nonzeros. */
static int32_t slice_row(const rs_csr *a, int32_t lo, int32_t hi, int32_t s, int32_t slices)
{
	if (s >= slices)
		return hi;
	int64_t want = a->indptr[lo] +
	               (int64_t)((double)(a->indptr[hi] - a->indptr[lo]) * s / slices);
	while (lo < hi) {
		int32_t mid = lo + (hi - lo) / 2;
		if (a->indptr[mid] < want) lo = mid + 1; else hi = mid;
	}
	return lo;
}

/* Parts [begin, end) of a^T d, this round's slice of each: each part
 * scatters its rows' contributions into its own accumulator (part 0 into
 * out), zeroed in the first round. */
static void scatter_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const spmm_job *j = arg;
	size_t l = (size_t)j->l, nc = (size_t)j->a->ncols;
	for (int32_t part = begin; part < end; part++) {
		float *o = part == 0 ? j->out : j->acc + (size_t)(part - 1) * nc * l;
		if (j->slice == 0)
			memset(o, 0, nc * l * sizeof *o);
		int32_t lo = part_row(j->a, part, j->parts), hi = part_row(j->a, part + 1, j->parts);
		int32_t r1 = slice_row(j->a, lo, hi, j->slice + 1, j->slices);
		for (int32_t r = slice_row(j->a, lo, hi, j->slice, j->slices); r < r1; r++) {
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
 * into its own accumulator, then the accumulators added in order. The
 * parts advance together by slices of about 2^25 multiply-adds each, the
 * cancel callback polled between slices. */
static rs_status scatter(rs_train_ctx *ctx, const rs_csr *a, const float *d, int l, float *out,
                         float *acc, int32_t parts, rs_error *err)
{
	double work = (double)rs_csr_nnz(a) * l / parts;
	spmm_job j = {.a = a, .d = d, .out = out, .acc = acc, .parts = parts, .l = l,
	              .slices = (int32_t)(work / (1 << 25)) + 1};
	rs_status st = RS_OK;
	for (j.slice = 0; st == RS_OK && j.slice < j.slices; j.slice++)
		st = rs_parallel_for(ctx, parts, 1, ctx->cfg->threads, scatter_range, &j, err);
	if (st == RS_OK && parts > 1)
		st = rs_parallel_for(ctx, a->ncols, 256, ctx->cfg->threads, reduce_range, &j, err);
	return st;
}

/* Standard normal test matrix, n_items x l; row i is drawn from the item
 * id's hash and the seed, so the result does not depend on row order. */
static rs_status gaussian_rows(rs_train_ctx *ctx, float *om, const rs_idmap *items, int l,
                               uint64_t seed, rs_error *err)
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
		if (i % 4096 == 4095 && rs_cancelled(ctx))
			return rs_fail(err, RS_ECANCELLED, "training cancelled");
	}
	return RS_OK;
}

typedef struct svd_work {
	float *z;          /* n_items x l */
	float *y;          /* n_users x l */
	float *acc;        /* (parts - 1) x n_items x l, for X^T products */
	int32_t parts;
} svd_work;

static void work_free(svd_work *w)
{
	free(w->z);
	free(w->y);
	free(w->acc);
}

/* rs_orthonormal_basis (qr.c) on OpenBLAS's threads for this call only
 * (the sparse products run on the core's). */
static rs_status orthonormalize(rs_train_ctx *ctx, float *m, int32_t n, int l, float *r,
                                rs_error *err)
{
	int prev = openblas_get_num_threads();
	openblas_set_num_threads(ctx->cfg->threads);
	rs_status st = rs_orthonormal_basis(ctx, m, n, l, r, err);
	openblas_set_num_threads(prev);
	return st;
}

/* Subspace iteration: y ends as an orthonormal basis Q of X's range
 * (n_users x l), z as X^T Q (n_items x l). */
static rs_status range_finder(rs_train_ctx *ctx, const rs_csr *x, svd_work *w, int l,
                              int power, rs_error *err)
{
	rs_status st = gather(ctx, x, w->z, l, w->y, err); /* Y = X Omega */
	if (st == RS_OK)
		st = orthonormalize(ctx, w->y, x->nrows, l, NULL, err);
	rs_report_count(ctx->rep, "power iteration", power);
	for (int it = 0; st == RS_OK && it < power; it++) {
		rs_step(ctx, it + 1);
		st = scatter(ctx, x, w->y, l, w->z, w->acc, w->parts, err);
		if (st == RS_OK)
			st = orthonormalize(ctx, w->z, x->ncols, l, NULL, err);
		if (st == RS_OK)
			st = gather(ctx, x, w->z, l, w->y, err);
		if (st == RS_OK)
			st = orthonormalize(ctx, w->y, x->nrows, l, NULL, err);
	}
	if (st == RS_OK)
		st = scatter(ctx, x, w->y, l, w->z, w->acc, w->parts, err); /* Z = X^T Q */
	return st;
}

/* The first k left singular vectors of z (n x l, n >= l) into v (n x k),
 * as LAPACK's sgesdd finds them for a tall matrix, but by steps that poll:
 * z = Q R (qr.c), R = U S W^T (sgesdd on l x l: one call, 0.01 s for
 * l = 266, 0.3 s for 1,034), v = Q U[:, :k] (gemm by chunks of rows). z is
 * overwritten. */
static rs_status top_vectors(rs_train_ctx *ctx, float *z, int32_t n, int l, int k, float *v,
                             rs_error *err)
{
	size_t ll = rs_mul((size_t)l, (size_t)l);
	float *r = rs_malloc(rs_mul(ll, sizeof *r));
	float *s = rs_malloc(rs_mul((size_t)l, sizeof *s));
	float *u = rs_malloc(rs_mul(ll, sizeof *u));
	float *wt = rs_malloc(rs_mul(ll, sizeof *wt));
	rs_status st = RS_OK;
	if (!r || !s || !u || !wt)
		st = rs_fail(err, RS_ENOMEM, "out of memory in the SVD");
	if (st == RS_OK)
		st = orthonormalize(ctx, z, n, l, r, err);
	int prev = openblas_get_num_threads();
	openblas_set_num_threads(ctx->cfg->threads);
	lapack_int info = 0;
	if (st == RS_OK)
		info = LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'S', l, l, r, l, s, u, l, wt, l);
	if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
		st = rs_fail(err, RS_ENOMEM, "out of memory in the SVD");
	else if (info != 0)
		st = rs_fail(err, RS_EDATA, "the SVD step failed (LAPACK info %d)", (int)info);
	int32_t rows = (int32_t)(2e9 / (2.0 * l * k)) + 1; /* rows per gemm: 2e9 flops */
	for (int32_t i = 0; st == RS_OK && i < n; i += rows) {
		int32_t m = n - i < rows ? n - i : rows;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, l, 1.0f, z + (size_t)i * l, l,
		            u, l, 0.0f, v + (size_t)i * k, k);
		if (rs_cancelled(ctx))
			st = rs_fail(err, RS_ECANCELLED, "training cancelled");
	}
	openblas_set_num_threads(prev);
	free(r);
	free(s);
	free(u);
	free(wt);
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
	float *v = rs_malloc(rs_mul(rs_mul((size_t)x->ncols, (size_t)k), sizeof *v));
	float *uf = rs_malloc(rs_mul(rs_mul((size_t)x->nrows, (size_t)k), sizeof *uf));
	rs_status st = RS_OK;
	if (!w.z || !w.y || !v || !uf || (w.parts > 1 && !w.acc))
		st = rs_fail(err, RS_ENOMEM, "out of memory for %d x %d SVD factors",
		             x->nrows + x->ncols, l);
	if (st == RS_OK)
		st = gaussian_rows(ctx, w.z, &m->items, l, cfg->seed, err);
	if (st == RS_OK) {
		rs_csr xs = *x; /* X, or its column-scaled copy */
		if (cfg->item_scaling != 0 && !(xs.data = scaled_data(x, cfg->item_scaling)))
			st = rs_fail(err, RS_ENOMEM, "out of memory scaling the interaction matrix");
		if (st == RS_OK)
			st = range_finder(ctx, &xs, &w, l, cfg->power_iters, err);
		if (xs.data != x->data)
			free(xs.data);
	}
	if (st == RS_OK) {
		rs_phase(ctx, "svd vectors", NULL, 0);
		st = top_vectors(ctx, w.z, x->ncols, l, k, v, err);
	}
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
