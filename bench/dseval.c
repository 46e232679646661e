/*
 * dseval.c - one dataset, one split, one algorithm: trains through the core
 * API and prints one line of figures (the dataset bench, bench/datasets.sh).
 *
 * Input: a uniform TSV `user \t item \t weight \t event \t ts` (datasets.sh
 * writes one per dataset; an empty weight is 1, an empty event or ts is
 * none). Splits (/work/notes/i13/global_time.md, EVAL.md):
 *   user         per user with n >= 5 distinct items, the latest
 *                max(1, floor(n / 5)) by (time, item id) are held out; without
 *                a time column a hash of (user, item) orders them instead
 *   global_time  rows sorted by time, T = the time of the row at 0-based
 *                floor(0.8 n) (ties: the start of its block of equal times
 *                or the next time, whichever is nearer 20%); training = rows with ts < T; target = per user,
 *                items of rows at or after T that the user's training rows do
 *                not hold; users with both are evaluated
 * --validation applies the same rule again to the training part (tuning
 * never looks at the test part). Rows with an event get the event weights of
 * --events (default view:1,purchase:3; see bench/README.md "Datasets").
 *
 * --items FILE (`item \t column \t text`, datasets.sh's NAME.items.tsv) hands
 * item attributes to the builder as an items table (for content).
 *
 * usage: dseval --data FILE [--name NAME] [--split user|global_time] [--items FILE]
 *               [--validation] [--events view:1,purchase:3] [--algo X] [key=value ...]
 * key=value: numbers, strings, components=als:0.5,itemknn:0.5, algorithms=als,ease
 */
#include "recsys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- interned ids ---- */
typedef struct names { char **s; size_t n, cap; int32_t *slot; size_t nslot; } names;

static unsigned long long hash_bytes(const char *s)
{
	unsigned long long h = 1469598103934665603ULL;
	for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int32_t intern(names *t, const char *s)
{
	if (t->n * 2 >= t->nslot) {
		size_t ns = t->nslot ? t->nslot * 2 : 1 << 16;
		int32_t *slot = malloc(ns * sizeof *slot);
		for (size_t k = 0; k < ns; k++) slot[k] = -1;
		for (size_t k = 0; k < t->n; k++) {
			size_t p = hash_bytes(t->s[k]) & (ns - 1);
			while (slot[p] >= 0) p = (p + 1) & (ns - 1);
			slot[p] = (int32_t)k;
		}
		free(t->slot);
		t->slot = slot;
		t->nslot = ns;
	}
	size_t p = hash_bytes(s) & (t->nslot - 1);
	while (t->slot[p] >= 0) {
		if (!strcmp(t->s[t->slot[p]], s)) return t->slot[p];
		p = (p + 1) & (t->nslot - 1);
	}
	if (t->n == t->cap) t->s = realloc(t->s, (t->cap = t->cap ? t->cap * 2 : 1024) * sizeof *t->s);
	t->s[t->n] = strdup(s);
	t->slot[p] = (int32_t)t->n;
	return (int32_t)t->n++;
}

/* ---- rows ---- */
typedef struct row { int32_t u, i, ev; float w; double ts; int part; } row;
enum { TRAIN = 0, TEST = 1, GONE = 2 };   /* GONE: a test row of an earlier split */

static unsigned mix(int32_t u, int32_t i)
{
	unsigned long long h = (unsigned long long)(unsigned)u * 0x9E3779B97F4A7C15ULL ^ (unsigned)i;
	h ^= h >> 31; h *= 0xBF58476D1CE4E5B9ULL; h ^= h >> 27;
	return (unsigned)(h >> 32);
}

/* one (user, item) pair of the user split: its latest time */
typedef struct pair { int32_t u, i; double ts; unsigned tie; size_t first; } pair;

static names items_tab;   /* for ties by item id: compare the ids' text as numbers when they are */

static int cmp_item_id(int32_t a, int32_t b)
{
	const char *x = items_tab.s[a], *y = items_tab.s[b];
	char *ex, *ey;
	double dx = strtod(x, &ex), dy = strtod(y, &ey);
	if (!*ex && !*ey && ex != x && ey != y && dx != dy) return dx < dy ? -1 : 1;
	return strcmp(x, y);
}

static int cmp_pair(const void *a, const void *b)
{
	const pair *x = a, *y = b;
	if (x->u != y->u) return x->u < y->u ? -1 : 1;
	if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
	if (x->tie != y->tie) return x->tie < y->tie ? -1 : 1;
	return cmp_item_id(x->i, y->i);
}

static int cmp_row_ui(const void *a, const void *b)
{
	const row *x = a, *y = b;
	if (x->u != y->u) return x->u < y->u ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* The user split on rows whose part is TRAIN: pairs of held-out items turn TEST. */
static void split_user(row *r, size_t n, int has_ts)
{
	qsort(r, n, sizeof *r, cmp_row_ui);
	pair *p = malloc((n + 1) * sizeof *p);
	size_t np = 0;
	for (size_t k = 0; k < n; k++) {
		if (r[k].part != TRAIN) continue;
		if (np && p[np - 1].u == r[k].u && p[np - 1].i == r[k].i) {
			if (r[k].ts > p[np - 1].ts) p[np - 1].ts = r[k].ts;
			continue;
		}
		p[np++] = (pair){r[k].u, r[k].i, has_ts ? r[k].ts : 0, has_ts ? 0 : mix(r[k].u, r[k].i), k};
	}
	qsort(p, np, sizeof *p, cmp_pair);
	for (size_t b = 0; b < np;) {
		size_t e = b;
		while (e < np && p[e].u == p[b].u) e++;
		size_t cnt = e - b;
		if (cnt >= 5) {
			size_t nt = cnt / 5 ? cnt / 5 : 1;
			for (size_t k = e - nt; k < e; k++)   /* every row of the pair */
				for (size_t q = p[k].first; q < n && r[q].u == p[k].u && r[q].i == p[k].i; q++)
					if (r[q].part == TRAIN) r[q].part = TEST;
		}
		b = e;
	}
	free(p);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The global-time split on TRAIN rows: rows at or after T turn TEST. */
static double split_global(row *r, size_t n)
{
	size_t m = 0;
	double *t = malloc((n + 1) * sizeof *t);
	for (size_t k = 0; k < n; k++) if (r[k].part == TRAIN) t[m++] = r[k].ts;
	qsort(t, m, sizeof *t, cmp_double);
	size_t pos = (size_t)floor(0.8 * (double)m), lo = pos, hi = pos;
	/* ties at the cut (core/time_cut.c's rule): the block start or the next
	 * time, whichever leaves the target nearer 20% of the rows */
	while (lo > 0 && t[lo - 1] == t[pos]) lo--;
	while (hi < m && t[hi] == t[pos]) hi++;
	double want = 0.2 * (double)m;
	int up = lo < pos && hi < m && fabs((double)(m - hi) - want) <= fabs((double)(m - lo) - want);
	double cut = t[up ? hi : lo];
	free(t);
	for (size_t k = 0; k < n; k++)
		if (r[k].part == TRAIN && r[k].ts >= cut) r[k].part = TEST;
	return cut;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Split "a:1,b:2" into an object of numbers (components, event weights). */
static rs_opt parse_map(const char *key, char *text, rs_opt *parts, int cap)
{
	int np = 0;
	for (char *tok = strtok(text, ","); tok && np < cap; tok = strtok(NULL, ",")) {
		char *colon = strchr(tok, ':');
		if (!colon) { fprintf(stderr, "%s: name:weight,...\n", key); exit(2); }
		*colon = '\0';
		parts[np++] = (rs_opt){.kind = RS_OPT_NUMBER, .key = tok, .number = atof(colon + 1)};
	}
	return (rs_opt){.kind = RS_OPT_OBJECT, .key = key, .n_children = (size_t)np, .children = parts};
}

/* The items side table: `item \t column \t text` lines. */
static rs_status add_items(rs_builder *b, const char *path, rs_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f) { perror(path); exit(2); }
	char line[65536];
	rs_status st = RS_OK;
	while (st == RS_OK && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *col = strchr(line, '\t'), *text = col ? strchr(col + 1, '\t') : NULL;
		if (!text) continue;
		*col++ = '\0';
		*text++ = '\0';
		st = rs_builder_add_attribute(b, RS_SIDE_ITEMS, line, strlen(line), col, text, strlen(text),
		                              0, 0, err);
	}
	fclose(f);
	return st;
}

int main(int argc, char **argv)
{
	const char *data = NULL, *name = NULL, *split = "user", *algo = "als", *items = NULL;
	char events_text[256] = "view:1,purchase:3";
	int validation = 0;
	rs_opt kids[40], comp[16], evs[16], algos[16];
	int nk = 0;
	char label[1024] = "";
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--validation")) { validation++; continue; }
		if (a + 1 < argc && !strcmp(argv[a], "--data")) { data = argv[++a]; continue; }
		if (a + 1 < argc && !strcmp(argv[a], "--name")) { name = argv[++a]; continue; }
		if (a + 1 < argc && !strcmp(argv[a], "--items")) { items = argv[++a]; continue; }
		if (a + 1 < argc && !strcmp(argv[a], "--split")) { split = argv[++a]; continue; }
		if (a + 1 < argc && !strcmp(argv[a], "--algo")) { algo = argv[++a]; continue; }
		if (a + 1 < argc && !strcmp(argv[a], "--events")) {
			snprintf(events_text, sizeof events_text, "%s", argv[++a]);
			continue;
		}
		char *eq = strchr(argv[a], '=');
		if (!eq || nk >= 38) { fprintf(stderr, "bad argument %s\n", argv[a]); return 2; }
		snprintf(label + strlen(label), sizeof label - strlen(label), "%s%s", *label ? " " : "", argv[a]);
		char *key = strndup(argv[a], (size_t)(eq - argv[a]));
		if (!strcmp(key, "components")) { kids[nk++] = parse_map(key, strdup(eq + 1), comp, 16); continue; }
		if (!strcmp(key, "algorithms")) {
			int np = 0;
			for (char *tok = strtok(strdup(eq + 1), ","); tok && np < 16; tok = strtok(NULL, ","))
				algos[np++] = (rs_opt){.kind = RS_OPT_STRING, .string = tok};
			kids[nk++] = (rs_opt){.kind = RS_OPT_ARRAY, .key = key, .n_children = (size_t)np,
			                      .children = algos};
			continue;
		}
		char *end;
		double v = strtod(eq + 1, &end);
		kids[nk] = (rs_opt){.key = key};
		if (*end == '\0' && end != eq + 1) { kids[nk].kind = RS_OPT_NUMBER; kids[nk].number = v; }
		else { kids[nk].kind = RS_OPT_STRING; kids[nk].string = eq + 1; }
		nk++;
	}
	int global = !strcmp(split, "global_time");
	if (!data || (!global && strcmp(split, "user"))) {
		fprintf(stderr, "usage: dseval --data FILE [--name N] [--split user|global_time] "
		        "[--validation] [--events view:1,purchase:3] [--algo X] [key=value ...]\n");
		return 2;
	}
	FILE *f = fopen(data, "r");
	if (!f) { perror(data); return 2; }

	names users = {0}, evnames = {0};
	size_t n = 0, cap = 1 << 16;
	row *r = malloc(cap * sizeof *r);
	char line[4096];
	int has_ts = 1, has_ev = 0;
	while (fgets(line, sizeof line, f)) {
		char *fld[5] = {0}, *s = line;
		line[strcspn(line, "\r\n")] = '\0';
		for (int k = 0; k < 5; k++) { fld[k] = s; s = strchr(s, '\t'); if (!s) { for (int j = k + 1; j < 5; j++) fld[j] = ""; break; } *s++ = '\0'; }
		if (!*fld[0] || !*fld[1]) continue;
		if (n == cap) r = realloc(r, (cap *= 2) * sizeof *r);
		row x = {intern(&users, fld[0]), intern(&items_tab, fld[1]), -1,
		         *fld[2] ? (float)atof(fld[2]) : 1.0f, NAN, TRAIN};
		if (*fld[3]) { x.ev = intern(&evnames, fld[3]); has_ev = 1; }
		if (*fld[4]) x.ts = atof(fld[4]); else has_ts = 0;
		r[n++] = x;
	}
	fclose(f);
	if (global && !has_ts) {
		fprintf(stderr, "error: split global_time needs a time on every row (%s has none)\n", data);
		return 1;
	}
	if (has_ev)
		kids[nk++] = parse_map("event_weights", events_text, evs, 16);
	if (items) /* the core only checks that an items table is named */
		kids[nk++] = (rs_opt){.kind = RS_OPT_STRING, .key = "items", .string = items};
	rs_opt opts = {.kind = RS_OPT_OBJECT, .n_children = (size_t)nk, .children = kids};

	/* test split, then each --validation on what is left for training */
	for (int v = 0; v <= validation; v++) {
		for (size_t k = 0; k < n; k++) if (r[k].part == TEST) r[k].part = GONE;
		if (global) split_global(r, n); else split_user(r, n, has_ts);
	}

	rs_error err = {0};
	rs_config *cfg;
	rs_builder *b;
	rs_model *m = NULL;
	char *summary = NULL;
	if (rs_config_create(algo, &opts, 0, &cfg, &err) || rs_builder_create(cfg, &b, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	size_t ntrain = 0;
	for (size_t k = 0; k < n; k++) {
		if (r[k].part != TRAIN) continue;
		const char *ev = r[k].ev >= 0 ? evnames.s[r[k].ev] : NULL;
		if (rs_builder_add(b, users.s[r[k].u], strlen(users.s[r[k].u]), items_tab.s[r[k].i],
		                   strlen(items_tab.s[r[k].i]), 1, r[k].w, ev, ev ? strlen(ev) : 0,
		                   has_ts, r[k].ts, &err)) {
			fprintf(stderr, "error: %s\n", err.msg);
			return 1;
		}
		ntrain++;
	}
	if (items && add_items(b, items, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	double t0 = now();
	if (rs_train(cfg, b, NULL, &m, &summary, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	double secs = now() - t0;
	const char *th = strstr(summary, "\"threads\": ");
	int threads = th ? atoi(th + 11) : 0;

	/* per user: the test items new to the user (the user split's test pairs
	 * never are in training; global_time drops the user's training items) */
	qsort(r, n, sizeof *r, cmp_row_ui);
	rs_rank_metrics ms = {0};
	ms.n_items = rs_model_n_items(m);
	ms.hit_items = calloc(ms.n_items + 1, 1);
	int32_t *target = malloc((n + 1) * sizeof *target);
	rs_reco out[10];
	for (size_t s = 0; s < n;) {
		size_t e = s;
		int nt = 0, trained = 0;
		while (e < n && r[e].u == r[s].u) e++;
		for (size_t k = s; k < e; k++) trained |= r[k].part == TRAIN;
		for (size_t k = s; k < e; k++) {
			if (r[k].part != TEST || (k > s && r[k - 1].i == r[k].i)) continue;
			int in_train = 0;   /* rows of one pair are adjacent */
			for (size_t q = k; q < e && r[q].i == r[k].i; q++) in_train |= r[q].part == TRAIN;
			for (size_t q = k; q > s && r[q - 1].i == r[k].i; q--) in_train |= r[q - 1].part == TRAIN;
			if (in_train) continue;
			const char *id = items_tab.s[r[k].i];
			target[nt++] = rs_model_find_item(m, id, strlen(id)); /* -1: never a hit */
		}
		if (nt > 0 && trained) {
			int got;
			const char *u = users.s[r[s].u];
			if (rs_recommend(m, u, strlen(u), 10, NULL, out, &got, &err)) {
				fprintf(stderr, "error: %s\n", err.msg);
				return 1;
			}
			rs_rank_metrics_add(&ms, out, got, 10, target, nt);
		}
		s = e;
	}
	int eu = ms.users ? ms.users : 1;
	printf("dataset=%s split=%s%s algo=%s options=\"%s\" NDCG@10=%.4f P@10=%.4f R@10=%.4f "
	       "coverage=%.3f train_s=%.3f threads=%d test_users=%d train_rows=%zu\n",
	       name ? name : data, split, validation ? "+validation" : "", algo, label, ms.ndcg / eu,
	       ms.precision / eu, ms.recall / eu, rs_rank_metrics_coverage(&ms), secs, threads, ms.users,
	       ntrain);
	const char *ch = strstr(summary, "\"chosen\": \""), *vr = strstr(summary, "\"validation\": \"");
	if (getenv("DSEVAL_SUMMARY")) /* the training summary (auto's search) */
		fprintf(stderr, "%s\n", summary);
	if (ch) /* auto: the candidate it chose and its validation rule */
		printf("chosen=\"%.*s\" validation=%.*s\n", (int)strcspn(ch + 11, "\""), ch + 11,
		       vr ? (int)strcspn(vr + 15, "\"") : 1, vr ? vr + 15 : "?");
	free(target);
	free(ms.hit_items);
	rs_free(summary);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return 0;
}
