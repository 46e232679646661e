/* test_svd_ease.c - truncated SVD and EASE: agreement with slow reference
 * computations on tiny matrices, block-structure recommendations, the model
 * round trip, EASE's memory limit, bad options, cancellation. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NU = 8, NI = 6 };

/* A user x item matrix of positive weights, rank 2: X = A C^T. */
static void rank2_matrix(double x[NU][NI])
{
	for (int u = 0; u < NU; u++)
		for (int i = 0; i < NI; i++)
			x[u][i] = (1 + u % 3) * (1 + 0.5 * i) + (1 + u / 3) * (3 - 0.4 * i);
}

/* Train algo on the dense matrix x (zeros skipped), ids "u<n>"/"i<n>". */
static rs_status train_matrix(const char *algo, int n, const char *const *kv, int nu, int ni,
                              const double *x, rs_model **m, rs_error *e)
{
	opts_buf ob;
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	char *sum = NULL;
	rs_status st = rs_config_create(algo, make_opts(&ob, n, kv), 1, &cfg, e);
	if (st == RS_OK)
		st = rs_builder_create(cfg, &b, e);
	for (int u = 0; st == RS_OK && u < nu; u++)
		for (int i = 0; st == RS_OK && i < ni; i++) {
			if (x[u * ni + i] == 0)
				continue;
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
			st = rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 1, x[u * ni + i], NULL, 0, 0,
			                    0, e);
		}
	if (st == RS_OK)
		st = rs_train(cfg, b, NULL, m, &sum, e);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return st;
}

/* Model index of user u / item i of the fixtures' naming. */
static int32_t uidx(const rs_model *m, int u)
{
	char s[16];
	int l = snprintf(s, sizeof s, "u%d", u);
	return rs_model_find_user(m, s, (size_t)l);
}

static int32_t iidx(const rs_model *m, int i)
{
	char s[16];
	int l = snprintf(s, sizeof s, "i%d", i);
	return rs_model_find_item(m, s, (size_t)l);
}

/* PureSVD with k = rank reproduces an exactly low-rank matrix: the user
 * factor . item factor = x_u V V^T e_i = x_ui; V's columns are orthonormal. */
void test_svd_low_rank(void)
{
	double x[NU][NI];
	rank2_matrix(x);
	const char *kv[] = {"factors=2", "oversampling=2", "power_iterations=3", "item_scaling=0",
	                    "threads=1", "weighting=raw"}; /* the matrix's own values */
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_matrix("svd", 6, kv, NU, NI, &x[0][0], &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(m->factors == 2);
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++) {
			double d = 0;
			for (int i = 0; i < NI; i++)
				d += (double)m->item_f[i * 2 + a] * m->item_f[i * 2 + b];
			CHECK(fabs(d - (a == b)) < 1e-5);
		}
	double worst = 0;
	for (int u = 0; u < NU; u++)
		for (int i = 0; i < NI; i++) {
			const float *pu = m->user_f + (size_t)uidx(m, u) * 2, *qi = m->item_f + (size_t)iidx(m, i) * 2;
			double got = (double)pu[0] * qi[0] + (double)pu[1] * qi[1];
			worst = fmax(worst, fabs(got - x[u][i]) / x[u][i]);
		}
	CHECK(worst < 1e-4);
	rs_model_destroy(&m);
}

/* With k = 1, V V^T is the projector on the top right singular vector;
 * the reference finds it by plain power iteration on X^T X in double. */
void test_svd_matches_power_method(void)
{
	double x[NU][NI], v[NI], w[NI];
	uint64_t seed = 3;
	for (int u = 0; u < NU; u++)
		for (int i = 0; i < NI; i++)
			x[u][i] = (u + i) % 3 == 0 ? 0 : 1 + 4 * rs_rand_unit(&seed);
	for (int i = 0; i < NI; i++)
		v[i] = 1;
	for (int it = 0; it < 500; it++) {
		for (int i = 0; i < NI; i++)
			w[i] = 0;
		for (int u = 0; u < NU; u++) {
			double xu = 0;
			for (int i = 0; i < NI; i++)
				xu += x[u][i] * v[i];
			for (int i = 0; i < NI; i++)
				w[i] += x[u][i] * xu;
		}
		double n = 0;
		for (int i = 0; i < NI; i++)
			n += w[i] * w[i];
		for (int i = 0; i < NI; i++)
			v[i] = w[i] / sqrt(n);
	}
	const char *kv[] = {"factors=1", "oversampling=5", "power_iterations=6", "item_scaling=0",
	                    "threads=2", "weighting=raw"};
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_matrix("svd", 6, kv, NU, NI, &x[0][0], &m, &e) == RS_OK);
	if (!m)
		return;
	for (int i = 0; i < NI; i++)
		for (int j = 0; j < NI; j++) {
			double got = (double)m->item_f[iidx(m, i)] * m->item_f[iidx(m, j)];
			CHECK(fabs(got - v[i] * v[j]) < 1e-4);
		}
	rs_model_destroy(&m);
}

/* Every user's held-out in-group item ranks first (two taste groups). */
static void check_blocks(const char *algo, int n, const char *const *kv)
{
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_blocks(algo, n, kv, 20, 16, &m, &e) == RS_OK);
	if (!m)
		return;
	for (int u = 0; u < 20; u++) {
		char us[16], want[16];
		int ul = snprintf(us, sizeof us, "u%d", u), n_out;
		int wl = snprintf(want, sizeof want, "i%d", (u < 10 ? 0 : 8) + u % 8);
		rs_reco out[1];
		size_t l = 0;
		CHECK(rs_recommend(m, us, (size_t)ul, 1, NULL, out, &n_out, &e) == RS_OK && n_out == 1);
		const char *id = rs_model_item_id(m, out[0].item, &l);
		CHECK((int)l == wl && memcmp(id, want, l) == 0 && out[0].source == RS_SRC_MODEL);
	}
	rs_model_destroy(&m);
}

void test_svd_ease_blocks(void)
{
	const char *ks[] = {"factors=2", "threads=2"}, *ke[] = {"regularization=1", "threads=2"};
	check_blocks("svd", 2, ks);
	check_blocks("ease", 2, ke);
	check_blocks("ease", 0, NULL); /* default (data-scaled) regularization */
}

/* Gauss-Jordan inverse of the n x n a (partial pivoting), into inv. */
static void gauss_jordan(double *a, double *inv, int n)
{
	for (int i = 0; i < n * n; i++)
		inv[i] = i % (n + 1) == 0;
	for (int c = 0; c < n; c++) {
		int p = c;
		for (int r = c + 1; r < n; r++)
			if (fabs(a[r * n + c]) > fabs(a[p * n + c]))
				p = r;
		for (int k = 0; k < n; k++) {
			double t = a[c * n + k]; a[c * n + k] = a[p * n + k]; a[p * n + k] = t;
			t = inv[c * n + k]; inv[c * n + k] = inv[p * n + k]; inv[p * n + k] = t;
		}
		double d = a[c * n + c];
		for (int k = 0; k < n; k++) {
			a[c * n + k] /= d;
			inv[c * n + k] /= d;
		}
		for (int r = 0; r < n; r++) {
			if (r == c)
				continue;
			double f = a[r * n + c];
			for (int k = 0; k < n; k++) {
				a[r * n + k] -= f * a[c * n + k];
				inv[r * n + k] -= f * inv[c * n + k];
			}
		}
	}
}

/* B from the model equals I - P / diag(P) with P from Gauss-Jordan, and
 * recommend() scores are x_u B. */
void test_ease_matches_reference(void)
{
	enum { U = 9, I = 7 };
	double x[U][I], g[I * I], p[I * I];
	uint64_t seed = 11;
	for (int u = 0; u < U; u++)
		for (int i = 0; i < I; i++)
			x[u][i] = rs_rand_unit(&seed) < 0.45 ? 0 : (double)(1 + (int)(3 * rs_rand_unit(&seed)));
	const double lambda = 2.5;
	for (int i = 0; i < I; i++)
		for (int j = 0; j < I; j++) {
			g[i * I + j] = 0;
			for (int u = 0; u < U; u++)
				g[i * I + j] += x[u][i] * x[u][j];
			if (i == j) /* ridge lambda + dropout_penalty x G_ii */
				g[i * I + j] += lambda + 0.75 * g[i * I + j];
		}
	gauss_jordan(g, p, I);
	const char *kv[] = {"regularization=2.5", "threads=2", "dropout_penalty=0.75", "weighting=raw"};
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_matrix("ease", 4, kv, U, I, &x[0][0], &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK((int)m->items.n == I && m->dense);
	for (int i = 0; i < I; i++)
		for (int j = 0; j < I; j++) {
			double want = i == j ? 0 : -p[i * I + j] / p[j * I + j];
			CHECK(fabs(m->dense[(size_t)iidx(m, i) * I + iidx(m, j)] - want) < 1e-5);
		}
	for (int u = 0; u < U; u++) {
		char us[16];
		int ul = snprintf(us, sizeof us, "u%d", u), n_out;
		rs_reco out[I];
		if (uidx(m, u) < 0)
			continue;
		CHECK(rs_recommend(m, us, (size_t)ul, I, NULL, out, &n_out, &e) == RS_OK);
		for (int r = 0; r < n_out; r++) {
			size_t l;
			int i = atoi(rs_model_item_id(m, out[r].item, &l) + 1);
			double want = 0;
			CHECK(x[u][i] == 0); /* seen items are excluded */
			for (int k = 0; k < I; k++)
				want += k == i ? 0 : x[u][k] * -p[k * I + i] / p[i * I + i];
			CHECK(fabs(out[r].score - want) < 1e-4);
		}
	}
	rs_model_destroy(&m);
}

/* Save + load gives the same recommendations, for both algorithms. */
void test_svd_ease_round_trip(void)
{
	const char *algos[] = {"svd", "ease"};
	for (int a = 0; a < 2; a++) {
		rs_model *m = NULL, *m2 = NULL;
		rs_error e;
		const char *kv[] = {"threads=1"};
		CHECK(train_blocks(algos[a], 1, kv, 30, 20, &m, &e) == RS_OK);
		unsigned char *blob = NULL;
		size_t len = 0;
		CHECK(m && rs_model_save(m, &blob, &len, &e) == RS_OK);
		CHECK(blob && rs_model_load(blob, len, &m2, &e) == RS_OK);
		if (m2) {
			CHECK(strcmp(rs_model_algorithm(m2), algos[a]) == 0);
			for (int u = 0; u < 30; u++) {
				char us[16];
				int ul = snprintf(us, sizeof us, "u%d", u), n1 = 0, n2 = -1;
				rs_reco r1[5], r2[5];
				CHECK(rs_recommend(m, us, (size_t)ul, 5, NULL, r1, &n1, &e) == RS_OK);
				CHECK(rs_recommend(m2, us, (size_t)ul, 5, NULL, r2, &n2, &e) == RS_OK);
				CHECK(n1 == 5 && n1 == n2 && memcmp(r1, r2, sizeof(rs_reco) * (size_t)n1) == 0);
			}
		}
		rs_free(blob);
		rs_model_destroy(&m);
		rs_model_destroy(&m2);
	}
}

/* EASE refuses a catalog whose matrices exceed max_memory_mb, before
 * allocating them, and says how much it would need. */
void test_ease_memory_limit(void)
{
	rs_model *m = NULL;
	rs_error e = {0};
	const char *kv[] = {"max_memory_mb=1", "threads=1"};
	/* 400 items: 400^2 x 12 bytes = 1.8 MB */
	CHECK(train_blocks("ease", 2, kv, 4, 400, &m, &e) == RS_ELIMIT && m == NULL);
	CHECK(strstr(e.msg, "ease needs about 2 MB for 400 items") != NULL);
	CHECK(strstr(e.msg, "\"max_memory_mb\" = 1") != NULL);
	const char *ok[] = {"max_memory_mb=3", "threads=1"};
	CHECK(train_blocks("ease", 2, ok, 4, 400, &m, &e) == RS_OK && m != NULL);
	rs_model_destroy(&m);
}

/* Out-of-range values, wrong types and foreign keys name the key. */
void test_svd_ease_options(void)
{
	struct { const char *algo, *kv, *want; } cases[] = {
		{"svd", "factors=0", "option \"factors\" must be between 1 and 1024 (got 0)"},
		{"svd", "oversampling=-1", "option \"oversampling\" must be between"},
		{"svd", "power_iterations=1.5", "option \"power_iterations\" must be an integer"},
		{"svd", "item_scaling=abc", "option \"item_scaling\" must be a number"},
		{"svd", "regularization=1", "unknown option \"regularization\" for algorithm \"svd\""},
		{"ease", "regularization=-5", "option \"regularization\" must be between 0 and"},
		{"ease", "regularization_scale=x", "option \"regularization_scale\" must be a number"},
		{"ease", "max_memory_mb=0", "option \"max_memory_mb\" must be between 1 and"},
		{"ease", "factors=8", "unknown option \"factors\" for algorithm \"ease\""},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		opts_buf ob;
		rs_config *cfg = NULL;
		rs_error e = {0};
		CHECK(rs_config_create(cases[c].algo, make_opts(&ob, 1, &cases[c].kv), 1, &cfg, &e) ==
		      RS_EINVAL && cfg == NULL);
		if (!strstr(e.msg, cases[c].want)) {
			fprintf(stderr, "  %s %s: got \"%s\"\n", cases[c].algo, cases[c].kv, e.msg);
			CHECK(0);
		}
	}
	opts_buf ob;
	rs_config *cfg = NULL;
	rs_error e;
	const char *kv[] = {"factors=5", "oversampling=0", "power_iterations=0", "item_scaling=-1"};
	CHECK(rs_config_create("svd", make_opts(&ob, 4, kv), 1, &cfg, &e) == RS_OK);
	rs_config_destroy(&cfg);
}

/* A cancel request during the fit gives RS_ECANCELLED and no model. */
void test_svd_ease_cancel(void)
{
	CHECK(train_cancelled("svd", 2, 500, 300));
	CHECK(train_cancelled("ease", 2, 500, 300));
}
