/* test_recency.c - the "recency" option of ease, itemknn, als, bpr and warp: it needs time,
 * its weights follow the documented half-life, it moves a user's latest
 * taste to the top, and it survives a round trip. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two taste groups bought together, by half the users each; user "t"
 * bought from both, group b last. Plain (lfm 0): a0..a5 and b0..b5, 20
 * users each; t bought a0, a1, a2 long ago and b0 last. lfm 1 (bpr and
 * warp, which learn every vector): a0..a9 and b0..b9, 40 users each, whose
 * items come in a rotating order (each item is some users' latest); t
 * bought a0..a7, then b0, b1, b2. */
static rs_model *train_fixture(const char *algo, const char *const *kv, int n_kv, int lfm,
                               int with_ts, rs_error *e)
{
	opts_buf ob;
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	int users = lfm ? 80 : 40, items = lfm ? 10 : 6;
	if (rs_config_create(algo, make_opts(&ob, n_kv, kv), 1, &cfg, e) != RS_OK)
		return NULL;
	CHECK(rs_builder_create(cfg, &b, e) == RS_OK);
	for (int u = 0; b && u < users; u++)
		for (int i = 0; i < items; i++) {
			char us[16], is[16];
			snprintf(us, sizeof us, "u%d", u);
			snprintf(is, sizeof is, "%c%d", u < users / 2 ? 'a' : 'b', i);
			if ((u + i) % 5 != 0) /* not everyone bought everything */
				rs_builder_add(b, us, strlen(us), is, 2, 0, 0, NULL, 0, with_ts,
				               100 + (lfm ? (i * 7 + u * 3) % items : i), e);
		}
	static const char *plain[] = {"a0", "a1", "a2", "b0"};
	static const char *lfm_hist[] = {"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "b0", "b1", "b2"};
	const char **hist = lfm ? lfm_hist : plain;
	int n = lfm ? 11 : 4;
	for (int k = 0; b && k < n; k++)
		rs_builder_add(b, "t", 1, hist[k], 2, 0, 0, NULL, 0, with_ts,
		               !lfm && k == 3 ? 5000 : 10 + k, e);
	if (b && rs_train(cfg, b, NULL, &m, &sum, e) != RS_OK)
		m = NULL;
	CHECK(!m || strstr(sum, "\"recency\": "));
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return m;
}

static rs_model *train_groups(const char *algo, double recency, int with_ts, rs_error *e)
{
	char opt[32];
	snprintf(opt, sizeof opt, "recency=%g", recency);
	const char *kv[] = {opt};
	return train_fixture(algo, kv, 1, 0, with_ts, e);
}

void test_recency_needs_time(void)
{
	rs_error e = {0};
	rs_model *m = train_groups("itemknn", 10, 0, &e);
	CHECK(m == NULL && e.status == RS_EINVAL && strstr(e.msg, "\"recency\"") && strstr(e.msg, "time"));
	rs_model_destroy(&m);
	const char *bad[] = {"recency=-1"};
	opts_buf ob;
	rs_config *cfg = NULL;
	CHECK(rs_config_create("ease", make_opts(&ob, 1, bad), 1, &cfg, &e) == RS_EINVAL &&
	      strstr(e.msg, "recency"));
	CHECK(rs_config_create("svd", make_opts(&ob, 1, (const char *[]){"recency=5"}), 1, &cfg, &e) ==
	      RS_EINVAL); /* svd does not take it */
}

/* hist_w of user t: weight x 0.5^(rank / recency), newest rank 0. */
void test_recency_weights(void)
{
	rs_error e = {0};
	rs_model *m = train_groups("ease", 2, 1, &e);
	CHECK(m && m->hist_w);
	if (!m || !m->hist_w)
		return;
	int32_t u = rs_model_find_user(m, "t", 1);
	static const char *order[] = {"b0", "a2", "a1", "a0"}; /* newest first */
	for (int r = 0; r < 4; r++) {
		int32_t i = rs_model_find_item(m, order[r], 2);
		for (int64_t p = m->seen.indptr[u]; p < m->seen.indptr[u + 1]; p++)
			if (m->seen.indices[p] == i)
				CHECK(fabsf(m->hist_w[p] - m->seen.data[p] * (float)pow(0.5, r / 2.0)) < 1e-6f);
	}
	rs_model_destroy(&m);
}

/* First recommendation's group for user t: 'a' or 'b'. */
static char first_group(const rs_model *m)
{
	rs_reco rec[3];
	int n = 0;
	rs_error e;
	CHECK(rs_recommend(m, "t", 1, 3, NULL, rec, &n, &e) == RS_OK && n == 3);
	size_t l;
	return n ? rs_model_item_id(m, rec[0].item, &l)[0] : '?';
}

/* Without recency the three old items win; with it the latest one does. */
void test_recency_moves_latest_first(void)
{
	static const char *algos[] = {"ease", "itemknn"};
	for (int a = 0; a < 2; a++) {
		rs_error e = {0};
		rs_model *off = train_groups(algos[a], 0, 1, &e);
		rs_model *on = train_groups(algos[a], 0.5, 1, &e);
		CHECK(off && on);
		if (off && on) {
			CHECK(first_group(off) == 'a');
			CHECK(first_group(on) == 'b');
		}
		/* the blob keeps the option: same recommendations after a round trip */
		unsigned char *blob = NULL;
		size_t len = 0;
		rs_model *back = NULL;
		CHECK(on && rs_model_save(on, &blob, &len, &e) == RS_OK);
		CHECK(blob && rs_model_load(blob, len, &back, &e) == RS_OK);
		if (back) {
			CHECK(back->recency == 0.5 && back->hist_w);
			CHECK(first_group(back) == 'b');
		}
		rs_free(blob);
		rs_model_destroy(&back);
		rs_model_destroy(&off);
		rs_model_destroy(&on);
	}
	/* als: the user vectors are re-solved with the weighted history */
	rs_error e = {0};
	rs_model *off = train_groups("als", 0, 1, &e), *on = train_groups("als", 0.5, 1, &e);
	CHECK(off && on);
	if (off && on) {
		CHECK(first_group(off) == 'a');
		CHECK(first_group(on) == 'b');
	}
	rs_model_destroy(&off);
	rs_model_destroy(&on);
	CHECK(train_groups("als", 3, 0, &e) == NULL && strstr(e.msg, "\"recency\""));
}

/* The lfm fixture for bpr and warp: 8 factors, 60 epochs, seed 3; recency
 * < 0: no recency option. */
static rs_model *train_lfm_groups(const char *algo, double recency, int with_ts, rs_error *e)
{
	char opt[32];
	snprintf(opt, sizeof opt, "recency=%g", recency);
	const char *kv[] = {"factors=8", "epochs=60", "seed=3", opt};
	return train_fixture(algo, kv, recency < 0 ? 3 : 4, 1, with_ts, e);
}

/* User t's mean score of unseen b items minus that of unseen a items. */
static double b_lead(const rs_model *m)
{
	rs_reco rec[16];
	int n = 0, na = 0, nb = 0;
	double sa = 0, sb = 0;
	rs_error e;
	CHECK(rs_recommend(m, "t", 1, 16, NULL, rec, &n, &e) == RS_OK && n == 9);
	for (int r = 0; r < n; r++) {
		size_t l;
		if (rs_model_item_id(m, rec[r].item, &l)[0] == 'b') {
			sb += rec[r].score;
			nb++;
		} else {
			sa += rec[r].score;
			na++;
		}
	}
	return na && nb ? sb / nb - sa / na : 0;
}

/* bpr and warp: recency 0 trains the very model of no option (the default
 * path is untouched); with recency each positive's step is scaled by its
 * recency factor, so user t's latest group (b) gains on the older one (a);
 * no time column is an error naming the option. */
void test_recency_lightfm(void)
{
	static const char *algos[] = {"bpr", "warp"};
	for (int a = 0; a < 2; a++) {
		rs_error e = {0};
		rs_model *none = train_lfm_groups(algos[a], -1, 1, &e);
		rs_model *off = train_lfm_groups(algos[a], 0, 1, &e);
		rs_model *on = train_lfm_groups(algos[a], 1, 1, &e);
		CHECK(none && off && on);
		if (none && off && on) {
			size_t fs = (size_t)none->factors * sizeof(float);
			CHECK(off->factors == none->factors);
			CHECK(memcmp(none->user_f, off->user_f, none->users.n * fs) == 0);
			CHECK(memcmp(none->item_f, off->item_f, none->items.n * fs) == 0);
			double lead_off = b_lead(off), lead_on = b_lead(on);
			CHECK(lead_off < 0);               /* eight a items against three b */
			CHECK(lead_on > lead_off + 0.5);
			CHECK(first_group(on) == 'b');
		}
		rs_model_destroy(&none);
		rs_model_destroy(&off);
		rs_model_destroy(&on);
		CHECK(train_lfm_groups(algos[a], 3, 0, &e) == NULL && e.status == RS_EINVAL &&
		      strstr(e.msg, "\"recency\"") && strstr(e.msg, "time"));
	}
}
