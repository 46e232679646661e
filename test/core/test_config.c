/* test_config.c - option validation and the builder's row handling. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Create a config and return its status; the message lands in err. */
static rs_status cfg_status(const char *algo, int n, const char *const *kv, rs_error *err)
{
	opts_buf ob;
	rs_config *c = NULL;
	rs_status st = rs_config_create(algo, make_opts(&ob, n, kv), 1, &c, err);
	rs_config_destroy(&c);
	return st;
}

void test_options_rejected(void)
{
	rs_error e;
	CHECK(cfg_status("nope", 0, NULL, &e) == RS_EINVAL && strstr(e.msg, "unknown algorithm \"nope\""));
	CHECK(cfg_status("als", 1, (const char *[]){"factorz=3"}, &e) == RS_EINVAL &&
	      strstr(e.msg, "unknown option \"factorz\""));
	CHECK(cfg_status("als", 1, (const char *[]){"factors=abc"}, &e) == RS_EINVAL &&
	      strstr(e.msg, "\"factors\" must be an integer"));
	CHECK(cfg_status("als", 1, (const char *[]){"factors=2.5"}, &e) == RS_EINVAL);
	CHECK(cfg_status("als", 1, (const char *[]){"factors=0"}, &e) == RS_EINVAL &&
	      strstr(e.msg, "between 1 and 1024"));
	CHECK(cfg_status("als", 1, (const char *[]){"solver=lu"}, &e) == RS_EINVAL &&
	      strstr(e.msg, "\"solver\""));
	CHECK(cfg_status("popularity", 1, (const char *[]){"factors=8"}, &e) == RS_EINVAL &&
	      strstr(e.msg, "unknown option \"factors\" for algorithm \"popularity\""));
	CHECK(cfg_status("als", 1, (const char *[]){"event_weights=3"}, &e) == RS_EINVAL &&
	      strstr(e.msg, "event_weights"));
	CHECK(cfg_status("als", 1, (const char *[]){"user_column="}, &e) == RS_EINVAL);
}

void test_options_accepted(void)
{
	opts_buf ob;
	rs_config *c = NULL;
	rs_error e;
	const char *kv[] = {"factors=8", "iterations=3", "user_column=customer", "solver=cholesky",
	                    "threads=2"};
	CHECK(rs_config_create("als", make_opts(&ob, 5, kv), 1, &c, &e) == RS_OK);
	if (!c)
		return;
	CHECK(c->factors == 8 && c->iterations == 3 && c->solver == RS_SOLVER_CHOLESKY && c->threads == 2);
	CHECK(strcmp(rs_config_column(c, RS_COL_USER), "customer") == 0);
	CHECK(strcmp(rs_config_column(c, RS_COL_ITEM), "item_id") == 0);
	rs_config_destroy(&c);
	CHECK(c == NULL);
}

/* Builder: NULLs and non-positive weights are skipped and counted, events
 * map to weights, duplicates add up, non-finite weights are refused. */
void test_builder_rows(void)
{
	rs_opt ev[2] = {{.kind = RS_OPT_NUMBER, .key = "buy", .number = 1.0},
	                {.kind = RS_OPT_NUMBER, .key = "view", .number = 0.25}};
	rs_opt kid = {.kind = RS_OPT_OBJECT, .key = "event_weights", .n_children = 2, .children = ev};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &kid};
	rs_config *c;
	rs_builder *b;
	rs_error e;
	CHECK(rs_config_create("popularity", &root, 1, &c, &e) == RS_OK);
	CHECK(rs_builder_create(c, &b, &e) == RS_OK);
	CHECK(rs_builder_add(b, NULL, 0, "i", 1, 0, 0, "buy", 3, 0, 0, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u", 1, NULL, 0, 0, 0, "buy", 3, 0, 0, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u", 1, "i", 1, 0, 0, "wish", 4, 0, 0, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u", 1, "i", 1, 1, -2, "buy", 3, 0, 0, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u", 1, "i", 1, 0, 0, "buy", 3, 0, 0, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u", 1, "i", 1, 0, 0, "view", 4, 0, 0, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u", 1, "j", 1, 1, NAN, "buy", 3, 0, 0, &e) == RS_EDATA &&
	      strstr(e.msg, "not a finite number"));
	CHECK(rs_builder_add(b, "u", 1, "j", 1, 1, INFINITY, "buy", 3, 0, 0, &e) == RS_EDATA);
	CHECK(b->null_user == 1 && b->null_item == 1 && b->unknown_event == 1 && b->nonpositive == 1);
	rs_model *m = NULL;
	char *sum = NULL;
	CHECK(rs_train(c, b, NULL, &m, &sum, &e) == RS_OK);
	if (m) {
		CHECK(rs_model_n_interactions(m) == 1 && fabsf(m->seen.data[0] - 1.25f) < 1e-6f);
		CHECK(strstr(sum, "\"duplicates_merged\": 1") != NULL);
		CHECK(strstr(sum, "\"unknown_event\": 1") != NULL);
	}
	rs_free(sum);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
}

/* Weights are kept as float32: a finite weight above its maximum, alone,
 * times an event weight or summed over duplicate rows, is an error naming
 * the row (or the pair) and the limit, never a skipped "non-positive" row;
 * a weight just below the limit trains. */
void test_builder_weight_limit(void)
{
	rs_opt ev[1] = {{.kind = RS_OPT_NUMBER, .key = "buy", .number = 10.0}};
	rs_opt kid = {.kind = RS_OPT_OBJECT, .key = "event_weights", .n_children = 1, .children = ev};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &kid};
	rs_config *c = NULL, *ce = NULL;
	rs_builder *b = NULL;
	rs_error e;
	rs_model *m = NULL;
	char *sum = NULL;
	CHECK(rs_config_create("popularity", NULL, 1, &c, &e) == RS_OK);
	CHECK(rs_builder_create(c, &b, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u1", 2, "i1", 2, 1, 1, NULL, 0, 0, 0, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u2", 2, "i2", 2, 1, 1e39, NULL, 0, 0, 0, &e) == RS_EDATA);
	CHECK(!strcmp(e.msg, "weight of row 2 (user \"u2\", item \"i2\") is 1e+39, above the float32 "
	                     "maximum 3.4028235e+38"));
	CHECK(rs_builder_add(b, "u2", 2, "i2", 2, 1, DBL_MAX, NULL, 0, 0, 0, &e) == RS_EDATA &&
	      strstr(e.msg, "row 3 ") && strstr(e.msg, "3.4028235e+38"));
	CHECK(rs_builder_add(b, "u3", 2, "i3", 2, 1, -1e39, NULL, 0, 0, 0, &e) == RS_OK); /* <= 0 */
	CHECK(rs_builder_add(b, "u4", 2, "i4", 2, 1, 3.4e38, NULL, 0, 0, 0, &e) == RS_OK);
	CHECK(b->nonpositive == 1);
	CHECK(rs_train(c, b, NULL, &m, &sum, &e) == RS_OK);
	if (m)
		CHECK(rs_model_n_interactions(m) == 2 && strstr(sum, "\"nonpositive_weight\": 1"));
	rs_free(sum);
	sum = NULL;
	rs_model_destroy(&m);
	/* duplicates that add up past the limit */
	rs_builder_destroy(&b);
	CHECK(rs_builder_create(c, &b, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u1", 2, "i1", 2, 1, 1, NULL, 0, 0, 0, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u5", 2, "i5", 2, 1, 3e38, NULL, 0, 0, 0, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u5", 2, "i5", 2, 1, 3e38, NULL, 0, 0, 0, &e) == RS_OK);
	CHECK(rs_train(c, b, NULL, &m, &sum, &e) == RS_EDATA && !m && !sum);
	CHECK(!strcmp(e.msg, "the weights of user \"u5\" and item \"i5\" add up to more than the "
	                     "float32 maximum 3.4028235e+38 (duplicate rows add up)"));
	/* a weight times its event weight */
	CHECK(rs_config_create("popularity", &root, 1, &ce, &e) == RS_OK);
	rs_builder_destroy(&b);
	CHECK(rs_builder_create(ce, &b, &e) == RS_OK);
	CHECK(rs_builder_add(b, "u1", 2, "i1", 2, 1, 1e38, "buy", 3, 0, 0, &e) == RS_EDATA);
	CHECK(!strcmp(e.msg, "weight of row 1 (user \"u1\", item \"i1\") times its event weight is "
	                     "1e+38 x 10 = 1e+39, above the float32 maximum 3.4028235e+38"));
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	rs_config_destroy(&ce);
}

void test_empty_source(void)
{
	rs_config *c;
	rs_builder *b;
	rs_error e;
	rs_model *m = NULL;
	char *sum = NULL;
	CHECK(rs_config_create("als", NULL, 1, &c, &e) == RS_OK);
	CHECK(rs_builder_create(c, &b, &e) == RS_OK);
	CHECK(rs_builder_add(b, NULL, 0, "i", 1, 0, 0, NULL, 0, 0, 0, &e) == RS_OK);
	CHECK(rs_train(c, b, NULL, &m, &sum, &e) == RS_EDATA && strstr(e.msg, "no usable interactions"));
	CHECK(m == NULL && sum == NULL);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
}
