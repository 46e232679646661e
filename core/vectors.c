/*
 * vectors.c - the factor vectors of a model's users or items, for export
 * (recsys_item_vectors / recsys_user_vectors): pgvector, sqlite-vec and
 * other vector stores take them as they are.
 *
 * Only factor models have vectors (als, svd, bpr, warp, imported models).
 * Neighbour and linear models (itemknn, ease, content, popularity) score
 * from item-item weights and have none; a hybrid blends several models'
 * scores, so no single vector space describes it: both are refused with a
 * message that says which algorithms have vectors.
 */
#include "internal.h"

rs_status rs_model_vectors(const rs_model *m, rs_side side, int32_t *dim, size_t *n,
                           const float **data, rs_error *err)
{
	const float *f = side == RS_SIDE_USERS ? m->user_f : m->item_f;

	if (m->n_parts > 0)
		return rs_fail(err, RS_EINVAL,
		               "model is a hybrid (algorithm \"%s\"): it blends several models' scores "
		               "and has no vectors of its own; export the vectors of a factor model "
		               "(als, svd, bpr, warp or an imported model) trained alone",
		               rs_model_algorithm(m));
	if (f == NULL || m->factors <= 0)
		return rs_fail(err, RS_EINVAL,
		               "model has no %s vectors: algorithm \"%s\" is not a factor model "
		               "(vectors come from als, svd, bpr, warp, vae, two_tower and imported models)",
		               side == RS_SIDE_USERS ? "user" : "item", rs_model_algorithm(m));
	*dim = m->factors;
	*n = side == RS_SIDE_USERS ? rs_model_n_users(m) : rs_model_n_items(m);
	*data = f;
	return RS_OK;
}
