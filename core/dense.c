/*
 * dense.c - the dense-network trainer of dense.h: affine layers as
 * cblas_sgemm calls, sparse (CSR) input as an embedding bag, activations,
 * dropout, softmax cross-entropy, row L2 normalisation and Adam.
 *
 * Determinism: every per-row, per-column or per-tile loop that runs on threads gives
 * each output element to exactly one chunk and sums in a fixed order (rows
 * in order, then items in order), so the bits do not depend on the split.
 * The sparse backward pass, whose rows scatter into shared W rows, is split
 * by blocks of output columns instead of by rows for that reason.
 */
#include "internal.h"
#include "dense.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COL_BLOCK 64     /* output columns per chunk of the sparse backward pass */
#define ROW_CHUNK 16     /* rows per chunk of row-parallel loops */
#define ADAM_CHUNK 16384 /* parameters per chunk of the Adam step */
/* GEMM tiles of the output: OpenBLAS's own threads do not give the same bits
 * for every thread count, one single-threaded call per tile of a fixed shape
 * does. */
#define TILE_M 64
#define TILE_N 256
#define GEMM_ALONE 2e7   /* multiply-adds under which a GEMM stays on the calling thread */

double rs_dense_layer_bytes(int32_t in, int32_t out)
{
	/* w, gw, mw, vw and the four bias vectors */
	return 4.0 * sizeof(float) * ((double)in * out + out);
}

void rs_dense_layer_free(rs_dense_layer *l)
{
	free(l->w); free(l->b); free(l->gw); free(l->gb);
	free(l->mw); free(l->vw); free(l->mb); free(l->vb);
	memset(l, 0, sizeof *l);
}

rs_status rs_dense_layer_init(rs_dense_layer *l, int32_t in, int32_t out, uint64_t seed,
                              rs_error *err)
{
	memset(l, 0, sizeof *l);
	if (in < 1 || out < 1)
		return rs_fail(err, RS_EINVAL, "a dense layer needs at least one input and one output");
	size_t nw = rs_mul((size_t)in, (size_t)out), bw = rs_mul(nw, sizeof(float));
	l->in = in;
	l->out = out;
	l->w = rs_malloc(bw);
	l->gw = rs_calloc(nw, sizeof(float));
	l->mw = rs_calloc(nw, sizeof(float));
	l->vw = rs_calloc(nw, sizeof(float));
	l->b = rs_calloc((size_t)out, sizeof(float));
	l->gb = rs_calloc((size_t)out, sizeof(float));
	l->mb = rs_calloc((size_t)out, sizeof(float));
	l->vb = rs_calloc((size_t)out, sizeof(float));
	if (!l->w || !l->gw || !l->mw || !l->vw || !l->b || !l->gb || !l->mb || !l->vb) {
		rs_dense_layer_free(l);
		return rs_fail(err, RS_ENOMEM, "out of memory for a %d x %d dense layer", (int)in,
		               (int)out);
	}
	/* Glorot uniform: U(-a, a), a = sqrt(6 / (in + out)) */
	double a = sqrt(6.0 / ((double)in + out));
	uint64_t s = seed;
	for (size_t k = 0; k < nw; k++)
		l->w[k] = (float)((2.0 * rs_rand_unit(&s) - 1.0) * a);
	return RS_OK;
}

void rs_dense_zero_grad(rs_dense_layer *l)
{
	memset(l->gw, 0, (size_t)l->in * l->out * sizeof *l->gw);
	memset(l->gb, 0, (size_t)l->out * sizeof *l->gb);
}

/* gb += column sums of dy (n x out), rows in order. */
static void add_colsums(float *gb, const float *dy, int32_t n, int32_t out, int32_t c0, int32_t c1)
{
	for (int32_t r = 0; r < n; r++) {
		const float *d = dy + (size_t)r * out;
		for (int32_t c = c0; c < c1; c++)
			gb[c] += d[c];
	}
}

typedef struct gemm_job {
	int ta, tb;          /* A, B transposed */
	int32_t m, n, k;     /* C is m x n; the sum runs over k */
	const float *a, *b;
	int32_t lda, ldb, ldc;
	float beta;
	float *c;
	int32_t tiles_n;     /* tiles per row of tiles */
	int32_t tiles;       /* in all */
} gemm_job;

/* C = op(A) op(B) + beta C as tiles of C of a fixed shape. */
static gemm_job gemm_plan(int ta, int tb, int32_t m, int32_t n, int32_t k, const float *a,
                          int32_t lda, const float *b, int32_t ldb, float beta, float *c,
                          int32_t ldc)
{
	gemm_job j = {.ta = ta, .tb = tb, .m = m, .n = n, .k = k, .a = a, .b = b, .lda = lda,
	              .ldb = ldb, .ldc = ldc, .beta = beta, .c = c,
	              .tiles_n = (n + TILE_N - 1) / TILE_N};
	j.tiles = m < 1 || n < 1 ? 0 : ((m + TILE_M - 1) / TILE_M) * j.tiles_n;
	return j;
}

/* Tile t of C: one single-threaded sgemm. */
static void gemm_tile(const gemm_job *j, int32_t t)
{
	int32_t i0 = (t / j->tiles_n) * TILE_M, j0 = (t % j->tiles_n) * TILE_N;
	int32_t mm = j->m - i0 < TILE_M ? j->m - i0 : TILE_M;
	int32_t nn = j->n - j0 < TILE_N ? j->n - j0 : TILE_N;
	const float *a = j->ta ? j->a + i0 : j->a + (size_t)i0 * j->lda;
	const float *b = j->tb ? j->b + (size_t)j0 * j->ldb : j->b + j0;
	cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans,
	            j->tb ? CblasTrans : CblasNoTrans, mm, nn, j->k, 1.0f, a, j->lda, b, j->ldb,
	            j->beta, j->c + (size_t)i0 * j->ldc + j0, j->ldc);
}

/* Up to two products in one parallel pass (one start / join of the threads):
 * tiles of the first, then of the second. */
typedef struct gemm_pair {
	gemm_job g[2];
} gemm_pair;

static void gemm_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const gemm_pair *p = arg;
	for (int32_t t = begin; t < end; t++)
		t < p->g[0].tiles ? gemm_tile(&p->g[0], t) : gemm_tile(&p->g[1], t - p->g[0].tiles);
}

static double gemm_work(const gemm_job *j)
{
	return j->tiles > 0 ? (double)j->m * j->n * j->k : 0;
}

/* Both products (p->g[1].tiles may be 0) by tiles on the core's threads. */
static rs_status gemm_run(rs_train_ctx *ctx, gemm_pair *p, rs_error *err)
{
	int32_t tiles = p->g[0].tiles + p->g[1].tiles;
	if (tiles < 1)
		return RS_OK;
	/* a small product costs less than waking threads (on a loaded machine far
	 * less); the tiles are the same either way, so are the bits */
	int threads = gemm_work(&p->g[0]) + gemm_work(&p->g[1]) < GEMM_ALONE ? 1 : ctx->cfg->threads;
	return rs_parallel_for(ctx, tiles, 1, threads, gemm_range, p, err);
}

rs_status rs_dense_forward(rs_train_ctx *ctx, const rs_dense_layer *l, const float *x, int32_t n,
                           float *y, rs_error *err)
{
	for (int32_t r = 0; r < n; r++)
		memcpy(y + (size_t)r * l->out, l->b, (size_t)l->out * sizeof *y);
	gemm_pair p = {{gemm_plan(0, 0, n, l->out, l->in, x, l->in, l->w, l->out, 1.0f, y, l->out)}};
	return gemm_run(ctx, &p, err);
}

rs_status rs_dense_backward(rs_train_ctx *ctx, rs_dense_layer *l, const float *x,
                            const float *dy, int32_t n, float *dx, rs_error *err)
{
	if (n < 1)
		return RS_OK;
	/* gW and dx in one pass: they read dy and W, write different arrays */
	gemm_pair p = {{gemm_plan(1, 0, l->in, l->out, n, x, l->in, dy, l->out, 1.0f, l->gw, l->out)}};
	if (dx)
		p.g[1] = gemm_plan(0, 1, n, l->in, l->out, dy, l->out, l->w, l->out, 0.0f, dx, l->in);
	rs_status st = gemm_run(ctx, &p, err);
	if (st == RS_OK)
		add_colsums(l->gb, dy, n, l->out, 0, l->out);
	return st;
}

typedef struct sparse_job {
	const rs_dense_layer *l;
	rs_dense_layer *lw;   /* backward: the layer written */
	const rs_dense_sparse *x;
	const float *dy;
	float *y;
} sparse_job;

static void sparse_fwd_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const sparse_job *j = arg;
	int32_t out = j->l->out;
	for (int32_t r = begin; r < end; r++) {
		float *y = j->y + (size_t)r * out;
		memcpy(y, j->l->b, (size_t)out * sizeof *y);
		for (int64_t p = j->x->indptr[r]; p < j->x->indptr[r + 1]; p++) {
			const float *w = j->l->w + (size_t)j->x->indices[p] * out;
			float v = j->x->values ? j->x->values[p] : 1.0f;
			for (int32_t c = 0; c < out; c++)
				y[c] += v * w[c];
		}
	}
}

rs_status rs_dense_sparse_forward(rs_train_ctx *ctx, const rs_dense_layer *l,
                                  const rs_dense_sparse *x, float *y, rs_error *err)
{
	sparse_job j = {.l = l, .x = x, .y = y};
	return rs_parallel_for(ctx, x->rows, ROW_CHUNK, ctx->cfg->threads, sparse_fwd_range, &j, err);
}

/* Column blocks [begin, end) of W: every row's scatter, rows in order. */
static void sparse_bwd_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const sparse_job *j = arg;
	rs_dense_layer *l = j->lw;
	int32_t out = l->out;
	int32_t c0 = begin * COL_BLOCK, c1 = end * COL_BLOCK < out ? end * COL_BLOCK : out;
	for (int32_t r = 0; r < j->x->rows; r++) {
		const float *d = j->dy + (size_t)r * out;
		for (int64_t p = j->x->indptr[r]; p < j->x->indptr[r + 1]; p++) {
			float *g = l->gw + (size_t)j->x->indices[p] * out;
			float v = j->x->values ? j->x->values[p] : 1.0f;
			for (int32_t c = c0; c < c1; c++)
				g[c] += v * d[c];
		}
	}
	add_colsums(l->gb, j->dy, j->x->rows, out, c0, c1);
}

rs_status rs_dense_sparse_backward(rs_train_ctx *ctx, rs_dense_layer *l,
                                   const rs_dense_sparse *x, const float *dy, rs_error *err)
{
	sparse_job j = {.l = l, .lw = l, .x = x, .dy = dy};
	int32_t blocks = (l->out + COL_BLOCK - 1) / COL_BLOCK;
	return rs_parallel_for(ctx, blocks, 1, ctx->cfg->threads, sparse_bwd_range, &j, err);
}

/* Four floats in one vector register (GCC / Clang vector extension): the
 * softmax's max and sum run in fixed lanes, the same order for any split. */
typedef float rs_v4 __attribute__((vector_size(16)));
typedef int32_t rs_v4i __attribute__((vector_size(16)));

static inline rs_v4 v4_load(const float *p)
{
	rs_v4 v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* exp(x) for x <= 0, four at a time (libm's expf is a call per value):
 * x = n ln2 + r, |r| <= ln2 / 2, e^r by its degree-6 Taylor polynomial
 * (relative error about 2e-7), times 2^n set in the exponent bits; x under
 * -87 counts as -87 (e^-87 ~ 1.6e-38). */
static inline rs_v4 exp_neg4(rs_v4 x)
{
	const rs_v4 lo = {-87.0f, -87.0f, -87.0f, -87.0f};
	rs_v4i under = x < lo;
	x = (rs_v4)(((rs_v4i)lo & under) | ((rs_v4i)x & ~under));
	/* round to nearest by the 1.5 x 2^23 trick (no SSE4.1 rounding needed) */
	rs_v4 n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
	rs_v4 r = x - n * 0.693359375f + n * 2.12194440e-4f; /* ln2 in two parts */
	rs_v4 p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f +
	          r * (0.00833333377f + r * 0.00138888892f)))));
	return (rs_v4)((rs_v4i)p + __builtin_convertvector(n, rs_v4i) * (1 << 23));
}

/* y[c] = exp(x[c] - m) for x[c] <= m, c < k (x may be y). */
static void exp_shifted(const float *x, float *y, int32_t k, float m)
{
	int32_t c = 0;
	for (; c + 4 <= k; c += 4) {
		rs_v4 v = exp_neg4(v4_load(x + c) - m);
		memcpy(y + c, &v, sizeof v);
	}
	if (c < k) { /* the tail through a padded vector */
		float t[4] = {0, 0, 0, 0};
		memcpy(t, x + c, (size_t)(k - c) * sizeof *t);
		rs_v4 v = exp_neg4(v4_load(t) - m);
		memcpy(y + c, &v, (size_t)(k - c) * sizeof *y);
	}
}

void rs_dense_act_forward(rs_dense_act a, float *y, size_t count)
{
	if (a == RS_ACT_TANH)
		for (size_t k0 = 0; k0 < count; k0 += 256) { /* tanh |y| = (1 - e) / (1 + e), e = exp(-2 |y|) */
			float e[256];
			int32_t n = count - k0 < 256 ? (int32_t)(count - k0) : 256;
			for (int32_t k = 0; k < n; k++)
				e[k] = -2.0f * __builtin_fabsf(y[k0 + k]);
			exp_shifted(e, e, n, 0.0f);
			for (int32_t k = 0; k < n; k++) {
				float t = (1.0f - e[k]) / (1.0f + e[k]);
				y[k0 + k] = y[k0 + k] < 0 ? -t : t;
			}
		}
	else if (a == RS_ACT_RELU)
		for (size_t k = 0; k < count; k++)
			y[k] = y[k] > 0 ? y[k] : 0;
}

void rs_dense_act_backward(rs_dense_act a, const float *y, float *dy, size_t count)
{
	if (a == RS_ACT_TANH)
		for (size_t k = 0; k < count; k++)
			dy[k] *= 1.0f - y[k] * y[k];
	else if (a == RS_ACT_RELU)
		for (size_t k = 0; k < count; k++)
			dy[k] = y[k] > 0 ? dy[k] : 0;
}

void rs_dense_dropout_mask(float *mask, int32_t rows, int32_t cols, float p, uint64_t seed)
{
	float keep = p < 1 ? 1.0f / (1.0f - p) : 0;
	for (int32_t r = 0; r < rows; r++) {
		/* a stream of its own per row: independent of how rows are split */
		uint64_t s = seed ^ ((uint64_t)(r + 1) * 0xD1B54A32D192ED03ULL);
		rs_rand_next(&s);
		float *m = mask + (size_t)r * cols;
		for (int32_t c = 0; c < cols; c++)
			m[c] = rs_rand_unit(&s) < p ? 0.0f : keep;
	}
}

void rs_dense_mul(float *x, const float *m, size_t count)
{
	for (size_t k = 0; k < count; k++)
		x[k] *= m[k];
}

/* Row z (k values): its max and log sum exp(z - max). */
static void log_sum_exp(const float *z, int32_t k, float *max, double *lse)
{
	float m = z[0];
	for (int32_t c = 1; c < k; c++)
		if (z[c] > m)
			m = z[c];
	double s = 0;
	for (int32_t c = 0; c < k; c++)
		s += expf(z[c] - m);
	*max = m;
	*lse = log(s);
}

void rs_dense_log_softmax(float *z, int32_t n, int32_t k)
{
	for (int32_t r = 0; r < n && k > 0; r++) {
		float *zr = z + (size_t)r * k, m;
		double lse;
		log_sum_exp(zr, k, &m, &lse);
		for (int32_t c = 0; c < k; c++)
			zr[c] = (float)(zr[c] - m - lse);
	}
}

typedef struct xent_job {
	float *z;
	int32_t k;
	const rs_dense_sparse *t;
	float scale;
	double *loss; /* per row */
} xent_job;


/* Row z's largest value. */
static float row_max(const float *z, int32_t k)
{
	int32_t k4 = k - k % 4;
	float m = z[0];
	if (k4 > 0) {
		rs_v4 vm = v4_load(z);
		for (int32_t c = 4; c < k4; c += 4) {
			rs_v4 v = v4_load(z + c);
			rs_v4i gt = v > vm; /* all ones where v is larger */
			vm = (rs_v4)(((rs_v4i)v & gt) | ((rs_v4i)vm & ~gt));
		}
		for (int q = 0; q < 4; q++)
			m = vm[q] > m ? vm[q] : m;
	}
	for (int32_t c = k4; c < k; c++)
		m = z[c] > m ? z[c] : m;
	return m;
}

/* z[c] = exp(z[c] - m); returns their sum. */
static double row_exp_sum(float *restrict z, int32_t k, float m)
{
	exp_shifted(z, z, k, m);
	int32_t k8 = k - k % 8;
	rs_v4 s0 = {0, 0, 0, 0}, s1 = s0;
	for (int32_t c = 0; c < k8; c += 8) {
		s0 += v4_load(z + c);
		s1 += v4_load(z + c + 4);
	}
	double s = 0;
	for (int q = 0; q < 4; q++)
		s += (double)s0[q] + s1[q];
	for (int32_t c = k8; c < k; c++)
		s += z[c];
	return s;
}

/* Row r of z (k logits): its loss, and the gradient in place. */
static double xent_row(float *restrict z, int32_t k, const rs_dense_sparse *t, int32_t r,
                       float scale)
{
	float m = row_max(z, k);
	double tsum = 0, tz = 0;
	for (int64_t p = t->indptr[r]; p < t->indptr[r + 1]; p++) {
		double v = t->values ? t->values[p] : 1.0;
		tsum += v;
		tz += v * (z[t->indices[p]] - m);
	}
	/* one exp per logit, kept: the softmax is that over their sum */
	double s = row_exp_sum(z, k, m);
	float a = (float)(tsum * scale / s);
	for (int32_t c = 0; c < k; c++)
		z[c] *= a;
	for (int64_t p = t->indptr[r]; p < t->indptr[r + 1]; p++)
		z[t->indices[p]] -= scale * (t->values ? t->values[p] : 1.0f);
	return tsum * log(s) - tz;
}

/* Rows [begin, end): loss and gradient in place. */
static void xent_rows(const xent_job *j, int32_t begin, int32_t end)
{
	for (int32_t r = begin; r < end; r++)
		j->loss[r] = xent_row(j->z + (size_t)r * j->k, j->k, j->t, r, j->scale);
}

double rs_dense_softmax_xent_serial(float *z, int32_t n, int32_t k, const rs_dense_sparse *t,
                                    float scale)
{
	double loss = 0; /* summed in row order, as rs_dense_softmax_xent sums */
	for (int32_t r = 0; r < n; r++)
		loss += xent_row(z + (size_t)r * k, k, t, r, scale);
	return loss;
}

static void xent_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	xent_rows(arg, begin, end);
}

rs_status rs_dense_softmax_xent(rs_train_ctx *ctx, float *z, int32_t n, int32_t k,
                                const rs_dense_sparse *t, float scale, double *loss,
                                rs_error *err)
{
	*loss = 0;
	if (n < 1 || k < 1)
		return RS_OK;
	xent_job j = {.z = z, .k = k, .t = t, .scale = scale,
	              .loss = rs_malloc(rs_mul((size_t)n, sizeof(double)))};
	if (!j.loss)
		return rs_fail(err, RS_ENOMEM, "out of memory for the softmax loss");
	rs_status st = rs_parallel_for(ctx, n, ROW_CHUNK, ctx->cfg->threads, xent_range, &j, err);
	for (int32_t r = 0; st == RS_OK && r < n; r++)
		*loss += j.loss[r];
	free(j.loss);
	return st;
}

void rs_dense_l2_forward(float *x, int32_t n, int32_t k, float *norms)
{
	for (int32_t r = 0; r < n; r++) {
		float *xr = x + (size_t)r * k;
		double s = 0;
		for (int32_t c = 0; c < k; c++)
			s += (double)xr[c] * xr[c];
		float nr = (float)sqrt(s);
		if (nr < RS_DENSE_NORM_EPS)
			nr = RS_DENSE_NORM_EPS;
		norms[r] = nr;
		for (int32_t c = 0; c < k; c++)
			xr[c] /= nr;
	}
}

void rs_dense_l2_backward(const float *y, const float *norms, float *dy, int32_t n, int32_t k)
{
	for (int32_t r = 0; r < n; r++) {
		const float *yr = y + (size_t)r * k;
		float *d = dy + (size_t)r * k;
		double dot = 0;
		for (int32_t c = 0; c < k; c++)
			dot += (double)yr[c] * d[c];
		for (int32_t c = 0; c < k; c++)
			d[c] = (float)((d[c] - yr[c] * dot) / norms[r]);
	}
}

rs_adam rs_adam_defaults(float lr)
{
	return (rs_adam){.lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
}

/* One parameter array and its gradient and moments. */
typedef struct adam_array {
	float *w, *g, *m, *v;
	size_t count;
	float decay; /* lr x weight decay (0 for biases) */
} adam_array;

typedef struct adam_job {
	const rs_adam *opt;
	adam_array *arr;
	int32_t *first; /* arrays' first chunk; first[n] = all chunks */
	int n;
	float c1, c2;   /* bias corrections 1 / (1 - beta^t) */
} adam_job;

/* Adam's update of n consecutive parameters (lr1 = lr x the first bias
 * correction, c2 the second, keep = 1 - lr x weight decay). */
static void adam_span(float *restrict w, const float *restrict g, float *restrict m,
                      float *restrict v, size_t n, const rs_adam *o, float lr1, float c2,
                      float keep)
{
	float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
	for (size_t k = 0; k < n; k++) {
		m[k] = b1 * m[k] + (1 - b1) * g[k];
		v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
		w[k] = keep * w[k] - lr1 * m[k] / (sqrtf(v[k] * c2) + eps);
	}
}

static void adam_chunk(const adam_job *j, const adam_array *a, size_t k0, size_t k1)
{
	adam_span(a->w + k0, a->g + k0, a->m + k0, a->v + k0, k1 - k0, j->opt, j->opt->lr * j->c1,
	          j->c2, 1.0f - a->decay);
}

void rs_adam_rows(const rs_adam *opt, int64_t t, float decay, float *w, const float *g, float *m,
                  float *v, int32_t f, const int32_t *rows, int32_t n_rows)
{
	/* the corrections as rs_adam_step computes them: the same bits */
	float lr1 = opt->lr * (float)(1.0 / (1.0 - pow(opt->beta1, (double)t)));
	float c2 = (float)(1.0 / (1.0 - pow(opt->beta2, (double)t)));
	for (int32_t r = 0; r < n_rows; r++) {
		size_t at = (size_t)rows[r] * f;
		adam_span(w + at, g + at, m + at, v + at, (size_t)f, opt, lr1, c2, 1.0f - decay);
	}
}

/* Chunks [begin, end) numbered across all arrays. */
static void adam_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const adam_job *j = arg;
	int a = 0;
	for (int32_t t = begin; t < end; t++) {
		while (t >= j->first[a + 1])
			a++;
		size_t k0 = (size_t)(t - j->first[a]) * ADAM_CHUNK, k1 = k0 + ADAM_CHUNK;
		adam_chunk(j, &j->arr[a], k0, k1 < j->arr[a].count ? k1 : j->arr[a].count);
	}
}

rs_status rs_adam_step(rs_train_ctx *ctx, rs_adam *opt, rs_dense_layer *const *layers, int n,
                       rs_error *err)
{
	opt->t++;
	adam_job j = {.opt = opt, .n = 2 * n,
	              .arr = rs_malloc(rs_mul((size_t)(2 * n + 1), sizeof(adam_array))),
	              .first = rs_malloc(rs_mul((size_t)(2 * n + 1), sizeof(int32_t)))};
	if (!j.arr || !j.first) {
		free(j.arr); free(j.first);
		return rs_fail(err, RS_ENOMEM, "out of memory for the Adam step");
	}
	j.c1 = (float)(1.0 / (1.0 - pow(opt->beta1, (double)opt->t)));
	j.c2 = (float)(1.0 / (1.0 - pow(opt->beta2, (double)opt->t)));
	j.first[0] = 0;
	for (int i = 0; i < n; i++) {
		rs_dense_layer *l = layers[i];
		j.arr[2 * i] = (adam_array){l->w, l->gw, l->mw, l->vw, (size_t)l->in * l->out,
		                            opt->lr * opt->weight_decay};
		j.arr[2 * i + 1] = (adam_array){l->b, l->gb, l->mb, l->vb, (size_t)l->out, 0};
	}
	for (int a = 0; a < 2 * n; a++)
		j.first[a + 1] = j.first[a] + (int32_t)((j.arr[a].count + ADAM_CHUNK - 1) / ADAM_CHUNK);
	rs_status st = rs_parallel_for(ctx, j.first[2 * n], 1, ctx->cfg->threads, adam_range, &j, err);
	free(j.arr); free(j.first);
	return st;
}

int rs_dense_blas_begin(void)
{
	int prev = openblas_get_num_threads();
	openblas_set_num_threads(1);
	return prev;
}

void rs_dense_blas_end(int previous)
{
	openblas_set_num_threads(previous);
}

typedef struct fwd_xent_job {
	const rs_dense_layer *l;
	gemm_job g;
	xent_job x;
} fwd_xent_job;

/* Row blocks [begin, end) of TILE_M rows: the bias, the block's GEMM tiles
 * (those rs_dense_forward computes), then the softmax of its rows while they
 * are in cache. */
static void fwd_xent_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const fwd_xent_job *j = arg;
	int32_t out = j->l->out;
	for (int32_t rb = begin; rb < end; rb++) {
		int32_t r0 = rb * TILE_M, r1 = r0 + TILE_M < j->g.m ? r0 + TILE_M : j->g.m;
		for (int32_t r = r0; r < r1; r++)
			memcpy(j->g.c + (size_t)r * out, j->l->b, (size_t)out * sizeof(float));
		for (int32_t c = 0; c < j->g.tiles_n; c++)
			gemm_tile(&j->g, rb * j->g.tiles_n + c);
		xent_rows(&j->x, r0, r1);
	}
}

rs_status rs_dense_forward_softmax_xent(rs_train_ctx *ctx, const rs_dense_layer *l,
                                        const float *x, int32_t n, const rs_dense_sparse *t,
                                        float scale, float *z, double *loss, rs_error *err)
{
	*loss = 0;
	if (n < 1)
		return RS_OK;
	fwd_xent_job j = {.l = l,
	                  .g = gemm_plan(0, 0, n, l->out, l->in, x, l->in, l->w, l->out, 1.0f, z, l->out),
	                  .x = {.z = z, .k = l->out, .t = t, .scale = scale,
	                        .loss = rs_malloc(rs_mul((size_t)n, sizeof(double)))}};
	if (!j.x.loss)
		return rs_fail(err, RS_ENOMEM, "out of memory for the softmax loss");
	int threads = gemm_work(&j.g) < GEMM_ALONE ? 1 : ctx->cfg->threads;
	rs_status st = rs_parallel_for(ctx, (n + TILE_M - 1) / TILE_M, 1, threads, fwd_xent_range, &j,
	                               err);
	for (int32_t r = 0; st == RS_OK && r < n; r++)
		*loss += j.x.loss[r];
	free(j.x.loss);
	return st;
}
