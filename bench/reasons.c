/*
 * reasons.c - what the `reason` column costs recommend() in the core: a
 * model trained on MovieLens positives (ratings >= 4), recommend() with
 * k = 10 for users taken in turn (it names each row's history item,
 * core/reasons.c), beside the naming step alone on the same rows
 * (rs_reasons_for_user). Prints microseconds per call and the share.
 *
 * Input on stdin: "user,item,rating[,...]" lines (a header line is skipped),
 * e.g. zcat ../shared/data/ml-1m/ratings_no_timestamps.csv.gz | build/reasons
 * usage: reasons [--algo als] [--calls 2000]
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timing.h"

/* Median of t[0..n) in microseconds (sorts t). */
static double median_us(double *t, int n)
{
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	return t[n / 2] * 1e6;
}

/* The model of `algo` from the ratings on stdin, or NULL. */
static rs_model *train_stdin(const char *algo)
{
	rs_error err = {0};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *summary = NULL, line[256];
	if (rs_config_create(algo, NULL, 0, &cfg, &err) || rs_builder_create(cfg, &b, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		return NULL;
	}
	while (fgets(line, sizeof line, stdin)) {
		int u, i;
		double rating;
		if (sscanf(line, "%d,%d,%lf", &u, &i, &rating) != 3 || rating < 4)
			continue;
		char us[16], is[16];
		int ul = snprintf(us, sizeof us, "%d", u), il = snprintf(is, sizeof is, "%d", i);
		rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &err);
	}
	if (rs_train(cfg, b, NULL, &m, &summary, &err))
		fprintf(stderr, "error: %s\n", err.msg);
	rs_free(summary);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return m;
}

int main(int argc, char **argv)
{
	const char *algo = "als";
	int calls = 2000;
	for (int a = 1; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--algo")) algo = argv[a + 1];
		else if (!strcmp(argv[a], "--calls")) calls = atoi(argv[a + 1]);
	}
	if (calls < 1 || calls > 1000000) calls = 2000;
	rs_model *m = train_stdin(algo);
	if (!m)
		return 1;
	double *all = malloc((size_t)calls * sizeof *all), *fill = malloc((size_t)calls * sizeof *fill);
	double *sc = malloc((size_t)calls * sizeof *sc), *rk = malloc((size_t)calls * sizeof *rk);
	size_t padded = (m->items.n + 16) / 16 * 16 + 16;
	float *scores = malloc(padded * sizeof *scores);
	rs_reco out[10];
	rs_error err = {0};
	int n = 0;
	for (int c = 0; c < calls; c++) {
		int32_t u = (int32_t)(c % (int)m->users.n);
		size_t len;
		const char *id = rs_idmap_get(&m->users, u, &len);
		double s = now();
		if (rs_recommend(m, id, len, 10, NULL, out, &n, &err)) {
			fprintf(stderr, "error: %s\n", err.msg);
			return 1;
		}
		double e = now();
		rs_reasons_for_user(m, u, out, n);
		fill[c] = now() - e;
		all[c] = e - s;
		/* the steps alone: scoring every item, then the pipeline's top k */
		if (m->factors > 0) {
			const float *uv = m->user_f + (size_t)u * m->factors;
			rs_rank_ctx ctx = {.exclude_history = 1, .fn = "recommend", .source = RS_SRC_MODEL,
			                   .items = m->seen.indices + m->seen.indptr[u],
			                   .n = (int32_t)(m->seen.indptr[u + 1] - m->seen.indptr[u])};
			double t0 = now();
			rs_score_items(m, uv, scores);
			double t1 = now();
			rs_rank(m, &ctx, scores, uv, 10, NULL, out, &n, &err);
			rk[c] = now() - t1;
			sc[c] = t1 - t0;
		}
	}
	double a = median_us(all, calls), f = median_us(fill, calls);
	printf("%s: %zu users, %zu items; recommend() k=10 median %.1f us, of which naming the "
	       "reasons' history items %.1f us (%.0f%%)\n",
	       algo, m->users.n, m->items.n, a, f, 100.0 * f / a);
	if (m->factors > 0) {
		double ms = median_us(sc, calls), mr = median_us(rk, calls);
		printf("  breakdown: scoring every item %.1f us, exclusions + top k + exact rescoring %.1f us, "
		       "reasons %.1f us, the rest (lookup, options, buffers) %.1f us\n",
		       ms, mr, f, a - ms - mr - f > 0 ? a - ms - mr - f : 0);
	}
	free(all);
	free(fill);
	free(sc);
	free(rk);
	free(scores);
	rs_model_destroy(&m);
	return 0;
}
