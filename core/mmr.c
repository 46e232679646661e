/*
 * mmr.c - the selection step of re-ranking (rerank.c): k of the candidates
 * by maximal marginal relevance (Carbonell and Goldstein, SIGIR 1998): each
 * next row maximizes (1 - lambda) rel_i - lambda max_{j chosen} sim(i, j).
 *
 * sim is 1 within a category and 0 across (the items table's categories;
 * then all members of a category share the penalty and the choice is among
 * each category's best member), else the cosine of the item factors
 * (clamped at 0), else the kept neighbour similarity (itemknn, content),
 * else 0. For the last two the greedy is lazy (Minoux's accelerated
 * greedy): a candidate's penalty only grows, so a stale value bounds it
 * from above and only the best bound is brought up to date. Demoted
 * candidates (price_sensitivity) come after all others.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

/* Entry (a, b) of a CSR matrix with sorted rows, 0 when absent. */
static float csr_at(const rs_csr *s, int32_t a, int32_t b)
{
	int64_t p = rs_csr_find(s, a, b);
	return p >= 0 ? s->data[p] : 0;
}

/* The kept neighbour similarity of i and j (either direction), in [0, 1]. */
static inline float neighbour_sim(const rs_model *m, int32_t i, int32_t j)
{
	float a = csr_at(&m->sim, i, j), b = csr_at(&m->sim, j, i), d = a > b ? a : b;
	return d < 0 ? 0 : d > 1 ? 1 : d;
}

/* The candidates' factor rows scaled to unit length (n x f), for the
 * cosine; NULL when out of memory. */
static float *unit_rows(const rs_model *m, const rs_reco *c, int n)
{
	int32_t f = m->factors;
	float *u = rs_malloc(rs_mul((size_t)n * (size_t)f, sizeof *u));
	for (int r = 0; u && r < n; r++) {
		const float *y = m->item_f + (size_t)c[r].item * f;
		float nn = rs_dot(y, y, f);
		float inv = nn > 0 ? 1 / sqrtf(nn) : 0;
		for (int32_t q = 0; q < f; q++)
			u[(size_t)r * f + q] = y[q] * inv;
	}
	return u;
}

/* sim(r, q) of two candidates: the cosine of their unit factor rows
 * `unit`, else their kept neighbour similarity, else 0; in [0, 1]. */
static float cand_sim(const rs_model *m, const rs_reco *c, const float *unit, int r, int q)
{
	if (!unit)
		return m->sim.indptr ? neighbour_sim(m, c[r].item, c[q].item) : 0;
	float d = rs_dot(unit + (size_t)r * m->factors, unit + (size_t)q * m->factors, m->factors);
	return d < 0 ? 0 : d > 1 ? 1 : d;
}

/* An upper bound of a candidate's MMR value, in lazy_pick's max-heap. */
typedef struct bound { float v; int32_t r; } bound;

/* Heap order: larger bound, then more relevant, then lower index first. */
static inline int bound_above(const bound *x, const bound *y, const float *rel)
{
	if (x->v != y->v)
		return x->v > y->v;
	if (rel[x->r] != rel[y->r])
		return rel[x->r] > rel[y->r];
	return x->r < y->r;
}

static void bound_sift(bound *h, int n, int i, const float *rel)
{
	for (;;) {
		int t = i, l = 2 * i + 1, r = l + 1;
		if (l < n && bound_above(&h[l], &h[t], rel))
			t = l;
		if (r < n && bound_above(&h[r], &h[t], rel))
			t = r;
		if (t == i)
			return;
		bound x = h[i];
		h[i] = h[t];
		h[t] = x;
		i = t;
	}
}

/* Lazy greedy MMR (Minoux's accelerated greedy): maxsim[r] counts the first
 * upto[r] chosen rows only, so key - lam * maxsim bounds r's value from
 * above. The heap's top is refreshed against the rows chosen since; once
 * the top is fresh it is the true best. Pops and returns it, -1 when empty. */
static int lazy_pick(const rs_model *m, const rs_reco *c, const float *unit, float lam,
                     const float *key, const float *rel, float *maxsim, int32_t *upto,
                     const int32_t *chosen, int nchosen, bound *h, int *nh)
{
	while (*nh > 0) {
		int b = h[0].r;
		if (upto[b] == nchosen || lam <= 0) { /* fresh, or no similarity to count */
			h[0] = h[--*nh];
			bound_sift(h, *nh, 0, rel);
			return b;
		}
		for (; upto[b] < nchosen && maxsim[b] < 1; upto[b]++) {
			float s = cand_sim(m, c, unit, b, chosen[upto[b]]);
			maxsim[b] = s > maxsim[b] ? s : maxsim[b];
		}
		upto[b] = nchosen;
		h[0].v = key[b] - lam * maxsim[b];
		bound_sift(h, *nh, 0, rel);
	}
	return -1;
}

/* Is candidate r ahead of q: not demoted before demoted, then by key,
 * ties to the more relevant? (q < 0: none yet.) */
static inline int ahead(const unsigned char *demoted, const float *key, const float *rel, int r,
                        int q)
{
	if (q < 0 || demoted[r] != demoted[q])
		return q < 0 || demoted[r] < demoted[q];
	return key[r] > key[q] || (key[r] == key[q] && rel[r] > rel[q]);
}

/* Local slots 0..*nl of the candidates' categories (open addressing on the
 * category index); *nocat: the slot of items without one, or -1. */
static void category_slots(const rs_model *m, const rs_reco *c, int n, int32_t *slot, int *nl,
                           int *nocat, int32_t *tab, int32_t *tab_slot, size_t cap)
{
	*nl = 0;
	*nocat = -1;
	for (size_t h = 0; h < cap; h++)
		tab[h] = INT32_MIN;
	for (int r = 0; r < n; r++) {
		int32_t cat = m->item_cat[c[r].item];
		size_t h = ((uint32_t)cat * 2654435761u) & (cap - 1);
		while (tab[h] != INT32_MIN && tab[h] != cat)
			h = (h + 1) & (cap - 1);
		if (tab[h] == INT32_MIN) {
			tab[h] = cat;
			tab_slot[h] = (*nl)++;
			if (cat < 0)
				*nocat = tab_slot[h];
		}
		slot[r] = tab_slot[h];
	}
}

/* Diversity by category (sim 1 within a category, 0 across or without
 * one): all members of a category share the penalty, so MMR picks among
 * each category's best remaining member: a pass over the categories per
 * row instead of over the candidates. Returns the rows written. */
static int mmr_by_category(const rs_model *m, const rs_reco *c, int n, int k, float lam,
                           const unsigned char *demoted, float *key, const float *rel,
                           int32_t *ws, rs_reco *out)
{
	size_t cap = 16;
	while (cap < 2 * (size_t)n)
		cap *= 2;
	int32_t *slot = ws, *next = slot + n, *head = next + n, *best = head + n, *chosen = best + n;
	int32_t *tab = chosen + n, *tab_slot = tab + cap;
	int nl, nocat, w = 0;
	category_slots(m, c, n, slot, &nl, &nocat, tab, tab_slot, cap);
	for (int l = 0; l < nl; l++)
		head[l] = best[l] = -1, chosen[l] = 0;
	for (int r = n - 1; r >= 0; r--) { /* member lists, and each slot's best */
		next[r] = head[slot[r]];
		head[slot[r]] = r;
		if (ahead(demoted, key, rel, r, best[slot[r]]))
			best[slot[r]] = r;
	}
	while (w < k) {
		int bl = -1;
		float bv = 0;
		for (int l = 0; l < nl; l++) {
			int r = best[l];
			float v = r < 0 ? 0 : key[r] - lam * (float)chosen[l];
			if (r >= 0 && (bl < 0 || demoted[r] < demoted[best[bl]] ||
			               (demoted[r] == demoted[best[bl]] &&
			                (v > bv || (v == bv && rel[r] > rel[best[bl]])))))
				bl = l, bv = v;
		}
		if (bl < 0)
			break;
		int b = best[bl];
		out[w++] = c[b];
		key[b] = -INFINITY; /* taken */
		chosen[bl] = bl != nocat;
		best[bl] = -1;
		for (int r = head[bl]; r >= 0; r = next[r])
			if (key[r] != -INFINITY && ahead(demoted, key, rel, r, best[bl]))
				best[bl] = r;
	}
	return w;
}

/* k of the n candidates c into out: the non-demoted first, then the
 * demoted, each by maximal marginal relevance with lambda lam over the
 * relevance rel (relevance order when lam is 0). Returns the rows written,
 * -1 when out of memory. */
int rs_mmr(const rs_model *m, const rs_reco *c, int n, int k, float lam, const float *rel,
           const unsigned char *demoted, rs_reco *out)
{
	size_t cap = 16;
	while (cap < 2 * (size_t)n)
		cap *= 2;
	float *key = rs_malloc(rs_mul((size_t)n, 2 * sizeof *key)), *maxsim = key ? key + n : NULL;
	int32_t *ws = rs_malloc(rs_mul(5 * (size_t)n + 2 * cap, sizeof *ws));
	int cosine = lam > 0 && !m->item_cat && m->factors > 0 && m->item_f;
	float *unit = cosine ? unit_rows(m, c, n) : NULL;
	bound *h = rs_malloc(rs_mul((size_t)n, sizeof *h));
	int w = !key || !ws || !h || (cosine && !unit) ? -1 : 0;
	for (int r = 0; w == 0 && r < n; r++)
		key[r] = (1 - lam) * rel[r], maxsim[r] = 0, ws[r] = 0;
	if (w == 0 && lam > 0 && m->item_cat) {
		w = mmr_by_category(m, c, n, k, lam, demoted, key, rel, ws, out);
	} else {
		int32_t *upto = ws, *chosen = ws + n; /* lazy_pick's bookkeeping */
		for (int round = 0; w >= 0 && round < 2; round++) { /* the demoted wait for round 1 */
			int nh = 0, b;
			for (int r = 0; r < n; r++)
				if (demoted[r] == round)
					h[nh++] = (bound){key[r] - lam * maxsim[r], r};
			for (int i = nh / 2 - 1; i >= 0; i--)
				bound_sift(h, nh, i, rel);
			while (w < k && (b = lazy_pick(m, c, unit, lam, key, rel, maxsim, upto, chosen, w, h,
			                               &nh)) >= 0) {
				out[w] = c[b];
				chosen[w++] = b;
			}
		}
	}
	free(key);
	free(ws);
	free(unit);
	free(h);
	return w;
}
