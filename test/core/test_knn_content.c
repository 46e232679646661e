/* test_knn_content.c - itemknn against a brute-force cosine, block
 * structure, tokenization, content with items only the side table knows,
 * round trips, option errors and cancellation. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TU = 9, TI = 7, SU = 40, SI = 90 };

/* Two small weighted matrices, weight 1 + (u + i) % 3 where a pattern says
 * so: "dense" (TU x TI; item 6 touched by user 8 only) and "sparse" (SU x SI,
 * about 5 items a user), so the neighbour computation runs both of its row
 * paths (scan every item, or track the items touched). */
static int tiny_has(int sparse, int u, int i)
{
	if (sparse)
		return (u * 11 + i * 7) % 31 == 0 || (u * 3 + i) % 45 == 0;
	if (i == 6)
		return u == 8;
	return (u * 7 + i * 3) % 5 < 2 || (u + i) % 4 == 0;
}

/* Train algo on a tiny matrix with the given options. */
static rs_model *train_tiny(const char *algo, int sparse, int n, const char *const *kv)
{
	opts_buf ob;
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	CHECK(rs_config_create(algo, make_opts(&ob, n, kv), 1, &cfg, &e) == RS_OK);
	CHECK(cfg && rs_builder_create(cfg, &b, &e) == RS_OK);
	for (int u = 0; b && u < (sparse ? SU : TU); u++)
		for (int i = 0; i < (sparse ? SI : TI); i++)
			if (tiny_has(sparse, u, i)) {
				char us[8], is[8];
				int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
				rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 1, 1 + (u + i) % 3, NULL, 0, 0, 0, &e);
			}
	if (b)
		CHECK(rs_train(cfg, b, NULL, &m, &sum, &e) == RS_OK);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return m;
}

/* The weighted matrix (nu x ni, dense) as itemknn.c's header defines it. */
static void weigh_dense(const rs_model *m, int weighting, double k1, double bb, double *x)
{
	int nu = (int)m->users.n, ni = (int)m->items.n;
	double *len = calloc((size_t)ni, sizeof *len), tot = 0, ne = 0;
	memset(x, 0, sizeof(double) * (size_t)nu * ni);
	for (int u = 0; u < nu; u++)
		for (int64_t k = m->seen.indptr[u]; k < m->seen.indptr[u + 1]; k++)
			len[m->seen.indices[k]] += m->seen.data[k];
	for (int i = 0; i < ni; i++)
		tot += len[i], ne += len[i] > 0;
	for (int u = 0; u < nu; u++) {
		double n = (double)(m->seen.indptr[u + 1] - m->seen.indptr[u]);
		for (int64_t k = m->seen.indptr[u]; k < m->seen.indptr[u + 1]; k++) {
			int i = m->seen.indices[k];
			double w = m->seen.data[k];
			if (weighting == 1)
				w = sqrt(w) * log(1 + ni / n);
			else if (weighting == 2)
				w = w * (k1 + 1) / (w + k1 * (1 - bb + bb * len[i] / (tot / ne))) *
				    log(1 + (ni - n + 0.5) / (n + 0.5));
			x[u * ni + i] = w;
		}
	}
	free(len);
}

/* Brute-force shrunk cosines s (ni x ni, 0 on the diagonal and without overlap). */
static void brute_sims(const rs_model *m, int weighting, double shrink, double *s)
{
	int nu = (int)m->users.n, ni = (int)m->items.n;
	double *x = malloc(sizeof(double) * (size_t)nu * ni), *norm = calloc((size_t)ni, sizeof *norm);
	weigh_dense(m, weighting, 1.2, 0.75, x);
	for (int i = 0; i < ni; i++)
		for (int u = 0; u < nu; u++)
			norm[i] += x[u * ni + i] * x[u * ni + i];
	for (int i = 0; i < ni; i++)
		for (int j = 0; j < ni; j++) {
			double d = 0;
			for (int u = 0; u < nu; u++)
				d += x[u * ni + i] * x[u * ni + j];
			s[i * ni + j] = i == j || d <= 0 ? 0 : d / (sqrt(norm[i]) * sqrt(norm[j]) + shrink);
		}
	free(x);
	free(norm);
}

/* m->sim (column i = neighbours of i) against brute-force top-n cosines. */
static void check_against_brute(const rs_model *m, int weighting, double shrink, int topn)
{
	int ni = (int)m->items.n;
	double *s = malloc(sizeof(double) * (size_t)ni * ni);
	int *kept = malloc(sizeof(int) * (size_t)ni);
	brute_sims(m, weighting, shrink, s);
	for (int i = 0; i < ni; i++) {
		const double *si = s + (size_t)i * ni;
		int nk = 0;
		memset(kept, 0, sizeof(int) * (size_t)ni);
		for (int r = 0; r < topn; r++) { /* best remaining: largest, then lowest index */
			int best = -1;
			for (int j = 0; j < ni; j++)
				if (!kept[j] && si[j] > 0 && (best < 0 || si[j] > si[best] + 1e-9))
					best = j;
			if (best < 0)
				break;
			kept[best] = 1;
			nk++;
		}
		int found = 0; /* column i of m->sim */
		for (int j = 0; j < ni; j++)
			for (int64_t k = m->sim.indptr[j]; k < m->sim.indptr[j + 1]; k++)
				if (m->sim.indices[k] == i) {
					found++;
					CHECK(kept[j]);
					CHECK(fabs(m->sim.data[k] - si[j]) < 1e-5);
				}
		CHECK(found == nk);
	}
	free(s);
	free(kept);
}

/* Scores: the user's items among i's neighbours, summed; the rest below. */
static void check_scores(const rs_model *m)
{
	size_t ni = m->items.n;
	float *sc = malloc(sizeof(float) * (ni + RS_BLK));
	for (int32_t u = 0; u < (int32_t)m->users.n; u++) {
		rs_knn_score(m, u, sc);
		for (size_t i = 0; i < ni; i++) {
			double want = 0;
			for (int64_t p = m->seen.indptr[u]; p < m->seen.indptr[u + 1]; p++) {
				int j = m->seen.indices[p];
				for (int64_t q = m->sim.indptr[j]; q < m->sim.indptr[j + 1]; q++)
					if (m->sim.indices[q] == (int32_t)i)
						want += m->seen.data[p] * m->sim.data[q];
			}
			if (want > 0)
				CHECK(fabs(sc[i] - want) < 1e-4);
			else
				CHECK(sc[i] < 0 && sc[i] == -1.0f / (1.0f + m->pop[i]));
		}
	}
	free(sc);
}

/* itemknn's similarities equal a slow dense computation, for every
 * weighting, with shrinkage and a top-N cut, on a dense and a sparse
 * matrix; serving sums them. */
void test_itemknn_brute_force(void)
{
	const char *w[] = {"none", "tfidf", "bm25"};
	for (int sparse = 0; sparse < 2; sparse++)
		for (int k = 0; k < 3; k++) {
			char wopt[32];
			snprintf(wopt, sizeof wopt, "weighting=%s", w[k]);
			const char *kv[] = {"neighbors=3", "shrink=1.5", wopt, "threads=1"};
			rs_model *m = train_tiny("itemknn", sparse, 4, kv);
			if (!m)
				continue;
			CHECK(m->sim.nrows == (int32_t)m->items.n && m->sim.ncols == (int32_t)m->items.n);
			CHECK(m->items.n == (sparse ? SI : TI));
			check_against_brute(m, k, 1.5, 3);
			check_scores(m);
			rs_model_destroy(&m);
		}
	for (int sparse = 0; sparse < 2; sparse++) {
		const char *kv0[] = {"neighbors=100", "shrink=0", "threads=2", "weighting=none"};
		rs_model *m = train_tiny("itemknn", sparse, 4, kv0);
		if (m)
			check_against_brute(m, 0, 0, 100);
		rs_model_destroy(&m);
	}
}

/* Each user's best item is the held-out item of the user's own group;
 * one and two threads give the same similarities. */
void test_itemknn_blocks(void)
{
	rs_model *m1 = NULL, *m2 = NULL;
	rs_error e;
	const char *kv1[] = {"threads=1", "neighbors=5"}, *kv2[] = {"threads=2", "neighbors=5"};
	CHECK(train_blocks("itemknn", 2, kv1, 40, 300, &m1, &e) == RS_OK);
	CHECK(train_blocks("itemknn", 2, kv2, 40, 300, &m2, &e) == RS_OK);
	if (!m1 || !m2) {
		rs_model_destroy(&m1);
		rs_model_destroy(&m2);
		return;
	}
	CHECK(rs_csr_nnz(&m1->sim) == rs_csr_nnz(&m2->sim) && rs_csr_nnz(&m1->sim) > 0);
	CHECK(memcmp(m1->sim.indptr, m2->sim.indptr, (size_t)(m1->sim.nrows + 1) * 8) == 0);
	CHECK(memcmp(m1->sim.indices, m2->sim.indices, (size_t)rs_csr_nnz(&m1->sim) * 4) == 0);
	CHECK(memcmp(m1->sim.data, m2->sim.data, (size_t)rs_csr_nnz(&m1->sim) * 4) == 0);
	for (int u = 0; u < 40; u++) {
		char us[16], want[16];
		int ul = snprintf(us, sizeof us, "u%d", u), n;
		int wl = snprintf(want, sizeof want, "i%d", (u < 20 ? 0 : 150) + u % 150);
		rs_reco out[3];
		CHECK(rs_recommend(m1, us, (size_t)ul, 3, NULL, out, &n, &e) == RS_OK && n == 3);
		size_t l;
		const char *id = rs_model_item_id(m1, out[0].item, &l);
		CHECK((int)l == wl && memcmp(id, want, l) == 0);
		CHECK(out[0].score > 0 && out[1].score < 0); /* the rest is the other group */
	}
	rs_model_destroy(&m1);
	rs_model_destroy(&m2);
}

/* Tokens of s joined by '|'. */
static void tokens(const char *s, char *out, size_t cap)
{
	size_t pos = 0, n, len = strlen(s), o = 0;
	char buf[8];
	out[0] = 0;
	while ((n = rs_token_next(s, len, &pos, buf, sizeof buf)) > 0 && o + n + 2 < cap) {
		if (o)
			out[o++] = '|';
		memcpy(out + o, buf, n);
		o += n;
		out[o] = 0;
	}
}

void test_tokenize(void)
{
	char t[128];
	tokens("Hello, World!", t, sizeof t);
	CHECK(strcmp(t, "hello|world") == 0);
	tokens("a b cd e", t, sizeof t); /* one-character tokens are dropped */
	CHECK(strcmp(t, "cd") == 0);
	tokens("3D-printer x2 R2D2", t, sizeof t);
	CHECK(strcmp(t, "3d|printer|x2|r2d2") == 0);
	tokens("Caf\xc3\xa9 na\xc3\xafve \xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", t, sizeof t);
	CHECK(strcmp(t, "caf\xc3\xa9|na\xc3\xafve|\xe6\x97\xa5\xe6\x9c\xac") == 0); /* lone "é" dropped */
	tokens("", t, sizeof t);
	CHECK(t[0] == 0);
	tokens("  ,;  ", t, sizeof t);
	CHECK(t[0] == 0);
	tokens("Supercalifragilistic ok", t, sizeof t); /* truncated to the buffer */
	CHECK(strcmp(t, "supercal|ok") == 0);
}

typedef struct shop_item { const char *id, *category, *text; double price; } shop_item;

static const shop_item SHOP[] = {
	{"i0", "Kitchen", "Espresso machine, stainless steel", 199},
	{"i1", "Kitchen", "Burr grinder for espresso beans", 89},
	{"i2", "Garden", "Green garden hose", 25},
	{"i3", "Garden", "Garden shovel with oak handle", 30},
	{"i4", "Kitchen", "Kettle", 40},
	{"new1", "Kitchen", "Espresso cups, stainless steel set", 35},
};

/* A builder with interactions and the shop's attributes (side table). */
static rs_status shop_train(const char *algo, int with_items, rs_model **m, char **sum,
                            rs_error *e)
{
	opts_buf ob;
	const char *kv[] = {"items=shop_items", "threads=1"};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_status st = rs_config_create(algo, make_opts(&ob, with_items ? 2 : 1, kv + (with_items ? 0 : 1)),
	                                1, &cfg, e);
	if (st == RS_OK)
		st = rs_builder_create(cfg, &b, e);
	static const char *rows[][2] = {{"u0", "i0"}, {"u0", "i1"}, {"u1", "i2"}, {"u1", "i3"},
	                                {"u2", "i0"}, {"u2", "i2"}, {"u3", "i4"}, {"u3", "i2"}};
	for (size_t r = 0; st == RS_OK && r < sizeof rows / sizeof rows[0]; r++)
		st = rs_builder_add(b, rows[r][0], 2, rows[r][1], 2, 0, 1, NULL, 0, 0, 0, e);
	for (size_t k = 0; st == RS_OK && k < sizeof SHOP / sizeof SHOP[0]; k++) {
		const shop_item *s = &SHOP[k];
		st = rs_builder_add_attribute(b, RS_SIDE_ITEMS, s->id, strlen(s->id), "category",
		                              s->category, strlen(s->category), 0, 0, e);
		if (st == RS_OK)
			st = rs_builder_add_attribute(b, RS_SIDE_ITEMS, s->id, strlen(s->id), "title", s->text,
			                              strlen(s->text), 0, 0, e);
		if (st == RS_OK)
			st = rs_builder_add_attribute(b, RS_SIDE_ITEMS, s->id, strlen(s->id), "price", NULL, 0,
			                              1, s->price, e);
	}
	if (st == RS_OK)
		st = rs_train(cfg, b, NULL, m, sum, e);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return st;
}

/* Id of a recommendation equals want. */
static int reco_is(const rs_model *m, const rs_reco *r, const char *want)
{
	size_t l;
	const char *id = rs_model_item_id(m, r->item, &l);
	return l == strlen(want) && memcmp(id, want, l) == 0;
}

/* An item nobody touched, known from the side table only, is recommended
 * to the user whose history shares its words; the summary counts it. */
void test_content_new_item(void)
{
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	CHECK(shop_train("content", 1, &m, &sum, &e) == RS_OK);
	if (!m)
		return;
	CHECK(rs_model_n_items(m) == 6 && m->seen.ncols == 6);
	int32_t nw = rs_model_find_item(m, "new1", 4);
	CHECK(nw >= 0 && m->pop[nw] == 0);
	CHECK(sum && strstr(sum, "\"items_in_side_table\": 6") && strstr(sum, "\"new_items\": 1"));
	CHECK(rs_idmap_find(&m->feats, "text:espresso", 13) >= 0);
	CHECK(rs_idmap_find(&m->feats, "category=kitchen", 16) >= 0); /* short, repeated */
	CHECK(rs_idmap_find(&m->feats, "text:kitchen", 12) < 0);
	CHECK(rs_idmap_find(&m->feats, "price=199", 9) >= 0);       /* few distinct numbers */
	CHECK(rs_idmap_find(&m->feats, "text:for", 8) >= 0);
	for (int32_t i = 0; i < m->item_feats.nrows; i++) { /* unit-length TF-IDF rows */
		double s = 0;
		for (int64_t k = m->item_feats.indptr[i]; k < m->item_feats.indptr[i + 1]; k++)
			s += (double)m->item_feats.data[k] * m->item_feats.data[k];
		CHECK(fabs(s - 1) < 1e-5);
	}
	rs_reco out[4];
	int n;
	CHECK(rs_recommend(m, "u0", 2, 4, NULL, out, &n, &e) == RS_OK && n == 4);
	CHECK(reco_is(m, &out[0], "new1"));      /* espresso, stainless, steel, kitchen */
	CHECK(rs_recommend(m, "u1", 2, 4, NULL, out, &n, &e) == RS_OK && n == 4);
	CHECK(!reco_is(m, &out[0], "new1"));     /* garden tools: the cups are no match */
	CHECK(rs_recommend(m, "nobody", 6, 2, NULL, out, &n, &e) == RS_OK && n == 2 &&
	      out[0].source == RS_SRC_COLDSTART);
	rs_free(sum);
	rs_model_destroy(&m);
}

/* Content without an items table, or with an empty one, is refused. */
void test_content_needs_items(void)
{
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	CHECK(shop_train("content", 0, &m, &sum, &e) == RS_EINVAL && m == NULL);
	CHECK(strstr(e.msg, "needs an items table") != NULL && strstr(e.msg, "\"items\"") != NULL);
	opts_buf ob;
	const char *kv[] = {"items=empty_table"};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	CHECK(rs_config_create("content", make_opts(&ob, 1, kv), 1, &cfg, &e) == RS_OK);
	CHECK(rs_builder_create(cfg, &b, &e) == RS_OK);
	rs_builder_add(b, "u", 1, "i", 1, 0, 1, NULL, 0, 0, 0, &e);
	CHECK(rs_train(cfg, b, NULL, &m, &sum, &e) == RS_EDATA && m == NULL);
	CHECK(strstr(e.msg, "items table") != NULL);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
}

/* Save and load give the same recommendations for every user. */
static void round_trip(rs_model *m, int n_users)
{
	unsigned char *blob = NULL;
	size_t len = 0;
	rs_model *m2 = NULL;
	rs_error e;
	CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK);
	CHECK(blob && rs_model_load(blob, len, &m2, &e) == RS_OK);
	if (m2) {
		CHECK(rs_model_n_items(m2) == rs_model_n_items(m) && m2->algo == m->algo);
		CHECK(rs_csr_nnz(&m2->sim) == rs_csr_nnz(&m->sim) && m2->feats.n == m->feats.n);
		for (int u = 0; u < n_users; u++) {
			char us[16];
			int ul = snprintf(us, sizeof us, "u%d", u), n1 = 0, n2 = -1;
			rs_reco r1[5], r2[5];
			rs_recommend(m, us, (size_t)ul, 5, NULL, r1, &n1, &e);
			rs_recommend(m2, us, (size_t)ul, 5, NULL, r2, &n2, &e);
			CHECK(n1 == n2 && memcmp(r1, r2, sizeof(rs_reco) * (size_t)n1) == 0);
		}
	}
	rs_free(blob);
	rs_model_destroy(&m2);
}

void test_knn_content_round_trip(void)
{
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	const char *kv[] = {"threads=1", "weighting=bm25"};
	CHECK(train_blocks("itemknn", 2, kv, 30, 20, &m, &e) == RS_OK);
	if (m)
		round_trip(m, 30);
	rs_model_destroy(&m);
	CHECK(shop_train("content", 1, &m, &sum, &e) == RS_OK);
	if (m)
		round_trip(m, 4);
	rs_free(sum);
	rs_model_destroy(&m);
}

/* Wrong values are refused with a message naming the key. */
void test_knn_options_rejected(void)
{
	static const struct { const char *algo, *kv, *key; } bad[] = {
		{"itemknn", "neighbors=0", "\"neighbors\""},
		{"itemknn", "neighbors=2.5", "\"neighbors\""},
		{"itemknn", "shrink=-1", "\"shrink\""},
		{"itemknn", "weighting=bm26", "\"weighting\""},
		{"itemknn", "bm25_b=2", "\"bm25_b\""},
		{"itemknn", "bm25_k1=-0.5", "\"bm25_k1\""},
		{"itemknn", "neighbours=10", "unknown option \"neighbours\""},
		{"content", "shrink=1", "unknown option \"shrink\""},
		{"content", "neighbors=true", "\"neighbors\""},
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		opts_buf ob;
		rs_config *c = NULL;
		rs_error e;
		const char *kv[] = {bad[k].kv};
		CHECK(rs_config_create(bad[k].algo, make_opts(&ob, 1, kv), 1, &c, &e) == RS_EINVAL);
		CHECK(c == NULL && strstr(e.msg, bad[k].key) != NULL);
	}
	opts_buf ob;
	rs_config *c = NULL;
	rs_error e;
	const char *ok[] = {"neighbors=50", "shrink=10", "weighting=tfidf", "bm25_k1=1.5", "bm25_b=0.5"};
	CHECK(rs_config_create("itemknn", make_opts(&ob, 5, ok), 1, &c, &e) == RS_OK);
	CHECK(c && c->knn_neighbors == 50 && c->knn_shrink == 10 && c->knn_weighting == RS_KNN_TFIDF);
	rs_config_destroy(&c);
}

static int cancel_on(void *ctx)
{
	int *calls = ctx;
	return ++*calls > 4;
}

/* A cancel request during the neighbour computation stops the training
 * with RS_ECANCELLED, leaving nothing allocated. */
void test_knn_cancel(void)
{
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_error e;
	rs_model *m = NULL;
	char *sum = NULL;
	int calls = 0;
	rs_callbacks cb = {.cancel = cancel_on, .ctx = &calls};
	const char *kv[] = {"neighbors=20"};
	opts_buf ob;
	CHECK(rs_config_create("itemknn", make_opts(&ob, 1, kv), 1, &c, &e) == RS_OK);
	CHECK(rs_builder_create(c, &b, &e) == RS_OK);
	for (int u = 0; u < 300; u++)
		for (int i = u % 5; i < 1000; i += 5 + u % 3) {
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "%d", u), il = snprintf(is, sizeof is, "%d", i);
			rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &e);
		}
	CHECK(rs_train(c, b, &cb, &m, &sum, &e) == RS_ECANCELLED && m == NULL && sum == NULL);
	CHECK(calls == 5); /* stopped inside the parallel loop, not before it */
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
}
