/* test_auto.c - automatic choice: a search is run and recorded, the winner
 * serves, too little data to validate is a clear error. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <string.h>

void test_auto_search(void)
{
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	const char *kv[] = {"threads=1", "time_budget=30"};
	opts_buf ob;
	CHECK(rs_config_create("auto", make_opts(&ob, 2, kv), 1, &c, &e) == RS_OK);
	CHECK(rs_builder_create(c, &b, &e) == RS_OK);
	for (int u = 0; u < 40; u++)
		for (int i = 0; i < 30; i++)
			if ((u < 20) == (i < 15) && (i + u) % 3 != 0) {
				char us[16], is[16];
				int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
				rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1,
				               (double)((i * 7 + u) % 11), &e);
			}
	CHECK(rs_train(c, b, NULL, &m, &sum, &e) == RS_OK);
	if (m && sum) {
		CHECK(strstr(sum, "\"algorithm\": \"auto\"") && strstr(sum, "\"search\": [") &&
		      strstr(sum, "\"candidate\": \"popularity\"") && strstr(sum, "\"chosen\": "));
		CHECK(strcmp(rs_model_algorithm(m), "auto") != 0); /* the winner's name */
		rs_reco out[3];
		int n;
		CHECK(rs_recommend(m, "u1", 2, 3, NULL, out, &n, &e) == RS_OK && n == 3);
		for (int r = 0; r < n; r++) { /* u1 is in the first group: items i0..i14 */
			size_t l;
			const char *id = rs_model_item_id(m, out[r].item, &l);
			CHECK(l >= 2 && (l == 2 || (id[1] == '1' && id[2] < '5')));
		}
	}
	rs_free(sum);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	/* nobody has 5 interactions: nothing to validate on */
	CHECK(rs_builder_create(c, &b, &e) == RS_OK);
	rs_builder_add(b, "u", 1, "i", 1, 0, 1, NULL, 0, 0, 0, &e);
	CHECK(rs_train(c, b, NULL, &m, &sum, &e) == RS_EDATA && strstr(e.msg, "validate"));
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	const char *bad[] = {"time_budget=0"};
	CHECK(rs_config_create("auto", make_opts(&ob, 1, bad), 1, &c, &e) == RS_EINVAL &&
	      strstr(e.msg, "time_budget"));
}

/* Train auto on the two-group pattern with the given options; returns the
 * summary (caller frees) or NULL. */
static char *auto_summary(const rs_opt *opts, rs_error *e)
{
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	if (rs_config_create("auto", opts, 1, &c, e) == RS_OK && rs_builder_create(c, &b, e) == RS_OK) {
		for (int u = 0; u < 40; u++)
			for (int i = 0; i < 30; i++)
				if ((u < 20) == (i < 15) && (i + u) % 3 != 0) {
					char us[16], is[16];
					int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
					rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1, 0, e);
				}
		if (rs_train(c, b, NULL, &m, &sum, e) != RS_OK)
			sum = NULL;
	}
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	return sum;
}

/* "algorithms" restricts the search to the named families (warp and bpr,
 * otherwise left out, included); bad values name the key. */
void test_auto_algorithms(void)
{
	rs_error e;
	rs_opt names[2] = {{.kind = RS_OPT_STRING, .string = "als"},
	                   {.kind = RS_OPT_STRING, .string = "warp"}};
	rs_opt kids[2] = {{.kind = RS_OPT_ARRAY, .key = "algorithms", .n_children = 2, .children = names},
	                  {.kind = RS_OPT_NUMBER, .key = "threads", .number = 1}};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 2, .children = kids};
	char *sum = auto_summary(&root, &e);
	CHECK(sum != NULL);
	if (sum) {
		CHECK(strstr(sum, "\"candidate\": \"als\"") && strstr(sum, "\"candidate\": \"warp\"") &&
		      strstr(sum, "\"candidate\": \"hybrid"));
		CHECK(!strstr(sum, "\"candidate\": \"popularity\"") && !strstr(sum, "\"candidate\": \"ease") &&
		      !strstr(sum, "\"candidate\": \"bpr"));
		CHECK(strstr(sum, "\"chosen\": \"als") || strstr(sum, "\"chosen\": \"warp") ||
		      strstr(sum, "\"chosen\": \"hybrid"));
		rs_free(sum);
	}
	/* one family: its variants only, no hybrid */
	kids[0].n_children = 1;
	sum = auto_summary(&root, &e);
	CHECK(sum && !strstr(sum, "\"candidate\": \"hybrid") && !strstr(sum, "\"candidate\": \"warp") &&
	      strstr(sum, "\"candidate\": \"als alpha=10\""));
	rs_free(sum);
	/* the default space leaves warp and bpr out */
	sum = auto_summary(&(rs_opt){.kind = RS_OPT_OBJECT, .n_children = 1, .children = &kids[1]}, &e);
	CHECK(sum && strstr(sum, "\"candidate\": \"ease\"") && !strstr(sum, "\"candidate\": \"warp"));
	rs_free(sum);
	/* errors name the key and the element */
	rs_config *c = NULL;
	rs_opt bad_names[2] = {{.kind = RS_OPT_STRING, .string = "als"},
	                       {.kind = RS_OPT_STRING, .string = "hybrid"}};
	rs_opt bad[] = {
		{.kind = RS_OPT_STRING, .key = "algorithms", .string = "als"},
		{.kind = RS_OPT_ARRAY, .key = "algorithms", .n_children = 0, .children = names},
		{.kind = RS_OPT_ARRAY, .key = "algorithms", .n_children = 2, .children = bad_names},
	};
	const char *want[] = {"non-empty array", "non-empty array", "element 2 is \"hybrid\""};
	for (int k = 0; k < 3; k++) {
		rs_opt r = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &bad[k]};
		CHECK(rs_config_create("auto", &r, 1, &c, &e) == RS_EINVAL &&
		      strstr(e.msg, "\"algorithms\"") && strstr(e.msg, want[k]));
	}
	/* other algorithms do not take it, and say which options they know */
	rs_opt r = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &bad[0]};
	CHECK(rs_config_create("als", &r, 1, &c, &e) == RS_EINVAL && strstr(e.msg, "unknown option"));
	rs_opt nope = {.kind = RS_OPT_NUMBER, .key = "nope", .number = 1};
	r.children = &nope;
	CHECK(rs_config_create("auto", &r, 1, &c, &e) == RS_EINVAL && strstr(e.msg, "time_budget, validation, algorithms)"));
}

/* Train auto (itemknn only, quick) on the two-group pattern with times
 * from time(u, i) (NULL: none) and option validation (NULL: default);
 * returns the summary (caller frees), or NULL with e set. */
static char *timed_summary(double (*time)(int, int), const char *validation, rs_error *e)
{
	rs_opt names[1] = {{.kind = RS_OPT_STRING, .string = "itemknn"}};
	rs_opt kids[3] = {{.kind = RS_OPT_NUMBER, .key = "threads", .number = 1},
	                  {.kind = RS_OPT_ARRAY, .key = "algorithms", .n_children = 1, .children = names},
	                  {.kind = RS_OPT_STRING, .key = "validation", .string = validation}};
	rs_opt all = {.kind = RS_OPT_OBJECT, .n_children = validation ? 3 : 2, .children = kids};
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	if (rs_config_create("auto", &all, 1, &c, e) == RS_OK && rs_builder_create(c, &b, e) == RS_OK) {
		for (int u = 0; u < 40; u++)
			for (int i = 0; i < 30; i++)
				if ((u < 20) == (i < 15) && (i + u) % 3 != 0) {
					char us[16], is[16];
					int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
					rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, time != NULL,
					               time ? time(u, i) : 0, e);
				}
		if (rs_train(c, b, NULL, &m, &sum, e) != RS_OK)
			sum = NULL;
	}
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	return sum;
}

static double spread_time(int u, int i) { return (double)((i * 7 + u) % 11); }
static double one_time(int u, int i) { (void)u; (void)i; return 5; }

/* Auto validates like deployment when rows have times (a global time
 * cut-off inside the training data) and enough users are measured after
 * it; per user otherwise. The summary says which rule ran, on how many
 * users. Option validation forces one. */
void test_auto_validation_split(void)
{
	rs_error e;
	/* 40 users: too few after the cut-off for "auto", the per-user split runs */
	char *sum = timed_summary(spread_time, NULL, &e);
	CHECK(sum && strstr(sum, "\"validation\": \"temporal-20\"") && strstr(sum, "\"global_time_users\": "));
	rs_free(sum);
	sum = timed_summary(spread_time, "global_time", &e);
	CHECK(sum && strstr(sum, "\"validation\": \"global-time-20\"") && !strstr(sum, "global_time_users"));
	rs_free(sum);
	sum = timed_summary(spread_time, "user", &e);
	CHECK(sum && strstr(sum, "\"validation\": \"temporal-20\", \"validation_users\": 40,"));
	rs_free(sum);
	sum = timed_summary(NULL, NULL, &e);
	CHECK(sum && strstr(sum, "\"validation\": \"random-20\"") && !strstr(sum, "global_time_users"));
	rs_free(sum);
	/* all rows at one time: no row is before the cut-off */
	sum = timed_summary(one_time, NULL, &e);
	CHECK(sum && strstr(sum, "\"validation\": \"temporal-20\""));
	rs_free(sum);
	sum = timed_summary(NULL, "global_time", &e);
	CHECK(!sum && e.status == RS_EDATA && strstr(e.msg, "validation \"global_time\" needs the time"));
	sum = timed_summary(one_time, "global_time", &e);
	CHECK(!sum && e.status == RS_EDATA && strstr(e.msg, "validate"));
	rs_free(sum);
	sum = timed_summary(NULL, "later", &e);
	CHECK(!sum && e.status == RS_EINVAL && strstr(e.msg, "option \"validation\""));
}

/* Train auto (itemknn only) on the two-group pattern with weights
 * 1 + (i % 3) (all 1 when `flat`) and options extra (NULL: none); returns
 * the summary (caller frees) or NULL. */
static char *weighted_summary(int flat, const rs_opt *extra, rs_error *e)
{
	rs_opt names[1] = {{.kind = RS_OPT_STRING, .string = "itemknn"}};
	rs_opt kids[3] = {{.kind = RS_OPT_NUMBER, .key = "threads", .number = 1},
	                  {.kind = RS_OPT_ARRAY, .key = "algorithms", .n_children = 1, .children = names}};
	if (extra)
		kids[2] = *extra;
	rs_opt all = {.kind = RS_OPT_OBJECT, .n_children = extra ? 3 : 2, .children = kids};
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	if (rs_config_create("auto", &all, 1, &c, e) == RS_OK && rs_builder_create(c, &b, e) == RS_OK) {
		for (int u = 0; u < 40; u++)
			for (int i = 0; i < 30; i++)
				if ((u < 20) == (i < 15) && (i + u) % 3 != 0) {
					char us[16], is[16];
					int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
					rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 1, flat ? 1 : 1 + i % 3, NULL, 0,
					               0, 0, e);
				}
		if (rs_train(c, b, NULL, &m, &sum, e) != RS_OK)
			sum = NULL;
	}
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	return sum;
}

/* weighting is searched where it can change something: values that
 * differ, no weighting set on auto itself, not the family's default. */
void test_auto_weighting_space(void)
{
	rs_error e;
	rs_config *probe = NULL;
	CHECK(rs_config_create("itemknn", NULL, 1, &probe, &e) == RS_OK);
	const char *def = probe ? rs_weighting_name(rs_weighting_resolve(probe)) : "?";
	char *sum = weighted_summary(0, NULL, &e);
	const char *values[] = {"raw", "binary", "log"};
	for (int v = 0; v < 3; v++) { /* every value but the family's default */
		char want[64];
		snprintf(want, sizeof want, "\"candidate\": \"itemknn weighting=%s\"", values[v]);
		CHECK(sum && !strstr(sum, want) == !strcmp(values[v], def));
	}
	rs_config_destroy(&probe);
	rs_free(sum);
	sum = weighted_summary(1, NULL, &e);
	CHECK(sum && strstr(sum, "\"candidate\": \"itemknn\"") && !strstr(sum, "weighting="));
	rs_free(sum);
	rs_opt fixed = {.kind = RS_OPT_STRING, .key = "weighting", .string = "log"};
	sum = weighted_summary(0, &fixed, &e);
	CHECK(sum && strstr(sum, "\"candidate\": \"itemknn\"") && !strstr(sum, "weighting="));
	rs_free(sum);
}
