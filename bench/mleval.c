/*
 * mleval.c - trains through the core API on a MovieLens split (EVAL.md) and
 * prints training seconds and P/R/NDCG/MAP/coverage at 10.
 *
 * Input on stdin: "user item rating order" lines (order = timestamp for
 * ML-100K, fold number for ML-1M). Positives are ratings >= 4. The
 * temporal-20 rule is applied once for test, and with --validation a second
 * time on the training part, so hyper-parameters are chosen without test
 * (given twice, a third time on that training part: a smaller data set, to
 * see how a setting's best value moves with the amount of data).
 *
 * usage: mleval [--validation [--validation] [--random-ties]] [--algo als] [key=value ...]
 */
#include "recsys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct row { int u, i; double t; int test; unsigned tie; } row;

/* Ties in time: by item id (EVAL.md), or with --random-ties in the
 * validation carve by a fixed hash of (user, item). ML-1M's "time" is a
 * fold number, so a user's fold holds many ties, and breaking them by id
 * makes the validation part the user's highest (newest) movie ids of the
 * fold: a biased sample of what the random test split holds. */
static int cmp_row(const void *a, const void *b)
{
	const row *x = a, *y = b;
	if (x->u != y->u) return x->u - y->u;
	if (x->t != y->t) return x->t < y->t ? -1 : 1;
	if (x->tie != y->tie) return x->tie < y->tie ? -1 : 1;
	return x->i - y->i;
}

static unsigned tie_hash(int u, int i)
{
	unsigned long long h = (unsigned long long)(unsigned)u * 0x9E3779B97F4A7C15ULL ^ (unsigned)i;
	h ^= h >> 31; h *= 0xBF58476D1CE4E5B9ULL; h ^= h >> 27;
	return (unsigned)(h >> 32);
}

/* Mark the latest max(1, floor(0.2 n)) positives of users with n >= 5 among
 * rows whose test flag is 0 (rows already flagged stay out). */
static void split(row *r, size_t n, int flag)
{
	qsort(r, n, sizeof *r, cmp_row);
	for (size_t b = 0; b < n;) {
		size_t e = b, cnt = 0;
		while (e < n && r[e].u == r[b].u) { if (r[e].test == 0) cnt++; e++; }
		if (cnt >= 5) {
			size_t nt = cnt / 5 ? cnt / 5 : 1, seen = 0;
			for (size_t k = b; k < e; k++)
				if (r[k].test == 0 && ++seen > cnt - nt)
					r[k].test = flag;
		}
		b = e;
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	int validation = 0, repeat = 1, show_summary = 0, random_ties = 0;
	const char *algo = "als";
	rs_opt kids[32];
	char *keys[32];
	int nk = 0;
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--validation")) { validation++; continue; }
		if (!strcmp(argv[a], "--random-ties")) { random_ties = 1; continue; }
		if (!strcmp(argv[a], "--summary")) { show_summary = 1; continue; }
		if (!strcmp(argv[a], "--algo") && a + 1 < argc) { algo = argv[++a]; continue; }
		if (!strcmp(argv[a], "--repeat") && a + 1 < argc) { repeat = atoi(argv[++a]); continue; }
		char *eq = strchr(argv[a], '=');
		if (!eq || nk == 32) { fprintf(stderr, "bad argument %s\n", argv[a]); return 2; }
		keys[nk] = strndup(argv[a], (size_t)(eq - argv[a]));
		if (!strcmp(keys[nk], "components")) { /* components=als:0.5,itemknn:0.5 */
			static rs_opt parts[16];
			int np = 0;
			for (char *tok = strtok(eq + 1, ","); tok && np < 16; tok = strtok(NULL, ",")) {
				char *colon = strchr(tok, ':');
				if (!colon) { fprintf(stderr, "components: name:weight\n"); return 2; }
				*colon = '\0';
				parts[np++] = (rs_opt){.kind = RS_OPT_NUMBER, .key = tok, .number = atof(colon + 1)};
			}
			kids[nk] = (rs_opt){.kind = RS_OPT_OBJECT, .key = keys[nk], .n_children = (size_t)np,
			                    .children = parts};
			nk++;
			continue;
		}
		if (!strcmp(keys[nk], "algorithms")) { /* algorithms=als,ease (auto) */
			static rs_opt names[16];
			int np = 0;
			for (char *tok = strtok(eq + 1, ","); tok && np < 16; tok = strtok(NULL, ","))
				names[np++] = (rs_opt){.kind = RS_OPT_STRING, .string = tok};
			kids[nk] = (rs_opt){.kind = RS_OPT_ARRAY, .key = keys[nk], .n_children = (size_t)np,
			                    .children = names};
			nk++;
			continue;
		}
		char *end;
		double v = strtod(eq + 1, &end);
		kids[nk] = (rs_opt){.key = keys[nk]};
		if (*end == '\0' && end != eq + 1) { kids[nk].kind = RS_OPT_NUMBER; kids[nk].number = v; }
		else { kids[nk].kind = RS_OPT_STRING; kids[nk].string = eq + 1; }
		nk++;
	}
	rs_opt opts = {.kind = RS_OPT_OBJECT, .n_children = (size_t)nk, .children = kids};

	size_t n = 0, cap = 1 << 20;
	row *r = malloc(cap * sizeof *r);
	int u, i; double rating, t;
	while (scanf("%d %d %lf %lf", &u, &i, &rating, &t) == 4) {
		if (rating < 4) continue;
		if (n == cap) r = realloc(r, (cap *= 2) * sizeof *r);
		r[n++] = (row){u, i, t, 0, 0};
	}
	split(r, n, 1);              /* 1 = test */
	for (int v = 0; v < validation; v++) {
		size_t m = 0;            /* drop test, split the rest (again for each --validation) */
		for (size_t k = 0; k < n; k++) if (r[k].test == 0) r[m++] = r[k];
		n = m;
		for (size_t k = 0; random_ties && k < n; k++) r[k].tie = tie_hash(r[k].u, r[k].i);
		split(r, n, 1);
	}
	rs_error err = {0};
	rs_config *cfg;
	rs_builder *b;
	rs_model *m = NULL;
	char *summary = NULL;
	size_t ntrain = 0, ntest = 0;
	char us[32], is[32];
	double times[16], cpu = 0;
	if (repeat < 1 || repeat > 16) repeat = 1;
	for (int rep = 0; rep < repeat; rep++) {
		rs_model_destroy(&m);
		rs_free(summary);
		if (rs_config_create(algo, &opts, 0, &cfg, &err) || rs_builder_create(cfg, &b, &err)) {
			fprintf(stderr, "error: %s\n", err.msg);
			return 1;
		}
		ntrain = ntest = 0;
		for (size_t k = 0; k < n; k++) {
			if (r[k].test) { ntest++; continue; }
			int ul = snprintf(us, sizeof us, "%d", r[k].u), il = snprintf(is, sizeof is, "%d", r[k].i);
			rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1, r[k].t, &err);
			ntrain++;
		}
		struct timespec c0, c1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		double t0 = now();   /* training time: from rows in the builder to a model */
		if (rs_train(cfg, b, NULL, &m, &summary, &err)) {
			fprintf(stderr, "error: %s\n", err.msg);
			return 1;
		}
		times[rep] = now() - t0;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		cpu = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) * 1e-9;
		if (rep < repeat - 1) { rs_builder_destroy(&b); rs_config_destroy(&cfg); }
	}
	for (int x = 1; x < repeat; x++)       /* median */
		for (int y = x; y > 0 && times[y] < times[y - 1]; y--) {
			double t = times[y]; times[y] = times[y - 1]; times[y - 1] = t;
		}
	double secs = times[repeat / 2];
	int K = 10;
	rs_reco out[10];
	/* the core's metrics (core/metrics.c), as recsys_evaluate computes them */
	rs_rank_metrics ms = {0};
	ms.n_items = rs_model_n_items(m);
	ms.hit_items = calloc(ms.n_items, 1);
	double reco_time = 0;
	int32_t *test_items = malloc(n * sizeof *test_items);
	for (size_t s = 0; s < n;) {
		size_t e = s; int nt = 0;
		while (e < n && r[e].u == r[s].u) {
			if (r[e].test) {
				snprintf(is, sizeof is, "%d", r[e].i);
				int32_t idx = rs_model_find_item(m, is, strlen(is));
				test_items[nt++] = idx;   /* -1: item unseen in training, never a hit */
			}
			e++;
		}
		if (nt > 0) {
			int ul = snprintf(us, sizeof us, "%d", r[s].u);
			int got;
			double r0 = now();
			rs_recommend(m, us, (size_t)ul, K, NULL, out, &got, &err);
			reco_time += now() - r0;
			rs_rank_metrics_add(&ms, out, got, K, test_items, nt);
		}
		s = e;
	}
	int users = ms.users;
	printf("train=%zu test=%zu users=%d items=%zu seconds=%.3f caller_cpu=%.3f P@10=%.4f R@10=%.4f NDCG@10=%.4f MAP@10=%.4f cov@10=%.3f reco_us=%.1f\n",
	       ntrain, ntest, users, rs_model_n_items(m), secs, cpu, ms.precision / users,
	       ms.recall / users, ms.ndcg / users, ms.map / users, rs_rank_metrics_coverage(&ms),
	       reco_time / users * 1e6);
	free(ms.hit_items);
	free(test_items);
	if (show_summary)
		printf("%s\n", summary);
	rs_free(summary);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return 0;
}
