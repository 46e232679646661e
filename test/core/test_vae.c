/* test_vae.c - the vae algorithm (core/vae.c): taste groups learnt, the
 * same model for threads 1 and 2, the blob round trip, a session scored
 * like the user with the same items, explain by removal against a direct
 * computation, the memory limit, cancellation. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NU = 40, NI = 20 };

static const char *const SMALL[] = {"hidden=16", "latent=4", "epochs=80", "batch=8",
                                    "learning_rate=0.01", "seed=3", "threads=1"};
#define N_SMALL (int)(sizeof SMALL / sizeof SMALL[0])

static rs_status train_small(int threads, rs_model **m, rs_error *e)
{
	const char *kv[N_SMALL];
	memcpy(kv, SMALL, sizeof kv);
	kv[N_SMALL - 1] = threads == 1 ? "threads=1" : "threads=2";
	return train_blocks("vae", N_SMALL, kv, NU, NI, m, e);
}

/* Each user's top item is the one of their group they did not take. */
void test_vae_blocks(void)
{
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_small(1, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(strcmp(rs_model_algorithm(m), "vae") == 0);
	int own = 0;
	for (int u = 0; u < NU; u++) {
		char us[16];
		int ul = snprintf(us, sizeof us, "u%d", u), n = 0;
		rs_reco r[1];
		CHECK(rs_recommend(m, us, (size_t)ul, 1, NULL, r, &n, &e) == RS_OK && n == 1);
		own += n == 1 && (r[0].item < NI / 2) == (u < NU / 2);
	}
	printf("  vae: %d of %d users' top item from their own group\n", own, NU);
	CHECK(own >= NU - 2);
	rs_model_destroy(&m);
}

/* threads 1 and 2: the same bits in every stored array. */
void test_vae_threads(void)
{
	rs_model *a = NULL, *b = NULL;
	rs_error e;
	CHECK(train_small(1, &a, &e) == RS_OK);
	CHECK(train_small(2, &b, &e) == RS_OK);
	if (a && b) {
		size_t f = (size_t)a->factors;
		CHECK(a->factors == b->factors && a->factors == 5);
		CHECK(memcmp(a->user_f, b->user_f, NU * f * sizeof(float)) == 0);
		CHECK(memcmp(a->item_f, b->item_f, NI * f * sizeof(float)) == 0);
		CHECK(memcmp(a->vae_enc, b->vae_enc, rs_vae_enc_count(a) * sizeof(float)) == 0);
	}
	rs_model_destroy(&a);
	rs_model_destroy(&b);
}

/* Save and load: the same recommendations and sessions. */
void test_vae_round_trip(void)
{
	rs_model *m = NULL, *m2 = NULL;
	rs_error e;
	unsigned char *blob = NULL;
	size_t len = 0;
	CHECK(train_small(1, &m, &e) == RS_OK);
	CHECK(m && rs_model_save(m, &blob, &len, &e) == RS_OK);
	CHECK(blob && rs_model_load(blob, len, &m2, &e) == RS_OK);
	if (m && m2) {
		CHECK(m2->vae_hidden == 16 && m2->vae_latent == 4);
		for (int u = 0; u < NU; u += 7) {
			char us[16];
			int ul = snprintf(us, sizeof us, "u%d", u), n1 = 0, n2 = -1;
			rs_reco r1[5], r2[5];
			CHECK(rs_recommend(m, us, (size_t)ul, 5, NULL, r1, &n1, &e) == RS_OK);
			CHECK(rs_recommend(m2, us, (size_t)ul, 5, NULL, r2, &n2, &e) == RS_OK);
			CHECK(n1 == 5 && n1 == n2 && memcmp(r1, r2, sizeof(rs_reco) * (size_t)n1) == 0);
		}
		/* a damaged encoder size is refused */
		unsigned char *bad = malloc(len);
		if (bad) {
			memcpy(bad, blob, len);
			rs_model *m3 = NULL;
			/* flip the latent size in T_VAE: find the (hidden, latent) pair */
			uint32_t want[2] = {16, 4};
			for (size_t p = 0; p + 8 <= len; p++)
				if (memcmp(bad + p, want, 8) == 0) {
					uint32_t l = 5;
					memcpy(bad + p + 4, &l, 4);
					break;
				}
			CHECK(rs_model_load(bad, len, &m3, &e) != RS_OK && m3 == NULL);
			free(bad);
		}
	}
	rs_free(blob);
	rs_model_destroy(&m);
	rs_model_destroy(&m2);
}

/* A session of user u's items scores like u (the encoder reads the same
 * row), and explain's drops match scoring the history without each item. */
void test_vae_session_and_explain(void)
{
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_small(1, &m, &e) == RS_OK);
	if (!m)
		return;
	const int u = 3;
	int64_t b = m->seen.indptr[u], n = m->seen.indptr[u + 1] - b;
	const char *ids[NI];
	size_t lens[NI];
	for (int64_t p = 0; p < n; p++)
		ids[p] = rs_model_item_id(m, m->seen.indices[b + p], &lens[p]);
	rs_reco r1[3], r2[3];
	int n1 = 0, n2 = 0;
	CHECK(rs_recommend(m, "u3", 2, 3, NULL, r1, &n1, &e) == RS_OK);
	CHECK(rs_recommend_for_items(m, ids, lens, (int)n, 3, NULL, r2, &n2, &e) == RS_OK);
	CHECK(n1 == 3 && n2 == 3);
	for (int k = 0; k < n1 && k < n2; k++)
		CHECK(r1[k].item == r2[k].item && fabsf(r1[k].score - r2[k].score) < 1e-5f);
	/* explain: contribution of j = score(full) - score(without j) */
	int32_t target = r1[0].item;
	size_t tl;
	const char *tid = rs_model_item_id(m, target, &tl);
	rs_contribution *c = NULL;
	int nc = 0;
	CHECK(rs_explain(m, "u3", 2, tid, tl, &c, &nc, &e) == RS_OK && nc > 0);
	double worst = 0;
	for (int k = 0; k < nc; k++) {
		const char *rest[NI];
		size_t rl[NI];
		int nr = 0;
		for (int64_t p = 0; p < n; p++)
			if (m->seen.indices[b + p] != c[k].item) {
				rest[nr] = ids[p];
				rl[nr++] = lens[p];
			}
		rs_reco all[NI];
		int na = 0;
		const char *kv[] = {"exclude_items=false"};
		opts_buf ob;
		CHECK(rs_recommend_for_items(m, rest, rl, nr, NI, make_opts(&ob, 1, kv), all, &na, &e) == RS_OK);
		for (int q = 0; q < na; q++)
			if (all[q].item == target)
				worst = fmax(worst, fabs((r1[0].score - all[q].score) - c[k].contribution));
		if (k > 0)
			CHECK(c[k].contribution <= c[k - 1].contribution);
	}
	printf("  vae explain: %d rows, worst |drop - contribution| = %.2e\n", nc, worst);
	CHECK(worst < 1e-4);
	rs_free(c);
	rs_model_destroy(&m);
}

/* The memory estimate refuses before allocating; a cancel stops training. */
void test_vae_limit_and_cancel(void)
{
	rs_model *m = NULL;
	rs_error e = {0};
	const char *kv[] = {"max_memory_mb=1", "hidden=2000", "threads=1"};
	CHECK(train_blocks("vae", 3, kv, 4, 400, &m, &e) == RS_ELIMIT && m == NULL);
	CHECK(strstr(e.msg, "vae needs about") != NULL && strstr(e.msg, "\"max_memory_mb\" = 1") != NULL);
	CHECK(train_cancelled("vae", 3, 300, 200));
}
