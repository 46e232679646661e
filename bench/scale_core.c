/*
 * scale_core.c - the core alone on a gen_synth set (issue 12, make
 * bench-scale): ALS f=64, 15 iterations, CG 3 steps, alpha 5, the
 * data-scaled regularization, 2 threads; then
 *   - training time (rows in the builder to a model) and the process's peak
 *     RSS (VmHWM: reading the file into the builder, training, the model);
 *   - recall@10 on the held-out items (seen items excluded; the first
 *     --recall-users of them, default all);
 *   - warm recommend(u, 10) latency on one thread, random known users;
 *   - top-10 for the first 100k users, per-user calls on `threads` threads
 *     (users/s; --batch-users 0 skips it).
 * Prints one parseable line per step: "core set=S step=train seconds=..."
 * (key=value tokens). The train line carries the resolved regularization
 * so implicit can be run with the same one.
 *
 * usage: build/scale_core --set NAME --data SET.tsv --heldout SET_heldout.tsv
 *                         [--threads 2] [--calls 2000] [--batch-users 100000]
 *                         [--recall-users N]
 * Build: make bench-tools (build/scale_core).
 */
#include "recsys.h"
#include "timing.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The process's peak resident set (VmHWM), in MB. */
static double peak_mb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double kb = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atof(line + 6);
	fclose(f);
	return kb / 1024;
}

typedef struct batch_part {
	const rs_model *m;
	long first, last; /* users first..last (ids as text) */
	int failed;
} batch_part;

static void *batch_run(void *arg)
{
	batch_part *p = arg;
	rs_reco out[10];
	rs_error err;
	char id[32];
	for (long u = p->first; u <= p->last; u++) {
		int n, len = snprintf(id, sizeof id, "%ld", u);
		if (rs_recommend(p->m, id, (size_t)len, 10, NULL, out, &n, &err) || n != 10)
			p->failed = 1;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *set = "synth", *data = NULL, *heldout = NULL;
	int threads = 2, calls = 2000;
	long batch_users = 100000, recall_users = -1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--set")) set = argv[i + 1];
		else if (!strcmp(argv[i], "--data")) data = argv[i + 1];
		else if (!strcmp(argv[i], "--heldout")) heldout = argv[i + 1];
		else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--calls")) calls = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--batch-users")) batch_users = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--recall-users")) recall_users = atol(argv[i + 1]);
		else { fprintf(stderr, "scale_core: unknown argument %s\n", argv[i]); return 2; }
	}
	if (!data || !heldout || threads < 1 || threads > 64 || calls < 1) {
		fprintf(stderr, "usage: scale_core --set NAME --data SET.tsv --heldout SET_heldout.tsv "
		        "[--threads 2] [--calls 2000] [--batch-users 100000] [--recall-users N]\n");
		return 2;
	}

	rs_opt kids[] = {
		{.kind = RS_OPT_NUMBER, .key = "factors", .number = 64},
		{.kind = RS_OPT_NUMBER, .key = "iterations", .number = 15},
		{.kind = RS_OPT_STRING, .key = "solver", .string = "cg"},
		{.kind = RS_OPT_NUMBER, .key = "cg_steps", .number = 3},
		{.kind = RS_OPT_NUMBER, .key = "alpha", .number = 5},
		{.kind = RS_OPT_NUMBER, .key = "threads", .number = threads},
	};
	rs_opt opts = {.kind = RS_OPT_OBJECT, .n_children = sizeof kids / sizeof kids[0], .children = kids};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *summary = NULL;
	rs_error err;
	if (rs_config_create("als", &opts, threads, &cfg, &err) || rs_builder_create(cfg, &b, &err)) {
		fprintf(stderr, "scale_core: %s\n", err.msg);
		return 1;
	}

	/* rows straight from the file into the builder, ids as the text they are */
	FILE *f = fopen(data, "r");
	if (!f) { perror(data); return 1; }
	char line[256];
	long rows = 0;
	double t_read = now();
	while (fgets(line, sizeof line, f)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2) { fprintf(stderr, "scale_core: bad line %ld in %s\n", rows + 1, data); return 1; }
		if (rs_builder_add(b, line, (size_t)(t1 - line), t1 + 1, (size_t)(t2 - t1 - 1), 1,
		                   atof(t2 + 1), NULL, 0, 0, 0, &err)) {
			fprintf(stderr, "scale_core: %s\n", err.msg);
			return 1;
		}
		rows++;
	}
	fclose(f);
	t_read = now() - t_read;
	double t0 = now();
	if (rs_train(cfg, b, NULL, &m, &summary, &err)) {
		fprintf(stderr, "scale_core: %s\n", err.msg);
		return 1;
	}
	double secs = now() - t0;
	rs_builder_destroy(&b);
	const char *reg = summary ? strstr(summary, "\"regularization\":") : NULL;
	printf("core set=%s step=train rows=%ld users=%zu items=%zu read_seconds=%.2f seconds=%.2f "
	       "peak_mb=%.0f model_mb=%.0f regularization=%.6g\n",
	       set, rows, rs_model_n_users(m), rs_model_n_items(m), t_read, secs, peak_mb(),
	       rs_model_memory(m) / 1048576.0, reg ? atof(reg + strlen("\"regularization\":")) : -1.0);
	fflush(stdout);

	/* recall@10 on the held-out items */
	f = fopen(heldout, "r");
	if (!f) { perror(heldout); return 1; }
	long users = 0, hits = 0;
	rs_reco out[10];
	while ((recall_users < 0 || users < recall_users) && fgets(line, sizeof line, f)) {
		char *tab = strchr(line, '\t');
		int n;
		if (!tab) continue;
		size_t il = strcspn(tab + 1, "\r\n");
		int32_t want = rs_model_find_item(m, tab + 1, il);
		if (rs_recommend(m, line, (size_t)(tab - line), 10, NULL, out, &n, &err)) {
			fprintf(stderr, "scale_core: %s\n", err.msg);
			return 1;
		}
		users++;
		for (int r = 0; r < n; r++)
			if (out[r].item == want) hits++;
	}
	fclose(f);
	printf("core set=%s step=recall users=%ld recall_at_10=%.4f\n", set, users,
	       users ? (double)hits / users : 0.0);
	fflush(stdout);

	/* warm latency: one thread, random known users, fixed seed */
	size_t nu = rs_model_n_users(m);
	double *lat = malloc((size_t)calls * sizeof *lat);
	unsigned long long s = 88172645463325252ULL;
	char id[32];
	for (int c = -calls / 10; c < calls; c++) {
		s ^= s << 13; s ^= s >> 7; s ^= s << 17;
		int n, len = snprintf(id, sizeof id, "%llu", 1 + s % nu);
		double t = now();
		if (rs_recommend(m, id, (size_t)len, 10, NULL, out, &n, &err)) {
			fprintf(stderr, "scale_core: %s\n", err.msg);
			return 1;
		}
		if (c >= 0) lat[c] = (now() - t) * 1e6;
	}
	qsort(lat, (size_t)calls, sizeof *lat, cmp_double);
	printf("core set=%s step=latency calls=%d median_us=%.0f p99_us=%.0f\n", set, calls,
	       lat[calls / 2], lat[(int)(calls * 0.99)]);
	fflush(stdout);

	/* top-10 for the first batch_users users, per-user calls on `threads` threads */
	if (batch_users > (long)nu) batch_users = (long)nu;
	if (batch_users <= 0) {
		free(lat);
		rs_free(summary);
		rs_model_destroy(&m);
		rs_config_destroy(&cfg);
		return 0;
	}
	pthread_t th[64];
	batch_part parts[64];
	double tb = now();
	for (int t = 0; t < threads; t++) {
		parts[t] = (batch_part){m, 1 + batch_users * t / threads, batch_users * (t + 1) / threads, 0};
		pthread_create(&th[t], NULL, batch_run, &parts[t]);
	}
	int failed = 0;
	for (int t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		failed |= parts[t].failed;
	}
	tb = now() - tb;
	if (failed) { fprintf(stderr, "scale_core: a batch call failed or gave short rows\n"); return 1; }
	printf("core set=%s step=batch users=%ld threads=%d seconds=%.2f users_per_s=%.0f\n", set,
	       batch_users, threads, tb, batch_users / tb);
	free(lat);
	rs_free(summary);
	rs_model_destroy(&m);
	rs_config_destroy(&cfg);
	return 0;
}
