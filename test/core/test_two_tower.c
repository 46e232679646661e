/* test_two_tower.c - two_tower: the full loss's gradient against finite
 * differences, block structure, the same model for any thread count,
 * items and users only the side tables name, fresh users through the
 * user tower, explain by ablation, the blob round trip, bad options,
 * cancellation. */
#include "fixtures.h"
#include "harness.h"
#include "two_tower.h"
#include "model_format.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const SMALL[] = {"dim=8", "hidden=6", "epochs=30", "batch=32", "threads=1"};

/* Index of item id `want` in the first n rows of out, or -1. */
static int rank_in(const rs_model *m, const rs_reco *out, int n, const char *want)
{
	for (int r = 0; r < n; r++) {
		size_t l;
		const char *id = rs_model_item_id(m, out[r].item, &l);
		if (l == strlen(want) && memcmp(id, want, l) == 0)
			return r;
	}
	return -1;
}

/* The minibatch loss's analytic gradient (in-batch and uniform negatives,
 * log-q correction, normalisation, the residual MLP with dropout, the
 * cold-start drops, the embedding bags, the hardest-negative hinge)
 * matches central differences. */
void test_tt_gradient(void)
{
	const char *kv[] = {"dim=5", "hidden=4", "batch=12", "dropout=0.3", "cold_dropout=0.3",
	                    "temperature=0.5", "history=0.6", "threads=1", "epochs=1",
	                    "hard_negative=0.5"};
	opts_buf ob;
	rs_config *cfg = NULL;
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_blocks_writable("two_tower", 10, kv, 10, 8, &m, &e) == RS_OK);
	CHECK(rs_config_create("two_tower", make_opts(&ob, 10, kv), 1, &cfg, &e) == RS_OK);
	double worst = 1;
	if (m && cfg)
		CHECK(rs_tt_grad_check(cfg, m, 60, 1e-2, &worst, &e) == RS_OK);
	printf("  two_tower minibatch loss: worst relative gradient error %.2e (60 parameters, 16 item bias scalars)\n", worst);
	CHECK(worst <= 0.02);
	rs_config_destroy(&cfg);
	rs_model_destroy(&m);
}

/* The vectorized row scans equal their plain loops bit for bit: rows of
 * every length from 1 to 40 with many ties (values from a small set) and
 * the row's item repeated. */
void test_tt_row_scans(void)
{
	uint64_t rng = 7;
	int bad_max = 0, bad_mask = 0;
	for (int32_t k = 1; k <= 40; k++)
		for (int rep = 0; rep < 50; rep++) {
			float z[40], w[40], b[40], lq[40];
			int32_t item[40], own = (int32_t)(rs_rand_next(&rng) % 4);
			for (int32_t c = 0; c < k; c++) {
				z[c] = (float)(rs_rand_next(&rng) % 5) - 2.5f;
				b[c] = (float)rs_rand_unit(&rng);
				lq[c] = (float)rs_rand_unit(&rng) - 3.0f;
				item[c] = (int32_t)(rs_rand_next(&rng) % 4);
				w[c] = z[c];
			}
			int32_t want = 0;
			for (int32_t c = 1; c < k; c++)
				if (z[c] > z[want])
					want = c;
			bad_max += rs_tt_row_argmax(z, k) != want;
			rs_tt_mask_row(w, item, b, lq, own, k);
			for (int32_t c = 0; c < k; c++) {
				float v = (item[c] == own ? -1e30f : z[c] + b[c]) - lq[c];
				bad_mask += memcmp(&v, &w[c], sizeof v) != 0;
			}
		}
	printf("  two_tower row scans: %d argmax and %d logit mismatches in 2000 rows\n", bad_max, bad_mask);
	CHECK(bad_max == 0 && bad_mask == 0);
}

/* Each user's held-out in-group item comes first (among 9) for most users. */
void test_tt_blocks(void)
{
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_blocks("two_tower", 5, SMALL, 20, 16, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(m->factors == 9 && m->tt_net && m->feat_f && m->tt_hidden == 6);
	/* served as [o_u, 1] . [o_i / T, b_i]: the users' last column is 1 and
	 * the items' bias b_i is E's bias column summed over the item's bag */
	int ones = 0, biased = 0;
	for (int32_t u = 0; u < (int32_t)m->users.n; u++)
		ones += m->user_f[(size_t)u * 9 + 8] == 1.0f;
	for (int32_t i = 0; i < (int32_t)m->items.n; i++) {
		const rs_csr *c = &m->item_feats;
		double b = 0;
		for (int64_t q = c->indptr[i]; q < c->indptr[i + 1]; q++)
			b += (double)c->data[q] * m->feat_f[(size_t)c->indices[q] * 9 + 8];
		biased += fabs(b - m->item_f[(size_t)i * 9 + 8]) < 1e-5 && m->item_f[(size_t)i * 9 + 8] != 0;
	}
	CHECK(ones == (int)m->users.n && biased == (int)m->items.n);
	int good = 0;
	for (int u = 0; u < 20; u++) {
		char us[16], want[16];
		int ul = snprintf(us, sizeof us, "u%d", u), n = 0;
		snprintf(want, sizeof want, "i%d", (u < 10 ? 0 : 8) + u % 8);
		rs_reco out[1];
		CHECK(rs_recommend(m, us, (size_t)ul, 1, NULL, out, &n, &e) == RS_OK);
		good += n == 1 && rank_in(m, out, n, want) == 0;
	}
	CHECK(good >= 15); /* 17-20 over seeds 1-6; chance: about 2 */
	rs_model_destroy(&m);
}

/* One seed, the same bits on 1 and 3 threads; another seed differs. */
void test_tt_threads(void)
{
	/* hidden 256: minibatch GEMMs large enough for dense.c to split them */
	const char *k1[] = {"dim=8", "hidden=256", "epochs=3", "batch=256", "threads=1", "seed=5"};
	const char *k3[] = {"dim=8", "hidden=256", "epochs=3", "batch=256", "threads=3", "seed=5"};
	const char *k6[] = {"dim=8", "hidden=256", "epochs=3", "batch=256", "threads=1", "seed=6"};
	rs_model *a = NULL, *b = NULL, *c = NULL;
	rs_error e;
	CHECK(train_blocks("two_tower", 6, k1, 40, 30, &a, &e) == RS_OK);
	CHECK(train_blocks("two_tower", 6, k3, 40, 30, &b, &e) == RS_OK);
	CHECK(train_blocks("two_tower", 6, k6, 40, 30, &c, &e) == RS_OK);
	if (a && b && c) {
		CHECK(memcmp(a->item_f, b->item_f, 30 * 8 * sizeof(float)) == 0);
		CHECK(memcmp(a->user_f, b->user_f, 40 * 8 * sizeof(float)) == 0);
		CHECK(memcmp(a->tt_net, b->tt_net, rs_tt_net_len(8, 256) * sizeof(float)) == 0);
		CHECK(memcmp(a->item_f, c->item_f, 30 * 8 * sizeof(float)) != 0);
	}
	rs_model_destroy(&a);
	rs_model_destroy(&b);
	rs_model_destroy(&c);
}

/* Blocks with an items table (genre a / b, and "new_a" that only the
 * table names) and a users table (taste x / y, and "new_u" likewise). */
static rs_status train_sides(rs_model **m, rs_error *e)
{
	opts_buf ob;
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	char *sum = NULL;
	rs_status st = rs_config_create("two_tower", make_opts(&ob, 5, SMALL), 1, &cfg, e);
	if (st == RS_OK)
		st = rs_builder_create(cfg, &b, e);
	for (int u = 0; st == RS_OK && u <= 20; u++) {
		char us[16];
		int ul = u < 20 ? snprintf(us, sizeof us, "u%d", u) : snprintf(us, sizeof us, "new_u");
		st = rs_builder_add_attribute(b, RS_SIDE_USERS, us, (size_t)ul, "taste",
		                              u < 10 || u == 20 ? "x" : "y", 1, 0, 0, e);
		for (int i = 0; st == RS_OK && u < 20 && i < 16; i++) {
			if ((u < 10) != (i < 8) || i % 8 == u % 8)
				continue;
			char is[16];
			int il = snprintf(is, sizeof is, "i%d", i);
			st = rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, e);
		}
	}
	for (int i = 0; st == RS_OK && i <= 16; i++) {
		char is[16];
		int il = i < 16 ? snprintf(is, sizeof is, "i%d", i) : snprintf(is, sizeof is, "new_a");
		st = rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "genre",
		                              i < 8 || i == 16 ? "a" : "b", 1, 0, 0, e);
	}
	if (st == RS_OK)
		st = rs_train(cfg, b, NULL, m, &sum, e);
	if (st == RS_OK)
		CHECK(strstr(sum, "\"attribute_features\": 4, \"item_bias\": true, \"bias_l2\": 0.01, \"hard_negative\": 0.1, \"new_items\": 1, \"new_users\": 1") != NULL);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return st;
}

static double dot(const float *a, const float *b, int f)
{
	double s = 0;
	for (int d = 0; d < f; d++)
		s += (double)a[d] * b[d];
	return s;
}

/* Mean rank of group b's items (i8..i15) minus group a's (i0..i7, new_a)
 * among the rows. */
static double group_gap(const rs_model *m, const rs_reco *out, int n)
{
	double ra = 0, rb = 0;
	int na = 0, nb = 0;
	for (int r = 0; r < n; r++) {
		size_t l;
		const char *id = rs_model_item_id(m, out[r].item, &l);
		int b = id[0] == 'i' && ((l == 2 && id[1] >= '8') || l == 3);
		if (b)
			rb += r, nb++;
		else
			ra += r, na++;
	}
	return na && nb ? rb / nb - ra / na : 0;
}

/* new_a (genre a alone) scores above the b items for group a's users and
 * below them for the others; new_u (taste x alone) gets group a's items. */
void test_tt_side_only(void)
{
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_sides(&m, &e) == RS_OK);
	if (!m)
		return;
	int32_t it = rs_model_find_item(m, "new_a", 5), f = m->factors;
	CHECK(it == 16 && m->pop[16] == 0 && rs_tt_item_identity(m, it) == -1);
	CHECK(rs_tt_item_identity(m, rs_model_find_item(m, "i3", 2)) >= 0);
	int good = 0;
	for (int u = 0; u < 20 && it >= 0; u++) {
		char us[16];
		int ul = snprintf(us, sizeof us, "u%d", u);
		const float *x = m->user_f + (size_t)rs_model_find_user(m, us, (size_t)ul) * f;
		double mean_b = 0, s_new = dot(x, m->item_f + (size_t)it * f, f);
		for (int i = 8; i < 16; i++) {
			char is[16];
			int il = snprintf(is, sizeof is, "i%d", i);
			mean_b += dot(x, m->item_f + (size_t)rs_model_find_item(m, is, (size_t)il) * f, f) / 8;
		}
		good += u < 10 ? s_new > mean_b : s_new < mean_b;
	}
	CHECK(good >= 18);
	rs_reco out[17];
	int n = 0;
	CHECK(rs_recommend(m, "new_u", 5, 17, NULL, out, &n, &e) == RS_OK && n == 17);
	CHECK(group_gap(m, out, n) > 3); /* group a (taste x's) ranks ahead */
	rs_model_destroy(&m);
}

/* A session of group b's items runs the user tower over them: group b's
 * other items lead; similar_items stays within the group; explain splits a
 * known user's score over the history by ablation. */
void test_tt_fresh_explain(void)
{
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_sides(&m, &e) == RS_OK);
	if (!m)
		return;
	const char *items[] = {"i9", "i10", "i11"};
	size_t lens[] = {2, 3, 3};
	rs_reco out[14];
	int n = 0;
	CHECK(rs_recommend_for_items(m, items, lens, 3, 14, NULL, out, &n, &e) == RS_OK && n == 14);
	CHECK(group_gap(m, out, n) < -3); /* group b ranks ahead */
	/* the user tower over u12's features and history gives its served vector */
	int32_t u = rs_model_find_user(m, "u12", 3);
	int64_t b = m->seen.indptr[u], k = m->seen.indptr[u + 1] - b;
	float x[9];
	CHECK(m->factors == 9);
	CHECK(rs_tt_fold(m, u, m->seen.indices + b, m->seen.data + b, (int)k, x, &e) == RS_OK);
	CHECK(memcmp(x, m->user_f + (size_t)u * 9, sizeof x) == 0 && x[8] == 1.0f);
	/* u12's own rows read fresh: the user tower over its features and those
	 * rows gives its served vector again, so the same answer */
	rs_history *hy = NULL;
	CHECK(rs_history_create(m, &hy, &e) == RS_OK);
	for (int64_t q = b; hy && q < b + k; q++) {
		size_t l;
		const char *id = rs_model_item_id(m, m->seen.indices[q], &l);
		CHECK(rs_history_add(hy, id, l, 0, 0, NULL, 0, 0, 0, &e) == RS_OK);
	}
	rs_reco kn[4], fr[4];
	int nk = 0, nf = 0;
	CHECK(rs_recommend(m, "u12", 3, 4, NULL, kn, &nk, &e) == RS_OK);
	CHECK(rs_recommend_fresh(m, "u12", 3, hy, 4, NULL, fr, &nf, &e) == RS_OK);
	CHECK(nk == 4 && nf == 4);
	for (int r = 0; r < nk && r < nf; r++)
		CHECK(kn[r].item == fr[r].item && fabsf(kn[r].score - fr[r].score) < 1e-4f);
	rs_history_destroy(&hy);
	rs_contribution *c = NULL;
	int nc = 0;
	CHECK(rs_explain(m, "u12", 3, "i12", 3, &c, &nc, &e) == RS_OK);
	CHECK(nc > 0 && nc <= k);
	/* through the explain hook with u12 itself: its features stay in the
	 * tower's input, as the known user's score has them */
	double drop[64];
	int32_t i12 = rs_model_find_item(m, "i12", 3);
	CHECK(k <= 64 && rs_tt_contributions(m, u, m->seen.indices + b, m->seen.data + b, (int)k,
	                                     i12, drop, &e) == RS_OK);
	for (int r = 0; r < nc; r++) { /* the drops are scores: finite, largest first */
		CHECK(isfinite(c[r].contribution));
		if (r > 0)
			CHECK(c[r].contribution <= c[r - 1].contribution);
		for (int64_t q = 0; q < k; q++)
			if (m->seen.indices[b + q] == c[r].item)
				CHECK(fabs(c[r].contribution - drop[q]) < 1e-5);
	}
	rs_free(c);
	int ns = 0, same = 0;
	CHECK(rs_similar_items(m, "i9", 2, 5, NULL, out, &ns, &e) == RS_OK && ns > 0);
	for (int r = 0; r < ns; r++) {
		size_t l;
		const char *id = rs_model_item_id(m, out[r].item, &l);
		same += (l == 2 && id[1] >= '8') || (l == 3 && id[1] == '1');
	}
	CHECK(same >= ns - 1);
	rs_model_destroy(&m);
}

/* Save and load keep the vectors, the user tower and the fresh answers. */
void test_tt_round_trip(void)
{
	rs_model *m = NULL, *l = NULL;
	rs_error e;
	unsigned char *blob = NULL;
	size_t len = 0;
	CHECK(train_sides(&m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK);
	CHECK(rs_model_load(blob, len, &l, &e) == RS_OK);
	if (l) {
		CHECK(l->tt_hidden == m->tt_hidden && l->tt_history == m->tt_history);
		CHECK(memcmp(l->tt_net, m->tt_net, rs_tt_net_len(m->factors - 1, m->tt_hidden) * 4) == 0);
		const char *items[] = {"i1", "i2"};
		size_t lens[] = {2, 2};
		rs_reco a[6], b[6];
		int n1 = 0, n2 = 0;
		CHECK(rs_recommend_for_items(m, items, lens, 2, 6, NULL, a, &n1, &e) == RS_OK);
		CHECK(rs_recommend_for_items(l, items, lens, 2, 6, NULL, b, &n2, &e) == RS_OK);
		CHECK(n1 == n2 && n1 == 6);
		for (int r = 0; r < n1 && r < n2; r++)
			CHECK(a[r].item == b[r].item && a[r].score == b[r].score);
	}
	/* a damaged tower (history share out of range) behind a valid checksum
	 * is refused: walk the sections (padded to 8 bytes) to T_TWO_TOWER */
	int found = 0;
	for (size_t off = HEADER; blob && off + SEC_HEADER <= len - 8;) {
		uint32_t tag;
		uint64_t n;
		memcpy(&tag, blob + off, 4);
		memcpy(&n, blob + off + 8, 8);
		if (tag == T_TWO_TOWER) {
			float bad = 2.0f;
			memcpy(blob + off + SEC_HEADER + 4, &bad, 4);
			found = 1;
			break;
		}
		off += SEC_HEADER + n + (8 - n % 8) % 8;
	}
	CHECK(found);
	if (found) {
		uint64_t sum = rs_blob_checksum(blob, len - 8);
		memcpy(blob + len - 8, &sum, 8);
		rs_model *x = NULL;
		CHECK(rs_model_load(blob, len, &x, &e) == RS_ECORRUPT && x == NULL);
	}
	rs_free(blob);
	rs_model_destroy(&m);
	rs_model_destroy(&l);
}

/* Option errors name the key. */
void test_tt_options(void)
{
	const char *bad[][2] = {
		{"dim=1", "\"dim\""}, {"hidden=-1", "\"hidden\""}, {"batch=1", "\"batch\""},
		{"temperature=0", "\"temperature\""}, {"dropout=1", "\"dropout\""},
		{"history=2", "\"history\""}, {"cold_dropout=x", "\"cold_dropout\""},
		{"learning_rate=0", "\"learning_rate\""}, {"factors=8", "\"factors\""},
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		opts_buf ob;
		rs_config *c = NULL;
		rs_error e = {0};
		CHECK(rs_config_create("two_tower", make_opts(&ob, 1, &bad[k][0]), 1, &c, &e) == RS_EINVAL);
		CHECK(c == NULL && strstr(e.msg, bad[k][1]) != NULL);
		rs_config_destroy(&c);
	}
}

/* A cancel request stops training with RS_ECANCELLED and nothing leaks. */
void test_tt_cancel(void)
{
	CHECK(train_cancelled("two_tower", 3, 300, 200));
}
