/* test_lightfm.c - bpr and warp: block structure, the negative sampler,
 * a feature-only item, determinism, the two Adagrad kernels, the blob
 * round trip, bad options, cancellation. */
#include "fixtures.h"
#include "harness.h"
#include "lightfm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rank (0 = first) of item id `want` in u's top-k, or -1. */
static int rank_of(const rs_model *m, int u, const char *want, int k)
{
	char us[16];
	int ul = snprintf(us, sizeof us, "u%d", u), n = 0;
	rs_reco out[64];
	rs_error e;
	if (k > 64 || rs_recommend(m, us, (size_t)ul, k, NULL, out, &n, &e) != RS_OK)
		return -1;
	for (int r = 0; r < n; r++) {
		size_t l;
		const char *id = rs_model_item_id(m, out[r].item, &l);
		if (l == strlen(want) && memcmp(id, want, l) == 0)
			return r;
	}
	return -1;
}

/* Both losses put each user's held-out in-group item first. */
void test_lfm_blocks(void)
{
	const char *algos[] = {"bpr", "warp"};
	const char *kv[] = {"factors=8", "epochs=60", "threads=1"};
	for (int a = 0; a < 2; a++) {
		rs_model *m = NULL;
		rs_error e;
		CHECK(train_blocks(algos[a], 3, kv, 20, 16, &m, &e) == RS_OK);
		if (!m)
			continue;
		CHECK(m->factors == 9 && m->feat_f == NULL); /* + bias column; no side features */
		int good = 0;
		for (int u = 0; u < 20; u++) {
			char want[16];
			snprintf(want, sizeof want, "i%d", (u < 10 ? 0 : 8) + u % 8);
			good += rank_of(m, u, want, 1) == 0;
		}
		CHECK(good == 20);
		rs_model_destroy(&m);
	}
}

/* The sampler never returns a positive, covers every negative, stays in
 * range, and gives up (-1) for a user who has every item. */
void test_lfm_negatives(void)
{
	/* user 3 has every item but 70 of 0..129: the bitmap's second and third words */
	int64_t indptr[] = {0, 3, 3, 6, 6 + 129};
	int32_t indices[6 + 129] = {0, 2, 5, 0, 1, 2};
	float data[6 + 129];
	for (int k = 0; k < 6 + 129; k++)
		data[k] = 1;
	for (int k = 0, i = 0; k < 129; i++)
		if (i != 70)
			indices[6 + k++] = i;
	rs_csr c = {.nrows = 4, .ncols = 130, .indptr = indptr, .indices = indices, .data = data};
	uint64_t *bits = rs_lfm_positive_bits(&c, 1 << 20);
	CHECK(bits != NULL && rs_lfm_positive_bits(&c, 8) == NULL); /* over the bound: none */
	for (int path = 0; path < 2; path++) { /* the row's binary search, then the bitmap */
		const uint64_t *b = path ? bits : NULL;
		uint64_t rng = 7;
		int hits[6] = {0};
		for (int k = 0; k < 3000; k++) {
			int32_t j = rs_lfm_sample_negative(&c, b, 0, 6, &rng);
			CHECK(j == 1 || j == 3 || j == 4);
			if (j >= 0 && j < 6)
				hits[j]++;
			int32_t x = rs_lfm_sample_negative(&c, b, 1, 6, &rng); /* no positives */
			CHECK(x >= 0 && x < 6);
		}
		CHECK(hits[1] > 800 && hits[3] > 800 && hits[4] > 800);
		CHECK(rs_lfm_sample_negative(&c, b, 2, 3, &rng) == -1); /* items 0..2 all positive */
		int32_t only = rs_lfm_sample_negative(&c, b, 3, 130, &rng);
		CHECK(only == 70 || only == -1); /* 100 draws may miss the one free item */
		int found = 0;
		for (int k = 0; k < 50; k++)
			found += rs_lfm_sample_negative(&c, b, 3, 130, &rng) == 70;
		CHECK(found > 0);
	}
	free(bits);
}

/* Blocks plus an items table: genre "a" for the first half, "b" for the
 * second, and an item "new_a" that only the items table names. */
static rs_status train_genres(const char *algo, rs_model **m, rs_error *e)
{
	opts_buf ob;
	const char *kv[] = {"factors=8", "epochs=60", "threads=1"};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	char *sum = NULL;
	rs_status st = rs_config_create(algo, make_opts(&ob, 3, kv), 1, &cfg, e);
	if (st == RS_OK)
		st = rs_builder_create(cfg, &b, e);
	for (int u = 0; st == RS_OK && u < 20; u++)
		for (int i = 0; st == RS_OK && i < 16; i++) {
			if ((u < 10) != (i < 8) || i % 8 == u % 8)
				continue;
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
			st = rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, e);
		}
	for (int i = 0; st == RS_OK && i <= 16; i++) {
		char is[16];
		int il = i < 16 ? snprintf(is, sizeof is, "i%d", i) : snprintf(is, sizeof is, "new_a");
		const char *g = i < 8 || i == 16 ? "a" : "b";
		st = rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "genre", g, 1, 0, 0, e);
	}
	if (st == RS_OK)
		st = rs_train(cfg, b, NULL, m, &sum, e);
	if (st == RS_OK) /* two genres; new_a joined the catalogue */
		CHECK(strstr(sum, "\"attribute_features\": 2, \"new_items\": 1, \"new_users\": 0") != NULL);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return st;
}

/* Model score of item i for user u (factor dot product, bias included). */
static double score(const rs_model *m, int32_t u, int32_t i)
{
	double s = 0;
	for (int d = 0; d < m->factors; d++)
		s += (double)m->user_f[(size_t)u * m->factors + d] * m->item_f[(size_t)i * m->factors + d];
	return s;
}

/* The feature-only item joins the catalogue and ranks, by its genre alone,
 * above the other group's items for the users of its genre, and below them
 * for the others. */
void test_lfm_feature_item(void)
{
	const char *algos[] = {"bpr", "warp"};
	for (int a = 0; a < 2; a++) {
		rs_model *m = NULL;
		rs_error e;
		CHECK(train_genres(algos[a], &m, &e) == RS_OK);
		if (!m)
			continue;
		int32_t it = rs_model_find_item(m, "new_a", 5);
		CHECK(m->items.n == 17 && it == 16 && m->pop[16] == 0);
		CHECK(m->feat_f && m->feats.n == 16 + 20 + 2);
		int32_t fa = rs_idmap_find(&m->feats, "item.genre=a", 12);
		CHECK(fa >= 0);
		if (fa >= 0 && m->item_feats.indptr) /* new_a: only its genre, weight 1 */
			CHECK(m->item_feats.indptr[17] - m->item_feats.indptr[16] == 1 &&
			      m->item_feats.indices[m->item_feats.indptr[16]] == fa &&
			      m->item_feats.data[m->item_feats.indptr[16]] == 1.0f);
		int32_t id0 = rs_idmap_find(&m->feats, "item:i0", 7);
		const rs_csr *c = &m->item_feats; /* a known item: identity .9, genre .1 */
		int32_t i0 = rs_model_find_item(m, "i0", 2);
		CHECK(id0 >= 0 && i0 >= 0 && c->indptr[i0 + 1] - c->indptr[i0] == 2);
		if (i0 >= 0 && c->indptr[i0 + 1] - c->indptr[i0] == 2)
			CHECK(c->indices[c->indptr[i0]] == id0 && fabsf(c->data[c->indptr[i0]] - 0.9f) < 1e-6f &&
			      c->indices[c->indptr[i0] + 1] == fa &&
			      fabsf(c->data[c->indptr[i0] + 1] - 0.1f) < 1e-6f);
		/* by its genre alone: above the other genre's items for the genre's
		 * users, below their own items for the other users */
		int good = 0;
		for (int u = 0; u < 20; u++) {
			char us[16];
			int ul = snprintf(us, sizeof us, "u%d", u);
			int32_t x = rs_model_find_user(m, us, (size_t)ul);
			double mean_b = 0, s_new = score(m, x, it);
			for (int i = 8; i < 16; i++) {
				char is[16];
				int il = snprintf(is, sizeof is, "i%d", i);
				mean_b += score(m, x, rs_model_find_item(m, is, (size_t)il)) / 8;
			}
			good += u < 10 ? s_new > mean_b : s_new < mean_b;
		}
		CHECK(good == 20);
		rs_model_destroy(&m);
	}
}

/* A user only the users table names (its attribute shared with the first
 * group) joins the model and gets that group's items, by attribute alone. */
void test_lfm_feature_user(void)
{
	const char *algos[] = {"bpr", "warp"};
	for (int a = 0; a < 2; a++) {
		opts_buf ob;
		const char *kv[] = {"factors=8", "epochs=60", "threads=1"};
		rs_config *cfg = NULL;
		rs_builder *b = NULL;
		rs_model *m = NULL;
		char *sum = NULL;
		rs_error e;
		rs_status st = rs_config_create(algos[a], make_opts(&ob, 3, kv), 1, &cfg, &e);
		if (st == RS_OK)
			st = rs_builder_create(cfg, &b, &e);
		for (int u = 0; st == RS_OK && u <= 20; u++) {
			char us[16];
			int ul = u < 20 ? snprintf(us, sizeof us, "u%d", u) : snprintf(us, sizeof us, "new_u");
			const char *taste = u < 10 || u == 20 ? "x" : "y";
			st = rs_builder_add_attribute(b, RS_SIDE_USERS, us, (size_t)ul, "taste", taste, 1, 0, 0, &e);
			for (int i = 0; st == RS_OK && u < 20 && i < 16; i++) {
				if ((u < 10) != (i < 8) || i % 8 == u % 8)
					continue;
				char is[16];
				int il = snprintf(is, sizeof is, "i%d", i);
				st = rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &e);
			}
		}
		if (st == RS_OK)
			st = rs_train(cfg, b, NULL, &m, &sum, &e);
		CHECK(st == RS_OK);
		if (st == RS_OK) {
			CHECK(strstr(sum, "\"new_items\": 0, \"new_users\": 1") != NULL);
			CHECK(rs_model_n_users(m) == 21 && rs_model_find_user(m, "new_u", 5) == 20);
			rs_reco out[8];
			int n = 0, group = 0;
			CHECK(rs_recommend(m, "new_u", 5, 8, NULL, out, &n, &e) == RS_OK && n == 8);
			for (int r = 0; r < n; r++) {
				size_t l;
				const char *id = rs_model_item_id(m, out[r].item, &l);
				group += out[r].source == RS_SRC_MODEL && l == 2 && id[0] == 'i' && id[1] < '8';
			}
			CHECK(group >= 7); /* i0..i7: the first group's items */
		}
		rs_free(sum);
		rs_model_destroy(&m);
		rs_builder_destroy(&b);
		rs_config_destroy(&cfg);
	}
}

/* One thread and a fixed seed give the same model; another seed does not. */
void test_lfm_deterministic(void)
{
	rs_model *m1 = NULL, *m2 = NULL, *m3 = NULL;
	rs_error e;
	const char *k1[] = {"factors=8", "threads=1", "seed=5"}, *k3[] = {"factors=8", "threads=1", "seed=6"};
	CHECK(train_blocks("warp", 3, k1, 40, 30, &m1, &e) == RS_OK);
	CHECK(train_blocks("warp", 3, k1, 40, 30, &m2, &e) == RS_OK);
	CHECK(train_blocks("warp", 3, k3, 40, 30, &m3, &e) == RS_OK);
	if (m1 && m2 && m3) {
		size_t bytes = 30 * 9 * sizeof(float);
		CHECK(memcmp(m1->item_f, m2->item_f, bytes) == 0);
		CHECK(memcmp(m1->user_f, m2->user_f, 40 * 9 * sizeof(float)) == 0);
		CHECK(memcmp(m1->item_f, m3->item_f, bytes) != 0);
	}
	rs_model_destroy(&m1);
	rs_model_destroy(&m2);
	rs_model_destroy(&m3);
}

/* The eight-wide Adagrad kernel and the four-wide one agree for every row
 * length (tails included) over repeated steps. */
void test_lfm_ada_kernels(void)
{
	for (int f = 1; f <= 70; f++) {
		float x[2][72], g2[2][72], dir[72];
		for (int d = 0; d < f; d++) {
			x[0][d] = x[1][d] = (float)sin(d + f) * 0.1f;
			g2[0][d] = g2[1][d] = 1.0f;
		}
		for (int step = 0; step < 20; step++) {
			for (int d = 0; d < f; d++)
				dir[d] = (float)cos(d * 0.7 + step);
			float scale = step % 2 ? 0.8f : -0.3f;
			rs_lfm_ada_step(x[0], g2[0], dir, scale, 0.05f, f, 0);
			rs_lfm_ada_step(x[1], g2[1], dir, scale, 0.05f, f, 1);
		}
		int same = 1;
		for (int d = 0; d < f; d++)
			same &= fabsf(x[0][d] - x[1][d]) <= 1e-5f * (1 + fabsf(x[0][d])) &&
			        fabsf(g2[0][d] - g2[1][d]) <= 1e-5f * g2[0][d] && g2[0][d] > 1.0f;
		CHECK(same);
	}
}

/* Save and load keep the recommendations and the feature parts. */
void test_lfm_round_trip(void)
{
	rs_model *m = NULL, *l = NULL;
	rs_error e;
	unsigned char *blob = NULL;
	size_t len = 0;
	CHECK(train_genres("warp", &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK);
	CHECK(rs_model_load(blob, len, &l, &e) == RS_OK);
	if (l) {
		CHECK(l->factors == m->factors && l->feats.n == m->feats.n);
		CHECK(memcmp(l->feat_f, m->feat_f, m->feats.n * (size_t)m->factors * sizeof(float)) == 0);
		CHECK(rs_csr_nnz(&l->item_feats) == rs_csr_nnz(&m->item_feats));
		CHECK(rs_csr_nnz(&l->user_feats) == rs_csr_nnz(&m->user_feats));
		for (int u = 0; u < 20; u++) {
			char us[16];
			int ul = snprintf(us, sizeof us, "u%d", u), n1 = 0, n2 = 0;
			rs_reco a[10], b[10];
			CHECK(rs_recommend(m, us, (size_t)ul, 10, NULL, a, &n1, &e) == RS_OK);
			CHECK(rs_recommend(l, us, (size_t)ul, 10, NULL, b, &n2, &e) == RS_OK);
			CHECK(n1 == n2);
			for (int r = 0; r < n1 && r < n2; r++)
				CHECK(a[r].item == b[r].item && a[r].score == b[r].score);
		}
	}
	rs_free(blob);
	rs_model_destroy(&m);
	rs_model_destroy(&l);
}

/* Option errors name the key. */
void test_lfm_options(void)
{
	struct { const char *algo, *kv, *key; } bad[] = {
		{"warp", "max_sampled=0", "\"max_sampled\""},
		{"warp", "learning_rate=fast", "\"learning_rate\""},
		{"bpr", "max_sampled=10", "\"max_sampled\""},
		{"bpr", "factors=2000", "\"factors\""},
		{"warp", "epochs=0", "\"epochs\""},
		{"bpr", "item_alpha=-1", "\"item_alpha\""},
		{"warp", "user_alpha=x", "\"user_alpha\""},
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		opts_buf ob;
		rs_config *c = NULL;
		rs_error e = {0};
		CHECK(rs_config_create(bad[k].algo, make_opts(&ob, 1, &bad[k].kv), 1, &c, &e) == RS_EINVAL);
		CHECK(c == NULL && strstr(e.msg, bad[k].key) != NULL);
		rs_config_destroy(&c);
	}
	opts_buf ob;
	rs_config *c = NULL;
	rs_error e;
	const char *ok[] = {"factors=16", "epochs=3", "learning_rate=0.1", "max_sampled=50",
	                    "item_alpha=1e-6", "user_alpha=1e-6"};
	CHECK(rs_config_create("warp", make_opts(&ob, 6, ok), 1, &c, &e) == RS_OK);
	rs_config_destroy(&c);
}

/* A cancel request stops either loss with RS_ECANCELLED and nothing leaks. */
void test_lfm_cancel(void)
{
	CHECK(train_cancelled("bpr", 3, 300, 200));
	CHECK(train_cancelled("warp", 3, 300, 200));
}
