/* test_qscore.c - int8 item scoring (score.c): the top-k served from it,
 * rescored exactly, equals float32 scoring on random and adversarial
 * vectors, and the AVX2 and portable kernels agree to the bit. */
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A factor model of n items and one user straight from vectors. */
static rs_model *vec_model(const float *items, int32_t n, int32_t f)
{
	rs_model *m = rs_model_alloc();
	rs_error e;
	m->algo = RS_ALGO_SVD;
	m->factors = f;
	m->items.n = (size_t)n;
	m->item_f = malloc(sizeof(float) * (size_t)n * (size_t)f);
	memcpy(m->item_f, items, sizeof(float) * (size_t)n * (size_t)f);
	m->pop = calloc((size_t)n, sizeof(float));
	CHECK(rs_model_prepare(m, &e) == RS_OK);
	return m;
}

static void free_vec_model(rs_model *m)
{
	free(m->item_f);
	m->item_f = NULL;
	m->items.n = 0;
	rs_model_destroy(&m);
}

static const float *g_s;

static int by_score(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	if (g_s[x] != g_s[y])
		return g_s[x] > g_s[y] ? -1 : 1;
	return (x > y) - (x < y);
}

/* The served top-k for u equals the float32 sort (ties to the lower item). */
static int topk_exact(const rs_model *m, const float *u, int k)
{
	int32_t n = (int32_t)m->items.n;
	size_t padded = ((size_t)n + RS_BLK - 1) / RS_BLK * RS_BLK;
	float *s = malloc((padded + 1) * sizeof *s), *ex = malloc((size_t)n * sizeof *ex);
	int32_t *all = malloc((size_t)n * sizeof *all), *order = malloc((size_t)n * sizeof *order);
	rs_reco *out = malloc((size_t)k * sizeof *out);
	for (int32_t i = 0; i < n; i++)
		all[i] = order[i] = i;
	rs_score_exact(m, u, all, n, ex);
	g_s = ex;
	qsort(order, (size_t)n, sizeof *order, by_score);
	rs_score_items(m, u, s);
	int got = rs_exact_topk(m, u, s, n, k, out), ok = got == (k < n ? k : n);
	for (int r = 0; ok && r < got; r++)
		ok = out[r].item == order[r] && out[r].score == ex[order[r]];
	free(s);
	free(ex);
	free(all);
	free(order);
	free(out);
	return ok;
}

static float gauss(uint64_t *seed)
{
	return (float)(sqrt(-2 * log(rs_rand_unit(seed) + 1e-12)) *
	               cos(6.283185307179586 * rs_rand_unit(seed)));
}

/* Random vectors in several shapes: factors not a multiple of 4, catalogues
 * not a multiple of 16, k beyond the catalogue. */
void test_qscore_random(void)
{
	uint64_t seed = 11;
	const int fs[] = {1, 3, 8, 13, 64}, ns[] = {1, 17, 300, 2049};
	for (int a = 0; a < 5; a++)
		for (int b = 0; b < 4; b++) {
			int32_t f = fs[a], n = ns[b];
			float *y = malloc(sizeof(float) * (size_t)n * (size_t)f), u[64];
			for (int32_t i = 0; i < n * f; i++)
				y[i] = gauss(&seed);
			rs_model *m = vec_model(y, n, f);
			for (int t = 0; t < 6; t++) {
				for (int32_t d = 0; d < f; d++)
					u[d] = gauss(&seed);
				CHECK(topk_exact(m, u, 1 + t * 7));
			}
			free_vec_model(m);
			free(y);
		}
}

/* Ties (duplicate items), near-ties, huge and tiny magnitudes side by
 * side, a factor every item leaves at zero, a zero user. */
void test_qscore_adversarial(void)
{
	uint64_t seed = 5;
	int32_t n = 700, f = 12;
	float *y = malloc(sizeof(float) * (size_t)n * (size_t)f), u[12];
	for (int shape = 0; shape < 5; shape++) {
		for (int32_t i = 0; i < n; i++)
			for (int32_t d = 0; d < f; d++) {
				float v = gauss(&seed);
				if (shape == 0) /* exact duplicates in groups of 7 */
					v = y[(size_t)(i / 7 * 7 == i ? i : i / 7 * 7) * f + d];
				if (shape == 0 && i % 7 == 0)
					v = (float)(int)(gauss(&seed) * 3);
				if (shape == 1) /* near-ties: one direction, tiny spread */
					v = (d == 0 ? 1.0f : 0.0f) + 1e-6f * gauss(&seed);
				if (shape == 2) /* magnitudes from 1e-20 to 1e15 */
					v *= powf(10.0f, (float)(i % 36) - 20.0f);
				if (shape == 3 && d == 5) /* a factor that is zero everywhere */
					v = 0;
				if (shape == 4 && i % 50) /* nearly all tiny, a few huge */
					v *= 1e-12f;
				y[(size_t)i * f + d] = v;
			}
		rs_model *m = vec_model(y, n, f);
		for (int t = 0; t < 8; t++) {
			for (int32_t d = 0; d < f; d++)
				u[d] = t == 7 ? 0.0f : gauss(&seed) * (shape == 2 ? 1e3f : 1.0f);
			if (shape == 1)
				u[0] = fabsf(u[0]) + 1;
			CHECK(topk_exact(m, u, t == 0 ? 1 : 10 + t * 20));
		}
		free_vec_model(m);
	}
	free(y);
}

/* The AVX2 kernel (when the CPU has it) and the portable one agree. */
void test_qscore_kernels_agree(void)
{
	uint64_t seed = 9;
	int32_t n = 333, f = 37;
	float *y = malloc(sizeof(float) * (size_t)n * (size_t)f), u[37];
	for (int32_t i = 0; i < n * f; i++)
		y[i] = gauss(&seed);
	for (int32_t d = 0; d < f; d++)
		u[d] = gauss(&seed);
	rs_model *m = vec_model(y, n, f);
	size_t padded = ((size_t)n + RS_BLK - 1) / RS_BLK * RS_BLK;
	float *a = calloc(padded, sizeof *a), *b = calloc(padded, sizeof *b);
	rs_score_items(m, u, a);
	rs_score_portable = 1;
	rs_score_items(m, u, b);
	rs_score_portable = 0;
	CHECK(memcmp(a, b, (size_t)n * sizeof *a) == 0);
	/* and the bound holds for every item */
	float bound = rs_score_error_bound(m, u);
	for (int32_t i = 0; i < n; i++) {
		float ex;
		rs_score_exact(m, u, &i, 1, &ex);
		CHECK(fabsf(ex - a[i]) <= bound);
	}
	free(a);
	free(b);
	free_vec_model(m);
	free(y);
}
