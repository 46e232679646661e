/*
 * config.h - algorithm ids, the training configuration, side-table attributes
 * and the interactions builder.
 * Part of internal.h (not the public API); include internal.h.
 */
#ifndef RS_CONFIG_H
#define RS_CONFIG_H

#include "util.h"



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
	RS_ALGO_IMPORTED = 11, /* recsys_import: vectors trained elsewhere (import.c) */
	RS_ALGO_VAE = 12,      /* Mult-VAE (vae.c) */
	RS_ALGO_TWO_TOWER = 13, /* two_tower.c */
	RS_ALGO__MAX = 31
} rs_algo;

#define RS_BIT(a) (1u << (a))

/* Growable text (the JSON the core writes); rs_text_printf appends. */
/* ---- training configuration ---- */
typedef enum rs_solver { RS_SOLVER_CG = 0, RS_SOLVER_CHOLESKY = 1 } rs_solver;
/* The "index" training option of factor models (ivf.c); 0 (auto) is the
 * default, so configurations of algorithms without it read auto. */
typedef enum rs_index_kind { RS_INDEX_AUTO = 0, RS_INDEX_NONE = 1, RS_INDEX_IVF = 2 } rs_index_kind;
/* Its rows in each factor algorithm's option table. */
#define RS_INDEX_OPTIONS                                                                    \
	{"index", RS_T_CHOICE, offsetof(rs_config, index_kind), RS_INDEX_AUTO, 0, 0, "auto|none|ivf"}, \
	{"index_lists", RS_T_INT, offsetof(rs_config, index_lists), 0, 0, 65536, NULL}
typedef enum rs_pop_by { RS_POP_USERS = 0, RS_POP_WEIGHT = 1 } rs_pop_by;
typedef enum rs_auto_validation {
	RS_AUTO_VALIDATE_AUTO = 0, RS_AUTO_VALIDATE_TIME = 1, RS_AUTO_VALIDATE_USER = 2
} rs_auto_validation;
typedef enum rs_eval_split { RS_EVAL_USER = 0, RS_EVAL_GLOBAL_TIME = 1 } rs_eval_split;
/* The "weighting" training option (weighting.c); ids are stored in model
 * blobs (section 48): never renumber. */
typedef enum rs_weighting { RS_WEIGHT_RAW = 0, RS_WEIGHT_BINARY = 1, RS_WEIGHT_LOG = 2,
                            RS_WEIGHT__COUNT } rs_weighting;
#define RS_WEIGHTING_CHOICES "raw|binary|log"

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
	/* "purchase_event" (events.c): the option as given (NULL: absent),
	 * whether it was null (off), and the resolved index into event_names
	 * (-1: none; without event_weights every row is a purchase) */
	char *purchase_event;
	int purchase_off;
	int purchase_ev;
	char *session_column; /* "session_column" (recommend_for_session) */
	int threads;      /* resolved: >= 1 */
	int seed_int;     /* the "seed" option; copied to seed */
	uint64_t seed;
	int progress;     /* the "progress" option: rs_progress_level */
	int weighting;    /* rs_weighting; -1: the family's default (rs_weighting_resolve) */
	const rs_callbacks *watch; /* rs_config_watch: builders report reading to it */
	/* side tables (bindings read them): sources and chosen columns */
	char *side_source[2];
	size_t n_side_cols[2];
	char **side_cols[2];
	/* als */
	int factors, iterations, cg_steps;
	double regularization, alpha; /* regularization < 0: scaled from data */
	double reg_scale;
	int solver;       /* rs_solver */
	/* factor models: the approximate index (ivf.c) */
	int index_kind;   /* rs_index_kind */
	int index_lists;  /* 0: about sqrt(items) */
	/* popularity */
	double half_life_days; /* 0 = no decay */
	double recency;        /* item-based scoring: history half-life in interactions, 0 = off */
	double ease_dropout;   /* ease: extra ridge per item, times (X^T X)_ii */
	int pop_by;       /* rs_pop_by */
	/* recsys_evaluate's split (evaluate.c); rs_train refuses them */
	int eval_split;        /* rs_eval_split */
	double eval_fraction;  /* global_time: share of timed rows at or after the cut-off */
	int eval_repeats;      /* global_time: items the user had before the cut-off count too */
	int eval_given;        /* one of the three was given */
	/* auto (auto.c) */
	double time_budget;
	unsigned auto_algos;   /* "algorithms": RS_BIT(rs_algo) set, 0 = the default space */
	int auto_validation;   /* rs_auto_validation */
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
	/* two_tower (two_tower.c; also identity_weight of bpr/warp's, above) */
	int tt_dim, tt_hidden, tt_epochs, tt_batch;
	double tt_lr, tt_temp, tt_l2, tt_dropout, tt_history, tt_cold, tt_bias_l2, tt_hard;
	int tt_bias;
	/* imported (import.c; also regularization and alpha, above): the vector
	 * tables' columns by rs_import_col, the interactions source, the
	 * expected dimensions (0: the first row's) and the ALS fold-in switch */
	char *imp_cols[4];
	char *imp_interactions;
	int imp_dims, imp_als;
	/* vae (vae.c; also max_memory_mb, above) */
	int vae_hidden, vae_latent, vae_dec_hidden, vae_epochs, vae_batch, vae_anneal;
	double vae_lr, vae_dropout, vae_beta, vae_decay;
};

/* weighting.c: the option's name, the value a configuration trains with
 * (its own or the family's default), and the transform of one pair's value
 * (1 stays 1 under every kind) and of an array of them. */
const char *rs_weighting_name(int kind);
int rs_weighting_resolve(const rs_config *cfg);
float rs_weighting_value(int kind, float v);
void rs_weighting_apply(int kind, float *data, size_t n);

/* The configuration of recsys_import's options (algorithm "imported", which
 * rs_config_create refuses: it is never trained). */
rs_status rs_config_create_import(const rs_opt *options, int default_threads, rs_config **out,
                                  rs_error *err);

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
/* The rows as they arrive, RS_ROW_BLOCK to a block (rows.c). */
#define RS_ROW_BLOCK ((size_t)1 << 20)
typedef struct rs_row_block {
	int32_t *u, *i; /* user and item indexes (u: the row's place, in rs_rows_to_csr) */
	float *w;
	double *ts;     /* NULL until one of the block's rows has a time */
	uint8_t *ev;    /* event index (events.c; 255 none) and quantity, NULL */
	float *q;       /* until rs_rows_tag names one of the block's rows */
} rs_row_block;

typedef struct rs_rows {
	rs_row_block *blocks;
	size_t n, n_blocks, cap_blocks;
	int has_ts, has_ev;
} rs_rows;

void rs_rows_free(rs_rows *r);
/* Append a row (ts NAN = unknown): RS_ENOMEM, or RS_ELIMIT past 2^32 - 1 rows. */
rs_status rs_rows_append(rs_rows *r, int32_t u, int32_t i, float w, double ts);
/* The last row's event index and quantity (events.c): RS_ENOMEM. */
rs_status rs_rows_tag(rs_rows *r, uint8_t ev, float q);
struct rs_train_ctx;
/* Move the rows into c's indices, data and ts (allocated here), grouped by
 * user in arrival order, start[u] = user u's first (start has nu + 1
 * entries); r is emptied whatever the outcome. ctx (or NULL) is polled
 * once a block: RS_ECANCELLED, RS_ENOMEM. Tagged rows: their events and
 * quantities into *ev and *q in the same order (else NULL). */
rs_status rs_rows_to_csr(rs_rows *r, int32_t nu, int64_t *start, rs_csr *c,
                         struct rs_train_ctx *ctx, uint8_t **ev, float **q);

/* What the builder learns of events and purchases before duplicates merge
 * (events.c; blob sections 45-47 once rs_train hands it to the model). */
typedef struct rs_ev_stats {
	uint8_t *pair_ev;   /* per merged pair: strongest event, 255 none (event models) */
	double *pair_buy;   /* per merged pair: last purchase ts, NAN never (event models) */
	float *pair_qty;    /* per merged pair: quantity purchased (spend = x price) */
	uint32_t *user_ev;  /* users x events: rows per event */
	double *user_buy;   /* users x 4: purchase rows, first and last purchase ts, spend */
	size_t users, pairs;
} rs_ev_stats;
void rs_ev_stats_free(rs_ev_stats *s);
/* Each row's event and quantity while the builder sorts (NULL: untagged);
 * at: the first row of the segment being sorted. */
typedef struct rs_row_tags {
	uint8_t *ev;
	float *q, *tmp;
	int64_t at;
} rs_row_tags;
/* Reorder segment [at, at + n) of the tags as keys (item << 32 | old place). */
void rs_tags_permute(rs_row_tags *t, const uint64_t *keys, int64_t n);
void rs_tags_free(rs_row_tags *t);

/* Progress of one training or evaluation (progress.c): the clock, the
 * phase, the rate limit. It lives in the builder, from the first row read
 * to the end of rs_train / rs_evaluate. */
typedef struct rs_reporter {
	const rs_callbacks *cb; /* NULL, or cb->progress NULL: nothing is reported */
	double t0, last;        /* clock start, last report */
	const char *phase, *unit;
	int64_t step, steps;
	uint64_t rows;
	int candidate;          /* auto: the candidate being tried, 0 outside */
	const char *label;
	int quiet;              /* auto's candidates: phase changes only as ticks */
} rs_reporter;

/* A global time cut-off (time_cut.c), computed by rs_builder_finish on the
 * raw rows when fraction > 0; w_before and ts_before then follow the
 * merged matrix's entries. */
typedef struct rs_time_cut {
	double fraction;    /* asked: share of timed rows at or after the cut-off */
	double at;          /* the cut-off T; NAN when no row has a time */
	uint64_t timed_rows;
	float *w_before;    /* per entry: summed weight of its rows before T (0: none) */
	double *ts_before;  /* per entry: latest time of its rows before T (NAN: none) */
} rs_time_cut;

/* The share of rows auto's validation holds out after the cut-off. */
#define RS_AUTO_VALIDATION_FRACTION 0.2

/* Fill tc (fraction set) from n rows' weights and times (ts NULL: no
 * time, tc->at NAN): RS_OK or RS_ENOMEM. */
rs_status rs_time_cut_rows(rs_time_cut *tc, const float *w, const double *ts, int64_t n);
void rs_time_cut_free(rs_time_cut *tc);

struct rs_builder {
	const rs_config *cfg;
	rs_time_cut cut;    /* asked before rs_builder_finish (evaluate.c, auto) */
	rs_reporter rep;
	rs_idmap users, items;
	rs_rows rows;
	size_t n;           /* rows kept (rows.n; 0 once rs_builder_finish took them) */
	/* counts for the training summary */
	uint64_t rows_read, null_user, null_item, nonpositive, unknown_event;
	rs_attrs side[2];   /* RS_SIDE_ITEMS, RS_SIDE_USERS */
	/* set by rs_builder_finish, handed to the model by rs_train (repurchase.c) */
	uint32_t *user_rows;   /* per user, source rows kept (duplicates counted) */
	double *item_interval; /* per item, typical repurchase interval in seconds, or NULL */
	size_t users_kept, items_kept; /* their lengths */
	rs_ev_stats evs;       /* events and purchases (events.c) */
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

/* events.c: the statistics of b->evs from the rows sorted by user then item. */
rs_status rs_ev_stats_make(rs_builder *b, const rs_csr *sorted, const int64_t *start, int32_t nu,
                           const rs_row_tags *tags, rs_error *err);
/* config.c's "purchase_event": take the option, resolve it once all are read. */
rs_status rs_purchase_event_take(rs_config *c, const rs_opt *o, rs_error *err);
rs_status rs_purchase_event_resolve(rs_config *c, rs_error *err);

/* Aggregate duplicates into a user x item CSR and hand over the id maps.
 * The builder is left empty. ctx (or NULL) is polled every so many rows:
 * RS_ECANCELLED. */
rs_status rs_builder_finish(rs_builder *b, struct rs_train_ctx *ctx, rs_csr *out,
                            rs_idmap *users, rs_idmap *items, uint64_t *duplicates, rs_error *err);

#endif
