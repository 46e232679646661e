/*
 * cancel_gaps.c - how long the core runs between two polls of the cancel
 * callback, per algorithm, on synthetic data; and, with --cancel-at, how
 * long a training takes to return after the callback first says "stop".
 *
 *   build/cancel_gaps ALGO USERS ITEMS PER_USER [--cancel-at MS] [--items-table]
 *                     [--where] [--evaluate] [key=value ...]
 *
 * User u interacts with PER_USER items drawn with a popularity skew
 * (item = ITEMS x r^2, r uniform; repeats merge). --items-table adds an
 * items table (a category, a price and a title of five words from a
 * 3,000-word vocabulary) for content, bpr and warp. key=value pairs are
 * training options (numbers when they parse). Prints the time to fill the
 * builder, the training time, the number of polls, the delay to the first
 * poll, the five longest gaps (with when each began) and the gap after the
 * last poll. --evaluate runs rs_evaluate (k = 10) instead of rs_train: the
 * hold-out split, the training and the scoring of the test users.
 * --where adds the call stacks of the polls around each of
 * those gaps, as addresses (build with -g -no-pie and read them with
 * addr2line -f -e build/cancel_gaps). Build: see the comment at the end.
 */
#include "recsys.h"

#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

#define MAX_POLLS 4000000
#define DEPTH 6 /* --where: return addresses kept per poll */

typedef struct probe {
	double t0;            /* rs_train's start */
	double cancel_at;     /* seconds after t0, or < 0: never */
	double asked;         /* when the callback first said stop (0: never) */
	double *at;           /* poll times */
	void **where;         /* --where: DEPTH return addresses per poll, or NULL */
	long n;
} probe;

static int poll_cb(void *arg)
{
	probe *p = arg;
	double t = now();
	if (p->n < MAX_POLLS) {
		if (p->where) {
			void *bt[DEPTH + 1] = {0};
			int got = backtrace(bt, DEPTH + 1);
			for (int k = 0; k < DEPTH; k++)
				p->where[p->n * DEPTH + k] = k + 1 < got ? bt[k + 1] : NULL;
		}
		p->at[p->n++] = t;
	}
	if (p->cancel_at >= 0 && t - p->t0 >= p->cancel_at) {
		if (!p->asked)
			p->asked = t;
		return 1;
	}
	return 0;
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double unit(uint64_t *s) { return (double)(next(s) >> 11) / 9007199254740992.0; }

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s ALGO USERS ITEMS PER_USER [--cancel-at MS] [--items-table] "
		        "[key=value ...]\n", argv[0]);
		return 2;
	}
	const char *algo = argv[1];
	int nu = atoi(argv[2]), ni = atoi(argv[3]), per = atoi(argv[4]), items_table = 0, where = 0;
	int evaluate = 0;
	probe p = {.cancel_at = -1};
	static rs_opt kids[32];
	static char keys[32][64], vals[32][256];
	int nk = 0;
	for (int a = 5; a < argc; a++) {
		if (!strcmp(argv[a], "--cancel-at") && a + 1 < argc) {
			p.cancel_at = atof(argv[++a]) / 1000.0;
			continue;
		}
		if (!strcmp(argv[a], "--evaluate")) {
			evaluate = 1;
			continue;
		}
		if (!strcmp(argv[a], "--where")) {
			where = 1;
			continue;
		}
		if (!strcmp(argv[a], "--items-table")) {
			items_table = 1;
			continue;
		}
		const char *eq = strchr(argv[a], '=');
		if (!eq || nk == 32) {
			fprintf(stderr, "bad argument %s\n", argv[a]);
			return 2;
		}
		snprintf(keys[nk], sizeof keys[nk], "%.*s", (int)(eq - argv[a]), argv[a]);
		snprintf(vals[nk], sizeof vals[nk], "%s", eq + 1);
		char *end;
		double v = strtod(vals[nk], &end);
		kids[nk] = (rs_opt){.key = keys[nk]};
		if (*end == '\0' && end != vals[nk]) {
			kids[nk].kind = RS_OPT_NUMBER;
			kids[nk].number = v;
		} else {
			kids[nk].kind = RS_OPT_STRING;
			kids[nk].string = vals[nk];
		}
		nk++;
	}
	if (items_table) { /* the binding would set it to the table's source text */
		snprintf(keys[nk], sizeof keys[nk], "items");
		kids[nk] = (rs_opt){.key = keys[nk], .kind = RS_OPT_STRING, .string = "items"};
		nk++;
	}
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = (size_t)nk, .children = kids};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_error e;
	if (rs_config_create(algo, &root, 0, &cfg, &e) != RS_OK ||
	    rs_builder_create(cfg, &b, &e) != RS_OK) {
		fprintf(stderr, "error: %s\n", e.msg);
		return 1;
	}
	double t = now();
	uint64_t s = 88172645463325252ULL;
	for (int u = 0; u < nu; u++) {
		char us[16], is[16];
		int ul = snprintf(us, sizeof us, "u%d", u);
		for (int k = 0; k < per; k++) {
			double r = unit(&s);
			int i = (int)(ni * r * r);
			int il = snprintf(is, sizeof is, "i%d", i);
			if (rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1,
			                   1e9 + u + k, &e) != RS_OK) {
				fprintf(stderr, "error: %s\n", e.msg);
				return 1;
			}
		}
	}
	for (int i = 0; items_table && i < ni; i++) {
		char is[16], cat[16], title[128];
		int il = snprintf(is, sizeof is, "i%d", i), cl = snprintf(cat, sizeof cat, "c%d", i % 40);
		int tl = 0;
		for (int w = 0; w < 5; w++)
			tl += snprintf(title + tl, sizeof title - (size_t)tl, "%sw%d", w ? " " : "",
			               (int)(3000 * unit(&s) * unit(&s)));
		rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "category", cat, (size_t)cl, 0, 0, &e);
		rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "title", title, (size_t)tl, 0, 0, &e);
		rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "price", NULL, 0, 1, 1 + i % 97, &e);
	}
	printf("%s: %d users x %d items, %d per user; rows in %.2f s\n", algo, nu, ni, per, now() - t);
	p.at = malloc(MAX_POLLS * sizeof *p.at);
	if (where)
		p.where = calloc((size_t)MAX_POLLS * DEPTH, sizeof *p.where);
	rs_callbacks cb = {.cancel = poll_cb, .ctx = &p};
	rs_model *m = NULL;
	char *summary = NULL;
	rs_eval_result er;
	p.t0 = now();
	rs_status st = evaluate ? rs_evaluate(cfg, b, 10, &cb, &er, &e)
	                        : rs_train(cfg, b, &cb, &m, &summary, &e);
	double end = now();
	printf("status %s%s%s; training %.2f s, %ld polls\n", rs_status_str(st), st ? ": " : "",
	       st ? e.msg : "", end - p.t0, p.n);
	if (p.asked)
		printf("cancel asked at %.3f s, returned %.3f s later\n", p.asked - p.t0, end - p.asked);
	/* gaps: before the first poll, between polls, after the last */
	double best[5] = {0}, when[5] = {0};
	long after[5] = {0};
	for (long k = 0; k <= p.n; k++) {
		double a = k ? p.at[k - 1] : p.t0, z = k < p.n ? p.at[k] : end, g = z - a;
		for (int r = 0; r < 5; r++)
			if (g > best[r]) {
				memmove(best + r + 1, best + r, (size_t)(4 - r) * sizeof *best);
				memmove(when + r + 1, when + r, (size_t)(4 - r) * sizeof *when);
				memmove(after + r + 1, after + r, (size_t)(4 - r) * sizeof *after);
				best[r] = g;
				when[r] = a - p.t0;
				after[r] = k;
				break;
			}
	}
	printf("first poll after %.3f s; longest gaps:", p.n ? p.at[0] - p.t0 : end - p.t0);
	for (int r = 0; r < 5 && best[r] > 0; r++)
		printf(" %.3f s (at %.2f)", best[r], when[r]);
	printf("; after the last poll %.3f s\n", p.n ? end - p.at[p.n - 1] : 0.0);
	/* --where: the call stacks of the polls that open and close each of
	 * the longest gaps (addresses for addr2line -f -e PROGRAM) */
	for (int r = 0; p.where && r < 5 && best[r] > 0; r++) {
		printf("gap %.3f s:", best[r]);
		for (int side = 0; side < 2; side++) {
			long k = after[r] - 1 + side;
			printf(" %s", side ? "| until" : "from");
			for (int d = 0; k >= 0 && k < p.n && d < DEPTH; d++)
				printf(" %p", p.where[k * DEPTH + d]);
		}
		printf("\n");
	}
	free(p.where);
	free(p.at);
	rs_free(summary);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return 0;
}

/*
 * Build (after `make core`):
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Icore bench/cancel_gaps.c \
 *     build/librecsys_core.a $(pkg-config --libs openblas) -llapacke -lpthread -lm \
 *     -o build/cancel_gaps
 */
