/*
 * similar.c - the table-valued function similar_items() (tvf_common.c):
 *
 *   similar_items(item_id, k = 10, model = NULL, options = NULL)
 *       -> item_id TEXT, score REAL, rank INTEGER, reason TEXT
 *
 * The core (core/similar.c) computes the rows from the cached model.
 * Lateral joins work: FROM items i, similar_items(i.id, 3).
 */
#include "recsys_sqlite.h"

/* The item's k most similar items; an unknown item names the model too. */
static int similar_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	size_t len;
	const char *item = rsq_arg_text(c, 0, &len);
	rs_error err = {0};
	if (rs_similar_items(c->model->m, item, len, k, opts, c->rows, &c->n, &err) == RS_OK)
		return SQLITE_OK;
	rs_error_name_model(&err, c->model->m, c->model->name, NULL, 0, item, len);
	return rsq_cursor_fail(c, &err);
}

/* item_id, score, rank, and the reason of a similar item. */
static void similar_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	const rs_reco *r = (const rs_reco *)c->rows + c->pos;
	if (col == 3)
		sqlite3_result_text(ctx, rs_similar_reason(c->model->m, r->source), -1, SQLITE_STATIC);
	else
		rsq_reco_column(c, ctx, col);
}

const rsq_tvf rsq_similar_tvf = {
    .name = "similar_items",
    .schema = "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, reason TEXT, "
              "item HIDDEN, k HIDDEN, model HIDDEN, options HIDDEN)",
    .n_out = 4,
    .args = {{"item_id", RSQ_ARG_KEY}, RSQ_SERVING_ARGS},
    .flags = RSQ_TVF_LOCAL | RSQ_TVF_RANKED | RSQ_TVF_TOPK,
    .compute = similar_compute,
    .column = similar_column,
};
