/*
 * itemknn.c - item-item collaborative filtering by cosine similarity.
 *
 * Sarwar, Karypis, Konstan, Riedl, "Item-based collaborative filtering
 * recommendation algorithms" (WWW 2001), with the shrunk cosine of Bell and
 * Koren (ICDM 2007):
 *     sim(i, j) = (x_i . x_j) / (|x_i| |x_j| + shrink)
 * where x_i is item i's column of the user x item matrix, optionally
 * re-weighted first. Users play the terms, items the documents:
 *     tfidf: x_ui = sqrt(w_ui) idf_u,           idf_u = log(1 + n_items / n_u)
 *     bm25:  x_ui = w_ui (k1 + 1) / (w_ui + k1 (1 - b + b len_i / avglen)) idf_u,
 *            idf_u = log(1 + (n_items - n_u + 0.5) / (n_u + 0.5))
 * (Robertson and Zaragoza 2009, with the always-positive idf), n_u = items of
 * user u, len_i = summed weight of item i.
 *
 * Each item i keeps its `neighbors` most similar items N(i), and
 *     score(u, i) = sum over j in N(i) of w_uj sim(i, j)
 * (Sarwar et al.'s prediction: pruning per target item). Pruning the other
 * way, i.e. summing sim(j, i) over i in N(j), lets popular items collect
 * votes from many lists: on the MovieLens 1M validation split it lost 15%
 * NDCG@10 and 60% of the coverage (bench/TUNING.md). m->sim stores the
 * pruned matrix by neighbour (column i = N(i); row j = the items that keep
 * j), so serving walks only the rows of the user's items.
 *
 * The products x_i . x_j are computed sparse, one item row at a time
 * (item x user times user x item), rows spread over the core's threads; each
 * thread has a dense accumulator and a top-N heap.
 */
#include "internal.h"
#include "heap.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define KNN_CHUNK 64

/* One chunk's rows of the result (rows [begin, begin + KNN_CHUNK)). */
typedef struct knn_block {
	int32_t *count;  /* neighbours per row */
	int32_t *idx;
	float *val;
} knn_block;

typedef struct knn_job {
	const rs_csr *rows, *cols;
	const float *norms;
	float shrink;
	int topn;
	int32_t n;           /* items */
	knn_block *blocks;   /* one per chunk */
	float *acc;          /* per thread: n floats, kept zero between rows */
	int32_t *mark;       /* per thread: n stamps */
	int32_t *touched;    /* per thread: n + 1 */
	int32_t *heap_i;     /* per thread: topn */
	float *heap_v;
	uint64_t *pack;      /* per thread: topn, for sorting a row by index */
	atomic_int oom;
} knn_job;

/* qsort order of packed pairs. */
static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

/* Sort n (index, value) pairs by index: packed as index << 32 | value bits
 * into `pack` (n entries), sorted, unpacked. */
static void sort_by_index(int32_t *ix, float *v, int n, uint64_t *pack)
{
	for (int a = 0; a < n; a++) {
		uint32_t bits;
		memcpy(&bits, &v[a], 4);
		pack[a] = (uint64_t)(uint32_t)ix[a] << 32 | bits;
	}
	qsort(pack, (size_t)n, sizeof *pack, cmp_u64);
	for (int a = 0; a < n; a++) {
		uint32_t bits = (uint32_t)pack[a];
		ix[a] = (int32_t)(pack[a] >> 32);
		memcpy(&v[a], &bits, 4);
	}
}

/* acc[t] += products of row i; returns the touched items in `touched`
 * (their count) when tracking, else -1 (the caller scans every item).
 * Tracking costs a mark test per product; a row whose products outnumber
 * the items is cheaper to scan whole afterwards. */
static int32_t accumulate(const knn_job *j, int32_t i, float *acc, int32_t *mark,
                          int32_t *touched)
{
	const rs_csr *r = j->rows, *c = j->cols;
	int64_t work = 0;
	for (int64_t k = r->indptr[i]; k < r->indptr[i + 1]; k++)
		work += c->indptr[r->indices[k] + 1] - c->indptr[r->indices[k]];
	int track = work < j->n;
	int32_t nt = 0, stamp = i + 1;
	for (int64_t k = r->indptr[i]; k < r->indptr[i + 1]; k++) {
		int32_t d = r->indices[k];
		float v = r->data[k];
		const int32_t *ix = c->indices + c->indptr[d];
		const float *x = c->data + c->indptr[d];
		int64_t len = c->indptr[d + 1] - c->indptr[d];
		if (!track) {
			for (int64_t p = 0; p < len; p++)
				acc[ix[p]] += v * x[p];
			continue;
		}
		for (int64_t p = 0; p < len; p++) {
			int32_t t = ix[p];
			if (mark[t] != stamp) {
				mark[t] = stamp;
				touched[nt++] = t;
			}
			acc[t] += v * x[p];
		}
	}
	return track ? nt : -1;
}

/* Similarities of item i with every item sharing a dimension; the best
 * topn go to the heap. Returns how many were kept. */
static int knn_row(knn_job *j, int32_t i, int tid)
{
	float *acc = j->acc + (size_t)tid * j->n;
	int32_t *mark = j->mark + (size_t)tid * j->n, *touched = j->touched + (size_t)tid * (j->n + 1);
	float *hv = j->heap_v + (size_t)tid * j->topn;
	int32_t *hi = j->heap_i + (size_t)tid * j->topn;
	int32_t nt = accumulate(j, i, acc, mark, touched);
	int32_t end = nt < 0 ? j->n : nt;
	int nh = 0;
	float ni = j->norms[i];
	for (int32_t q = 0; q < end; q++) {
		int32_t t = nt < 0 ? q : touched[q];
		float dot = acc[t];
		if (!(dot > 0)) /* untouched (scan), or no positive overlap */
			continue;
		acc[t] = 0;
		float den = ni * j->norms[t] + j->shrink;
		if (t == i || !(den > 0))
			continue;
		rs_heap_offer(hi, hv, &nh, j->topn, t, dot / den);
	}
	sort_by_index(hi, hv, nh, j->pack + (size_t)tid * j->topn);
	return nh;
}

/* Rows [begin, end): one chunk, written to its own block. */
static void knn_range(void *arg, int32_t begin, int32_t end, int tid)
{
	knn_job *j = arg;
	knn_block *bk = &j->blocks[begin / KNN_CHUNK];
	int32_t rows = end - begin;
	bk->count = rs_malloc(rs_mul((size_t)rows, sizeof *bk->count));
	bk->idx = rs_malloc(rs_mul(rs_mul((size_t)rows, (size_t)j->topn), sizeof *bk->idx));
	bk->val = rs_malloc(rs_mul(rs_mul((size_t)rows, (size_t)j->topn), sizeof *bk->val));
	if (!bk->count || !bk->idx || !bk->val) {
		atomic_store(&j->oom, 1);
		return;
	}
	size_t fill = 0;
	for (int32_t i = begin; i < end; i++) {
		int nh = knn_row(j, i, tid);
		const float *hv = j->heap_v + (size_t)tid * j->topn;
		const int32_t *hi = j->heap_i + (size_t)tid * j->topn;
		memcpy(bk->idx + fill, hi, (size_t)nh * sizeof *hi);
		memcpy(bk->val + fill, hv, (size_t)nh * sizeof *hv);
		bk->count[i - begin] = nh;
		fill += (size_t)nh;
	}
}

/* Gather the blocks into one CSR matrix. */
static rs_status gather(const knn_job *j, int32_t nblocks, rs_csr *sim)
{
	memset(sim, 0, sizeof *sim);
	sim->nrows = sim->ncols = j->n;
	sim->indptr = rs_calloc((size_t)j->n + 1, sizeof *sim->indptr);
	if (!sim->indptr)
		return RS_ENOMEM;
	for (int32_t i = 0; i < j->n; i++)
		sim->indptr[i + 1] = sim->indptr[i] + j->blocks[i / KNN_CHUNK].count[i % KNN_CHUNK];
	size_t nnz = (size_t)sim->indptr[j->n];
	sim->indices = rs_malloc(rs_mul(nnz ? nnz : 1, sizeof *sim->indices));
	sim->data = rs_malloc(rs_mul(nnz ? nnz : 1, sizeof *sim->data));
	if (!sim->indices || !sim->data) {
		rs_csr_free(sim);
		return RS_ENOMEM;
	}
	for (int32_t b = 0; b < nblocks; b++) {
		int32_t first = b * KNN_CHUNK;
		size_t n = (size_t)(sim->indptr[first + KNN_CHUNK < j->n ? first + KNN_CHUNK : j->n] -
		                    sim->indptr[first]);
		memcpy(sim->indices + sim->indptr[first], j->blocks[b].idx, n * sizeof *sim->indices);
		memcpy(sim->data + sim->indptr[first], j->blocks[b].val, n * sizeof *sim->data);
	}
	return RS_OK;
}

/* Top-N neighbours of every row item, in parallel; stored by neighbour. */
rs_status rs_knn_topn(rs_train_ctx *ctx, const rs_csr *rows, const rs_csr *cols,
                      const float *norms, double shrink, int topn, rs_csr *sim, rs_error *err)
{
	int threads = ctx->cfg->threads;
	int32_t n = rows->nrows, nblocks = (n + KNN_CHUNK - 1) / KNN_CHUNK;
	if (topn > n - 1)
		topn = n > 1 ? n - 1 : 1;
	knn_job j = {.rows = rows, .cols = cols, .norms = norms, .shrink = (float)shrink,
	             .topn = topn, .n = n};
	atomic_init(&j.oom, 0);
	size_t per = rs_mul((size_t)n, (size_t)threads);
	j.blocks = rs_calloc((size_t)nblocks + 1, sizeof *j.blocks);
	j.acc = rs_calloc(per, sizeof *j.acc);
	j.mark = rs_calloc(per, sizeof *j.mark);
	j.touched = rs_malloc(rs_mul(per + (size_t)threads, sizeof *j.touched));
	j.heap_i = rs_malloc(rs_mul(rs_mul((size_t)topn, (size_t)threads), sizeof *j.heap_i));
	j.heap_v = rs_malloc(rs_mul(rs_mul((size_t)topn, (size_t)threads), sizeof *j.heap_v));
	j.pack = rs_malloc(rs_mul(rs_mul((size_t)topn, (size_t)threads), sizeof *j.pack));
	rs_status st = RS_OK;
	if (!j.blocks || !j.acc || !j.mark || !j.touched || !j.heap_i || !j.heap_v || !j.pack)
		st = rs_fail(err, RS_ENOMEM, "out of memory computing item similarities (%d items)", n);
	if (st == RS_OK)
		st = rs_parallel_for(ctx, n, KNN_CHUNK, threads, knn_range, &j, err);
	if (st == RS_OK && atomic_load(&j.oom))
		st = rs_fail(err, RS_ENOMEM, "out of memory computing item similarities (%d items)", n);
	rs_csr rows_form = {0};
	if (st == RS_OK && gather(&j, nblocks, &rows_form) != RS_OK)
		st = rs_fail(err, RS_ENOMEM, "out of memory storing item similarities");
	if (st == RS_OK && rs_csr_transpose(&rows_form, sim) != RS_OK)
		st = rs_fail(err, RS_ENOMEM, "out of memory storing item similarities");
	rs_csr_free(&rows_form);
	for (int32_t b = 0; j.blocks && b < nblocks; b++) {
		free(j.blocks[b].count);
		free(j.blocks[b].idx);
		free(j.blocks[b].val);
	}
	free(j.blocks);
	free(j.acc);
	free(j.mark);
	free(j.touched);
	free(j.heap_i);
	free(j.heap_v);
	free(j.pack);
	return st;
}

/* Serving: walk the rows of the user's items (see internal.h). */
void rs_knn_score(const rs_model *m, int32_t u, float *scores)
{
	size_t ni = m->items.n;
	const rs_csr *s = &m->seen, *g = &m->sim;
	const float *hw = rs_history_w(m);
	memset(scores, 0, ni * sizeof *scores);
	for (int64_t p = s->indptr[u]; p < s->indptr[u + 1]; p++) {
		int32_t j = s->indices[p];
		float w = hw[p];
		for (int64_t q = g->indptr[j]; q < g->indptr[j + 1]; q++)
			scores[g->indices[q]] += w * g->data[q];
	}
	for (size_t i = 0; i < ni; i++) /* similarities are > 0: 0 means unreachable */
		if (!(scores[i] > 0))
			scores[i] = -1.0f / (1.0f + m->pop[i]);
}

/* The weighted copy of the user x item values (see the header comment). */
static float *weigh(const rs_config *cfg, const rs_csr *ui)
{
	int64_t nnz = rs_csr_nnz(ui);
	float *w = rs_malloc(rs_mul((size_t)(nnz ? nnz : 1), sizeof *w));
	double *len = rs_calloc((size_t)ui->ncols + 1, sizeof *len);
	if (!w || !len) {
		free(w);
		free(len);
		return NULL;
	}
	double total = 0, nonempty = 0, ni = ui->ncols;
	for (int64_t k = 0; k < nnz; k++)
		len[ui->indices[k]] += ui->data[k];
	for (int32_t i = 0; i < ui->ncols; i++) {
		total += len[i];
		nonempty += len[i] > 0;
	}
	double avg = nonempty > 0 ? total / nonempty : 1, k1 = cfg->bm25_k1, b = cfg->bm25_b;
	for (int32_t u = 0; u < ui->nrows; u++) {
		double nu = (double)(ui->indptr[u + 1] - ui->indptr[u]);
		double idf = cfg->knn_weighting == RS_KNN_BM25 ? log(1.0 + (ni - nu + 0.5) / (nu + 0.5))
		                                               : log(1.0 + ni / (nu > 0 ? nu : 1));
		for (int64_t k = ui->indptr[u]; k < ui->indptr[u + 1]; k++) {
			double x = ui->data[k];
			if (cfg->knn_weighting == RS_KNN_TFIDF)
				x = sqrt(x) * idf;
			else if (cfg->knn_weighting == RS_KNN_BM25)
				x = x * (k1 + 1) / (x + k1 * (1 - b + b * len[ui->indices[k]] / avg)) * idf;
			w[k] = (float)x;
		}
	}
	free(len);
	return w;
}

/* Fit: weigh, transpose to item x user, norms, top-N cosine neighbours. */
static rs_status itemknn_fit(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	rs_status rst = rs_recency_check(cfg, &m->seen, err);
	if (rst != RS_OK)
		return rst;
	m->recency = cfg->recency;
	rs_csr x = m->seen; /* shares the structure; data replaced when weighted */
	x.ts = NULL;
	float *w = NULL;
	if (cfg->knn_weighting != RS_KNN_NONE) {
		w = weigh(cfg, &m->seen);
		if (!w)
			return rs_fail(err, RS_ENOMEM, "out of memory weighting the interactions");
		x.data = w;
	}
	rs_csr xt;
	float *norms = rs_malloc(rs_mul((size_t)x.ncols + 1, sizeof *norms));
	if (!norms || rs_csr_transpose(&x, &xt) != RS_OK) {
		free(w);
		free(norms);
		return rs_fail(err, RS_ENOMEM, "out of memory transposing the interaction matrix");
	}
	for (int32_t i = 0; i < xt.nrows; i++) {
		double s = 0;
		for (int64_t k = xt.indptr[i]; k < xt.indptr[i + 1]; k++)
			s += (double)xt.data[k] * xt.data[k];
		norms[i] = (float)sqrt(s);
	}
	rs_status st = RS_OK;
	if (rs_cancelled(ctx))
		st = rs_fail(err, RS_ECANCELLED, "training cancelled");
	if (st == RS_OK)
		st = rs_knn_topn(ctx, &xt, &x, norms, cfg->knn_shrink, cfg->knn_neighbors, &m->sim, err);
	rs_csr_free(&xt);
	free(norms);
	free(w);
	return st;
}

static const char *const WEIGHTINGS[] = {"none", "tfidf", "bm25"};

/* Summary parameters. */
static void itemknn_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	rs_text_printf(t, "\"neighbors\": %d, \"shrink\": %g, \"weighting\": \"%s\"", c->knn_neighbors,
	               c->knn_shrink, WEIGHTINGS[c->knn_weighting]);
	if (c->knn_weighting == RS_KNN_BM25)
		rs_text_printf(t, ", \"bm25_k1\": %g, \"bm25_b\": %g", c->bm25_k1, c->bm25_b);
	rs_text_printf(t, ", \"recency\": %g", c->recency);
}

/* Defaults chosen on validation splits (bench/TUNING.md, "itemknn"). */
static const rs_opt_spec ITEMKNN_OPTIONS[] = {
	{"neighbors", RS_T_INT, offsetof(rs_config, knn_neighbors), 100, 1, 100000, NULL},
	{"shrink", RS_T_NUM, offsetof(rs_config, knn_shrink), 0, 0, 1e9, NULL},
	/* 0.1.0 called it "weighting", which config.c still maps here */
	{"item_weighting", RS_T_CHOICE, offsetof(rs_config, knn_weighting), RS_KNN_BM25, 0, 0,
	 RS_KNN_WEIGHTING_CHOICES},
	{"bm25_k1", RS_T_NUM, offsetof(rs_config, bm25_k1), 1.2, 0, 1e6, NULL},
	{"bm25_b", RS_T_NUM, offsetof(rs_config, bm25_b), 0.75, 0, 1, NULL},
	{"recency", RS_T_NUM, offsetof(rs_config, recency), 0, 0, 1e9, NULL},
};

const rs_algo_def rs_def_itemknn = {
	.id = RS_ALGO_ITEMKNN,
	.name = "itemknn",
	.fit = itemknn_fit,
	.score = rs_knn_score,
	.params = itemknn_params,
	.options = ITEMKNN_OPTIONS,
	.n_options = sizeof ITEMKNN_OPTIONS / sizeof ITEMKNN_OPTIONS[0],
	.reason = "similar to items you chose",
	.similar_reason = "chosen by the same people",
	.split = RS_SPLIT_SIM,
};
