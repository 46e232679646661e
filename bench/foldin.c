/*
 * foldin.c - time of recommend_for_items() in the core: a model trained on
 * MovieLens positives (ratings >= 4), then sessions of 10 items (10 of a
 * training user's items, users taken in turn) answered with k = 10. Prints
 * microseconds per call (median and mean) beside recommend() for the same
 * users. The target: a 10-item fold-in under 1 ms.
 *
 * Input on stdin: "user,item,rating[,...]" lines (a header line is skipped),
 * e.g. zcat ../shared/data/ml-1m/ratings_no_timestamps.csv.gz | build/foldin
 * usage: foldin [--algo als] [--calls 2000] [key=value ...]  (training options)
 */
#include "recsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timing.h"

/* Median and mean of t[0..n) in microseconds. */
static void report(const char *what, double *t, int n)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	printf("%-32s median %8.1f us  mean %8.1f us  p99 %8.1f us  (%d calls)\n", what,
	       t[n / 2] * 1e6, sum / n * 1e6, t[(int)(n * 0.99)] * 1e6, n);
}

int main(int argc, char **argv)
{
	const char *algo = "als";
	int calls = 2000, nk = 0;
	rs_opt kids[16];
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--algo") && a + 1 < argc) { algo = argv[++a]; continue; }
		if (!strcmp(argv[a], "--calls") && a + 1 < argc) { calls = atoi(argv[++a]); continue; }
		char *eq = strchr(argv[a], '=');
		if (!eq || nk == 16) { fprintf(stderr, "bad argument %s\n", argv[a]); return 2; }
		*eq = '\0';
		kids[nk++] = (rs_opt){.kind = RS_OPT_NUMBER, .key = argv[a], .number = atof(eq + 1)};
	}
	if (calls < 1 || calls > 1000000) calls = 2000;
	rs_opt opts = {.kind = RS_OPT_OBJECT, .n_children = (size_t)nk, .children = kids};
	rs_error err = {0};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *summary = NULL, line[256];
	if (rs_config_create(algo, &opts, 0, &cfg, &err) || rs_builder_create(cfg, &b, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	/* rows are grouped by user in MovieLens: keep each user's first 10 */
	static char sess[8192][10][16];
	static size_t sess_len[8192][10];
	int n_sess = 0, in_sess = 0, last_u = -1;
	while (fgets(line, sizeof line, stdin)) {
		int u, i;
		double rating;
		if (sscanf(line, "%d,%d,%lf", &u, &i, &rating) != 3 || rating < 4)
			continue;
		char us[16], is[16];
		int ul = snprintf(us, sizeof us, "%d", u), il = snprintf(is, sizeof is, "%d", i);
		rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &err);
		if (u != last_u) {
			if (in_sess == 10 && n_sess < 8191) n_sess++;
			in_sess = 0;
			last_u = u;
		}
		if (in_sess < 10) {
			memcpy(sess[n_sess][in_sess], is, (size_t)il + 1);
			sess_len[n_sess][in_sess++] = (size_t)il;
		}
	}
	if (in_sess == 10) n_sess++;
	double t0 = now();
	if (n_sess == 0 || rs_train(cfg, b, NULL, &m, &summary, &err)) {
		fprintf(stderr, "error: %s\n", n_sess ? err.msg : "no input");
		return 1;
	}
	printf("%s: %zu users, %zu items, trained in %.2f s; %d sessions of 10 items\n", algo,
	       rs_model_n_users(m), rs_model_n_items(m), now() - t0, n_sess);
	double *t = malloc((size_t)calls * sizeof *t);
	rs_reco out[10];
	int n = 0;
	for (int c = 0; c < calls; c++) {
		const char *items[10];
		for (int r = 0; r < 10; r++) items[r] = sess[c % n_sess][r];
		double s = now();
		if (rs_recommend_for_items(m, items, sess_len[c % n_sess], 10, 10, NULL, out, &n, &err)) {
			fprintf(stderr, "error: %s\n", err.msg);
			return 1;
		}
		t[c] = now() - s;
	}
	report("recommend_for_items (10 items)", t, calls);
	for (int c = 0; c < calls; c++) {
		char us[16];
		int ul = snprintf(us, sizeof us, "%d", 1 + c % 6040);
		double s = now();
		rs_recommend(m, us, (size_t)ul, 10, NULL, out, &n, &err);
		t[c] = now() - s;
	}
	report("recommend (known user)", t, calls);
	free(t);
	rs_free(summary);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return 0;
}
