/* test_serve.c - top-k selection, recommend/popular behaviour, the model
 * blob's round trip and its corruption checks. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"
#include "model_format.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_desc(const void *a, const void *b)
{
	const int32_t *x = a, *y = b;
	extern float *g_scores;
	float sa = g_scores[*x], sb = g_scores[*y];
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return (*x > *y) - (*x < *y);
}
float *g_scores;

/* The heap's top-k equals the head of a full sort, ties and -inf included. */
void test_topk_matches_sort(void)
{
	uint64_t seed = 3;
	for (int trial = 0; trial < 200; trial++) {
		int n = 1 + (int)(rs_rand_unit(&seed) * 300), k = 1 + (int)(rs_rand_unit(&seed) * 40);
		float *s = malloc((size_t)n * sizeof *s);
		int32_t *order = malloc((size_t)n * sizeof *order), idx[64];
		float val[64];
		int valid = 0;
		for (int i = 0; i < n; i++) {
			double r = rs_rand_unit(&seed);
			s[i] = r < 0.1 ? -INFINITY : (float)(int)(r * 20); /* many ties */
			if (s[i] != -INFINITY)
				order[valid++] = i;
		}
		g_scores = s;
		qsort(order, (size_t)valid, sizeof *order, cmp_desc);
		int got = rs_topk(s, n, k, idx, val);
		CHECK(got == (valid < k ? valid : k));
		for (int r = 0; r < got; r++)
			CHECK(idx[r] == order[r] && val[r] == s[order[r]]);
		free(s);
		free(order);
	}
}

/* Exactly k rows, seen items excluded unless asked, cold start, bad k. */
void test_recommend_rules(void)
{
	rs_model *m = NULL;
	rs_error e;
	const char *kv[] = {"factors=4", "threads=1"};
	CHECK(train_blocks("als", 2, kv, 20, 16, &m, &e) == RS_OK);
	if (!m)
		return;
	rs_reco out[32];
	int n;
	CHECK(rs_recommend(m, "u0", 2, 5, NULL, out, &n, &e) == RS_OK && n == 5);
	for (int r = 0; r < n; r++) {
		CHECK(out[r].source == RS_SRC_MODEL);
		for (int64_t p = m->seen.indptr[0]; p < m->seen.indptr[1]; p++)
			CHECK(m->seen.indices[p] != out[r].item);
	}
	/* u0 has 7 items: 16 - 7 = 9 unseen, so k = 30 gives 9 rows */
	CHECK(rs_recommend(m, "u0", 2, 30, NULL, out, &n, &e) == RS_OK && n == 9);
	rs_opt f = {.kind = RS_OPT_BOOL, .key = "exclude_seen", .boolean = 0};
	rs_opt o = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &f};
	CHECK(rs_recommend(m, "u0", 2, 30, &o, out, &n, &e) == RS_OK && n == 16);
	CHECK(rs_recommend(m, "nobody", 6, 3, NULL, out, &n, &e) == RS_OK && n == 3 &&
	      out[0].source == RS_SRC_COLDSTART);
	CHECK(strcmp(rs_source_name(m, RS_SRC_COLDSTART), "popularity (unknown user)") == 0);
	CHECK(rs_recommend(m, "u0", 2, 0, NULL, out, &n, &e) == RS_EINVAL && strstr(e.msg, "k must be"));
	CHECK(rs_recommend(m, "u0", 2, RS_MAX_K + 1, NULL, out, &n, &e) == RS_EINVAL);
	f.key = "exclude_seem";
	CHECK(rs_recommend(m, "u0", 2, 3, &o, out, &n, &e) == RS_EINVAL && strstr(e.msg, "exclude_seem"));
	f.key = "exclude_seen";
	f.kind = RS_OPT_NUMBER;
	CHECK(rs_recommend(m, "u0", 2, 3, &o, out, &n, &e) == RS_EINVAL && strstr(e.msg, "boolean"));
	CHECK(rs_popular(m, 4, NULL, out, &n, &e) == RS_OK && n == 4);
	for (int r = 1; r < n; r++)
		CHECK(out[r - 1].score >= out[r].score);
	rs_model_destroy(&m);
}

/* Recommendations of every user survive save + load unchanged. */
void test_model_round_trip(void)
{
	const char *algos[] = {"als", "popularity"};
	for (int a = 0; a < 2; a++) {
		rs_model *m = NULL, *m2 = NULL;
		rs_error e;
		const char *kv[] = {"threads=1"};
		CHECK(train_blocks(algos[a], 1, kv, 30, 20, &m, &e) == RS_OK);
		unsigned char *blob = NULL;
		size_t len = 0;
		CHECK(m && rs_model_save(m, &blob, &len, &e) == RS_OK);
		CHECK(blob && rs_model_load(blob, len, &m2, &e) == RS_OK);
		if (!m2) {
			rs_free(blob);
			rs_model_destroy(&m);
			continue;
		}
		CHECK(rs_model_n_users(m2) == 30 && rs_model_n_items(m2) == 20 &&
		      rs_model_n_interactions(m2) == rs_model_n_interactions(m));
		CHECK(strcmp(rs_model_algorithm(m2), algos[a]) == 0);
		for (int u = 0; u < 30; u++) {
			char us[16];
			int ul = snprintf(us, sizeof us, "u%d", u), n1, n2;
			rs_reco r1[5], r2[5];
			rs_recommend(m, us, (size_t)ul, 5, NULL, r1, &n1, &e);
			rs_recommend(m2, us, (size_t)ul, 5, NULL, r2, &n2, &e);
			CHECK(n1 == n2 && memcmp(r1, r2, sizeof(rs_reco) * (size_t)n1) == 0);
		}
		CHECK(rs_model_find_item(m2, "i3", 2) == rs_model_find_item(m, "i3", 2));
		rs_free(blob);
		rs_model_destroy(&m);
		rs_model_destroy(&m2);
	}
}

/* The blob of a small ALS model (NULL, with a failed check, if it cannot be made). */
static unsigned char *small_blob(size_t *len)
{
	rs_model *m = NULL;
	rs_error e;
	unsigned char *blob = NULL;
	const char *kv[] = {"threads=1", "factors=2"};
	CHECK(train_blocks("als", 2, kv, 6, 6, &m, &e) == RS_OK);
	CHECK(m && rs_model_save(m, &blob, len, &e) == RS_OK);
	rs_model_destroy(&m);
	return blob;
}

/* Any flipped byte, any truncation, and a re-checksummed but inconsistent
 * blob are refused with RS_ECORRUPT, never a crash. */
void test_corrupt_blob(void)
{
	rs_model *m2 = NULL;
	rs_error e;
	size_t len = 0;
	unsigned char *blob = small_blob(&len);
	if (!blob)
		return;
	int refused = 0, refused_fixed = 0;
	for (size_t p = 0; p < len; p++) {
		blob[p] ^= 0x5A;
		refused += rs_model_load(blob, len, &m2, &e) == RS_ECORRUPT;
		rs_model_destroy(&m2);
		/* same damage behind a valid checksum: the structure checks must hold */
		uint64_t sum = rs_blob_checksum(blob, len - 8);
		unsigned char save[8];
		memcpy(save, blob + len - 8, 8);
		memcpy(blob + len - 8, &sum, 8);
		if (p < len - 8) {
			rs_status st = rs_model_load(blob, len, &m2, &e);
			refused_fixed += st == RS_ECORRUPT || st == RS_OK;
			rs_model_destroy(&m2);
		} else {
			refused_fixed++;
		}
		memcpy(blob + len - 8, save, 8);
		blob[p] ^= 0x5A;
	}
	CHECK(refused == (int)len);
	CHECK(refused_fixed == (int)len);
	for (size_t l = 0; l < len; l += 7)
		CHECK(rs_model_load(blob, l, &m2, &e) == RS_ECORRUPT && m2 == NULL);
	CHECK(rs_model_load(blob, len, &m2, &e) == RS_OK);
	rs_model_destroy(&m2);
	rs_free(blob);
}

/* A blob from a machine of the other byte order, or with another float
 * format, is a clear error, not "checksum mismatch". */
void test_blob_machine(void)
{
	rs_model *m2 = NULL;
	rs_error e;
	size_t len = 0;
	unsigned char *blob = small_blob(&len);
	if (!blob)
		return;
	/* the header's format as the other byte order writes it */
	uint32_t format, swapped;
	memcpy(&format, blob + 8, 4);
	swapped = __builtin_bswap32(format);
	memcpy(blob + 8, &swapped, 4);
	CHECK(rs_model_load(blob, len, &m2, &e) == RS_ECORRUPT && m2 == NULL);
	CHECK(strstr(e.msg, "other byte order") != NULL);
	memcpy(blob + 8, &format, 4);
	/* the machine section (right after the meta section) with float format 2 */
	unsigned char *abi = NULL;
	for (size_t p = 24; p + 24 <= len; p += 8) {
		uint32_t tag, mark;
		memcpy(&tag, blob + p, 4);
		memcpy(&mark, blob + p + 16, 4);
		if (tag == 37 && mark == 0x01020304u) {
			abi = blob + p + 16;
			break;
		}
	}
	CHECK(abi != NULL);
	if (abi) {
		uint32_t two = 2;
		memcpy(abi + 4, &two, 4);
		uint64_t sum = rs_blob_checksum(blob, len - 8);
		memcpy(blob + len - 8, &sum, 8);
		CHECK(rs_model_load(blob, len, &m2, &e) == RS_ECORRUPT && m2 == NULL);
		CHECK(strstr(e.msg, "float format 2") != NULL);
	}
	rs_free(blob);
}

/* Evaluation: the split holds out floor(n / 5) of users with >= 5 rows, the
 * latest by time; metrics are in [0, 1]; the block structure is learnable. */
void test_evaluate(void)
{
	rs_config *c;
	rs_builder *b;
	rs_error e;
	rs_eval_result r;
	char js[RS_EVAL_JSON_CAP];
	const char *kv[] = {"factors=4", "threads=1", "regularization=0.1"};
	opts_buf ob;
	CHECK(rs_config_create("als", make_opts(&ob, 3, kv), 1, &c, &e) == RS_OK);
	CHECK(rs_builder_create(c, &b, &e) == RS_OK);
	for (int u = 0; u < 40; u++)
		for (int i = 0; i < 20; i++) {
			if ((u < 20) != (i < 10))
				continue;
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
			/* time order differs per user so each holds out different items */
			rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1,
			               (double)((i * 7 + u) % 10), &e);
		}
	CHECK(rs_evaluate(c, b, 5, NULL, &r, &e) == RS_OK);
	/* 40 users x 10 items: 2 held out each */
	CHECK(r.k == 5 && r.test_users == 40 && r.test_interactions == 80 &&
	      r.train_interactions == 320 && strcmp(r.split, "temporal-20") == 0 &&
	      strcmp(r.algorithm, "als") == 0);
	CHECK(r.recall > 0.9); /* held-out items are in-group: found */
	CHECK(r.precision >= 0 && r.precision <= 1 && r.ndcg >= 0 && r.ndcg <= 1 && r.map >= 0 &&
	      r.map <= 1 && r.coverage > 0 && r.coverage <= 1 && r.train_seconds >= 0);
	/* the stored JSON: the same keys, metrics at 6 decimals */
	CHECK(rs_eval_json(&r, js, sizeof js) < sizeof js);
	CHECK(strncmp(js, "{\"algorithm\": \"als\", \"k\": 5, \"precision\": ", 42) == 0 &&
	      strstr(js, "\"test_users\": 40, \"train_interactions\": 320, "
	                 "\"test_interactions\": 80, \"split\": \"temporal-20\", \"train_seconds\": "));
	const char *p = strstr(js, "\"recall\": ");
	CHECK(p && atof(p + 10) == r.recall);
	/* a buffer too small: cut, and the length says so */
	char small[16];
	CHECK(rs_eval_json(&r, small, sizeof small) == strlen(js) && strlen(small) == 15);
	rs_builder_destroy(&b);
	CHECK(rs_builder_create(c, &b, &e) == RS_OK);
	rs_builder_add(b, "u", 1, "i", 1, 0, 1, NULL, 0, 0, 0, &e);
	CHECK(rs_evaluate(c, b, 0, NULL, &r, &e) == RS_EINVAL &&
	      strcmp(e.msg, "k must be between 1 and 100000 (got 0)") == 0);
	CHECK(rs_evaluate(c, b, 5, NULL, &r, &e) == RS_EDATA && strstr(e.msg, "5 interactions"));
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
}

/* Full exact ranking of user u by float32 factors, seen items excluded. */
static int exact_order(const rs_model *m, int32_t u, int32_t *order, float *sc)
{
	int n = 0;
	for (int32_t i = 0; i < (int32_t)m->items.n; i++) {
		int seen = 0;
		for (int64_t p = m->seen.indptr[u]; p < m->seen.indptr[u + 1]; p++)
			seen |= m->seen.indices[p] == i;
		if (seen)
			continue;
		rs_score_exact(m, m->user_f + (size_t)u * m->factors, &i, 1, &sc[i]);
		order[n++] = i;
	}
	g_scores = sc;
	qsort(order, (size_t)n, sizeof *order, cmp_desc);
	return n;
}

/* Serving scores items in bfloat16 but must return exactly the float32
 * top-k, also when near-ties force the full rescoring path. */
void test_recommend_exact(void)
{
	rs_model *m = NULL;
	rs_error e;
	const char *kv[] = {"factors=8", "threads=1"};
	CHECK(train_blocks_writable("als", 2, kv, 60, 300, &m, &e) == RS_OK);
	if (!m)
		return;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) { /* near-duplicates: approximate scores cannot separate them */
			for (int32_t i = 1; i < 300; i += 2)
				for (int d = 0; d < 8; d++)
					m->item_f[(size_t)i * 8 + d] = m->item_f[(size_t)(i - 1) * 8 + d] * (1 + 1e-4f);
			CHECK(rs_model_prepare(m, &e) == RS_OK);
		}
		int32_t order[300];
		float sc[300];
		for (int u = 0; u < 60; u++) {
			char us[16];
			int ul = snprintf(us, sizeof us, "u%d", u), n;
			rs_reco out[12];
			CHECK(rs_recommend(m, us, (size_t)ul, 12, NULL, out, &n, &e) == RS_OK);
			int32_t uidx = rs_model_find_user(m, us, (size_t)ul);
			int want = exact_order(m, uidx, order, sc);
			CHECK(n == (want < 12 ? want : 12));
			for (int r = 0; r < n; r++)
				CHECK(out[r].item == order[r] && out[r].score == sc[order[r]]);
		}
	}
	rs_model_destroy(&m);
}
