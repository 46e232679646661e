/* test_dense.c - the dense-network trainer (core/dense.c): every layer's
 * gradient against central finite differences, Adam on a convex problem,
 * and the same bits for threads 1 and 2.
 *
 * The finite differences run in float32 like the layers: each check takes a
 * scalar loss L = sum(out * R) (R random, so dL/dout = R), compares the
 * analytic gradient g with (L(x + h) - L(x - h)) / 2h per element, and
 * requires the worst |g - numeric| to be under a relative tolerance of the
 * largest |g| of the tensor (printed, so the margin is visible). */
#include "dense.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FD_H 1e-2f   /* step: float32 sums of O(1) values lose ~1e-7 per term */
#define FD_TOL 1e-3  /* worst error / largest gradient (measured: 1e-4 at most) */

static rs_train_ctx make_ctx(rs_config **cfg, int threads)
{
	rs_error e;
	*cfg = NULL;
	CHECK(rs_config_create("ease", NULL, threads, cfg, &e) == RS_OK);
	rs_train_ctx ctx = {.cfg = *cfg};
	atomic_init(&ctx.stop, 0);
	return ctx;
}

static void fill(float *x, size_t n, uint64_t *s, float lo, float hi)
{
	for (size_t k = 0; k < n; k++)
		x[k] = lo + (hi - lo) * (float)rs_rand_unit(s);
}

static double dotr(const float *y, const float *r, size_t n)
{
	double s = 0;
	for (size_t k = 0; k < n; k++)
		s += (double)y[k] * r[k];
	return s;
}

/* A loss as a function of the parameters the check perturbs. */
typedef double (*loss_fn)(void *arg);

/* Compare g (n values) with the central differences of f over p. */
static void fd_check(const char *what, loss_fn f, void *arg, float *p, const float *g, size_t n)
{
	double worst = 0, big = 0;
	for (size_t k = 0; k < n; k++)
		big = fmax(big, fabs(g[k]));
	for (size_t k = 0; k < n; k++) {
		float keep = p[k];
		p[k] = keep + FD_H;
		double lp = f(arg);
		p[k] = keep - FD_H;
		double lm = f(arg);
		p[k] = keep;
		double num = (lp - lm) / (2.0 * FD_H);
		worst = fmax(worst, fabs(num - g[k]));
	}
	double rel = big > 0 ? worst / big : worst;
	printf("  %-26s worst |analytic - numeric| = %.2e, relative %.2e (largest %.2e)\n", what,
	       worst, rel, big);
	CHECK(big > 0);
	CHECK(rel < FD_TOL);
}

enum { N = 5, IN = 7, OUT = 4 };

typedef struct dense_case {
	rs_train_ctx *ctx;
	rs_dense_layer l;
	float x[N * IN], y[N * OUT], r[N * OUT];
} dense_case;

static double dense_loss(void *arg)
{
	dense_case *c = arg;
	rs_error e;
	CHECK(rs_dense_forward(c->ctx, &c->l, c->x, N, c->y, &e) == RS_OK);
	return dotr(c->y, c->r, N * OUT);
}

void test_dense_grad_affine(void)
{
	rs_config *cfg;
	rs_train_ctx ctx = make_ctx(&cfg, 2);
	dense_case c = {.ctx = &ctx};
	rs_error e;
	uint64_t s = 11;
	CHECK(rs_dense_layer_init(&c.l, IN, OUT, 5, &e) == RS_OK);
	fill(c.x, N * IN, &s, -1, 1);
	fill(c.r, N * OUT, &s, -1, 1);
	fill(c.l.b, OUT, &s, -1, 1);
	float dx[N * IN];
	rs_dense_zero_grad(&c.l);
	dense_loss(&c);
	CHECK(rs_dense_backward(&ctx, &c.l, c.x, c.r, N, dx, &e) == RS_OK);
	fd_check("dense W", dense_loss, &c, c.l.w, c.l.gw, IN * OUT);
	fd_check("dense b", dense_loss, &c, c.l.b, c.l.gb, OUT);
	fd_check("dense x", dense_loss, &c, c.x, dx, N * IN);
	/* gradients accumulate */
	float gw0 = c.l.gw[3];
	CHECK(rs_dense_backward(&ctx, &c.l, c.x, c.r, N, NULL, &e) == RS_OK);
	CHECK(fabsf(c.l.gw[3] - 2 * gw0) <= 1e-6f * fabsf(gw0) + 1e-7f);
	rs_dense_layer_free(&c.l);
	rs_config_destroy(&cfg);
}

typedef struct sparse_case {
	rs_train_ctx *ctx;
	rs_dense_layer l;
	rs_dense_sparse x;
	float y[N * OUT], r[N * OUT];
} sparse_case;

static double sparse_loss(void *arg)
{
	sparse_case *c = arg;
	rs_error e;
	CHECK(rs_dense_sparse_forward(c->ctx, &c->l, &c->x, c->y, &e) == RS_OK);
	return dotr(c->y, c->r, N * OUT);
}

void test_dense_grad_sparse(void)
{
	rs_config *cfg;
	rs_train_ctx ctx = make_ctx(&cfg, 2);
	/* 5 rows over 7 inputs, one empty row, input 6 never used */
	static const int64_t indptr[N + 1] = {0, 2, 2, 5, 6, 8};
	static const int32_t idx[8] = {0, 3, 1, 2, 5, 3, 0, 4};
	float vals[8];
	uint64_t s = 21;
	fill(vals, 8, &s, 0.2f, 2);
	sparse_case c = {.ctx = &ctx, .x = {.rows = N, .indptr = indptr, .indices = idx, .values = vals}};
	rs_error e;
	CHECK(rs_dense_layer_init(&c.l, IN, OUT, 6, &e) == RS_OK);
	fill(c.r, N * OUT, &s, -1, 1);
	rs_dense_zero_grad(&c.l);
	sparse_loss(&c);
	/* the dense forward of the same rows gives the same outputs */
	float xd[N * IN] = {0}, yd[N * OUT];
	for (int r = 0; r < N; r++)
		for (int64_t p = indptr[r]; p < indptr[r + 1]; p++)
			xd[r * IN + idx[p]] = vals[p];
	CHECK(rs_dense_forward(&ctx, &c.l, xd, N, yd, &e) == RS_OK);
	for (int k = 0; k < N * OUT; k++)
		CHECK(fabsf(yd[k] - c.y[k]) <= 1e-5f);
	CHECK(rs_dense_sparse_backward(&ctx, &c.l, &c.x, c.r, &e) == RS_OK);
	fd_check("sparse W", sparse_loss, &c, c.l.w, c.l.gw, IN * OUT);
	fd_check("sparse b", sparse_loss, &c, c.l.b, c.l.gb, OUT);
	for (int k = 0; k < OUT; k++)
		CHECK(c.l.gw[6 * OUT + k] == 0);
	/* values NULL: all ones */
	c.x.values = NULL;
	sparse_loss(&c);
	CHECK(fabsf(c.y[0] - (c.l.b[0] + c.l.w[0] + c.l.w[3 * OUT])) <= 1e-6f);
	rs_dense_layer_free(&c.l);
	rs_config_destroy(&cfg);
}

/* An activation, or (mask set) dropout with that fixed mask. */
typedef struct act_case {
	rs_dense_act a;
	const float *mask;
	float x[N * OUT], y[N * OUT], r[N * OUT];
} act_case;

static double act_loss(void *arg)
{
	act_case *c = arg;
	memcpy(c->y, c->x, sizeof c->y);
	if (c->mask)
		rs_dense_mul(c->y, c->mask, N * OUT);
	else
		rs_dense_act_forward(c->a, c->y, N * OUT);
	return dotr(c->y, c->r, N * OUT);
}

void test_dense_grad_activations(void)
{
	static const char *names[] = {"identity", "tanh", "relu"};
	for (int a = RS_ACT_IDENTITY; a <= RS_ACT_RELU; a++) {
		act_case c = {.a = (rs_dense_act)a};
		uint64_t s = 31 + (uint64_t)a;
		fill(c.x, N * OUT, &s, -2, 2);
		for (int k = 0; k < N * OUT; k++) /* away from relu's kink */
			if (fabsf(c.x[k]) < 0.1f)
				c.x[k] = 0.5f;
		fill(c.r, N * OUT, &s, -1, 1);
		act_loss(&c);
		float g[N * OUT];
		memcpy(g, c.r, sizeof g);
		rs_dense_act_backward(c.a, c.y, g, N * OUT);
		char what[32];
		snprintf(what, sizeof what, "activation %s", names[a]);
		fd_check(what, act_loss, &c, c.x, g, N * OUT);
	}
}

void test_dense_grad_dropout(void)
{
	float mask[N * OUT];
	rs_dense_dropout_mask(mask, N, OUT, 0.5f, 9);
	act_case c = {.mask = mask};
	uint64_t s = 41;
	fill(c.x, N * OUT, &s, -1, 1);
	fill(c.r, N * OUT, &s, -1, 1);
	float g[N * OUT];
	memcpy(g, c.r, sizeof g);
	rs_dense_mul(g, mask, N * OUT);
	fd_check("dropout (fixed mask)", act_loss, &c, c.x, g, N * OUT);
	/* the mask: 0 or 1 / (1 - p), about p dropped, rows independent of the count */
	enum { R = 200, C = 50 };
	float *m = malloc(R * C * sizeof *m), *m2 = malloc(R * C * sizeof *m2);
	if (!m || !m2) {
		CHECK(0);
		free(m); free(m2);
		return;
	}
	rs_dense_dropout_mask(m, R, C, 0.3f, 77);
	rs_dense_dropout_mask(m2, R / 2, C, 0.3f, 77);
	int zeros = 0, bad = 0;
	for (int k = 0; k < R * C; k++) {
		zeros += m[k] == 0;
		bad += m[k] != 0 && fabsf(m[k] - 1 / 0.7f) > 1e-6f;
	}
	CHECK(bad == 0);
	CHECK(fabs(zeros / (double)(R * C) - 0.3) < 0.02);
	CHECK(memcmp(m, m2, (size_t)(R / 2) * C * sizeof *m) == 0);
	rs_dense_dropout_mask(m2, R, C, 0.3f, 78);
	CHECK(memcmp(m, m2, (size_t)R * C * sizeof *m) != 0);
	free(m);
	free(m2);
}

typedef struct xent_case {
	rs_train_ctx *ctx;
	rs_dense_sparse t;
	float z[N * IN], work[N * IN];
} xent_case;

static double xent_loss(void *arg)
{
	xent_case *c = arg;
	double loss;
	rs_error e;
	memcpy(c->work, c->z, sizeof c->work);
	CHECK(rs_dense_softmax_xent(c->ctx, c->work, N, IN, &c->t, 1, &loss, &e) == RS_OK);
	return loss;
}

void test_dense_grad_softmax(void)
{
	rs_config *cfg;
	rs_train_ctx ctx = make_ctx(&cfg, 2);
	static const int64_t indptr[N + 1] = {0, 1, 3, 3, 6, 7};
	static const int32_t idx[7] = {2, 0, 6, 1, 3, 4, 5};
	float vals[7];
	uint64_t s = 51;
	fill(vals, 7, &s, 0.5f, 2);
	xent_case c = {.ctx = &ctx, .t = {.rows = N, .indptr = indptr, .indices = idx, .values = vals}};
	fill(c.z, N * IN, &s, -3, 3);
	double loss = xent_loss(&c);
	float g[N * IN];
	memcpy(g, c.work, sizeof g);
	fd_check("softmax cross-entropy", xent_loss, &c, c.z, g, N * IN);
	/* the loss by hand through rs_dense_log_softmax; scale scales the gradient */
	float ls[N * IN];
	memcpy(ls, c.z, sizeof ls);
	rs_dense_log_softmax(ls, N, IN);
	double want = 0;
	for (int r = 0; r < N; r++) {
		double se = 0;
		for (int k = 0; k < IN; k++)
			se += exp(ls[r * IN + k]);
		CHECK(fabs(se - 1) < 1e-5);
		for (int64_t p = indptr[r]; p < indptr[r + 1]; p++)
			want -= vals[p] * ls[r * IN + idx[p]];
	}
	CHECK(fabs(loss - want) <= 1e-5 * fabs(want));
	rs_error e;
	memcpy(c.work, c.z, sizeof c.work);
	CHECK(rs_dense_softmax_xent(&ctx, c.work, N, IN, &c.t, 0.5f, &loss, &e) == RS_OK);
	for (int k = 0; k < N * IN; k++)
		CHECK(fabsf(c.work[k] - 0.5f * g[k]) <= 1e-6f);
	rs_config_destroy(&cfg);
}

/* The fused forward + softmax gives the bits of rs_dense_forward then
 * rs_dense_softmax_xent, over several row blocks and column tiles, on one
 * and two threads. */
void test_dense_forward_softmax_fused(void)
{
	enum { ROWS = 150, IN_F = 240, OUT_F = 600 }; /* above GEMM_ALONE: threads used */
	static int64_t indptr[ROWS + 1];
	static int32_t idx[ROWS * 3];
	static float x[ROWS * IN_F], z1[ROWS * OUT_F], z2[ROWS * OUT_F];
	for (int r = 0; r <= ROWS; r++)
		indptr[r] = 3 * r;
	for (int k = 0; k < ROWS * 3; k++)
		idx[k] = (int32_t)((k * 37) % OUT_F);
	rs_dense_sparse t = {.rows = ROWS, .indptr = indptr, .indices = idx};
	uint64_t s = 77;
	fill(x, ROWS * IN_F, &s, -1, 1);
	for (int threads = 1; threads <= 2; threads++) {
		rs_config *cfg;
		rs_train_ctx ctx = make_ctx(&cfg, threads);
		rs_dense_layer l;
		rs_error e;
		double loss1 = 0, loss2 = -1;
		CHECK(rs_dense_layer_init(&l, IN_F, OUT_F, 5, &e) == RS_OK);
		fill(l.b, OUT_F, &s, -1, 1);
		CHECK(rs_dense_forward(&ctx, &l, x, ROWS, z1, &e) == RS_OK);
		CHECK(rs_dense_softmax_xent(&ctx, z1, ROWS, OUT_F, &t, 0.1f, &loss1, &e) == RS_OK);
		CHECK(rs_dense_forward_softmax_xent(&ctx, &l, x, ROWS, &t, 0.1f, z2, &loss2, &e) == RS_OK);
		CHECK(memcmp(z1, z2, sizeof z1) == 0);
		CHECK(loss1 == loss2 && loss1 > 0);
		rs_dense_layer_free(&l);
		rs_config_destroy(&cfg);
	}
}

/* rs_dense_softmax_xent_serial: the threaded call's bits on one thread. */
void test_dense_softmax_serial(void)
{
	enum { ROWS = 40, K = 90 };
	static int64_t indptr[ROWS + 1];
	static int32_t idx[ROWS];
	static float z1[ROWS * K], z2[ROWS * K];
	for (int r = 0; r <= ROWS; r++)
		indptr[r] = r;
	for (int r = 0; r < ROWS; r++)
		idx[r] = r; /* two_tower's shape: each row's label on the diagonal */
	rs_dense_sparse t = {.rows = ROWS, .indptr = indptr, .indices = idx};
	uint64_t s = 91;
	fill(z1, ROWS * K, &s, -4, 4);
	memcpy(z2, z1, sizeof z1);
	rs_config *cfg;
	rs_train_ctx ctx = make_ctx(&cfg, 2);
	rs_error e;
	double loss1 = -1;
	CHECK(rs_dense_softmax_xent(&ctx, z1, ROWS, K, &t, 0.5f, &loss1, &e) == RS_OK);
	double loss2 = rs_dense_softmax_xent_serial(z2, ROWS, K, &t, 0.5f);
	CHECK(memcmp(z1, z2, sizeof z1) == 0);
	CHECK(loss1 == loss2 && loss1 > 0);
	rs_config_destroy(&cfg);
}

/* rs_adam_rows: over every row, rs_adam_step's bits on W; rows it is not
 * given keep their values and moments. */
void test_dense_adam_rows(void)
{
	enum { R = 12, F = 7 };
	rs_config *cfg;
	rs_train_ctx ctx = make_ctx(&cfg, 1);
	rs_dense_layer a, b;
	rs_error e;
	CHECK(rs_dense_layer_init(&a, R, F, 3, &e) == RS_OK);
	CHECK(rs_dense_layer_init(&b, R, F, 3, &e) == RS_OK);
	rs_adam oa = rs_adam_defaults(0.01f), ob = oa;
	oa.weight_decay = ob.weight_decay = 0.1f;
	int32_t all[R], some[2] = {3, 8};
	for (int r = 0; r < R; r++)
		all[r] = r;
	uint64_t s = 17;
	for (int step = 1; step <= 3; step++) {
		fill(a.gw, R * F, &s, -1, 1);
		memcpy(b.gw, a.gw, sizeof(float) * R * F);
		rs_dense_layer *la = &a;
		CHECK(rs_adam_step(&ctx, &oa, &la, 1, &e) == RS_OK);
		rs_adam_rows(&ob, step, ob.lr * ob.weight_decay, b.w, b.gw, b.mw, b.vw, F, all, R);
	}
	CHECK(memcmp(a.w, b.w, sizeof(float) * R * F) == 0);
	CHECK(memcmp(a.vw, b.vw, sizeof(float) * R * F) == 0);
	float before[R * F];
	memcpy(before, b.w, sizeof before);
	rs_adam_rows(&ob, 4, 0.0f, b.w, b.gw, b.mw, b.vw, F, some, 2);
	for (int r = 0; r < R; r++) {
		int moved = memcmp(before + r * F, b.w + r * F, sizeof(float) * F) != 0;
		CHECK(moved == (r == 3 || r == 8));
	}
	rs_dense_layer_free(&a);
	rs_dense_layer_free(&b);
	rs_config_destroy(&cfg);
}

typedef struct l2_case {
	float x[N * OUT], y[N * OUT], r[N * OUT], norms[N];
} l2_case;

static double l2_loss(void *arg)
{
	l2_case *c = arg;
	memcpy(c->y, c->x, sizeof c->y);
	rs_dense_l2_forward(c->y, N, OUT, c->norms);
	return dotr(c->y, c->r, N * OUT);
}

void test_dense_grad_l2(void)
{
	l2_case c;
	uint64_t s = 61;
	fill(c.x, N * OUT, &s, -1, 1);
	fill(c.r, N * OUT, &s, -1, 1);
	l2_loss(&c);
	for (int r = 0; r < N; r++)
		CHECK(fabs(dotr(c.y + r * OUT, c.y + r * OUT, OUT) - 1) < 1e-5);
	float g[N * OUT];
	memcpy(g, c.r, sizeof g);
	rs_dense_l2_backward(c.y, c.norms, g, N, OUT);
	fd_check("L2 normalise", l2_loss, &c, c.x, g, N * OUT);
	/* a zero row stays finite */
	float z[OUT] = {0}, nz;
	rs_dense_l2_forward(z, 1, OUT, &nz);
	CHECK(z[0] == 0 && nz > 0);
}

/* Adam fits y = x W* + b* (mean squared error) from a random start. */
void test_dense_adam_converges(void)
{
	rs_config *cfg;
	rs_train_ctx ctx = make_ctx(&cfg, 1);
	enum { M = 64, I = 3, O = 2 };
	const float wt[I * O] = {1.5f, -2, 0.5f, 1, -1, 0.25f}, bt[O] = {0.3f, -0.7f};
	float x[M * I], y[M * O], t[M * O], dy[M * O];
	uint64_t s = 71;
	fill(x, M * I, &s, -1, 1);
	for (int r = 0; r < M; r++)
		for (int o = 0; o < O; o++) {
			t[r * O + o] = bt[o];
			for (int i = 0; i < I; i++)
				t[r * O + o] += x[r * I + i] * wt[i * O + o];
		}
	rs_dense_layer l;
	rs_error e;
	CHECK(rs_dense_layer_init(&l, I, O, 3, &e) == RS_OK);
	rs_adam opt = rs_adam_defaults(0.05f);
	rs_dense_layer *ls[1] = {&l};
	double first = 0, last = 0;
	for (int step = 0; step < 1500; step++) {
		CHECK(rs_dense_forward(&ctx, &l, x, M, y, &e) == RS_OK);
		double loss = 0;
		for (int k = 0; k < M * O; k++) {
			dy[k] = (y[k] - t[k]) * (2.0f / M);
			loss += (double)(y[k] - t[k]) * (y[k] - t[k]) / M;
		}
		if (step == 0)
			first = loss;
		last = loss;
		rs_dense_zero_grad(&l);
		CHECK(rs_dense_backward(&ctx, &l, x, dy, M, NULL, &e) == RS_OK);
		CHECK(rs_adam_step(&ctx, &opt, ls, 1, &e) == RS_OK);
	}
	double werr = 0;
	for (int k = 0; k < I * O; k++)
		werr = fmax(werr, fabs(l.w[k] - wt[k]));
	for (int o = 0; o < O; o++)
		werr = fmax(werr, fabs(l.b[o] - bt[o]));
	printf("  adam: loss %.3g -> %.3g, worst weight error %.2e\n", first, last, werr);
	CHECK(opt.t == 1500);
	CHECK(last < 1e-6 * first);
	CHECK(werr < 1e-3);
	/* decoupled weight decay pulls a zero-gradient weight toward 0 */
	opt = rs_adam_defaults(0.1f);
	opt.weight_decay = 0.5f;
	rs_dense_zero_grad(&l);
	float w0 = l.w[0];
	CHECK(rs_adam_step(&ctx, &opt, ls, 1, &e) == RS_OK);
	CHECK(fabsf(l.w[0] - w0 * (1 - 0.05f)) <= 1e-6f);
	rs_dense_layer_free(&l);
	rs_config_destroy(&cfg);
}

/* A few steps of a small sparse -> tanh -> dropout -> softmax network:
 * the final weights (both layers) into out. ROWS x ITEMS x HID is above
 * dense.c's GEMM_ALONE, so the decoder's GEMMs do run on both threads. */
static void train_small(int threads, float *out, size_t *n_out)
{
	enum { ROWS = 450, ITEMS = 500, HID = 96, STEPS = 4 };
	rs_config *cfg;
	rs_train_ctx ctx = make_ctx(&cfg, threads);
	int prev = rs_dense_blas_begin();
	int64_t *indptr = malloc((ROWS + 1) * sizeof *indptr);
	int32_t *idx = malloc(ROWS * 20 * sizeof *idx);
	float *h = malloc(ROWS * HID * sizeof *h), *mask = malloc(ROWS * HID * sizeof *mask),
	      *z = malloc((size_t)ROWS * ITEMS * sizeof *z), *dh = malloc(ROWS * HID * sizeof *dh),
	      *hd = malloc(ROWS * HID * sizeof *hd);
	rs_dense_layer enc, dec;
	rs_error e;
	*n_out = 0;
	if (!indptr || !idx || !h || !mask || !z || !dh || !hd) {
		CHECK(0);
		free(indptr); free(idx); free(h); free(mask); free(z); free(dh); free(hd);
		rs_dense_blas_end(prev);
		rs_config_destroy(&cfg);
		return;
	}
	CHECK(rs_dense_layer_init(&enc, ITEMS, HID, 1, &e) == RS_OK);
	CHECK(rs_dense_layer_init(&dec, HID, ITEMS, 2, &e) == RS_OK);
	uint64_t s = 81;
	indptr[0] = 0;
	for (int r = 0; r < ROWS; r++) {
		int len = 1 + (int)(rs_rand_next(&s) % 20);
		for (int k = 0; k < len; k++) /* sorted, distinct */
			idx[indptr[r] + k] = (int32_t)((r * 7 + k * 23) % ITEMS);
		indptr[r + 1] = indptr[r] + len;
	}
	rs_dense_sparse x = {.rows = ROWS, .indptr = indptr, .indices = idx};
	rs_adam opt = rs_adam_defaults(1e-2f);
	opt.weight_decay = 1e-3f;
	rs_dense_layer *ls[2] = {&enc, &dec};
	for (int step = 0; step < STEPS; step++) {
		double loss;
		rs_dense_zero_grad(&enc);
		rs_dense_zero_grad(&dec);
		CHECK(rs_dense_sparse_forward(&ctx, &enc, &x, h, &e) == RS_OK);
		rs_dense_act_forward(RS_ACT_TANH, h, ROWS * HID);
		rs_dense_dropout_mask(mask, ROWS, HID, 0.2f, (uint64_t)step);
		memcpy(hd, h, ROWS * HID * sizeof *hd);
		rs_dense_mul(hd, mask, ROWS * HID);
		CHECK(rs_dense_forward(&ctx, &dec, hd, ROWS, z, &e) == RS_OK);
		CHECK(rs_dense_softmax_xent(&ctx, z, ROWS, ITEMS, &x, 1.0f / ROWS, &loss, &e) == RS_OK);
		CHECK(rs_dense_backward(&ctx, &dec, hd, z, ROWS, dh, &e) == RS_OK);
		rs_dense_mul(dh, mask, ROWS * HID);
		rs_dense_act_backward(RS_ACT_TANH, h, dh, ROWS * HID);
		CHECK(rs_dense_sparse_backward(&ctx, &enc, &x, dh, &e) == RS_OK);
		CHECK(rs_adam_step(&ctx, &opt, ls, 2, &e) == RS_OK);
	}
	size_t ne = (size_t)ITEMS * HID, nd = (size_t)HID * ITEMS;
	memcpy(out, enc.w, ne * sizeof *out);
	memcpy(out + ne, dec.w, nd * sizeof *out);
	memcpy(out + ne + nd, dec.b, ITEMS * sizeof *out);
	*n_out = ne + nd + ITEMS;
	rs_dense_blas_end(prev);
	rs_dense_layer_free(&enc);
	rs_dense_layer_free(&dec);
	free(indptr); free(idx); free(h); free(mask); free(z); free(dh); free(hd);
	rs_config_destroy(&cfg);
}

void test_dense_threads_same_bits(void)
{
	size_t cap = 2 * 500 * 96 + 500, n1 = 0, n2 = 0;
	float *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
	if (!a || !b) {
		CHECK(0);
		free(a); free(b);
		return;
	}
	train_small(1, a, &n1);
	train_small(2, b, &n2);
	CHECK(n1 == cap && n2 == cap);
	size_t diff = 0, de = 0;
	for (size_t k = 0; k < cap; k++) {
		diff += memcmp(&a[k], &b[k], sizeof *a) != 0;
		de += k < 500 * 96 && memcmp(&a[k], &b[k], sizeof *a) != 0;
	}
	printf("  threads 1 vs 2: %zu of %zu weights differ (%zu in the encoder)\n", diff, cap, de);
	CHECK(diff == 0);
	/* and training moved them */
	rs_dense_layer l;
	rs_error e;
	CHECK(rs_dense_layer_init(&l, 500, 96, 1, &e) == RS_OK);
	CHECK(memcmp(l.w, a, 500 * 96 * sizeof *a) != 0);
	rs_dense_layer_free(&l);
	free(a);
	free(b);
}

static int cancel_after(void *arg)
{
	int *polls = arg;
	return ++*polls > 2;
}

/* A host cancel in the middle of a GEMM, a sparse pass or an Adam step
 * comes back as RS_ECANCELLED (the caller stops training). */
void test_dense_cancel(void)
{
	rs_config *cfg;
	rs_train_ctx ctx = make_ctx(&cfg, 1);
	enum { R = 256, I = 300, O = 600 };
	rs_dense_layer l;
	rs_error e;
	float *x = calloc((size_t)R * I, sizeof *x), *y = calloc((size_t)R * O, sizeof *y);
	int64_t *indptr = calloc(R + 1, sizeof *indptr);
	CHECK(rs_dense_layer_init(&l, I, O, 4, &e) == RS_OK);
	if (x && y && indptr) {
		int polls = 0;
		rs_callbacks cb = {.cancel = cancel_after, .ctx = &polls};
		ctx.cb = &cb;
		CHECK(rs_dense_forward(&ctx, &l, x, R, y, &e) == RS_ECANCELLED);
		atomic_store(&ctx.stop, 0);
		polls = 0;
		rs_dense_sparse sx = {.rows = R, .indptr = indptr, .indices = NULL};
		CHECK(rs_dense_sparse_forward(&ctx, &l, &sx, y, &e) == RS_ECANCELLED);
		atomic_store(&ctx.stop, 0);
		polls = 0;
		rs_adam opt = rs_adam_defaults(0.1f);
		rs_dense_layer *ls[1] = {&l};
		CHECK(rs_adam_step(&ctx, &opt, ls, 1, &e) == RS_ECANCELLED);
		CHECK(strstr(e.msg, "cancel") != NULL);
	} else
		CHECK(0);
	rs_dense_layer_free(&l);
	free(x); free(y); free(indptr);
	rs_config_destroy(&cfg);
}
