/* test_ivf.c - the approximate index (ivf.c): recall on a synthetic set,
 * the pipeline's promises with it on (exactly k rows under filters, history
 * exclusion and re-ranking, also when very few items pass), "exact": true
 * equal to a model without the index, and damaged index sections refused. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"
#include "model_format.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float gauss(uint64_t *seed)
{
	return (float)(sqrt(-2 * log(rs_rand_unit(seed) + 1e-12)) *
	               cos(6.283185307179586 * rs_rand_unit(seed)));
}

/* 20,000 items of 16 factors around 200 planted topics, 100 users each
 * mostly one topic: recall@10 of the index (default probes) against the
 * exact top 10 is at least 0.9. */
void test_ivf_recall(void)
{
	enum { NI = 20000, F = 16, T = 200, NU = 100 };
	uint64_t seed = 21;
	float *topic = malloc(sizeof(float) * T * F);
	for (int i = 0; i < T * F; i++)
		topic[i] = gauss(&seed) / 4;
	rs_model *m = rs_model_alloc();
	rs_error e;
	m->algo = RS_ALGO_SVD;
	m->factors = F;
	m->items.n = NI;
	m->item_f = malloc(sizeof(float) * NI * F);
	m->pop = calloc(NI, sizeof(float));
	for (int i = 0; i < NI; i++) {
		int t = (int)(rs_rand_unit(&seed) * T);
		float s = expf(0.5f * gauss(&seed));
		for (int d = 0; d < F; d++)
			m->item_f[i * F + d] = topic[t * F + d] * s + 0.1f * gauss(&seed);
	}
	CHECK(rs_model_prepare(m, &e) == RS_OK);
	rs_train_ctx ctx = {0};
	atomic_init(&ctx.stop, 0);
	CHECK(rs_ivf_build(&ctx, m, 0, 3, &e) == RS_OK && rs_ivf_prepare(m, &e) == RS_OK);
	CHECK(m->ivf_nlist == rs_ivf_default_lists(NI));
	float *scores = malloc(sizeof(float) * (NI + RS_BLK)), u[F];
	int hit = 0, total = 0;
	for (int q = 0; q < NU; q++) {
		int t = (int)(rs_rand_unit(&seed) * T), t2 = (int)(rs_rand_unit(&seed) * T);
		for (int d = 0; d < F; d++)
			u[d] = 0.7f * topic[t * F + d] + 0.3f * topic[t2 * F + d] + 0.1f * gauss(&seed);
		rs_reco ex[10], ap[34];
		rs_score_items(m, u, scores);
		int ne = rs_exact_topk(m, u, scores, NI, 10, ex);
		rs_ivf_query iq = {NULL, NULL, 0, rs_ivf_default_probes(m)};
		int na = rs_ivf_search(m, u, &iq, 34, ap);
		CHECK(ne == 10 && na == 34);
		for (int r = 0; r < 10 && r < na; r++)
			for (int j = 0; j < ne; j++)
				hit += ap[r].item == ex[j].item;
		total += 10;
	}
	printf("  ivf recall@10 %.3f over %d lists, %d probes\n", (double)hit / total, m->ivf_nlist,
	       rs_ivf_default_probes(m));
	CHECK(hit >= 0.9 * total);
	free(scores);
	free(topic);
	free(m->item_f);
	m->item_f = NULL;
	m->items.n = 0;
	rs_model_destroy(&m);
}

/* The small block model of fixtures.c with an index of 20 lists. */
static rs_model *indexed(const char *index)
{
	rs_model *m = NULL;
	rs_error e;
	char opt[32];
	snprintf(opt, sizeof opt, "index=%s", index);
	const char *kv[] = {"factors=8", "threads=1", "index_lists=20", opt};
	CHECK(train_blocks("als", 4, kv, 60, 300, &m, &e) == RS_OK);
	return m;
}

/* Is item i in user u's training history? */
static int seen_by(const rs_model *m, int32_t u, int32_t i)
{
	for (int64_t p = m->seen.indptr[u]; p < m->seen.indptr[u + 1]; p++)
		if (m->seen.indices[p] == i)
			return 1;
	return 0;
}

/* recommend() with up to three options: probes 1 (when asked), an
 * exclude_items list, one more key/value. */
static int reco(const rs_model *m, const char *user, int k, int probes, rs_opt *extra,
                const rs_opt *exclude, rs_reco *out)
{
	rs_opt kids[3];
	size_t n = 0;
	if (probes)
		kids[n++] = (rs_opt){.kind = RS_OPT_NUMBER, .key = "probes", .number = probes};
	if (exclude)
		kids[n++] = *exclude;
	if (extra)
		kids[n++] = *extra;
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = n, .children = kids};
	rs_error e;
	int got = -1;
	if (rs_recommend(m, user, strlen(user), k, &root, out, &got, &e) != RS_OK)
		return -1;
	return got;
}

/* Exactly k rows, none seen, none filtered out, best first. */
void test_ivf_exact_k(void)
{
	rs_model *m = indexed("ivf");
	if (!m)
		return;
	CHECK(m->ivf_nlist == 20);
	static char names[300][8];
	rs_opt ids[300];
	rs_reco out[64];
	for (int u = 0; u < 60; u += 7) {
		char us[16];
		snprintf(us, sizeof us, "u%d", u);
		int32_t uid = rs_model_find_user(m, us, strlen(us));
		/* plain, one probe: the search goes on until k items pass */
		int n = reco(m, us, 40, 1, NULL, NULL, out);
		CHECK(n == 40);
		for (int r = 0; r < n; r++)
			CHECK(!seen_by(m, uid, out[r].item) && (r == 0 || out[r].score <= out[r - 1].score));
		/* a filter passing 3 unseen items: exactly those 3 */
		int nid = 0, kept[3], nk = 0;
		for (int32_t i = 0; i < 300; i++) {
			size_t l;
			const char *id = rs_model_item_id(m, i, &l);
			int keep = !seen_by(m, uid, i) && nk < 3 && i % 37 == 5;
			if (keep)
				kept[nk++] = i;
			else {
				snprintf(names[nid], sizeof names[nid], "%.*s", (int)l, id);
				ids[nid] = (rs_opt){.kind = RS_OPT_STRING, .string = names[nid]};
				nid++;
			}
		}
		rs_opt ex = {.kind = RS_OPT_ARRAY, .key = "exclude_items", .n_children = (size_t)nid,
		             .children = ids};
		n = reco(m, us, 10, 1, NULL, &ex, out);
		CHECK(n == nk && nk == 3);
		for (int r = 0; r < n; r++)
			CHECK(out[r].item == kept[0] || out[r].item == kept[1] || out[r].item == kept[2]);
		/* re-ranking on the index's pool still gives k rows */
		rs_opt div = {.kind = RS_OPT_NUMBER, .key = "diversity", .number = 0.5};
		CHECK(reco(m, us, 25, 1, &div, NULL, out) == 25);
		/* k beyond what passes: every unseen item, no more */
		int unseen = 0;
		for (int32_t i = 0; i < 300; i++)
			unseen += !seen_by(m, uid, i);
		rs_reco *all = malloc(sizeof *all * 300);
		CHECK(reco(m, us, 300, 1, NULL, NULL, all) == unseen);
		free(all);
	}
	rs_model_destroy(&m);
}

/* "exact": true serves what the same model without an index serves. */
void test_ivf_exact_option(void)
{
	rs_model *a = indexed("ivf"), *b = indexed("none");
	if (!a || !b) {
		rs_model_destroy(&a);
		rs_model_destroy(&b);
		return;
	}
	CHECK(a->ivf_nlist == 20 && b->ivf_nlist == 0);
	rs_opt exact = {.kind = RS_OPT_BOOL, .key = "exact", .boolean = 1};
	for (int u = 0; u < 60; u++) {
		char us[16];
		snprintf(us, sizeof us, "u%d", u);
		rs_reco x[12], y[12];
		int nx = reco(a, us, 12, 0, &exact, NULL, x), ny = reco(b, us, 12, 0, NULL, NULL, y);
		CHECK(nx == ny && nx > 0);
		for (int r = 0; r < nx && r < ny; r++)
			CHECK(x[r].item == y[r].item && x[r].score == y[r].score);
	}
	rs_model_destroy(&a);
	rs_model_destroy(&b);
}

/* Offset of the data of section `tag` in a blob, or 0. */
static size_t section_at(const unsigned char *blob, size_t len, uint32_t tag, uint64_t *sl)
{
	uint32_t nsec;
	memcpy(&nsec, blob + 12, 4);
	size_t p = 24;
	for (uint32_t s = 0; s < nsec && p + 16 <= len; s++) {
		uint32_t t;
		memcpy(&t, blob + p, 4);
		memcpy(sl, blob + p + 8, 8);
		if (t == tag)
			return p + 16;
		p += 16 + *sl + (8 - *sl % 8) % 8;
	}
	return 0;
}

/* The index survives a round trip; each kind of damage to its sections is
 * refused as a damaged blob. */
void test_ivf_damaged(void)
{
	rs_model *m = indexed("ivf"), *m2 = NULL;
	rs_error e;
	unsigned char *blob = NULL;
	size_t len = 0;
	if (!m || rs_model_save(m, &blob, &len, &e) != RS_OK) {
		rs_model_destroy(&m);
		return;
	}
	CHECK(rs_model_load(blob, len, &m2, &e) == RS_OK && m2 && m2->ivf_nlist == 20);
	CHECK(m2 && memcmp(m2->ivf_items, m->ivf_items, 300 * 4) == 0);
	rs_model_destroy(&m2);
	unsigned char *copy = malloc(len);
	for (int damage = 0; damage < 6; damage++) {
		memcpy(copy, blob, len);
		uint64_t sl = 0;
		size_t at;
		uint32_t v;
		float nan = NAN;
		switch (damage) {
		case 0: /* an item twice (and another missing) */
			at = section_at(copy, len, 40, &sl);
			memcpy(copy + at + 4, copy + at, 4);
			break;
		case 1: /* an item index past the catalogue */
			at = section_at(copy, len, 40, &sl);
			v = 300;
			memcpy(copy + at + 8, &v, 4);
			break;
		case 2: /* the last offset short of the catalogue */
			at = section_at(copy, len, 39, &sl);
			v = 299;
			memcpy(copy + at + sl - 4, &v, 4);
			break;
		case 3: /* offsets going backwards */
			at = section_at(copy, len, 39, &sl);
			v = 290;
			memcpy(copy + at + 4, &v, 4);
			break;
		case 4: /* a centroid that is not a number */
			at = section_at(copy, len, 38, &sl);
			memcpy(copy + at + 12, &nan, 4);
			break;
		default: /* the centroids section renamed away: two of three */
			at = section_at(copy, len, 38, &sl);
			v = 1000;
			memcpy(copy + at - 16, &v, 4);
			break;
		}
		CHECK(at > 0);
		uint64_t sum = rs_blob_checksum(copy, len - 8);
		memcpy(copy + len - 8, &sum, 8);
		CHECK(rs_model_load(copy, len, &m2, &e) == RS_ECORRUPT && m2 == NULL);
		rs_model_destroy(&m2);
	}
	free(copy);
	rs_free(blob);
	rs_model_destroy(&m);
}
