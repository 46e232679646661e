/* test_batch.c - rs_recommend_batch: every user's rows equal rs_recommend's
 * (items, order, scores to the bit, sources, reasons) for every family and
 * with filters and re-ranking; unknown, NULL and repeated users; errors and
 * cancel. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Random-looking data large enough for several user blocks and item tiles
 * (batch.c: 64 users, 2048 items): nu users with 5 .. 44 items each, item
 * popularity skewed toward low indices, prices and categories, times. */
static rs_model *random_model_with(const char *algo, int nu, int ni, const char *extra)
{
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	const char *kv[] = {"threads=1", "factors=8", "iterations=3", extra}, *ckv[] = {"items=items"};
	int factors = !strcmp(algo, "als") || !strcmp(algo, "svd") || !strcmp(algo, "bpr") ||
	              !strcmp(algo, "warp");
	opts_buf ob;
	const rs_opt *o = !strcmp(algo, "content") ? make_opts(&ob, 1, ckv)
	                  : make_opts(&ob, factors ? 2 + !strcmp(algo, "als") + (extra != NULL) : 1, kv);
	if (rs_config_create(algo, o, 1, &c, &e) != RS_OK ||
	    rs_builder_create(c, &b, &e) != RS_OK) {
		fprintf(stderr, "  %s: %s\n", algo, e.msg);
		rs_config_destroy(&c);
		return NULL;
	}
	uint64_t s = 12345;
	for (int u = 0; u < nu; u++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		int n = 5 + (int)((s >> 33) % 40);
		for (int r = 0; r < n; r++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			double x = (double)(s >> 11) / 9007199254740992.0;
			int i = (int)(x * x * ni) % ni; /* skewed toward popular low ids */
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
			rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1, 1000.0 + r * 50,
			               &e);
		}
	}
	add_shop_items(b, ni, 1);
	if (rs_train(c, b, NULL, &m, &sum, &e) != RS_OK)
		fprintf(stderr, "  %s: %s\n", algo, e.msg);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	return m;
}

static rs_model *random_model(const char *algo, int nu, int ni)
{
	return random_model_with(algo, nu, ni, NULL);
}

/* Do two rows agree in everything a binding shows? */
static int same_row(const rs_reco *a, const rs_reco *b)
{
	return a->item == b->item && a->score == b->score && a->source == b->source &&
	       a->because == b->because && a->why == b->why;
}

/* Batch of the given ids (NULL ids: the model's users 0..n-1) equals
 * rs_recommend for each; returns the number of users that differ. */
static int batch_differs(const rs_model *m, const char *const *ids, int n, int k,
                         const rs_opt *opts)
{
	size_t *lens = calloc((size_t)n + 1, sizeof *lens);
	rs_reco *out = calloc((size_t)n * k + 1, sizeof *out), *one = calloc((size_t)k, sizeof *one);
	int *n_out = calloc((size_t)n + 1, sizeof *n_out), bad = 0;
	rs_error e;
	for (int r = 0; ids && r < n; r++)
		lens[r] = ids[r] ? strlen(ids[r]) : 0;
	if (rs_recommend_batch(m, ids, lens, 0, (size_t)n, k, opts, 2, NULL, out, n_out, &e) != RS_OK) {
		fprintf(stderr, "  batch failed: %s\n", e.msg);
		bad = n;
	}
	for (int r = 0; !bad && r < n; r++) {
		size_t len = 0;
		const char *id = ids ? ids[r] : rs_model_user_id(m, r, &len);
		int got = 0;
		if (!id) { /* a NULL id: no rows */
			bad += n_out[r] != 0;
			continue;
		}
		if (rs_recommend_exact(m, id, ids ? lens[r] : len, k, opts, one, &got, &e) != RS_OK) {
			bad++;
			continue;
		}
		int same = got == n_out[r];
		for (int q = 0; same && q < got; q++)
			same = same_row(&one[q], &out[(size_t)r * k + q]);
		if (!same && bad == 0)
			fprintf(stderr, "  user %d (%.*s): %d rows vs %d\n", r, (int)(ids ? lens[r] : len), id,
			        n_out[r], got);
		bad += !same;
	}
	free(lens);
	free(out);
	free(one);
	free(n_out);
	return bad;
}

static rs_opt num(const char *key, double v) { return (rs_opt){.kind = RS_OPT_NUMBER, .key = key, .number = v}; }
static rs_opt flag(const char *key, int v) { return (rs_opt){.kind = RS_OPT_BOOL, .key = key, .boolean = v}; }

/* Every user of a model (all-users mode), and a list with an unknown id, a
 * NULL and a repeat, under option sets a through f. */
static void check_model(const rs_model *m, const char *what)
{
	static const rs_opt cats[2] = {{.kind = RS_OPT_STRING, .string = "c1"},
	                               {.kind = RS_OPT_STRING, .string = "c2"}};
	rs_opt seen[1] = {flag("exclude_seen", 0)};
	rs_opt filt[2] = {num("price_min", 3), {.kind = RS_OPT_ARRAY, .key = "exclude_categories",
	                                        .n_children = 2, .children = cats}};
	rs_opt rer[3] = {num("diversity", 0.3), num("popularity_penalty", 0.5), num("candidates", 40)};
	rs_opt rep[3] = {flag("repurchase_cycle", 1), num("now", 5000), flag("reasons", 0)};
	const rs_opt roots[] = {
	    {.kind = RS_OPT_OBJECT, .n_children = 1, .children = seen},
	    {.kind = RS_OPT_OBJECT, .n_children = 2, .children = filt},
	    {.kind = RS_OPT_OBJECT, .n_children = 3, .children = rer},
	    {.kind = RS_OPT_OBJECT, .n_children = 3, .children = rep},
	};
	int nu = (int)rs_model_n_users(m);
	int bad = batch_differs(m, NULL, nu, 10, NULL);
	if (bad)
		fprintf(stderr, "  %s: %d of %d users differ (no options)\n", what, bad, nu);
	CHECK(bad == 0);
	const char *ids[] = {"u1", "nobody", NULL, "u1", "u3", "u0"};
	for (size_t o = 0; o < sizeof roots / sizeof roots[0]; o++) {
		bad = batch_differs(m, ids, 6, 5, &roots[o]);
		if (bad)
			fprintf(stderr, "  %s: %d users differ with option set %zu\n", what, bad, o);
		CHECK(bad == 0);
	}
	CHECK(batch_differs(m, NULL, nu < 70 ? nu : 70, 1, &roots[1]) == 0);
}

/* Factor models on data spanning several blocks and tiles; k from 1 to
 * past the catalogue. */
void test_batch_factor_models(void)
{
	const char *algos[] = {"als", "svd", "bpr", "warp"};
	for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
		rs_model *m = random_model(algos[a], 150, 2300);
		CHECK(m != NULL);
		if (!m)
			continue;
		check_model(m, algos[a]);
		rs_model_destroy(&m);
	}
	rs_model *m = random_model("als", 70, 12); /* k beyond the catalogue */
	CHECK(m && batch_differs(m, NULL, 70, 20, NULL) == 0);
	rs_model_destroy(&m);
}

/* A model with an approximate index: the batch is exact, as recommend()
 * with "exact": true, and the index path itself differs for some user
 * (else this test would not tell the two apart). */
void test_batch_index_model(void)
{
	rs_model *m = random_model_with("als", 150, 2300, "index=ivf");
	CHECK(m && m->ivf_nlist > 0);
	if (!m)
		return;
	check_model(m, "als with ivf");
	int nu = (int)rs_model_n_users(m), differ = 0;
	rs_reco a[10], b[10];
	for (int u = 0; u < nu; u++) {
		size_t len;
		const char *id = rs_model_user_id(m, u, &len);
		int na = 0, nb = 0;
		rs_error e;
		if (rs_recommend(m, id, len, 10, NULL, a, &na, &e) != RS_OK ||
		    rs_recommend_exact(m, id, len, 10, NULL, b, &nb, &e) != RS_OK)
			break;
		int same = na == nb;
		for (int q = 0; same && q < na; q++)
			same = a[q].item == b[q].item;
		differ += !same;
	}
	CHECK(differ > 0);
	rs_model_destroy(&m);
}

/* Models scored user by user: item-based, dense, popularity, hybrid,
 * and content (items table). */
void test_batch_other_models(void)
{
	const char *algos[] = {"itemknn", "ease", "popularity", "content"};
	for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
		rs_model *m = random_model(algos[a], 90, 60);
		CHECK(m != NULL);
		if (!m)
			continue;
		check_model(m, algos[a]);
		rs_model_destroy(&m);
	}
	rs_opt als_opts[2] = {num("weight", 3), num("factors", 4)};
	rs_opt parts[2] = {{.kind = RS_OPT_OBJECT, .key = "als", .n_children = 2, .children = als_opts},
	                   {.kind = RS_OPT_NUMBER, .key = "itemknn", .number = 1}};
	rs_opt comp = {.kind = RS_OPT_OBJECT, .key = "components", .n_children = 2, .children = parts};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &comp};
	rs_model *h = NULL;
	rs_error e;
	CHECK(train_blocks_opts("hybrid", &root, 40, 20, &h, &e) == RS_OK);
	if (h) {
		const char *ids[] = {"u1", "u30", "nobody"};
		CHECK(batch_differs(h, NULL, 40, 5, NULL) == 0);
		CHECK(batch_differs(h, ids, 3, 5, NULL) == 0);
	}
	rs_model_destroy(&h);
}

static int cancel_now(void *ctx)
{
	(void)ctx;
	return 1;
}

/* Bad k and options, users out of range, cancel, an empty batch. */
void test_batch_errors(void)
{
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_blocks("als", 0, NULL, 20, 10, &m, &e) == RS_OK);
	if (!m)
		return;
	rs_reco out[40];
	int n_out[4];
	const char *ids[] = {"u1", "u2"};
	size_t lens[] = {2, 2};
	CHECK(rs_recommend_batch(m, ids, lens, 0, 2, 0, NULL, 1, NULL, out, n_out, &e) == RS_EINVAL);
	CHECK(strstr(e.msg, "k must be between") != NULL);
	rs_opt fresh[1] = {flag("fresh", 1)};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = fresh};
	CHECK(rs_recommend_batch(m, ids, lens, 0, 2, 5, &root, 1, NULL, out, n_out, &e) == RS_EINVAL);
	CHECK(strstr(e.msg, "unknown option \"fresh\" for recommend_batch") != NULL);
	rs_opt bad[1] = {{.kind = RS_OPT_STRING, .key = "exclude_seen", .string = "yes"}};
	root.children = bad;
	CHECK(rs_recommend_batch(m, ids, lens, 0, 2, 5, &root, 1, NULL, out, n_out, &e) == RS_EINVAL);
	CHECK(strstr(e.msg, "exclude_seen") != NULL);
	rs_opt up[1] = {num("upsell", 1)}; /* needs prices */
	root.children = up;
	CHECK(rs_recommend_batch(m, ids, lens, 0, 2, 5, &root, 1, NULL, out, n_out, &e) == RS_EINVAL);
	CHECK(rs_recommend_batch(m, NULL, NULL, 18, 4, 5, NULL, 1, NULL, out, n_out, &e) == RS_EINVAL);
	rs_callbacks cb = {.cancel = cancel_now};
	CHECK(rs_recommend_batch(m, NULL, NULL, 0, 4, 5, NULL, 2, &cb, out, n_out, &e) ==
	      RS_ECANCELLED);
	CHECK(rs_recommend_batch(m, ids, lens, 0, 0, 5, NULL, 1, NULL, NULL, NULL, &e) == RS_OK);
	CHECK(rs_recommend_batch(m, NULL, NULL, 16, 4, 5, NULL, 0, NULL, out, n_out, &e) == RS_OK);
	rs_model_destroy(&m);
}
