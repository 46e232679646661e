/*
 * reasons.c - the `reason` column in words: which item of the user's history
 * (or of the session) a recommendation comes from.
 *
 * The serving paths call rs_reasons_fill on their final rows: for each row
 * the model scored, `because` becomes the history item j with the largest
 * rs_pair_contribution(j, i) (explain.c: w_uj sim(i, j) for itemknn and
 * content, w_uj B[j, i] for ease, w_uj y_j . y_i for the factor models). For
 * als that skips W_u, the one solve per user that recsys_explain makes: a
 * cheap pick of the top contributor (k rows x history x factors multiply-adds
 * per call), not the exact one. A hybrid row asks the component that
 * contributed most. Rows from popularity name no item.
 *
 * rs_reason_format then says, in this order: "new in category Y" (or "new in
 * the catalogue") for an item with no training interactions that the items
 * table brought in (content, bpr, warp); for a user's history item the verb
 * of what they did with it (events.c: "because you bought X" only when they
 * purchased X, "because you viewed X", ..., the neutral "because of X"
 * without an event column); "similar to X" for a session's item; else the
 * source's text
 * (rs_reason_text: "popular now", ...).
 */
#include "internal.h"

#include <cblas.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Dot product with 8 partial sums (vector lanes without reassociation). */
static inline float dot8(const float *a, const float *b, int n)
{
	float acc[8] = {0}, s = 0;
	int k = 0;
	for (; k + 8 <= n; k += 8)
		for (int j = 0; j < 8; j++)
			acc[j] += a[k + j] * b[k + j];
	for (; k < n; k++)
		s += a[k] * b[k];
	for (int j = 0; j < 8; j++)
		s += acc[j];
	return s;
}

/* Keep history entry r as item items[o]'s pick when it adds more. */
static inline void consider(float c, int32_t r, int o, float *top, int32_t *best)
{
	if (c > top[o]) {
		top[o] = c;
		best[o] = r;
	}
}

/* sgemm sizes (m x n x k) OpenBLAS runs on one thread: its threshold is
 * 65536 x GEMM_MULTITHREAD_THRESHOLD (4); serving must not wake its pool. */
#define ONE_THREAD_MNK 200000

/* Factor models: w_j y_j . y_i (bpr, warp: q_j . q_i, bias left out): the
 * recommended rows and a chunk of history rows gathered into two small
 * matrices and multiplied by one cblas_sgemm (history x rows), which keeps
 * the multiply-adds in vector registers (a third of the loop's time). */
static void pick_factor(const rs_model *m, const int32_t *hist, const float *w, int32_t nh,
                        const int32_t *items, int n, float *top, int32_t *best)
{
	int f = m->factors, lfm = rs_model_def(m)->bias_column, fl = f - lfm;
	if (nh <= 0 || n <= 0 || fl <= 0)
		return;
	int32_t chunk = ONE_THREAD_MNK / (n * fl) > 0 ? ONE_THREAD_MNK / (n * fl) : 1;
	chunk = chunk < nh ? chunk : nh;
	float *h = rs_malloc(rs_mul(rs_mul((size_t)chunk, (size_t)fl), sizeof *h));
	float *x = rs_malloc(rs_mul(rs_mul((size_t)n, (size_t)fl), sizeof *x));
	float *c = rs_malloc(rs_mul(rs_mul((size_t)chunk, (size_t)n), sizeof *c));
	for (int o = 0; h && x && c && o < n; o++)
		memcpy(x + (size_t)o * fl, m->item_f + (size_t)items[o] * f, (size_t)fl * sizeof *x);
	for (int32_t r0 = 0; h && x && c && r0 < nh; r0 += chunk) {
		int32_t nc = nh - r0 < chunk ? nh - r0 : chunk;
		for (int32_t r = 0; r < nc; r++) /* a skipped entry (< 0) reads item 0, unused */
			memcpy(h + (size_t)r * fl, m->item_f + (size_t)(hist[r0 + r] < 0 ? 0 : hist[r0 + r]) * f,
			       (size_t)fl * sizeof *h);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nc, n, fl, 1.0f, h, fl, x, fl, 0.0f,
		            c, n);
		for (int32_t r = 0; r < nc; r++) {
			int32_t j = hist[r0 + r];
			if (j < 0)
				continue;
			float wr = w && !lfm ? w[r0 + r] : 1.0f;
			for (int o = 0; o < n; o++)
				if (items[o] != j)
					consider(wr * c[(size_t)r * n + o], r0 + r, o, top, best);
		}
	}
	free(h);
	free(x);
	free(c);
}

/* itemknn, content: w_j sim(i, j) for the history items j among i's kept
 * neighbours: row i of m->sim_t (a few dozen entries), history entries found
 * through pos (item -> entry). */
static void pick_knn(const rs_model *m, const int32_t *hist, const float *w, int32_t nh,
                     const int32_t *items, int n, float *top, int32_t *best)
{
	const rs_csr *g = &m->sim_t;
	int32_t *pos = g->indptr ? rs_malloc(rs_mul(m->items.n, sizeof *pos)) : NULL;
	if (!pos)
		return; /* rows without a named item rather than no rows */
	memset(pos, 0xff, m->items.n * sizeof *pos);
	for (int32_t r = nh - 1; r >= 0; r--) /* the earliest entry of a repeated item */
		if (hist[r] >= 0)
			pos[hist[r]] = r;
	for (int o = 0; o < n; o++)
		for (int64_t q = g->indptr[items[o]]; q < g->indptr[items[o] + 1]; q++) {
			int32_t r = pos[g->indices[q]];
			if (r >= 0 && hist[r] != items[o])
				consider((w ? w[r] : 1.0f) * g->data[q], r, o, top, best);
		}
	free(pos);
}

/* best[o] = the history entry that adds most to items[o] in non-hybrid
 * model m (rs_pair_contribution, > 0), or -1; ties to the earlier entry. */
static void pick(const rs_model *m, const int32_t *hist, const float *w, int32_t nh,
                 const int32_t *items, int n, float *top, int32_t *best)
{
	for (int o = 0; o < n; o++) {
		top[o] = 0;
		best[o] = -1;
	}
	rs_split split = rs_model_def(m)->split;
	if (split == RS_SPLIT_NONE)
		return;
	if (split == RS_SPLIT_SIM) {
		pick_knn(m, hist, w, nh, items, n, top, best);
	} else if (m->factors > 0 && split != RS_SPLIT_DENSE) {
		pick_factor(m, hist, w, nh, items, n, top, best);
	} else {
		for (int32_t r = 0; r < nh; r++)
			for (int o = 0; hist[r] >= 0 && o < n; o++)
				if (items[o] != hist[r])
					consider((float)rs_pair_contribution(m, hist[r], w ? w[r] : 1.0f, items[o], nh),
					         r, o, top, best);
	}
}

/* Is row o's source the model's own scores (a history can explain it)? */
static int from_model(const rs_reco *o)
{
	return o->source == RS_SRC_MODEL || o->source == RS_SRC_FRESH;
}

/* Row o is explained by history entry r, item j (an index of m). */
static void name(rs_reco *o, int32_t j, rs_why why, const uint8_t *verbs, int32_t r)
{
	o->because = j + 1;
	o->why = why;
	o->verb = verbs ? verbs[r] : RS_VERB_NEUTRAL;
}

void rs_reasons_fill(const rs_model *m, const int32_t *hist, const float *w, int32_t n_hist,
                     rs_why why, rs_reco *out, int n)
{
	rs_reasons_fill_verbs(m, hist, w, NULL, n_hist, why, out, n);
}

void rs_reasons_fill_verbs(const rs_model *m, const int32_t *hist, const float *w,
                           const uint8_t *verbs, int32_t n_hist, rs_why why, rs_reco *out, int n)
{
	int32_t *items = rs_malloc(rs_mul((size_t)n + 1, 2 * sizeof *items)), *best = items + n + 1;
	float *top = rs_malloc(rs_mul((size_t)n + 1, sizeof *top));
	int32_t *tmp = m->n_parts > 0 ? rs_malloc(rs_mul((size_t)n_hist + 1, sizeof *tmp)) : NULL;
	for (int r = 0; r < n; r++) {
		out[r].because = 0;
		out[r].why = RS_WHY_SOURCE;
		out[r].verb = RS_VERB_NEUTRAL;
	}
	if (!items || !top || (m->n_parts > 0 && !tmp) || n_hist <= 0)
		goto done; /* out of memory: rows without a named item */
	if (m->n_parts == 0) {
		int k = 0;
		for (int r = 0; r < n; r++)
			if (from_model(&out[r]))
				items[k++] = out[r].item;
		pick(m, hist, w, n_hist, items, k, top, best);
		for (int r = 0, o = 0; r < n; r++)
			if (from_model(&out[r]) && best[o++] >= 0)
				name(&out[r], hist[best[o - 1]], why, verbs, best[o - 1]);
	}
	/* a hybrid's row: the component that contributed most, in its indices */
	for (int32_t p = 0; p < m->n_parts; p++) {
		const int32_t *map = m->part_item[p];
		int k = 0;
		for (int32_t r = 0; r < n_hist; r++)
			tmp[r] = map[hist[r]];
		for (int r = 0; r < n; r++)
			if ((int)out[r].source == RS_SRC_PART + p && map[out[r].item] >= 0)
				items[k++] = map[out[r].item];
		pick(m->parts[p], tmp, w, n_hist, items, k, top, best);
		for (int r = 0, o = 0; r < n; r++)
			if ((int)out[r].source == RS_SRC_PART + p && map[out[r].item] >= 0 && best[o++] >= 0)
				name(&out[r], hist[best[o - 1]], why, verbs, best[o - 1]);
	}
done:
	free(items);
	free(top);
	free(tmp);
}

void rs_reasons_for_user(const rs_model *m, int32_t u, rs_reco *out, int n)
{
	if (u < 0 || (size_t)u >= m->users.n)
		return;
	int64_t b = m->seen.indptr[u], e = m->seen.indptr[u + 1];
	uint8_t *verbs = m->pair_ev ? rs_malloc((size_t)(e - b) + 1) : NULL;
	for (int64_t p = b; verbs && p < e; p++)
		verbs[p - b] = rs_pair_verb(m, p);
	rs_reasons_fill_verbs(m, m->seen.indices + b, rs_history_w(m) + b, verbs, (int32_t)(e - b),
	                      RS_WHY_HISTORY, out, n);
	free(verbs);
}

/* An item nobody interacted with in training (only the items table named it). */
static int is_new_item(const rs_model *m, int32_t i)
{
	/* a model without any interaction (imported without them) has no news */
	return m->pop && rs_csr_nnz(&m->seen) > 0 && !(m->pop[i] > 0);
}

const char *rs_reason_format(const rs_model *m, const rs_reco *r, char *buf, size_t cap)
{
	if (!cap)
		return buf;
	size_t len;
	int32_t i = r->item, cat = m->item_cat && i >= 0 ? m->item_cat[i] : -1;
	if (i >= 0 && (size_t)i < m->items.n && r->source != RS_SRC_POPULAR &&
	    r->source != RS_SRC_COLDSTART && r->source != RS_SRC_SESSION_EMPTY && is_new_item(m, i)) {
		const char *c = cat >= 0 ? rs_idmap_get(&m->cats, cat, &len) : NULL;
		if (c)
			snprintf(buf, cap, "new in category %.*s", (int)len, c);
		else
			snprintf(buf, cap, "new in the catalogue");
	} else if (r->because > 0 && (size_t)r->because <= m->items.n && r->why != RS_WHY_SOURCE) {
		const char *id = rs_idmap_get(&m->items, r->because - 1, &len);
		if (r->why == RS_WHY_SIMILAR)
			snprintf(buf, cap, "similar to %.*s", (int)len, id);
		else
			rs_reason_verb(m, r->verb, id, len, buf, cap);
	} else {
		snprintf(buf, cap, "%s", rs_reason_text(m, r->source));
	}
	return buf;
}
