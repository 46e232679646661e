/*
 * recsys_sqlite.h - shared declarations of the SQLite binding.
 *
 * The binding is thin: it reads rows and JSON with SQLite's own machinery,
 * hands plain values to the core (core/recsys.h) and turns the core's
 * status + message into SQLite errors. One rsq_ctx exists per connection
 * (created by sqlite3_recsys_init, shared by every function and module
 * registered on that connection, freed when the last of them is destroyed).
 */
#ifndef RECSYS_SQLITE_H
#define RECSYS_SQLITE_H

#include <sqlite3ext.h>

#include "recsys.h"

SQLITE_EXTENSION_INIT3

/* The table that holds every trained model version (main schema). */
#define RSQ_STORE "recsys_model_store"
/* The last recsys_evaluate() record of each model (main schema). */
#define RSQ_EVALUATIONS "recsys_evaluations"

/* A loaded model, reference counted: the cache holds one reference and
 * every open cursor that reads it holds another, so a reload never frees
 * a model under a running scan. */
typedef struct rsq_model {
	int refs;
	rs_model *m;
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
} rsq_ctx;

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
/* The root node, or NULL when there were no options. */
const rs_opt *rsq_opts_root(const rsq_opts *o);
void rsq_opts_free(rsq_opts *o);

/* ---- source.c: the training source and side tables ---- */
/* Read the interactions of `source` (table, view or SELECT/WITH query) and
 * the side tables the options name into a new builder (*builder, the
 * caller's to destroy). Every table and column is checked before anything
 * is read. On error *errmsg is an sqlite3_mprintf'd message. */
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

/* ---- fresh.c: fresh users of recommend(), recommend_for_session() ---- */
int rsq_fresh_wanted(const rs_model *m, const char *user, size_t len, const rs_opt *opts);
int rsq_fresh_rows(sqlite3 *db, const rsq_model *model, int session, const char *key,
                   size_t len, int k, const rs_opt *opts, rs_reco *out, int *n, char **errmsg);

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
/* Drop a model from the cache (after recsys_drop_model). */
void rsq_cache_forget(rsq_ctx *ctx, const char *name);
/* Free every cached model (connection closing). */
void rsq_cache_clear(rsq_ctx *ctx);

/* ---- train.c: recsys_train(), recsys_drop_model() ---- */
void rsq_fn_train(sqlite3_context *c, int argc, sqlite3_value **argv);
void rsq_fn_drop_model(sqlite3_context *c, int argc, sqlite3_value **argv);
/* Cancel callback for the core: `probe` is a prepared one-row statement,
 * which fails with SQLITE_INTERRUPT once sqlite3_interrupt() is pending
 * (training and evaluation). */
int rsq_interrupted(void *probe);

/* ---- recsys_ext.c: the connection's scalar functions ---- */
void rsq_fn_set_default_model(sqlite3_context *c, int argc, sqlite3_value **argv);
void rsq_fn_version(sqlite3_context *c, int argc, sqlite3_value **argv);

/* ---- table-valued modules, registered by recsys_ext.c ---- */
extern const sqlite3_module rsq_recommend_module;
extern const sqlite3_module rsq_popular_module;
extern const sqlite3_module rsq_similar_module;
extern const sqlite3_module rsq_session_module;
extern const sqlite3_module rsq_for_session_module;
extern const sqlite3_module rsq_models_module;
extern const sqlite3_module rsq_evaluate_module;
extern const sqlite3_module rsq_explain_module;
extern const sqlite3_module rsq_profile_module;

/* tvf_common.c: shared by the table-valued functions. */
#define RSQ_MAX_ARGS 8
int rsq_bind_args(sqlite3_index_info *info, int n_out, int n_args, unsigned *mask);
void rsq_order_by_rank(sqlite3_index_info *info);
int rsq_vtab_error(sqlite3_vtab *v, char *msg);
int rsq_vtab_error_rc(sqlite3_vtab *v, char *msg, int rc);
double rsq_float_decimal(float f);

/* The vtab of those functions: the connection's context and, for modules
 * that share code, their own description. */
typedef struct rsq_vtab {
	sqlite3_vtab base;
	rsq_ctx *ctx;
	const void *spec;
	sqlite3_stmt *probe; /* rsq_cache_get's read of main, finalized by xDisconnect */
} rsq_vtab;
/* xConnect body: declare `schema` (errors prefixed with fn), allocate. */
int rsq_vtab_connect(sqlite3 *db, void *aux, const char *fn, const char *schema,
                     const void *spec, sqlite3_vtab **out, char **err);
int rsq_vtab_disconnect(sqlite3_vtab *v);
/* xBestIndex body: bind the hidden arguments (rsq_bind_args), ORDER BY rank
 * free, cheap only when every `required` argument bit is bound. */
int rsq_best_index(sqlite3_index_info *info, int n_out, int n_args, unsigned required);

/* The cursor of the functions that return rs_reco rows (recommend,
 * similar_items, recommend_for_items, ...): the rows, the model they point
 * into, and copies of the arguments for xColumn. */
typedef struct rsq_cursor {
	sqlite3_vtab_cursor base;
	rsq_model *model; /* referenced while rows point into it */
	rs_reco *recs;
	int n, pos;
	sqlite3_value *args[RSQ_MAX_ARGS];
} rsq_cursor;
int rsq_cursor_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out);
/* Forget the previous scan's rows, model reference and arguments. */
void rsq_cursor_reset(rsq_cursor *c);
int rsq_cursor_close(sqlite3_vtab_cursor *cur);
/* Argument k into *k: 10 when absent, else an integer (PostgreSQL's k is an
 * int: what does not convert exactly is refused); the vtab error on failure. */
int rsq_arg_k(sqlite3_vtab *v, sqlite3_value *kv, int *k);

#endif /* RECSYS_SQLITE_H */
