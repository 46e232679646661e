/*
 * train.c - recsys_train(model, source [, algorithm [, options]]) and
 * recsys_drop_model(model).
 *
 * Reads the caller's table, view or query and the side tables the options
 * name (source.c) into the core's builder, trains, serializes and stores
 * the model as a new version (store.c). Returns the core's training
 * summary as JSON text with "model" and "version" in front.
 */
#include "recsys_sqlite.h"

#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* Everything one training call owns; train_job_free releases it all. */
typedef struct train_job {
	sqlite3 *db;
	const char *name, *source, *algorithm, *options;
	rsq_opts opts;
	rs_config *cfg;
	rs_builder *builder;
	rs_model *model;
	char *summary;       /* rs_free */
	unsigned char *blob; /* rs_free */
	size_t blob_len;
	sqlite3_stmt *probe; /* trivial statement that notices sqlite3_interrupt() */
	rsq_progress progress; /* the core's callbacks */
	char *errmsg;
	rs_error err;
} train_job;

/* Release every binding and core object of a job. */
static void train_job_free(train_job *j)
{
	rsq_opts_free(&j->opts);
	rs_config_destroy(&j->cfg);
	rs_builder_destroy(&j->builder);
	rs_model_destroy(&j->model);
	rs_free(j->summary);
	rs_free(j->blob);
	sqlite3_free(j->errmsg);
	sqlite3_finalize(j->probe);
#ifdef __GLIBC__
	malloc_trim(0); /* the training's freed heap pages go back to the OS */
#endif
}



/*
 * SQLite 3.40 has no sqlite3_is_interrupted() (3.41), but a statement run
 * while sqlite3_interrupt() is pending fails with SQLITE_INTERRUPT.
 */
int rsq_interrupted(void *probe)
{
	if (!probe)
		return 0;
	sqlite3_reset(probe);
	return sqlite3_step(probe) == SQLITE_INTERRUPT;
}

/* Train, serialize and store a new version; *out = the summary to return. */
static int train_and_store(train_job *j, char **out)
{
	if (sqlite3_prepare_v2(j->db, "SELECT 1", -1, &j->probe, NULL) != SQLITE_OK)
		j->probe = NULL; /* no probe: training simply cannot be interrupted */
	j->progress.cb.cancel = rsq_interrupted;
	j->progress.cb.ctx = j->probe;
	if (rs_train(j->cfg, j->builder, &j->progress.cb, &j->model, &j->summary, &j->err) != RS_OK)
		return rsq_core_fail(&j->err, &j->errmsg);
	rs_builder_destroy(&j->builder);
	if (rs_model_save(j->model, &j->blob, &j->blob_len, &j->err) != RS_OK)
		return rsq_core_fail(&j->err, &j->errmsg);
	rsq_store_row row = {
	    .name = j->name,
	    .algorithm = rs_config_algorithm(j->cfg),
	    .options = j->options,
	    .source = j->source,
	    .summary = j->summary,
	    .users = (sqlite3_int64)rs_model_n_users(j->model),
	    .items = (sqlite3_int64)rs_model_n_items(j->model),
	    .interactions = (sqlite3_int64)rs_model_n_interactions(j->model),
	    .blob = j->blob,
	    .blob_len = j->blob_len,
	};
	rs_model_destroy(&j->model); /* the blob is all the insert needs */
	sqlite3_int64 version = 0;
	return rsq_store_insert(j->db, &row, &version, out, &j->errmsg);
}

/* Text of argument i, or `dflt` when absent; *is_null set for SQL NULL. */
static const char *arg_text(int argc, sqlite3_value **argv, int i, const char *dflt, int *is_null)
{
	*is_null = 0;
	if (i >= argc)
		return dflt;
	if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
		*is_null = 1;
		return NULL;
	}
	return (const char *)sqlite3_value_text(argv[i]);
}

/* Read and check the arguments: a NULL one is an error (an absent
 * algorithm is als, absent options none), as in PostgreSQL; the model name
 * must fit PostgreSQL's (RSQ_MAX_NAME bytes). */
static int train_args(train_job *j, int argc, sqlite3_value **argv)
{
	static const char *const NAMES[] = {"model", "source", "algorithm", "options"};
	int is_null[4];
	j->name = arg_text(argc, argv, 0, NULL, &is_null[0]);
	j->source = arg_text(argc, argv, 1, NULL, &is_null[1]);
	j->algorithm = arg_text(argc, argv, 2, "als", &is_null[2]);
	j->options = arg_text(argc, argv, 3, NULL, &is_null[3]);
	for (int i = 0; i < 4; i++) {
		if (is_null[i]) {
			j->errmsg = sqlite3_mprintf("argument \"%s\" must not be null", NAMES[i]);
			return SQLITE_ERROR;
		}
	}
	if (!j->name || !j->source || !j->algorithm || (argc > 3 && !j->options))
		return SQLITE_NOMEM;
	return rsq_check_model_name(j->name, &j->errmsg);
}

/* SQL: recsys_train(model, source [, algorithm [, options]]) -> summary JSON. */
void rsq_fn_train(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	rsq_ctx *ctx = sqlite3_user_data(c);
	train_job j;
	memset(&j, 0, sizeof j);
	j.db = sqlite3_context_db_handle(c);
	char *summary = NULL;
	int rc = train_args(&j, argc, argv);
	if (rc == SQLITE_OK)
		rc = rsq_opts_parse(j.db, j.options, "options", &j.opts, &j.errmsg);
	/* the configuration first: a bad algorithm or option fails fast */
	if (rc == SQLITE_OK &&
	    rs_config_create(j.algorithm, rsq_opts_root(&j.opts), 0, &j.cfg, &j.err) != RS_OK)
		rc = rsq_core_fail(&j.err, &j.errmsg);
	if (rc == SQLITE_OK)
		rsq_progress_begin(&j.progress, j.cfg, "train", j.name);
	if (rc == SQLITE_OK)
		rc = rsq_source_load(j.db, j.source, j.cfg, rsq_opts_root(&j.opts), &j.builder,
		                     &j.errmsg);
	if (rc == SQLITE_OK)
		rc = train_and_store(&j, &summary);
	ctx->snap_valid = 0; /* the store changed (or may have) */
	if (rc == SQLITE_OK)
		sqlite3_result_text(c, summary, -1, sqlite3_free);
	else if (j.errmsg)
		sqlite3_result_error(c, j.errmsg, -1);
	else if (rc == SQLITE_NOMEM)
		sqlite3_result_error_nomem(c);
	else
		sqlite3_result_error(c, sqlite3_errstr(rc), -1);
	train_job_free(&j);
}

/* SQL: recsys_drop_model(name) -> 1; an unknown model is an error. */
void rsq_fn_drop_model(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	rsq_ctx *ctx = sqlite3_user_data(c);
	sqlite3 *db = sqlite3_context_db_handle(c);
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	if (!name) {
		rsq_result_errmsg(c, sqlite3_mprintf("argument \"model\" must not be null"));
		return;
	}
	int deleted = 0;
	char *errmsg = NULL;
	if (rsq_store_drop(db, name, &deleted, &errmsg) != SQLITE_OK) {
		rsq_result_errmsg(c, errmsg);
		return;
	}
	if (deleted == 0) {
		rsq_result_errmsg(c, rsq_unknown_model_msg(db, name));
		return;
	}
	rsq_cache_forget(ctx, name);
	sqlite3_result_int(c, 1);
}
