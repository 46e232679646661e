/*
 * rerank.c - the cost of recommend()'s re-ranking options in the core: an
 * ALS model of MovieLens positives (ratings >= 4), then recommend(k = 10)
 * for every user in turn, plain and with every re-ranking option on
 * (upsell, price_sensitivity, repurchase_cycle, diversity,
 * popularity_penalty; candidates 200). Prints microseconds per call and the
 * ratio; the target is at most 2x. A second model without the
 * items table measures diversity by factor cosine (no categories).
 *
 * MovieLens has no prices and this copy no times, so both are synthetic:
 * item i costs 5 + (i * 2654435761 mod 4500) / 100, a user's n-th row is at
 * n days; categories are each movie's first genre (movies.dat).
 *
 * Input on stdin: "user,item,rating[,...]" lines (a header line is skipped).
 * usage: zcat ../shared/data/ml-1m/ratings_no_timestamps.csv.gz |
 *        build/rerank ../shared/data/ml-1m/movies.dat [--calls 6040]
 */
#include "recsys.h"

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of t[0..n) in seconds (sorts t). */
static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	return t[n / 2];
}

/* Each movie's first genre as its category, a synthetic price. */
static int add_items(rs_builder *b, const char *movies, rs_error *err)
{
	FILE *f = fopen(movies, "r");
	char line[512];
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		char *t1 = strstr(line, "::"), *t2 = t1 ? strstr(t1 + 2, "::") : NULL;
		if (!t2)
			continue;
		char *g = t2 + 2;
		size_t gl = strcspn(g, "|\r\n");
		int id = atoi(line);
		char is[16];
		int il = snprintf(is, sizeof is, "%d", id);
		double price = 5 + (double)(((unsigned)id * 2654435761u) % 4500u) / 100;
		if (rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "price", NULL, 0, 1, price, err) ||
		    rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "category", g, gl, 0, 0, err))
			break;
	}
	fclose(f);
	return 1;
}

/* Median times of recommend(k = 10) over `calls` users for each of the
 * nopt option sets, interleaved call by call so that the machine's load
 * weighs on every set alike. */
static void time_calls(const rs_model *m, int calls, int nopt, const rs_opt *const *opts,
                       double *med)
{
	rs_reco out[10];
	rs_error err;
	int n;
	double *t = malloc((size_t)calls * nopt * sizeof *t);
	for (int c = 0; c < calls; c++) {
		char us[16];
		int ul = snprintf(us, sizeof us, "%d", 1 + c % 6040);
		for (int o = 0; o < nopt; o++) {
			double s = now();
			if (rs_recommend(m, us, (size_t)ul, 10, opts[o], out, &n, &err)) {
				fprintf(stderr, "error: %s\n", err.msg);
				exit(1);
			}
			t[(size_t)o * calls + c] = now() - s;
		}
	}
	for (int o = 0; o < nopt; o++)
		med[o] = median(t + (size_t)o * calls, calls);
	free(t);
}

/* An ALS model of the positives in `rows` (u, i pairs; a user's n-th row at
 * n days), with the movies' categories and prices when `movies` is set. */
static rs_model *train(const int *rows, size_t n, const char *movies)
{
	rs_opt kv[2] = {{.kind = RS_OPT_NUMBER, .key = "threads", .number = 2},
	                {.kind = RS_OPT_STRING, .key = "items", .string = "movies"}};
	rs_opt topts = {.kind = RS_OPT_OBJECT, .n_children = movies ? 2 : 1, .children = kv};
	rs_error err = {0};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *summary = NULL;
	if (rs_config_create("als", &topts, 0, &cfg, &err) || rs_builder_create(cfg, &b, &err) ||
	    (movies && !add_items(b, movies, &err))) {
		fprintf(stderr, "error: %s\n", err.msg[0] ? err.msg : "cannot read movies.dat");
		exit(1);
	}
	for (size_t r = 0, nth = 0; r < n; r++) {
		nth = r > 0 && rows[2 * r] == rows[2 * r - 2] ? nth + 1 : 0;
		char us[16], is[16];
		int ul = snprintf(us, sizeof us, "%d", rows[2 * r]);
		int il = snprintf(is, sizeof is, "%d", rows[2 * r + 1]);
		rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1, 86400.0 * nth, &err);
	}
	double t0 = now();
	if (rs_train(cfg, b, NULL, &m, &summary, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		exit(1);
	}
	printf("als%s: %zu users, %zu items, trained in %.2f s\n", movies ? " with categories" : "",
	       rs_model_n_users(m), rs_model_n_items(m), now() - t0);
	rs_free(summary);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return m;
}

int main(int argc, char **argv)
{
	int calls = 6040;
	if (argc < 2) {
		fprintf(stderr, "usage: rerank movies.dat [--calls n] < ratings.csv\n");
		return 2;
	}
	if (argc > 3 && !strcmp(argv[2], "--calls"))
		calls = atoi(argv[3]);
	if (calls < 1 || calls > 1000000)
		calls = 6040;
	size_t n = 0, cap = 1 << 20;
	int *rows = malloc(cap * 2 * sizeof *rows);
	char line[256];
	while (rows && fgets(line, sizeof line, stdin)) {
		int u, i;
		double rating;
		if (sscanf(line, "%d,%d,%lf", &u, &i, &rating) != 3 || rating < 4)
			continue;
		if (n == cap && !(rows = realloc(rows, (cap *= 2) * 2 * sizeof *rows)))
			break;
		rows[2 * n] = u;
		rows[2 * n++ + 1] = i;
	}
	if (!rows || n == 0) {
		fprintf(stderr, "error: no input\n");
		return 1;
	}
	rs_model *m = train(rows, n, argv[1]), *plain = train(rows, n, NULL);
	rs_opt all[5] = {
		{.kind = RS_OPT_NUMBER, .key = "upsell", .number = 0.2},
		{.kind = RS_OPT_BOOL, .key = "price_sensitivity", .boolean = 1},
		{.kind = RS_OPT_BOOL, .key = "repurchase_cycle", .boolean = 1},
		{.kind = RS_OPT_NUMBER, .key = "diversity", .number = 0.3},
		{.kind = RS_OPT_NUMBER, .key = "popularity_penalty", .number = 0.1}};
	rs_opt on = {.kind = RS_OPT_OBJECT, .n_children = 5, .children = all};
	rs_opt div_only = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &all[3]};
	rs_opt no_prices = {.kind = RS_OPT_OBJECT, .n_children = 3, .children = &all[2]};
	const rs_opt *sets[3] = {NULL, &div_only, &on}, *cos_sets[3] = {NULL, &div_only, &no_prices};
	double med[3], cmed[3];
	time_calls(m, calls < 1000 ? calls : 1000, 3, sets, med); /* warm up */
	time_calls(m, calls, 3, sets, med);
	time_calls(plain, calls, 3, cos_sets, cmed);
	printf("| recommend(k = 10), ML-1M als | median us / call | vs plain |\n|---|---|---|\n");
	printf("| plain | %.1f | 1.00x |\n", med[0] * 1e6);
	printf("| diversity 0.3 by category (candidates 200) | %.1f | %.2fx |\n", med[1] * 1e6,
	       med[1] / med[0]);
	printf("| all re-ranking options on (candidates 200) | %.1f | %.2fx |\n", med[2] * 1e6,
	       med[2] / med[0]);
	printf("| no categories: plain | %.1f | 1.00x |\n", cmed[0] * 1e6);
	printf("| no categories: diversity 0.3 by factor cosine | %.1f | %.2fx |\n", cmed[1] * 1e6,
	       cmed[1] / cmed[0]);
	printf("| no categories or prices: repurchase_cycle, diversity, popularity_penalty | %.1f | %.2fx |\n",
	       cmed[2] * 1e6, cmed[2] / cmed[0]);
	free(rows);
	rs_model_destroy(&m);
	rs_model_destroy(&plain);
	return 0;
}
