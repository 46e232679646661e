/* test_similar.c - rs_similar_items: factor cosine against a brute-force
 * computation, itemknn neighbours against brute-force cosines, EASE rows,
 * popularity and hybrid blends, bad arguments and a save/load round trip. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NU = 12, NI = 10 };

/* Brute-force cosine of item vectors (bias column of bpr / warp left out). */
static double brute_cos(const rs_model *m, int32_t a, int32_t b)
{
	int d = m->factors - (m->algo == RS_ALGO_BPR || m->algo == RS_ALGO_WARP);
	double ab = 0, aa = 0, bb = 0;
	for (int t = 0; t < d; t++) {
		double x = m->item_f[(size_t)a * m->factors + t], y = m->item_f[(size_t)b * m->factors + t];
		ab += x * y, aa += x * x, bb += y * y;
	}
	return ab / sqrt(aa * bb);
}

/* Factor models: the rows are every positive cosine, best first, exact. */
void test_similar_factor_cosine(void)
{
	const char *algos[] = {"als", "svd", "bpr", "warp"};
	for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
		rs_model *m = NULL;
		rs_error e;
		const char *kv[] = {"factors=4", "threads=1"};
		CHECK(train_blocks(algos[a], 2, kv, NU, NI, &m, &e) == RS_OK);
		if (!m)
			continue;
		for (int32_t i = 0; i < NI; i++) {
			rs_reco out[NI];
			int n = 0, sure = 0, maybe = 0; /* cosines clearly above 0, or near it */
			size_t len;
			const char *id = rs_model_item_id(m, i, &len);
			CHECK(rs_similar_items(m, id, len, NI, NULL, out, &n, &e) == RS_OK);
			for (int32_t j = 0; j < NI; j++) {
				sure += j != i && brute_cos(m, i, j) > 1e-4;
				maybe += j != i && brute_cos(m, i, j) > -1e-4;
			}
			CHECK(n >= sure && n <= maybe);
			for (int r = 0; r < n; r++) {
				CHECK(out[r].item != i && out[r].source == RS_SRC_MODEL);
				CHECK(fabs(out[r].score - brute_cos(m, i, out[r].item)) < 1e-4);
				CHECK(r == 0 || out[r - 1].score >= out[r].score);
			}
		}
		CHECK(!strcmp(rs_similar_reason(m, RS_SRC_MODEL), "close in taste space"));
		rs_model_destroy(&m);
	}
}

/* Brute-force cosine of the raw interaction columns a and b. */
static double column_cos(const rs_model *m, int32_t a, int32_t b)
{
	double ab = 0, aa = 0, bb = 0;
	for (int32_t u = 0; u < m->seen.nrows; u++) {
		double x = 0, y = 0;
		for (int64_t p = m->seen.indptr[u]; p < m->seen.indptr[u + 1]; p++) {
			if (m->seen.indices[p] == a) x = m->seen.data[p];
			if (m->seen.indices[p] == b) y = m->seen.data[p];
		}
		ab += x * y, aa += x * x, bb += y * y;
	}
	return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

/* itemknn: an item's rows are its own `neighbors` best cosines. */
void test_similar_itemknn(void)
{
	rs_model *m = NULL;
	rs_error e;
	const char *kv[] = {"neighbors=3", "weighting=none", "threads=1"};
	CHECK(train_blocks("itemknn", 3, kv, NU, NI, &m, &e) == RS_OK);
	if (!m)
		return;
	for (int32_t i = 0; i < NI; i++) {
		rs_reco out[NI];
		int n = 0;
		size_t len;
		const char *id = rs_model_item_id(m, i, &len);
		CHECK(rs_similar_items(m, id, len, NI, NULL, out, &n, &e) == RS_OK);
		CHECK(n == 3);
		for (int r = 0; r < n; r++) {
			double c = column_cos(m, i, out[r].item);
			CHECK(out[r].item != i && fabs(out[r].score - c) < 1e-5);
			for (int32_t j = 0; j < NI; j++) /* nothing left out beats the last kept */
				if (j != i && column_cos(m, i, j) > out[n - 1].score + 1e-5) {
					int kept = 0;
					for (int q = 0; q < n; q++)
						kept |= out[q].item == j;
					CHECK(kept);
				}
		}
	}
	rs_reco one[1];
	int n = 0;
	CHECK(rs_similar_items(m, "i0", 2, 1, NULL, one, &n, &e) == RS_OK && n == 1);
	CHECK(!strcmp(rs_similar_reason(m, one[0].source), "chosen by the same people"));
	rs_model_destroy(&m);
}

/* ease: the positive entries of row i of B, in order. */
void test_similar_ease(void)
{
	rs_model *m = NULL;
	rs_error e;
	const char *kv[] = {"regularization=1", "threads=1"};
	CHECK(train_blocks("ease", 2, kv, NU, NI, &m, &e) == RS_OK);
	if (!m)
		return;
	for (int32_t i = 0; i < NI; i++) {
		rs_reco out[NI];
		int n = 0, want = 0;
		size_t len;
		const char *id = rs_model_item_id(m, i, &len);
		const float *row = m->dense + (size_t)i * NI;
		CHECK(rs_similar_items(m, id, len, NI, NULL, out, &n, &e) == RS_OK);
		for (int32_t j = 0; j < NI; j++)
			want += j != i && row[j] > 0;
		CHECK(n == want && n > 0);
		for (int r = 0; r < n; r++)
			CHECK(out[r].score == row[out[r].item] && (r == 0 || out[r - 1].score >= out[r].score));
	}
	rs_model_destroy(&m);
}

/* popularity: every other item in popularity order; hybrid: blended
 * scores in (0, 1], each row's reason from a component. */
void test_similar_popularity_hybrid(void)
{
	rs_model *m = NULL;
	rs_error e;
	rs_reco out[NI];
	int n = 0;
	CHECK(train_blocks("popularity", 0, NULL, NU, NI, &m, &e) == RS_OK);
	if (m) {
		CHECK(rs_similar_items(m, "i3", 2, NI, NULL, out, &n, &e) == RS_OK && n == NI - 1);
		for (int r = 0, q = 0; r < n; r++, q++) {
			if (m->pop_order[q] == rs_model_find_item(m, "i3", 2))
				q++;
			CHECK(out[r].item == m->pop_order[q] && out[r].source == RS_SRC_POPULAR);
		}
		CHECK(!strcmp(rs_similar_reason(m, RS_SRC_POPULAR), "popular now"));
		rs_model_destroy(&m);
	}
	opts_buf ob;
	rs_opt comp[2] = {{.kind = RS_OPT_NUMBER, .key = "als", .number = 2},
	                  {.kind = RS_OPT_NUMBER, .key = "itemknn", .number = 1}};
	const char *kv[] = {"threads=1"};
	const rs_opt *o = make_opts(&ob, 1, kv);
	ob.kids[ob.root.n_children] = (rs_opt){.kind = RS_OPT_OBJECT, .key = "components",
	                                       .n_children = 2, .children = comp};
	ob.root.n_children++;
	rs_config *cfg = NULL;
	CHECK(rs_config_create("hybrid", o, 1, &cfg, &e) == RS_OK);
	rs_builder *b = NULL;
	CHECK(cfg && rs_builder_create(cfg, &b, &e) == RS_OK);
	for (int u = 0; b && u < NU; u++)
		for (int i = 0; i < NI; i++)
			if ((u < NU / 2) == (i < NI / 2) && i % (NI / 2) != u % (NI / 2)) {
				char us[16], is[16];
				snprintf(us, sizeof us, "u%d", u);
				snprintf(is, sizeof is, "i%d", i);
				rs_builder_add(b, us, strlen(us), is, strlen(is), 0, 1, NULL, 0, 0, 0, &e);
			}
	char *sum = NULL;
	if (b)
		CHECK(rs_train(cfg, b, NULL, &m, &sum, &e) == RS_OK);
	if (m) {
		CHECK(rs_similar_items(m, "i1", 2, 3, NULL, out, &n, &e) == RS_OK && n == 3);
		for (int r = 0; r < n; r++) {
			CHECK(out[r].score > 0 && out[r].score <= 1.0001f);
			CHECK(out[r].source == RS_SRC_PART || out[r].source == RS_SRC_PART + 1);
			CHECK(out[r].item < NI / 2); /* i1's own taste group */
		}
		CHECK(!strcmp(rs_similar_reason(m, (rs_source)(RS_SRC_PART + 1)),
		              "chosen by the same people"));
	}
	rs_free(sum);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
}

/* Unknown item, bad k, bad options; the answer survives save and load. */
void test_similar_errors_round_trip(void)
{
	rs_model *m = NULL, *back = NULL;
	rs_error e;
	rs_reco out[NI], again[NI];
	int n = 0, n2 = 0;
	const char *kv[] = {"factors=4", "threads=1"};
	CHECK(train_blocks("als", 2, kv, NU, NI, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(rs_similar_items(m, "nope", 4, 3, NULL, out, &n, &e) == RS_ENOTFOUND && n == 0);
	CHECK(!strcmp(e.msg, "item \"nope\" is not in the model"));
	CHECK(rs_similar_items(m, "i1", 2, 0, NULL, out, &n, &e) == RS_EINVAL);
	CHECK(strstr(e.msg, "k must be between 1 and") != NULL);
	CHECK(rs_similar_items(m, "i1", 2, RS_MAX_K + 1, NULL, out, &n, &e) == RS_EINVAL);
	opts_buf ob;
	const char *bad[] = {"exclude_seen=true"};
	CHECK(rs_similar_items(m, "i1", 2, 3, make_opts(&ob, 1, bad), out, &n, &e) == RS_EINVAL);
	CHECK(strstr(e.msg, "unknown option \"exclude_seen\" for similar_items (known options: price_min, ") == e.msg);
	rs_opt num = {.kind = RS_OPT_NUMBER, .number = 1};
	CHECK(rs_similar_items(m, "i1", 2, 3, &num, out, &n, &e) == RS_EINVAL);
	CHECK(rs_similar_items(m, "i1", 2, 3, NULL, out, &n, &e) == RS_OK && n == 3);
	unsigned char *blob = NULL;
	size_t len = 0;
	CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK);
	CHECK(blob && rs_model_load(blob, len, &back, &e) == RS_OK);
	if (back) {
		CHECK(rs_similar_items(back, "i1", 2, 3, NULL, again, &n2, &e) == RS_OK && n2 == n);
		for (int r = 0; r < n && r < n2; r++)
			CHECK(again[r].item == out[r].item && again[r].score == out[r].score);
	}
	rs_free(blob);
	rs_model_destroy(&back);
	rs_model_destroy(&m);
}

/* Options (issue 13 A7): exclude_items leaves items out and the next ones
 * fill k; the filters a model cannot serve and the user options are
 * errors naming them. */
void test_similar_options(void)
{
	rs_model *m = NULL;
	rs_error e;
	rs_reco plain[NI], out[NI];
	int n = 0, np = 0;
	const char *kv[] = {"factors=4", "threads=1"};
	CHECK(train_blocks("als", 2, kv, NU, NI, &m, &e) == RS_OK);
	if (!m)
		return;
	CHECK(rs_similar_items(m, "i1", 2, 4, NULL, plain, &np, &e) == RS_OK && np == 4);
	size_t l0, l1;
	const char *a = rs_model_item_id(m, plain[0].item, &l0), *b = rs_model_item_id(m, plain[1].item, &l1);
	char sa[16], sb[16];
	snprintf(sa, sizeof sa, "%.*s", (int)l0, a);
	snprintf(sb, sizeof sb, "%.*s", (int)l1, b);
	rs_opt ids[2] = {{.kind = RS_OPT_STRING, .string = sa}, {.kind = RS_OPT_STRING, .string = sb}};
	rs_opt ex = {.kind = RS_OPT_ARRAY, .key = "exclude_items", .n_children = 2, .children = ids};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &ex};
	CHECK(rs_similar_items(m, "i1", 2, 2, &root, out, &n, &e) == RS_OK && n == 2);
	CHECK(n == 2 && out[0].item == plain[2].item && out[1].item == plain[3].item &&
	      out[0].score == plain[2].score);
	rs_opt cats[1] = {{.kind = RS_OPT_STRING, .string = "c1"}};
	rs_opt keep = {.kind = RS_OPT_ARRAY, .key = "categories", .n_children = 1, .children = cats};
	root.children = &keep;
	CHECK(rs_similar_items(m, "i1", 2, 2, &root, out, &n, &e) == RS_EINVAL &&
	      strstr(e.msg, "needs item categories"));
	rs_opt seen = {.kind = RS_OPT_BOOL, .key = "exclude_seen", .boolean = 0};
	root.children = &seen;
	CHECK(rs_similar_items(m, "i1", 2, 2, &root, out, &n, &e) == RS_EINVAL &&
	      strstr(e.msg, "unknown option \"exclude_seen\" for similar_items"));
	rs_model_destroy(&m);
}
