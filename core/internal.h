/*
 * internal.h - structures and helpers shared between core files.
 * Nothing here is part of the public API (recsys.h); unit tests may use it.
 */
#ifndef RS_INTERNAL_H
#define RS_INTERNAL_H

#include "recsys.h"

#include <stdarg.h>
#include <stdatomic.h>


/* Algorithms the core implements (ids are stored in model blobs: never
 * renumber). The registry in algos.c maps them to names and functions. */
typedef enum rs_algo {
	RS_ALGO_ALS = 1,
	RS_ALGO_POPULARITY = 2,
	RS_ALGO_SVD = 3,
	RS_ALGO_ITEMKNN = 4,
	RS_ALGO_EASE = 5,
	RS_ALGO_BPR = 6,
	RS_ALGO_WARP = 7,
	RS_ALGO_CONTENT = 8,
	RS_ALGO_HYBRID = 9,
	RS_ALGO_AUTO = 10,
	RS_ALGO__MAX = 31
} rs_algo;

#define RS_BIT(a) (1u << (a))

/* Growable text (the JSON the core writes); rs_text_printf appends. */
typedef struct rs_text {
	char *buf;
	size_t len, cap;
	int oom;
} rs_text;

/* Fill err with a status and a printf-style message; returns the status. */
rs_status rs_fail(rs_error *err, rs_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- allocation (overflow-checked) ---- */
void *rs_malloc(size_t n);
void *rs_calloc(size_t count, size_t size);
void *rs_realloc(void *p, size_t n);
/* count * size, or SIZE_MAX on overflow */
size_t rs_mul(size_t count, size_t size);

/* ---- string -> dense index map (ids of users and items) ---- */
typedef struct rs_idmap {
	char *pool;      /* id bytes back to back */
	size_t pool_len, pool_cap;
	uint64_t *offs;  /* n + 1 offsets into pool */
	size_t n, cap;
	int32_t *slots;  /* open addressing table, -1 = empty */
	size_t nslots;   /* power of two */
} rs_idmap;

uint64_t rs_hash_bytes(const char *s, size_t len);
void rs_idmap_free(rs_idmap *m);
int32_t rs_idmap_find(const rs_idmap *m, const char *s, size_t len);
rs_status rs_idmap_intern(rs_idmap *m, const char *s, size_t len, int32_t *idx);
const char *rs_idmap_get(const rs_idmap *m, int32_t i, size_t *len);
/* Rebuild the hash slots from pool/offs (after loading a model). */
rs_status rs_idmap_rehash(rs_idmap *m);
size_t rs_idmap_memory(const rs_idmap *m);
rs_status rs_idmap_copy(const rs_idmap *m, rs_idmap *out);

/* ---- compressed sparse rows ---- */
typedef struct rs_csr {
	int32_t nrows, ncols;
	int64_t *indptr;   /* nrows + 1 */
	int32_t *indices;  /* nnz, sorted within a row */
	float *data;       /* nnz */
	double *ts;        /* nnz, or NULL when the source had no time */
} rs_csr;

void rs_csr_free(rs_csr *c);
rs_status rs_csr_copy(const rs_csr *c, rs_csr *out);
static inline int64_t rs_csr_nnz(const rs_csr *c) { return c->indptr ? c->indptr[c->nrows] : 0; }
/* t = transpose of c (data and ts carried along). */
rs_status rs_csr_transpose(const rs_csr *c, rs_csr *t);
/* Position of column j in row r (rows are sorted: binary search), or -1. */
int64_t rs_csr_find(const rs_csr *c, int32_t r, int32_t j);

/* ---- training configuration ---- */
typedef enum rs_solver { RS_SOLVER_CG = 0, RS_SOLVER_CHOLESKY = 1 } rs_solver;
typedef enum rs_pop_by { RS_POP_USERS = 0, RS_POP_WEIGHT = 1 } rs_pop_by;

/*
 * One option: its name, type, where it lives in rs_config, default and
 * range. config.c holds the options every algorithm takes; each algorithm
 * lists its own in its rs_algo_def, so adding one touches only its file and
 * the fields below.
 */
typedef enum rs_opt_type {
	RS_T_INT,    /* int field, integral number in [lo, hi] */
	RS_T_NUM,    /* double field, number in [lo, hi] */
	RS_T_CHOICE, /* int field: index into the '|'-separated choices */
	RS_T_BOOL,   /* int field, 0 or 1 */
	RS_T_TEXT    /* char * field (owned), non-empty string */
} rs_opt_type;

typedef struct rs_opt_spec {
	const char *name;
	rs_opt_type type;
	size_t offset;        /* offsetof(rs_config, field) */
	double def, lo, hi;   /* default (choices: index) and numeric range */
	const char *choices;  /* RS_T_CHOICE */
} rs_opt_spec;

struct rs_config {
	rs_algo algo;
	char *columns[RS_COL__COUNT];
	size_t n_events;
	char **event_names;
	double *event_weights;
	char *session_column; /* "session_column" (recommend_for_session) */
	int threads;      /* resolved: >= 1 */
	int seed_int;     /* the "seed" option; copied to seed */
	uint64_t seed;
	/* side tables (bindings read them): sources and chosen columns */
	char *side_source[2];
	size_t n_side_cols[2];
	char **side_cols[2];
	/* als */
	int factors, iterations, cg_steps;
	double regularization, alpha; /* regularization < 0: scaled from data */
	double reg_scale;
	int solver;       /* rs_solver */
	/* popularity */
	double half_life_days; /* 0 = no decay */
	double recency;        /* item-based scoring: history half-life in interactions, 0 = off */
	double ease_dropout;   /* ease: extra ridge per item, times (X^T X)_ii */
	int pop_by;       /* rs_pop_by */
	/* auto (auto.c) */
	double time_budget;
	unsigned auto_algos;   /* "algorithms": RS_BIT(rs_algo) set, 0 = the default space */
	/* hybrid (hybrid.c): components, each with its own configuration */
	int n_parts;
	rs_config **part_cfg;
	double *part_weight;
	/* itemknn (neighbors also content) */
	int knn_neighbors, knn_weighting; /* knn_weighting: rs_knn_weighting */
	double knn_shrink, bm25_k1, bm25_b;
	/* svd (also factors, above) */
	int oversampling, power_iters;
	double item_scaling;
	/* ease (also regularization and reg_scale, above) */
	double max_memory_mb;
	/* bpr, warp (lightfm.c; also factors, above) */
	int lfm_epochs, lfm_max_sampled;
	double lfm_lr, lfm_item_alpha, lfm_user_alpha, lfm_identity;
};

/* ---- side-table attributes, as the binding handed them over ---- */
typedef struct rs_attr {
	int32_t entity, column;
	double number;      /* NAN for text */
	uint64_t text_off;  /* into rs_attrs.text */
	uint32_t text_len;
} rs_attr;

typedef struct rs_attrs {
	rs_idmap ids;       /* entities of the side table (may include unseen items) */
	rs_idmap columns;   /* column names */
	rs_attr *cells;
	size_t n, cap;
	char *text;
	size_t text_len, text_cap;
} rs_attrs;

void rs_attrs_free(rs_attrs *a);

/* ---- interactions builder ---- */
typedef struct rs_triplet {
	int32_t u, i;
	float w;
	double ts;
} rs_triplet;

struct rs_builder {
	const rs_config *cfg;
	rs_idmap users, items;
	rs_triplet *rows;
	size_t n, cap;
	int has_ts;
	/* counts for the training summary */
	uint64_t rows_read, null_user, null_item, nonpositive, unknown_event;
	rs_attrs side[2];   /* RS_SIDE_ITEMS, RS_SIDE_USERS */
	/* set by rs_builder_finish, handed to the model by rs_train (repurchase.c) */
	uint32_t *user_rows;   /* per user, source rows kept (duplicates counted) */
	double *item_interval; /* per item, typical repurchase interval in seconds, or NULL */
	size_t users_kept, items_kept; /* their lengths */
};

/* FLT_MAX as the messages print it: weights are kept as float32, and a
 * weight above it is an error (never skipped as if it were non-positive). */
#define RS_FLT_MAX_TEXT "3.4028235e+38"

/* Append a row whose weight is final (> 0, finite); ts NAN = unknown. */
rs_status rs_builder_add_weighted(rs_builder *b, const char *user, size_t user_len,
                                  const char *item, size_t item_len, double w, double ts,
                                  rs_error *err);
/* The error for a builder that holds no usable row. */
rs_status rs_empty_source(const rs_builder *b, rs_error *err);
/* Hold out the latest 20% of each user's interactions (EVAL.md): ties in
 * time by item id, or with random_ties in a seeded order per user (auto's
 * validation: where the time is coarse, a date or a fold number, the id
 * order would hold out each user's highest ids, a biased sample). ctx (or
 * NULL) is polled every 16,384 users: RS_ECANCELLED, RS_ENOMEM. */
struct rs_train_ctx;
rs_status rs_split_holdout(struct rs_train_ctx *ctx, const rs_csr *c, const rs_idmap *items,
                           uint64_t seed, int random_ties, unsigned char *test);

/* Aggregate duplicates into a user x item CSR and hand over the id maps.
 * The builder is left empty. ctx (or NULL) is polled every so many rows:
 * RS_ECANCELLED. */
rs_status rs_builder_finish(rs_builder *b, struct rs_train_ctx *ctx, rs_csr *out,
                            rs_idmap *users, rs_idmap *items, uint64_t *duplicates, rs_error *err);

/* ---- the model ---- */
struct rs_model {
	rs_algo algo;
	rs_idmap users, items;
	rs_csr seen;          /* user x item weights (and ts) of training */
	float *pop;           /* n_items popularity scores */
	int32_t *pop_order;   /* items by popularity, best first */
	int32_t factors;
	float *user_f;        /* n_users x factors */
	float *item_f;        /* n_items x factors */
	uint32_t *item_blk;   /* item factors as bfloat16 in blocks of RS_BLK (derived,
	                       * score.c): half the memory traffic of float32 */
	float *item_maxabs;   /* per factor, max |item_f[., d]| (bounds the error) */
	float *item_gram;     /* ALS: Y^T Y (factors^2, upper triangle), derived at
	                       * load so session fold-in runs no BLAS per call */
	double trained_at;    /* unix seconds of training */
	/* Optional parts; each algorithm fills what it scores with. All are
	 * stored in the blob when present (model_io.c). */
	rs_csr sim;           /* item x item similarities, row i = neighbours of i */
	rs_csr sim_t;         /* derived: its transpose, row i = the items i keeps as
	                       * neighbours (reasons.c: one short row per result) */
	float *dense;         /* item x item dense weights (n_items^2), EASE */
	rs_idmap feats;       /* feature names ("category=books", "text:espresso") */
	rs_csr item_feats;    /* item x feature weights */
	rs_csr user_feats;    /* user x feature weights */
	float *feat_f;        /* feature embeddings, feats.n x factors */
	float *item_price;    /* per item, NAN = unknown (items table "price"), or NULL */
	int32_t *item_cat;    /* per item, index into cats or -1, or NULL */
	rs_idmap cats;        /* category names (items table "category") */
	int32_t n_parts;      /* hybrid components */
	rs_model **parts;
	float *part_w;        /* their blend weights */
	int32_t **part_item;  /* derived: per part, hybrid item -> part item or -1 */
	char **part_label;    /* derived: "hybrid:<algorithm>" per part */
	/* Re-ranking statistics (blob sections 27-28; NULL in older blobs). */
	uint32_t *user_rows;  /* per user, source rows kept at training */
	double *item_interval; /* per item, median repurchase interval (seconds);
	                       * NAN: never repurchased (durable) */
	double price_q[3];    /* derived (rs_rank_prepare): quartiles of users'
	                       * average item price, NAN without prices */
	/* What fold-in needs to match training (history.c; blob sections 30-32):
	 * ALS alpha and the lambda used (NAN: unknown, fold-in uses defaults),
	 * the event_weights map, and the source column of each role. */
	double fold_alpha, fold_lambda;
	rs_idmap events;      /* event names of event_weights (empty: none) */
	double *event_w;      /* their weights, events.n */
	rs_idmap columns;     /* RS_HIST_COLS names: user, item, weight, event, ts,
	                       * session (empty map: not recorded) */
	double recency;       /* ease/itemknn/content "recency" option, 0 = off */
	float *hist_w;        /* derived (recency.c): seen.data x recency factor, or NULL */
};

#define RS_BLK 16

/* Roles of rs_model.columns: rs_column_role, then the session column. */
#define RS_HIST_COLS (RS_COL__COUNT + 1)

/* recency.c: the "recency" option. check: it needs ts at training; prepare:
 * derive hist_w from seen. rs_history_w: the weights item-based scorers use. */
rs_status rs_recency_check(const rs_config *cfg, const rs_csr *seen, rs_error *err);
rs_status rs_recency_prepare(rs_model *m, rs_error *err);
/* seen's data x 0.5^(rank / recency) per user (malloc'd, nnz floats), or NULL. */
float *rs_recency_weights(const rs_csr *seen, double recency);
static inline const float *rs_history_w(const rs_model *m)
{
	return m->hist_w ? m->hist_w : m->seen.data;
}

/* Derived serving structures (popularity order, blocked factors). */
rs_status rs_model_prepare(rs_model *m, rs_error *err);
rs_model *rs_model_alloc(void);

/* ---- algorithms ---- */
typedef struct rs_train_ctx {
	const rs_config *cfg;
	const rs_callbacks *cb;
	atomic_int stop;     /* set by the calling thread when the host cancels */
	double lambda;       /* ALS regularization, resolved from data when "auto" */
	const rs_attrs *side;  /* the builder's side tables, [RS_SIDE_ITEMS] and [RS_SIDE_USERS] */
	int64_t side_items, new_items, n_feats; /* content: summary counts */
	int64_t new_users;   /* bpr, warp: users only the users table names (summary) */
	int factors;         /* svd: factor count as resolved (at most min(users, items)) */
	rs_text note;        /* auto: the search, for the summary */
} rs_train_ctx;

int rs_cancelled(rs_train_ctx *ctx);

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
	int bias_column;            /* served vectors end with a bias column (bpr, warp):
	                               cosines and splits leave it out, sessions fold in as
	                               the mean of their items' vectors */
	int solve_fold;             /* fresh users and sessions: a least-squares solve (als) */
} rs_algo_def;

/* The definition of a model's algorithm (never NULL for a loaded model). */
const rs_algo_def *rs_model_def(const rs_model *m);

extern const rs_algo_def rs_def_als, rs_def_popularity, rs_def_hybrid, rs_def_auto;

/* hybrid.c: parse "components", derive the part maps, blend at serving. */
rs_status rs_hybrid_components(rs_config *c, const rs_opt *o, rs_error *err);
void rs_hybrid_config_free(rs_config *c);
rs_status rs_hybrid_prepare(rs_model *m, rs_error *err);
void rs_hybrid_free_derived(rs_model *m);
/* filters.c: item prices / categories from the items table; the filter
 * options, whose mask (1 = blocked) rs_rank builds with rs_filter_apply. */
rs_status rs_item_meta(rs_model *m, const rs_attrs *a, rs_error *err);
int rs_is_filter_option(const char *key);
/* One filter option (rs_is_filter_option(o->key)) into the mask. */
rs_status rs_filter_apply(const rs_model *m, const rs_opt *o, unsigned char *blocked,
                          rs_error *err);
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
	int32_t n;              /* history length (0: none) */
	int exclude_history;    /* leave history items out (exclude_seen / exclude_items);
	                         * with repurchase_cycle only until they are due again */
	rs_source source;       /* the rows' source */
	const int32_t *part;    /* hybrid: per item of m, the component that contributed
	                         * most (rows get RS_SRC_PART + part[i]), or NULL */
	const char *const *own_keys; /* NULL-terminated keys the caller's own options take
	                         * (e.g. "exclude_seen"): skipped here, listed in errors */
	const char *fn;         /* the SQL function, for error messages ("recommend") */
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
/* repurchase.c: from the builder's rows sorted by user then item (start[u]
 * = first row of user u), each item's median interval between a user's
 * repeated rows of it (NAN: never repurchased); *out is malloc'd. ctx (or
 * NULL) is polled every so many users and items: RS_ECANCELLED. */
rs_status rs_repurchase_intervals(rs_train_ctx *ctx, const rs_triplet *rows, const int64_t *start,
                                  int32_t nu, int32_t ni, double **out, rs_error *err);
/* Is history item i (last bought at ts) due again at `now`? */
int rs_repurchase_due(const rs_model *m, int32_t i, double ts, double now);
/* rs_train: move the builder's row counts and intervals into the model. */
rs_status rs_model_keep_stats(rs_model *m, rs_builder *b, rs_error *err);

/* train.c: fit cfg's algorithm into m, whose seen matrix and ids are set. */
rs_status rs_fit_model(rs_train_ctx *ctx, rs_model *m, rs_error *err);
extern const rs_algo_def rs_def_itemknn, rs_def_content;
extern const rs_algo_def rs_def_svd, rs_def_ease;
extern const rs_algo_def rs_def_bpr, rs_def_warp;

/* ---- item neighbours (itemknn.c; content reuses them) ---- */
typedef enum rs_knn_weighting { RS_KNN_NONE = 0, RS_KNN_TFIDF = 1, RS_KNN_BM25 = 2 } rs_knn_weighting;
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

/* ---- top-k selection ---- */
/* Indices of the k largest scores (skipping -INFINITY), best first.
 * Returns how many were found (<= k). Ties: lower index first. */
int rs_topk(const float *scores, int32_t n, int k, int32_t *idx, float *val);
/* The same k, in no order, by linear-time selection (tmp_*: room for n). */
int rs_topk_unordered(const float *scores, int32_t n, int k, int32_t *idx, float *val,
                      int32_t *tmp_idx, float *tmp_val);

/* ---- scoring ---- */
/* Approximate (bfloat16) scores of every item for a user vector, and the
 * bound on their error: |approx - exact| <= rs_score_error_bound(). */
void rs_score_items(const rs_model *m, const float *uvec, float *scores);
float rs_score_error_bound(const rs_model *m, const float *uvec);
/* Exact float32-factor scores of n chosen items. */
void rs_score_exact(const rs_model *m, const float *uvec, const int32_t *items, int n,
                    float *out);
/* serve.c: exact top-k of the factor scores of uvec (scores: approximate,
 * excluded items -INFINITY; the rows written, or -1 when out of memory). */
int rs_exact_topk(const rs_model *m, const float *uvec, float *scores, int32_t ni, int k,
                  rs_reco *out);
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

/* ---- random numbers (splitmix64) ---- */
static inline uint64_t rs_rand_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}
static inline double rs_rand_unit(uint64_t *s)
{
	return (double)(rs_rand_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- growable text (JSON writer) ---- */

void rs_text_printf(rs_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rs_text_json_string(rs_text *t, const char *s, size_t len);

/* ---- time ---- */
double rs_now_seconds(void);   /* wall clock, unix seconds */
double rs_mono_seconds(void);  /* monotonic */

#endif /* RS_INTERNAL_H */
