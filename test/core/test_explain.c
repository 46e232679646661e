/* test_explain.c - rs_explain: each family's contributions add up to the
 * score recommend() gives (exactly for itemknn, ease, svd and a hybrid of
 * them; within a tolerance for als, whose trained user vector approximates
 * the exact least-squares one), bpr's fold-in split, popularity's empty
 * answer, unknown ids; and the reasons: rs_reasons_fill's pick and
 * rs_reason_format's words. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NU = 12, NI = 10 };

/* Sum of the contributions to item i for user "u<u>"; -1e30 on error. */
static double explained(const rs_model *m, int u, int32_t i, int *rows)
{
	char us[16];
	int ul = snprintf(us, sizeof us, "u%d", u);
	size_t il;
	const char *id = rs_model_item_id(m, i, &il);
	rs_contribution *c = NULL;
	rs_error e;
	*rows = 0;
	if (rs_explain(m, us, (size_t)ul, id, il, &c, rows, &e) != RS_OK)
		return -1e30;
	double s = 0;
	for (int r = 0; r < *rows; r++) {
		s += c[r].contribution;
		CHECK(r == 0 || c[r - 1].contribution >= c[r].contribution);
		CHECK(c[r].contribution != 0);
		CHECK(m->seen.indptr[u] < m->seen.indptr[u + 1]);
	}
	rs_free(c);
	return s;
}

/* For every user and every item recommend() scores above 0 (or every
 * item, when `all`), the contributions add up to the score within tol. */
static void check_sums(const rs_model *m, const rs_opt *opts, int all, double tol)
{
	for (int u = 0; u < NU; u++) {
		char us[16];
		int ul = snprintf(us, sizeof us, "u%d", u), n = 0, rows;
		rs_reco out[NI];
		rs_error e;
		CHECK(rs_recommend(m, us, (size_t)ul, NI, opts, out, &n, &e) == RS_OK && n > 0);
		for (int r = 0; r < n; r++) {
			if (!all && !(out[r].score > 0))
				continue;
			double s = explained(m, u, out[r].item, &rows);
			if (fabs(s - out[r].score) > tol)
				fprintf(stderr, "  %s u%d item %d: explained %g, score %g\n",
				        rs_model_algorithm(m), u, out[r].item, s, out[r].score);
			CHECK(fabs(s - out[r].score) <= tol);
		}
	}
}

/* itemknn and ease (with "recency" too) and svd split their scores
 * exactly; als (defaults, and the parameters the blob keeps) within its
 * solver's tolerance. */
void test_explain_sums(void)
{
	/* built by hand: make_opts's buffers are reused by train_blocks */
	rs_opt keep = {.kind = RS_OPT_BOOL, .key = "exclude_seen", .boolean = 0};
	rs_opt all_root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &keep};
	const rs_opt *all = &all_root;
	struct { const char *algo; int nkv; const char *kv[6]; int all; double tol; } cases[] = {
		{"itemknn", 1, {"threads=1"}, 0, 1e-4},
		{"itemknn", 2, {"threads=1", "recency=2"}, 0, 1e-4},
		{"ease", 2, {"threads=1", "recency=3"}, 1, 1e-4},
		{"svd", 2, {"factors=3", "threads=1"}, 1, 1e-4},
		{"als", 4, {"factors=4", "iterations=40", "solver=cholesky", "threads=1"}, 1, 0.02},
		{"als", 6, {"factors=4", "iterations=40", "solver=cholesky", "threads=1",
		            "regularization=0.3", "alpha=2"}, 1, 0.02},
		{"als", 5, {"factors=4", "iterations=40", "solver=cholesky", "threads=1", "recency=2"},
		 1, 0.02},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		rs_model *m = NULL;
		rs_error e;
		CHECK(train_blocks(cases[c].algo, cases[c].nkv, cases[c].kv, NU, NI, &m, &e) == RS_OK);
		if (!m)
			continue;
		check_sums(m, all, cases[c].all, cases[c].tol);
		rs_model_destroy(&m);
	}
}

/* bpr: q_j . q_i / |history| without the bias; popularity: no rows. */
void test_explain_bpr_popularity(void)
{
	rs_model *m = NULL;
	rs_error e;
	const char *kv[] = {"factors=4", "threads=1"};
	int rows = 0;
	CHECK(train_blocks("bpr", 2, kv, NU, NI, &m, &e) == RS_OK);
	for (int u = 0; m && u < NU; u++) {
		int64_t b = m->seen.indptr[u], n = m->seen.indptr[u + 1] - b;
		double want = 0;
		for (int64_t p = b; p < b + n; p++)
			for (int d = 0; d < m->factors - 1; d++)
				want += m->item_f[(size_t)m->seen.indices[p] * m->factors + d] *
				        m->item_f[(size_t)3 * m->factors + d] / (double)n;
		CHECK(fabs(explained(m, u, 3, &rows) - want) < 1e-4);
	}
	rs_model_destroy(&m);
	CHECK(train_blocks("popularity", 0, NULL, NU, NI, &m, &e) == RS_OK);
	if (m)
		CHECK(explained(m, 0, 3, &rows) == 0 && rows == 0);
	rs_model_destroy(&m);
}

/* A hybrid of itemknn and ease: the blend of their contributions adds up
 * to the blended score of every unseen item. */
void test_explain_hybrid(void)
{
	opts_buf ob;
	rs_opt comp[2] = {{.kind = RS_OPT_NUMBER, .key = "itemknn", .number = 2},
	                  {.kind = RS_OPT_NUMBER, .key = "ease", .number = 1}};
	const char *kv[] = {"threads=1"};
	const rs_opt *o = make_opts(&ob, 1, kv);
	ob.kids[ob.root.n_children++] = (rs_opt){.kind = RS_OPT_OBJECT, .key = "components",
	                                         .n_children = 2, .children = comp};
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_blocks_opts("hybrid", o, NU, NI, &m, &e) == RS_OK);
	if (m)
		check_sums(m, NULL, 0, 1e-4);
	rs_model_destroy(&m);
}

/* Unknown user or item: RS_ENOTFOUND naming it; NULL arguments: RS_EINVAL. */
void test_explain_errors(void)
{
	rs_model *m = NULL;
	rs_error e;
	rs_contribution *c = NULL;
	int n = 5;
	CHECK(train_blocks("itemknn", 0, NULL, NU, NI, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(rs_explain(m, "nobody", 6, "i1", 2, &c, &n, &e) == RS_ENOTFOUND && n == 0 && !c);
	CHECK(!strcmp(e.msg, "user \"nobody\" is not in the model"));
	CHECK(rs_explain(m, "u1", 2, "nothing", 7, &c, &n, &e) == RS_ENOTFOUND);
	CHECK(!strcmp(e.msg, "item \"nothing\" is not in the model"));
	CHECK(rs_explain(m, NULL, 0, "i1", 2, &c, &n, &e) == RS_EINVAL);
	rs_model_destroy(&m);
}

/* The reason names the history item adding most to the row (brute force),
 * in the words of its kind; new items and popular rows name none. */
void test_reasons(void)
{
	rs_model *m = NULL;
	rs_error e;
	rs_reco out[NI];
	int n = 0;
	char buf[64];
	CHECK(train_blocks_writable("itemknn", 0, NULL, NU, NI, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(rs_recommend(m, "u7", 2, 3, NULL, out, &n, &e) == RS_OK && n == 3);
	rs_reasons_for_user(m, 7, out, n);
	for (int r = 0; r < n; r++) {
		int32_t best = -1;
		double top = 0;
		for (int64_t p = m->seen.indptr[7]; p < m->seen.indptr[8]; p++) {
			double c = rs_pair_contribution(m, m->seen.indices[p], 1, out[r].item, 1);
			if (c > top)
				top = c, best = m->seen.indices[p];
		}
		CHECK(out[r].because == best + 1 && out[r].why == (best >= 0 ? RS_WHY_HISTORY : RS_WHY_SOURCE));
	}
	size_t len;
	const char *id = rs_model_item_id(m, out[0].because - 1, &len);
	char want[64];
	/* no event column: the neutral wording (events.c) */
	snprintf(want, sizeof want, "because of %.*s", (int)len, id);
	CHECK(!strcmp(rs_reason_format(m, &out[0], buf, sizeof buf), want));
	CHECK(!strcmp(rs_reason_format(m, &out[0], buf, 8), "because"));
	int32_t sess[2] = {out[0].because - 1, 9};
	rs_reasons_fill(m, sess, NULL, 2, RS_WHY_SIMILAR, out, 1);
	CHECK(!strncmp(rs_reason_format(m, &out[0], buf, sizeof buf), "similar to i", 12));
	rs_reco pop = {out[0].item, 1, RS_SRC_POPULAR, 0, RS_WHY_SOURCE, 0};
	rs_reasons_fill(m, sess, NULL, 2, RS_WHY_SIMILAR, &pop, 1);
	CHECK(pop.because == 0 && !strcmp(rs_reason_format(m, &pop, buf, sizeof buf), "popular now"));
	/* an item without training interactions, with and without a category */
	float saved = m->pop[out[0].item];
	m->pop[out[0].item] = 0;
	CHECK(!strcmp(rs_reason_format(m, &out[0], buf, sizeof buf), "new in the catalogue"));
	m->item_cat = rs_malloc(NI * sizeof *m->item_cat);
	for (int i = 0; m->item_cat && i < NI; i++)
		m->item_cat[i] = -1;
	if (m->item_cat && rs_idmap_intern(&m->cats, "books", 5, &m->item_cat[out[0].item]) == RS_OK)
		CHECK(!strcmp(rs_reason_format(m, &out[0], buf, sizeof buf), "new in category books"));
	m->pop[out[0].item] = saved;
	rs_model_destroy(&m);
}

/* Every family through rs_recommend: each row names a history item whose
 * contribution is the largest (to rounding: the factor pick sums in float),
 * or none when no history item adds anything. */
void test_reasons_families(void)
{
	const char *algos[] = {"svd", "als", "bpr", "ease", "itemknn"};
	const char *kv[] = {"factors=4", "threads=1"};
	for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
		rs_model *m = NULL;
		rs_error e;
		int nkv = strcmp(algos[a], "ease") && strcmp(algos[a], "itemknn") ? 2 : 0;
		CHECK(train_blocks(algos[a], nkv, kv, NU, NI, &m, &e) == RS_OK);
		for (int u = 0; m && u < NU; u++) {
			char us[16];
			int ul = snprintf(us, sizeof us, "u%d", u), n = 0;
			rs_reco out[NI];
			CHECK(rs_recommend(m, us, (size_t)ul, NI, NULL, out, &n, &e) == RS_OK && n > 0);
			int64_t b = m->seen.indptr[u], nh = m->seen.indptr[u + 1] - b;
			for (int r = 0; r < n; r++) {
				double top = 0, got = -1;
				for (int64_t p = b; p < b + nh; p++) {
					double c = rs_pair_contribution(m, m->seen.indices[p], rs_history_w(m)[p],
					                                out[r].item, (int32_t)nh);
					top = c > top ? c : top;
					if (m->seen.indices[p] + 1 == out[r].because)
						got = c;
				}
				if (top > 1e-6)
					CHECK(out[r].why == RS_WHY_HISTORY && got >= top - 1e-4 * (1 + top));
				else
					CHECK(out[r].because == 0 || got >= top - 1e-4);
			}
		}
		rs_model_destroy(&m);
	}
}

/* A fresh user (unknown to the model, rows in h): for every family the
 * contributions add up to the score recommend()'s fresh path gives
 * (rs_recommend_fresh), recency and a hybrid included; bpr and popularity
 * as for known users (no bias; no rows); without rows: not found. */
void test_explain_fresh(void)
{
	rs_opt comp[2] = {{.kind = RS_OPT_NUMBER, .key = "itemknn", .number = 2},
	                  {.kind = RS_OPT_NUMBER, .key = "als", .number = 1}};
	struct { const char *algo; int nkv; const char *kv[5]; } cases[] = {
		{"itemknn", 1, {"threads=1"}},
		{"itemknn", 2, {"threads=1", "recency=2"}},
		{"ease", 2, {"threads=1", "recency=3"}},
		{"svd", 2, {"factors=3", "threads=1"}},
		{"als", 3, {"factors=4", "iterations=5", "threads=1"}},
		{"als", 4, {"factors=4", "iterations=5", "threads=1", "alpha=2"}},
		{"hybrid", 1, {"threads=1"}},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		rs_model *m = NULL;
		rs_history *h = NULL;
		rs_error e;
		opts_buf ob;
		const rs_opt *o = make_opts(&ob, cases[c].nkv, cases[c].kv);
		if (!strcmp(cases[c].algo, "hybrid"))
			ob.kids[ob.root.n_children++] = (rs_opt){.kind = RS_OPT_OBJECT, .key = "components",
			                                         .n_children = 2, .children = comp};
		CHECK(train_blocks_opts(cases[c].algo, o, NU, NI, &m, &e) == RS_OK);
		if (!m || rs_history_create(m, &h, &e) != RS_OK) {
			CHECK(0);
			rs_model_destroy(&m);
			continue;
		}
		/* three rows, one item twice (merged), with weights and times */
		CHECK(rs_history_add(h, "i1", 2, 1, 2.0, NULL, 0, 1, 100, &e) == RS_OK);
		CHECK(rs_history_add(h, "i3", 2, 1, 1.0, NULL, 0, 1, 300, &e) == RS_OK);
		CHECK(rs_history_add(h, "i1", 2, 1, 1.0, NULL, 0, 1, 200, &e) == RS_OK);
		CHECK(rs_history_add(h, "i2", 2, 1, 3.0, NULL, 0, 1, 50, &e) == RS_OK);
		rs_reco out[NI];
		int n = 0, checked = 0;
		CHECK(rs_recommend_fresh(m, "new", 3, h, NI, NULL, out, &n, &e) == RS_OK && n > 0);
		for (int r = 0; r < n; r++) {
			size_t il;
			const char *id = rs_model_item_id(m, out[r].item, &il);
			rs_contribution *rows = NULL;
			int nr = 0;
			double s = 0;
			CHECK(rs_explain_fresh(m, "new", 3, h, id, il, &rows, &nr, &e) == RS_OK);
			for (int q = 0; q < nr; q++)
				s += rows[q].contribution;
			rs_free(rows);
			if (!(out[r].score > 0) && strcmp(cases[c].algo, "ease") && strcmp(cases[c].algo, "svd") &&
			    strcmp(cases[c].algo, "als"))
				continue; /* itemknn's fallback for no evidence, as check_sums */
			if (fabs(s - out[r].score) > 1e-3 * fmax(1, fabs(out[r].score)))
				fprintf(stderr, "  fresh %s case %zu item %.*s: explained %g, score %g\n",
				        cases[c].algo, c, (int)il, id, s, out[r].score);
			CHECK(fabs(s - out[r].score) <= 1e-3 * fmax(1, fabs(out[r].score)));
			checked++;
		}
		CHECK(checked > 0);
		rs_contribution *rows = NULL;
		int nr = 0;
		CHECK(rs_explain_fresh(m, "new", 3, NULL, "i5", 2, &rows, &nr, &e) == RS_ENOTFOUND);
		CHECK(strstr(e.msg, "user \"new\" is not in the model") != NULL);
		CHECK(rs_explain_fresh(m, "new", 3, h, "nope", 4, &rows, &nr, &e) == RS_ENOTFOUND);
		rs_history_destroy(&h);
		rs_model_destroy(&m);
	}
}
