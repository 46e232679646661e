/*
 * ivf.c - the approximate index over item vectors: an inverted file (IVF).
 *
 * Items are grouped into lists by spherical k-means on their directions
 * (an item joins the list whose unit centroid c_l has the largest y . c_l,
 * which for a fixed item is its largest cosine). A query ranks the lists by
 * u . c_l and scans the best `probes` of them with the int8 kernel
 * (score.c) over a copy of the codes laid out list by list; the best
 * candidates are rescored exactly. Why IVF and not a graph (HNSW): the
 * lists reuse the int8 codes and kernel the exact scan already has (one
 * extra copy, 1 byte per item and factor, plus 4 bytes of id), the build is
 * a few BLAS passes at training, and continuing a search under filters is
 * simply scanning the next list in order, with no graph walk that filters
 * can strand. Stored (model_io.c): centroids, list offsets, item ids; the
 * codes are derived at load (rs_ivf_prepare).
 */
#include "internal.h"
#include "heap.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AUTO_ITEMS 100000  /* "index": "auto" builds it from this many items */
#define SAMPLE_PER_LIST 64 /* k-means trains on this many items per list */
#define KMEANS_ITERS 8
#define ROWS 1024          /* items per GEMM block */

int32_t rs_ivf_default_lists(int64_t n)
{
	int64_t l = (int64_t)sqrt((double)n);
	return (int32_t)(l < 1 ? 1 : l > 65536 ? 65536 : l);
}

int rs_ivf_default_probes(const rs_model *m)
{
	int p = m->ivf_nlist / 32;
	return p < 8 ? 8 : p;
}

/* Best list of each of rows[0..n) (NULL: items r0..r0+n) against cent. */
static void assign(const float *y, int32_t f, const int32_t *rows, int32_t r0, int32_t n,
                   const float *cent, int32_t nl, float *tmp, float *sc, int32_t *best)
{
	for (int32_t b = 0; b < n; b += ROWS) {
		int32_t nb = n - b < ROWS ? n - b : ROWS;
		const float *src = y + (size_t)(r0 + b) * f;
		if (rows) {
			for (int32_t r = 0; r < nb; r++)
				memcpy(tmp + (size_t)r * f, y + (size_t)rows[b + r] * f, (size_t)f * 4);
			src = tmp;
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, nl, f, 1.0f, src, f, cent, f,
		            0.0f, sc, nl);
		for (int32_t r = 0; r < nb; r++) {
			const float *s = sc + (size_t)r * nl;
			int32_t arg = 0;
			for (int32_t l = 1; l < nl; l++)
				arg = s[l] > s[arg] ? l : arg;
			best[b + r] = arg;
		}
	}
}

/* Centroids: the normalised sum of their members' directions; an empty
 * list takes a random sample item's direction. */
static void update(const float *y, int32_t f, const int32_t *rows, int32_t n, const int32_t *best,
                   float *cent, int32_t nl, int32_t *count, uint64_t *seed)
{
	memset(cent, 0, sizeof *cent * (size_t)nl * f);
	memset(count, 0, sizeof *count * (size_t)nl);
	for (int32_t r = 0; r < n; r++) {
		const float *v = y + (size_t)rows[r] * f;
		double nn = 0;
		for (int32_t d = 0; d < f; d++)
			nn += (double)v[d] * v[d];
		float inv = nn > 0 ? (float)(1 / sqrt(nn)) : 0;
		float *c = cent + (size_t)best[r] * f;
		for (int32_t d = 0; d < f; d++)
			c[d] += v[d] * inv;
		count[best[r]]++;
	}
	for (int32_t l = 0; l < nl; l++) {
		float *c = cent + (size_t)l * f;
		if (!count[l])
			memcpy(c, y + (size_t)rows[(int32_t)(rs_rand_unit(seed) * n)] * f, (size_t)f * 4);
		double nn = 0;
		for (int32_t d = 0; d < f; d++)
			nn += (double)c[d] * c[d];
		for (int32_t d = 0; nn > 0 && d < f; d++)
			c[d] = (float)(c[d] / sqrt(nn));
	}
}

/* Lists of all items from their best centroid: counting sort by list. */
static rs_status make_lists(rs_model *m, const int32_t *best, rs_error *err)
{
	int32_t n = (int32_t)m->items.n, nl = m->ivf_nlist;
	m->ivf_off = rs_calloc((size_t)nl + 1, sizeof *m->ivf_off);
	m->ivf_items = rs_malloc(rs_mul((size_t)n + 1, sizeof *m->ivf_items));
	if (!m->ivf_off || !m->ivf_items)
		return rs_fail(err, RS_ENOMEM, "out of memory building the index");
	for (int32_t i = 0; i < n; i++)
		m->ivf_off[best[i] + 1]++;
	for (int32_t l = 0; l < nl; l++)
		m->ivf_off[l + 1] += m->ivf_off[l];
	uint32_t *fill = rs_malloc(rs_mul((size_t)nl + 1, sizeof *fill));
	if (!fill)
		return rs_fail(err, RS_ENOMEM, "out of memory building the index");
	memcpy(fill, m->ivf_off, sizeof *fill * (size_t)nl);
	for (int32_t i = 0; i < n; i++)
		m->ivf_items[fill[best[i]]++] = i;
	free(fill);
	return RS_OK;
}

rs_status rs_ivf_build(rs_train_ctx *ctx, rs_model *m, int32_t nlist, uint64_t seed, rs_error *err)
{
	int32_t n = (int32_t)m->items.n, f = m->factors;
	rs_ivf_free(m);
	if (n == 0 || f == 0)
		return RS_OK;
	int32_t nl = nlist > 0 ? nlist : rs_ivf_default_lists(n);
	nl = nl > n ? n : nl;
	int64_t want = (int64_t)nl * SAMPLE_PER_LIST;
	int32_t ns = want < n ? (int32_t)want : n;
	int32_t *rows = rs_malloc(rs_mul((size_t)n, sizeof *rows));
	int32_t *best = rs_malloc(rs_mul((size_t)n, sizeof *best));
	int32_t *count = rs_malloc(rs_mul((size_t)nl, sizeof *count));
	float *cent = rs_malloc(rs_mul(rs_mul((size_t)nl, (size_t)f), sizeof *cent));
	float *tmp = rs_malloc(rs_mul((size_t)ROWS * f, sizeof *tmp));
	float *sc = rs_malloc(rs_mul((size_t)ROWS * nl, sizeof *sc));
	rs_status st = RS_OK;
	if (!rows || !best || !count || !cent || !tmp || !sc)
		st = rs_fail(err, RS_ENOMEM, "out of memory building the index");
	for (int32_t i = 0; st == RS_OK && i < n; i++)
		rows[i] = i;
	for (int32_t i = 0; st == RS_OK && i < ns; i++) { /* the sample: a partial shuffle */
		int32_t j = i + (int32_t)(rs_rand_unit(&seed) * (n - i));
		int32_t t = rows[i];
		rows[i] = rows[j];
		rows[j] = t;
	}
	for (int32_t l = 0; st == RS_OK && l < nl; l++) /* start: nl distinct sample items */
		best[l] = l;
	if (st == RS_OK)
		update(m->item_f, f, rows, nl, best, cent, nl, count, &seed);
	for (int it = 0; st == RS_OK && it < KMEANS_ITERS; it++) {
		if (rs_cancelled(ctx))
			st = rs_fail(err, RS_ECANCELLED, "training cancelled");
		else {
			assign(m->item_f, f, rows, 0, ns, cent, nl, tmp, sc, best);
			update(m->item_f, f, rows, ns, best, cent, nl, count, &seed);
		}
	}
	for (int32_t b = 0; st == RS_OK && b < n; b += 16 * ROWS) {
		int32_t nb = n - b < 16 * ROWS ? n - b : 16 * ROWS;
		if (rs_cancelled(ctx))
			st = rs_fail(err, RS_ECANCELLED, "training cancelled");
		else
			assign(m->item_f, f, NULL, b, nb, cent, nl, tmp, sc, best + b);
	}
	if (st == RS_OK) {
		m->ivf_nlist = nl;
		m->ivf_cent = cent;
		cent = NULL;
		st = make_lists(m, best, err);
	}
	free(rows);
	free(best);
	free(count);
	free(cent);
	free(tmp);
	free(sc);
	if (st != RS_OK)
		rs_ivf_free(m);
	return st;
}

rs_status rs_ivf_train(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	if (cfg->index_kind == RS_INDEX_NONE || m->factors == 0 || m->n_parts > 0)
		return RS_OK;
	if (cfg->index_kind == RS_INDEX_AUTO && m->items.n < AUTO_ITEMS)
		return RS_OK;
	return rs_ivf_build(ctx, m, cfg->index_lists, cfg->seed ^ 0x1f2e3d4c5b6a7988ull, err);
}

/* What rs_ivf_prepare derives. */
static void free_derived(rs_model *m)
{
	free(m->ivf_q);
	free(m->ivf_boff);
	free(m->ivf_norm);
	m->ivf_q = NULL;
	m->ivf_boff = NULL;
	m->ivf_norm = NULL;
	m->ivf_maxblocks = 0;
}

void rs_ivf_free(rs_model *m)
{
	free_derived(m);
	free(m->ivf_cent);
	free(m->ivf_off);
	free(m->ivf_items);
	m->ivf_cent = NULL;
	m->ivf_off = NULL;
	m->ivf_items = NULL;
	m->ivf_nlist = 0;
}

/* The codes in list order, each list padded to whole blocks, and each
 * list's longest and shortest member. */
rs_status rs_ivf_prepare(rs_model *m, rs_error *err)
{
	free_derived(m);
	if (m->ivf_nlist == 0)
		return RS_OK;
	int32_t nl = m->ivf_nlist, f = m->factors;
	m->ivf_boff = rs_malloc(rs_mul((size_t)nl + 1, sizeof *m->ivf_boff));
	m->ivf_norm = rs_malloc(rs_mul((size_t)nl * 2, sizeof *m->ivf_norm));
	if (!m->ivf_boff || !m->ivf_norm)
		return rs_fail(err, RS_ENOMEM, "out of memory preparing the index");
	for (int32_t l = 0; l < nl; l++) { /* longest and shortest member */
		float hi = 0, lo = INFINITY;
		for (uint32_t r = m->ivf_off[l]; r < m->ivf_off[l + 1]; r++) {
			const float *y = m->item_f + (size_t)m->ivf_items[r] * f;
			double nn = 0;
			for (int32_t d = 0; d < f; d++)
				nn += (double)y[d] * y[d];
			hi = fmaxf(hi, (float)sqrt(nn));
			lo = fminf(lo, (float)sqrt(nn));
		}
		m->ivf_norm[2 * l] = hi;
		m->ivf_norm[2 * l + 1] = isfinite(lo) ? lo : 0;
	}
	uint64_t nb = 0;
	m->ivf_maxblocks = 0;
	for (int32_t l = 0; l < nl; l++) {
		m->ivf_boff[l] = nb;
		uint64_t b = (m->ivf_off[l + 1] - m->ivf_off[l] + RS_BLK - 1) / RS_BLK;
		nb += b;
		m->ivf_maxblocks = b > m->ivf_maxblocks ? b : m->ivf_maxblocks;
	}
	m->ivf_boff[nl] = nb;
	size_t bs = rs_qblock_bytes(m);
	m->ivf_q = rs_malloc(rs_mul((size_t)nb + 1, bs));
	if (!m->ivf_q)
		return rs_fail(err, RS_ENOMEM, "out of memory preparing the index");
	for (int32_t l = 0; l < nl; l++)
		rs_quantise_rows(m, m->ivf_items + m->ivf_off[l],
		                 (int32_t)(m->ivf_off[l + 1] - m->ivf_off[l]), m->ivf_q + m->ivf_boff[l] * bs);
	return RS_OK;
}

/* Is item i left out: blocked by a filter, or in the sorted history? */
static int excluded(const rs_ivf_query *q, int32_t i)
{
	if (q->blocked && q->blocked[i])
		return 1;
	int32_t lo = 0, hi = q->n_hist;
	while (lo < hi) {
		int32_t mid = lo + (hi - lo) / 2;
		if (q->hist[mid] < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < q->n_hist && q->hist[lo] == i;
}

/*
 * The best `want` eligible items of the probed lists by approximate score,
 * rescored exactly, best first (ties to the lower item). Lists are probed
 * best first: at least `probes` of them, then on until `want` items passed.
 * Returns the rows written, -1 when out of memory, -2 when every list was
 * probed (the caller then scores exactly: nothing is gained).
 */
int rs_ivf_search(const rs_model *m, const float *u, const rs_ivf_query *q, int want,
                  rs_reco *out)
{
	int32_t nl = m->ivf_nlist, f = m->factors;
	size_t bs = rs_qblock_bytes(m);
	float *cs = rs_malloc(rs_mul((size_t)nl, sizeof *cs));
	size_t room = (size_t)(nl > want ? nl : want); /* lists, then the exact sort */
	float *ov = rs_malloc(rs_mul(room, sizeof *ov));
	int32_t *ord = rs_malloc(rs_mul(room, sizeof *ord));
	float *buf = rs_malloc(rs_mul((size_t)m->ivf_maxblocks * RS_BLK + 1, sizeof *buf));
	int32_t *hi = rs_malloc(rs_mul((size_t)want, sizeof *hi));
	float *hv = rs_malloc(rs_mul((size_t)want, sizeof *hv));
	int h = 0, r = 0, w = -1, n = 0, enough = 0;
	if (cs && ov && ord && buf && hi && hv) {
		cblas_sgemv(CblasRowMajor, CblasNoTrans, nl, f, 1.0f, m->ivf_cent, f, u, 1, 0.0f, cs, 1);
		/* a list's best score is about its longest item's length times
		 * the cosine (members point near the centroid) */
		for (int32_t l = 0; l < nl; l++)
			cs[l] *= cs[l] > 0 ? m->ivf_norm[2 * l] : m->ivf_norm[2 * l + 1];
		int probes = q->probes > nl ? nl : q->probes;
		int ranked = rs_topk(cs, nl, probes, ord, ov);
		for (; r < nl; r++) {
			if ((enough = r >= probes && h == want))
				break;
			if (r == ranked) /* continue: rank twice as many lists */
				ranked = rs_topk(cs, nl, 2 * ranked < nl ? 2 * ranked : nl, ord, ov);
			if (r >= ranked)
				break; /* NaN centroid scores: no more lists to rank */
			int32_t l = ord[r], len = (int32_t)(m->ivf_off[l + 1] - m->ivf_off[l]);
			const int32_t *items = m->ivf_items + m->ivf_off[l];
			rs_score_qblocks(m, m->ivf_q + m->ivf_boff[l] * bs, m->ivf_boff[l + 1] - m->ivf_boff[l],
			                 u, buf);
			for (int32_t j = 0; j < len; j++) {
				if (h == want && !rs_heap_worse(hv[0], hi[0], buf[j], items[j]))
					continue;
				if (!isnan(buf[j]) && !excluded(q, items[j]))
					rs_heap_offer(hi, hv, &h, want, items[j], buf[j]);
			}
		}
		w = enough ? h : -2;
	}
	if (w > 0) { /* exact scores, then best first: a heap of them sorted */
		rs_score_exact(m, u, hi, w, hv);
		memcpy(ord, hi, sizeof *hi * (size_t)w);
		memcpy(ov, hv, sizeof *hv * (size_t)w);
		for (int j = 0; j < w; j++)
			rs_heap_offer(hi, hv, &n, w, ord[j], ov[j]);
		rs_heap_sort(hi, hv, n);
		for (int j = 0; j < w; j++)
			out[j] = (rs_reco){.item = hi[j], .score = hv[j], .source = RS_SRC_MODEL};
	}
	free(cs);
	free(ov);
	free(ord);
	free(buf);
	free(hi);
	free(hv);
	return w;
}
