/*
 * rerank.c - the one serving pipeline every recommendation path ends in:
 *
 *   model scores -> history exclusion (exclude_seen; repurchase_cycle lets
 *   items that are due again back in) -> filters (filters.c mask) ->
 *   candidates (the best `candidates` by model score; for factor models by
 *   the int8 scores, the rows returned rescored exactly) -> re-rank
 *   (mmr.c) -> top k.
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
 *                          average 1.5, average 2, high 3, or price_tolerances
 *   diversity lambda:      maximal marginal relevance (mmr.c): the next
 *                          row maximizes
 *                          (1 - lambda) rel_i - lambda max_{j chosen} sim(i, j)
 *                          with sim = 1 for the same category (when the
 *                          items table gave categories), else the cosine of
 *                          the item factors (clamped at 0), else the kept
 *                          neighbour similarity; 0 when the model has none.
 * Rows keep the model's score; rank follows the re-ranked order.
 */
#include "internal.h"
#include "options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CANDIDATES 200

/* The pipeline's options: the rows of the serving options' table
 * (serve_options.c) that every entry point takes, in its order. */
static int pipeline_option(const rs_serve_option *so)
{
	unsigned both = RS_FOR_RECOMMEND | RS_FOR_SESSION;
	return so && (so->takers & both) == both;
}

/* A pipeline option the entry point takes: every one for the recommend
 * and session functions (taker 0), those marked for it for the others
 * (popular_items, similar_items: RS_FOR_POPULAR, RS_FOR_SIMILAR). */
static int takes(const rs_serve_option *so, unsigned taker)
{
	return pipeline_option(so) && (!taker || (so->takers & taker));
}

static const double seg_tolerance[4] = {1.25, 1.5, 2.0, 3.0};

typedef struct rank_opts {
	int candidates; /* 0: the default */
	double upsell, diversity, pop_penalty, now;
	double tol[4];  /* price_tolerances (default seg_tolerance) */
	int price_sens, repurchase;
} rank_opts;

static int in_list(const char *const *list, const char *key)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(list[i], key))
			return 1;
	return 0;
}

int rs_rank_option(const char *key) { return pipeline_option(rs_serve_option_find(key)); }

/* "unknown option" naming every key the entry point takes. */
static rs_status unknown_key(const char *key, const char *fn, const char *const *own,
                             unsigned taker, rs_error *err)
{
	char known[512];
	size_t len = 0;
	known[0] = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; pass ? rs_serve_options[i].name != NULL : own && own[i]; i++) {
			const char *k = pass ? rs_serve_options[i].name : own[i];
			if (pass && (!takes(&rs_serve_options[i], taker) || in_list(own, k)))
				continue; /* not the pipeline's, or the caller's meaning wins */
			int w = snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", k);
			if (w > 0 && (size_t)w < sizeof known - len)
				len += (size_t)w;
		}
	char sk[RS_SHORT_CAP];
	return rs_fail(err, RS_EINVAL, "unknown option \"%s\" for %s (known options: %s)",
	               rs_shorten(key, (size_t)-1, sk, sizeof sk), fn ? fn : "recommend", known);
}

/* A number option, checked against its row of the serving options' table. */
static rs_status number(const rs_opt *c, double *out, rs_error *err)
{
	rs_status st = rs_serve_option_check(rs_serve_option_find(c->key), c, err);
	if (st == RS_OK)
		*out = c->number;
	return st;
}

static rs_status boolean(const rs_opt *c, int *out, rs_error *err)
{
	rs_status st = rs_opt_check_bool(c->key, c, err);
	if (st == RS_OK)
		*out = c->boolean;
	return st;
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
		st = number(c, &ro->upsell, err);
		return st == RS_OK && ro->upsell > 0 ? rs_needs_prices(m, key, err) : st;
	}
	if (!strcmp(key, "price_sensitivity")) {
		st = boolean(c, &ro->price_sens, err);
		return st == RS_OK && ro->price_sens ? rs_needs_prices(m, key, err) : st;
	}
	if (!strcmp(key, "price_tolerances")) {
		st = rs_serve_option_check(rs_serve_option_find(key), c, err);
		for (int s = 0; st == RS_OK && s < 4; s++)
			ro->tol[s] = c->children[s].number;
		return st == RS_OK ? rs_needs_prices(m, key, err) : st;
	}
	if (!strcmp(key, "repurchase_cycle")) {
		st = boolean(c, &ro->repurchase, err);
		if (st == RS_OK && ro->repurchase)
			st = rs_events_check_repurchase(m, err);
		if (st == RS_OK && ro->repurchase && !m->seen.ts)
			return rs_fail(err, RS_EINVAL,
			               "option \"repurchase_cycle\" needs interaction times: train with a \"ts\" column");
		return st;
	}
	if (!strcmp(key, "now"))
		return number(c, &ro->now, err);
	if (!strcmp(key, "diversity"))
		return number(c, &ro->diversity, err);
	if (!strcmp(key, "reasons")) /* read by rs_rank_reasons */
		return boolean(c, &(int){0}, err);
	st = number(c, &v, err); /* popularity_penalty */
	ro->pop_penalty = v;
	return st;
}

/* Parse the pipeline's options; with `blocked` set, filters go into it. */
static rs_status parse(const rs_model *m, const rs_opt *o, const char *fn,
                       const char *const *own, unsigned taker, int k, rank_opts *ro,
                       unsigned char **blocked, rs_error *err)
{
	*ro = (rank_opts){.now = rs_now_seconds()};
	memcpy(ro->tol, seg_tolerance, sizeof ro->tol);
	if (!o || o->kind == RS_OPT_NULL)
		return RS_OK;
	if (o->kind != RS_OPT_OBJECT)
		return rs_fail(err, RS_EINVAL, "options must be a JSON object");
	for (size_t i = 0; i < o->n_children; i++) {
		const rs_opt *c = &o->children[i];
		const char *key = c->key ? c->key : "";
		rs_status st = i == 0 ? rs_filter_check_range(o, err) : RS_OK;
		if (st != RS_OK)
			return st;
		if (in_list(own, key))
			continue;
		if (!takes(rs_serve_option_find(key), taker))
			return unknown_key(key, fn, own, taker, err);
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

int rs_rank_reasons(const rs_opt *options)
{
	const rs_opt *c = options && options->kind == RS_OPT_OBJECT ? rs_opt_get(options, "reasons")
	                                                            : NULL;
	return !(c && c->kind == RS_OPT_BOOL && !c->boolean);
}

/* Does the request re-rank (else the top k of the model scores)? */
static int reranks(const rank_opts *ro)
{
	return ro->upsell > 0 || ro->price_sens || ro->diversity > 0 || ro->pop_penalty > 0;
}

rs_status rs_rank_plan_make(const rs_model *m, const rs_opt *options, const char *fn,
                            const char *const *own_keys, int k, rs_rank_plan *plan, rs_error *err)
{
	rank_opts ro;
	*plan = (rs_rank_plan){0};
	rs_status st = parse(m, options, fn, own_keys, 0, k, &ro, &plan->blocked, err);
	plan->reranks = reranks(&ro);
	plan->repurchase = ro.repurchase;
	plan->now = ro.now;
	if (st != RS_OK) {
		free(plan->blocked);
		plan->blocked = NULL;
	}
	return st;
}

rs_status rs_rank_check(const rs_model *m, const rs_opt *options, const char *fn,
                        const char *const *own_keys, int k, rs_error *err)
{
	rank_opts ro;
	unsigned char *blocked = NULL;
	if (!m)
		return rs_fail(err, RS_EINVAL, "model must not be NULL");
	rs_status st = parse(m, options, fn, own_keys, 0, k, &ro, &blocked, err);
	free(blocked);
	return st;
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
		tol = ro->tol[seg] * avg;
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

/* The k rows of the n candidates c: their relevance, then rs_mmr (mmr.c).
 * Returns the rows written, -1 when out of memory. */
static int rerank(const rs_model *m, const rs_rank_ctx *ctx, const rank_opts *ro,
                  const rs_reco *c, int n, int k, rs_reco *out)
{
	float *rel = rs_malloc(rs_mul((size_t)n, sizeof *rel));
	unsigned char *demoted = rs_malloc((size_t)n);
	int w = -1;
	if (rel && demoted) {
		relevance(m, ctx, ro, c, n, rel, demoted);
		w = rs_mmr(m, c, n, k, (float)ro->diversity, rel, demoted, out);
	}
	free(rel);
	free(demoted);
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

/* When history entry r was last bought (NAN never or unknown). */
static double history_buy(const rs_rank_ctx *ctx, int32_t r)
{
	return ctx->buy_ts ? ctx->buy_ts[r] : ctx->ts ? ctx->ts[r] : NAN;
}

/* Parse the options into ro and set the scores of the items they leave
 * out (history not due again, filtered) to -INFINITY. */
static rs_status exclude(const rs_model *m, const rs_rank_ctx *ctx, const rs_opt *options, int k,
                         float *scores, rank_opts *ro, rs_error *err)
{
	unsigned char *blocked = NULL;
	rs_status st = parse(m, options, ctx->fn, ctx->own_keys, ctx->taker, k, ro, &blocked, err);
	for (int32_t r = 0; st == RS_OK && ctx->exclude_history && r < ctx->n; r++) {
		int32_t i = ctx->items[r];
		if (!(ro->repurchase && rs_repurchase_due(m, i, history_buy(ctx, r), ro->now)))
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

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* The history items the options leave out (exclude_seen; repurchase_cycle
 * lets due ones back), sorted, malloc'd into *out; -1 when out of memory. */
static int32_t excluded_history(const rs_model *m, const rs_rank_ctx *ctx, const rank_opts *ro,
                                int32_t **out)
{
	int32_t n = 0;
	*out = rs_malloc(rs_mul((size_t)ctx->n + 1, sizeof **out));
	if (!*out)
		return -1;
	for (int32_t r = 0; ctx->exclude_history && r < ctx->n; r++) {
		int32_t i = ctx->items[r];
		if (!(ro->repurchase && rs_repurchase_due(m, i, history_buy(ctx, r), ro->now)))
			(*out)[n++] = i;
	}
	qsort(*out, (size_t)n, sizeof **out, cmp_i32);
	return n;
}

/* The pipeline on the approximate index's candidates (ivf.c): the same
 * options, exclusions and re-ranking as rs_rank, with the pool taken from
 * the probed lists (continued until enough items pass). */
rs_status rs_rank_index(const rs_model *m, const rs_rank_ctx *ctx, const float *uvec, int k,
                        const rs_opt *options, rs_reco *out, int *n_out, int *exhausted,
                        rs_error *err)
{
	rank_opts ro;
	unsigned char *blocked = NULL;
	int32_t *hist = NULL;
	*n_out = 0;
	*exhausted = 0;
	rs_status st = parse(m, options, ctx->fn, ctx->own_keys, ctx->taker, k, &ro, &blocked, err);
	int32_t nh = st == RS_OK ? excluded_history(m, ctx, &ro, &hist) : 0;
	int reranks = ro.upsell > 0 || ro.price_sens || ro.diversity > 0 || ro.pop_penalty > 0;
	int want = !reranks ? k + 24 : ro.candidates ? ro.candidates : DEFAULT_CANDIDATES;
	want = want < k ? k : want;
	const rs_opt *pr = options && options->kind == RS_OPT_OBJECT ? rs_opt_get(options, "probes")
	                                                             : NULL;
	rs_ivf_query q = {blocked, hist, nh, pr ? (int)pr->number : rs_ivf_default_probes(m)};
	rs_reco *c = st == RS_OK && nh >= 0 ? rs_malloc(rs_mul((size_t)want, sizeof *c)) : NULL;
	int n = c ? rs_ivf_search(m, uvec, &q, want, c) : -1;
	*exhausted = n == -2;
	for (int r = 0; r < n; r++)
		c[r].source = ctx->source;
	if (reranks && n > 0)
		n = rerank(m, ctx, &ro, c, n, k, out);
	else if (n > 0)
		memcpy(out, c, sizeof *c * (size_t)(n < k ? n : k));
	free(blocked);
	free(hist);
	free(c);
	if (st != RS_OK)
		return st;
	if (n == -1)
		return rs_fail(err, RS_ENOMEM, "out of memory ranking %zu items", m->items.n);
	*n_out = n < 0 ? 0 : n < k ? n : k;
	return RS_OK;
}

rs_status rs_rank(const rs_model *m, const rs_rank_ctx *ctx, float *scores, const float *uvec,
                  int k, const rs_opt *options, rs_reco *out, int *n_out, rs_error *err)
{
	rank_opts ro;
	*n_out = 0;
	if (!m || !ctx || !scores || !out)
		return rs_fail(err, RS_EINVAL, "model, context, scores and output must not be NULL");
	rs_status st = rs_check_k(k, err);
	if (st != RS_OK)
		return st;
	st = exclude(m, ctx, options, k, scores, &ro, err);
	size_t ni = m->items.n;
	if (st != RS_OK)
		return st;
	int re = reranks(&ro);
	int want = !re ? k : ro.candidates ? ro.candidates : DEFAULT_CANDIDATES;
	want = want < k ? k : want;
	rs_reco *c = re ? rs_malloc(rs_mul((size_t)want, sizeof *c)) : out;
	int n = c ? pool_of(m, scores, uvec, k, want, c) : -1;
	for (int r = 0; r < n; r++)
		c[r].source = ctx->part ? (rs_source)(RS_SRC_PART + ctx->part[c[r].item]) : ctx->source;
	if (re && n > 0)
		n = rerank(m, ctx, &ro, c, n, k, out);
	if (re && uvec && n > 0)
		exact_scores(m, uvec, out, n);
	if (re)
		free(c);
	if (n < 0)
		return rs_fail(err, RS_ENOMEM, "out of memory ranking %zu items", ni);
	*n_out = n;
	return RS_OK;
}
