/*
 * progress_cost.c - what progress reports cost a training: the same ALS
 * training (reading included) without a progress callback, with one at the
 * default interval (1 s) and with one that ticks at every poll (interval
 * 1e-9 s, the worst case), alternated, median of the runs, with the number
 * of reports each gave.
 *
 *   build/progress_cost USERS ITEMS PER_USER [RUNS] [key=value ...]
 *
 * User u interacts with PER_USER items drawn with a popularity skew (item =
 * ITEMS x r^2, r uniform). key=value pairs are training options. Build: see
 * the comment at the end.
 */
#include "recsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

#define MAX_KV 16

static void count(const rs_progress *p, void *ctx)
{
	(void)p;
	(*(long *)ctx)++;
}

/* One training: returns seconds; *reports gets the report count. */
static double train_once(const rs_opt *opts, int users, int items, int per_user, int mode,
                         long *reports)
{
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *summary = NULL;
	rs_error e;
	*reports = 0;
	rs_callbacks cb = {.progress = mode ? count : NULL, .progress_ctx = reports,
	                   .interval = mode == 2 ? 1e-9 : 0};
	double t0 = now();
	if (rs_config_create("als", opts, 0, &cfg, &e) != RS_OK) {
		fprintf(stderr, "config: %s\n", e.msg);
		exit(1);
	}
	rs_config_watch(cfg, &cb);
	rs_builder_create(cfg, &b, &e);
	uint64_t s = 12345;
	for (int u = 0; u < users; u++) {
		char us[16], is[16];
		int ul = snprintf(us, sizeof us, "u%d", u);
		for (int k = 0; k < per_user; k++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			double r = (double)(s >> 11) / 9007199254740992.0;
			int il = snprintf(is, sizeof is, "i%d", (int)(items * r * r));
			rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &e);
		}
	}
	if (rs_train(cfg, b, &cb, &m, &summary, &e) != RS_OK) {
		fprintf(stderr, "train: %s\n", e.msg);
		exit(1);
	}
	double t = now() - t0;
	rs_free(summary);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: progress_cost USERS ITEMS PER_USER [RUNS] [key=value ...]\n");
		return 2;
	}
	int users = atoi(argv[1]), items = atoi(argv[2]), per_user = atoi(argv[3]);
	int runs = argc > 4 && !strchr(argv[4], '=') ? atoi(argv[4]) : 3;
	rs_opt kids[MAX_KV];
	int n = 0;
	for (int a = 4; a < argc && n < MAX_KV; a++) {
		char *eq = strchr(argv[a], '=');
		if (!eq)
			continue;
		*eq = '\0';
		kids[n++] = (rs_opt){.kind = RS_OPT_NUMBER, .key = argv[a], .number = atof(eq + 1)};
	}
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = (size_t)n, .children = kids};
	static const char *const NAMES[3] = {"no progress callback", "progress, 1 s interval",
	                                     "progress at every poll"};
	double t[3][64];
	long reports[3] = {0};
	if (runs > 64)
		runs = 64;
	for (int r = 0; r < runs; r++)
		for (int mode = 0; mode < 3; mode++)
			t[mode][r] = train_once(&root, users, items, per_user, mode, &reports[mode]);
	printf("| ALS, %d users x %d items, %d rows a user, %d runs | median s | reports |\n"
	       "| --- | --- | --- |\n", users, items, per_user, runs);
	for (int mode = 0; mode < 3; mode++) {
		qsort(t[mode], (size_t)runs, sizeof t[mode][0], cmp_double);
		printf("| %s | %.3f | %ld |\n", NAMES[mode], t[mode][runs / 2], reports[mode]);
	}
	return 0;
}

/*
 * Build (after `make core`):
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Icore bench/progress_cost.c \
 *     build/librecsys_core.a $(pkg-config --libs openblas) -llapacke -lpthread -lm \
 *     -o build/progress_cost
 */
