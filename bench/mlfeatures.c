/*
 * mlfeatures.c - MovieLens 100K with side-table features: as mleval.c
 * (EVAL.md temporal-20 split, P/R/NDCG/MAP/coverage at 10), but the items
 * table gets each movie's genres from u.item (one "genre" cell per genre
 * flag set) and, with --users, the users table gets age, gender, occupation
 * from u.user, all through rs_builder_add_attribute.
 *
 * ML-1M: --movies movies.dat (genres) and --users1m users.dat (gender, age
 * group, occupation), ratings on stdin as for mleval.
 *
 * usage: mlfeatures [--validation] [--algo warp] [--items u.item | --movies movies.dat]
 *                   [--users u.user | --users1m users.dat] [--known-only]
 *                   [--fresh-every N] [key=value ...] < ratings
 * --fresh-every N: users whose id is a multiple of N are left out of the
 * training rows entirely (their side-table row stays: the model knows them
 * by attributes alone); they are served on the fresh path (attributes plus
 * their first 80% read as history, rs_recommend_fresh) and scored on their
 * last 20%, printed as fresh_users / fresh_NDCG@10.
 * --known-only: attributes only for items / users with training positives
 * (otherwise every movie of u.item joins the catalogue). Coverage is over
 * the items of the training positives, as in mleval.
 */
#include "recsys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct row { int u, i; double t; int test; } row;

static const char *GENRES[19] = {
	"unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
	"Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
	"Romance", "Sci-Fi", "Thriller", "War", "Western"};

static int cmp_row(const void *a, const void *b)
{
	const row *x = a, *y = b;
	if (x->u != y->u) return x->u - y->u;
	if (x->t != y->t) return x->t < y->t ? -1 : 1;
	return x->i - y->i;
}

/* EVAL.md temporal-20 among rows whose flag is 0 (as mleval.c). */
static void split(row *r, size_t n)
{
	qsort(r, n, sizeof *r, cmp_row);
	for (size_t b = 0; b < n;) {
		size_t e = b, cnt = 0;
		while (e < n && r[e].u == r[b].u) { if (r[e].test == 0) cnt++; e++; }
		if (cnt >= 5) {
			size_t nt = cnt / 5 ? cnt / 5 : 1, seen = 0;
			for (size_t k = b; k < e; k++)
				if (r[k].test == 0 && ++seen > cnt - nt)
					r[k].test = 1;
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

/* Genres of u.item as items-table cells; returns cells added or -1. */
static int add_genres(rs_builder *b, const char *path, const char *known, int max_id)
{
	FILE *f = fopen(path, "rb");
	if (!f) return -1;
	char line[4096], id[16];
	int cells = 0;
	rs_error err;
	while (fgets(line, sizeof line, f)) {
		char *fld[24]; int nf = 0;
		for (char *p = line, *s = line; nf < 24; p++)
			if (*p == '|' || *p == '\n' || *p == '\0') {
				int end = *p != '|';
				*p = '\0';
				fld[nf++] = s;
				s = p + 1;
				if (end) break;
			}
		if (nf < 24) continue;
		int item = atoi(fld[0]);
		if (known && (item > max_id || !known[item])) continue;
		int il = snprintf(id, sizeof id, "%d", item);
		for (int g = 0; g < 19; g++)
			if (fld[5 + g][0] == '1') {
				rs_builder_add_attribute(b, RS_SIDE_ITEMS, id, (size_t)il, "genre", GENRES[g],
				                         strlen(GENRES[g]), 0, 0, &err);
				cells++;
			}
	}
	fclose(f);
	return cells;
}

/* Genres of ML-1M's movies.dat ("id::title::A|B") as items-table cells. */
static int add_movies(rs_builder *b, const char *path, const char *known, int max_id)
{
	FILE *f = fopen(path, "rb");
	if (!f) return -1;
	char line[4096];
	int cells = 0;
	rs_error err;
	while (fgets(line, sizeof line, f)) {
		char *t = strstr(line, "::"), *g = t ? strstr(t + 2, "::") : NULL;
		if (!g) continue;
		*t = '\0';
		int item = atoi(line);
		if (known && (item > max_id || !known[item])) continue;
		for (char *s = strtok(g + 2, "|\r\n"); s; s = strtok(NULL, "|\r\n")) {
			rs_builder_add_attribute(b, RS_SIDE_ITEMS, line, strlen(line), "genre", s, strlen(s), 0, 0, &err);
			cells++;
		}
	}
	fclose(f);
	return cells;
}

/* Gender, age group and occupation of ML-1M's users.dat as users-table
 * cells (age group and occupation are codes: numbers). */
static int add_users1m(rs_builder *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) return -1;
	char line[512];
	int cells = 0;
	rs_error err;
	while (fgets(line, sizeof line, f)) {
		char *fld[5];
		int nf = 0;
		for (char *p = line; nf < 5 && p; nf++) {
			fld[nf] = p;
			p = strstr(p, "::");
			if (p) { *p = '\0'; p += 2; }
		}
		if (nf < 4) continue;
		const char *id = fld[0];
		rs_builder_add_attribute(b, RS_SIDE_USERS, id, strlen(id), "gender", fld[1], strlen(fld[1]), 0, 0, &err);
		rs_builder_add_attribute(b, RS_SIDE_USERS, id, strlen(id), "age", NULL, 0, 1, atof(fld[2]), &err);
		rs_builder_add_attribute(b, RS_SIDE_USERS, id, strlen(id), "occupation", NULL, 0, 1, atof(fld[3]), &err);
		cells += 3;
	}
	fclose(f);
	return cells;
}

/* Age (a number), gender and occupation of u.user as users-table cells. */
static int add_users(rs_builder *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) return -1;
	char line[512];
	int cells = 0;
	rs_error err;
	while (fgets(line, sizeof line, f)) {
		char *id = strtok(line, "|\n"), *age = strtok(NULL, "|\n"), *sex = strtok(NULL, "|\n"),
		     *occ = strtok(NULL, "|\n");
		if (!id || !age || !sex || !occ) continue;
		rs_builder_add_attribute(b, RS_SIDE_USERS, id, strlen(id), "age", NULL, 0, 1, atof(age), &err);
		rs_builder_add_attribute(b, RS_SIDE_USERS, id, strlen(id), "gender", sex, strlen(sex), 0, 0, &err);
		rs_builder_add_attribute(b, RS_SIDE_USERS, id, strlen(id), "occupation", occ, strlen(occ), 0, 0, &err);
		cells += 3;
	}
	fclose(f);
	return cells;
}

int main(int argc, char **argv)
{
	int validation = 0, known_only = 0, fresh_every = 0;
	const char *algo = "warp", *items = NULL, *users = NULL, *movies = NULL, *users1m = NULL;
	rs_opt kids[32];
	int nk = 0;
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--validation")) { validation = 1; continue; }
		if (!strcmp(argv[a], "--known-only")) { known_only = 1; continue; }
		if (!strcmp(argv[a], "--algo") && a + 1 < argc) { algo = argv[++a]; continue; }
		if (!strcmp(argv[a], "--fresh-every") && a + 1 < argc) { fresh_every = atoi(argv[++a]); continue; }
		if (!strcmp(argv[a], "--items") && a + 1 < argc) { items = argv[++a]; continue; }
		if (!strcmp(argv[a], "--users") && a + 1 < argc) { users = argv[++a]; continue; }
		if (!strcmp(argv[a], "--movies") && a + 1 < argc) { movies = argv[++a]; continue; }
		if (!strcmp(argv[a], "--users1m") && a + 1 < argc) { users1m = argv[++a]; continue; }
		char *eq = strchr(argv[a], '=');
		if (!eq || nk == 32) { fprintf(stderr, "bad argument %s\n", argv[a]); return 2; }
		*eq = '\0';
		char *end;
		double v = strtod(eq + 1, &end);
		kids[nk] = (rs_opt){.key = argv[a]};
		if (*end == '\0' && end != eq + 1) { kids[nk].kind = RS_OPT_NUMBER; kids[nk].number = v; }
		else { kids[nk].kind = RS_OPT_STRING; kids[nk].string = eq + 1; }
		nk++;
	}
	rs_opt opts = {.kind = RS_OPT_OBJECT, .n_children = (size_t)nk, .children = kids};
	size_t n = 0, cap = 1 << 17;
	row *r = malloc(cap * sizeof *r);
	int u, i, max_i = 4000; /* ML-1M's movies.dat names ids up to 3952 */
	double rating, t;
	while (scanf("%d %d %lf %lf", &u, &i, &rating, &t) == 4) {
		if (rating < 4) continue;
		if (n == cap) r = realloc(r, (cap *= 2) * sizeof *r);
		r[n++] = (row){u, i, t, 0};
		if (i > max_i) { fprintf(stderr, "item id %d too large\n", i); return 1; }
	}
	split(r, n);
	if (validation) {
		size_t m = 0;
		for (size_t k = 0; k < n; k++) if (r[k].test == 0) r[m++] = r[k];
		n = m;
		split(r, n);
	}
	rs_error err = {0};
	rs_config *cfg;
	rs_builder *b;
	rs_model *m = NULL;
	char *summary = NULL, us[32], is[32];
	char *known = calloc((size_t)max_i + 1, 1);
	if (rs_config_create(algo, &opts, 0, &cfg, &err) || rs_builder_create(cfg, &b, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	size_t ntrain = 0, n_known = 0;
	for (size_t k = 0; k < n; k++) {
		if (r[k].test || (fresh_every > 0 && r[k].u % fresh_every == 0)) continue;
		int ul = snprintf(us, sizeof us, "%d", r[k].u), il = snprintf(is, sizeof is, "%d", r[k].i);
		rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1, r[k].t, &err);
		n_known += !known[r[k].i];
		known[r[k].i] = 1;
		ntrain++;
	}
	double t0 = now(); /* side tables count as training input */
	int cells = items ? add_genres(b, items, known_only ? known : NULL, max_i) : 0;
	if (movies && cells >= 0)
		cells = add_movies(b, movies, known_only ? known : NULL, max_i);
	int ucells = users ? add_users(b, users) : users1m ? add_users1m(b, users1m) : 0;
	if (cells < 0 || ucells < 0) { fprintf(stderr, "cannot read a side table\n"); return 1; }
	if (rs_train(cfg, b, NULL, &m, &summary, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	double secs = now() - t0;
	int K = 10, users_n = 0;
	rs_reco out[10];
	/* the core's metrics (core/metrics.c), as recsys_evaluate computes them */
	rs_rank_metrics ms = {0}, fm = {0};
	ms.n_items = rs_model_n_items(m);
	ms.hit_items = calloc(ms.n_items, 1);
	for (size_t s = 0; s < n;) {
		size_t e = s;
		int32_t test[512];
		int nt = 0;
		for (; e < n && r[e].u == r[s].u; e++)
			if (r[e].test && nt < 512) {
				snprintf(is, sizeof is, "%d", r[e].i);
				test[nt++] = rs_model_find_item(m, is, strlen(is));
			}
		int ul = snprintf(us, sizeof us, "%d", r[s].u), got = 0;
		if (nt > 0 && fresh_every > 0 && r[s].u % fresh_every == 0) {
			rs_history *h = NULL;
			if (rs_history_create(m, &h, &err) == RS_OK) {
				for (size_t k = s; k < e; k++)
					if (!r[k].test) {
						int il = snprintf(is, sizeof is, "%d", r[k].i);
						rs_history_add(h, is, (size_t)il, 1, 1.0, NULL, 0, 1, r[k].t, &err);
					}
				rs_recommend_fresh(m, us, (size_t)ul, h, K, NULL, out, &got, &err);
				rs_history_destroy(&h);
			}
			rs_rank_metrics_add(&fm, out, got, K, test, nt);
		} else if (nt > 0) {
			rs_recommend(m, us, (size_t)ul, K, NULL, out, &got, &err);
			rs_rank_metrics_add(&ms, out, got, K, test, nt);
		}
		s = e;
	}
	users_n = ms.users;
	/* coverage of the items that have interactions (side-table-only items left out) */
	size_t covered = 0;
	for (size_t k = 0; k < ms.n_items; k++) covered += ms.hit_items[k];
	printf("train=%zu item_cells=%d user_cells=%d users=%d items=%zu seconds=%.3f P@10=%.4f "
	       "R@10=%.4f NDCG@10=%.4f MAP@10=%.4f cov@10=%.3f\n",
	       ntrain, cells, ucells, users_n, rs_model_n_items(m), secs, ms.precision / users_n,
	       ms.recall / users_n, ms.ndcg / users_n, ms.map / users_n, (double)covered / n_known);
	if (fresh_every > 0)
		printf("fresh_users=%d fresh_NDCG@10=%.4f fresh_R@10=%.4f\n", fm.users,
		       fm.users ? fm.ndcg / fm.users : 0, fm.users ? fm.recall / fm.users : 0);
	rs_free(summary);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	free(known);
	free(ms.hit_items);
	free(r);
	return 0;
}
