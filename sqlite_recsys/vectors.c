/*
 * vectors.c - the table-valued functions recsys_item_vectors(model) and
 * recsys_user_vectors(model) -> id TEXT, vector TEXT (a JSON array of the
 * factors, as sqlite-vec's vec_f32() and json_each() read it): the factor
 * vectors of a factor model. Other models are refused by the core
 * (rs_model_vectors) with a message that says which algorithms have them.
 */
#include "recsys_sqlite.h"

/* What a scan walks: one side's n rows of dim floats (into the model). */
typedef struct vec_rows {
	rs_side side;
	int32_t dim;
	const float *data;
} vec_rows;

static int vectors_compute(rsq_cursor *c, rs_side side)
{
	rs_error err = {0};
	vec_rows *v = sqlite3_malloc64(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	c->rows = v;
	v->side = side;
	size_t n;
	if (rs_model_vectors(c->model->m, side, &v->dim, &n, &v->data, &err) != RS_OK)
		return rsq_cursor_fail(c, &err);
	c->n = (int)n;
	return SQLITE_OK;
}

static int item_vectors_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	(void)k;
	(void)opts;
	return vectors_compute(c, RS_SIDE_ITEMS);
}

static int user_vectors_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	(void)k;
	(void)opts;
	return vectors_compute(c, RS_SIDE_USERS);
}

/* Column 0 the id, 1 the vector as a JSON array. */
static void vectors_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	const vec_rows *v = c->rows;
	const rs_model *m = c->model->m;
	size_t len;
	if (col == 0) {
		const char *id = v->side == RS_SIDE_USERS ? rs_model_user_id(m, c->pos, &len)
		                                          : rs_model_item_id(m, c->pos, &len);
		sqlite3_result_text64(ctx, id, len, SQLITE_TRANSIENT, SQLITE_UTF8);
		return;
	}
	sqlite3_str *s = sqlite3_str_new(NULL);
	const float *f = v->data + (size_t)c->pos * (size_t)v->dim;
	sqlite3_str_appendchar(s, 1, '[');
	for (int32_t d = 0; d < v->dim; d++)
		sqlite3_str_appendf(s, d ? ",%!.9g" : "%!.9g", rsq_float_decimal(f[d]));
	sqlite3_str_appendchar(s, 1, ']');
	int bytes = sqlite3_str_length(s);
	char *text = sqlite3_str_finish(s);
	if (!text)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, text, bytes, sqlite3_free);
}

const rsq_tvf rsq_item_vectors_tvf = {
    .name = "recsys_item_vectors",
    .schema = "CREATE TABLE x(id TEXT, vector TEXT, model HIDDEN)",
    .n_out = 2,
    .args = {{"model", RSQ_ARG_MODEL}},
    .rows = 1000,
    .compute = item_vectors_compute,
    .column = vectors_column,
};

const rsq_tvf rsq_user_vectors_tvf = {
    .name = "recsys_user_vectors",
    .schema = "CREATE TABLE x(id TEXT, vector TEXT, model HIDDEN)",
    .n_out = 2,
    .args = {{"model", RSQ_ARG_MODEL}},
    .rows = 1000,
    .compute = user_vectors_compute,
    .column = vectors_column,
};
