/* test_weighting.c - the "weighting" training option (core/weighting.c):
 * each transform, the option's parsing (itemknn's 0.1.0 values included),
 * the value stored in the model and its blob, and fresh users folded in
 * with the same transform as the trained user with the same rows. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WU 40
#define WI 30
#define WR 14

/* The rows of user u: items of the user's group (u % 3) with repeats and
 * counts 1..40, so raw, binary and log differ. Same stream every call. */
static void user_rows(int u, int *items, double *w)
{
	uint64_t seed = 11 + (uint64_t)u * 7919;
	for (int r = 0; r < WR; r++) {
		items[r] = (u % 3) * 10 + (int)(rs_rand_next(&seed) % 10);
		if (rs_rand_next(&seed) % 6 == 0)
			items[r] = (int)(rs_rand_next(&seed) % WI);
		w[r] = 1 + (double)(rs_rand_next(&seed) % 40);
	}
}

static rs_status count_model(const char *algo, const rs_opt *opts, rs_model **m, char **sum,
                             rs_error *e)
{
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	*m = NULL;
	*sum = NULL;
	rs_status st = rs_config_create(algo, opts, 1, &cfg, e);
	if (st == RS_OK)
		st = rs_builder_create(cfg, &b, e);
	for (int u = 0; st == RS_OK && u < WU; u++) {
		int it[WR];
		double w[WR];
		user_rows(u, it, w);
		for (int r = 0; st == RS_OK && r < WR; r++) {
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", it[r]);
			st = rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 1, w[r], NULL, 0, 0, 0, e);
		}
	}
	if (st == RS_OK)
		st = rs_train(cfg, b, NULL, m, sum, e);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return st;
}

void test_weighting_values(void)
{
	CHECK(rs_weighting_value(RS_WEIGHT_RAW, 5) == 5);
	CHECK(rs_weighting_value(RS_WEIGHT_BINARY, 5) == 1);
	CHECK(rs_weighting_value(RS_WEIGHT_BINARY, 0.25f) == 1);
	CHECK(rs_weighting_value(RS_WEIGHT_LOG, 1) == 1);   /* 0/1 data unchanged */
	CHECK(fabsf(rs_weighting_value(RS_WEIGHT_LOG, 3) - 2) < 1e-6f);
	CHECK(fabsf(rs_weighting_value(RS_WEIGHT_LOG, 1000) - (float)log2(1001.0)) < 1e-4f);
	float d[3] = {1, 3, 7};
	rs_weighting_apply(RS_WEIGHT_LOG, d, 3);
	CHECK(d[0] == 1 && fabsf(d[1] - 2) < 1e-6f && fabsf(d[2] - 3) < 1e-6f);
	CHECK(!strcmp(rs_weighting_name(RS_WEIGHT_RAW), "raw") &&
	      !strcmp(rs_weighting_name(RS_WEIGHT_BINARY), "binary") &&
	      !strcmp(rs_weighting_name(RS_WEIGHT_LOG), "log"));

	/* parsing: unset is -1 (the family's default), values, a bad value */
	opts_buf ob;
	rs_config *c = NULL;
	rs_error e;
	CHECK(rs_config_create("als", NULL, 1, &c, &e) == RS_OK && c && c->weighting == -1);
	CHECK(c && rs_weighting_resolve(c) >= 0 && rs_weighting_resolve(c) < RS_WEIGHT__COUNT);
	rs_config_destroy(&c);
	const char *lg[] = {"weighting=log"};
	CHECK(rs_config_create("ease", make_opts(&ob, 1, lg), 1, &c, &e) == RS_OK && c &&
	      c->weighting == RS_WEIGHT_LOG && rs_weighting_resolve(c) == RS_WEIGHT_LOG);
	rs_config_destroy(&c);
	const char *bad[] = {"weighting=sqrt"};
	CHECK(rs_config_create("svd", make_opts(&ob, 1, bad), 1, &c, &e) == RS_EINVAL && !c);
	CHECK(strstr(e.msg, "\"weighting\"") && strstr(e.msg, "raw|binary|log") && strstr(e.msg, "sqrt"));
	/* itemknn: 0.1.0's none|tfidf|bm25 set item_weighting; raw|binary|log the pairs */
	const char *tf[] = {"weighting=tfidf"}, *bi[] = {"weighting=binary"},
	           *both[] = {"item_weighting=none", "weighting=log"};
	CHECK(rs_config_create("itemknn", make_opts(&ob, 1, tf), 1, &c, &e) == RS_OK && c &&
	      c->knn_weighting == RS_KNN_TFIDF && c->weighting == -1);
	rs_config_destroy(&c);
	CHECK(rs_config_create("itemknn", make_opts(&ob, 1, bi), 1, &c, &e) == RS_OK && c &&
	      c->knn_weighting == RS_KNN_BM25 && c->weighting == RS_WEIGHT_BINARY);
	rs_config_destroy(&c);
	CHECK(rs_config_create("itemknn", make_opts(&ob, 2, both), 1, &c, &e) == RS_OK && c &&
	      c->knn_weighting == RS_KNN_NONE && c->weighting == RS_WEIGHT_LOG);
	rs_config_destroy(&c);
	CHECK(rs_config_create("itemknn", make_opts(&ob, 1, bad), 1, &c, &e) == RS_EINVAL && !c);
	CHECK(strstr(e.msg, "raw|binary|log") && strstr(e.msg, "none|tfidf|bm25"));
}

/* The transform reaches the matrix the model keeps, the summary and the
 * blob; a raw model's blob loads as raw. */
void test_weighting_stored(void)
{
	const char *kinds[] = {"raw", "binary", "log"};
	rs_model *ms[3] = {0};
	for (int k = 0; k < 3; k++) {
		char opt[32];
		snprintf(opt, sizeof opt, "weighting=%s", kinds[k]);
		const char *kv[] = {opt, "threads=1"};
		opts_buf ob;
		rs_error e;
		char *sum = NULL;
		CHECK(count_model("ease", make_opts(&ob, 2, kv), &ms[k], &sum, &e) == RS_OK);
		if (!ms[k]) {
			rs_free(sum);
			continue;
		}
		char want[48];
		snprintf(want, sizeof want, "\"weighting\": \"%s\"", kinds[k]);
		CHECK(sum && strstr(sum, want));
		rs_free(sum);
		CHECK(ms[k]->weighting == k);
		unsigned char *blob = NULL;
		size_t len = 0;
		rs_model *back = NULL;
		CHECK(rs_model_save(ms[k], &blob, &len, &e) == RS_OK);
		CHECK(blob && rs_model_load(blob, len, &back, &e) == RS_OK && back && back->weighting == k);
		rs_model_destroy(&back);
		rs_free(blob);
	}
	if (!ms[0] || !ms[1] || !ms[2])
		goto done;
	/* the same pairs; values: summed counts, 1, log2(1 + sum) */
	CHECK(rs_csr_nnz(&ms[0]->seen) == rs_csr_nnz(&ms[2]->seen));
	int differ = 0;
	for (int64_t p = 0; p < rs_csr_nnz(&ms[0]->seen); p++) {
		float raw = ms[0]->seen.data[p];
		CHECK(ms[1]->seen.data[p] == 1);
		CHECK(fabsf(ms[2]->seen.data[p] - (float)log2(1.0 + raw)) < 1e-4f);
		differ += raw > 1;
	}
	CHECK(differ > 0);
	/* and training saw them: raw and log rank differently somewhere */
	int changed = 0;
	for (int u = 0; u < WU && !changed; u++) {
		rs_reco a[5], b[5];
		int n1 = 0, n2 = 0;
		char us[16];
		int ul = snprintf(us, sizeof us, "u%d", u);
		rs_error e;
		CHECK(rs_recommend(ms[0], us, (size_t)ul, 5, NULL, a, &n1, &e) == RS_OK);
		CHECK(rs_recommend(ms[2], us, (size_t)ul, 5, NULL, b, &n2, &e) == RS_OK);
		for (int r = 0; r < n1 && r < n2; r++)
			changed |= a[r].item != b[r].item || fabsf(a[r].score - b[r].score) > 1e-4f;
	}
	CHECK(changed);
done:
	for (int k = 0; k < 3; k++)
		rs_model_destroy(&ms[k]);
}

/* Trained user u's top 5 against a fresh user with u's rows: the same
 * items, scores within tol. */
static void check_fresh_matches(const rs_model *m, int u, float tol, const char *what)
{
	int it[WR];
	double w[WR];
	rs_error e;
	user_rows(u, it, w);
	rs_history *h = NULL;
	CHECK(rs_history_create(m, &h, &e) == RS_OK);
	for (int r = 0; h && r < WR; r++) {
		char is[16];
		int il = snprintf(is, sizeof is, "i%d", it[r]);
		CHECK(rs_history_add(h, is, (size_t)il, 1, w[r], NULL, 0, 0, 0, &e) == RS_OK);
	}
	rs_reco a[5], b[5];
	int n1 = 0, n2 = 0;
	char us[16];
	int ul = snprintf(us, sizeof us, "u%d", u);
	CHECK(rs_recommend(m, us, (size_t)ul, 5, NULL, a, &n1, &e) == RS_OK);
	CHECK(h && rs_recommend_for_history(m, h, 1, 5, NULL, b, &n2, &e) == RS_OK);
	CHECK(n1 == 5 && n2 == 5);
	for (int r = 0; r < 5 && n1 == 5 && n2 == 5; r++) {
		if (a[r].item != b[r].item || fabsf(a[r].score - b[r].score) > tol)
			fprintf(stderr, "  %s u%d rank %d: %d %g vs %d %g\n", what, u, r, a[r].item,
			        a[r].score, b[r].item, b[r].score);
		CHECK(a[r].item == b[r].item && fabsf(a[r].score - b[r].score) <= tol);
	}
	rs_history_destroy(&h);
}

/* A fresh user with the rows of trained user u gets u's scores: the
 * history is weighted as training weighted u's rows (item-based families
 * exactly; als and svd by their fold-in, within rounding; a hybrid's
 * components each with their own weighting). */
void test_weighting_fold_in(void)
{
	struct { const char *algo; const char *kv[4]; int n; float tol; } cases[] = {
		{"itemknn", {"weighting=log", "threads=1"}, 2, 1e-4f},
		{"ease", {"weighting=log", "threads=1"}, 2, 1e-4f},
		{"ease", {"weighting=binary", "threads=1"}, 2, 1e-4f},
		{"svd", {"weighting=log", "threads=1"}, 2, 1e-3f},
		{"als", {"weighting=log", "threads=1", "solver=cholesky", "iterations=30"}, 4, 0.02f},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		opts_buf ob;
		rs_error e;
		rs_model *m = NULL;
		char *sum = NULL;
		CHECK(count_model(cases[c].algo, make_opts(&ob, cases[c].n, cases[c].kv), &m, &sum, &e) == RS_OK);
		rs_free(sum);
		if (!m)
			continue;
		CHECK(m->weighting != RS_WEIGHT_RAW);
		for (int u = 0; u < 6; u++)
			check_fresh_matches(m, u, cases[c].tol, cases[c].algo);
		rs_model_destroy(&m);
	}
}

/* A hybrid's components keep their own weighting (the hybrid's applies to
 * those without one), stored per part, and fresh users blend the same. */
void test_weighting_hybrid(void)
{
	rs_opt knn[2] = {{.kind = RS_OPT_NUMBER, .key = "weight", .number = 1},
	                 {.kind = RS_OPT_STRING, .key = "weighting", .string = "raw"}};
	rs_opt parts[2] = {{.kind = RS_OPT_OBJECT, .key = "itemknn", .n_children = 2, .children = knn},
	                   {.kind = RS_OPT_NUMBER, .key = "ease", .number = 1}};
	rs_opt kids[3] = {{.kind = RS_OPT_OBJECT, .key = "components", .n_children = 2, .children = parts},
	                  {.kind = RS_OPT_STRING, .key = "weighting", .string = "log"},
	                  {.kind = RS_OPT_NUMBER, .key = "threads", .number = 1}};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 3, .children = kids};
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	CHECK(count_model("hybrid", &root, &m, &sum, &e) == RS_OK);
	CHECK(sum && strstr(sum, "\"weighting\": {\"itemknn\": \"raw\", \"ease\": \"log\"}"));
	rs_free(sum);
	if (!m)
		return;
	CHECK(m->n_parts == 2 && m->parts[0]->weighting == RS_WEIGHT_RAW &&
	      m->parts[1]->weighting == RS_WEIGHT_LOG && m->weighting == RS_WEIGHT_RAW);
	for (int u = 0; u < 4; u++)
		check_fresh_matches(m, u, 1e-4f, "hybrid");
	rs_model_destroy(&m);
}
