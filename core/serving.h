/*
 * serving.h - the serving pipeline: re-ranking, filters, top-k, scoring,
 * explanations.
 * Part of internal.h (not the public API); include internal.h.
 */
#ifndef RS_SERVING_H
#define RS_SERVING_H

#include "algo.h"

/* ---- the serving pipeline (rerank.c) ----
 * Every serving path (recommend, recommend_for_items, sessions, fresh users)
 * ends in rs_rank: candidates (the best `candidates` by model score among the
 * items that pass) -> filters -> re-rank -> top k. */

/* The user's history as the pipeline sees it: a known user's row of m->seen,
 * or a folded-in history (a session, a fresh user's events). */
typedef struct rs_rank_ctx {
	const int32_t *items;   /* history item indices of m, distinct, any order */
	const float *weights;   /* their weights, or NULL (1 each) */
	const double *ts;       /* their latest unix seconds (NAN = unknown), or NULL */
	const double *buy_ts;   /* their last purchase (events.c; NAN never), or NULL:
	                         * ts (every row a purchase) */
	int32_t n;              /* history length (0: none) */
	int exclude_history;    /* leave history items out (exclude_seen / exclude_items);
	                         * with repurchase_cycle only until they are due again */
	rs_source source;       /* the rows' source */
	const int32_t *part;    /* hybrid: per item of m, the component that contributed
	                         * most (rows get RS_SRC_PART + part[i]), or NULL */
	const char *const *own_keys; /* NULL-terminated keys the caller's own options take
	                         * (e.g. "exclude_seen"): skipped here, listed in errors */
	const char *fn;         /* the SQL function, for error messages ("recommend") */
	int exact;              /* score every item even when the model has an
	                         * approximate index (recommend_batch) */
	unsigned taker;         /* 0: every pipeline option; else only those whose
	                         * row (serve_options.c) names this RS_FOR_* */
} rs_rank_ctx;

/* Validate `options` for an entry point: an object (or NULL) whose keys are
 * the caller's own (own_keys, NULL-terminated) or the pipeline's (filters and
 * re-ranking); wrong types and values are RS_EINVAL naming the key. k is the
 * request's k (checked against "candidates"). */
/* Whether the rows get their history item named (option "reasons", default
 * true; false saves the pick, reasons.c, and `reason` gives the source text). */
int rs_rank_reasons(const rs_opt *options);
rs_status rs_rank_check(const rs_model *m, const rs_opt *options, const char *fn,
                        const char *const *own_keys, int k, rs_error *err);
/* Is `key` a pipeline option (filters and re-ranking)? */
int rs_rank_option(const char *key);

/*
 * The pipeline. scores: every item's model score (m->items.n entries, padded
 * to RS_BLK when uvec is set; -INFINITY = excluded); rs_rank writes to it.
 * uvec: the user vector when scores are approximate factor scores
 * (rs_score_items): candidates are then rescored exactly (exact_topk), else
 * NULL. Applies the history exclusion, the filter mask and the re-ranking
 * options, and writes min(k, items passing) rows to out (room for k).
 */
rs_status rs_rank(const rs_model *m, const rs_rank_ctx *ctx, float *scores, const float *uvec,
                  int k, const rs_opt *options, rs_reco *out, int *n_out, rs_error *err);
/* Derived at load (rs_model_prepare): users' average item price quartiles. */
rs_status rs_rank_prepare(rs_model *m, rs_error *err);
/* The pipeline's first step alone: set the scores of the items the options
 * and the history leave out to -INFINITY (hybrid blends scale by the largest
 * eligible score, so they mask first). */
rs_status rs_rank_exclude(const rs_model *m, const rs_rank_ctx *ctx, const rs_opt *options, int k,
                          float *scores, rs_error *err);
/* mmr.c: k of the n candidates c into out by maximal marginal relevance
 * with lambda lam over the relevance rel (lam 0: relevance order), the
 * demoted after all others; the rows written, -1 when out of memory. */
int rs_mmr(const rs_model *m, const rs_reco *c, int n, int k, float lam, const float *rel,
           const unsigned char *demoted, rs_reco *out);
/* hybrid.c: known user u's blended scores through the pipeline. */
rs_status rs_hybrid_topk(const rs_model *m, int32_t u, const rs_rank_ctx *ctx, int k,
                         const rs_opt *options, rs_reco *out, int *n_out, rs_error *err);
/* profile.c: mean price of the history items that have one (NAN: none), and
 * its spending segment (0 small .. 3 high, -1 unknown). */
double rs_history_avg_price(const rs_model *m, const int32_t *items, int32_t n);
int rs_spending_segment(const rs_model *m, double avg_price);
/* repurchase.c: from the builder's rows sorted by user then item (items
 * and their times ts; start[u] = first row of user u), each item's median
 * interval between a user's
 * repeated rows of it (NAN: never repurchased); with ev (each row's event)
 * only the rows of event `purchase` count; *out is malloc'd. ctx (or
 * NULL) is polled every so many users and items: RS_ECANCELLED. */
rs_status rs_repurchase_intervals(rs_train_ctx *ctx, const int32_t *items, const double *ts,
                                  const uint8_t *ev, int purchase, const int64_t *start,
                                  int32_t nu, int32_t ni, double **out, rs_error *err);
/* Is history item i (last bought at ts) due again at `now`? */
int rs_repurchase_due(const rs_model *m, int32_t i, double ts, double now);
/* rs_train: move the builder's row counts and intervals into the model. */
rs_status rs_model_keep_stats(rs_model *m, rs_builder *b, rs_error *err);


/* ---- top-k selection ---- */
/* Indices of the k largest scores (skipping -INFINITY), best first.
 * Returns how many were found (<= k). Ties: lower index first. */
int rs_topk(const float *scores, int32_t n, int k, int32_t *idx, float *val);
/* The same k, in no order, by linear-time selection (tmp_*: room for n). */
int rs_topk_unordered(const float *scores, int32_t n, int k, int32_t *idx, float *val,
                      int32_t *tmp_idx, float *tmp_val);

/* ---- scoring ---- */
/* Approximate (int8) scores of every item for a user vector, and the
 * bound on their error: |approx - exact| <= rs_score_error_bound(). */
void rs_score_items(const rs_model *m, const float *uvec, float *scores);
/* The same for nb blocks of quantised items laid out like m->item_q
 * (scores for nb x RS_BLK items). */
void rs_score_qblocks(const rs_model *m, const uint8_t *blk, size_t nb, const float *uvec,
                      float *out);
/* model.c: items rows[0..n) (NULL: 0..n) as int8 codes in blocks at blk
 * (room for ceil(n / RS_BLK) blocks); the largest sum of |code| of a row. */
int32_t rs_quantise_rows(const rs_model *m, const int32_t *rows, int32_t n, uint8_t *blk);

/* ---- the approximate index (ivf.c) ---- */
/* What a search leaves out: a filter mask (1 = blocked, or NULL) and the
 * sorted history items excluded; probes: lists to scan at least. */
typedef struct rs_ivf_query {
	const unsigned char *blocked;
	const int32_t *hist;
	int32_t n_hist;
	int probes;
} rs_ivf_query;
int32_t rs_ivf_default_lists(int64_t n_items);
int rs_ivf_default_probes(const rs_model *m);
/* k-means lists over m's item factors (nlist 0: the default). */
rs_status rs_ivf_build(rs_train_ctx *ctx, rs_model *m, int32_t nlist, uint64_t seed, rs_error *err);
/* rs_train: build it when the configuration asks ("index" option). */
rs_status rs_ivf_train(rs_train_ctx *ctx, rs_model *m, rs_error *err);
/* Derived at load: the codes list by list. */
rs_status rs_ivf_prepare(rs_model *m, rs_error *err);
void rs_ivf_free(rs_model *m);
/* The best `want` eligible items of the probed lists, exact scores, best
 * first; -1 out of memory, -2 every list probed (score exactly instead). */
int rs_ivf_search(const rs_model *m, const float *u, const rs_ivf_query *q, int want,
                  rs_reco *out);
/* rerank.c: the pipeline on the index's candidates (known factor users);
 * *exhausted set when the caller must take the exact path instead. */
rs_status rs_rank_index(const rs_model *m, const rs_rank_ctx *ctx, const float *uvec, int k,
                        const rs_opt *options, rs_reco *out, int *n_out, int *exhausted,
                        rs_error *err);

/* Tests and benches: nonzero forces the portable kernel (same results). */
extern int rs_score_portable;
float rs_score_error_bound(const rs_model *m, const float *uvec);
/* Exact float32-factor scores of n chosen items. */
void rs_score_exact(const rs_model *m, const float *uvec, const int32_t *items, int n,
                    float *out);
/* serve.c: exact top-k of the factor scores of uvec (scores: approximate,
 * excluded items -INFINITY; the rows written, or -1 when out of memory). */
int rs_exact_topk(const rs_model *m, const float *uvec, float *scores, int32_t ni, int k,
                  rs_reco *out);
/* serve.c: the exact top k from a pool idx[0..n) (n >= 1) of the best
 * approximate scores of uvec's items, the lowest of them `low`; more: an
 * eligible item may lie outside the pool. The rows written, -2 when they
 * are not provably exact (rescore every eligible item instead), -1 when out
 * of memory. Scores within rs_score_error_bound of the exact ones give the
 * same rows as the int8 ones. */
int rs_exact_from_pool(const rs_model *m, const float *uvec, const int32_t *idx, int n, float low,
                       int more, int k, rs_reco *out);
/* serve.c: recommend()'s option exclude_seen (default 1), type-checked. */
rs_status rs_exclude_seen_opt(const rs_opt *o, int *exclude, rs_error *err);
/* serve.c: recommend()'s last step on known user u's rows (u < 0: none):
 * each row's history item, unless "reasons": false. */
/* rs_recommend as with "exact": true: what recommend_batch's rows are. */
rs_status rs_recommend_exact(const rs_model *m, const char *user, size_t user_len, int k,
                             const rs_opt *options, rs_reco *out, int *n_out, rs_error *err);
void rs_recommend_reasons(const rs_model *m, int32_t u, const rs_opt *options, rs_reco *out, int n);
/* rerank.c: the options of a batch (batch.c) parsed once for all its users. */
typedef struct rs_rank_plan {
	int reranks;            /* a re-ranking option is on (the pool is approximate scores) */
	int repurchase;         /* repurchase_cycle */
	double now;             /* its "now" (default: the time of the call) */
	unsigned char *blocked; /* filter mask, 1 = left out (NULL: no filter); free() it */
} rs_rank_plan;
rs_status rs_rank_plan_make(const rs_model *m, const rs_opt *options, const char *fn,
                            const char *const *own_keys, int k, rs_rank_plan *plan, rs_error *err);
/* hybrid.c: add component p's normalized, weighted scores buf (its own item
 * indices) into total (items at -INFINITY stay there), tracking the best part. */
void rs_hybrid_blend(const rs_model *m, int32_t p, const float *buf, float *total, float *bestc,
                     int32_t *bestp);

/* ---- explanations (explain.c, reasons.c) ---- */
/* What history item j (weight w, of a history of n_hist items) adds to item
 * i's score in a non-hybrid model; for als the W_u-free y_j . y_i stand-in. */
double rs_pair_contribution(const rs_model *m, int32_t j, float w, int32_t i, int32_t n_hist);
/* Set every row's because / why: the history item (indices of m; w NULL = 1
 * each) that adds most to the row's item, named as `why`. Rows from
 * popularity get none. Call it on the final rows of a serving path. */
void rs_reasons_fill(const rs_model *m, const int32_t *hist, const float *w, int32_t n_hist,
                     rs_why why, rs_reco *out, int n);
/* The same, with each history entry's verb (events.c RS_VERB_*; NULL: neutral). */
void rs_reasons_fill_verbs(const rs_model *m, const int32_t *hist, const float *w,
                           const uint8_t *verbs, int32_t n_hist, rs_why why, rs_reco *out, int n);
/* rs_reasons_fill with known user u's training history (u < 0: nothing). */
void rs_reasons_for_user(const rs_model *m, int32_t u, rs_reco *out, int n);

/* a . b with 8 partial sums: vector lanes without reassociation (a single
 * running sum is a chain of dependent adds; BLAS would wake its threads). */
static inline __attribute__((always_inline)) float rs_dot(const float *a, const float *b, int n)
{
	float acc[8] = {0};
	int k = 0;
	for (; k + 8 <= n; k += 8)
		for (int j = 0; j < 8; j++)
			acc[j] += a[k + j] * b[k + j];
	float s = 0;
	for (; k < n; k++)
		s += a[k] * b[k];
	for (int j = 0; j < 8; j++)
		s += acc[j];
	return s;
}

#endif
