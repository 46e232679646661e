/*
 * recommend.c - the table-valued functions recommend() and popular_items()
 * (tvf_common.c):
 *
 *   recommend(user_id, k = 10, model = NULL, options = NULL)
 *       -> item_id TEXT, score REAL, rank INTEGER, reason TEXT, source TEXT
 *   popular_items(k = 10, model = NULL, options = NULL)
 *       -> item_id TEXT, score REAL, rank INTEGER
 *
 * Both ask the core for the top k of the cached model. A known user's plain
 * request reads no table; an unknown user, or "fresh": true, reads the
 * user's rows from the model's source (fresh.c). Lateral joins work:
 * FROM users u, recommend(u.id, 3).
 */
#include "recsys_sqlite.h"

/* The user's top k: from the model, or from the user's rows (fresh.c). */
int rsq_recommend_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	size_t len;
	const char *user = rsq_arg_text(c, 0, &len);
	if (rs_fresh_wanted(c->model->m, user, len, opts))
		return rsq_fresh_compute(c, 0, k, opts);
	rs_error err = {0};
	if (rs_recommend(c->model->m, user, len, k, opts, c->rows, &c->n, &err) != RS_OK)
		return rsq_cursor_fail(c, &err);
	return SQLITE_OK;
}

const rsq_tvf rsq_recommend_tvf = {
    .name = "recommend",
    .schema = "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, reason TEXT, "
              "source TEXT, user_id HIDDEN, k HIDDEN, model HIDDEN, options HIDDEN)",
    .n_out = 5,
    .args = {{"user_id", RSQ_ARG_KEY}, RSQ_SERVING_ARGS},
    .flags = RSQ_TVF_LOCAL | RSQ_TVF_RANKED | RSQ_TVF_TOPK | RSQ_TVF_POLICY,
    .compute = rsq_recommend_compute,
    .column = rsq_reco_column,
};

/* The model's k most popular items. */
static int popular_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	rs_error err = {0};
	if (rs_popular(c->model->m, k, opts, c->rows, &c->n, &err) != RS_OK)
		return rsq_cursor_fail(c, &err);
	return SQLITE_OK;
}

const rsq_tvf rsq_popular_tvf = {
    .name = "popular_items",
    .schema = "CREATE TABLE x(item_id TEXT, score REAL, rank INTEGER, k HIDDEN, model HIDDEN, "
              "options HIDDEN)",
    .n_out = 3,
    .args = {RSQ_SERVING_ARGS},
    .flags = RSQ_TVF_LOCAL | RSQ_TVF_RANKED | RSQ_TVF_TOPK,
    .compute = popular_compute,
    .column = rsq_reco_column,
};
