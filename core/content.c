/*
 * content.c - content-based recommendation from the items side table.
 *
 * Items are described by the features of their attributes (tokenize.c:
 * words of text columns, whole values of short categorical columns,
 * numeric values or buckets), weighted by TF-IDF (Salton and Buckley 1988)
 * and normalised to unit length:
 *     x_if = (1 + log c_if) (1 + log((1 + N) / (1 + df_f))),  |x_i| = 1
 * with c_if the count of feature f in item i, df_f the items having f and N
 * the items having any feature. They are kept in m->feats / m->item_feats.
 *
 * A user's profile is the weighted sum of the vectors of the items the user
 * interacted with; its cosine with item i ranks like
 *     score(u, i) = sum over u's items j of w_uj (x_j . x_i).
 * The item-item cosines are precomputed at fit time and only the top
 * `neighbors` of each item kept (m->sim), so serving is the itemknn walk
 * (rs_knn_score) over the user's items' neighbour rows, with no scan of
 * the feature matrix per request.
 *
 * Items that only the side table names (nobody has interacted with them
 * yet) join the catalogue with popularity 0: they are recommended as soon as
 * they resemble what a user liked, which is what content is for.
 */
#include "internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Counts to unit-length TF-IDF rows, in place; norms[i] = 1 or 0 (no feature). */
static rs_status tfidf(rs_csr *x, float *norms, rs_error *err)
{
	int64_t nnz = rs_csr_nnz(x);
	double *idf = rs_calloc((size_t)x->ncols + 1, sizeof *idf);
	if (!idf)
		return rs_fail(err, RS_ENOMEM, "out of memory weighting features");
	double n_docs = 0;
	for (int32_t i = 0; i < x->nrows; i++)
		n_docs += x->indptr[i + 1] > x->indptr[i];
	for (int64_t k = 0; k < nnz; k++)
		idf[x->indices[k]] += 1;
	for (int32_t f = 0; f < x->ncols; f++)
		idf[f] = 1.0 + log((1.0 + n_docs) / (1.0 + idf[f]));
	for (int32_t i = 0; i < x->nrows; i++) {
		double s = 0;
		for (int64_t k = x->indptr[i]; k < x->indptr[i + 1]; k++) {
			double v = (1.0 + log(x->data[k])) * idf[x->indices[k]];
			x->data[k] = (float)v;
			s += v * v;
		}
		double inv = s > 0 ? 1.0 / sqrt(s) : 0;
		for (int64_t k = x->indptr[i]; k < x->indptr[i + 1]; k++)
			x->data[k] = (float)(x->data[k] * inv);
		norms[i] = s > 0 ? 1.0f : 0.0f;
	}
	free(idf);
	return RS_OK;
}

/* Item vectors from the side table, then their top-N cosine neighbours. */
static rs_status content_fit(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	if (!rs_config_side_source(cfg, RS_SIDE_ITEMS))
		return rs_fail(err, RS_EINVAL,
		               "algorithm \"content\" needs an items table: set the option \"items\" to a "
		               "table, view or query with an item_id column and attribute columns");
	const rs_attrs *a = ctx->side ? &ctx->side[RS_SIDE_ITEMS] : NULL;
	if (!a || a->n == 0)
		return rs_fail(err, RS_EDATA,
		               "the items table gave no attributes to build content features from "
		               "(no non-NULL value besides the id)");
	int32_t *row_of = rs_malloc(rs_mul(a->ids.n, sizeof *row_of));
	float *norms = NULL;
	rs_csr ft = {0};
	size_t added = 0;
	rs_status st = row_of ? rs_model_add_entities(m, RS_SIDE_ITEMS, a, row_of, &added, err)
	                      : rs_fail(err, RS_ENOMEM, "out of memory reading the items table");
	ctx->new_items = (int64_t)added;
	if (st == RS_OK)
		st = rs_attr_features(cfg, RS_SIDE_ITEMS, a, row_of, (int32_t)m->items.n, &m->feats,
		                      &m->item_feats, err);
	if (st == RS_OK && m->feats.n == 0)
		st = rs_fail(err, RS_EDATA, "the items table's columns gave no content features "
		             "(text without words of two or more characters, or every column left out)");
	if (st == RS_OK) {
		norms = rs_malloc(rs_mul(m->items.n + 1, sizeof *norms));
		st = norms ? tfidf(&m->item_feats, norms, err)
		           : rs_fail(err, RS_ENOMEM, "out of memory weighting features");
	}
	if (st == RS_OK && rs_csr_transpose(&m->item_feats, &ft) != RS_OK)
		st = rs_fail(err, RS_ENOMEM, "out of memory transposing the feature matrix");
	if (st == RS_OK && rs_cancelled(ctx))
		st = rs_fail(err, RS_ECANCELLED, "training cancelled");
	if (st == RS_OK)
		st = rs_knn_topn(ctx, &m->item_feats, &ft, norms, 0, cfg->knn_neighbors, &m->sim, err);
	ctx->side_items = a ? (int64_t)a->ids.n : 0;
	ctx->n_feats = (int64_t)m->feats.n;
	rs_csr_free(&ft);
	free(norms);
	free(row_of);
	return st;
}

/* Summary parameters and the side table's counts. */
static void content_params(const rs_train_ctx *ctx, rs_text *t)
{
	rs_text_printf(t, "\"neighbors\": %d, \"features\": %lld, \"items_in_side_table\": %lld, "
	               "\"new_items\": %lld", ctx->cfg->knn_neighbors, (long long)ctx->n_feats,
	               (long long)ctx->side_items, (long long)ctx->new_items);
}

/* Defaults chosen on validation splits (bench/TUNING.md, "content"). */
static const rs_opt_spec CONTENT_OPTIONS[] = {
	{"neighbors", RS_T_INT, offsetof(rs_config, knn_neighbors), 50, 1, 100000, NULL},
};

const rs_algo_def rs_def_content = {
	.id = RS_ALGO_CONTENT,
	.name = "content",
	.fit = content_fit,
	.score = rs_knn_score,
	.params = content_params,
	.options = CONTENT_OPTIONS,
	.n_options = sizeof CONTENT_OPTIONS / sizeof CONTENT_OPTIONS[0],
	.reason = "matches what you liked",
	.similar_reason = "similar content",
	.split = RS_SPLIT_SIM,
};
