/*
 * serve.c - top-k recommendations for a user and popular items.
 * Serving reads only the loaded model: scores from the factors (or the
 * popularity order), the user's training items excluded, top-k by heap.
 */
#include "internal.h"
#include "options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* recommend()'s own option; the rest belong to the pipeline (rerank.c). */
/* fresh: read by the binding (a fresh user's rows from the source) */
/* exact, probes: the approximate index's (ivf.c), read in user_rank */
static const char *const own_keys[] = {"exclude_seen", "fresh", "exact", "probes", NULL};

/* exclude_seen (bool, default true) from the options, type-checked. */
rs_status rs_exclude_seen_opt(const rs_opt *o, int *exclude, rs_error *err)
{
	const rs_opt *c = o && o->kind == RS_OPT_OBJECT ? rs_opt_get(o, "exclude_seen") : NULL;
	*exclude = 1;
	if (c && c->kind != RS_OPT_BOOL)
		return rs_fail(err, RS_EINVAL, "option \"exclude_seen\" must be a boolean");
	if (c)
		*exclude = c->boolean;
	return RS_OK;
}

/* exact (bool, default false: the index when the model has one) and
 * probes (lists to scan at least), type-checked. */
static rs_status index_opts(const rs_opt *o, rs_error *err)
{
	const char *keys[] = {"exact", "probes"};
	for (int i = 0; i < 2; i++) {
		const rs_opt *c = o && o->kind == RS_OPT_OBJECT ? rs_opt_get(o, keys[i]) : NULL;
		rs_status st = c ? rs_serve_option_check(rs_serve_option_find(keys[i]), c, err) : RS_OK;
		if (st != RS_OK)
			return st;
	}
	return RS_OK;
}

static int exact_opt(const rs_opt *o)
{
	const rs_opt *c = o && o->kind == RS_OPT_OBJECT ? rs_opt_get(o, "exact") : NULL;
	return c && c->kind == RS_OPT_BOOL && c->boolean;
}

/* The one check of k, for the core and both bindings (recsys.h). */
rs_status rs_check_k(int64_t k, rs_error *err)
{
	if (k < 1 || k > RS_MAX_K)
		return rs_fail(err, RS_EINVAL, "k must be between 1 and %d (got %lld)", RS_MAX_K,
		               (long long)k);
	return RS_OK;
}

/* Rows of a result buffer for k: k when valid, else 1 (recsys.h). */
size_t rs_result_rows(int64_t k)
{
	return k >= 1 && k <= RS_MAX_K ? (size_t)k : 1;
}

/* The first k of the popularity order. */
static int popular_for(const rs_model *m, int k, rs_source src, rs_reco *out)
{
	int n = 0;
	for (size_t r = 0; r < m->items.n && n < k; r++) {
		int32_t i = m->pop_order[r];
		out[n++] = (rs_reco){.item = i, .score = m->pop[i], .source = src};
	}
	return n;
}

typedef struct cand { int32_t item; float score; } cand;

/* Best first; ties to the lower index (as rs_topk). */
static int cmp_cand(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

/* Rescore items idx[0..n) exactly into c, best first. */
static void rescore_sorted(const rs_model *m, const float *uvec, const int32_t *idx, int n,
                           float *val, cand *c)
{
	rs_score_exact(m, uvec, idx, n, val);
	for (int r = 0; r < n; r++)
		c[r] = (cand){idx[r], val[r]};
	qsort(c, (size_t)n, sizeof *c, cmp_cand);
}

/* Every eligible item whose approximate score is at least `floor`,
 * rescored exactly; the best k of them into *c (grown), best first. */
static int rescore_above(const rs_model *m, const float *uvec, const float *scores, int32_t ni,
                         float floor, int k, cand **c)
{
	int32_t n = 0;
	for (int32_t i = 0; i < ni; i++)
		n += scores[i] != -INFINITY && scores[i] >= floor;
	int32_t *idx = rs_malloc(rs_mul((size_t)n + 1, sizeof *idx));
	float *val = rs_malloc(rs_mul((size_t)n + 1, sizeof *val));
	int32_t *pos = rs_malloc(rs_mul((size_t)k, sizeof *pos));
	float *top = rs_malloc(rs_mul((size_t)k, sizeof *top));
	cand *best = rs_malloc(rs_mul((size_t)k, sizeof *best));
	int w = -1;
	if (idx && val && pos && top && best) {
		n = 0;
		for (int32_t i = 0; i < ni; i++)
			if (scores[i] != -INFINITY && scores[i] >= floor)
				idx[n++] = i;
		rs_score_exact(m, uvec, idx, n, val);
		w = rs_topk(val, n, k, pos, top); /* idx ascends: ties to the lower item */
		for (int r = 0; r < w; r++)
			best[r] = (cand){idx[pos[r]], top[r]};
		free(*c);
		*c = best;
		best = NULL;
	}
	free(idx);
	free(val);
	free(pos);
	free(top);
	free(best);
	return w;
}

/* Is (s, i) ahead of candidate c (best first, ties to the lower item)? */
static int ahead(float s, int32_t i, const cand *c)
{
	return s > c->score || (s == c->score && i < c->item);
}

/*
 * The exact top-k from approximate scores: take the best `want` by the
 * approximate scores, rescore them exactly and sort. Any item left out has
 * an approximate score <= the lowest candidate's, so its exact score is at
 * most that plus `bound`; if the k-th exact score clears that line the answer
 * is exact. Otherwise (rare: near-ties at the boundary, or k close to the
 * catalogue) exact_topk rescores every eligible item. Any approximation
 * within the bound gives the same rows (batch.c's sgemm scores).
 */
int rs_exact_from_pool(const rs_model *m, const float *uvec, const int32_t *idx, int n, float low,
                       int more, int k, rs_reco *out)
{
	float line = low + rs_score_error_bound(m, uvec);
	float *val = rs_malloc(rs_mul((size_t)n + 1, sizeof *val));
	cand *c = rs_malloc(rs_mul((size_t)n + 1, sizeof *c));
	int w = -1;
	if (val && c) {
		rescore_sorted(m, uvec, idx, n, val, c);
		if (more && n >= k && !(c[k - 1].score > line))
			w = -2; /* not provably exact */
		else
			w = n > k ? k : n;
		for (int r = 0; r < w; r++)
			out[r] = (rs_reco){.item = c[r].item, .score = c[r].score, .source = RS_SRC_MODEL};
	}
	free(val);
	free(c);
	return w;
}

static int exact_topk(const rs_model *m, const float *uvec, float *scores, int32_t ni, int k,
                      rs_reco *out)
{
	double bound = rs_score_error_bound(m, uvec);
	/* k + 8 candidates prove the top k for about 70% of ML-1M users (the
	 * rest rescore what lies within the bound: two passes over a small
	 * array); from 65,536 items those passes cost more than a larger heap,
	 * and k + 24 proves it for about 90% of 1M synthetic items (bench/ann.c) */
	int extra = ni >= 65536 ? 24 : 8;
	int want = k + extra < ni ? k + extra : ni;
	int32_t *idx = rs_malloc(rs_mul((size_t)want + 1, sizeof *idx));
	float *val = rs_malloc(rs_mul((size_t)want + 1, sizeof *val));
	float *ex = rs_malloc(rs_mul((size_t)want + 1, sizeof *ex));
	cand *c = rs_malloc(rs_mul((size_t)want + 1, sizeof *c));
	int n = -1;
	if (idx && val && ex && c) {
		n = rs_topk(scores, ni, want, idx, val); /* best approximate first */
		int j = n < k ? n : k;
		rescore_sorted(m, uvec, idx, j, ex, c);
		/* rescore one more candidate (in approximate order) until the k-th
		 * exact score clears the best approximate score left plus the bound */
		while (j < n && !((double)c[k - 1].score > (double)val[j] + bound)) {
			float e;
			rs_score_exact(m, uvec, &idx[j], 1, &e);
			if (ahead(e, idx[j], &c[k - 1])) {
				int p = k - 1;
				for (; p > 0 && ahead(e, idx[j], &c[p - 1]); p--)
					c[p] = c[p - 1];
				c[p] = (cand){idx[j], e};
			}
			j++;
		}
		/* not provably exact: every item that might beat the k-th exact
		 * score (approximate score within the bound of it) is rescored */
		if (n == want && want < ni && n >= k && !((double)c[k - 1].score > (double)val[n - 1] + bound)) {
			double fl = (double)c[k - 1].score - bound;
			n = rescore_above(m, uvec, scores, ni, (float)(fl - fabs(fl) * 1e-6 - 1e-30), k, &c);
		}
		if (n > k)
			n = k;
		for (int r = 0; c && r < n; r++)
			out[r] = (rs_reco){.item = c[r].item, .score = c[r].score, .source = RS_SRC_MODEL};
	}
	free(idx);
	free(val);
	free(ex);
	free(c);
	return n;
}

/* exact_topk for the other serving paths (fold_in.c). */
int rs_exact_topk(const rs_model *m, const float *uvec, float *scores, int32_t ni, int k,
                  rs_reco *out)
{
	return exact_topk(m, uvec, scores, ni, k, out);
}

/* Every item's score for the user (u < 0: unknown, popularity) and the
 * user vector when they are approximate factor scores; the pipeline does
 * the rest. */
static rs_status user_rank(const rs_model *m, int32_t u, rs_rank_ctx *ctx, int k,
                           const rs_opt *options, rs_reco *out, int *n_out, rs_error *err)
{
	size_t ni = m->items.n;
	size_t padded = ((ni + RS_BLK - 1) / RS_BLK) * RS_BLK;
	const rs_algo_def *def = rs_algo_find(m->algo);
	int factor = u >= 0 && !def->score && m->factors > 0;
	const float *uvec = factor ? m->user_f + (size_t)u * m->factors : NULL;
	if (uvec && m->ivf_nlist > 0 && !ctx->exact && !exact_opt(options)) { /* the approximate index */
		int exhausted;
		rs_status st = rs_rank_index(m, ctx, uvec, k, options, out, n_out, &exhausted, err);
		if (st != RS_OK || !exhausted)
			return st;
	}
	float *scores = rs_malloc(rs_mul(padded + 1, sizeof *scores));
	if (!scores)
		return rs_fail(err, RS_ENOMEM, "out of memory scoring %zu items", ni);
	if (uvec)
		rs_score_items(m, uvec, scores);
	else if (u >= 0 && def->score)
		def->score(m, u, scores);
	else
		memcpy(scores, m->pop, ni * sizeof *scores);
	rs_status st = rs_rank(m, ctx, scores, uvec, k, options, out, n_out, err);
	free(scores);
	return st;
}

static rs_status recommend(const rs_model *m, const char *user, size_t user_len, int k,
                           const rs_opt *options, int exact, rs_reco *out, int *n_out,
                           rs_error *err)
{
	int exclude;
	*n_out = 0;
	rs_status st = rs_check_k(k, err);
	if (st == RS_OK)
		st = rs_exclude_seen_opt(options, &exclude, err);
	if (st == RS_OK)
		st = index_opts(options, err);
	if (st != RS_OK)
		return st;
	if (!m || !user)
		return rs_fail(err, RS_EINVAL, "model and user must not be NULL");
	int32_t u = rs_idmap_find(&m->users, user, user_len);
	rs_rank_ctx ctx = {.exclude_history = exclude, .own_keys = own_keys, .fn = "recommend",
	                   .source = RS_SRC_COLDSTART, .exact = exact};
	if (u >= 0) { /* the user's training row is the history */
		const rs_csr *s = &m->seen;
		ctx.items = s->indices + s->indptr[u];
		ctx.weights = s->data + s->indptr[u];
		ctx.ts = s->ts ? s->ts + s->indptr[u] : NULL;
		ctx.buy_ts = m->pair_buy ? m->pair_buy + s->indptr[u] : NULL;
		ctx.n = (int32_t)(s->indptr[u + 1] - s->indptr[u]);
		ctx.source = m->factors == 0 && !rs_algo_find(m->algo)->score ? RS_SRC_POPULAR
		                                                              : RS_SRC_MODEL;
	}
	st = u >= 0 && m->n_parts > 0 ? rs_hybrid_topk(m, u, &ctx, k, options, out, n_out, err)
	                              : user_rank(m, u, &ctx, k, options, out, n_out, err);
	if (st == RS_OK)
		rs_recommend_reasons(m, u, options, out, *n_out);
	return st;
}

rs_status rs_recommend(const rs_model *m, const char *user, size_t user_len, int k,
                       const rs_opt *options, rs_reco *out, int *n_out, rs_error *err)
{
	return recommend(m, user, user_len, k, options, 0, out, n_out, err);
}

rs_status rs_recommend_exact(const rs_model *m, const char *user, size_t user_len, int k,
                             const rs_opt *options, rs_reco *out, int *n_out, rs_error *err)
{
	return recommend(m, user, user_len, k, options, 1, out, n_out, err);
}

/* reasons.c: the history item behind each row, unless "reasons": false */
void rs_recommend_reasons(const rs_model *m, int32_t u, const rs_opt *options, rs_reco *out, int n)
{
	if (rs_rank_reasons(options))
		rs_reasons_for_user(m, u, out, n);
	else
		rs_reasons_fill(m, NULL, NULL, 0, RS_WHY_SOURCE, out, n);
}

/* popular_items' own options; the filters and re-ranking it takes are the
 * pipeline's (serve_options.c rows marked RS_FOR_POPULAR). */
static const char *const popular_keys[] = {"measure", "window_days", NULL};

/* The popularity popular_items ranks by: the model's (m->pop: distinct
 * users unless a popularity model was trained with "by": "weight" or a
 * half-life) when neither "measure" nor "window_days" is given, else
 * counted from the stored pairs: distinct users ("users", the default),
 * distinct buyers ("purchases": the pair's last purchase time is its time) or
 * summed weight ("weight": raw weights, so only for models trained with
 * "weighting": "raw", as popularity models are by default) of the pairs whose time (a pair's latest
 * interaction) lies in (now - window_days, now]; items with none are left
 * out. */
static rs_status popular_scores(const rs_model *m, const rs_opt *o, float *scores, rs_error *err)
{
	const rs_opt *meas = o ? rs_opt_get(o, "measure") : NULL;
	const rs_opt *win = o ? rs_opt_get(o, "window_days") : NULL;
	const rs_opt *now = o ? rs_opt_get(o, "now") : NULL;
	int by_weight = 0;
	rs_status st = RS_OK;
	if (meas && (st = rs_serve_option_check(rs_serve_option_find("measure"), meas, err)) != RS_OK)
		return st;
	if (meas && strcmp(meas->string, "users") && strcmp(meas->string, "weight") &&
	    strcmp(meas->string, "purchases")) {
		char sv[RS_SHORT_CAP];
		return rs_fail(err, RS_EINVAL,
		               "option \"measure\" must be one of users|weight|purchases (got \"%s\")",
		               rs_shorten(meas->string, (size_t)-1, sv, sizeof sv));
	}
	by_weight = meas && !strcmp(meas->string, "weight");
	/* purchases: the users who bought the item (events.c); on a model
	 * without an event column every row is a purchase */
	int by_buy = meas && !strcmp(meas->string, "purchases") && m->events.n > 0;
	if (by_buy && m->purchase_ev < 0)
		return rs_fail(err, RS_EINVAL,
		               "option \"measure\": \"purchases\" needs a purchase event: the model was trained "
		               "on events without one (training option \"purchase_event\")");
	if (by_buy && !m->pair_buy)
		return rs_fail(err, RS_EINVAL,
		               "option \"measure\": \"purchases\" needs the purchases the model keeps since "
		               "0.2.0: retrain it");
	if (by_weight && m->weighting != RS_WEIGHT_RAW) /* seen holds the transformed values */
		return rs_fail(err, RS_EINVAL,
		               "option \"measure\": \"weight\" needs the raw weights, and this model was trained "
		               "with \"weighting\": \"%s\" (use a popularity model, or train with \"weighting\": \"raw\")",
		               rs_weighting_name(m->weighting));
	if (win && (st = rs_serve_option_check(rs_serve_option_find("window_days"), win, err)) != RS_OK)
		return st;
	if (now && (st = rs_serve_option_check(rs_serve_option_find("now"), now, err)) != RS_OK)
		return st;
	if (win && !m->seen.ts)
		return rs_fail(err, RS_EINVAL,
		               "option \"window_days\" needs interaction times: train with a \"ts\" column");
	if (!meas && !win) {
		memcpy(scores, m->pop, m->items.n * sizeof *scores);
		return RS_OK;
	}
	double end = now ? now->number : rs_now_seconds();
	double start = win ? end - win->number * 86400.0 : -INFINITY;
	double *sum = rs_calloc(m->items.n + 1, sizeof *sum); /* float sums drift */
	if (!sum)
		return rs_fail(err, RS_ENOMEM, "out of memory counting popularity");
	const rs_csr *x = &m->seen;
	for (int64_t p = 0; p < rs_csr_nnz(x); p++) {
		double t = by_buy ? m->pair_buy[p] : x->ts ? x->ts[p] : NAN; /* purchases: the last one */
		if (by_buy && isnan(t))
			continue; /* never bought */
		if (win && !(t > start && t <= end))
			continue; /* unknown times are outside every window */
		sum[x->indices[p]] += by_weight ? x->data[p] : 1.0;
	}
	for (size_t i = 0; i < m->items.n; i++) /* items nobody had in the window: not popular */
		scores[i] = sum[i] > 0 ? (float)sum[i] : -INFINITY;
	free(sum);
	return RS_OK;
}

rs_status rs_popular(const rs_model *m, int k, const rs_opt *options, rs_reco *out,
                     int *n_out, rs_error *err)
{
	*n_out = 0;
	rs_status st = rs_check_k(k, err);
	if (st != RS_OK)
		return st;
	if (options && options->kind != RS_OPT_OBJECT && options->kind != RS_OPT_NULL)
		return rs_fail(err, RS_EINVAL, "options must be a JSON object");
	const rs_opt *o = options && options->kind == RS_OPT_OBJECT ? options : NULL;
	if (!o || o->n_children == 0) { /* the stored order */
		*n_out = popular_for(m, k, RS_SRC_POPULAR, out);
		return RS_OK;
	}
	rs_rank_ctx ctx = {.own_keys = popular_keys, .fn = "popular_items", .source = RS_SRC_POPULAR,
	                   .taker = RS_FOR_POPULAR};
	float *scores = rs_malloc(rs_mul(m->items.n + 1, sizeof *scores));
	if (!scores)
		st = rs_fail(err, RS_ENOMEM, "out of memory scoring %zu items", m->items.n);
	if (st == RS_OK)
		st = popular_scores(m, o, scores, err);
	if (st == RS_OK)
		st = rs_rank(m, &ctx, scores, NULL, k, o, out, n_out, err);
	free(scores);
	return st;
}

const char *rs_source_name(const rs_model *m, rs_source s)
{
	if ((int)s >= RS_SRC_PART && (int)s < RS_SRC_PART + m->n_parts && m->part_label)
		return m->part_label[s - RS_SRC_PART];
	switch (s) {
	case RS_SRC_MODEL: return rs_model_algorithm(m);
	case RS_SRC_POPULAR: return "popularity";
	case RS_SRC_COLDSTART: return "popularity (unknown user)";
	case RS_SRC_SESSION_EMPTY: return "popularity (empty session)";
	case RS_SRC_FRESH: return rs_model_algorithm(m);
	case RS_SRC_FRESH_EMPTY: return "popularity (no interactions)";
	default: break;
	}
	return "?";
}

const char *rs_reason_text(const rs_model *m, rs_source s)
{
	if ((int)s >= RS_SRC_PART && (int)s < RS_SRC_PART + m->n_parts)
		return rs_reason_text(m->parts[s - RS_SRC_PART],
		                      rs_model_def(m->parts[s - RS_SRC_PART])->split == RS_SPLIT_NONE
		                          ? RS_SRC_POPULAR : RS_SRC_MODEL);
	switch (s) {
	case RS_SRC_MODEL:
		return rs_model_def(m)->reason ? rs_model_def(m)->reason
		                               : "liked by people with similar taste";
	case RS_SRC_POPULAR: return "popular now";
	case RS_SRC_COLDSTART: return "popular now (new visitor)";
	case RS_SRC_SESSION_EMPTY: return "popular now";
	case RS_SRC_FRESH: return rs_reason_text(m, RS_SRC_MODEL);
	case RS_SRC_FRESH_EMPTY: return "popular now";
	default: break;
	}
	return "";
}
