/* test_import.c - rs_import: vectors in, scores out as their dot products
 * (with biases), the blob round trip, bad rows named by id, the ALS fold-in
 * of a session against a hand-solved 2 x 2 system, popular items without
 * "als", cosines that leave the bias columns out, interactions remapped. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"
#include "model_format.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NU = 3, NI = 5, D = 2 };
static const double UV[NU][D] = {{1, 0}, {0, 1}, {0.5, -0.5}};
static const double IV[NI][D] = {{1, 0}, {0, 1}, {1, 1}, {-1, 0.5}, {0.2, 0.1}};
static const double UB[NU] = {0.5, -1, 0};
static const double IB[NI] = {0, 0.25, -0.5, 2, 1};

/* The number of item index i's id "i<n>" (ids are not NUL-terminated). */
static int num(const rs_model *m, int32_t i)
{
	size_t l;
	const char *id = rs_model_item_id(m, i, &l);
	char buf[16];
	snprintf(buf, sizeof buf, "%.*s", (int)l, id);
	return atoi(buf + 1);
}

/* An import of UV / IV with the options (and biases when asked). */
static rs_status import(int n, const char *const *kv, rs_builder **inter, rs_model **m,
                        rs_error *e)
{
	opts_buf ob;
	rs_import *im = NULL;
	char *summary = NULL;
	char id[16];
	*m = NULL;
	rs_status st = rs_import_create(make_opts(&ob, n, kv), 1, &im, e);
	if (st != RS_OK)
		return st;
	const char *ubc = rs_import_column(im, RS_IMP_USER_BIAS), *ibc = rs_import_column(im, RS_IMP_ITEM_BIAS);
	for (int u = 0; st == RS_OK && u < NU; u++) {
		snprintf(id, sizeof id, "u%d", u);
		st = rs_import_add(im, RS_SIDE_USERS, id, strlen(id), UV[u], NULL, D, ubc ? &UB[u] : NULL, e);
	}
	for (int i = 0; st == RS_OK && i < NI; i++) {
		snprintf(id, sizeof id, "i%d", i);
		st = rs_import_add(im, RS_SIDE_ITEMS, id, strlen(id), IV[i], NULL, D, ibc ? &IB[i] : NULL, e);
	}
	if (st == RS_OK)
		st = rs_import_finish(im, inter ? *inter : NULL, NULL, m, &summary, e);
	if (inter)
		rs_builder_destroy(inter);
	rs_free(summary);
	rs_import_destroy(&im);
	return st;
}

/* Every item's score for user u equals u . v (+ biases); ranked best first. */
static void check_scores(const rs_model *m, int ub, int ib)
{
	rs_error e;
	for (int u = 0; u < NU; u++) {
		char id[16];
		rs_reco out[NI];
		int n = 0;
		snprintf(id, sizeof id, "u%d", u);
		CHECK(rs_recommend(m, id, strlen(id), NI, NULL, out, &n, &e) == RS_OK);
		CHECK(n == NI);
		for (int r = 0; r < n; r++) {
			int i = num(m, out[r].item);
			double want = UV[u][0] * IV[i][0] + UV[u][1] * IV[i][1] + (ub ? UB[u] : 0) + (ib ? IB[i] : 0);
			CHECK(fabs(out[r].score - want) < 1e-5);
			CHECK(out[r].source == RS_SRC_MODEL);
			CHECK(r == 0 || out[r - 1].score >= out[r].score);
		}
	}
}

void test_import_scores_round_trip(void)
{
	const char *plain[] = {"threads=1"};
	const char *biased[] = {"user_bias_column=ub", "item_bias_column=ib"};
	const char *ibias[] = {"item_bias_column=ib"};
	const char *ubias[] = {"user_bias_column=ub"};
	const char *const *kvs[] = {plain, biased, ibias, ubias};
	int ns[] = {1, 2, 1, 1}, ubs[] = {0, 1, 0, 1}, ibs[] = {0, 1, 1, 0};
	for (int c = 0; c < 4; c++) {
		rs_model *m = NULL, *back = NULL;
		rs_error e;
		CHECK(import(ns[c], kvs[c], NULL, &m, &e) == RS_OK);
		if (!m)
			continue;
		CHECK(!strcmp(rs_model_algorithm(m), "imported"));
		CHECK(m->factors == D + ubs[c] + ibs[c] && rs_model_n_interactions(m) == 0);
		check_scores(m, ubs[c], ibs[c]);
		unsigned char *blob = NULL;
		size_t len = 0;
		CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK);
		CHECK(rs_model_load(blob, len, &back, &e) == RS_OK);
		if (back) {
			CHECK(back->imp_bias == m->imp_bias && back->imp_als == m->imp_als);
			check_scores(back, ubs[c], ibs[c]);
		}
		/* a blob whose vectors went non-finite is refused */
		if (blob && c == 0) {
			const float one = 1.0f, nan = NAN;
			for (size_t k = 0; k + 4 <= len; k += 4)
				if (!memcmp(blob + k, &one, 4)) {
					memcpy(blob + k, &nan, 4);
					break;
				}
			uint64_t sum = rs_blob_checksum(blob, len - 8);
			memcpy(blob + len - 8, &sum, 8);
			rs_model *bad = NULL;
			CHECK(rs_model_load(blob, len, &bad, &e) == RS_ECORRUPT && !bad);
		}
		rs_free(blob);
		rs_model_destroy(&back);
		rs_model_destroy(&m);
	}
}

/* similar_items: cosine of the item vectors without the bias columns. */
void test_import_similar(void)
{
	const char *kv[] = {"user_bias_column=ub", "item_bias_column=ib"};
	rs_model *m = NULL;
	rs_error e;
	CHECK(import(2, kv, NULL, &m, &e) == RS_OK);
	if (!m)
		return;
	rs_reco out[NI];
	int n = 0;
	CHECK(rs_similar_items(m, "i0", 2, NI, NULL, out, &n, &e) == RS_OK);
	CHECK(n >= 2);
	for (int r = 0; r < n; r++) {
		int i = num(m, out[r].item);
		double want = IV[i][0] / sqrt(IV[i][0] * IV[i][0] + IV[i][1] * IV[i][1]);
		CHECK(fabs(out[r].score - want) < 1e-5);
	}
	rs_model_destroy(&m);
}

/* Bad rows are named by their id; nothing is half-imported. */
void test_import_errors(void)
{
	opts_buf ob;
	rs_import *im = NULL;
	rs_error e;
	const double v2[2] = {1, 2}, v3[3] = {1, 2, 3}, vnan[2] = {1, NAN};
	const unsigned char nulls[2] = {0, 1};
	CHECK(rs_import_create(NULL, 1, &im, &e) == RS_OK);
	CHECK(!strcmp(rs_import_column(im, RS_IMP_ID), "id") &&
	      !strcmp(rs_import_column(im, RS_IMP_FEATURES), "features") &&
	      !rs_import_column(im, RS_IMP_ITEM_BIAS) && !rs_import_interactions(im));
	CHECK(rs_import_add(im, RS_SIDE_ITEMS, "a", 1, v2, NULL, 2, NULL, &e) == RS_OK);
	CHECK(rs_import_add(im, RS_SIDE_ITEMS, "b", 1, v3, NULL, 3, NULL, &e) == RS_EDATA &&
	      strstr(e.msg, "item \"b\" has 3 features, expected 2"));
	CHECK(rs_import_add(im, RS_SIDE_ITEMS, "c", 1, NULL, NULL, 0, NULL, &e) == RS_EDATA &&
	      strstr(e.msg, "item \"c\": features is NULL"));
	CHECK(rs_import_add(im, RS_SIDE_ITEMS, "d", 1, vnan, NULL, 2, NULL, &e) == RS_EDATA &&
	      strstr(e.msg, "item \"d\": element 2 of features is NaN"));
	CHECK(rs_import_add(im, RS_SIDE_USERS, "e", 1, v2, nulls, 2, NULL, &e) == RS_EDATA &&
	      strstr(e.msg, "user \"e\": element 2 of features is NULL"));
	CHECK(rs_import_add(im, RS_SIDE_ITEMS, "a", 1, v2, NULL, 2, NULL, &e) == RS_EDATA &&
	      strstr(e.msg, "item \"a\" appears twice in item_vectors"));
	CHECK(rs_import_add(im, RS_SIDE_ITEMS, NULL, 0, v2, NULL, 2, NULL, &e) == RS_EDATA &&
	      strstr(e.msg, "NULL id"));
	rs_model *m = NULL;
	char *summary = NULL;
	CHECK(rs_import_finish(im, NULL, NULL, &m, &summary, &e) == RS_EDATA && !m &&
	      strstr(e.msg, "user_vectors has no rows"));
	rs_import_destroy(&im);
	const char *bad[][2] = {{"als=true", "item_bias_column=b"}, {"dimensions=0", "als=false"},
	                        {"colour=red", "als=false"}, {"items=shop_items", "als=false"}};
	for (int c = 0; c < 4; c++) {
		CHECK(rs_import_create(make_opts(&ob, 2, bad[c]), 1, &im, &e) == RS_EINVAL && !im);
	}
	const char *dims[] = {"dimensions=3", "item_bias_column=b"};
	CHECK(rs_import_create(make_opts(&ob, 2, dims), 1, &im, &e) == RS_OK);
	CHECK(rs_import_add(im, RS_SIDE_ITEMS, "a", 1, v2, NULL, 2, NULL, &e) == RS_EDATA &&
	      strstr(e.msg, "expected 3 (the \"dimensions\" option)"));
	CHECK(rs_import_add(im, RS_SIDE_ITEMS, "a", 1, v3, NULL, 3, NULL, &e) == RS_EDATA &&
	      strstr(e.msg, "item \"a\": b is NULL"));
	rs_import_destroy(&im);
	/* the import algorithm is never trained */
	rs_config *cfg = NULL;
	CHECK(rs_config_create("imported", NULL, 1, &cfg, &e) == RS_EINVAL && !cfg &&
	      strstr(e.msg, "recsys_import()"));
	CHECK(!strstr(rs_algorithms(), "imported"));
}

/* "als": a session folds in by the least-squares solve with the given
 * regularization and alpha; without it a session gets popular items. */
void test_import_fold_in(void)
{
	const char *als[] = {"als=true", "regularization=0.5", "alpha=2"};
	rs_model *m = NULL;
	rs_error e;
	CHECK(import(3, als, NULL, &m, &e) == RS_OK);
	if (!m)
		return;
	/* session {i2}: A = Y^T Y + lambda I + alpha y y^T, b = (1 + alpha) y */
	double a[2][2] = {{0.5, 0}, {0, 0.5}}, y[2] = {IV[2][0], IV[2][1]}, b[2], x[2];
	for (int i = 0; i < NI; i++)
		for (int p = 0; p < 2; p++)
			for (int q = 0; q < 2; q++)
				a[p][q] += IV[i][p] * IV[i][q];
	for (int p = 0; p < 2; p++) {
		for (int q = 0; q < 2; q++)
			a[p][q] += 2 * y[p] * y[q];
		b[p] = 3 * y[p];
	}
	double det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
	x[0] = (b[0] * a[1][1] - a[0][1] * b[1]) / det;
	x[1] = (a[0][0] * b[1] - a[1][0] * b[0]) / det;
	const char *items[] = {"i2"};
	size_t lens[] = {2};
	rs_reco out[NI];
	int n = 0;
	CHECK(rs_recommend_for_items(m, items, lens, 1, NI, NULL, out, &n, &e) == RS_OK);
	CHECK(n == NI - 1);
	for (int r = 0; r < n; r++) {
		int i = num(m, out[r].item);
		CHECK(i != 2 && out[r].source == RS_SRC_MODEL);
		CHECK(fabs(out[r].score - (x[0] * IV[i][0] + x[1] * IV[i][1])) < 1e-4);
	}
	rs_model_destroy(&m);
	const char *plain[] = {"als=false"};
	CHECK(import(1, plain, NULL, &m, &e) == RS_OK);
	if (m) {
		CHECK(rs_recommend_for_items(m, items, lens, 1, NI, NULL, out, &n, &e) == RS_OK);
		CHECK(n == NI - 1 && out[0].source == RS_SRC_POPULAR && out[0].score == 0);
	}
	rs_model_destroy(&m);
}

/* Interactions: rows of users / items without vectors are left out; seen
 * items are excluded and popularity counts the rest. */
void test_import_interactions(void)
{
	const char *kv[] = {"interactions=events"};
	opts_buf ob;
	rs_import *im = NULL;
	rs_error e;
	CHECK(rs_import_create(make_opts(&ob, 1, kv), 1, &im, &e) == RS_OK);
	if (!im)
		return;
	CHECK(!strcmp(rs_import_interactions(im), "events"));
	rs_builder *b = NULL;
	CHECK(rs_builder_create(rs_import_config(im), &b, &e) == RS_OK);
	const char *rows[][2] = {{"u0", "i0"}, {"u1", "i0"}, {"u1", "i3"}, {"zz", "i1"}, {"u2", "nope"}};
	for (int r = 0; r < 5; r++)
		CHECK(rs_builder_add(b, rows[r][0], 2, rows[r][1], strlen(rows[r][1]), 0, 0, NULL, 0, 0, 0,
		                     &e) == RS_OK);
	char id[16];
	for (int u = 0; u < NU; u++) {
		snprintf(id, sizeof id, "u%d", u);
		CHECK(rs_import_add(im, RS_SIDE_USERS, id, 2, UV[u], NULL, D, NULL, &e) == RS_OK);
	}
	for (int i = 0; i < NI; i++) {
		snprintf(id, sizeof id, "i%d", i);
		CHECK(rs_import_add(im, RS_SIDE_ITEMS, id, 2, IV[i], NULL, D, NULL, &e) == RS_OK);
	}
	rs_model *m = NULL;
	char *summary = NULL;
	CHECK(rs_import_finish(im, b, NULL, &m, &summary, &e) == RS_OK);
	rs_builder_destroy(&b);
	rs_import_destroy(&im);
	if (!m)
		return;
	CHECK(summary && strstr(summary, "\"user_without_vector\": 1, \"item_without_vector\": 1"));
	CHECK(rs_model_n_interactions(m) == 3);
	rs_reco out[NI];
	int n = 0;
	CHECK(rs_recommend(m, "u1", 2, NI, NULL, out, &n, &e) == RS_OK && n == NI - 2);
	for (int r = 0; r < n; r++)
		CHECK(out[r].item != rs_model_find_item(m, "i0", 2) && out[r].item != rs_model_find_item(m, "i3", 2));
	CHECK(rs_recommend(m, "stranger", 8, 1, NULL, out, &n, &e) == RS_OK && n == 1 &&
	      out[0].source == RS_SRC_COLDSTART && out[0].item == rs_model_find_item(m, "i0", 2));
	rs_free(summary);
	rs_model_destroy(&m);
}

/* rs_evaluate_model: the model as it is against a given holdout. */
void test_import_evaluate(void)
{
	const char *kv[] = {"threads=1"};
	rs_model *m = NULL;
	rs_import *cfg_of = NULL;
	rs_builder *b = NULL;
	rs_error e;
	CHECK(import(1, kv, NULL, &m, &e) == RS_OK);
	CHECK(rs_import_create(NULL, 1, &cfg_of, &e) == RS_OK);
	if (!m || !cfg_of)
		return;
	CHECK(rs_builder_create(rs_import_config(cfg_of), &b, &e) == RS_OK);
	/* u0's best item is i0 (a hit), u1's is i1 (i3 held out: a miss) */
	CHECK(rs_builder_add(b, "u0", 2, "i0", 2, 0, 0, NULL, 0, 0, 0, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u1", 2, "i3", 2, 0, 0, NULL, 0, 0, 0, &e) == RS_OK);
	rs_eval_result r;
	CHECK(rs_evaluate_model(m, b, 1, NULL, &r, &e) == RS_OK);
	CHECK(r.test_users == 2 && r.test_interactions == 2 && r.train_interactions == 0);
	CHECK(fabs(r.precision - 0.5) < 1e-9 && fabs(r.recall - 0.5) < 1e-9);
	CHECK(!strcmp(r.split, "given") && !strcmp(r.algorithm, "imported"));
	CHECK(rs_evaluate_model(m, b, 1, NULL, &r, &e) == RS_EDATA); /* consumed: empty */
	CHECK(rs_evaluate_model(m, b, 0, NULL, &r, &e) == RS_EINVAL);
	rs_builder_destroy(&b);
	rs_import_destroy(&cfg_of);
	rs_model_destroy(&m);
}
