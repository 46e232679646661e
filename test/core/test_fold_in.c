/* test_fold_in.c - recommend_for_items(): each family folds a known user's
 * own items in and finds that user's held-out item; empty and unknown
 * sessions, duplicates, exclusion, k and option errors. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NU 20
#define NI 16

/* User u's training items of train_blocks(NU, NI) as ids, into ids/lens. */
static int session_of(int u, char ids[][16], const char **items, size_t *lens)
{
	int g = u < NU / 2, n = 0;
	for (int i = 0; i < NI; i++) {
		if (g != (i < NI / 2) || i % (NI / 2) == u % (NI / 2))
			continue;
		lens[n] = (size_t)snprintf(ids[n], 16, "i%d", i);
		items[n] = ids[n];
		n++;
	}
	return n;
}

/* Whether recommendation r is item "i<want>". */
static int is_item(const rs_model *m, const rs_reco *r, int want)
{
	char w[16];
	size_t l, wl = (size_t)snprintf(w, sizeof w, "i%d", want);
	const char *id = rs_model_item_id(m, r->item, &l);
	return l == wl && memcmp(id, w, l) == 0;
}

/* Users whose session's first recommendation is their held-out item. */
static int held_out_first(const rs_model *m, const rs_opt *opts)
{
	int good = 0;
	for (int u = 0; u < NU; u++) {
		char ids[NI][16];
		const char *items[NI];
		size_t lens[NI];
		int n = session_of(u, ids, items, lens), got = 0;
		rs_reco out[3];
		rs_error e;
		CHECK(rs_recommend_for_items(m, items, lens, n, 3, opts, out, &got, &e) == RS_OK);
		CHECK(got == 3);
		for (int r = 0; r < got; r++) /* the session's items are left out */
			for (int s = 0; s < n; s++)
				CHECK(!is_item(m, &out[r], atoi(items[s] + 1)));
		good += got > 0 && is_item(m, &out[0], (u < NU / 2 ? 0 : NI / 2) + u % (NI / 2));
	}
	return good;
}

/* Every family finds the held-out item from the user's items alone. */
void test_fold_in_families(void)
{
	const char *algos[] = {"als", "svd", "bpr", "warp", "itemknn", "ease"};
	const char *kv[][3] = {{"factors=4", "iterations=20", "regularization=0.1"},
	                       {"factors=2", "threads=1", "seed=1"},
	                       {"factors=8", "epochs=60", "threads=1"},
	                       {"factors=8", "epochs=60", "threads=1"},
	                       {"threads=1"},
	                       {"threads=1"}};
	const int nkv[] = {3, 3, 3, 3, 1, 1};
	for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
		rs_model *m = NULL;
		rs_error e;
		CHECK(train_blocks(algos[a], nkv[a], kv[a], NU, NI, &m, &e) == RS_OK);
		if (!m)
			continue;
		int good = held_out_first(m, NULL);
		if (good < NU)
			fprintf(stderr, "  %s: %d of %d sessions\n", algos[a], good, NU);
		CHECK(good >= (a == 2 || a == 3 ? NU - 2 : NU));
		rs_model_destroy(&m);
	}
}

/* ALS with the training's own lambda and alpha: the folded-in vector is
 * one more half-step, so it recommends what recommend() gives the user
 * (scores within 2%: training's last user step saw the previous item factors). */
void test_fold_in_als_matches_user(void)
{
	const char *kv[] = {"factors=4", "iterations=30", "regularization=0.1", "alpha=5",
	                    "solver=cholesky", "threads=1"};
	const char *okv[] = {"regularization=0.1", "alpha=5"};
	opts_buf ob;
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_blocks("als", 6, kv, NU, NI, &m, &e) == RS_OK);
	if (!m)
		return;
	const rs_opt *opts = make_opts(&ob, 2, okv);
	CHECK(held_out_first(m, opts) == NU);
	for (int u = 0; u < NU; u++) {
		char ids[NI][16], us[16];
		const char *items[NI];
		size_t lens[NI];
		int n = session_of(u, ids, items, lens), n1 = 0, n2 = 0;
		int ul = snprintf(us, sizeof us, "u%d", u);
		rs_reco a[4], b[4];
		CHECK(rs_recommend(m, us, (size_t)ul, 4, NULL, a, &n1, &e) == RS_OK);
		CHECK(rs_recommend_for_items(m, items, lens, n, 4, opts, b, &n2, &e) == RS_OK);
		CHECK(n1 == 4 && n2 == 4);
		for (int r = 0; r < 4 && n1 == 4 && n2 == 4; r++)
			CHECK(a[r].item == b[r].item && fabsf(a[r].score - b[r].score) < 0.02f);
	}
	rs_model_destroy(&m);
}

/* Hybrid blends the components' session scores; popularity skips the session. */
void test_fold_in_hybrid_popularity(void)
{
	rs_opt parts[2] = {{.kind = RS_OPT_NUMBER, .key = "itemknn", .number = 2},
	                   {.kind = RS_OPT_NUMBER, .key = "popularity", .number = 1}};
	rs_opt comp = {.kind = RS_OPT_OBJECT, .key = "components", .n_children = 2, .children = parts};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &comp};
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	CHECK(rs_config_create("hybrid", &root, 1, &c, &e) == RS_OK);
	CHECK(c && rs_builder_create(c, &b, &e) == RS_OK);
	for (int u = 0; b && u < NU; u++)
		for (int i = 0; i < NI; i++) {
			if ((u < NU / 2) != (i < NI / 2) || i % (NI / 2) == u % (NI / 2))
				continue;
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
			rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &e);
		}
	CHECK(b && rs_train(c, b, NULL, &m, &sum, &e) == RS_OK);
	if (m) {
		CHECK(held_out_first(m, NULL) == NU);
		const char *items[] = {"i1"};
		size_t lens[] = {2};
		rs_reco out[2];
		int n = 0;
		CHECK(rs_recommend_for_items(m, items, lens, 1, 2, NULL, out, &n, &e) == RS_OK && n == 2);
		CHECK(n == 2 && strcmp(rs_source_name(m, out[0].source), "hybrid:itemknn") == 0);
	}
	rs_free(sum);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);

	CHECK(train_blocks("popularity", 0, NULL, NU, NI, &m, &e) == RS_OK);
	if (!m)
		return;
	rs_reco all[NI], out[NI];
	int na = 0, n = 0;
	CHECK(rs_popular(m, NI, NULL, all, &na, &e) == RS_OK && na == NI);
	size_t l0;
	const char *top = rs_model_item_id(m, all[0].item, &l0);
	const char *items[] = {top};
	CHECK(rs_recommend_for_items(m, items, &l0, 1, NI, NULL, out, &n, &e) == RS_OK);
	CHECK(n == NI - 1 && out[0].item == all[1].item && out[0].source == RS_SRC_POPULAR);
	rs_model_destroy(&m);
}

/* No known item: popular items, source "popularity (empty session)";
 * unknown ids skipped and duplicates counted once; exactly k rows. */
void test_fold_in_sessions(void)
{
	rs_model *m = NULL;
	rs_error e;
	const char *kv[] = {"factors=4", "threads=1"};
	CHECK(train_blocks("als", 2, kv, NU, NI, &m, &e) == RS_OK);
	if (!m)
		return;
	rs_reco pop[5], out[NI], out2[NI];
	int np = 0, n = 0, n2 = 0;
	CHECK(rs_popular(m, 5, NULL, pop, &np, &e) == RS_OK && np == 5);
	const char *unknown[] = {"nope", NULL, ""};
	size_t ul[] = {4, 0, 0};
	for (int cnt = 0; cnt <= 3; cnt++) {
		CHECK(rs_recommend_for_items(m, cnt ? unknown : NULL, cnt ? ul : NULL, cnt, 5, NULL, out,
		                             &n, &e) == RS_OK);
		CHECK(n == 5 && out[0].source == RS_SRC_SESSION_EMPTY && out[0].item == pop[0].item);
	}
	CHECK(strcmp(rs_source_name(m, RS_SRC_SESSION_EMPTY), "popularity (empty session)") == 0);
	const char *dup[] = {"i1", "nope", "i1", "i2", "i2"}, *plain[] = {"i2", "i1"};
	size_t dl[] = {2, 4, 2, 2, 2}, pl[] = {2, 2};
	CHECK(rs_recommend_for_items(m, dup, dl, 5, NI, NULL, out, &n, &e) == RS_OK);
	CHECK(rs_recommend_for_items(m, plain, pl, 2, NI, NULL, out2, &n2, &e) == RS_OK);
	CHECK(n == NI - 2 && n2 == n && memcmp(out, out2, sizeof *out * (size_t)n) == 0);
	CHECK(out[0].source == RS_SRC_MODEL);
	/* exclude_items=false: the whole catalogue */
	const char *kf[] = {"exclude_items=false"};
	opts_buf ob;
	CHECK(rs_recommend_for_items(m, plain, pl, 2, NI, make_opts(&ob, 1, kf), out, &n, &e) == RS_OK);
	CHECK(n == NI);
	CHECK(rs_recommend_for_items(m, plain, pl, 2, 3, NULL, out, &n, &e) == RS_OK && n == 3);
	rs_model_destroy(&m);
}

/* Bad k, bad options, NULL arguments: RS_EINVAL with a message. */
void test_fold_in_errors(void)
{
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_blocks("itemknn", 0, NULL, NU, NI, &m, &e) == RS_OK);
	if (!m)
		return;
	const char *items[] = {"i1"};
	size_t lens[] = {2};
	rs_reco out[2];
	int n = 0;
	opts_buf ob;
	CHECK(rs_recommend_for_items(m, items, lens, 1, 0, NULL, out, &n, &e) == RS_EINVAL);
	CHECK(strcmp(e.msg, "k must be between 1 and 100000 (got 0)") == 0);
	CHECK(rs_recommend_for_items(m, items, lens, 1, RS_MAX_K + 1, NULL, out, &n, &e) == RS_EINVAL);
	const char *k1[] = {"colour=red"}, *k2[] = {"exclude_items=3"}, *k3[] = {"alpha=-1"};
	CHECK(rs_recommend_for_items(m, items, lens, 1, 2, make_opts(&ob, 1, k1), out, &n, &e) ==
	      RS_EINVAL);
	CHECK(strstr(e.msg, "unknown option \"colour\" for recommend_for_items") != NULL);
	CHECK(rs_recommend_for_items(m, items, lens, 1, 2, make_opts(&ob, 1, k2), out, &n, &e) ==
	      RS_EINVAL);
	CHECK(strcmp(e.msg, "option \"exclude_items\" must be a boolean") == 0);
	CHECK(rs_recommend_for_items(m, items, lens, 1, 2, make_opts(&ob, 1, k3), out, &n, &e) ==
	      RS_EINVAL);
	CHECK(strcmp(e.msg, "option \"alpha\" must be between 0 and 1e+09 (got -1)") == 0);
	CHECK(rs_recommend_for_items(m, NULL, NULL, 1, 2, NULL, out, &n, &e) == RS_EINVAL);
	CHECK(rs_recommend_for_items(NULL, items, lens, 1, 2, NULL, out, &n, &e) == RS_EINVAL);
	CHECK(rs_recommend_for_items(m, items, lens, -1, 2, NULL, out, &n, &e) == RS_EINVAL);
	CHECK(n == 0);
	rs_model_destroy(&m);
}
