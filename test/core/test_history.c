/* test_history.c - fresh users and sessions read from the source
 * (rs_history, rs_recommend_for_history): event weights and fold-in
 * parameters kept in the blob, the match with a trained user and with a
 * retrain, row rules, empty histories, options. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HU 60
#define HI 40

static const char *const EVENTS[] = {"view", "cart", "buy"};

/* Synthetic shop: user u of group g = u % 4 buys, carts and views items of
 * block g (10 items), 12 rows each, deterministically; user `skip` is
 * left out. */
static rs_status shop_model(int skip, rs_model **m, rs_error *e)
{
	rs_opt ew[3] = {{.kind = RS_OPT_NUMBER, .key = "view", .number = 0.2},
	                {.kind = RS_OPT_NUMBER, .key = "cart", .number = 0.5},
	                {.kind = RS_OPT_NUMBER, .key = "buy", .number = 1}};
	rs_opt kids[9] = {
		{.kind = RS_OPT_OBJECT, .key = "event_weights", .n_children = 3, .children = ew},
		{.kind = RS_OPT_NUMBER, .key = "factors", .number = 8},
		{.kind = RS_OPT_NUMBER, .key = "iterations", .number = 40},
		{.kind = RS_OPT_NUMBER, .key = "alpha", .number = 3},
		{.kind = RS_OPT_NUMBER, .key = "regularization", .number = 0.5},
		{.kind = RS_OPT_STRING, .key = "solver", .string = "cholesky"},
		{.kind = RS_OPT_NUMBER, .key = "threads", .number = 1},
		{.kind = RS_OPT_STRING, .key = "session_column", .string = "visit"},
		{.kind = RS_OPT_STRING, .key = "user_column", .string = "customer"}};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 9, .children = kids};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	char *sum = NULL;
	rs_status st = rs_config_create("als", &root, 1, &cfg, e);
	if (st == RS_OK)
		st = rs_builder_create(cfg, &b, e);
	uint64_t seed = 7;
	for (int u = 0; st == RS_OK && u < HU; u++) {
		for (int r = 0; st == RS_OK && r < 12; r++) {
			int g = u % 4, i = g * 10 + (int)(rs_rand_next(&seed) % 10);
			if (rs_rand_next(&seed) % 8 == 0)
				i = (int)(rs_rand_next(&seed) % HI); /* some noise */
			const char *ev = EVENTS[rs_rand_next(&seed) % 3];
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
			if (u != skip) /* the same random stream either way */
				st = rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, ev, strlen(ev), 1,
				                    1000.0 + r, e);
		}
	}
	if (st == RS_OK)
		st = rs_train(cfg, b, NULL, m, &sum, e);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return st;
}

/* The rows shop_model gives user u, replayed into a history. */
static rs_status user_history(const rs_model *m, int u, rs_history **h, rs_error *e)
{
	rs_status st = rs_history_create(m, h, e);
	uint64_t seed = 7;
	for (int v = 0; st == RS_OK && v <= u; v++)
		for (int r = 0; st == RS_OK && r < 12; r++) {
			int g = v % 4, i = g * 10 + (int)(rs_rand_next(&seed) % 10);
			if (rs_rand_next(&seed) % 8 == 0)
				i = (int)(rs_rand_next(&seed) % HI);
			const char *ev = EVENTS[rs_rand_next(&seed) % 3];
			char is[16];
			int il = snprintf(is, sizeof is, "i%d", i);
			if (v == u)
				st = rs_history_add(*h, is, (size_t)il, 0, 1, ev, strlen(ev), 1, 1000.0 + r, e);
		}
	return st;
}

/* A known user's rows folded in with the model's own alpha, lambda and event
 * weights (no options) rank as recommend() does: one more half-step. */
void test_history_matches_trained_user(void)
{
	rs_model *m = NULL;
	rs_error e;
	CHECK(shop_model(-1, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(m->fold_alpha == 3 && m->fold_lambda == 0.5 && m->events.n == 3);
	for (int u = 0; u < 8; u++) {
		rs_history *h = NULL;
		rs_reco a[5], b[5];
		int n1 = 0, n2 = 0;
		char us[16];
		int ul = snprintf(us, sizeof us, "u%d", u);
		CHECK(user_history(m, u, &h, &e) == RS_OK);
		CHECK(rs_history_rows(h) == 12);
		CHECK(rs_recommend(m, us, (size_t)ul, 5, NULL, a, &n1, &e) == RS_OK);
		CHECK(rs_recommend_for_history(m, h, 1, 5, NULL, b, &n2, &e) == RS_OK);
		CHECK(n1 == 5 && n2 == 5);
		for (int r = 0; r < 5 && n1 == 5 && n2 == 5; r++) {
			CHECK(a[r].item == b[r].item && fabsf(a[r].score - b[r].score) < 0.02f);
			CHECK(b[r].source == RS_SRC_FRESH);
		}
		rs_history_destroy(&h);
		CHECK(h == NULL);
	}
	rs_model_destroy(&m);
}

/* Pearson correlation of two score vectors. */
static double correlation(const double *x, const double *y, int n)
{
	double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
	for (int i = 0; i < n; i++) {
		mx += x[i] / n;
		my += y[i] / n;
	}
	for (int i = 0; i < n; i++) {
		sxy += (x[i] - mx) * (y[i] - my);
		sxx += (x[i] - mx) * (x[i] - mx);
		syy += (y[i] - my) * (y[i] - my);
	}
	return sxy / sqrt(sxx * syy);
}

/* Tolerance of a fresh user against a retrain: user 5 is left out of
 * training, folded in from their rows, and compared with a model trained
 * with them, over every item (seen ones included): score correlation at
 * least 0.98 and at least 4 of the top 5 in common (measured: 0.996, 5 of 5). */
void test_history_matches_retrain(void)
{
	rs_model *without = NULL, *with = NULL;
	rs_error e;
	CHECK(shop_model(5, &without, &e) == RS_OK);
	CHECK(shop_model(-1, &with, &e) == RS_OK);
	if (!without || !with) {
		rs_model_destroy(&without);
		rs_model_destroy(&with);
		return;
	}
	const char *all[] = {"exclude_seen=false"};
	opts_buf ob;
	rs_history *h = NULL;
	rs_reco a[HI], b[HI];
	double x[HI] = {0}, y[HI] = {0};
	int n1 = 0, n2 = 0, common = 0;
	CHECK(rs_model_find_user(without, "u5", 2) < 0);
	CHECK(user_history(without, 5, &h, &e) == RS_OK);
	CHECK(rs_recommend_for_history(without, h, 1, HI, make_opts(&ob, 1, all), a, &n1, &e) == RS_OK);
	CHECK(rs_recommend(with, "u5", 2, HI, make_opts(&ob, 1, all), b, &n2, &e) == RS_OK);
	CHECK(n1 == HI && n2 == HI);
	for (int r = 0; r < n1 && n2 == HI; r++) {
		size_t la;
		const char *ia = rs_model_item_id(without, a[r].item, &la);
		int32_t j = rs_model_find_item(with, ia, la);
		for (int q = 0; q < n2; q++)
			if (b[q].item == j) {
				x[r] = a[r].score;
				y[r] = b[q].score;
				common += r < 5 && q < 5;
			}
	}
	double c = correlation(x, y, HI);
	if (common < 4 || !(c >= 0.98))
		fprintf(stderr, "  fresh vs retrain: %d of the top 5 in common, correlation %.3f\n",
		        common, c);
	CHECK(common >= 4 && c >= 0.98);
	rs_history_destroy(&h);
	rs_model_destroy(&without);
	rs_model_destroy(&with);
}

/* Blob round trip keeps alpha, lambda, event weights and columns. */
void test_history_blob_keeps_fold(void)
{
	rs_model *m = NULL, *l = NULL;
	rs_error e;
	unsigned char *blob = NULL;
	size_t len = 0;
	CHECK(shop_model(-1, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK);
	CHECK(rs_model_load(blob, len, &l, &e) == RS_OK);
	if (l) {
		CHECK(l->fold_alpha == 3 && l->fold_lambda == m->fold_lambda);
		CHECK(l->events.n == 3 && rs_idmap_find(&l->events, "cart", 4) >= 0);
		CHECK(l->event_w[rs_idmap_find(&l->events, "cart", 4)] == 0.5);
		CHECK(strcmp(rs_model_source_column(l, "user"), "customer") == 0);
		CHECK(strcmp(rs_model_source_column(l, "item"), "item_id") == 0);
		CHECK(strcmp(rs_model_source_column(l, "event"), "event") == 0);
		CHECK(strcmp(rs_model_source_column(l, "session"), "visit") == 0);
		CHECK(rs_model_source_column(l, "price") == NULL);
	}
	rs_free(blob);
	rs_model_destroy(&l);
	rs_model_destroy(&m);
	/* a model without event weights: every event counts with its weight */
	CHECK(train_blocks("itemknn", 0, NULL, 8, 8, &m, &e) == RS_OK);
	if (m) {
		CHECK(m->events.n == 0 && isnan(m->fold_alpha));
		CHECK(strcmp(rs_model_source_column(m, "session"), "session_id") == 0);
	}
	rs_model_destroy(&m);
}

/* Row rules as in training: NULL items, unknown events and items, weights
 * <= 0 are skipped; a non-finite weight is an error. */
void test_history_rows(void)
{
	rs_model *m = NULL;
	rs_history *h = NULL;
	rs_error e;
	CHECK(shop_model(-1, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(rs_history_create(m, &h, &e) == RS_OK);
	CHECK(rs_history_add(h, NULL, 0, 0, 1, "buy", 3, 0, 0, &e) == RS_OK);
	CHECK(rs_history_add(h, "i1", 2, 0, 1, "like", 4, 0, 0, &e) == RS_OK);
	CHECK(rs_history_add(h, "i1", 2, 0, 1, NULL, 0, 0, 0, &e) == RS_OK);
	CHECK(rs_history_add(h, "nope", 4, 0, 1, "buy", 3, 0, 0, &e) == RS_OK);
	CHECK(rs_history_add(h, "i1", 2, 1, -2, "buy", 3, 0, 0, &e) == RS_OK);
	CHECK(rs_history_kept(h) == 0);
	CHECK(rs_history_add(h, "i1", 2, 1, NAN, "buy", 3, 0, 0, &e) == RS_EDATA);
	CHECK(strstr(e.msg, "not a finite number") != NULL);
	CHECK(rs_history_add(h, "i1", 2, 1, 1e39, "buy", 3, 0, 0, &e) == RS_EDATA);
	CHECK(!strcmp(e.msg, "weight of row 7 (item \"i1\") is 1e+39, above the float32 maximum "
	                     "3.4028235e+38"));
	CHECK(rs_history_add(h, "i1", 2, 1, 2, "cart", 4, 1, 50, &e) == RS_OK);
	CHECK(rs_history_add(h, "i1", 2, 0, 1, "buy", 3, 1, 40, &e) == RS_OK);
	CHECK(rs_history_rows(h) == 9 && rs_history_kept(h) == 2);
	int32_t *s = NULL;
	float *w = NULL;
	double *ts = NULL;
	int n = 0;
	CHECK(rs_history_merged(h, &s, &w, &ts, &n, &e) == RS_OK);
	CHECK(n == 1 && fabsf(w[0] - 2.0f) < 1e-6f && ts[0] == 50); /* 2 x 0.5 + 1 */
	free(s);
	free(w);
	free(ts);
	rs_history_destroy(&h);
	rs_history_destroy(&h); /* twice: no-op */
	rs_model_destroy(&m);
}

/* No usable row: popular items, with the source saying why; the history's
 * items are left out; options are checked. */
void test_history_empty_and_options(void)
{
	rs_model *m = NULL;
	rs_history *h = NULL;
	rs_error e;
	rs_reco out[HI];
	int n = 0;
	CHECK(shop_model(-1, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(rs_history_create(m, &h, &e) == RS_OK);
	CHECK(rs_recommend_for_history(m, h, 1, 3, NULL, out, &n, &e) == RS_OK);
	CHECK(n == 3 && out[0].source == RS_SRC_FRESH_EMPTY && out[0].item == m->pop_order[0]);
	CHECK(rs_recommend_for_history(m, h, 0, 3, NULL, out, &n, &e) == RS_OK);
	CHECK(n == 3 && out[0].source == RS_SRC_SESSION_EMPTY);
	CHECK(rs_history_add(h, "i3", 2, 0, 1, "buy", 3, 0, 0, &e) == RS_OK);
	CHECK(rs_recommend_for_history(m, h, 1, HI, NULL, out, &n, &e) == RS_OK);
	CHECK(n == HI - 1);
	for (int r = 0; r < n; r++)
		CHECK(out[r].item != rs_model_find_item(m, "i3", 2));
	const char *keep[] = {"exclude_seen=false", "fresh=true"};
	opts_buf ob;
	CHECK(rs_recommend_for_history(m, h, 1, HI, make_opts(&ob, 2, keep), out, &n, &e) == RS_OK);
	CHECK(n == HI);
	const char *bad[] = {"fresh=1"};
	CHECK(rs_recommend_for_history(m, h, 1, 3, make_opts(&ob, 1, bad), out, &n, &e) == RS_EINVAL);
	CHECK(strstr(e.msg, "\"fresh\" must be a boolean") != NULL);
	const char *unk[] = {"exclude_items=true"};
	CHECK(rs_recommend_for_history(m, h, 1, 3, make_opts(&ob, 1, unk), out, &n, &e) == RS_EINVAL);
	const char *sess[] = {"exclude_seen=true"};
	CHECK(rs_recommend_for_history(m, h, 0, 3, make_opts(&ob, 1, sess), out, &n, &e) == RS_EINVAL);
	CHECK(strstr(e.msg, "unknown option \"exclude_seen\" for recommend_for_session") != NULL);
	CHECK(rs_recommend_for_history(m, h, 1, 0, NULL, out, &n, &e) == RS_EINVAL);
	CHECK(rs_recommend_for_history(m, NULL, 1, 3, NULL, out, &n, &e) == RS_EINVAL);
	rs_history_destroy(&h);
	rs_model_destroy(&m);
}

/* Item-based models score a history with their own scorer: a known user's
 * rows folded in give exactly recommend()'s rows, hybrids included (the
 * blend of the components' scores of the same row). */
void test_history_item_based_exact(void)
{
	const char *algos[] = {"itemknn", "ease", "hybrid"};
	rs_opt parts[2] = {{.kind = RS_OPT_NUMBER, .key = "itemknn", .number = 2},
	                   {.kind = RS_OPT_NUMBER, .key = "popularity", .number = 1}};
	rs_opt kids[2] = {{.kind = RS_OPT_NUMBER, .key = "threads", .number = 1},
	                  {.kind = RS_OPT_OBJECT, .key = "components", .n_children = 2,
	                   .children = parts}};
	for (int a = 0; a < 3; a++) {
		rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = a == 2 ? 2 : 1, .children = kids};
		rs_model *m = NULL;
		rs_error e;
		CHECK(train_blocks_opts(algos[a], &root, 20, 16, &m, &e) == RS_OK);
		if (!m)
			continue;
		for (int u = 0; u < 20; u += 3) {
			char us[16];
			int ul = snprintf(us, sizeof us, "u%d", u), n1 = 0, n2 = 0;
			int32_t row = rs_model_find_user(m, us, (size_t)ul);
			rs_history *h = NULL;
			rs_reco x[5], y[5];
			CHECK(rs_history_create(m, &h, &e) == RS_OK);
			for (int64_t p = m->seen.indptr[row]; p < m->seen.indptr[row + 1]; p++) {
				size_t il;
				const char *id = rs_model_item_id(m, m->seen.indices[p], &il);
				CHECK(rs_history_add(h, id, il, 1, m->seen.data[p], NULL, 0, 1,
				                     m->seen.ts ? m->seen.ts[p] : 0, &e) == RS_OK);
			}
			CHECK(rs_recommend(m, us, (size_t)ul, 5, NULL, x, &n1, &e) == RS_OK);
			CHECK(rs_recommend_for_history(m, h, 1, 5, NULL, y, &n2, &e) == RS_OK);
			CHECK(n1 == n2 && n1 > 0);
			for (int r = 0; r < n1 && r < n2; r++)
				CHECK(x[r].item == y[r].item && fabsf(x[r].score - y[r].score) < 1e-5f);
			rs_history_destroy(&h);
		}
		rs_model_destroy(&m);
	}
}

/* auto keeps the alpha and regularization of an ALS winner for fold-in
 * (NaN for any other winner: on this data EASE wins). */
void test_history_auto_keeps_als(void)
{
	const char *kv[] = {"threads=1", "time_budget=30"};
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_blocks("auto", 2, kv, 40, 16, &m, &e) == RS_OK);
	if (m && m->algo == RS_ALGO_ALS)
		CHECK(m->fold_alpha >= 0 && m->fold_lambda > 0 && isfinite(m->fold_lambda));
	else if (m)
		CHECK(isnan(m->fold_alpha) && isnan(m->fold_lambda));
	rs_model_destroy(&m);
	/* an ALS winner: auto.c keeps its parameters, the outer keep_fold (with
	 * auto's own configuration) leaves them */
	rs_config *als = NULL, *aut = NULL;
	const char *akv[] = {"alpha=3"};
	opts_buf ob;
	CHECK(rs_config_create("als", make_opts(&ob, 1, akv), 1, &als, &e) == RS_OK);
	CHECK(rs_config_create("auto", NULL, 1, &aut, &e) == RS_OK);
	m = rs_model_alloc();
	if (m && als && aut) {
		rs_train_ctx winner = {.cfg = als, .lambda = 0.7}, outer = {.cfg = aut};
		m->algo = RS_ALGO_ALS;
		rs_model_keep_als(m, &winner);
		CHECK(rs_model_keep_fold(m, &outer, &e) == RS_OK);
		CHECK(m->fold_alpha == 3 && m->fold_lambda == 0.7);
	}
	rs_model_destroy(&m);
	rs_config_destroy(&als);
	rs_config_destroy(&aut);
}
