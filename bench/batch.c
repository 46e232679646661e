/*
 * batch.c - top-k for many users in the core: rs_recommend_batch against a
 * loop of rs_recommend calls (one thread, and the same loop split over the
 * threads), on a seeded synthetic set the size of issue 12's S: 200k users x
 * 50k items, about 5M rows (Zipf-like item popularity, exponent 0.9;
 * lognormal user activity, median 20; 32 planted topics, 70% of a user's
 * rows from their topic). ALS, 64 factors. Prints users per second.
 *
 * usage: batch gen [users items] > s.csv   the set as "user_id,item_id" lines
 *        batch core [users items] [n]      train, then time n users (100000)
 * bench/batch.sh runs both and the PostgreSQL and SQLite figures.
 */
#include "recsys.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

/* CPU seconds of the whole process (every thread). */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define TOPICS 32

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static double unif(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

/* Index of u in the cumulative weights cdf[0..n). */
static int draw(const double *cdf, int n, double u)
{
	int lo = 0, hi = n - 1;
	u *= cdf[n - 1];
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

typedef void (*row_fn)(void *ctx, int user, int item);

/* The set, row by row: user u's topic is u % TOPICS; items of topic t are
 * t, t + 32, ...; popularity ranks shuffled over the catalogue. */
static void generate(int nu, int ni, row_fn fn, void *ctx)
{
	int per = ni / TOPICS;
	double *cdf = malloc(sizeof(double) * ni), *tcdf = malloc(sizeof(double) * per);
	int *perm = malloc(sizeof(int) * ni);
	for (int r = 0; r < ni; r++) {
		cdf[r] = (r ? cdf[r - 1] : 0) + pow(r + 1.0, -0.9);
		perm[r] = r;
	}
	for (int r = 0; r < per; r++)
		tcdf[r] = (r ? tcdf[r - 1] : 0) + pow(r + 1.0, -0.9);
	for (int r = ni - 1; r > 0; r--) { /* popularity rank -> item */
		int s = (int)(unif() * (r + 1)), t = perm[r];
		perm[r] = perm[s];
		perm[s] = t;
	}
	for (int u = 0; u < nu; u++) {
		int n = (int)lround(exp(log(20.0) + 0.8 * normal()));
		n = n < 1 ? 1 : n > 2000 ? 2000 : n;
		for (int r = 0; r < n; r++) {
			int item = unif() < 0.7 ? (u % TOPICS) + TOPICS * draw(tcdf, per, unif())
			                        : perm[draw(cdf, ni, unif())];
			fn(ctx, u, item);
		}
	}
	free(cdf);
	free(tcdf);
	free(perm);
}

static void print_row(void *ctx, int user, int item)
{
	(void)ctx;
	printf("u%d,i%d\n", user, item);
}

static void add_row(void *ctx, int user, int item)
{
	char us[16], is[16];
	rs_error e;
	int ul = snprintf(us, sizeof us, "u%d", user), il = snprintf(is, sizeof is, "i%d", item);
	rs_builder_add(ctx, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &e);
}

typedef struct loop_arg {
	const rs_model *m;
	int from, to, k;
	rs_reco *out;
} loop_arg;

/* rs_recommend for model users from .. to - 1. */
static void *loop(void *p)
{
	loop_arg *a = p;
	rs_error e;
	for (int u = a->from; u < a->to; u++) {
		size_t len;
		const char *id = rs_model_user_id(a->m, u, &len);
		int n;
		rs_recommend(a->m, id, len, a->k, NULL, a->out + (size_t)(u - a->from) * a->k, &n, &e);
	}
	return NULL;
}

static double loop_seconds(const rs_model *m, int n, int k, int threads)
{
	pthread_t t[8];
	loop_arg a[8];
	double t0 = now();
	for (int q = 0; q < threads; q++) {
		a[q] = (loop_arg){m, n * q / threads, n * (q + 1) / threads, k, NULL};
		a[q].out = malloc(sizeof(rs_reco) * (size_t)(a[q].to - a[q].from) * k);
		pthread_create(&t[q], NULL, loop, &a[q]);
	}
	for (int q = 0; q < threads; q++) {
		pthread_join(t[q], NULL);
		free(a[q].out);
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	int core = argc > 1 && !strcmp(argv[1], "core");
	if (argc < 2 || (!core && strcmp(argv[1], "gen"))) {
		fprintf(stderr, "usage: batch gen|core [users items] [n]\n");
		return 2;
	}
	int nu = argc > 3 ? atoi(argv[2]) : 200000, ni = argc > 3 ? atoi(argv[3]) : 50000;
	int n = argc > 4 ? atoi(argv[4]) : 100000, k = 10;
	if (!core) {
		generate(nu, ni, print_row, NULL);
		return 0;
	}
	rs_error e;
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	rs_opt kids[2] = {{.kind = RS_OPT_NUMBER, .key = "factors", .number = 64},
	                  {.kind = RS_OPT_NUMBER, .key = "iterations", .number = 15}};
	rs_opt opts = {.kind = RS_OPT_OBJECT, .n_children = 2, .children = kids};
	if (rs_config_create("als", &opts, 0, &cfg, &e) != RS_OK || rs_builder_create(cfg, &b, &e) != RS_OK) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	/* BATCH_MODEL=file: keep the trained model there for the next run */
	const char *keep = getenv("BATCH_MODEL");
	FILE *fp = keep ? fopen(keep, "rb") : NULL;
	double t0 = now();
	if (fp) {
		fseek(fp, 0, SEEK_END);
		long len = ftell(fp);
		unsigned char *blob = malloc((size_t)len);
		rewind(fp);
		if (fread(blob, 1, (size_t)len, fp) != (size_t)len || rs_model_load(blob, (size_t)len, &m, &e) != RS_OK)
			return fprintf(stderr, "cannot load %s\n", keep), 1;
		fclose(fp);
		free(blob);
	} else {
		generate(nu, ni, add_row, b);
		if (rs_train(cfg, b, NULL, &m, &sum, &e) != RS_OK) {
			fprintf(stderr, "%s\n", e.msg);
			return 1;
		}
		unsigned char *blob;
		size_t len;
		if (keep && rs_model_save(m, &blob, &len, &e) == RS_OK && (fp = fopen(keep, "wb"))) {
			fwrite(blob, 1, len, fp);
			fclose(fp);
			rs_free(blob);
		}
	}
	printf("set: %zu users x %zu items, %zu rows; ALS f=64 trained (or loaded) in %.1f s\n",
	       rs_model_n_users(m), rs_model_n_items(m), rs_model_n_interactions(m), now() - t0);
	n = (size_t)n > rs_model_n_users(m) ? (int)rs_model_n_users(m) : n;
	rs_reco *out = malloc(sizeof(rs_reco) * (size_t)n * k);
	int *n_out = malloc(sizeof(int) * (size_t)n);
	double tb = now(), cb = cpu_now();
	if (rs_recommend_batch(m, NULL, NULL, 0, (size_t)n, k, NULL, 0, NULL, out, n_out, &e) != RS_OK) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	tb = now() - tb;
	cb = cpu_now() - cb;
	int quick = getenv("BATCH_QUICK") != NULL; /* batch only, while tuning */
	double c1 = cpu_now();
	double t1 = quick ? 1 : loop_seconds(m, n / 4, k, 1) * 4;
	c1 = (cpu_now() - c1) * 4;
	double t2 = quick ? 1 : loop_seconds(m, n, k, 2);
	printf("core rs_recommend_batch, %d users, k=%d:    %8.0f users/s\n", n, k, n / tb);
	printf("core rs_recommend loop, 1 thread:             %8.0f users/s\n", n / t1);
	printf("core rs_recommend loop, 2 threads:            %8.0f users/s\n", n / t2);
	printf("batch / loop on 2 threads:                    %8.2fx\n", t2 / tb);
	/* CPU time does not grow with the load of a shared machine as wall time does */
	printf("users per CPU second: batch %.0f, rs_recommend %.0f (%.2fx)\n", n / cb,
	       quick ? 0 : n / c1, quick ? 0 : c1 / cb);
	free(out);
	free(n_out);
	rs_free(sum);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return 0;
}
