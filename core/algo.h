/*
 * algo.h - training: the algorithm context and registry (rs_algo_def), the
 * dense kernels, neighbours, features and threads.
 * Part of internal.h (not the public API); include internal.h.
 */
#ifndef RS_ALGO_H
#define RS_ALGO_H

#include "model.h"

/* ---- algorithms ---- */
/* filters.c: the items table's prices, for the training summary */
typedef struct rs_price_count {
	int column;                        /* the items table had a "price" column */
	int64_t known, unparsed, missing;  /* catalogue items by their price */
} rs_price_count;

typedef struct rs_pool rs_pool;

typedef struct rs_train_ctx {
	const rs_config *cfg;
	const rs_callbacks *cb;
	rs_reporter *rep;    /* progress (NULL: none); sub-contexts share it */
	atomic_int stop;     /* set by the calling thread when the host cancels */
	double lambda;       /* ALS regularization, resolved from data when "auto" */
	const rs_attrs *side;  /* the builder's side tables, [RS_SIDE_ITEMS] and [RS_SIDE_USERS] */
	int64_t side_items, new_items, n_feats; /* content: summary counts */
	int64_t new_users;   /* bpr, warp: users only the users table names (summary) */
	rs_price_count prices; /* the items table's prices (summary) */
	int factors;         /* svd: factor count as resolved (at most min(users, items)) */
	int epochs;          /* vae: epochs and annealing steps as resolved */
	int64_t anneal_steps;
	rs_text note;        /* auto: the search, for the summary */
	const rs_time_cut *cut; /* auto: the global time cut-off of its validation, or NULL */
	rs_pool *pool;       /* threads.c: workers kept between parallel sections (NULL: none);
	                      * sub-contexts share their parent's */
} rs_train_ctx;

int rs_cancelled(rs_train_ctx *ctx);

/* ---- progress (progress.c); every call is a no-op without a reporter ---- */
/* Begin (or continue) reporting to cb; the clock starts at the first call. */
void rs_report_start(rs_reporter *r, const rs_callbacks *cb);
/* A phase begins: `unit` and `steps` (0: not counted) say what it counts. */
void rs_report_phase(rs_reporter *r, const char *phase, const char *unit, int64_t steps);
/* The current phase counts `steps` of `unit` (no report of its own). */
void rs_report_count(rs_reporter *r, const char *unit, int64_t steps);
/* Step `step` (from 1) of the phase is under way; a tick when one is due. */
void rs_report_step(rs_reporter *r, int64_t step);
/* A tick when one is due (rs_cancelled calls it on every poll). */
void rs_report_tick(rs_reporter *r);
/* Rows read so far (the builder, every 1024 rows): "reading" begins at
 * the first, ticks after. */
void rs_report_rows(rs_reporter *r, uint64_t rows);
/* auto: candidate n (label) begins, its phases reported only as ticks;
 * n = -1: the winner's final training (label) begins; n = 0: neither. */
void rs_report_candidate(rs_reporter *r, int n, const char *label);
/* auto: the candidate finished with validation NDCG@10 `score` in
 * `seconds`, or was skipped for `skipped`. Always reported. */
void rs_report_candidate_done(rs_reporter *r, double score, double seconds, const char *skipped);
/* The work is finished: always reported. */
void rs_report_end(rs_reporter *r);
/* Shorthands on a training context. */
#define rs_phase(ctx, phase, unit, steps) rs_report_phase((ctx)->rep, phase, unit, steps)
#define rs_step(ctx, step) rs_report_step((ctx)->rep, step)

/* spd.c: a = a^-1 for the symmetric positive definite n x n matrix a
 * (column-major lower triangle = row-major upper; the other triangle is
 * neither read nor written), by Cholesky and blocks of nb columns (< 1:
 * RS_SPD_BLOCK), polling the host between BLAS calls of bounded size.
 * RS_ENOTPD when a is not positive definite, RS_ECANCELLED. BLAS runs on
 * whatever OpenBLAS thread count the caller set. */
#define RS_SPD_BLOCK 384
rs_status rs_spd_inverse(rs_train_ctx *ctx, double *a, int32_t n, int nb, rs_error *err);
/* qr.c: m (n x l row-major, n >= l) becomes an orthonormal basis Q of its
 * columns (Householder QR by blocks, polling the host between LAPACK calls
 * of bounded size); r (l x l row-major, or NULL) receives the upper
 * triangular R of m = Q R. RS_ECANCELLED, RS_ENOMEM. */
rs_status rs_orthonormal_basis(rs_train_ctx *ctx, float *m, int32_t n, int l, float *r,
                               rs_error *err);

/* history.c: keep in m what fold-in needs to match training (the event
 * weights and columns of ctx->cfg; ALS alpha and ctx->lambda). */
rs_status rs_model_keep_fold(rs_model *m, const rs_train_ctx *ctx, rs_error *err);
void rs_model_free_fold(rs_model *m);
/* auto.c: the ALS winner's alpha and lambda (ctx: the winner's fit). */
void rs_model_keep_als(rs_model *m, const rs_train_ctx *ctx);
/* The history's rows merged by item (weights added, latest ts), sorted by
 * item; the three arrays are malloc'd (n + 1 entries). */
rs_status rs_history_merged(const rs_history *h, int32_t **items, float **w, double **ts,
                            int *n, rs_error *err);
/* fold_in.c, for explain.c: a history's fold-in scores of every item of m
 * (scores padded to RS_BLK), and hybrid component p's view of a history. */
rs_status rs_history_scores(const rs_model *m, const int32_t *s, const float *w, const double *ts,
                            int n, float *scores, rs_error *err);
rs_status rs_history_part(const rs_model *m, int32_t p, const int32_t *s, const float *w,
                          const double *ts, int n, int32_t *ps, float *pw, double *pts, int *pn,
                          rs_error *err);

rs_status rs_als_fit(rs_train_ctx *ctx, const rs_csr *ui, const rs_idmap *users,
                     const rs_idmap *items, float **user_f, float **item_f, rs_error *err);
/* One half-step: solve every row of `x` against fixed `y` (exposed for tests). */
rs_status rs_als_solve(rs_train_ctx *ctx, const rs_csr *c, const float *y,
                       int32_t ny, float *x, rs_error *err);
void rs_als_apply(const float *g, const float *y, const int32_t *idx, const float *w,
                  int64_t n, float alpha, int resid, const float *v, float *out, int f);
double rs_als_lambda(const rs_config *cfg, const rs_csr *ui);
/* g (f x f, upper triangle, row-major) = Y^T Y for the ny x f row-major y,
 * by syrk over chunks of rows of at most RS_GRAM_FLOPS (one call below
 * that), polling ctx between chunks when ctx is not NULL: training and
 * model loading compute the same bits. */
#define RS_GRAM_FLOPS 2e9
rs_status rs_gram(rs_train_ctx *ctx, const float *y, int32_t ny, int f, float *g, rs_error *err);
rs_status rs_popularity_fit(const rs_config *cfg, const rs_csr *ui, float *pop,
                            rs_error *err);

/* ---- the algorithm registry (algos.c) ---- */
/* How a model's score of item i splits over the user's history items j
 * (explain.c: the exact split; reasons.c: the cheap pick). */
typedef enum rs_split {
	RS_SPLIT_DOT = 0, /* w_j y_j . y_i (svd; als's cheap stand-in) */
	RS_SPLIT_NONE,    /* nothing to split (popularity) */
	RS_SPLIT_SIM,     /* w_j sim(j, i) from the kept neighbours (itemknn, content) */
	RS_SPLIT_DENSE,   /* w_j B[j, i] (ease) */
	RS_SPLIT_MEAN,    /* q_j . q_i / n without the bias (bpr, warp) */
	RS_SPLIT_ABLATE,  /* the score's drop when j leaves the tower's input (two_tower) */
} rs_split;

typedef struct rs_algo_def {
	rs_algo id;
	const char *name;
	/* Fit the algorithm's part of m from m->seen (popularity is already
	 * set). NULL: popularity alone. */
	rs_status (*fit)(rs_train_ctx *ctx, rs_model *m, rs_error *err);
	/* Scores of every item for known user u (scores has room for the item
	 * count rounded up to RS_BLK). NULL: factor dot products when the model
	 * has factors, else the popularity order. */
	void (*score)(const rs_model *m, int32_t u, float *scores);
	/* The resolved parameters as JSON members, for the training summary. */
	void (*params)(const rs_train_ctx *ctx, rs_text *t);
	/* The options this algorithm takes beyond the common ones. */
	const rs_opt_spec *options;
	size_t n_options;
	/* Serving traits, data so that serving code never branches on the id: */
	const char *reason;         /* recommend()'s reason for a model row (NULL: "liked by
	                               people with similar taste") */
	const char *similar_reason; /* similar_items()'s (NULL: "close in taste space") */
	rs_split split;             /* how a score splits over the user's history */
	int bias_column;            /* served vectors end with this many bias columns (bpr,
	                               warp: 1; imported: 0-2): cosines and splits leave
	                               them out */
	int mean_fold;              /* sessions fold in as the mean of their items' vectors,
	                               the last column set to 1 (bpr, warp) */
	int no_fold;                /* fresh users and sessions get popular items (imported
	                               vectors without "als") */
	int import_only;            /* made by recsys_import, never trained (imported) */
	int solve_fold;             /* fresh users and sessions: a least-squares solve (als) */
	/* Fresh users and sessions: the user vector (m->factors floats) of a
	 * history's items and weights (w NULL: all 1), the model's weighting
	 * applied (vae: one pass of its encoder). user: the model's index of the
	 * user whose rows these are (recommend() with "fresh"), whose side-table
	 * features count too (two_tower); -1 for a user or session the model
	 * does not know. NULL: the traits above. */
	rs_status (*fold)(const rs_model *m, int32_t user, const int32_t *items, const float *w,
	                  int n, float *x, rs_error *err);
	/* recsys_explain for a nonlinear model: c[r], what history item r
	 * (items, weights w, n) adds to item i's score, user as for fold. NULL:
	 * the split above. */
	rs_status (*explain)(const rs_model *m, int32_t user, const int32_t *items, const float *w,
	                     int n, int32_t i, double *c, rs_error *err);
} rs_algo_def;

/* The definition of a model's algorithm (never NULL for a loaded model). */
const rs_algo_def *rs_model_def(const rs_model *m);

extern const rs_algo_def rs_def_als, rs_def_popularity, rs_def_hybrid, rs_def_auto;

/* hybrid.c: parse "components", derive the part maps, blend at serving. */
rs_status rs_hybrid_components(rs_config *c, const rs_opt *o, rs_error *err);
void rs_hybrid_config_free(rs_config *c);
rs_status rs_hybrid_share_sides(rs_config *c, rs_error *err);
rs_status rs_hybrid_prepare(rs_model *m, rs_error *err);
void rs_hybrid_free_derived(rs_model *m);
/* filters.c: item prices / categories from the items table; the filter
 * options, whose mask (1 = blocked) rs_rank builds with rs_filter_apply. */
rs_status rs_item_meta(rs_model *m, const rs_attrs *a, rs_price_count *pc, rs_error *err);
/* Some item has a price; else the error of a price option (`key`). */
int rs_has_prices(const rs_model *m);
rs_status rs_needs_prices(const rs_model *m, const char *key, rs_error *err);
rs_status rs_filter_check_range(const rs_opt *options, rs_error *err);
int rs_is_filter_option(const char *key);
/* One filter option (rs_is_filter_option(o->key)) into the mask. */
rs_status rs_filter_apply(const rs_model *m, const rs_opt *o, unsigned char *blocked,
                          rs_error *err);

/* fold_in.c: rs_recommend_for_history with the model's index of the user
 * whose rows they are (-1: none), for the fold hook. */
rs_status rs_recommend_for_user_history(const rs_model *m, int32_t user, const rs_history *hy,
                                        int fresh, int k, const rs_opt *options, rs_reco *out,
                                        int *n_out, rs_error *err);
/* train.c: rs_train reporting to rep (rs_evaluate's: one report for the
 * whole evaluation), without the end report. */
rs_status rs_train_reported(const rs_config *cfg, rs_builder *b, const rs_callbacks *cb,
                            rs_reporter *rep, rs_model **out, char **summary, rs_error *err);
/* train.c: fit cfg's algorithm into m, whose seen matrix and ids are set. */
rs_status rs_fit_model(rs_train_ctx *ctx, rs_model *m, rs_error *err);
extern const rs_algo_def rs_def_itemknn, rs_def_content;
extern const rs_algo_def rs_def_svd, rs_def_ease;
extern const rs_algo_def rs_def_bpr, rs_def_warp;
extern const rs_algo_def rs_def_imported;
extern const rs_algo_def rs_def_two_tower;
extern const rs_algo_def rs_def_vae;
/* import.c: the serving traits of one imported model (its fold-in and
 * bias columns vary by model). */
const rs_algo_def *rs_import_def(const rs_model *m);

/* ---- item neighbours (itemknn.c; content reuses them) ---- */
typedef enum rs_knn_weighting { RS_KNN_NONE = 0, RS_KNN_TFIDF = 1, RS_KNN_BM25 = 2 } rs_knn_weighting;
#define RS_KNN_WEIGHTING_CHOICES "none|tfidf|bm25"
/* Item i's neighbours: the topn largest sim(i, j) = (a_i . a_j) /
 * (norms[i] norms[j] + shrink), j != i, for a = rows (item x dim) and cols =
 * its transpose (dim x item). Stored by neighbour: COLUMN i of *sim holds
 * i's neighbours, so row j lists the items that keep j as a neighbour (the
 * row a user's item j contributes to at serving time). */
rs_status rs_knn_topn(rs_train_ctx *ctx, const rs_csr *rows, const rs_csr *cols,
                      const float *norms, double shrink, int topn, rs_csr *sim, rs_error *err);
/* score(u, i) = sum over u's items j among i's neighbours of w_uj sim(i, j)
 * (walks rows j of m->sim); items no neighbour reaches get
 * -1 / (1 + popularity), below every reachable item. */
void rs_knn_score(const rs_model *m, int32_t u, float *scores);

/* ---- side-table entities join the model (lightfm_features.c) ---- */
/* Intern every entity of side table a into the model's items or users and
 * set row_of[entity] (a->ids.n entries) to its index; new items get
 * popularity 0, new users an empty row of seen. Call before fitting factors.
 * *added = how many were new. */
rs_status rs_model_add_entities(rs_model *m, rs_side side, const rs_attrs *a, int32_t *row_of,
                                size_t *added, rs_error *err);

/* ---- side-table features (tokenize.c) ---- */
/* Next token of s[*pos..len): a run of ASCII letters and digits (lower-cased)
 * and bytes >= 0x80; runs of one character are skipped. Writes at most cap
 * bytes to buf and returns the token's length, 0 at the end. */
size_t rs_token_next(const char *s, size_t len, size_t *pos, char *buf, size_t cap);
/* Entity x feature counts from side-table cells; row_of[entity] gives the
 * row (n_rows rows), feature names are interned into feats. */
rs_status rs_attr_features(const rs_config *cfg, rs_side side, const rs_attrs *a,
                           const int32_t *row_of, int32_t n_rows, rs_idmap *feats,
                           rs_csr *counts, rs_error *err);

const rs_algo_def *rs_algo_find(rs_algo id);
const rs_algo_def *rs_algo_named(const char *name);
/* auto's "algorithms" option (auto.c): the families its search may try. */
rs_status rs_auto_algorithms(rs_config *c, const rs_opt *o, rs_error *err);

/* ---- threads: parallel for with dynamic chunks ---- */
typedef void (*rs_range_fn)(void *arg, int32_t begin, int32_t end, int tid);
rs_status rs_parallel_for(rs_train_ctx *ctx, int32_t n, int32_t chunk,
                          int threads, rs_range_fn fn, void *arg, rs_error *err);
int rs_cpu_count(void);
/* A pool for one core call: no thread starts until a section wants one, and
 * rs_train_ctx_end joins and frees them all; NULL when out of memory (the
 * sections then start their own threads). Give it to the top context only,
 * end it on every exit path. */
rs_pool *rs_pool_new(void);
void rs_pool_free(rs_pool *p);
void rs_train_ctx_end(rs_train_ctx *ctx);
/* Threads the pool has now, the caller's included (1: none started). */
int rs_pool_threads(const rs_pool *p);

#endif
