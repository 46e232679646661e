/*
 * recsys_sqlite.h - shared declarations of the SQLite binding.
 *
 * The binding is thin: it reads rows and JSON with SQLite's own machinery,
 * hands plain values to the core (core/recsys.h) and turns the core's
 * status + message into SQLite errors. One rsq_ctx exists per connection
 * (created by sqlite3_recsys_init, shared by every function and module
 * registered on that connection, freed when the last of them is destroyed).
 * One file per concern, named as in pg_recsys/ (ARCHITECTURE.md):
 *   recsys_ext.c  sqlite3_recsys_init, the registry, recsys_set_default_model(),
 *                 recsys_version()
 *   errors.c      rs_status -> SQLite code, messages
 *   options.c     JSON text -> rs_opt tree
 *   source.c      reading the training source and side tables
 *   train.c       recsys_train(), recsys_drop_model()
 *   import.c      recsys_import(): a model from vectors trained elsewhere
 *   evaluate.c    recsys_evaluate(), the evaluation record
 *   store.c       the model table: versions, pruning, drop, names
 *   schema.c      the recsys tables of a file and their migrations
 *   models.c      recsys_models
 *   cache.c       per-connection cache of loaded models
 *   tvf_common.c  the table-valued function framework
 *   recommend.c   recommend(), popular_items()
 *   similar.c     similar_items()
 *   for_items.c   recommend_for_items()
 *   fresh.c       fresh users of recommend(), recommend_for_session()
 *   batch.c       recommend_batch()
 *   logged.c      recommend_logged(): serve and record impressions
 *   outcomes.c    recsys_record_outcome(), recsys_prune_impressions()
 *   vectors.c     recsys_item_vectors(), recsys_user_vectors()
 *   analytics.c   recsys_user_stats()
 *   explain.c     recsys_explain(), recsys_user_profile()
 *   progress.c    progress lines of trainings and evaluations (sqlite3_log)
 *   policy.c      policies: per-connection cache, arm choice (resolve)
 *   policy_admin.c recsys_create_policy(), recsys_drop_policy(), recsys_policy_report
 *   replay.c      recsys_replay: offline estimates from logged impressions
 */
#ifndef RECSYS_SQLITE_H
#define RECSYS_SQLITE_H

#include <sqlite3ext.h>

#include "policy.h"
#include "recsys.h"

SQLITE_EXTENSION_INIT3

/* The table that holds every trained model version (main schema). */
#define RSQ_STORE "recsys_model_store"
/* The last recsys_evaluate() record of each model (main schema). */
#define RSQ_EVALUATIONS "recsys_evaluations"
/* schema.c: the migrations applied to this file, one row each */
#define RSQ_SCHEMA "recsys_schema"
/* The feedback loop's log (schema.c, version 3): impressions, outcomes. */
#define RSQ_IMPRESSIONS "recsys_impressions"
#define RSQ_OUTCOMES "recsys_outcomes"

/* A loaded model, reference counted: the cache holds one reference and
 * every open cursor that reads it holds another, so a reload never frees
 * a model under a running scan. */
typedef struct rsq_shared rsq_shared;

typedef struct rsq_model {
	int refs;
	rs_model *m;
	rsq_shared *shared; /* the process-wide copy m belongs to (shared.c), or NULL */
	char *name;
	sqlite3_int64 version;
	char *trained_at; /* with version, identifies the stored row */
	char *source;     /* the training source (fresh users, sessions), or NULL */
	unsigned verified_gen;
	struct rsq_model *next;
} rsq_model;

/* Per-connection state. */
typedef struct rsq_ctx {
	int refs;
	sqlite3 *db;
	char *default_model; /* recsys_set_default_model(), or NULL */
	/* Freshness snapshot: while the main database's data version and the
	 * connection's total change count stay the same (and no explicit
	 * transaction is open) nothing stored can have changed. */
	int snap_valid;
	unsigned data_version;
	sqlite3_int64 total_changes;
	unsigned gen;     /* bumped whenever the snapshot changes */
	char *sole_model; /* the only stored model, valid while sole_gen == gen */
	unsigned sole_gen;
	rsq_model *models;          /* cache, one entry per model name */
	sqlite3 *json_db; /* private in-memory connection for JSON while db is locked */
	char *opts_text;            /* the last serving options text and its tree, so a */
	struct rsq_opts *opts_tree; /* lateral join does not re-parse per row */
	struct rsq_policy_entry *policies; /* policy.c's cache */
} rsq_ctx;

/* policy.c: one cached policy of a connection */
typedef struct rsq_policy_entry {
	char *name;
	int exists, read;
	unsigned gen;                           /* ctx->gen it was read at */
	int n_arms;
	char *arm[RS_POLICY_MAX_ARMS];
	char *model[RS_POLICY_MAX_ARMS];
	char *options[RS_POLICY_MAX_ARMS];      /* JSON text, NULL: none */
	rs_policy pol;
	struct rsq_policy_entry *next;
} rsq_policy_entry;

/* What serving a name means for one call (rsq_policy_resolve). */
typedef struct rsq_resolved {
	const char *model;   /* the arm's model (NULL: the name is no policy) */
	char *options;       /* the arm's options under the caller's (mprintf'd), or NULL */
	const char *policy;  /* NULL: no policy */
	const char *arm;
	double propensity;
} rsq_resolved;

/* A scan of a table-valued function (tvf_common.c). */
typedef struct rsq_cursor rsq_cursor;

/* ---- recsys_ext.c: context lifetime ---- */
rsq_ctx *rsq_ctx_ref(rsq_ctx *ctx);
void rsq_ctx_unref(void *ctx);

/* ---- errors.c: core status -> SQLite code, errors, small text helpers ---- */
/* Did a call fail only because another connection holds the file locked
 * (SQLITE_BUSY or SQLITE_LOCKED, extended codes too)? */
int rsq_is_locked(int rc);
/* sqlite3_mprintf'd text of a core error: the core message verbatim. */
char *rsq_core_errmsg(const rs_error *err);
/* A failed core call's SQLite code (SQLITE_NOMEM for RS_ENOMEM, else
 * SQLITE_ERROR), with *errmsg = rsq_core_errmsg(err). */
int rsq_core_fail(const rs_error *err, char **errmsg);
/* Report a sqlite3_mprintf'd message (or out of memory) and free it. */
void rsq_result_errmsg(sqlite3_context *c, char *msg);
/* A NUL-terminated name or id cut short for a message (core rs_shorten:
 * at most RS_SHORT_BYTES bytes, then "..."); buf is a char[RS_SHORT_CAP]. */
#define RSQ_SHORT(buf, s) rs_shorten((s), (size_t)-1, (buf), sizeof(buf))
/* sqlite3_mprintf'd copy of s, or NULL. */
char *rsq_strdup(const char *s);

/* ---- options.c: JSON text -> rs_opt tree ---- */
struct rsq_opts {
	rs_opt *nodes; /* nodes[0] is the root */
	char *strings; /* arena the nodes' key / string pointers point into */
};
typedef struct rsq_opts rsq_opts;

/* Parse JSON text (NULL = no options) into *out; `what` names the argument
 * in error messages. Returns SQLITE_OK or an error with *errmsg set. The
 * root of a non-NULL document must be an object. */
int rsq_opts_parse(sqlite3 *db, const char *json, const char *what, rsq_opts *out, char **errmsg);
/* rsq_opts_parse through the connection's one-entry cache keyed by the
 * text; *out stays valid until the next call on this connection. */
int rsq_opts_parse_cached(rsq_ctx *ctx, const char *json, const char *what, const rsq_opts **out,
                          char **errmsg);
/* Free the connection's cached options. */
void rsq_opts_cache_clear(rsq_ctx *ctx);
/* The connection's private in-memory database (opened on first use), for
 * reading JSON with SQLite's json_each / json_tree when the caller's
 * connection cannot: those are tables of main, and a statement that reads
 * them fails with SQLITE_BUSY while another connection commits (rollback
 * journal). NULL if it cannot be opened. */
sqlite3 *rsq_json_db(rsq_ctx *ctx);
/* A statement on rsq_json_db with ?1 bound to json (NULL: '{}'), or NULL. */
sqlite3_stmt *rsq_json_query(rsq_ctx *ctx, const char *sql, const char *json);
/* The root node, or NULL when there were no options. */
const rs_opt *rsq_opts_root(const rsq_opts *o);
void rsq_opts_free(rsq_opts *o);

/* ---- source.c: the training source and side tables ---- */
/* Read the interactions of `source` (table, view or SELECT/WITH query) and
 * the side tables the options name into a new builder (*builder, the
 * caller's to destroy). Every table and column is checked before anything
 * is read. On error *errmsg is an sqlite3_mprintf'd message. */
/* Read a vector source of recsys_import (`arg`: "user_vectors" or
 * "item_vectors") into the import: the id column as text, the features
 * (a JSON array or PostgreSQL array literal as text, or a BLOB of float32),
 * the side's bias column when the options name one. */
int rsq_source_load_vectors(sqlite3 *db, const char *source, const char *arg, rs_import *im,
                            rs_side side, char **errmsg);
int rsq_source_load(sqlite3 *db, const char *source, const rs_config *cfg, const rs_opt *opts,
                    rs_builder **builder, char **errmsg);
/* Read one key's rows of a model's source into h: key_role "user" or
 * "session" names the column compared with `key` (the model's columns).
 * The source comes from the database file: ask rsq_check_stored_sql first. */
int rsq_source_read_history(sqlite3 *db, const char *source, const rs_model *m,
                            const char *key_role, const char *key, int key_len, rs_history *h,
                            char **errmsg);

/* PRAGMA trusted_schema of the connection now: 1 on, 0 off (or unknown). */
int rsq_schema_trusted(sqlite3 *db);
/* SQL stored in the database file (model `model`'s source, option NULL, or
 * its side-table option "items" / "users") runs only with a trusted schema:
 * SQLITE_OK when `text` is no query or the schema is trusted, else
 * SQLITE_ERROR with *errmsg saying why it is not run. */
int rsq_check_stored_sql(sqlite3 *db, const char *model, const char *option, const char *text,
                         char **errmsg);

/* ---- for_items.c: a JSON array of ids (recommend_for_items, recommend_batch) ---- */
typedef struct rsq_ids {
	char **ids;   /* NUL-terminated copies; NULL for a JSON null */
	size_t *lens;
	int n;
} rsq_ids;
/* The array text json -> ids (strings and numbers; nulls become NULL ids),
 * read on the connection, or on rsq_json_db while main is locked. fn (the
 * function), arg (the argument) and what (its elements: "item ids") name
 * them in errors, *errmsg set. */
int rsq_read_ids(rsq_ctx *ctx, const char *fn, const char *json, const char *arg,
                 const char *what, rsq_ids *s, char **errmsg);
void rsq_ids_free(rsq_ids *s);

/* ---- fresh.c: fresh users of recommend(), recommend_for_session() ---- */
/* The top k of the user (session = 0) or session (1) named by argument 0,
 * from its rows in the model's source, into the cursor's rows (whether
 * recommend() comes here is the core's rs_fresh_wanted). */
int rsq_fresh_profile(rsq_cursor *c, const rs_opt *opts, rs_profile *p, int *found);
int rsq_fresh_compute(rsq_cursor *c, int session, int k, const rs_opt *opts);
/* fresh.c: a fresh user's rows of the source, for recsys_explain() */
int rsq_fresh_history(rsq_cursor *c, rs_history **out);

/* ---- schema.c: tables and migrations ---- */
int rsq_schema_version(void);
int rsq_schema_migrate(sqlite3 *db, char **errmsg);
int rsq_schema_mend(sqlite3 *db, char **errmsg);

/* ---- store.c: the model store table ---- */
/* Longest model name in bytes: PostgreSQL's (NAMEDATALEN - 1). */
#define RSQ_MAX_NAME 63
/* SQLITE_OK for a usable model name (non-empty, at most RSQ_MAX_NAME
 * bytes), else SQLITE_ERROR with *errmsg. */
int rsq_check_model_name(const char *name, char **errmsg);
/* Does main.recsys_model_store (main.<name>) exist? 1 yes, 0 no, -1 error. */
int rsq_store_exists(sqlite3 *db);
int rsq_table_exists(sqlite3 *db, const char *name);
/* Does a table or view <schema>.<name> exist (any case)? 1 yes, 0 no, -1 error. */
int rsq_table_exists_any(sqlite3 *db, const char *schema, const char *name);
/* sqlite3_mprintf'd ", "-separated stored model names ("none" when empty),
 * or NULL on error. */
char *rsq_store_names(sqlite3 *db);
/* Number of stored model names and the first of them (sqlite3_mprintf'd). */
int rsq_store_count_names(sqlite3 *db, int *count, char **first);
/* Latest version and trained_at of a model; *found = 0 when unknown. */
int rsq_store_latest(sqlite3 *db, const char *name, int *found, sqlite3_int64 *version,
                     char **trained_at);
/* Load one stored version into a core model. */
int rsq_store_load(sqlite3 *db, const char *name, sqlite3_int64 version, rs_model **out,
                   char **errmsg);
/* Store a new version inside one SAVEPOINT; returns the version. */
typedef struct rsq_store_row {
	const char *name, *algorithm, *options, *summary;
	sqlite3_int64 users, items, interactions;
	const unsigned char *blob;
	size_t blob_len;
	const char *source; /* the training source: fresh users and sessions read it */
} rsq_store_row;
int rsq_store_insert(sqlite3 *db, const rsq_store_row *row, sqlite3_int64 *version,
                     char **summary_out, char **errmsg);
/* Delete every version of a model (and its evaluation); *deleted = rows removed. */
int rsq_store_drop(sqlite3 *db, const char *name, int *deleted, char **errmsg);
/* Algorithm and options JSON of a model's latest version (mprintf'd). */
int rsq_store_model_config(sqlite3 *db, const char *name, int *found, sqlite3_int64 *version,
                           char **algorithm, char **options, char **errmsg);
/* Replace a model's evaluation record; skipped on a read-only database. */
typedef struct rsq_eval_row {
	const char *name, *source, *metrics;
	sqlite3_int64 version;
	int k;
} rsq_eval_row;
int rsq_store_record_evaluation(sqlite3 *db, const rsq_eval_row *row, char **errmsg);
/* The source of a model's latest version (*source mprintf'd; NULL when the
 * store records none). */
int rsq_store_source(sqlite3 *db, const char *name, char **source, char **errmsg);
/* Does the store have that column? 1 yes, 0 no (or no store), -1 error. */
int rsq_store_has_source(sqlite3 *db);
/* Message "model "x" does not exist (existing models: ...)". */
char *rsq_unknown_model_msg(sqlite3 *db, const char *name);

/* ---- cache.c: per-connection model cache ---- */
/* Resolve `name` (NULL = default model or the only model), make sure the
 * cached model is the latest stored version and return it with a new
 * reference. While another connection holds the file locked, a cached
 * model is returned as it is. On error returns non-OK (SQLITE_BUSY for a
 * locked store) with *errmsg set. *probe is the calling table's statement
 * slot for the cheap read of main (prepared on first use; the table
 * finalizes it in xDisconnect, before sqlite3_close looks for statements). */
int rsq_cache_get(rsq_ctx *ctx, sqlite3_stmt **probe, const char *name, rsq_model **out,
                  char **errmsg);
void rsq_model_release(rsq_model *m);
/* Start a new generation if the database may have changed (what
 * rsq_cache_get does first); 1 when main is locked by another connection. */
int rsq_cache_snapshot(rsq_ctx *ctx, sqlite3_stmt **probe);

/* ---- policy.c, policy_admin.c: policies ---- */
int rsq_policy_lookup(rsq_ctx *ctx, const char *name, int fresh, rsq_policy_entry **out,
                      char **errmsg);
int rsq_policy_resolve(rsq_ctx *ctx, const char *name, const char *user, size_t ulen,
                       const char *request, const char *options, rsq_resolved *out,
                       char **errmsg);
int rsq_policy_setup(rsq_ctx *ctx, rsq_policy_entry *e, const char *strategy, const char *options,
                     char **errmsg);
void rsq_policy_cache_clear(rsq_ctx *ctx);
/* Is there a policy called `name` (models and policies share names)? 1, 0, -1 error. */
int rsq_policy_name_taken(sqlite3 *db, const char *name);
void rsq_fn_create_policy(sqlite3_context *c, int argc, sqlite3_value **argv);
void rsq_fn_drop_policy(sqlite3_context *c, int argc, sqlite3_value **argv);

/* ---- shared.c: one loaded copy per stored version and process ---- */
/* Load version `version` of `name` (trained_at: its row's training time),
 * reusing the copy another connection of this process loaded from the same
 * file; *shared is what to release (NULL: a private copy in *out). */
int rsq_shared_load(sqlite3 *db, const char *name, sqlite3_int64 version, const char *trained_at,
                    rs_model **out, rsq_shared **shared, char **errmsg);
void rsq_shared_release(rsq_shared *s);
/* Drop a model from the cache (after recsys_drop_model). */
void rsq_cache_forget(rsq_ctx *ctx, const char *name);
/* Free every cached model (connection closing). */
void rsq_cache_clear(rsq_ctx *ctx);

/* ---- train.c: recsys_train(), recsys_drop_model() ---- */
void rsq_fn_train(sqlite3_context *c, int argc, sqlite3_value **argv);
void rsq_fn_drop_model(sqlite3_context *c, int argc, sqlite3_value **argv);

/* ---- import.c: recsys_import() ---- */
void rsq_fn_import(sqlite3_context *c, int argc, sqlite3_value **argv);
/* Cancel callback for the core: `probe` is a prepared one-row statement,
 * which fails with SQLITE_INTERRUPT once sqlite3_interrupt() is pending
 * (training and evaluation). */
int rsq_interrupted(void *probe);

/* ---- progress.c: progress of a training or an evaluation ---- */
typedef struct rsq_progress {
	rs_callbacks cb;  /* what rs_train / rs_evaluate get; the caller sets cancel */
	const char *what; /* "train", "evaluate" */
	const char *name; /* the model or algorithm */
} rsq_progress;
/* Reports of `what` on `name` to sqlite3_log when cfg's option "progress"
 * is set and not "off" (the default is off), from the source's first row
 * on; p must outlive the work. */
void rsq_progress_begin(rsq_progress *p, rs_config *cfg, const char *what, const char *name);

/* ---- recsys_ext.c: the connection's scalar functions ---- */
void rsq_fn_set_default_model(sqlite3_context *c, int argc, sqlite3_value **argv);
void rsq_fn_version(sqlite3_context *c, int argc, sqlite3_value **argv);

/* ---- tvf_common.c: the table-valued function framework ----
 *
 * A table-valued function is one declarative rsq_tvf in its own file: name,
 * schema, output columns, hidden arguments and their roles, planning hints,
 * a compute step that fills the cursor's rows and a column step that reads
 * one. tvf_common.c does everything else: the eponymous module and, for
 * RSQ_TVF_LOCAL, the connection-local temp.<name> (module
 * recsys_local_<name>), xBestIndex, copying the arguments in xFilter, the
 * required and NULL checks, k, the options tree, the model from the cache,
 * the rs_reco buffer, and cursor movement. recsys_ext.c lists the functions. */
#define RSQ_MAX_ARGS 8

/* Roles of a hidden argument (rsq_tvf_arg.flags). */
enum {
	RSQ_ARG_REQUIRED = 1 << 0, /* absent is an error (not an empty result) */
	RSQ_ARG_NOT_NULL = 1 << 1, /* given as NULL is an error */
	RSQ_ARG_K = 1 << 2,        /* the row count: an integer, 10 when absent; not NULL */
	RSQ_ARG_MODEL = 1 << 3,    /* the model's name, loaded into c->model before compute;
	                            * absent or NULL: the default model */
	RSQ_ARG_OPTIONS = 1 << 4,  /* JSON options, read into an rs_opt tree; not NULL */
	RSQ_ARG_KEY = RSQ_ARG_REQUIRED | RSQ_ARG_NOT_NULL, /* what the call is about */
};
/* The trailing arguments of the serving functions: k, model, options. */
#define RSQ_SERVING_ARGS {"k", RSQ_ARG_K}, {"model", RSQ_ARG_MODEL}, {"options", RSQ_ARG_OPTIONS}

/* One hidden argument, in the order of the schema's HIDDEN columns. */
typedef struct rsq_tvf_arg {
	const char *name; /* in messages ("argument \"k\" ..."); NULL ends the list */
	unsigned flags;   /* RSQ_ARG_* */
	const char *dflt; /* text value when absent (rsq_arg_text, the column), or NULL */
} rsq_tvf_arg;

/* What a function is (rsq_tvf.flags). */
enum {
	RSQ_TVF_LOCAL = 1 << 0,      /* serving from cached models: also temp.<name> */
	RSQ_TVF_RANKED = 1 << 1,     /* best first, column 1 score, 2 rank: ORDER BY rank free */
	RSQ_TVF_TOPK = 1 << 2,       /* rows: at most k rs_reco, buffer made before compute */
	RSQ_TVF_DIRECTONLY = 1 << 3, /* only from top-level SQL (not triggers or views) */
	RSQ_TVF_POLICY = 1 << 4,     /* the model argument may name a policy (its arm serves) */
};

/* The declarative spec of one table-valued function. */
typedef struct rsq_tvf {
	const char *name;   /* SQL name: the eponymous table, message prefix */
	const char *schema; /* CREATE TABLE x(outputs..., one HIDDEN column per argument) */
	int n_out;          /* output columns; the hidden arguments follow */
	rsq_tvf_arg args[RSQ_MAX_ARGS];
	unsigned flags;     /* RSQ_TVF_* */
	double cost, rows;  /* plan estimate with the required arguments given (0: 10) */
	/* Fill the rows (c->rows, c->n) after the framework's checks; the model
	 * (c->model) is loaded when an argument has RSQ_ARG_MODEL. Errors go
	 * through rsq_cursor_error / rsq_cursor_fail. */
	int (*compute)(rsq_cursor *c, int k, const rs_opt *opts);
	/* Output column col (< n_out) of row c->pos. */
	void (*column)(rsq_cursor *c, sqlite3_context *ctx, int col);
	/* Optional: rows made one at a time; called after c->pos moved, sets c->n
	 * to c->pos + 1 while there is a row (recsys_models). */
	int (*next)(rsq_cursor *c);
} rsq_tvf;

/* A scan: the rows, the model they point into, copies of the arguments. */
struct rsq_cursor {
	sqlite3_vtab_cursor base;
	const rsq_tvf *tvf;
	rsq_ctx *ctx;
	rsq_model *model;   /* referenced while rows point into it */
	void *rows;         /* sqlite3_malloc'd; rs_reco[k] under RSQ_TVF_TOPK */
	int n, pos;         /* rows, current row */
	sqlite3_stmt *stmt; /* or a statement whose current row is the output */
	sqlite3_value *args[RSQ_MAX_ARGS];
	char *text;         /* sqlite3_malloc'd text of the scan (recommend_logged's request id) */
	/* a policy named in place of the model (RSQ_TVF_POLICY): else NULL */
	char *policy, *arm;
	double propensity;
};

/* Create the eponymous module of `tvf` and, for RSQ_TVF_LOCAL, temp.<name>. */
int rsq_tvf_register(sqlite3 *db, rsq_ctx *ctx, const rsq_tvf *tvf);
/* Argument i as text and its length (len may be NULL); absent: its dflt. */
const char *rsq_arg_text(const rsq_cursor *c, int i, size_t *len);
/* Load the model named by argument `arg` (absent or NULL: the default) into
 * c->model: what the framework does for an RSQ_ARG_MODEL argument, for a
 * compute step whose own argument errors must come first (for_items.c). */
int rsq_cursor_model(rsq_cursor *c, int arg);
/* Report msg (sqlite3_mprintf'd, taken; NULL = out of memory) for the scan. */
int rsq_cursor_error(rsq_cursor *c, char *msg);
/* Report a failed core call (rsq_core_fail; out of memory is SQLITE_NOMEM). */
int rsq_cursor_fail(rsq_cursor *c, const rs_error *err);
/* Columns item_id, score, rank, reason, source of an rs_reco row. */
void rsq_reco_column(rsq_cursor *c, sqlite3_context *ctx, int col);
/* Column col of c->stmt's current row, as it is. */
void rsq_stmt_column(rsq_cursor *c, sqlite3_context *ctx, int col);
/* The double that prints like the float (PostgreSQL's real). */
double rsq_float_decimal(float f);
/* recommend.c: recommend()'s rows of argument 0's user (recommend_logged too). */
int rsq_recommend_compute(rsq_cursor *c, int k, const rs_opt *opts);
/* outcomes.c: recsys_record_outcome(), recsys_prune_impressions() */
void rsq_fn_record_outcome(sqlite3_context *c, int argc, sqlite3_value **argv);
void rsq_fn_prune_impressions(sqlite3_context *c, int argc, sqlite3_value **argv);

/* store.c: append len bytes of s to out as a JSON string literal. */
void rsq_json_quote(sqlite3_str *out, const char *s, size_t len);

#endif /* RECSYS_SQLITE_H */
