/*
 * content_ml100k.c - a sanity figure for the content algorithm on MovieLens:
 * the items table is built from 100K's u.item or 1M's movies.dat (title
 * words, genres as text, year as a number), the interactions from the
 * ratings (>= 4), and rs_evaluate applies the EVAL.md split (temporal-20;
 * on 1M the fold number stands in for the time, so fold-order-20). With
 * --validation the test part is dropped first and the split is applied
 * again to the training part, for choosing options without reading test.
 *
 * usage: content_ml100k [--ml1m] [--validation] [--algo content] [key=value ...]
 *   100K: reads $RECSYS_DATA/ml-100k/u.data and u.item (default ../shared/data)
 *   1M:   reads "user item rating fold" lines on stdin (as bench/mleval) and
 *         $RECSYS_DATA/ml-1m/movies.dat
 */
#include "recsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *GENRES[19] = {
	"unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
	"Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
	"Romance", "Sci-Fi", "Thriller", "War", "Western"};

typedef struct row { int u, i; double t; int test; } row;

static int cmp_row(const void *a, const void *b)
{
	const row *x = a, *y = b;
	if (x->u != y->u) return x->u - y->u;
	if (x->t != y->t) return x->t < y->t ? -1 : 1;
	return x->i - y->i;
}

/* Flag the latest max(1, n / 5) rows of users with n >= 5 (EVAL.md). */
static void split(row *r, size_t n)
{
	qsort(r, n, sizeof *r, cmp_row);
	for (size_t b = 0; b < n;) {
		size_t e = b;
		while (e < n && r[e].u == r[b].u) e++;
		size_t cnt = e - b;
		if (cnt >= 5)
			for (size_t k = e - (cnt / 5 ? cnt / 5 : 1); k < e; k++) r[k].test = 1;
		b = e;
	}
}

/* One u.item line: id|title|date|video date|url|19 genre flags. */
static int add_item(rs_builder *b, char *line, rs_error *err)
{
	char *f[24];
	int nf = 0;
	for (char *p = line; nf < 24;) {
		f[nf++] = p;
		char *bar = strchr(p, '|');
		if (!bar) break;
		*bar = 0;
		p = bar + 1;
	}
	if (nf < 24) return 0;
	char genres[256] = "";
	for (int g = 0; g < 19; g++)
		if (f[5 + g][0] == '1') {
			strcat(genres, genres[0] ? " " : "");
			strcat(genres, GENRES[g]);
		}
	size_t il = strlen(f[0]);
	if (rs_builder_add_attribute(b, RS_SIDE_ITEMS, f[0], il, "title", f[1], strlen(f[1]), 0, 0, err) ||
	    (genres[0] && rs_builder_add_attribute(b, RS_SIDE_ITEMS, f[0], il, "genres", genres,
	                                           strlen(genres), 0, 0, err)))
		return -1;
	size_t dl = strlen(f[2]);
	if (dl >= 4 && rs_builder_add_attribute(b, RS_SIDE_ITEMS, f[0], il, "year", NULL, 0, 1,
	                                        atof(f[2] + dl - 4), err))
		return -1;
	return 0;
}

/* One movies.dat line: id::title (year)::genre|genre. */
static int add_movie(rs_builder *b, char *line, rs_error *err)
{
	char *t = strstr(line, "::"), *g = t ? strstr(t + 2, "::") : NULL;
	if (!g) return 0;
	*t = 0;
	*g = 0;
	t += 2;
	g += 2;
	for (char *p = g; *p; p++)
		if (*p == '|') *p = ' ';
	size_t il = strlen(line), tl = strlen(t);
	if (rs_builder_add_attribute(b, RS_SIDE_ITEMS, line, il, "title", t, tl, 0, 0, err) ||
	    rs_builder_add_attribute(b, RS_SIDE_ITEMS, line, il, "genres", g, strlen(g), 0, 0, err))
		return -1;
	if (tl >= 6 && t[tl - 1] == ')' && t[tl - 6] == '(' &&
	    rs_builder_add_attribute(b, RS_SIDE_ITEMS, line, il, "year", NULL, 0, 1, atof(t + tl - 5), err))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int validation = 0, ml1m = 0;
	const char *algo = "content", *dir = getenv("RECSYS_DATA");
	rs_opt kids[32];
	int nk = 0;
	kids[nk++] = (rs_opt){.kind = RS_OPT_STRING, .key = "items", .string = "u.item"};
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--validation")) { validation = 1; continue; }
		if (!strcmp(argv[a], "--ml1m")) { ml1m = 1; continue; }
		if (!strcmp(argv[a], "--algo") && a + 1 < argc) { algo = argv[++a]; continue; }
		char *eq = strchr(argv[a], '=');
		if (!eq || nk == 32) { fprintf(stderr, "bad argument %s\n", argv[a]); return 2; }
		*eq = 0;
		char *end;
		double v = strtod(eq + 1, &end);
		kids[nk] = (rs_opt){.key = argv[a]};
		if (*end == 0 && end != eq + 1) { kids[nk].kind = RS_OPT_NUMBER; kids[nk].number = v; }
		else { kids[nk].kind = RS_OPT_STRING; kids[nk].string = eq + 1; }
		nk++;
	}
	rs_opt opts = {.kind = RS_OPT_OBJECT, .n_children = (size_t)nk, .children = kids};
	char path[1024];
	snprintf(path, sizeof path, "%s/ml-100k/u.data", dir ? dir : "../shared/data");
	FILE *fd = ml1m ? stdin : fopen(path, "r");
	if (!fd) { fprintf(stderr, "cannot open %s\n", path); return 1; }
	size_t n = 0, cap = 1 << 17;
	row *r = malloc(cap * sizeof *r);
	int u, i; double rating, t;
	while (fscanf(fd, "%d %d %lf %lf", &u, &i, &rating, &t) == 4) {
		if (rating < 4) continue;
		if (n == cap) r = realloc(r, (cap *= 2) * sizeof *r);
		r[n++] = (row){u, i, t, 0};
	}
	if (!ml1m) fclose(fd);
	if (validation) { /* drop test; rs_evaluate splits the rest again */
		split(r, n);
		size_t m = 0;
		for (size_t k = 0; k < n; k++) if (!r[k].test) r[m++] = r[k];
		n = m;
	}
	rs_error err = {0};
	rs_config *cfg;
	rs_builder *b;
	if (rs_config_create(algo, &opts, 0, &cfg, &err) || rs_builder_create(cfg, &b, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	char us[32], is[32];
	for (size_t k = 0; k < n; k++) {
		int ul = snprintf(us, sizeof us, "%d", r[k].u), il = snprintf(is, sizeof is, "%d", r[k].i);
		rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1, r[k].t, &err);
	}
	snprintf(path, sizeof path, "%s/%s", dir ? dir : "../shared/data",
	         ml1m ? "ml-1m/movies.dat" : "ml-100k/u.item");
	FILE *fi = fopen(path, "r");
	if (!fi) { fprintf(stderr, "cannot open %s\n", path); return 1; }
	char line[2048];
	while (fgets(line, sizeof line, fi)) {
		line[strcspn(line, "\r\n")] = 0;
		if ((ml1m ? add_movie(b, line, &err) : add_item(b, line, &err)) < 0) {
			fprintf(stderr, "error: %s\n", err.msg);
			return 1;
		}
	}
	fclose(fi);
	rs_eval_result res;
	char json[RS_EVAL_JSON_CAP];
	if (rs_evaluate(cfg, b, 10, NULL, &res, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	rs_eval_json(&res, json, sizeof json);
	printf("%s%s\n", validation ? "validation " : "test ", json);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	free(r);
	return 0;
}
