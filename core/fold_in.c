/*
 * fold_in.c - recommendations for an anonymous session from the items it
 * touched (recommend_for_items): the session becomes a user the model has
 * never seen, and each family scores it the way it scores its own users.
 *
 *  - als: fold-in, one exact half-step of ALS (Hu, Koren, Volinsky, ICDM
 *    2008) for the new row with the item factors Y fixed:
 *        x = (Y^T Y + lambda I + alpha sum_{i in S} y_i y_i^T)^-1 (1 + alpha) sum_{i in S} y_i
 *    (every session item has weight 1, so c_i = 1 + alpha). Y^T Y is formed
 *    once when the model is loaded (model.c) and the f x f system solved by Cholesky
 *    (LAPACKE_dposv). lambda and alpha are those training used, kept in the
 *    blob (history.c; a model saved before it kept them gets ALS's defaults:
 *    alpha 5 and the data-scaled lambda, rs_als_lambda); the options
 *    "regularization" and "alpha" override them.
 *  - svd (PureSVD): x = sum_{i in S} v_i, the user's x_u V for a 0/1 row.
 *  - bpr, warp: x = mean of the session items' vectors q_i (no gradient
 *    steps), with the bias dimension set to 1 as for trained users.
 *  - two_tower: one pass of its user tower over the items (two_tower.h),
 *    the history weighted by "recency" when the model was trained with it.
 *  - itemknn, content, ease: the algorithm's own scorer on a one-row
 *    interaction matrix holding the session (neighbour / B-row sums).
 *  - popularity: popular items. hybrid: each component as above, blended
 *    by hybrid.c's normalization.
 * Unknown ids are skipped, duplicates count once; a session with no known
 * item gets popular items with source RS_SRC_SESSION_EMPTY. Every path ends
 * in the serving pipeline (rs_rank: filters, re-ranking, top k).
 *
 * Fresh users and recommend_for_session (rs_recommend_for_history) fold in
 * a history read from the source, with weights: als uses c_i = 1 + alpha w_i
 *     x = (Y^T Y + lambda I + alpha sum_i w_i y_i y_i^T)^-1 sum_i (1 + alpha w_i) y_i
 * with the alpha and lambda the model was trained with (kept in the blob),
 * svd the weighted sum sum_i w_i v_i, item-based models their scorer on the
 * weighted row, bpr/warp the plain mean as above. That is one more ALS
 * half-step for the user with Y fixed: for a user the model knows, what
 * training itself computed in its last iteration.
 */
#include "internal.h"
#include "options.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct fold_opts {
	int exclude;          /* leave the history's items out */
	double lambda, alpha; /* < 0: the model's (or ALS defaults) */
} fold_opts;

/* alpha, regularization: checked against the serving options' table. */
static rs_status num_opt(const rs_opt *c, double *out, rs_error *err)
{
	rs_status st = rs_serve_option_check(rs_serve_option_find(c->key), c, err);
	if (st == RS_OK)
		*out = c->number;
	return st;
}

/* A boolean option, or an error naming it. */
static rs_status bool_opt(const rs_opt *c, int *out, rs_error *err)
{
	if (rs_opt_check_bool(c->key, c, err) != RS_OK)
		return err->status;
	*out = c->boolean;
	return RS_OK;
}

/* The options each entry point takes itself; the pipeline's (filters,
 * re-ranking: rerank.c) come on top. recommend()'s are serve.c's. */
static const char *const SESSION_KEYS[] = {"exclude_items", "regularization", "alpha", NULL};
/* exact, probes: recommend()'s index options; a fresh user scores exactly */
static const char *const FRESH_KEYS[] = {"exclude_seen", "fresh", "exact", "probes", NULL};

/*
 * Validate the per-call options of `fn` (the pipeline checks its own keys
 * and refuses unknown ones): recommend_for_items and recommend_for_session
 * take exclude_items (bool) and the als overrides regularization and alpha,
 * a fresh user recommend()'s exclude_seen and fresh (bools).
 */
static rs_status parse_opts(const rs_model *m, const rs_opt *o, int fresh, const char *fn, int k,
                            fold_opts *fo, rs_error *err)
{
	*fo = (fold_opts){.exclude = 1, .lambda = -1, .alpha = -1};
	rs_status st = rs_rank_check(m, o, fn, fresh ? FRESH_KEYS : SESSION_KEYS, k, err);
	for (size_t i = 0; st == RS_OK && o && o->kind == RS_OPT_OBJECT && i < o->n_children; i++) {
		const rs_opt *c = &o->children[i];
		const char *key = c->key ? c->key : "";
		int ignored;
		if (strcmp(key, fresh ? "exclude_seen" : "exclude_items") == 0)
			st = bool_opt(c, &fo->exclude, err);
		else if (fresh && strcmp(key, "fresh") == 0)
			st = bool_opt(c, &ignored, err);
		else if (fresh && (strcmp(key, "exact") == 0 || strcmp(key, "probes") == 0))
			st = rs_serve_option_check(rs_serve_option_find(key), c, err);
		else if (!fresh && strcmp(key, "regularization") == 0)
			st = num_opt(c, &fo->lambda, err);
		else if (!fresh && strcmp(key, "alpha") == 0)
			st = num_opt(c, &fo->alpha, err);
	}
	return st;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* The known items of the list as sorted, distinct indices of m. */
static int32_t *session_items(const rs_model *m, const char *const *items, const size_t *lens,
                              int n_items, int *n)
{
	int32_t *s = rs_malloc(rs_mul((size_t)n_items + 1, sizeof *s));
	*n = 0;
	if (!s)
		return NULL;
	for (int r = 0; r < n_items; r++) {
		int32_t i = items[r] ? rs_idmap_find(&m->items, items[r], lens[r]) : -1;
		if (i >= 0)
			s[(*n)++] = i;
	}
	qsort(s, (size_t)*n, sizeof *s, cmp_i32);
	int w = 0;
	for (int r = 0; r < *n; r++)
		if (w == 0 || s[w - 1] != s[r])
			s[w++] = s[r];
	*n = w;
	return s;
}

/* A history: sorted distinct items of one model with weights (NULL: 1)
 * and latest times (NULL: unknown); user1: the model's index of the user
 * whose rows they are, plus 1 (0: none or unknown). */
typedef struct hist {
	const int32_t *s;
	const float *w;
	int n;
	const double *ts;
	int32_t user1;
} hist;

static double hist_w(const hist *h, int r) { return h->w ? h->w[r] : 1.0; }

/* ALS's alpha and lambda for fold-in: the options, else what the model was
 * trained with, else ALS's defaults (lambda scaled from the data). */
static rs_status als_params(const rs_model *m, const fold_opts *fo, double *alpha,
                            double *lambda, rs_error *err)
{
	*alpha = fo->alpha >= 0 ? fo->alpha : m->fold_alpha;
	*lambda = fo->lambda >= 0 ? fo->lambda : m->fold_lambda;
	if (isfinite(*alpha) && isfinite(*lambda))
		return RS_OK;
	rs_config *cfg = NULL; /* a model from before the blob kept them */
	rs_status st = rs_config_create("als", NULL, 1, &cfg, err);
	if (st != RS_OK)
		return st;
	if (!isfinite(*alpha))
		*alpha = cfg->alpha;
	if (!isfinite(*lambda)) {
		cfg->alpha = *alpha;
		*lambda = rs_als_lambda(cfg, &m->seen);
	}
	rs_config_destroy(&cfg);
	return RS_OK;
}

/* ALS fold-in (header comment): x solves the history's normal equations. */
static rs_status als_fold_in(const rs_model *m, const hist *h, const fold_opts *fo, float *x,
                             rs_error *err)
{
	int f = m->factors;
	double lambda, alpha;
	rs_status st = als_params(m, fo, &alpha, &lambda, err);
	if (st != RS_OK)
		return st;
	const float *g = m->item_gram; /* Y^T Y, derived at load (model.c) */
	double *a = rs_malloc(rs_mul((size_t)f * f + f, sizeof *a)), *rhs = a ? a + (size_t)f * f : NULL;
	if (!a || !g) {
		st = rs_fail(err, RS_ENOMEM, "out of memory folding in the session");
		goto done;
	}
	for (int p = 0; p < f; p++) {
		for (int q = p; q < f; q++)
			a[(size_t)p * f + q] = g[(size_t)p * f + q];
		a[(size_t)p * f + p] += lambda;
		rhs[p] = 0;
	}
	for (int r = 0; r < h->n; r++) {
		const float *y = m->item_f + (size_t)h->s[r] * f;
		double aw = alpha * hist_w(h, r);
		for (int p = 0; p < f; p++) {
			double t = aw * y[p];
			for (int q = p; q < f; q++)
				a[(size_t)p * f + q] += t * y[q];
			rhs[p] += (1.0 + aw) * y[p];
		}
	}
	if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', f, 1, a, f, rhs, 1) != 0) {
		st = rs_fail(err, RS_ENOTPD,
		             "the session's fold-in system is not positive definite; raise \"regularization\"");
		goto done;
	}
	for (int p = 0; p < f; p++)
		x[p] = (float)rhs[p];
done:
	free(a);
	return st;
}

/* The history's user vector for a factor model (header comment). */
static rs_status fold_in_vector(const rs_model *m, const hist *h, const fold_opts *fo, float *x,
                                rs_error *err)
{
	int f = m->factors;
	int mean = rs_model_def(m)->mean_fold;
	if (rs_model_def(m)->fold && m->recency > 0 && h->ts && h->n > 0) {
		/* two_tower with "recency": the history weighted as in training */
		int64_t indptr[2] = {0, h->n};
		float *ones = h->w ? NULL : rs_malloc(rs_mul((size_t)h->n, sizeof *ones));
		for (int r = 0; ones && r < h->n; r++)
			ones[r] = 1.0f;
		rs_csr one = {.nrows = 1, .ncols = m->seen.ncols, .indptr = indptr,
		              .indices = (int32_t *)h->s, .data = h->w ? (float *)h->w : ones,
		              .ts = (double *)h->ts};
		float *rw = h->w || ones ? rs_recency_weights(&one, m->recency) : NULL;
		rs_status st = !rw ? rs_fail(err, RS_ENOMEM, "out of memory weighting the history")
		               : rs_model_def(m)->fold(m, h->user1 - 1, h->s, rw, h->n, x, err);
		free(rw);
		free(ones);
		return st;
	}
	if (rs_model_def(m)->fold) /* user1 - 1: a known user's new rows, or -1 */
		return rs_model_def(m)->fold(m, h->user1 - 1, h->s, h->w, h->n, x, err);
	if (rs_model_def(m)->solve_fold)
		return als_fold_in(m, h, fo, x, err);
	memset(x, 0, (size_t)f * sizeof *x);
	for (int r = 0; r < h->n; r++) {
		float w = mean ? 1.0f : (float)hist_w(h, r);
		for (int d = 0; d < f; d++)
			x[d] += w * m->item_f[(size_t)h->s[r] * f + d];
	}
	if (mean) {
		for (int d = 0; d < f - 1; d++)
			x[d] /= (float)(h->n > 0 ? h->n : 1);
		x[f - 1] = 1; /* the bias dimension (lightfm.c) */
	}
	return RS_OK;
}

/* Scores of every item of m (scores: padded to RS_BLK) for the history h;
 * *has_uvec set when they are factor dot products of uvec. */
static rs_status session_scores(const rs_model *m, const hist *h, const fold_opts *fo,
                                float *scores, float *uvec, int *has_uvec, rs_error *err)
{
	const rs_algo_def *def = rs_algo_find(m->algo);
	*has_uvec = 0;
	if (h->n > 0 && def->score) {
		/* the scorer reads row 0 of `seen`: a one-row matrix of the history */
		rs_model tmp = *m;
		int64_t indptr[2] = {0, h->n};
		float *w = rs_malloc(rs_mul((size_t)h->n, sizeof *w));
		if (!w)
			return rs_fail(err, RS_ENOMEM, "out of memory scoring the session");
		for (int r = 0; r < h->n; r++)
			w[r] = (float)hist_w(h, r);
		tmp.seen = (rs_csr){.nrows = 1, .ncols = m->seen.ncols, .indptr = indptr,
		                    .indices = (int32_t *)h->s, .data = w, .ts = (double *)h->ts};
		tmp.hist_w = NULL; /* the model's belong to its own rows: derive the history's */
		rs_status st = rs_recency_prepare(&tmp, err);
		if (st == RS_OK)
			def->score(&tmp, 0, scores);
		free(tmp.hist_w);
		free(w);
		if (st != RS_OK)
			return st;
	} else if (h->n > 0 && m->factors > 0) {
		rs_status st = fold_in_vector(m, h, fo, uvec, err);
		if (st != RS_OK)
			return st;
		rs_score_items(m, uvec, scores);
		*has_uvec = 1;
	} else {
		memcpy(scores, m->pop, m->items.n * sizeof *scores);
	}
	return RS_OK;
}

typedef struct pair { int32_t i; float w; double ts; } pair;

static int cmp_pair(const void *a, const void *b)
{
	return cmp_i32(&((const pair *)a)->i, &((const pair *)b)->i);
}

/* Component p's view of the history (ph's arrays: n + 1 entries each):
 * its own item indices, sorted. */
static void part_history(const rs_model *m, int32_t p, const hist *h, pair *tmp, hist *ph)
{
	int np = 0;
	int32_t *ps = (int32_t *)ph->s;
	float *pw = (float *)ph->w;
	double *pt = (double *)ph->ts;
	for (int r = 0; r < h->n; r++)
		if (m->part_item[p][h->s[r]] >= 0)
			tmp[np++] = (pair){m->part_item[p][h->s[r]], /* the part's weighting */
			                   rs_weighting_value(m->parts[p]->weighting, (float)hist_w(h, r)),
			                   h->ts ? h->ts[r] : NAN};
	qsort(tmp, (size_t)np, sizeof *tmp, cmp_pair);
	for (int r = 0; r < np; r++) {
		ps[r] = tmp[r].i;
		pw[r] = tmp[r].w;
		pt[r] = tmp[r].ts;
	}
	ph->n = np;
	if (!h->ts)
		ph->ts = NULL;
}

/* For explain.c: every item's fold-in score for a history, as recommend()
 * scores a fresh user (default fold-in parameters). */
rs_status rs_history_scores(const rs_model *m, const int32_t *s, const float *w, const double *ts,
                            int n, float *scores, rs_error *err)
{
	fold_opts fo = {.exclude = 1, .lambda = -1, .alpha = -1};
	hist h = {s, w, n, ts, 0};
	int has_uvec;
	float *uvec = rs_malloc(rs_mul((size_t)m->factors + 1, sizeof *uvec));
	rs_status st = uvec ? session_scores(m, &h, &fo, scores, uvec, &has_uvec, err)
	                    : rs_fail(err, RS_ENOMEM, "out of memory scoring the history");
	free(uvec);
	return st;
}

/* For explain.c: hybrid component p's view of a history (part_history);
 * ps, pw, pts have room for n + 1 entries. */
rs_status rs_history_part(const rs_model *m, int32_t p, const int32_t *s, const float *w,
                          const double *ts, int n, int32_t *ps, float *pw, double *pts, int *pn,
                          rs_error *err)
{
	pair *tmp = rs_malloc(rs_mul((size_t)n + 1, sizeof *tmp));
	if (!tmp)
		return rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	hist h = {s, w, n, ts, 0}, ph = {ps, pw, 0, pts, 0};
	part_history(m, p, &h, tmp, &ph);
	*pn = ph.n;
	free(tmp);
	return RS_OK;
}

/* Hybrid: each component's history scores blended into total (as
 * hybrid.c does), with the best component of every item in bestp. */
static rs_status hybrid_scores(const rs_model *m, const hist *h, const fold_opts *fo,
                               float *total, int32_t *bestp, rs_error *err)
{
	size_t ni = m->items.n, maxpart = 0, maxf = 1, n = (size_t)h->n + 1;
	for (int32_t p = 0; p < m->n_parts; p++) {
		if (m->parts[p]->items.n > maxpart)
			maxpart = m->parts[p]->items.n;
		if ((size_t)m->parts[p]->factors > maxf)
			maxf = (size_t)m->parts[p]->factors;
	}
	float *bestc = rs_calloc(ni, sizeof *bestc), *pw = rs_malloc(rs_mul(n, 4));
	int32_t *ps = rs_malloc(rs_mul(n, 4));
	double *pt = rs_malloc(rs_mul(n, 8));
	pair *tmp = rs_malloc(rs_mul(n, sizeof *tmp));
	float *buf = rs_malloc(rs_mul(((maxpart + RS_BLK - 1) / RS_BLK) * RS_BLK + RS_BLK, 4));
	float *uvec = rs_malloc(rs_mul(maxf, 4));
	rs_status st = RS_OK;
	if (!bestc || !pw || !ps || !pt || !tmp || !buf || !uvec)
		st = rs_fail(err, RS_ENOMEM, "out of memory blending %d components", (int)m->n_parts);
	for (int32_t p = 0; st == RS_OK && p < m->n_parts; p++) {
		int has_uvec;
		hist ph = {ps, pw, 0, pt, 0};
		part_history(m, p, h, tmp, &ph);
		st = session_scores(m->parts[p], &ph, fo, buf, uvec, &has_uvec, err);
		if (st == RS_OK)
			rs_hybrid_blend(m, p, buf, total, bestc, bestp);
	}
	free(bestc); free(pw); free(ps); free(pt); free(tmp); free(buf); free(uvec);
	return st;
}

/* Every item's score for the history (popularity when it has none, or for
 * a popularity model; hybrids blend after the pipeline's exclusions) and
 * the pipeline: filters, re-ranking, top k. ctx names the history. */
static rs_status rank_history(const rs_model *m, const hist *h_raw, const fold_opts *fo,
                              rs_rank_ctx *ctx, rs_source empty_src, int k,
                              const rs_opt *options, rs_reco *out, int *n_out, rs_error *err)
{
	/* the model's weighting, as its training rows had it (a hybrid's parts
	 * apply theirs in part_history) */
	hist hw = *h_raw, *h = &hw;
	float *tw = NULL;
	if (m->weighting != RS_WEIGHT_RAW && h_raw->w && h_raw->n > 0) {
		if (!(tw = rs_malloc(rs_mul((size_t)h_raw->n, sizeof *tw))))
			return rs_fail(err, RS_ENOMEM, "out of memory weighting %d history items", h_raw->n);
		for (int r = 0; r < h_raw->n; r++)
			tw[r] = rs_weighting_value(m->weighting, h_raw->w[r]);
		hw.w = tw;
	}
	size_t ni = m->items.n, padded = ((ni + RS_BLK - 1) / RS_BLK) * RS_BLK;
	float *scores = rs_calloc(padded + RS_BLK, sizeof *scores);
	float *uvec = rs_malloc(rs_mul((size_t)m->factors + 1, sizeof *uvec));
	int32_t *bestp = m->n_parts > 0 ? rs_calloc(ni + 1, sizeof *bestp) : NULL;
	int has_uvec = 0, popular = m->n_parts == 0 && ((m->factors == 0 &&
	                            !rs_algo_find(m->algo)->score) || rs_model_def(m)->no_fold);
	rs_status st = RS_OK;
	*ctx = (rs_rank_ctx){.items = h->s, .weights = h->w, .ts = h->ts, .buy_ts = ctx->buy_ts,
	                     .n = h->n,
	                     .exclude_history = fo->exclude, .source = ctx->source,
	                     .own_keys = ctx->own_keys, .fn = ctx->fn};
	if (!scores || !uvec || (m->n_parts > 0 && !bestp)) {
		st = rs_fail(err, RS_ENOMEM, "out of memory scoring %zu items", ni);
	} else if (h->n == 0 || popular) {
		memcpy(scores, m->pop, ni * sizeof *scores);
		ctx->source = h->n == 0 ? empty_src : RS_SRC_POPULAR;
	} else if (m->n_parts > 0) {
		/* hybrid.c scales by the largest eligible score: exclude first */
		st = rs_rank_exclude(m, ctx, options, k, scores, err);
		if (st == RS_OK)
			st = hybrid_scores(m, h, fo, scores, bestp, err);
		ctx->part = bestp;
	} else {
		st = session_scores(m, h, fo, scores, uvec, &has_uvec, err);
	}
	if (st == RS_OK)
		st = rs_rank(m, ctx, scores, has_uvec ? uvec : NULL, k, options, out, n_out, err);
	free(scores);
	free(uvec);
	free(bestp);
	free(tw);
	return st;
}

rs_status rs_recommend_for_items(const rs_model *m, const char *const *items, const size_t *lens,
                                 int n_items, int k, const rs_opt *options, rs_reco *out,
                                 int *n_out, rs_error *err)
{
	fold_opts fo;
	*n_out = 0;
	rs_status st = rs_check_k(k, err);
	if (st != RS_OK)
		return st;
	if (!m || n_items < 0 || (n_items > 0 && (!items || !lens)))
		return rs_fail(err, RS_EINVAL, "model and items must not be NULL");
	if ((st = parse_opts(m, options, 0, "recommend_for_items", k, &fo, err)) != RS_OK)
		return st;
	int n = 0;
	int32_t *s = session_items(m, items, lens, n_items, &n);
	if (!s)
		return rs_fail(err, RS_ENOMEM, "out of memory reading %d items", n_items);
	hist h = {s, NULL, n, NULL, 0};
	rs_rank_ctx ctx = {.source = RS_SRC_MODEL, .own_keys = SESSION_KEYS,
	                   .fn = "recommend_for_items"};
	st = rank_history(m, &h, &fo, &ctx, RS_SRC_SESSION_EMPTY, k, options, out, n_out, err);
	if (st == RS_OK) /* reasons.c: "similar to X", X a session item */
		rs_reasons_fill(m, s, NULL, rs_rank_reasons(options) ? n : 0, RS_WHY_SIMILAR, out, *n_out);
	free(s);
	return st;
}

rs_status rs_recommend_for_history(const rs_model *m, const rs_history *hy, int fresh, int k,
                                   const rs_opt *options, rs_reco *out, int *n_out,
                                   rs_error *err)
{
	return rs_recommend_for_user_history(m, -1, hy, fresh, k, options, out, n_out, err);
}

rs_status rs_recommend_for_user_history(const rs_model *m, int32_t user, const rs_history *hy,
                                        int fresh, int k, const rs_opt *options, rs_reco *out,
                                        int *n_out, rs_error *err)
{
	fold_opts fo;
	const char *fn = fresh ? "recommend" : "recommend_for_session";
	*n_out = 0;
	rs_status st = rs_check_k(k, err);
	if (st != RS_OK)
		return st;
	if (!m || !hy)
		return rs_fail(err, RS_EINVAL, "model and history must not be NULL");
	if ((st = parse_opts(m, options, fresh, fn, k, &fo, err)) != RS_OK)
		return st;
	int32_t *s = NULL;
	float *w = NULL;
	double *ts = NULL, *buy = NULL;
	uint8_t *verbs = NULL;
	int n = 0;
	st = rs_history_merged(hy, &s, &w, &ts, &n, err);
	if (st == RS_OK) /* events.c: last purchases and reason verbs of the rows read */
		st = rs_history_verbs(hy, s, n, &buy, &verbs, err);
	if (st == RS_OK) {
		hist h = {s, w, n, ts, user >= 0 ? user + 1 : 0};
		rs_rank_ctx ctx = {.source = fresh ? RS_SRC_FRESH : RS_SRC_MODEL, .buy_ts = buy,
		                   .own_keys = fresh ? FRESH_KEYS : SESSION_KEYS, .fn = fn};
		st = rank_history(m, &h, &fo, &ctx, fresh ? RS_SRC_FRESH_EMPTY : RS_SRC_SESSION_EMPTY, k,
		                  options, out, n_out, err);
		if (st == RS_OK) /* reasons.c: the history item behind each row */
			rs_reasons_fill_verbs(m, s, w, verbs, rs_rank_reasons(options) ? n : 0,
			                      fresh ? RS_WHY_HISTORY : RS_WHY_SIMILAR, out, *n_out);
	}
	free(s);
	free(w);
	free(ts);
	free(buy);
	free(verbs);
	return st;
}
