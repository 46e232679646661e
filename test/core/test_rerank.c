/* test_rerank.c - the serving pipeline's re-ranking options (upsell,
 * price_sensitivity, diversity, popularity_penalty, repurchase_cycle,
 * candidates), user profiles and their blob sections. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NI 16

/* 20 users x 16 items in two taste groups; item i costs i + 1, category
 * "c<i%4>". Every row at ts 1000; users u2..u5 bought i1 twice more (1100,
 * 1200: a cycle of 100 s), nobody bought anything else twice. */
static rs_model *shop(int with_items, int with_ts)
{
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	const char *kv[] = {"factors=4", "threads=1", "seed=3"};
	opts_buf ob;
	rs_config_create("als", make_opts(&ob, 3, kv), 1, &c, &e);
	rs_builder_create(c, &b, &e);
	for (int u = 0; u < 20; u++)
		for (int i = 0; i < NI; i++)
			if ((u < 10) == (i < 8) && i % 8 != u % 8) {
				char us[16], is[16];
				int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
				int times = i == 1 && u >= 2 && u <= 5 ? 3 : 1;
				for (int t = 0; t < times; t++)
					rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, with_ts,
					               1000 + 100 * t, &e);
			}
	if (with_items)
		add_shop_items(b, NI, 1);
	rs_train(c, b, NULL, &m, &sum, &e);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	return m;
}

/* recommend() for `user` with up to 4 options; rows, or -1 with e set. */
static int reco(const rs_model *m, const char *user, int k, int nopt, const rs_opt *opt,
                rs_reco *out, rs_error *e)
{
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = (size_t)nopt, .children = opt};
	int n = -1;
	if (rs_recommend(m, user, strlen(user), k, &root, out, &n, e) != RS_OK)
		return -1;
	return n;
}

static rs_opt num(const char *key, double v) { return (rs_opt){.kind = RS_OPT_NUMBER, .key = key, .number = v}; }
static rs_opt flag(const char *key, int v) { return (rs_opt){.kind = RS_OPT_BOOL, .key = key, .boolean = v}; }

static int has_item(const rs_model *m, const rs_reco *out, int n, const char *id)
{
	int32_t i = rs_model_find_item(m, id, strlen(id));
	for (int r = 0; r < n; r++)
		if (out[r].item == i)
			return 1;
	return 0;
}

/* Options that are off, and "candidates" alone, change nothing. */
void test_rerank_off_is_plain(void)
{
	rs_model *m = shop(1, 1);
	rs_reco a[NI], b[NI];
	rs_error e;
	rs_opt off[4] = {num("upsell", 0), num("diversity", 0), num("popularity_penalty", 0),
	                 num("candidates", 50)};
	int na = reco(m, "u1", 5, 0, NULL, a, &e), nb = reco(m, "u1", 5, 4, off, b, &e);
	CHECK(na == 5 && nb == 5);
	for (int r = 0; r < na && r < nb; r++)
		CHECK(a[r].item == b[r].item && a[r].score == b[r].score && a[r].source == b[r].source);
	rs_model_destroy(&m);
}

/* upsell puts items priced above the user's average first; price
 * sensitivity puts items above tolerance x average last. */
void test_rerank_prices(void)
{
	rs_model *m = shop(1, 1);
	rs_reco out[NI];
	rs_error e;
	rs_profile p;
	CHECK(rs_user_profile(m, "u1", 2, NULL, &p, &e) == RS_OK);
	rs_opt up = num("upsell", 10);
	int n = reco(m, "u1", 9, 1, &up, out, &e);
	CHECK(n == 9); /* i1 and i8..i15 are unseen */
	int below_seen = 0;
	for (int r = 0; r < n; r++) {
		int above = m->item_price[out[r].item] > p.avg_item_price;
		CHECK(!(above && below_seen)); /* no item above average after one below */
		below_seen |= !above;
	}
	CHECK(below_seen); /* i1 (price 2) is there, last */
	rs_opt sens = flag("price_sensitivity", 1);
	n = reco(m, "u1", 9, 1, &sens, out, &e);
	static const double tol[4] = {1.25, 1.5, 2.0, 3.0};
	int seg = !strcmp(p.spending_segment, "small") ? 0 : !strcmp(p.spending_segment, "low average") ? 1
	        : !strcmp(p.spending_segment, "average") ? 2 : 3;
	int demoted_seen = 0;
	for (int r = 0; r < n; r++) {
		int demoted = m->item_price[out[r].item] > tol[seg] * p.avg_item_price;
		CHECK(!(demoted_seen && !demoted));
		demoted_seen |= demoted;
	}
	CHECK(n == 9 && demoted_seen && out[0].item == rs_model_find_item(m, "i1", 2));
	/* a filter that leaves one item: one row, no error */
	rs_opt few[2] = {num("price_max", 2), num("upsell", 1)};
	CHECK(reco(m, "u1", 5, 2, few, out, &e) == 1);
	rs_model_destroy(&m);
}

static float cos_clamped(const rs_model *m, int32_t i, int32_t j)
{
	const float *a = m->item_f + (size_t)i * m->factors, *b = m->item_f + (size_t)j * m->factors;
	double d = 0, na = 0, nb = 0;
	for (int q = 0; q < m->factors; q++) {
		d += a[q] * b[q];
		na += a[q] * a[q];
		nb += b[q] * b[q];
	}
	d /= sqrt(na * nb);
	return d > 0 ? (float)d : 0;
}

/* diversity 1 with categories: the first four rows cover four categories
 * (the plain top four repeat one for some users); with factor cosine the
 * second row is the candidate least like the first. */
void test_rerank_diversity(void)
{
	rs_model *m = shop(1, 1), *plain = shop(0, 1);
	rs_reco out[NI], base[NI];
	rs_error e;
	rs_opt div = num("diversity", 1);
	int repeats = 0;
	for (int u = 0; u < 20; u++) {
		char us[16];
		snprintf(us, sizeof us, "u%d", u);
		int n = reco(m, us, 4, 1, &div, out, &e), nb = reco(m, us, 4, 0, NULL, base, &e);
		CHECK(n == 4 && nb == 4);
		for (int r = 0; r < n; r++)
			for (int q = 0; q < r; q++) {
				CHECK(m->item_cat[out[r].item] != m->item_cat[out[q].item]);
				repeats += m->item_cat[base[r].item] == m->item_cat[base[q].item];
			}
	}
	CHECK(repeats > 0);
	int nb = reco(plain, "u12", NI, 0, NULL, base, &e);
	int n = reco(plain, "u12", NI, 1, &div, out, &e);
	CHECK(n == 9 && nb == 9 && out[0].item == base[0].item);
	for (int r = 1; r < nb; r++)
		CHECK(base[r].item == out[0].item ||
		      cos_clamped(plain, out[1].item, out[0].item) <= cos_clamped(plain, base[r].item, out[0].item) + 1e-5f);
	rs_model_destroy(&m);
	rs_model_destroy(&plain);
}

/* A large popularity penalty orders the candidates by popularity, least first. */
void test_rerank_popularity_penalty(void)
{
	rs_model *m = shop(0, 1);
	rs_reco out[NI];
	rs_error e;
	rs_opt pen = num("popularity_penalty", 1000);
	int n = reco(m, "u1", 9, 1, &pen, out, &e);
	float popmax = m->pop[m->pop_order[0]];
	CHECK(n == 9);
	for (int r = 1; r < n; r++)
		CHECK(m->pop[out[r - 1].item] <= m->pop[out[r].item] + popmax * 0.002f);
	rs_model_destroy(&m);
}

/* i1 (bought every 100 s) comes back once due; i3 (bought once) never. */
void test_rerank_repurchase(void)
{
	rs_model *m = shop(0, 1), *m2 = NULL, *nots = shop(0, 0);
	rs_reco out[NI];
	rs_error e;
	CHECK(m->item_interval && fabs(m->item_interval[rs_model_find_item(m, "i1", 2)] - 100) < 1e-9);
	CHECK(isnan(m->item_interval[rs_model_find_item(m, "i3", 2)]));
	rs_opt early[2] = {flag("repurchase_cycle", 1), num("now", 1250)};
	rs_opt due[2] = {flag("repurchase_cycle", 1), num("now", 1300)};
	int n = reco(m, "u2", NI, 2, early, out, &e);
	CHECK(n == 9 && !has_item(m, out, n, "i1")); /* u2's 9 unseen items */
	n = reco(m, "u2", NI, 2, due, out, &e);
	CHECK(n == 10 && has_item(m, out, n, "i1") && !has_item(m, out, n, "i3"));
	/* round trip keeps the intervals */
	unsigned char *blob = NULL;
	size_t len = 0;
	CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK && rs_model_load(blob, len, &m2, &e) == RS_OK);
	if (m2)
		CHECK(reco(m2, "u2", NI, 2, due, out, &e) == 10 && has_item(m2, out, 10, "i1"));
	rs_free(blob);
	/* without a ts column: a clear error */
	CHECK(reco(nots, "u2", 5, 1, due, out, &e) == -1 && strstr(e.msg, "needs interaction times"));
	rs_model_destroy(&m);
	rs_model_destroy(&m2);
	rs_model_destroy(&nots);
}

/* Bad values and unknown keys name the key; callers' own keys win. */
void test_rerank_errors(void)
{
	rs_model *m = shop(1, 1), *plain = shop(0, 1);
	rs_reco out[NI];
	rs_error e;
	struct { rs_opt o; const char *msg; } bad[] = {
		{num("candidates", 3), "\"candidates\" must be an integer between k (5) and 100000"},
		{num("candidates", 10.5), "\"candidates\" must be an integer"},
		{num("diversity", 1.5), "\"diversity\" must be between 0 and 1 (got 1.5)"},
		{num("upsell", -1), "\"upsell\" must be between 0 and 1e+06 (got -1)"},
		{flag("upsell", 1), "\"upsell\" must be a number"},
		{num("popularity_penalty", -0.1), "\"popularity_penalty\" must be between 0 and 1e+06 (got -0.1)"},
		{num("price_sensitivity", 1), "\"price_sensitivity\" must be a boolean"},
		{num("repurchase_cycle", 1), "\"repurchase_cycle\" must be a boolean"},
		{flag("now", 1), "\"now\" must be a number"},
		{num("reasons", 0), "\"reasons\" must be a boolean"},
		{num("bogus", 1), "price_min, price_max, categories, exclude_categories, exclude_items, "
		                  "candidates, upsell, price_sensitivity, price_tolerances, repurchase_cycle, now, "
		                  "diversity, "
		                  "popularity_penalty, reasons)"},
		{num("bogus", 1), "unknown option \"bogus\" for recommend (known options: exclude_seen, "},
	};
	for (size_t t = 0; t < sizeof bad / sizeof bad[0]; t++) {
		int n = reco(m, "u1", 5, 1, &bad[t].o, out, &e);
		CHECK(n == -1 && e.status == RS_EINVAL && strstr(e.msg, bad[t].msg));
		if (n != -1 || !strstr(e.msg, bad[t].msg))
			fprintf(stderr, "  case %zu: %s\n", t, e.msg);
	}
	rs_opt up = num("upsell", 1), sens = flag("price_sensitivity", 1);
	CHECK(reco(plain, "u1", 5, 1, &up, out, &e) == -1 && strstr(e.msg, "\"upsell\" needs item prices"));
	CHECK(reco(plain, "u1", 5, 1, &sens, out, &e) == -1 && strstr(e.msg, "needs item prices"));
	/* an entry point whose own exclude_items is a boolean */
	const char *own[] = {"exclude_items", NULL};
	rs_opt kids[2] = {flag("exclude_items", 1), num("diversity", 0.3)};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 2, .children = kids};
	CHECK(rs_rank_check(m, &root, "recommend_for_items", own, 5, &e) == RS_OK);
	kids[1] = num("nope", 1);
	CHECK(rs_rank_check(m, &root, "recommend_for_items", own, 5, &e) == RS_EINVAL &&
	      strstr(e.msg, "for recommend_for_items (known options: exclude_items, price_min, price_max, "
	                    "categories, exclude_categories, candidates,"));
	rs_model_destroy(&m);
	rs_model_destroy(&plain);
}

/* Profiles: rows with duplicates, distinct items, average price, segment,
 * last interaction; unknown users; a model without prices or times. */
void test_user_profile(void)
{
	rs_model *m = shop(1, 1), *bare = shop(0, 0), *m2 = NULL;
	rs_profile p, q;
	rs_error e;
	CHECK(rs_user_profile(m, "u2", 2, NULL, &p, &e) == RS_OK);
	CHECK(p.distinct_items == 7 && p.interactions == 9 && p.last_interaction == 1200);
	/* u2 has i0, i1, i3..i7: prices 1, 2, 4..8 */
	CHECK(fabs(p.avg_item_price - 33.0 / 7) < 1e-9);
	CHECK(p.spending_segment && (!strcmp(p.spending_segment, "small") ||
	                             !strcmp(p.spending_segment, "low average")));
	CHECK(rs_user_profile(m, "u12", 3, NULL, &q, &e) == RS_OK && q.interactions == 7 && q.spending_segment &&
	      (!strcmp(q.spending_segment, "average") || !strcmp(q.spending_segment, "high")));
	CHECK(rs_user_profile(m, "nobody", 6, NULL, &p, &e) == RS_ENOTFOUND && strstr(e.msg, "unknown user \"nobody\""));
	CHECK(rs_user_profile(bare, "u2", 2, NULL, &p, &e) == RS_OK && p.interactions == 9 &&
	      p.spending_segment == NULL && isnan(p.avg_item_price) && isnan(p.last_interaction));
	unsigned char *blob = NULL;
	size_t len = 0;
	CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK && rs_model_load(blob, len, &m2, &e) == RS_OK);
	if (m2) {
		CHECK(rs_user_profile(m2, "u2", 2, NULL, &q, &e) == RS_OK && q.interactions == 9 &&
		      q.avg_item_price == 33.0 / 7 && q.last_interaction == 1200);
	}
	rs_free(blob);
	rs_model_destroy(&m);
	rs_model_destroy(&m2);
	rs_model_destroy(&bare);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* The unordered selection picks the same items as the heap, with ties,
 * excluded and NaN scores, and scores from few distinct values. */
void test_topk_unordered(void)
{
	enum { N = 5000 };
	static float s[N], val[N], tv[N], hv[N];
	static int32_t idx[N], ti[N], hi[N];
	uint64_t seed = 7;
	for (int round = 0; round < 40; round++) {
		int n = 1 + (int)(rs_rand_next(&seed) % N), k = 1 + (int)(rs_rand_next(&seed) % 400);
		int levels = round % 2 ? 5 : 1 << 20; /* many ties every other round */
		for (int i = 0; i < n; i++) {
			uint64_t r = rs_rand_next(&seed);
			s[i] = r % 13 == 0 ? -INFINITY : r % 17 == 0 ? NAN : (float)(r % levels);
		}
		int a = rs_topk_unordered(s, n, k, idx, val, ti, tv), b = rs_topk(s, n, k, hi, hv);
		CHECK(a == b);
		qsort(idx, (size_t)a, sizeof *idx, cmp_i32);
		qsort(hi, (size_t)b, sizeof *hi, cmp_i32);
		for (int r = 0; r < a && a == b; r++)
			CHECK(idx[r] == hi[r]);
	}
}
