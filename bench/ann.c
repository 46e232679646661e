/*
 * ann.c - exact and approximate top-10 over large synthetic catalogues
 * (issue 12 item 2), through the core's scoring directly.
 *
 * Item and user vectors come from a seeded generator with planted topic
 * structure (gen below): 256 topic directions; an item is its topic's
 * direction times a log-normal popularity plus noise, a user a blend of
 * two topics plus noise. Prints, per catalogue size: exact top-10 time
 * (int8 scan + exact rescoring, median over users), how often the first
 * k + 24 candidates did not prove the top k (serve.c rescues those), then
 * the IVF index (ivf.c): build time, and per probe count the recall@10
 * against exact, the median time per query and the speed-up over exact.
 * Bench figures move with the machine's load: compare within one run.
 *
 * usage: build/bench_ann [--items 3533,50000,200000,1000000] [--factors 64]
 *                        [--users 200] [--noise 0.6]
 * build and run: make bench-ann (or by hand: gcc -std=c11 -O2 -D_GNU_SOURCE -Icore -Ibench bench/ann.c \
 *          build/librecsys_core.a $(pkg-config --libs openblas) -llapacke -lpthread -lm
 *          -o build/bench_ann)
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
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
static double noise = 0.6; /* --noise: users' noise against their topics */

/* n vectors of f factors: topic direction x scale + noise. */
static void gen(float *out, size_t n, int f, const float *topic, int users)
{
	for (size_t i = 0; i < n; i++) {
		int t = (int)(unif() * TOPICS), t2 = (int)(unif() * TOPICS);
		double scale = users ? 1.0 : exp(0.5 * gauss());
		for (int d = 0; d < f; d++) {
			double v = topic[t * f + d] * scale + 0.5 * gauss() / sqrt(f);
			if (users)
				v = 0.6 * topic[t * f + d] + 0.4 * topic[t2 * f + d] + noise * gauss() / sqrt(f);
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

/* The index on m: build time, then recall@10 and time per probe count. */
static char ivf_table[8192];
static size_t ivf_len;

static void ivf_rows(rs_model *m, int nu, int k, double exact_ms, double *t)
{
	size_t ni = m->items.n;
	int f = m->factors;
	rs_error err = {0};
	rs_train_ctx ctx = {0};
	atomic_init(&ctx.stop, 0);
	double t0 = now();
	if (rs_ivf_build(&ctx, m, 0, 7, &err) != RS_OK || rs_ivf_prepare(m, &err) != RS_OK) {
		fprintf(stderr, "ivf: %s\n", err.msg);
		exit(1);
	}
	double build = now() - t0;
	size_t padded = (ni + RS_BLK - 1) / RS_BLK * RS_BLK + RS_BLK;
	float *scores = malloc(padded * sizeof *scores);
	int32_t (*truth)[10] = malloc(sizeof *truth * (size_t)nu);
	rs_reco out[64];
	for (int u = 0; u < nu; u++) {
		const float *uv = m->user_f + (size_t)u * f;
		rs_score_items(m, uv, scores);
		rs_exact_topk(m, uv, scores, (int32_t)ni, k, out);
		for (int r = 0; r < k; r++)
			truth[u][r] = out[r].item;
	}
	const int probes[] = {4, 8, 16, 32, 64, 128};
	for (int p = 0; p < 6; p++) {
		if (probes[p] > m->ivf_nlist)
			break;
		rs_ivf_query q = {NULL, NULL, 0, probes[p]};
		int hit = 0;
		for (int u = 0; u < nu; u++) {
			const float *uv = m->user_f + (size_t)u * f;
			double t1 = now();
			int n = rs_ivf_search(m, uv, &q, k + 24, out);
			t[u] = (now() - t1) * 1e3;
			for (int r = 0; r < k && r < n; r++)
				for (int j = 0; j < k; j++)
					hit += out[r].item == truth[u][j];
		}
		double ms = median(t, nu);
		ivf_len += (size_t)snprintf(ivf_table + ivf_len, sizeof ivf_table - ivf_len,
		                            "| %zu | %d | %.1f | %d | %.3f | %.3f | %.1fx |\n", ni,
		                            m->ivf_nlist, build, probes[p], (double)hit / (nu * k), ms,
		                            exact_ms / ms);
	}
	free(scores);
	free(truth);
}

/* The machine's read bandwidth in this run: the median of 5 sums over 64 MB
 * (as many bytes as the int8 codes of 1M items x 64 factors), the floor a
 * full int8 scan cannot beat whatever its kernel. */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) /* as wide as the scan's loads (score.c) */
#endif
static double read_gbps(void)
{
	typedef uint64_t v4 __attribute__((vector_size(32)));
	size_t n = (size_t)64 << 20, vecs = n / sizeof(v4);
	v4 *a = aligned_alloc(64, n);
	uint64_t sum = 0;
	double t[5];
	if (!a)
		return NAN;
	memset(a, 1, n);
	for (int r = 0; r < 5; r++) {
		double t0 = now();
		v4 s0 = {0}, s1 = {0}; /* two chains, 32-byte loads */
		for (size_t i = 0; i + 1 < vecs; i += 2) {
			s0 += a[i];
			s1 += a[i + 1];
		}
		t[r] = now() - t0;
		s0 += s1;
		sum += s0[0] ^ s0[1] ^ s0[2] ^ s0[3];
	}
	free(a);
	double ms = median(t, 5) * 1e3;
	return sum == 1 ? 0 : (double)n / (ms * 1e-3) / 1e9;
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
		else if (!strcmp(argv[a], "--noise"))
			noise = atof(argv[a + 1]);
	}
	double gbps = read_gbps();
	printf("read bandwidth of one thread in this run: %.1f GB/s (64 MB summed, median of 5)\n\n", gbps);
	printf("| items | factors | exact top-%d (ms, median) | int8 scan alone (ms) | scan GB/s (of the read bandwidth) | k + 24 not enough |\n"
	       "| ---: | ---: | ---: | ---: | ---: | ---: |\n", k);
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
			int W = k + 24;
			double line = rs_topk(scores, (int32_t)ni, W, idx, val) == W
			              ? (double)val[W - 1] + rs_score_error_bound(m, uv) : INFINITY;
			slow += !((double)out[k - 1].score > line);
		}
		double exact_ms = median(te, nu);
		double scan_ms = median(ts, nu);
		double scan_gbps = (double)((ni + RS_BLK - 1) / RS_BLK) * rs_qblock_bytes(m) / (scan_ms * 1e-3) / 1e9;
		printf("| %zu | %d | %.3f | %.3f | %.1f (%.0f%%) | %.0f%% |\n", ni, f, exact_ms, scan_ms,
		       scan_gbps, 100.0 * scan_gbps / gbps, 100.0 * slow / nu);
		fflush(stdout);
		ivf_rows(m, nu, k, exact_ms, te);
		fflush(stdout);
		free(scores);
		free(te);
		free(ts);
	}
	free(list);
	printf("\n| items | lists | build (s) | probes | recall@%d | ms per query (median) | vs exact |\n"
	       "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n%s", k, ivf_table);
	return 0;
}
