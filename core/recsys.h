/*
 * recsys.h - the public API of the recsys math core.
 *
 * The core is plain C11 with libc, cblas and lapacke only. It knows nothing of
 * databases: the PostgreSQL and SQLite bindings read rows and JSON options with
 * their own machinery, hand them to the core as plain values, and turn the
 * rs_status + message the core returns into their own errors.
 *
 * Conventions (STYLE.md 7-13):
 *  - every fallible function returns rs_status and fills an rs_error;
 *  - results come back through out-pointers; create/destroy pairs, destroy
 *    takes T ** and clears the caller's pointer;
 *  - the core never prints, exits, aborts or longjmps; callbacks to the host
 *    run only on the calling thread.
 */
#ifndef RECSYS_H
#define RECSYS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RS_VERSION "0.2.0"

/* Largest k that serving accepts; beyond it the request is refused. */
#define RS_MAX_K 100000

/* ------------------------------------------------------------------ */
/* Status and errors                                                   */
/* ------------------------------------------------------------------ */

typedef enum rs_status {
	RS_OK = 0,
	RS_EINVAL,     /* invalid argument or option value */
	RS_ENOMEM,     /* allocation failed */
	RS_ELIMIT,     /* a configured or hard limit would be exceeded */
	RS_ENOTPD,     /* solver failure: matrix not positive definite */
	RS_ECANCELLED, /* the host's cancel callback asked to stop */
	RS_ECORRUPT,   /* a model blob failed its checks */
	RS_EDATA,      /* bad training data: empty, non-finite weights, ... */
	RS_ENOTFOUND   /* an id the model does not know (where that is an error) */
} rs_status;

typedef struct rs_error {
	rs_status status;
	char msg[512]; /* lower-case, no final period, names the problem */
} rs_error;

/* Short text for a status ("invalid argument", ...). */
const char *rs_status_str(rs_status s);

/* Longest name or id, in bytes, that an error message echoes: a longer one
 * is cut to at most this many bytes, at a UTF-8 character boundary, and
 * followed by "..." (both bindings and the core use rs_shorten). */
#define RS_SHORT_BYTES 64
/* Size of a buffer that holds any rs_shorten result. */
#define RS_SHORT_CAP (RS_SHORT_BYTES + 4)

/* Copy `text` (len bytes, or up to its NUL; (size_t)-1 for a NUL-terminated
 * string) into buf (cap bytes, RS_SHORT_CAP for the full length) for an
 * error message: whole when it has at most RS_SHORT_BYTES bytes (and fits
 * cap), else its first bytes up to a character boundary and "...". An
 * embedded NUL ends the text. Returns buf, always NUL-terminated (empty when
 * cap < 4, too small for "..."). */
const char *rs_shorten(const char *text, size_t len, char *buf, size_t cap);

/* Is a source text a query rather than a table or view name (source_kind.c)?
 * 1 when its first token, after white space, -- and block comments and any
 * opening parentheses, is SELECT, WITH, VALUES or TABLE as a whole word
 * (case-insensitive); 0 otherwise (also for NULL). Both bindings decide with
 * it: a query is wrapped as a subquery, anything else is a relation name. */
int rs_source_is_query(const char *source);

/* ------------------------------------------------------------------ */
/* Options: a JSON-shaped tree that bindings build from jsonb / json1.  */
/* The core only reads it; the binding owns its memory.                */
/* ------------------------------------------------------------------ */

typedef enum rs_opt_kind {
	RS_OPT_NULL = 0,
	RS_OPT_BOOL,
	RS_OPT_NUMBER,
	RS_OPT_STRING,
	RS_OPT_ARRAY,
	RS_OPT_OBJECT
} rs_opt_kind;

typedef struct rs_opt rs_opt;
struct rs_opt {
	rs_opt_kind kind;
	const char *key;  /* member name inside an object, NUL-terminated; else NULL */
	int boolean;      /* RS_OPT_BOOL */
	double number;    /* RS_OPT_NUMBER */
	const char *string; /* RS_OPT_STRING, NUL-terminated */
	size_t n_children;  /* RS_OPT_ARRAY / RS_OPT_OBJECT */
	const rs_opt *children;
};

/* Member `key` of an object, or NULL. A NULL or non-object `obj` gives NULL. */
const rs_opt *rs_opt_get(const rs_opt *obj, const char *key);

/* ------------------------------------------------------------------ */
/* Training configuration                                              */
/* ------------------------------------------------------------------ */

typedef struct rs_config rs_config;

/* Which source column plays which role. */
typedef enum rs_column_role {
	RS_COL_USER = 0,
	RS_COL_ITEM,
	RS_COL_WEIGHT,
	RS_COL_EVENT,
	RS_COL_TS,
	RS_COL__COUNT
} rs_column_role;

/*
 * Validate `algorithm` ("als", "popularity", ...) and `options` (an object or
 * NULL) and build a configuration. Unknown algorithms, unknown keys, wrong
 * types and out-of-range values are RS_EINVAL with a message naming the key.
 * `default_threads` (0 = all cores) applies when options carry no "threads".
 */
rs_status rs_config_create(const char *algorithm, const rs_opt *options,
                           int default_threads, rs_config **out, rs_error *err);
void rs_config_destroy(rs_config **cfg);

/* Column name for a role: the option "<role>_column" or the default
 * (user_id, item_id, weight, event, ts). Never NULL. */
const char *rs_config_column(const rs_config *cfg, rs_column_role role);

/* Canonical algorithm name of the configuration. */
const char *rs_config_algorithm(const rs_config *cfg);

/* Comma-separated list of the algorithms the core knows, for error hints. */
const char *rs_algorithms(void);
/* Is `name` exactly (case-sensitive) the name of an algorithm the core
 * knows? 1 or 0 (0 for NULL). Both bindings' recsys_evaluate() ask it
 * whether their argument names an algorithm or a stored model. */
int rs_is_algorithm(const char *name);

/* Is `name` an algorithm whose models are imported, never trained
 * ("imported")? recsys_evaluate of such a stored model measures it as it
 * is (rs_evaluate_model) instead of retraining. */
int rs_is_imported_algorithm(const char *name);

/* Side tables: item attributes (category, tags, text, price, ...) and user
 * attributes (age group, location, ...), named by the options "items" and
 * "users" as a table, view or query with an id column (item_id / user_id,
 * or the item_column / user_column option) and attribute columns. */
typedef enum rs_side { RS_SIDE_ITEMS = 0, RS_SIDE_USERS = 1 } rs_side;

/* The side table's source text, or NULL when the options name none. */
const char *rs_config_side_source(const rs_config *cfg, rs_side side);
/* Whether a side-table column is to be read ("item_features" /
 * "user_features" list them; by default every column but the id). */
int rs_config_side_column_wanted(const rs_config *cfg, rs_side side, const char *column);

/* ------------------------------------------------------------------ */
/* Interactions: the binding streams rows into a builder.               */
/* ------------------------------------------------------------------ */

typedef struct rs_builder rs_builder;

rs_status rs_builder_create(const rs_config *cfg, rs_builder **out, rs_error *err);
void rs_builder_destroy(rs_builder **b);

/* One row of the source.
 *  user/item: bytes of the id as text; NULL pointer = SQL NULL (skipped, counted).
 *  weight: ignored unless has_weight; SQL NULL weight -> pass has_weight = 0
 *          and it counts as 1. Non-finite weight -> RS_EDATA.
 *          weight <= 0 rows are skipped and counted.
 *  event: NULL when there is no event column or the value is NULL. When the
 *         options have event_weights, the event's weight multiplies the row
 *         weight; events not in the map are skipped and counted.
 *  ts: unix seconds; ignored unless has_ts.
 * Duplicate (user, item) pairs aggregate: weights add, the latest ts wins. */
rs_status rs_builder_add(rs_builder *b, const char *user, size_t user_len,
                         const char *item, size_t item_len, int has_weight,
                         double weight, const char *event, size_t event_len,
                         int has_ts, double ts, rs_error *err);

/* One cell of a side table: entity id, column name, and the value as text
 * (is_number = 0) or a number (is_number = 1). NULL text is skipped. */
rs_status rs_builder_add_attribute(rs_builder *b, rs_side side, const char *id, size_t id_len,
                                   const char *column, const char *text, size_t text_len,
                                   int is_number, double number, rs_error *err);

/* ------------------------------------------------------------------ */
/* Host callbacks, polled on the calling thread between units of work. */
/* ------------------------------------------------------------------ */

/* What a progress report says (core/progress.c). */
typedef enum rs_progress_event {
	RS_PROGRESS_PHASE = 0, /* a phase began */
	RS_PROGRESS_TICK,      /* still in the phase (at most one per interval) */
	RS_PROGRESS_CANDIDATE, /* auto: a candidate finished, or was skipped */
	RS_PROGRESS_END        /* rs_train / rs_evaluate finished their work */
} rs_progress_event;

typedef struct rs_progress {
	rs_progress_event event;
	/* "reading", "building", "splitting", "popularity", "als", "ease gram",
	 * "ease inverse", "ease weights", "svd", "itemknn", "content", "bpr",
	 * "warp", "auto split", "validating", "evaluating", "done", ... (static) */
	const char *phase;
	const char *unit;     /* what step counts ("iteration", "epoch", "step"), or NULL */
	int64_t step, steps;  /* step (from 1) of steps; steps 0: not counted */
	uint64_t rows_read;   /* source rows handed to the builder so far */
	double elapsed;       /* seconds since the builder was created */
	/* auto: the candidate being tried (from 1; 0 outside the search), its
	 * algorithm and options ("als alpha=10"); RS_PROGRESS_CANDIDATE adds its
	 * validation NDCG@10, its seconds, and why it was skipped (NULL: it ran) */
	int candidate;
	const char *label;
	double score, seconds;
	const char *skipped;
} rs_progress;

/* Seconds between two ticks when rs_callbacks.interval is 0. */
#define RS_PROGRESS_INTERVAL 1.0

/* One report as one line of text, the same in both bindings: `what` and
 * `name` (either may be NULL) lead, then the report, e.g.
 *   train "m": reading, 1200000 rows read, 3.2 s
 *   train "m": als iteration 7/15, 12.3 s
 *   train "m": auto candidate 3 (als alpha=10): als iteration 2/15, 4.0 s
 *   train "m": auto candidate 3 (als alpha=10): ndcg@10 0.1234 in 2.1 s
 *   train "m": done, 25000000 rows read, 62.0 s
 * Writes at most cap bytes (NUL included) to buf; returns the text's
 * length as snprintf does. */
size_t rs_progress_format(const rs_progress *p, const char *what, const char *name, char *buf,
                          size_t cap);

typedef struct rs_callbacks {
	/* Return nonzero to cancel; the core cleans up and returns RS_ECANCELLED. */
	int (*cancel)(void *ctx);
	void *ctx;
	/* Progress reports (NULL: none): every phase change, each candidate of
	 * auto, the end, and in between at most one tick per `interval` seconds
	 * (0: RS_PROGRESS_INTERVAL), so the host need not rate-limit. Called on
	 * the calling thread, where cancel is polled; it must not fail. */
	void (*progress)(const rs_progress *p, void *progress_ctx);
	void *progress_ctx;
	double interval;
} rs_callbacks;

/* The option "progress" of a configuration: where the binding sends the
 * reports (the core only validates the word). */
typedef enum rs_progress_level {
	RS_PROGRESS_UNSET = -1, /* not in the options: the binding's default */
	RS_PROGRESS_OFF = 0,
	RS_PROGRESS_NOTICE,
	RS_PROGRESS_INFO,
	RS_PROGRESS_LOG
} rs_progress_level;
rs_progress_level rs_config_progress(const rs_config *cfg);

/* Report the reading of the source too: the builders created from cfg
 * afterwards tick to cb (which must outlive them) while rows are added,
 * and their clock starts when they are created. Without it the report
 * starts in rs_train / rs_evaluate. */
void rs_config_watch(rs_config *cfg, const rs_callbacks *cb);

/* ------------------------------------------------------------------ */
/* Models                                                               */
/* ------------------------------------------------------------------ */

typedef struct rs_model rs_model;

/*
 * Train a model on the builder's interactions. The builder is consumed
 * (left empty) whatever the outcome. `cb` may be NULL. On success *out holds
 * the model and *summary_json a malloc'd JSON object text describing the
 * training (free with rs_free).
 */
rs_status rs_train(const rs_config *cfg, rs_builder *b, const rs_callbacks *cb,
                   rs_model **out, char **summary_json, rs_error *err);

void rs_model_destroy(rs_model **m);

/*
 * Import vectors trained elsewhere (core/import.c): a model of algorithm
 * "imported" from user and item vectors (Spark MLlib ALS's userFactors /
 * itemFactors: an id and a float array per row), optional bias columns and
 * an optional interactions source. The binding creates an import from the
 * options, reads the two vector sources (the columns rs_import_column
 * names) into rs_import_add, reads the interactions source (if
 * rs_import_interactions names one) into a builder made with
 * rs_import_config, and calls rs_import_finish. Score = u . v (+ user bias
 * + item bias); with "als": true fresh users and sessions fold in by ALS's
 * least-squares solve (regularization, alpha), else they get popular items.
 */
typedef struct rs_import rs_import;

/* Which column of a vector source (rs_import_column). */
typedef enum rs_import_col {
	RS_IMP_ID = 0,        /* "id_column", default "id" */
	RS_IMP_FEATURES,      /* "features_column", default "features" */
	RS_IMP_USER_BIAS,     /* "user_bias_column", NULL unless named */
	RS_IMP_ITEM_BIAS      /* "item_bias_column", NULL unless named */
} rs_import_col;

/* Validate the options (unknown keys, types, ranges: RS_EINVAL naming the
 * key) and start an import. */
rs_status rs_import_create(const rs_opt *options, int default_threads, rs_import **out,
                           rs_error *err);
void rs_import_destroy(rs_import **im);
/* The configuration to read the interactions source with (its columns,
 * event weights, side tables). */
const rs_config *rs_import_config(const rs_import *im);
/* The column a vector source must have for a role; NULL: not read. */
const char *rs_import_column(const rs_import *im, rs_import_col which);
/* The "interactions" option (table, view or query), or NULL. */
const char *rs_import_interactions(const rs_import *im);
/*
 * One row of the user (RS_SIDE_USERS) or item (RS_SIDE_ITEMS) vectors: the
 * id as text (NULL: an error), v[0..n) (v NULL: the array is NULL; nulls,
 * when not NULL, marks NULL elements), and the bias (NULL: the bias column
 * is NULL or not read). Ragged lengths, NULL or non-finite elements,
 * duplicate ids and NULL biases of a named bias column are RS_EDATA naming
 * the row's id.
 */
rs_status rs_import_add(rs_import *im, rs_side side, const char *id, size_t id_len,
                        const double *v, const unsigned char *nulls, int64_t n, const double *bias,
                        rs_error *err);
/* Build the model from the rows added and the interactions (a builder made
 * with rs_import_config, consumed; NULL: none). The import is left empty.
 * *summary: a malloc'd JSON object (free with rs_free). */
rs_status rs_import_finish(rs_import *im, rs_builder *interactions, const rs_callbacks *cb,
                           rs_model **out, char **summary, rs_error *err);

/* What rs_evaluate measured: both bindings' recsys_evaluate() columns, and
 * (rs_eval_json) the record of a model's evaluation. The metrics are means
 * over the test users, rounded to 6 decimals as they are shown and stored. */
typedef struct rs_eval_result {
	const char *algorithm; /* the algorithm evaluated (static text) */
	int k;
	double precision, recall, ndcg, map; /* at k */
	double coverage;       /* share of the catalogue recommended to anyone */
	int test_users;        /* users with held-out interactions */
	int64_t train_interactions, test_interactions;
	char split[40];        /* "temporal-20", "random-20" (option split "user"), "global-time-20"
	                        * ("global_time", test_fraction 0.2; "-repeats" added with
	                        * repeats) or "given" (rs_evaluate_model) */
	double train_seconds;  /* training time, rounded to milliseconds */
} rs_eval_result;

/*
 * Offline evaluation (EVAL.md): with split "user" (cfg's option, the
 * default) hold out each user's latest 20% (users with >= 5 interactions; a
 * seeded random 20% when the source has no time); with "global_time" train
 * on the rows before a global time cut-off (time_cut.c; an error without
 * times) and hold out each user's items new after it. Train `cfg` on the
 * rest and measure the top-k of every test user that has training rows.
 * The builder is consumed. On success *out holds the result; k is checked
 * first (rs_check_k).
 */
rs_status rs_evaluate(const rs_config *cfg, rs_builder *b, int k, const rs_callbacks *cb,
                      rs_eval_result *out, rs_error *err);

/*
 * Evaluate a model as it is, without training (imported models): every row
 * of the builder (the binding's held-out interactions, read like a
 * training source) is a test interaction; each of its users gets the
 * model's top-k (items the model has seen for the user excluded; users the
 * model does not know get its cold start, as in serving) and the metrics
 * are those of rs_evaluate, with split "given", train_interactions the
 * model's own and train_seconds 0. The builder is consumed.
 */
rs_status rs_evaluate_model(const rs_model *m, rs_builder *b, int k, const rs_callbacks *cb,
                            rs_eval_result *out, rs_error *err);

/* The result as the JSON object that is stored with a model's evaluation
 * (recsys.evaluations.metrics, recsys_evaluations.metrics), keys in this
 * order: algorithm, k, precision, recall, ndcg, map, coverage (6 decimals),
 * test_users, train_interactions, test_interactions, split, train_seconds
 * (3 decimals). Writes at most cap bytes, NUL included, to buf (cap
 * RS_EVAL_JSON_CAP holds any result) and returns the text's length, as
 * snprintf does (>= cap: cut). */
#define RS_EVAL_JSON_CAP 512
size_t rs_eval_json(const rs_eval_result *r, char *buf, size_t cap);

/* Serialize to a malloc'd blob (free with rs_free): versioned, checksummed. */
rs_status rs_model_save(const rs_model *m, unsigned char **blob, size_t *len,
                        rs_error *err);
/* The same blob in memory from alloc(actx, bytes) (NULL: out of memory),
 * which the caller owns and frees: a binding serializes straight into the
 * value it stores, with no second copy of the model's size. */
typedef void *(*rs_alloc_fn)(void *actx, size_t bytes);
rs_status rs_model_save_into(const rs_model *m, rs_alloc_fn alloc, void *actx,
                             unsigned char **blob, size_t *len, rs_error *err);
/* Load a blob; any damage is RS_ECORRUPT with a message, never a crash. */
rs_status rs_model_load(const void *blob, size_t len, rs_model **out,
                        rs_error *err);

const char *rs_model_algorithm(const rs_model *m);
size_t rs_model_n_users(const rs_model *m);
size_t rs_model_n_items(const rs_model *m);
size_t rs_model_n_interactions(const rs_model *m);
/* Bytes the loaded model holds in memory. */
size_t rs_model_memory(const rs_model *m);
/* Id text of item index i (not NUL-terminated; *len set). */
const char *rs_model_item_id(const rs_model *m, int32_t i, size_t *len);
/* Category of item index i (items table "category"; not NUL-terminated,
 * *len set), or NULL when the model has none for it. */
const char *rs_model_item_category(const rs_model *m, int32_t i, size_t *len);
/* Id text of user index i (0 .. rs_model_n_users - 1; not NUL-terminated;
 * *len set); "" for another index. */
const char *rs_model_user_id(const rs_model *m, int32_t i, size_t *len);
/* Index of an item / user id, or -1. */
int32_t rs_model_find_item(const rs_model *m, const char *id, size_t len);
int32_t rs_model_find_user(const rs_model *m, const char *id, size_t len);
/* The factor vectors of the users or items (core/vectors.c): *n rows of
 * *dim floats at *data, row i for index i (rs_model_user_id / _item_id),
 * pointing into the model. RS_EINVAL for a model without vectors (not a
 * factor model, or a hybrid), with a message saying which have them. */
rs_status rs_model_vectors(const rs_model *m, rs_side side, int32_t *dim, size_t *n,
                           const float **data, rs_error *err);

void rs_free(void *p);

/*
 * Serving images (model_image.c): the model with every derived array, laid
 * out for mapping in place, so processes serving one version share its
 * memory through the page cache. rs_model_image_write streams the image to
 * fd (no second copy in memory); `key` (32 bytes, the caller's identity of
 * the stored version) is kept in the header. rs_model_image_map maps the file
 * read-only and checks its format, the build that wrote it, the key, every
 * array's bounds and the trailer (written last): the file is trusted content
 * written by this build, so indexes are not re-validated. Any mismatch is
 * RS_ECORRUPT (rebuild it); a missing file RS_ENOTFOUND. The mapped model is
 * read-only: rs_model_destroy unmaps it. rs_model_is_mapped tells which.
 */
rs_status rs_model_image_write(const rs_model *m, int fd, const unsigned char key[32],
                               rs_error *err);
rs_status rs_model_image_map(const char *path, const unsigned char key[32], rs_model **out,
                             rs_error *err);
int rs_model_is_mapped(const rs_model *m);


/* ------------------------------------------------------------------ */
/* Serving                                                              */
/* ------------------------------------------------------------------ */

/* Check a requested k (core/serve.c): RS_OK for 1..RS_MAX_K, else
 * RS_EINVAL "k must be between 1 and <RS_MAX_K> (got <k>)". Every serving
 * function and rs_evaluate check k with it first; a binding calls it where
 * k must be refused before anything else runs (and for a k that does not
 * even fit an int). */
rs_status rs_check_k(int64_t k, rs_error *err);
/* Rows of the rs_reco buffer a call with this k needs: k when rs_check_k
 * accepts it, else 1, so the call can still be made and refuse k itself. */
size_t rs_result_rows(int64_t k);

/* What a not-found error is about (rs_not_found). */
typedef enum rs_missing {
	RS_MISSING_MODEL = 0,
	RS_MISSING_USER,
	RS_MISSING_ITEM
} rs_missing;

/* The one wording of "not found" in both bindings (core/messages.c): set
 * err to RS_ENOTFOUND with
 *   model "<id>" does not exist              (RS_MISSING_MODEL; model unused)
 *   user "<id>" is not in model "<model>"    (RS_MISSING_USER)
 *   item "<id>" is not in model "<model>"    (RS_MISSING_ITEM)
 * id is len bytes ((size_t)-1: NUL-terminated); id and model are cut with
 * rs_shorten. Returns RS_ENOTFOUND. */
rs_status rs_not_found(rs_error *err, rs_missing what, const char *id, size_t len,
                       const char *model);
/* After rs_similar_items, rs_explain or rs_user_profile failed with
 * RS_ENOTFOUND, name model `model` in err (rs_not_found): the user when
 * `user` is not NULL and m does not know it, else the item. Any other
 * error is left as it is. */
void rs_error_name_model(rs_error *err, const rs_model *m, const char *model, const char *user,
                         size_t user_len, const char *item, size_t item_len);

/* Where a recommendation came from: rs_source_name() gives the text of the
 * `source` column. */
typedef enum rs_source {
	RS_SRC_MODEL = 0,     /* the model's own scores ("als", ...) */
	RS_SRC_POPULAR,       /* popularity model or popular_items() */
	RS_SRC_COLDSTART,     /* unknown user: popular items instead */
	RS_SRC_SESSION_EMPTY, /* recommend_for_items, no known item: popular items */
	RS_SRC_FRESH,         /* fresh user: their rows in the source, folded in */
	RS_SRC_FRESH_EMPTY,   /* fresh user without any interaction: popular items */
	RS_SRC_PART = 16      /* + p: hybrid, component p contributed most */
} rs_source;

/* Sources a binding may see: below RS_SRC_PART + RS_MAX_PARTS. */
#define RS_MAX_PARTS 16

/* What a row's `because` item is to the reason (rs_reason_format). */
typedef enum rs_why {
	RS_WHY_SOURCE = 0, /* no item: the reason follows the source */
	RS_WHY_HISTORY,    /* "because you bought X": X from the user's history */
	RS_WHY_SIMILAR     /* "similar to X": X one of the session's items */
} rs_why;

typedef struct rs_reco {
	int32_t item;  /* item index; rs_model_item_id() gives its id */
	float score;
	rs_source source;
	/* 1 + index of the item that explains the row best, 0 = none: zero, so
	 * a row built without it (positional initializers) names no item */
	int32_t because;
	rs_why why;
	int32_t verb;  /* RS_WHY_HISTORY: what the user did with `because` (core/events.c:
	                * 0 neutral "because of X", 1 bought, 2 + e the model's event e) */
} rs_reco;

/*
 * Ranking metrics at k (core/metrics.c), summed over users: the one
 * definition behind rs_evaluate and the benchmarks. hit_items (n_items
 * flags, zeroed by the caller; NULL: no coverage) marks the items
 * recommended to anyone. Divide the sums by `users` for the means.
 */
typedef struct rs_rank_metrics {
	double precision, recall, ndcg, map;
	int users;
	unsigned char *hit_items;
	size_t n_items;
} rs_rank_metrics;

/* Add one user's ranked list (got rows) against nt held-out item indexes
 * (-1: an item unseen in training, never a hit). nt >= 1. */
void rs_rank_metrics_add(rs_rank_metrics *ms, const rs_reco *rec, int got, int k,
                         const int32_t *test, int nt);
/* Share of the catalogue recommended to anyone (0 without hit_items). */
double rs_rank_metrics_coverage(const rs_rank_metrics *ms);

/* Text for the `source` column: the algorithm name for RS_SRC_MODEL,
 * "popularity" or "popularity (unknown user)", and for a hybrid's
 * RS_SRC_PART + p "hybrid:<component algorithm>". */
const char *rs_source_name(const rs_model *m, rs_source s);
/* Text for the `reason` column of one recommendation. */
const char *rs_reason_text(const rs_model *m, rs_source s);
/* The reason of one row in words (core/reasons.c): "because you bought X",
 * "similar to X", "new in category Y", else rs_reason_text(). Writes at most
 * cap bytes (NUL included, a long id is cut) to buf and returns buf. */
const char *rs_reason_format(const rs_model *m, const rs_reco *r, char *buf, size_t cap);

/*
 * Top-k for a user. `options` (object or NULL) accepts:
 *   exclude_seen (bool, default true)
 * k must be 1..RS_MAX_K. `out` has room for k entries; *n_out is
 * min(k, items available). An unknown user gets popular items with
 * source RS_SRC_COLDSTART. Thread-safe on a shared model.
 */
rs_status rs_recommend(const rs_model *m, const char *user, size_t user_len,
                       int k, const rs_opt *options, rs_reco *out, int *n_out,
                       rs_error *err);

/*
 * Top-k for many users at once (core/batch.c): the users users[r] (lens[r]
 * bytes; a NULL entry gets no rows) for r < n, or, with users NULL, the
 * model's users first .. first + n - 1 (rs_model_user_id). User r's rows go
 * to out + r * k, n_out[r] of them (out has room for n * k rows, n_out for
 * n). Each user's rows are those of rs_recommend(m, user, k, options) with
 * "exact": true (a batch never takes the approximate index): the
 * same items, order, scores and sources; an unknown user gets the cold
 * start's popular items. Factor models (als, svd, bpr, warp) score blocks
 * of users with one sgemm per block and item tile unless a re-ranking
 * option is on; other models and re-ranking score user by user. Either way
 * `threads` threads (0: every core) share the users; OpenBLAS runs
 * single-threaded meanwhile. `options` are recommend()'s but "fresh" (the
 * bindings do not read sources in a batch), checked once for the batch.
 * cb (or NULL) is polled between blocks: RS_ECANCELLED.
 */
rs_status rs_recommend_batch(const rs_model *m, const char *const *users, const size_t *lens,
                             size_t first, size_t n, int k, const rs_opt *options, int threads,
                             const rs_callbacks *cb, rs_reco *out, int *n_out, rs_error *err);

/*
 * Top-k for an anonymous session from the items it touched (core/fold_in.c):
 * items[r] (lens[r] bytes; NULL entries are skipped), n_items of them.
 * Factor models fold the session in (als: least squares against the fixed
 * item factors; svd: sum of item vectors; bpr/warp: their mean), item-based
 * ones sum the session items' similarity rows, hybrid blends its components.
 * Unknown ids are skipped, duplicates count once; no known item at all gives
 * popular items with source RS_SRC_SESSION_EMPTY. `options` (object or NULL):
 *   exclude_items (bool, default true): leave the session's items out;
 *   regularization, alpha (numbers >= 0): als fold-in parameters (default:
 *   those the model was trained with, kept in the blob; ALS's defaults for
 *   a model saved before it kept them);
 *   and the serving pipeline's filters and re-ranking options (rs_rank).
 * k must be 1..RS_MAX_K; `out` has room for k entries.
 */
rs_status rs_recommend_for_items(const rs_model *m, const char *const *items, const size_t *lens,
                                 int n_items, int k, const rs_opt *options, rs_reco *out,
                                 int *n_out, rs_error *err);

/*
 * Fresh users and recommend_for_session (core/history.c, core/fold_in.c): the
 * binding reads the user's (or session's) current rows from the model's
 * source at request time and adds them to a history, which applies the
 * model's event weights exactly as training did (rs_builder_add's rules:
 * NULL items skipped, events outside event_weights skipped, weight <= 0
 * skipped, non-finite weight RS_EDATA); duplicates add up, the latest ts
 * wins. Items the model does not know are skipped.
 */
typedef struct rs_history rs_history;

rs_status rs_history_create(const rs_model *m, rs_history **out, rs_error *err);
void rs_history_destroy(rs_history **h);
rs_status rs_history_add(rs_history *h, const char *item, size_t item_len, int has_weight,
                         double weight, const char *event, size_t event_len, int has_ts,
                         double ts, rs_error *err);
/* Rows added / rows kept (known item, usable weight). */
size_t rs_history_rows(const rs_history *h);
size_t rs_history_kept(const rs_history *h);

/* The source column the model was trained with for a role: "user", "item",
 * "weight", "event", "ts" or "session" (session_column option, default
 * session_id); NULL for another role or a model that does not record it. */
const char *rs_model_source_column(const rs_model *m, const char *role);

/*
 * Top-k for a history (fresh user or session): folded in like
 * rs_recommend_for_items, with the weights (als: confidence 1 + alpha w,
 * with the alpha and regularization the model was trained with; svd and
 * item-based models: weighted sums) and ending in the serving pipeline, so
 * filters and re-ranking options apply. `fresh` picks the sources: 1 gives
 * RS_SRC_FRESH / RS_SRC_FRESH_EMPTY, 0 (a session) the model's own and
 * RS_SRC_SESSION_EMPTY. No kept row: popular items. Options: those of
 * recommend (exclude_seen leaves the history's items out, default true)
 * plus "fresh" (bool, read by the binding) and the als fold-in overrides
 * regularization and alpha.
 */
rs_status rs_recommend_for_history(const rs_model *m, const rs_history *h, int fresh, int k,
                                   const rs_opt *options, rs_reco *out, int *n_out,
                                   rs_error *err);

/*
 * The fresh path of recommend() (core/fresh.c), the same decisions for both
 * bindings. rs_fresh_wanted: does the call read the user's rows from the
 * model's source? With option "fresh" false never, with "fresh" present
 * and not false always, without it when m does not know the user.
 */
int rs_fresh_wanted(const rs_model *m, const char *user, size_t user_len, const rs_opt *options);
/*
 * Is an answer under `options` a pure function of the model version, the
 * key (user or item), k and the options, so that a binding may keep it
 * (pg_recsys/memo.c)? Every key must be on a whitelist (core/serve_options.c):
 * a new option is never kept until judged there. "fresh" only when false;
 * "repurchase_cycle" only when false or with an explicit "now" (else the
 * clock decides). The caller still checks that the user is known.
 */
int rs_serve_options_pure(const rs_opt *options);
/*
 * The answer on the fresh path, after the binding read the user's rows into
 * h (NULL: the model records no source to read). Without h, and for a user
 * m does not know who has no kept row, rs_recommend's answer (an unknown
 * user's cold start: popular items, RS_SRC_COLDSTART "popularity (unknown
 * user)"); else the rows folded in (rs_recommend_for_history, fresh), where
 * a known user whose rows are all gone gets popular items, RS_SRC_FRESH_EMPTY
 * "popularity (no interactions)".
 */
rs_status rs_recommend_fresh(const rs_model *m, const char *user, size_t user_len,
                             const rs_history *h, int k, const rs_opt *options, rs_reco *out,
                             int *n_out, rs_error *err);

/* The k most popular items of the model's training data. `options`:
 * recommend()'s filters, candidates, diversity, and "measure" (users |
 * weight), "window_days" and "now" (serve.c); unknown keys are errors. */
rs_status rs_popular(const rs_model *m, int k, const rs_opt *options,
                     rs_reco *out, int *n_out, rs_error *err);

/*
 * The k items most similar to `item` (core/similar.c): factor cosine (als,
 * svd, bpr, warp), the item's kept neighbours (itemknn, content), its row of
 * B (ease), the popularity order (popularity), or the components' blend
 * (hybrid). Only positive similarities; the item itself is left out.
 * `options`: recommend()'s filters, candidates, diversity and
 * popularity_penalty (unknown keys are errors). k must be 1..RS_MAX_K; `out`
 * has room for k entries. An id the model does not know is RS_ENOTFOUND.
 */
rs_status rs_similar_items(const rs_model *m, const char *item, size_t len, int k,
                           const rs_opt *options, rs_reco *out, int *n_out, rs_error *err);
/* Text for the `reason` column of one similar_items() row. */
const char *rs_similar_reason(const rs_model *m, rs_source s);

/* One row of recsys_explain(): an item of the user's history and its share
 * of the score. */
typedef struct rs_contribution {
	int32_t item; /* item index; rs_model_item_id() gives its id */
	float contribution;
} rs_contribution;

/*
 * Why the model scores `item` for `user` (core/explain.c): the user's
 * training items with their contribution to that score, largest first;
 * items contributing exactly 0 are left out. *out is malloc'd (rs_free, NULL
 * when no rows), *n_out its rows. Unknown user or item: RS_ENOTFOUND.
 * Popularity models (and a hybrid's popularity part) have no history
 * contributions. See explain.c for each family's formula.
 */
rs_status rs_explain(const rs_model *m, const char *user, size_t user_len, const char *item,
                     size_t item_len, rs_contribution **out, int *n_out, rs_error *err);
/*
 * recsys_explain() with recommend()'s fresh path: a user the model does not
 * know, with kept rows in h (the binding read them from the model's source,
 * as for rs_recommend_fresh), is explained from those rows; the
 * contributions add up to the score recommend() gives with "fresh" (bpr /
 * warp: but the item's bias, as for known users). A known user, no h, or no
 * kept row: rs_explain (an unknown user stays RS_ENOTFOUND).
 */
rs_status rs_explain_fresh(const rs_model *m, const char *user, size_t user_len,
                           const rs_history *h, const char *item, size_t item_len,
                           rs_contribution **out, int *n_out, rs_error *err);

/*
 * What the model knows of one user (recsys_user_profile; core/rerank.c).
 * spending_segment: the quartile of the user's average item price among all
 * users' averages: "small" (lowest quarter), "low average", "average",
 * "high" (top quarter); NULL when the model has no prices or none of the
 * user's items has one. A static string: never free it.
 */
typedef struct rs_profile {
	int64_t interactions;   /* the user's source rows kept at training (duplicates counted) */
	int64_t distinct_items; /* distinct items of the user's history */
	const char *spending_segment;
	double avg_item_price;  /* mean price of the distinct history items with a price; NAN: unknown */
	double last_interaction; /* unix seconds of the latest row; NAN without a ts column */
	/* Events and purchases (core/events.c, profile.c; models trained
	 * before them: purchases -1, the rest NULL / NAN). */
	char *event_counts;     /* JSON object {"view": 12, ...}, or NULL without an event
	                         * column; malloc'd: rs_profile_clear frees it */
	int64_t purchases;      /* purchase rows (every row without an event column) */
	double last_purchase;   /* unix seconds; NAN: none or no time */
	double total_spend;     /* sum of price x quantity of purchase rows; NAN: no price */
	const char *spend_segment; /* total spend among buyers' (quantiles spend_quantiles):
	                         * "small", "low average", "average", "high"; NULL: no spend */
	const char *customer_type; /* "prospect", "new", "loyal", "occasional", "at_risk" */
} rs_profile;

/* The profile of `user` (options: spend_quantiles, now, new_days,
 * at_risk_days, loyal_purchases; NULL = defaults); an id the model does not
 * know is RS_ENOTFOUND. Free with rs_profile_clear. */
rs_status rs_user_profile(const rs_model *m, const char *user, size_t len, const rs_opt *options,
                          rs_profile *out, rs_error *err);
/* The same for a user the model does not know, from their rows read at
 * request time (a fresh user, rs_history). */
rs_status rs_user_profile_history(const rs_model *m, const rs_history *h, const rs_opt *options,
                                  rs_profile *out, rs_error *err);
void rs_profile_clear(rs_profile *p);

#ifdef __cplusplus
}
#endif

#endif /* RECSYS_H */
