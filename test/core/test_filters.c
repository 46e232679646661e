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
	const char *kv[] = {"factors=4", "threads=1"};
	opts_buf ob;
	rs_config_create("als", make_opts(&ob, 2, kv), 1, &c, &e);
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
