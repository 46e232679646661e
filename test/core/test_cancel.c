/* test_cancel.c - a cancel stops every family's training within a second,
 * and the blocked kernels that make the long dense steps cancellable
 * (spd.c, qr.c) give what LAPACK's single calls give. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Cancel callback: says stop from `after` seconds past t0, or after
 * `after_polls` polls (whichever is set, >= 0); remembers when it first did. */
typedef struct stopper {
	double t0, after, asked;
	long polls, after_polls;
} stopper;

static int stop_cb(void *arg)
{
	stopper *s = arg;
	double t = now();
	s->polls++;
	if ((s->after >= 0 && t - s->t0 >= s->after) || (s->after_polls >= 0 && s->polls > s->after_polls)) {
		if (!s->asked)
			s->asked = t;
		return 1;
	}
	return 0;
}

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double unit(uint64_t *s) { return (double)(xs(s) >> 11) / 9007199254740992.0; }

/* An option tree of kids (with "items" when an items table goes along). */
typedef struct opt_tree { rs_opt root, kids[8]; } opt_tree;

static const rs_opt *tree(opt_tree *t, const rs_opt *kids, int n)
{
	memcpy(t->kids, kids, (size_t)n * sizeof *kids);
	t->root = (rs_opt){.kind = RS_OPT_OBJECT, .n_children = (size_t)n, .children = t->kids};
	return &t->root;
}

#define NUM(k, v) {.kind = RS_OPT_NUMBER, .key = (k), .number = (v)}
#define STR(k, v) {.kind = RS_OPT_STRING, .key = (k), .string = (v)}

/* Train algo on nu users x per interactions each over ni items (skewed to
 * popular items; with items_table, every item has a category and a title
 * from a 60-word vocabulary), cancelled by s; check RS_ECANCELLED, nothing
 * returned, and at most 1 s from the first "stop" to the return. */
static void check_prompt(const char *label, const char *algo, const rs_opt *opts, int nu, int ni,
                         int per, int items_table, stopper s)
{
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	CHECK(rs_config_create(algo, opts, 2, &c, &e) == RS_OK);
	CHECK(c && rs_builder_create(c, &b, &e) == RS_OK);
	if (!b) {
		rs_config_destroy(&c);
		return;
	}
	uint64_t r = 2463534242ULL;
	for (int u = 0; u < nu; u++) {
		char us[16], is[16];
		int ul = snprintf(us, sizeof us, "u%d", u);
		for (int k = 0; k < per; k++) {
			double x = unit(&r);
			int il = snprintf(is, sizeof is, "i%d", (int)(ni * x * x));
			rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1, 1e9 + k, &e);
		}
	}
	for (int i = 0; items_table && i < ni; i++) {
		char is[16], cat[16], title[64];
		int il = snprintf(is, sizeof is, "i%d", i), cl = snprintf(cat, sizeof cat, "c%d", i % 7);
		int tl = snprintf(title, sizeof title, "w%d w%d w%d", (int)(60 * unit(&r)),
		                  (int)(60 * unit(&r)), (int)(60 * unit(&r)));
		rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "category", cat, (size_t)cl, 0,
		                         0, &e);
		rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "title", title, (size_t)tl, 0, 0,
		                         &e);
	}
	rs_callbacks cb = {.cancel = stop_cb, .ctx = &s};
	s.t0 = now();
	rs_status st = rs_train(c, b, &cb, &m, &sum, &e);
	double end = now(), late = s.asked ? end - s.asked : -1;
	CHECK(st == RS_ECANCELLED && !m && !sum);
	CHECK(s.asked > 0 && late >= 0 && late < 1.0);
	if (st != RS_ECANCELLED)
		fprintf(stderr, "  %s: status %d (%s) after %.3f s\n", label, (int)st, e.msg, end - s.t0);
	printf("  cancel %s: asked at %.3f s, training returned %.3f s later (%ld polls)\n", label,
	       s.asked ? s.asked - s.t0 : -1.0, late, s.polls);
	rs_model_destroy(&m);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
}

/* Cancel after `ms` milliseconds / after `n` polls. */
static stopper at_ms(double ms) { return (stopper){.after = ms / 1000, .after_polls = -1}; }
static stopper at_poll(long n) { return (stopper){.after = -1, .after_polls = n}; }

/* Every family, each on inputs that train for seconds: stopped within 1 s
 * of the cancel (the figures print; under AddressSanitizer the core's own
 * loops run several times slower than in a release build). */
void test_cancel_prompt(void)
{
	opt_tree t;
	const rs_opt als[] = {NUM("factors", 128), NUM("iterations", 200)};
	check_prompt("als", "als", tree(&t, als, 2), 3000, 600, 20, 0, at_ms(150));
	const rs_opt chol[] = {NUM("factors", 256), NUM("iterations", 50), STR("solver", "cholesky")};
	check_prompt("als cholesky", "als", tree(&t, chol, 3), 2000, 600, 20, 0, at_ms(150));
	const rs_opt svd[] = {NUM("factors", 300), NUM("power_iterations", 100)};
	check_prompt("svd", "svd", tree(&t, svd, 2), 4000, 800, 20, 0, at_ms(150));
	/* ease on 3000 items: by time, and on one thread after 400 polls: the
	 * Gram matrix takes 375 (one per 8 rows), so the cancel lands in the
	 * blocked inverse */
	const rs_opt ease[] = {NUM("max_memory_mb", 1000)};
	check_prompt("ease", "ease", tree(&t, ease, 1), 300, 3000, 40, 0, at_ms(150));
	const rs_opt ease1[] = {NUM("max_memory_mb", 1000), NUM("threads", 1)};
	check_prompt("ease inverse", "ease", tree(&t, ease1, 2), 300, 3000, 40, 0, at_poll(400));
	check_prompt("itemknn", "itemknn", NULL, 3000, 3000, 150, 0, at_ms(150));
	const rs_opt lfm[] = {NUM("epochs", 1000)};
	check_prompt("bpr", "bpr", tree(&t, lfm, 1), 3000, 600, 20, 0, at_ms(150));
	check_prompt("warp", "warp", tree(&t, lfm, 1), 3000, 600, 20, 0, at_ms(150));
	const rs_opt warp_many[] = {NUM("epochs", 1000), NUM("max_sampled", 20000), NUM("factors", 128)};
	check_prompt("warp max_sampled", "warp", tree(&t, warp_many, 3), 3000, 600, 20, 0, at_ms(150));
	const rs_opt content[] = {STR("items", "items")};
	rs_opt tt[] = {NUM("epochs", 1000), NUM("dim", 128), NUM("hidden", 256)};
	check_prompt("two_tower", "two_tower", tree(&t, tt, 3), 3000, 600, 20, 1, at_ms(150));
	check_prompt("content", "content", tree(&t, content, 1), 100, 6000, 2, 1, at_ms(100));
	/* popularity trains in a moment: stopped at its first poll */
	check_prompt("popularity", "popularity", NULL, 3000, 600, 20, 0, at_poll(0));
	rs_opt parts[2] = {{.kind = RS_OPT_OBJECT, .key = "als", .n_children = 2, .children = als},
	                   NUM("itemknn", 1)};
	const rs_opt hybrid[] = {{.kind = RS_OPT_OBJECT, .key = "components", .n_children = 2,
	                          .children = parts}};
	check_prompt("hybrid", "hybrid", tree(&t, hybrid, 1), 3000, 600, 20, 0, at_ms(150));
	check_prompt("auto", "auto", NULL, 3000, 2000, 30, 0, at_ms(150));
}

/* A symmetric positive definite n x n matrix (column-major, full): X^T X
 * of a random 0/1 matrix plus a ridge. */
static double *spd_matrix(int n, uint64_t seed)
{
	int rows = 3 * n;
	double *x = calloc((size_t)rows * n, sizeof *x), *a = calloc((size_t)n * n, sizeof *a);
	for (size_t k = 0; x && k < (size_t)rows * n; k++)
		x[k] = unit(&seed) < 0.1;
	if (x && a)
		cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, n, n, rows, 1.0, x, rows, x, rows, 0.0,
		            a, n);
	for (int i = 0; a && i < n; i++)
		a[(size_t)i * n + i] += 1.0;
	free(x);
	return a;
}

/* rs_spd_inverse against LAPACK's dpotrf + dpotri (lower triangles), for
 * block sizes that divide n, do not, and exceed it; a matrix that is not
 * positive definite; a cancel in the middle. */
void test_spd_inverse(void)
{
	const int n = 300;
	double *a = spd_matrix(n, 7), *want = malloc((size_t)n * n * sizeof *want),
	       *got = malloc((size_t)n * n * sizeof *got);
	if (!a || !want || !got) {
		CHECK(0);
		free(a); free(want); free(got);
		return;
	}
	memcpy(want, a, (size_t)n * n * sizeof *want);
	CHECK(LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, want, n) == 0);
	CHECK(LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', n, want, n) == 0);
	rs_config *cfg = NULL;
	rs_error e;
	CHECK(rs_config_create("ease", NULL, 1, &cfg, &e) == RS_OK);
	rs_train_ctx ctx = {.cfg = cfg};
	atomic_init(&ctx.stop, 0);
	const int nbs[] = {32, 64, 100, 0, 512};
	for (size_t b = 0; b < sizeof nbs / sizeof nbs[0]; b++) {
		memcpy(got, a, (size_t)n * n * sizeof *got);
		CHECK(rs_spd_inverse(&ctx, got, n, nbs[b], &e) == RS_OK);
		double big = 0, diff = 0;
		for (int j = 0; j < n; j++)
			for (int i = j; i < n; i++) {
				size_t k = (size_t)i + (size_t)j * n;
				big = fmax(big, fabs(want[k]));
				diff = fmax(diff, fabs(want[k] - got[k]));
				if (i > j) /* the upper triangle is left alone */
					CHECK(got[(size_t)j + (size_t)i * n] == a[(size_t)j + (size_t)i * n]);
			}
		CHECK(diff <= 1e-12 * big);
	}
	/* not positive definite: a negative pivot in the third block */
	memcpy(got, a, (size_t)n * n * sizeof *got);
	got[(size_t)150 * n + 150] = -1e6;
	CHECK(rs_spd_inverse(&ctx, got, n, 64, &e) == RS_ENOTPD);
	/* a cancel after a few polls */
	stopper s = at_poll(3);
	rs_callbacks cb = {.cancel = stop_cb, .ctx = &s};
	ctx.cb = &cb;
	memcpy(got, a, (size_t)n * n * sizeof *got);
	CHECK(rs_spd_inverse(&ctx, got, n, 32, &e) == RS_ECANCELLED && s.polls == 4);
	rs_config_destroy(&cfg);
	free(a);
	free(want);
	free(got);
}

/* rs_orthonormal_basis against LAPACK's sgeqrf + sorgqr (row-major): the
 * same Q (Householder signs included) and R, for shapes with l a multiple
 * of the panel width, not, and square; a cancel in the middle. */
void test_orthonormal_basis(void)
{
	const int shapes[][2] = {{500, 64}, {1000, 70}, {300, 300}, {40, 1}};
	rs_config *cfg = NULL;
	rs_error e;
	CHECK(rs_config_create("svd", NULL, 1, &cfg, &e) == RS_OK);
	rs_train_ctx ctx = {.cfg = cfg};
	atomic_init(&ctx.stop, 0);
	uint64_t seed = 99;
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		int n = shapes[s][0], l = shapes[s][1];
		size_t nl = (size_t)n * l;
		float *m = malloc(nl * sizeof *m), *q = malloc(nl * sizeof *q),
		      *r = malloc((size_t)l * l * sizeof *r), *tau = malloc((size_t)l * sizeof *tau);
		if (!m || !q || !r || !tau) {
			CHECK(0);
			free(m); free(q); free(r); free(tau);
			continue;
		}
		for (size_t k = 0; k < nl; k++)
			m[k] = q[k] = (float)(unit(&seed) - 0.5);
		CHECK(LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, n, l, q, l, tau) == 0);
		float r00 = q[0]; /* R's corner, before sorgqr overwrites it */
		CHECK(LAPACKE_sorgqr(LAPACK_ROW_MAJOR, n, l, l, q, l, tau) == 0);
		CHECK(rs_orthonormal_basis(&ctx, m, n, l, r, &e) == RS_OK);
		float diff = 0;
		for (size_t k = 0; k < nl; k++)
			diff = fmaxf(diff, fabsf(m[k] - q[k]));
		CHECK(diff < 1e-4f);
		CHECK(fabsf(r[0] - r00) <= 1e-4f * fabsf(r00));
		for (int i = 1; i < l; i++)
			CHECK(r[(size_t)i * l + i - 1] == 0.0f); /* upper triangular */
		free(m);
		free(q);
		free(r);
		free(tau);
	}
	/* cancelled between panels */
	int n = 2000, l = 96;
	float *m = malloc((size_t)n * l * sizeof *m);
	for (size_t k = 0; m && k < (size_t)n * l; k++)
		m[k] = (float)(unit(&seed) - 0.5);
	stopper st = at_poll(2);
	rs_callbacks cb = {.cancel = stop_cb, .ctx = &st};
	ctx.cb = &cb;
	CHECK(m && rs_orthonormal_basis(&ctx, m, n, l, NULL, &e) == RS_ECANCELLED && st.polls == 3);
	free(m);
	rs_config_destroy(&cfg);
}
