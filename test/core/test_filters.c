/* test_filters.c - recommend()'s business filters: price range, categories,
 * excluded items; exact k while enough items pass; clear errors. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 20 users x 16 items in two taste groups; item i costs i, category "c<i%4>". */
static rs_model *shop_model(int with_items)
{
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	const char *kv[] = {"factors=4", "threads=1", "weighting=raw"}; /* raw: measure "weight" */
	opts_buf ob;
	rs_config_create("als", make_opts(&ob, 3, kv), 1, &c, &e);
	rs_builder_create(c, &b, &e);
	for (int u = 0; u < 20; u++)
		for (int i = 0; i < 16; i++)
			if ((u < 10) == (i < 8) && i % 8 != u % 8) {
				char us[16], is[16];
				int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
				rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &e);
			}
	if (with_items)
		add_shop_items(b, 16, 0);
	rs_train(c, b, NULL, &m, &sum, &e);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	return m;
}

/* recommend() for u1 with one filter option; returns rows (-1 on error). */
static int reco(const rs_model *m, const rs_opt *opt, rs_reco *out, rs_error *e)
{
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = opt ? 1 : 0, .children = opt};
	int n = -1;
	if (rs_recommend(m, "u1", 2, 5, &root, out, &n, e) != RS_OK)
		return -1;
	return n;
}

void test_filters(void)
{
	rs_model *m = shop_model(1), *plain = shop_model(0), *m2 = NULL;
	rs_error e;
	rs_reco out[8];
	if (!m || !plain) {
		CHECK(0);
		return;
	}
	rs_opt lo = {.kind = RS_OPT_NUMBER, .key = "price_min", .number = 9};
	int n = reco(m, &lo, out, &e);
	CHECK(n == 5); /* 8 unseen items, 7 of them priced 9 or more */
	for (int r = 0; r < n; r++)
		CHECK(m->item_price[out[r].item] >= 9);
	rs_opt hi = {.kind = RS_OPT_NUMBER, .key = "price_max", .number = 2};
	CHECK(reco(m, &hi, out, &e) == 1); /* only i1: u1 has seen i0 and i2; fewer rows, no error */
	rs_opt cats[1] = {{.kind = RS_OPT_STRING, .string = "c3"}};
	rs_opt keep = {.kind = RS_OPT_ARRAY, .key = "categories", .n_children = 1, .children = cats};
	n = reco(m, &keep, out, &e);
	CHECK(n == 2); /* i11 and i15 (u1 has seen i3 and i7) */
	for (int r = 0; r < n; r++)
		CHECK(m->item_cat[out[r].item] == rs_idmap_find(&m->cats, "c3", 2));
	rs_opt drop = {.kind = RS_OPT_ARRAY, .key = "exclude_categories", .n_children = 1, .children = cats};
	n = reco(m, &drop, out, &e);
	CHECK(n == 5);
	for (int r = 0; r < n; r++)
		CHECK(m->item_cat[out[r].item] != rs_idmap_find(&m->cats, "c3", 2));
	rs_opt ids[2] = {{.kind = RS_OPT_STRING, .string = "i0"}, {.kind = RS_OPT_STRING, .string = "nope"}};
	rs_opt ex = {.kind = RS_OPT_ARRAY, .key = "exclude_items", .n_children = 2, .children = ids};
	n = reco(plain, &ex, out, &e);
	CHECK(n == 5);
	for (int r = 0; r < n; r++)
		CHECK(out[r].item != rs_model_find_item(plain, "i0", 2));
	/* errors: no prices in the model, wrong types */
	CHECK(reco(plain, &lo, out, &e) == -1 && strstr(e.msg, "needs item prices"));
	CHECK(reco(plain, &keep, out, &e) == -1 && strstr(e.msg, "needs item categories"));
	rs_opt bad = {.kind = RS_OPT_STRING, .key = "price_min", .string = "9"};
	CHECK(reco(m, &bad, out, &e) == -1 && strstr(e.msg, "\"price_min\" must be a number"));
	rs_opt badarr = {.kind = RS_OPT_STRING, .key = "categories", .string = "c3"};
	CHECK(reco(m, &badarr, out, &e) == -1 && strstr(e.msg, "array of strings"));
	/* the blob keeps prices and categories */
	unsigned char *blob = NULL;
	size_t len = 0;
	CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK && rs_model_load(blob, len, &m2, &e) == RS_OK);
	if (m2) {
		CHECK(reco(m2, &keep, out, &e) == 2 && m2->cats.n == 4 &&
		      m2->item_price[rs_model_find_item(m2, "i5", 2)] == 5.0f);
	}
	rs_free(blob);
	rs_model_destroy(&m2);
	rs_model_destroy(&m);
	rs_model_destroy(&plain);
}

/* Prices stored as text (issue 13 A5): numeric text is a price, other text
 * is counted as unparsed in the summary; a model whose prices are all
 * unknown refuses the price options; price_min above price_max is an error. */
void test_filters_text_prices(void)
{
	const char *texts[] = {"12.50", " 7 ", "1e2", "", "n/a", "12 EUR", "0x10", "inf"};
	for (int all_bad = 0; all_bad < 2; all_bad++) {
		rs_config *c = NULL;
		rs_builder *b = NULL;
		rs_model *m = NULL;
		char *sum = NULL;
		rs_error e;
		const char *kv[] = {"factors=4", "threads=1"};
		opts_buf ob;
		CHECK(rs_config_create("als", make_opts(&ob, 2, kv), 1, &c, &e) == RS_OK);
		CHECK(rs_builder_create(c, &b, &e) == RS_OK);
		for (int u = 0; u < 20; u++)
			for (int i = 0; i < 16; i++)
				if ((u < 10) == (i < 8) && i % 8 != u % 8) {
					char us[16], is[16];
					int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
					rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &e);
				}
		/* i0..i7 text prices, i8..i14 numbers (all "n/a" when all_bad); i15 none */
		for (int i = 0; i < 15; i++) {
			char is[16];
			int il = snprintf(is, sizeof is, "i%d", i);
			const char *t = all_bad ? "n/a" : i < 8 ? texts[i] : NULL;
			rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "price", t, t ? strlen(t) : 0,
			                         !t, t ? 0 : i, &e);
		}
		CHECK(rs_train(c, b, NULL, &m, &sum, &e) == RS_OK);
		if (!all_bad) {
			CHECK(sum && strstr(sum, "\"prices\": {\"known\": 10, \"unparsed\": 5, \"missing\": 1}"));
			CHECK(m && m->item_price[rs_model_find_item(m, "i0", 2)] == 12.5f &&
			      m->item_price[rs_model_find_item(m, "i1", 2)] == 7.0f &&
			      m->item_price[rs_model_find_item(m, "i2", 2)] == 100.0f &&
			      isnan(m->item_price[rs_model_find_item(m, "i6", 2)]) &&
			      isnan(m->item_price[rs_model_find_item(m, "i7", 2)]));
		} else {
			CHECK(sum && strstr(sum, "\"prices\": {\"known\": 0, \"unparsed\": 15, \"missing\": 1}"));
		}
		rs_reco out[8];
		rs_opt hi = {.kind = RS_OPT_NUMBER, .key = "price_max", .number = 50};
		int n = m ? reco(m, &hi, out, &e) : -1;
		if (all_bad)
			CHECK(n == -1 && strstr(e.msg, "\"price_max\" needs item prices: no item of the model has one"));
		else
			CHECK(n > 0);
		rs_opt range[2] = {{.kind = RS_OPT_NUMBER, .key = "price_min", .number = 50},
		                   {.kind = RS_OPT_NUMBER, .key = "price_max", .number = 10}};
		rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 2, .children = range};
		CHECK(m && rs_recommend(m, "u1", 2, 5, &root, out, &n, &e) == RS_EINVAL &&
		      strstr(e.msg, "must not be above \"price_max\""));
		rs_free(sum);
		rs_model_destroy(&m);
		rs_builder_destroy(&b);
		rs_config_destroy(&c);
	}
}

/* popular_items' options: the filters, measure "weight" (summed weights),
 * window_days (needs times), unknown keys named. */
void test_popular_options(void)
{
	rs_model *m = shop_model(1);
	rs_error e;
	rs_reco out[16];
	int n = 0;
	if (!m) {
		CHECK(0);
		return;
	}
	rs_opt cats[1] = {{.kind = RS_OPT_STRING, .string = "c1"}};
	rs_opt f[2] = {{.kind = RS_OPT_ARRAY, .key = "categories", .n_children = 1, .children = cats},
	               {.kind = RS_OPT_NUMBER, .key = "price_max", .number = 9}};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 2, .children = f};
	CHECK(rs_popular(m, 5, &root, out, &n, &e) == RS_OK && n == 3); /* i1, i5, i9 */
	for (int r = 0; r < n; r++)
		CHECK(m->item_price[out[r].item] <= 9 && m->item_cat[out[r].item] == rs_idmap_find(&m->cats, "c1", 2));
	rs_opt w = {.kind = RS_OPT_STRING, .key = "measure", .string = "weight"};
	root = (rs_opt){.kind = RS_OPT_OBJECT, .n_children = 1, .children = &w};
	CHECK(rs_popular(m, 16, &root, out, &n, &e) == RS_OK && n == 16);
	for (int r = 0; r < n; r++) { /* every weight is 1: the user counts */
		int64_t users = 0;
		for (int64_t p = 0; p < rs_csr_nnz(&m->seen); p++)
			users += m->seen.indices[p] == out[r].item;
		CHECK(out[r].score == (float)users);
	}
	/* without an event column every row is a purchase: buyers = users */
	rs_opt buy = {.kind = RS_OPT_STRING, .key = "measure", .string = "purchases"};
	rs_reco bought[16];
	int nb = 0;
	root.children = &buy;
	CHECK(rs_popular(m, 16, &root, bought, &nb, &e) == RS_OK && nb == n);
	for (int r = 0; r < nb && r < n; r++)
		CHECK(bought[r].score == out[r].score);
	rs_opt win = {.kind = RS_OPT_NUMBER, .key = "window_days", .number = 30};
	root.children = &win;
	CHECK(rs_popular(m, 5, &root, out, &n, &e) == RS_EINVAL && strstr(e.msg, "needs interaction times"));
	rs_opt up = {.kind = RS_OPT_NUMBER, .key = "upsell", .number = 1};
	root.children = &up;
	CHECK(rs_popular(m, 5, &root, out, &n, &e) == RS_EINVAL &&
	      strstr(e.msg, "unknown option \"upsell\" for popular_items (known options: measure, window_days"));
	rs_model_destroy(&m);
}
