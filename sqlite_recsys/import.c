/*
 * import.c - recsys_import(model, user_vectors, item_vectors [, options]):
 * a model from vectors trained elsewhere (core/import.c), stored as the
 * next version of `model` like a training's result (store.c).
 *
 * The vector sources are tables, views or queries read like a training
 * source (source.c: features as a JSON array, a PostgreSQL array literal or
 * a BLOB of float32); the optional "interactions" source is read as
 * recsys_train reads its source and recorded for fresh users. Nothing is
 * stored unless every row was good. Returns the core's summary as JSON
 * text with "model" and "version" in front.
 */
#include "recsys_sqlite.h"

#include <string.h>

/* Everything one import owns; import_job_free releases it all. */
typedef struct import_job {
	sqlite3 *db;
	const char *name, *users, *items, *options;
	rsq_opts opts;
	rs_import *import;
	rs_builder *builder;
	rs_model *model;
	char *summary;       /* rs_free */
	unsigned char *blob; /* rs_free */
	size_t blob_len;
	sqlite3_stmt *probe; /* notices sqlite3_interrupt() */
	char *errmsg;
	rs_error err;
} import_job;

static void import_job_free(import_job *j)
{
	rsq_opts_free(&j->opts);
	rs_import_destroy(&j->import);
	rs_builder_destroy(&j->builder);
	rs_model_destroy(&j->model);
	rs_free(j->summary);
	rs_free(j->blob);
	sqlite3_free(j->errmsg);
	sqlite3_finalize(j->probe);
}

/* The arguments: the first three must not be NULL, options may be. */
static int import_args(import_job *j, int argc, sqlite3_value **argv)
{
	static const char *const NAMES[] = {"model", "user_vectors", "item_vectors"};
	const char **dst[] = {&j->name, &j->users, &j->items};
	for (int i = 0; i < 3; i++) {
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
			j->errmsg = sqlite3_mprintf("argument \"%s\" must not be null", NAMES[i]);
			return SQLITE_ERROR;
		}
		*dst[i] = (const char *)sqlite3_value_text(argv[i]);
		if (!*dst[i])
			return SQLITE_NOMEM;
	}
	j->options = argc > 3 ? (const char *)sqlite3_value_text(argv[3]) : NULL;
	return rsq_check_model_name(j->name, &j->errmsg);
}

/* Read everything, build the model, store it; *out = the summary. */
static int import_and_store(import_job *j, char **out)
{
	const char *inter = rs_import_interactions(j->import);
	int rc = rsq_source_load_vectors(j->db, j->users, "user_vectors", j->import, RS_SIDE_USERS,
	                                 &j->errmsg);
	if (rc == SQLITE_OK)
		rc = rsq_source_load_vectors(j->db, j->items, "item_vectors", j->import, RS_SIDE_ITEMS,
		                             &j->errmsg);
	if (rc == SQLITE_OK && inter)
		rc = rsq_source_load(j->db, inter, rs_import_config(j->import), rsq_opts_root(&j->opts),
		                     &j->builder, &j->errmsg);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_prepare_v2(j->db, "SELECT 1", -1, &j->probe, NULL) != SQLITE_OK)
		j->probe = NULL;
	rs_callbacks cb = {.cancel = rsq_interrupted, .ctx = j->probe};
	if (rs_import_finish(j->import, j->builder, &cb, &j->model, &j->summary, &j->err) != RS_OK)
		return rsq_core_fail(&j->err, &j->errmsg);
	if (rs_model_save(j->model, &j->blob, &j->blob_len, &j->err) != RS_OK)
		return rsq_core_fail(&j->err, &j->errmsg);
	rsq_store_row row = {
	    .name = j->name,
	    .algorithm = rs_model_algorithm(j->model),
	    .options = j->options,
	    .source = inter,
	    .summary = j->summary,
	    .users = (sqlite3_int64)rs_model_n_users(j->model),
	    .items = (sqlite3_int64)rs_model_n_items(j->model),
	    .interactions = (sqlite3_int64)rs_model_n_interactions(j->model),
	    .blob = j->blob,
	    .blob_len = j->blob_len,
	};
	sqlite3_int64 version = 0;
	return rsq_store_insert(j->db, &row, &version, out, &j->errmsg);
}

void rsq_fn_import(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	rsq_ctx *ctx = sqlite3_user_data(c);
	import_job j;
	memset(&j, 0, sizeof j);
	j.db = sqlite3_context_db_handle(c);
	char *summary = NULL;
	int rc = import_args(&j, argc, argv);
	if (rc == SQLITE_OK)
		rc = rsq_opts_parse(j.db, j.options, "options", &j.opts, &j.errmsg);
	if (rc == SQLITE_OK && rs_import_create(rsq_opts_root(&j.opts), 0, &j.import, &j.err) != RS_OK)
		rc = rsq_core_fail(&j.err, &j.errmsg);
	if (rc == SQLITE_OK)
		rc = import_and_store(&j, &summary);
	ctx->snap_valid = 0; /* the store changed (or may have) */
	if (rc == SQLITE_OK)
		sqlite3_result_text(c, summary, -1, sqlite3_free);
	else if (j.errmsg)
		sqlite3_result_error(c, j.errmsg, -1);
	else if (rc == SQLITE_NOMEM)
		sqlite3_result_error_nomem(c);
	else
		sqlite3_result_error(c, sqlite3_errstr(rc), -1);
	import_job_free(&j);
}
