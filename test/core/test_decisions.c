/* test_decisions.c - the decisions both bindings take from the core: the
 * check of k and the result buffer, algorithm names, the not-found
 * wording, and the fresh path of recommend(). */
#include "fixtures.h"
#include "harness.h"
#include "recsys.h"

#include <string.h>

void test_check_k(void)
{
	rs_error e;
	CHECK(rs_check_k(1, &e) == RS_OK && rs_check_k(RS_MAX_K, &e) == RS_OK);
	CHECK(rs_check_k(0, &e) == RS_EINVAL && e.status == RS_EINVAL &&
	      strcmp(e.msg, "k must be between 1 and 100000 (got 0)") == 0);
	CHECK(rs_check_k(-3, &e) == RS_EINVAL && strcmp(e.msg, "k must be between 1 and 100000 (got -3)") == 0);
	CHECK(rs_check_k(RS_MAX_K + 1, &e) == RS_EINVAL);
	/* beyond int: the same words, the value as given */
	CHECK(rs_check_k(4294967296LL, &e) == RS_EINVAL &&
	      strcmp(e.msg, "k must be between 1 and 100000 (got 4294967296)") == 0);
	CHECK(rs_check_k(-4294967296LL, &e) == RS_EINVAL &&
	      strcmp(e.msg, "k must be between 1 and 100000 (got -4294967296)") == 0);
	/* room for k rows, 1 for a k the call will refuse */
	CHECK(rs_result_rows(1) == 1 && rs_result_rows(7) == 7 && rs_result_rows(RS_MAX_K) == RS_MAX_K);
	CHECK(rs_result_rows(0) == 1 && rs_result_rows(-1) == 1 && rs_result_rows(RS_MAX_K + 1) == 1);
	CHECK(rs_result_rows(4294967296LL) == 1);
}

void test_is_algorithm(void)
{
	/* every name of rs_algorithms(), and nothing else */
	char names[512];
	snprintf(names, sizeof names, "%s", rs_algorithms());
	int n = 0;
	for (char *save = NULL, *t = strtok_r(names, ", ", &save); t; t = strtok_r(NULL, ", ", &save), n++)
		CHECK(rs_is_algorithm(t));
	CHECK(n == 12); /* ... vae, two_tower */
	CHECK(!rs_is_algorithm(NULL) && !rs_is_algorithm("") && !rs_is_algorithm("ALS") &&
	      !rs_is_algorithm("als ") && !rs_is_algorithm("al") && !rs_is_algorithm("shop") &&
	      !rs_is_algorithm("als, popularity"));
}

void test_not_found_messages(void)
{
	rs_error e;
	CHECK(rs_not_found(&e, RS_MISSING_MODEL, "shop", (size_t)-1, NULL) == RS_ENOTFOUND &&
	      e.status == RS_ENOTFOUND && strcmp(e.msg, "model \"shop\" does not exist") == 0);
	CHECK(rs_not_found(&e, RS_MISSING_USER, "u1xyz", 2, "shop") == RS_ENOTFOUND &&
	      strcmp(e.msg, "user \"u1\" is not in model \"shop\"") == 0);
	CHECK(rs_not_found(&e, RS_MISSING_ITEM, "i9", (size_t)-1, "shop") == RS_ENOTFOUND &&
	      strcmp(e.msg, "item \"i9\" is not in model \"shop\"") == 0);
	/* long names and ids are cut at 64 bytes and "..." */
	char long_id[200];
	memset(long_id, 'a', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	rs_not_found(&e, RS_MISSING_USER, long_id, (size_t)-1, long_id);
	char want[300];
	snprintf(want, sizeof want, "user \"%.64s...\" is not in model \"%.64s...\"", long_id, long_id);
	CHECK(strcmp(e.msg, want) == 0);
	rs_not_found(&e, RS_MISSING_MODEL, long_id, (size_t)-1, NULL);
	snprintf(want, sizeof want, "model \"%.64s...\" does not exist", long_id);
	CHECK(strcmp(e.msg, want) == 0);

	/* the core's own not-found errors, named with the model */
	rs_model *m = NULL;
	CHECK(train_blocks("itemknn", 0, NULL, 8, 8, &m, &e) == RS_OK);
	if (!m)
		return;
	rs_reco out[3];
	int n = 0;
	CHECK(rs_similar_items(m, "nope", 4, 3, NULL, out, &n, &e) == RS_ENOTFOUND);
	rs_error_name_model(&e, m, "shop", NULL, 0, "nope", 4);
	CHECK(e.status == RS_ENOTFOUND && strcmp(e.msg, "item \"nope\" is not in model \"shop\"") == 0);
	rs_contribution *rows = NULL;
	CHECK(rs_explain(m, "ux", 2, "i1", 2, &rows, &n, &e) == RS_ENOTFOUND);
	rs_error_name_model(&e, m, "shop", "ux", 2, "i1", 2);
	CHECK(strcmp(e.msg, "user \"ux\" is not in model \"shop\"") == 0);
	CHECK(rs_explain(m, "u1", 2, "ix", 2, &rows, &n, &e) == RS_ENOTFOUND);
	rs_error_name_model(&e, m, "shop", "u1", 2, "ix", 2);
	CHECK(strcmp(e.msg, "item \"ix\" is not in model \"shop\"") == 0);
	rs_profile p;
	CHECK(rs_user_profile(m, "ux", 2, NULL, &p, &e) == RS_ENOTFOUND);
	rs_error_name_model(&e, m, "shop", "ux", 2, NULL, 0);
	CHECK(strcmp(e.msg, "user \"ux\" is not in model \"shop\"") == 0);
	/* any other error is left as it is */
	CHECK(rs_similar_items(m, "i1", 2, 0, NULL, out, &n, &e) == RS_EINVAL);
	rs_error_name_model(&e, m, "shop", NULL, 0, "i1", 2);
	CHECK(e.status == RS_EINVAL && strcmp(e.msg, "k must be between 1 and 100000 (got 0)") == 0);
	rs_model_destroy(&m);
}

/* One fresh answer: its row count and the source of its first row. */
static rs_status fresh_answer(const rs_model *m, const char *user, const rs_history *h,
                              const rs_opt *opts, rs_source *src, int *n)
{
	rs_reco out[4];
	rs_error e;
	*n = 0;
	rs_status st = rs_recommend_fresh(m, user, strlen(user), h, 4, opts, out, n, &e);
	*src = *n > 0 ? out[0].source : (rs_source)-1;
	return st;
}

void test_fresh_decisions(void)
{
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_blocks("als", 0, NULL, 8, 8, &m, &e) == RS_OK);
	if (!m)
		return;
	/* rs_fresh_wanted: "fresh" true or of another type yes, false never,
	 * absent for an unknown user only */
	rs_opt on = {.kind = RS_OPT_BOOL, .key = "fresh", .boolean = 1};
	rs_opt off = {.kind = RS_OPT_BOOL, .key = "fresh", .boolean = 0};
	rs_opt odd = {.kind = RS_OPT_NUMBER, .key = "fresh", .number = 0};
	rs_opt other = {.kind = RS_OPT_BOOL, .key = "exclude_seen", .boolean = 1};
	rs_opt o_on = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &on};
	rs_opt o_off = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &off};
	rs_opt o_odd = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &odd};
	rs_opt o_other = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &other};
	CHECK(!rs_fresh_wanted(m, "u1", 2, NULL) && rs_fresh_wanted(m, "new", 3, NULL));
	CHECK(!rs_fresh_wanted(m, "u1", 2, &o_other) && rs_fresh_wanted(m, "new", 3, &o_other));
	CHECK(rs_fresh_wanted(m, "u1", 2, &o_on) && rs_fresh_wanted(m, "new", 3, &o_on));
	CHECK(!rs_fresh_wanted(m, "u1", 2, &o_off) && !rs_fresh_wanted(m, "new", 3, &o_off));
	CHECK(rs_fresh_wanted(m, "u1", 2, &o_odd));

	/* rs_recommend_fresh: which answer for which rows */
	rs_history *empty = NULL, *rows = NULL;
	CHECK(rs_history_create(m, &empty, &e) == RS_OK && rs_history_create(m, &rows, &e) == RS_OK);
	CHECK(rs_history_add(rows, "i1", 2, 0, 1, NULL, 0, 0, 0, &e) == RS_OK);
	CHECK(rs_history_add(rows, "unknown item", 12, 0, 1, NULL, 0, 0, 0, &e) == RS_OK);
	rs_source src;
	int n;
	/* unknown user, no kept row (or no source): the cold start */
	CHECK(fresh_answer(m, "new", empty, NULL, &src, &n) == RS_OK && n == 4 && src == RS_SRC_COLDSTART);
	CHECK(fresh_answer(m, "new", NULL, NULL, &src, &n) == RS_OK && src == RS_SRC_COLDSTART);
	/* known user: no source, the model's own answer; rows all gone, popular
	 * items "popularity (no interactions)"; rows, the fold-in */
	CHECK(fresh_answer(m, "u1", NULL, &o_on, &src, &n) == RS_OK && src == RS_SRC_MODEL);
	CHECK(fresh_answer(m, "u1", empty, &o_on, &src, &n) == RS_OK && src == RS_SRC_FRESH_EMPTY);
	CHECK(strcmp(rs_source_name(m, RS_SRC_FRESH_EMPTY), "popularity (no interactions)") == 0);
	CHECK(fresh_answer(m, "u1", rows, &o_on, &src, &n) == RS_OK && src == RS_SRC_FRESH);
	/* unknown user with rows: the fold-in */
	CHECK(fresh_answer(m, "new", rows, NULL, &src, &n) == RS_OK && src == RS_SRC_FRESH);
	/* k is checked either way */
	rs_reco out[1];
	CHECK(rs_recommend_fresh(m, "new", 3, rows, 0, NULL, out, &n, &e) == RS_EINVAL &&
	      strcmp(e.msg, "k must be between 1 and 100000 (got 0)") == 0);
	rs_history_destroy(&empty);
	rs_history_destroy(&rows);
	rs_model_destroy(&m);
}

/* rs_serve_options_pure: the whitelist behind pg_recsys's result memo */
void test_pure_options(void)
{
	rs_opt fresh_off = {.kind = RS_OPT_BOOL, .key = "fresh", .boolean = 0};
	rs_opt fresh_on = {.kind = RS_OPT_BOOL, .key = "fresh", .boolean = 1};
	rs_opt rep_on = {.kind = RS_OPT_BOOL, .key = "repurchase_cycle", .boolean = 1};
	rs_opt rep_off = {.kind = RS_OPT_BOOL, .key = "repurchase_cycle", .boolean = 0};
	rs_opt now = {.kind = RS_OPT_NUMBER, .key = "now", .number = 1.7e9};
	rs_opt div = {.kind = RS_OPT_NUMBER, .key = "diversity", .number = 0.5};
	rs_opt alpha = {.kind = RS_OPT_NUMBER, .key = "alpha", .number = 2};
	rs_opt unknown = {.kind = RS_OPT_NUMBER, .key = "no_such_key", .number = 1};
	rs_opt rep_now[] = {rep_on, now};
	rs_opt now_rep[] = {now, rep_on};
	rs_opt div_fresh[] = {div, fresh_on};
#define OBJ(kids, n) (&(rs_opt){.kind = RS_OPT_OBJECT, .n_children = (n), .children = (kids)})
	CHECK(rs_serve_options_pure(NULL));
	CHECK(rs_serve_options_pure(OBJ(NULL, 0)));
	CHECK(rs_serve_options_pure(OBJ(&div, 1)));
	CHECK(rs_serve_options_pure(OBJ(&fresh_off, 1)));
	CHECK(!rs_serve_options_pure(OBJ(&fresh_on, 1)));
	CHECK(!rs_serve_options_pure(OBJ(div_fresh, 2)));
	/* the clock decides what is due, unless "now" is given */
	CHECK(!rs_serve_options_pure(OBJ(&rep_on, 1)));
	CHECK(rs_serve_options_pure(OBJ(&rep_off, 1)));
	CHECK(rs_serve_options_pure(OBJ(rep_now, 2)) && rs_serve_options_pure(OBJ(now_rep, 2)));
	/* popular_items: a window ends at the clock unless "now" is given */
	rs_opt win = {.kind = RS_OPT_NUMBER, .key = "window_days", .number = 30};
	rs_opt meas = {.kind = RS_OPT_STRING, .key = "measure", .string = "weight"};
	rs_opt win_now[] = {win, now};
	CHECK(!rs_serve_options_pure(OBJ(&win, 1)));
	CHECK(rs_serve_options_pure(OBJ(win_now, 2)) && rs_serve_options_pure(OBJ(&meas, 1)));
	/* not on the whitelist: never kept */
	CHECK(!rs_serve_options_pure(OBJ(&alpha, 1)));
	CHECK(!rs_serve_options_pure(OBJ(&unknown, 1)));
	CHECK(!rs_serve_options_pure(&div));
#undef OBJ
}
