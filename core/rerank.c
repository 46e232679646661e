/*
 * rerank.c - the one serving pipeline every recommendation path ends in:
 *
 *   model scores -> history exclusion (exclude_seen; repurchase_cycle lets
 *   items that are due again back in) -> filters (filters.c mask) ->
 *   candidates (the best `candidates` by model score, exactly rescored for
 *   factor models) -> re-rank -> top k.
 *
 * Re-ranking (only when one of its options is on; else the top k of the
 * model scores, so plain requests cost what they did). Each candidate's
 * model score s is scaled to rel = (s - min) / (max - min) over the
 * candidates (1 when they are all equal), then:
 *   popularity_penalty p:  rel -= p * pop_i / max_j pop_j
 *   upsell u:              rel += u for items priced above the user's
 *                          average item price (their history's mean)
 *   price_sensitivity:     items priced above tolerance x that average go
 *                          after every other candidate; tolerance by
 *                          spending segment (profile.c): small 1.25, low
 *                          average 1.5, average 2, high 3
 *   diversity lambda:      maximal marginal relevance (Carbonell and
 *                          Goldstein, SIGIR 1998): the next row is the
 *                          candidate maximizing
 *                          (1 - lambda) rel_i - lambda max_{j chosen} sim(i, j)
 *                          with sim = 1 for the same category (when the
 *                          items table gave categories), else the cosine of
 *                          the item factors (clamped at 0), else the kept
 *                          neighbour similarity; 0 when the model has none.
 * Rows keep the model's score; rank follows the re-ranked order.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CANDIDATES 200

/* The pipeline's own options, in the order error messages list them. */
static const char *const rank_keys[] = {
	"price_min", "price_max", "categories", "exclude_categories", "exclude_items",
	"candidates", "upsell", "price_sensitivity", "repurchase_cycle", "now", "diversity",
	"popularity_penalty", NULL};

static const double seg_tolerance[4] = {1.25, 1.5, 2.0, 3.0};

typedef struct rank_opts {
	int candidates; /* 0: the default */
	double upsell, diversity, pop_penalty, now;
	int price_sens, repurchase;
} rank_opts;

static int in_list(const char *const *list, const char *key)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(list[i], key))
			return 1;
	return 0;
}

int rs_rank_option(const char *key) { return key && in_list(rank_keys, key); }

/* "unknown option" naming every key the entry point takes. */
static rs_status unknown_key(const char *key, const char *fn, const char *const *own,
                             rs_error *err)
{
	char known[512];
	size_t len = 0;
	known[0] = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; pass ? rank_keys[i] != NULL : own && own[i]; i++) {
			const char *k = pass ? rank_keys[i] : own[i];
			if (pass && in_list(own, k))
				continue; /* the caller's meaning of the key wins */
			int w = snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", k);
			if (w > 0 && (size_t)w < sizeof known - len)
				len += (size_t)w;
		}
	return rs_fail(err, RS_EINVAL, "unknown option \"%s\" for %s (known options: %s)", key,
	               fn ? fn : "recommend", known);
}

/* A finite number option in [lo, hi]. */
static rs_status number_in(const rs_opt *c, double lo, double hi, const char *range, double *out,
                           rs_error *err)
{
	if (c->kind != RS_OPT_NUMBER || !isfinite(c->number) || c->number < lo || c->number > hi)
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be a number %s", c->key, range);
	*out = c->number;
	return RS_OK;
}

static rs_status boolean(const rs_opt *c, int *out, rs_error *err)
{
	if (c->kind != RS_OPT_BOOL)
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be a boolean", c->key);
	*out = c->boolean;
	return RS_OK;
}

static rs_status needs_prices(const rs_model *m, const char *key, rs_error *err)
{
	if (m->item_price)
		return RS_OK;
	return rs_fail(err, RS_EINVAL,
	               "option \"%s\" needs item prices: train with an \"items\" table that has a \"price\" column",
	               key);
}

/* One re-ranking option (not a filter) into ro. */
static rs_status rank_opt(const rs_model *m, const rs_opt *c, int k, rank_opts *ro, rs_error *err)
{
	const char *key = c->key;
	double v = 0;
	rs_status st;
	if (!strcmp(key, "candidates")) {
		if (c->kind != RS_OPT_NUMBER || c->number != floor(c->number) || c->number < k ||
		    c->number > RS_MAX_K)
			return rs_fail(err, RS_EINVAL, "option \"candidates\" must be an integer between k (%d) and %d",
			               k, RS_MAX_K);
		ro->candidates = (int)c->number;
		return RS_OK;
	}
	if (!strcmp(key, "upsell")) {
		st = number_in(c, 0, 1e6, ">= 0", &ro->upsell, err);
		return st == RS_OK && ro->upsell > 0 ? needs_prices(m, key, err) : st;
	}
	if (!strcmp(key, "price_sensitivity")) {
		st = boolean(c, &ro->price_sens, err);
		return st == RS_OK && ro->price_sens ? needs_prices(m, key, err) : st;
	}
	if (!strcmp(key, "repurchase_cycle")) {
		st = boolean(c, &ro->repurchase, err);
		if (st == RS_OK && ro->repurchase && !m->seen.ts)
			return rs_fail(err, RS_EINVAL,
			               "option \"repurchase_cycle\" needs interaction times: train with a \"ts\" column");
		return st;
	}
	if (!strcmp(key, "now"))
		return number_in(c, -1e12, 1e12, "of unix seconds", &ro->now, err);
	if (!strcmp(key, "diversity"))
		return number_in(c, 0, 1, "between 0 and 1", &ro->diversity, err);
	st = number_in(c, 0, 1e6, ">= 0", &v, err); /* popularity_penalty */
	ro->pop_penalty = v;
	return st;
}

/* Parse the pipeline's options; with `blocked` set, filters go into it. */
static rs_status parse(const rs_model *m, const rs_opt *o, const char *fn,
                       const char *const *own, int k, rank_opts *ro, unsigned char **blocked,
                       rs_error *err)
{
	*ro = (rank_opts){.now = rs_now_seconds()};
	if (!o || o->kind == RS_OPT_NULL)
		return RS_OK;
	if (o->kind != RS_OPT_OBJECT)
		return rs_fail(err, RS_EINVAL, "options must be a JSON object");
	for (size_t i = 0; i < o->n_children; i++) {
		const rs_opt *c = &o->children[i];
		const char *key = c->key ? c->key : "";
		rs_status st = RS_OK;
		if (in_list(own, key))
			continue;
		if (!rs_rank_option(key))
			return unknown_key(key, fn, own, err);
		if (!rs_is_filter_option(key))
			st = rank_opt(m, c, k, ro, err);
		else if (!*blocked && !(*blocked = rs_calloc(m->items.n + 1, 1)))
			st = rs_fail(err, RS_ENOMEM, "out of memory filtering");
		if (st == RS_OK && rs_is_filter_option(key))
			st = rs_filter_apply(m, c, *blocked, err);
		if (st != RS_OK)
			return st;
	}
	return RS_OK;
}

rs_status rs_rank_check(const rs_model *m, const rs_opt *options, const char *fn,
                        const char *const *own_keys, int k, rs_error *err)
{
	rank_opts ro;
	unsigned char *blocked = NULL;
	if (!m)
		return rs_fail(err, RS_EINVAL, "model must not be NULL");
	rs_status st = parse(m, options, fn, own_keys, k, &ro, &blocked, err);
	free(blocked);
	return st;
}

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

/* Each candidate's adjusted relevance (header comment); demoted[r] = 1 when
 * price_sensitivity puts it after the others. */
static void relevance(const rs_model *m, const rs_rank_ctx *ctx, const rank_opts *ro,
                      const rs_reco *c, int n, float *rel, unsigned char *demoted)
{
	float smin = INFINITY, smax = -INFINITY;
	for (int r = 0; r < n; r++) {
		smin = c[r].score < smin ? c[r].score : smin;
		smax = c[r].score > smax ? c[r].score : smax;
	}
	double avg = rs_history_avg_price(m, ctx->items, ctx->n), tol = NAN;
	int seg = rs_spending_segment(m, avg);
	if (ro->price_sens && seg >= 0)
		tol = seg_tolerance[seg] * avg;
	float popmax = m->items.n ? m->pop[m->pop_order[0]] : 0;
	for (int r = 0; r < n; r++) {
		int32_t i = c[r].item;
		double price = m->item_price ? m->item_price[i] : NAN;
		rel[r] = smax > smin ? (c[r].score - smin) / (smax - smin) : 1;
		if (ro->pop_penalty > 0 && popmax > 0)
			rel[r] -= (float)(ro->pop_penalty * m->pop[i] / popmax);
		if (ro->upsell > 0 && price > avg) /* false when either is NAN */
			rel[r] += (float)ro->upsell;
		demoted[r] = price > tol;
	}
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
		if (upto[b] == nchosen) {
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

/* Greedy selection of k of the n candidates c into out: the non-demoted
 * first, then the demoted (price_sensitivity), each by maximal marginal
 * relevance (relevance order when diversity is 0). Returns the rows
 * written, -1 when out of memory. */
static int rerank(const rs_model *m, const rs_rank_ctx *ctx, const rank_opts *ro,
                  const rs_reco *c, int n, int k, rs_reco *out)
{
	size_t cap = 16;
	while (cap < 2 * (size_t)n)
		cap *= 2;
	float *rel = rs_malloc(rs_mul((size_t)n, 3 * sizeof *rel));
	unsigned char *demoted = rs_malloc((size_t)n);
	int32_t *ws = rs_malloc(rs_mul(5 * (size_t)n + 2 * cap, sizeof *ws));
	int w = -1;
	if (rel && demoted && ws) {
		float lam = (float)ro->diversity, *key = rel + n, *maxsim = key + n;
		relevance(m, ctx, ro, c, n, rel, demoted);
		for (int r = 0; r < n; r++)
			key[r] = (1 - lam) * rel[r];
		if (lam > 0 && m->item_cat) {
			w = mmr_by_category(m, c, n, k, lam, demoted, key, rel, ws, out);
		} else {
			int cosine = lam > 0 && m->factors > 0 && m->item_f;
			float *unit = cosine ? unit_rows(m, c, n) : NULL;
			int32_t *upto = ws, *chosen = ws + n; /* lazy_pick's bookkeeping */
			bound *h = rs_malloc(rs_mul((size_t)n, sizeof *h));
			w = (cosine && !unit) || !h ? -1 : 0;
			for (int r = 0; r < n; r++)
				maxsim[r] = 0, upto[r] = 0;
			for (int round = 0; w >= 0 && round < 2; round++) { /* the demoted wait for round 1 */
				int nh = 0, b;
				for (int r = 0; r < n; r++)
					if (demoted[r] == round)
						h[nh++] = (bound){key[r] - lam * maxsim[r], r};
				for (int i = nh / 2 - 1; i >= 0; i--)
					bound_sift(h, nh, i, rel);
				while (w < k && (b = lazy_pick(m, c, unit, lam, key, rel, maxsim, upto, chosen, w,
				                               h, &nh)) >= 0) {
					out[w] = c[b];
					chosen[w++] = b;
				}
			}
			free(h);
			free(unit);
		}
	}
	free(rel);
	free(demoted);
	free(ws);
	return w;
}

/* The best `want` of the scores: ordered and exact (the top k) without
 * re-ranking; else, as the pool to re-rank, in no order and, for factor
 * models, by their approximate scores (bounded error, rs_score_items),
 * which a heap of `want` or an exact rescoring of the pool would multiply
 * the cost of a request by several times. */
static int pool_of(const rs_model *m, float *scores, const float *uvec, int k, int want,
                   rs_reco *c)
{
	int32_t ni = (int32_t)m->items.n;
	if (uvec && want == k)
		return rs_exact_topk(m, uvec, scores, ni, k, c);
	int32_t *idx = rs_malloc(rs_mul((size_t)want, sizeof *idx));
	float *val = rs_malloc(rs_mul((size_t)want, sizeof *val));
	int32_t *ti = want > k ? rs_malloc(rs_mul((size_t)ni + 1, sizeof *ti)) : NULL;
	float *tv = want > k ? rs_malloc(rs_mul((size_t)ni + 1, sizeof *tv)) : NULL;
	int n = -1;
	if (idx && val && (want == k || (ti && tv)))
		n = want == k ? rs_topk(scores, ni, k, idx, val)
		              : rs_topk_unordered(scores, ni, want, idx, val, ti, tv);
	for (int r = 0; r < n; r++)
		c[r] = (rs_reco){.item = idx[r], .score = val[r], .source = RS_SRC_MODEL};
	free(idx);
	free(val);
	free(ti);
	free(tv);
	return n;
}

/* Exact factor scores of the rows chosen from approximate ones. */
static void exact_scores(const rs_model *m, const float *uvec, rs_reco *out, int n)
{
	for (int r = 0; r < n; r++)
		rs_score_exact(m, uvec, &out[r].item, 1, &out[r].score);
}

/* Parse the options into ro and set the scores of the items they leave
 * out (history not due again, filtered) to -INFINITY. */
static rs_status exclude(const rs_model *m, const rs_rank_ctx *ctx, const rs_opt *options, int k,
                         float *scores, rank_opts *ro, rs_error *err)
{
	unsigned char *blocked = NULL;
	rs_status st = parse(m, options, ctx->fn, ctx->own_keys, k, ro, &blocked, err);
	for (int32_t r = 0; st == RS_OK && ctx->exclude_history && r < ctx->n; r++) {
		int32_t i = ctx->items[r];
		if (!(ro->repurchase && rs_repurchase_due(m, i, ctx->ts ? ctx->ts[r] : NAN, ro->now)))
			scores[i] = -INFINITY;
	}
	for (size_t i = 0; st == RS_OK && blocked && i < m->items.n; i++)
		if (blocked[i])
			scores[i] = -INFINITY;
	free(blocked);
	return st;
}

rs_status rs_rank_exclude(const rs_model *m, const rs_rank_ctx *ctx, const rs_opt *options, int k,
                          float *scores, rs_error *err)
{
	rank_opts ro;
	return exclude(m, ctx, options, k, scores, &ro, err);
}

rs_status rs_rank(const rs_model *m, const rs_rank_ctx *ctx, float *scores, const float *uvec,
                  int k, const rs_opt *options, rs_reco *out, int *n_out, rs_error *err)
{
	rank_opts ro;
	*n_out = 0;
	if (!m || !ctx || !scores || !out)
		return rs_fail(err, RS_EINVAL, "model, context, scores and output must not be NULL");
	if (k < 1 || k > RS_MAX_K)
		return rs_fail(err, RS_EINVAL, "k must be between 1 and %d (got %d)", RS_MAX_K, k);
	rs_status st = exclude(m, ctx, options, k, scores, &ro, err);
	size_t ni = m->items.n;
	if (st != RS_OK)
		return st;
	int reranks = ro.upsell > 0 || ro.price_sens || ro.diversity > 0 || ro.pop_penalty > 0;
	int want = !reranks ? k : ro.candidates ? ro.candidates : DEFAULT_CANDIDATES;
	want = want < k ? k : want;
	rs_reco *c = reranks ? rs_malloc(rs_mul((size_t)want, sizeof *c)) : out;
	int n = c ? pool_of(m, scores, uvec, k, want, c) : -1;
	for (int r = 0; r < n; r++)
		c[r].source = ctx->part ? (rs_source)(RS_SRC_PART + ctx->part[c[r].item]) : ctx->source;
	if (reranks && n > 0)
		n = rerank(m, ctx, &ro, c, n, k, out);
	if (reranks && uvec && n > 0)
		exact_scores(m, uvec, out, n);
	if (reranks)
		free(c);
	if (n < 0)
		return rs_fail(err, RS_ENOMEM, "out of memory ranking %zu items", ni);
	*n_out = n;
	return RS_OK;
}
