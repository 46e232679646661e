/* test_hybrid.c - the weighted blend: components trained and blended,
 * source names the component, blob round trip, bad components refused. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* A hybrid from a parsed components object. */
static rs_status train_hybrid(const rs_opt *components, rs_model **m, rs_error *err)
{
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = components};
	rs_config *c = NULL;
	rs_builder *b = NULL;
	char *sum = NULL;
	rs_status st = rs_config_create("hybrid", &root, 1, &c, err);
	if (st == RS_OK)
		st = rs_builder_create(c, &b, err);
	for (int u = 0; st == RS_OK && u < 20; u++)
		for (int i = 0; st == RS_OK && i < 16; i++) {
			if ((u < 10) != (i < 8) || i % 8 == u % 8)
				continue;
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
			st = rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, err);
		}
	if (st == RS_OK)
		st = rs_train(c, b, NULL, m, &sum, err);
	if (st == RS_OK)
		CHECK(strstr(sum, "\"components\": {\"als\": 0.75, \"popularity\": 0.25}") != NULL);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	return st;
}

void test_hybrid_blend(void)
{
	rs_opt als_opts[2] = {{.kind = RS_OPT_NUMBER, .key = "weight", .number = 3},
	                      {.kind = RS_OPT_NUMBER, .key = "factors", .number = 4}};
	rs_opt parts[2] = {{.kind = RS_OPT_OBJECT, .key = "als", .n_children = 2, .children = als_opts},
	                   {.kind = RS_OPT_NUMBER, .key = "popularity", .number = 1}};
	rs_opt comp = {.kind = RS_OPT_OBJECT, .key = "components", .n_children = 2, .children = parts};
	rs_model *m = NULL, *m2 = NULL;
	rs_error e;
	CHECK(train_hybrid(&comp, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(m->n_parts == 2 && m->parts[0]->factors == 4 && m->part_w[0] == 0.75f);
	rs_reco out[4], out2[4];
	int n, n2;
	CHECK(rs_recommend(m, "u3", 2, 1, NULL, out, &n, &e) == RS_OK && n == 1);
	size_t l;
	const char *id = rs_model_item_id(m, out[0].item, &l);
	CHECK(l == 2 && memcmp(id, "i3", 2) == 0); /* the held-out in-group item */
	CHECK(strncmp(rs_source_name(m, out[0].source), "hybrid:", 7) == 0);
	unsigned char *blob = NULL;
	size_t len = 0;
	CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK);
	CHECK(blob && rs_model_load(blob, len, &m2, &e) == RS_OK);
	if (m2) {
		CHECK(rs_recommend(m, "u12", 3, 4, NULL, out, &n, &e) == RS_OK);
		CHECK(rs_recommend(m2, "u12", 3, 4, NULL, out2, &n2, &e) == RS_OK);
		CHECK(n == n2 && memcmp(out, out2, sizeof(rs_reco) * (size_t)n) == 0);
		CHECK(strcmp(rs_source_name(m2, out2[0].source), rs_source_name(m, out[0].source)) == 0);
	}
	rs_free(blob);
	rs_model_destroy(&m2);
	rs_model_destroy(&m);
}

void test_hybrid_bad_components(void)
{
	rs_error e;
	rs_config *c = NULL;
	CHECK(rs_config_create("hybrid", NULL, 1, &c, &e) == RS_EINVAL && strstr(e.msg, "components"));
	rs_opt bad[3] = {{.kind = RS_OPT_NUMBER, .key = "nope", .number = 1},
	                 {.kind = RS_OPT_NUMBER, .key = "als", .number = -1},
	                 {.kind = RS_OPT_NUMBER, .key = "hybrid", .number = 1}};
	const char *want[3] = {"\"nope\" is not an algorithm", "weight of \"als\"", "\"hybrid\" is not"};
	for (int k = 0; k < 3; k++) {
		rs_opt comp = {.kind = RS_OPT_OBJECT, .key = "components", .n_children = 1, .children = &bad[k]};
		rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &comp};
		CHECK(rs_config_create("hybrid", &root, 1, &c, &e) == RS_EINVAL && strstr(e.msg, want[k]));
		CHECK(c == NULL);
	}
	rs_opt sub = {.kind = RS_OPT_NUMBER, .key = "factorz", .number = 3};
	rs_opt part = {.kind = RS_OPT_OBJECT, .key = "als", .n_children = 1, .children = &sub};
	rs_opt comp = {.kind = RS_OPT_OBJECT, .key = "components", .n_children = 1, .children = &part};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &comp};
	CHECK(rs_config_create("hybrid", &root, 1, &c, &e) == RS_EINVAL && strstr(e.msg, "factorz"));
}

/* The side tables reach every component (issue 13 A4): a top-level "items"
 * and its "item_features", or "items" inside one component, become every
 * component's and the hybrid's (the binding reads the hybrid's); the
 * columns read are the union; two tables for one side are refused. */
void test_hybrid_side_tables(void)
{
	rs_opt cols[1] = {{.kind = RS_OPT_STRING, .string = "category"}};
	rs_opt mine[3] = {{.kind = RS_OPT_NUMBER, .key = "weight", .number = 1},
	                  {.kind = RS_OPT_STRING, .key = "items", .string = "products"},
	                  {.kind = RS_OPT_ARRAY, .key = "item_features", .n_children = 1, .children = cols}};
	rs_opt comps[2] = {{.kind = RS_OPT_NUMBER, .key = "als", .number = 1},
	                   {.kind = RS_OPT_OBJECT, .key = "content", .n_children = 3, .children = mine}};
	rs_opt top[2] = {{.kind = RS_OPT_OBJECT, .key = "components", .n_children = 2, .children = comps},
	                 {.kind = RS_OPT_STRING, .key = "items", .string = "products"}};
	for (int at_top = 0; at_top < 2; at_top++) {
		rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = at_top ? 2 : 1, .children = top};
		comps[1].n_children = at_top ? 1 : 3; /* top: the component sets nothing */
		rs_config *c = NULL;
		rs_error e;
		CHECK(rs_config_create("hybrid", &root, 1, &c, &e) == RS_OK);
		if (!c)
			continue;
		CHECK(!strcmp(rs_config_side_source(c, RS_SIDE_ITEMS), "products"));
		for (int p = 0; p < c->n_parts; p++)
			CHECK(!strcmp(rs_config_side_source(c->part_cfg[p], RS_SIDE_ITEMS), "products"));
		/* als reads every column, so the hybrid does; content its own */
		CHECK(rs_config_side_column_wanted(c, RS_SIDE_ITEMS, "descr"));
		CHECK(rs_config_side_column_wanted(c->part_cfg[1], RS_SIDE_ITEMS, "descr") == at_top);
		rs_config_destroy(&c);
	}
	comps[1].n_children = 2;
	mine[1].string = "other";
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 2, .children = top};
	rs_config *c = NULL;
	rs_error e;
	CHECK(rs_config_create("hybrid", &root, 1, &c, &e) == RS_EINVAL && !c &&
	      strstr(e.msg, "names another \"items\" table"));
}
