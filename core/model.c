/*
 * model.c - the trained model: allocation, accessors, and the derived
 * structures serving needs (popularity order, item factors in blocks).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

rs_model *rs_model_alloc(void)
{
	rs_model *m = rs_calloc(1, sizeof(rs_model));
	if (m)
		m->purchase_ev = -1;
	return m;
}

void rs_model_destroy(rs_model **pm)
{
	if (!pm || !*pm)
		return;
	rs_model *m = *pm;
	*pm = NULL;
	if (m->img_mapped) { /* arrays live in the image */
		rs_model_image_release(m);
		return;
	}
	rs_idmap_free(&m->users);
	rs_idmap_free(&m->items);
	rs_csr_free(&m->seen);
	free(m->pop);
	free(m->pop_order);
	free(m->user_f);
	free(m->item_f);
	free(m->item_q);
	free(m->item_qscale);
	free(m->item_maxabs);
	rs_ivf_free(m);
	free(m->item_gram);
	free(m->hist_w);
	free(m->item_price);
	free(m->item_cat);
	free(m->user_rows);
	free(m->item_interval);
	rs_events_free(m);
	rs_idmap_free(&m->cats);
	rs_csr_free(&m->sim);
	rs_csr_free(&m->sim_t);
	free(m->dense);
	rs_idmap_free(&m->feats);
	rs_csr_free(&m->item_feats);
	rs_csr_free(&m->user_feats);
	free(m->feat_f);
	free(m->tt_net);
	free(m->vae_enc);
	rs_hybrid_free_derived(m);
	for (int32_t p = 0; p < m->n_parts; p++)
		rs_model_destroy(&m->parts[p]);
	free(m->parts);
	free(m->part_w);
	rs_model_free_fold(m);
	free(m);
}


/* Order by popularity descending, then index ascending. */
static int cmp_pop(const void *a, const void *b, void *ctx)
{
	const float *pop = ctx;
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	if (pop[x] != pop[y])
		return pop[x] > pop[y] ? -1 : 1;
	return (x > y) - (x < y);
}

/* Items rows[0..n) as int8 codes + 128 into blocks of RS_BLK = 16 items at
 * blk (score.c): per group of 4 factors, items 0..7 then 8..15, 4 bytes
 * each. Padding items and factors hold code 0 (byte 128), which adds
 * nothing to a score. Returns the largest sum_d |code| of the rows. */
int32_t rs_quantise_rows(const rs_model *m, const int32_t *rows, int32_t n, uint8_t *blk)
{
	size_t nb = ((size_t)n + RS_BLK - 1) / RS_BLK, bs = rs_qblock_bytes(m);
	int32_t k = m->factors;
	int64_t l1max = 0;
	memset(blk, 128, nb * bs);
	for (int32_t r = 0; r < n; r++) {
		int j = r % RS_BLK;
		const float *y = m->item_f + (size_t)(rows ? rows[r] : r) * k;
		uint8_t *dst = blk + ((size_t)r / RS_BLK) * bs + (j / 8) * 32 + (j % 8) * 4;
		int64_t l1 = 0;
		for (int32_t d = 0; d < k; d++) {
			double s = m->item_qscale[d];
			double v = s > 0 ? nearbyint((double)y[d] / s) : 0;
			v = v > 127 ? 127 : v < -127 ? -127 : v;
			if (isnan(v))
				v = 0;
			dst[(size_t)(d / 4) * 64 + d % 4] = (uint8_t)(int)(v + 128);
			l1 += (int64_t)fabs(v);
		}
		l1max = l1 > l1max ? l1 : l1max;
	}
	return (int32_t)l1max;
}

/* Every item's codes in item order (m->item_q) and m->item_ql1max. */
static uint8_t *make_qblocks(rs_model *m, int32_t n)
{
	size_t nb = ((size_t)n + RS_BLK - 1) / RS_BLK;
	uint8_t *blk = rs_malloc(rs_mul(nb + 1, rs_qblock_bytes(m)));
	if (blk)
		m->item_ql1max = rs_quantise_rows(m, NULL, n, blk);
	return blk;
}

/* Per factor, the largest magnitude over items (for the error bound). */
static float *make_maxabs(const float *f, int32_t n, int32_t k)
{
	float *mx = rs_calloc((size_t)k, sizeof *mx);
	if (!mx)
		return NULL;
	for (int32_t i = 0; i < n; i++)
		for (int32_t d = 0; d < k; d++)
			if (fabsf(f[(size_t)i * k + d]) > mx[d])
				mx[d] = fabsf(f[(size_t)i * k + d]);
	return mx;
}

rs_status rs_model_prepare(rs_model *m, rs_error *err)
{
	int32_t n = (int32_t)m->items.n;
	free(m->pop_order);
	m->pop_order = rs_malloc(rs_mul((size_t)n, sizeof *m->pop_order));
	if (!m->pop_order)
		return rs_fail(err, RS_ENOMEM, "out of memory preparing the model");
	for (int32_t i = 0; i < n; i++)
		m->pop_order[i] = i;
	qsort_r(m->pop_order, (size_t)n, sizeof *m->pop_order, cmp_pop, m->pop);
	rs_status rst = rs_recency_prepare(m, err);
	if (rst != RS_OK)
		return rst;
	if (m->n_parts > 0) {
		rs_status st = rs_hybrid_prepare(m, err);
		if (st != RS_OK)
			return st;
	}
	rs_status st = rs_rank_prepare(m, err); /* spending segments */
	if (st != RS_OK)
		return st;
	rs_csr_free(&m->sim_t);
	if (m->sim.indptr && rs_csr_transpose(&m->sim, &m->sim_t) != RS_OK)
		return rs_fail(err, RS_ENOMEM, "out of memory preparing the model");
	if (m->factors > 0) {
		free(m->item_maxabs);
		m->item_maxabs = make_maxabs(m->item_f, n, m->factors);
		free(m->item_qscale);
		m->item_qscale = rs_malloc(rs_mul((size_t)m->factors, sizeof *m->item_qscale));
		for (int32_t d = 0; m->item_qscale && m->item_maxabs && d < m->factors; d++)
			m->item_qscale[d] = m->item_maxabs[d] / 127.0f;
		free(m->item_q);
		m->item_q = m->item_qscale && m->item_maxabs ? make_qblocks(m, n)
		                                             : NULL;
		if (rs_model_def(m)->solve_fold && !m->item_gram) { /* training computes it first */
			size_t f = (size_t)m->factors;
			m->item_gram = rs_calloc(f * f, sizeof *m->item_gram);
			if (m->item_gram)
				rs_gram(NULL, m->item_f, n, (int)f, m->item_gram, err);
		}
		if (m->item_q && rs_ivf_prepare(m, err) != RS_OK)
			return RS_ENOMEM;
		if (!m->item_q || !m->item_maxabs || (rs_model_def(m)->solve_fold && !m->item_gram))
			return rs_fail(err, RS_ENOMEM, "out of memory preparing the model");
	}
	return RS_OK;
}

const char *rs_model_algorithm(const rs_model *m)
{
	const rs_algo_def *d = rs_algo_find(m->algo);
	return d ? d->name : "?";
}

size_t rs_model_n_users(const rs_model *m) { return m->users.n; }
size_t rs_model_n_items(const rs_model *m) { return m->items.n; }
size_t rs_model_n_interactions(const rs_model *m) { return (size_t)rs_csr_nnz(&m->seen); }

/* Bytes of a CSR matrix's arrays. */
static size_t csr_memory(const rs_csr *c)
{
	return c->indptr ? ((size_t)c->nrows + 1) * 8 + (size_t)rs_csr_nnz(c) * (4 + 4 + (c->ts ? 8 : 0))
	                 : 0;
}

size_t rs_model_memory(const rs_model *m)
{
	size_t nu = m->users.n, ni = m->items.n;
	size_t f = (size_t)m->factors;
	size_t blk = ((ni + RS_BLK - 1) / RS_BLK) * RS_BLK;
	size_t bytes = sizeof *m + rs_idmap_memory(&m->users) + rs_idmap_memory(&m->items) +
	               csr_memory(&m->seen) + ni * 8 + (nu + ni) * f * sizeof(float) +
	               blk * ((f + 3) / 4 * 4) + (m->item_maxabs ? f * 8 : 0) + (m->item_gram ? f * f * 4 : 0) +
	               csr_memory(&m->sim) + csr_memory(&m->sim_t) +
	               (m->dense ? ni * ni * sizeof(float) : 0) + rs_idmap_memory(&m->feats) +
	               csr_memory(&m->item_feats) + csr_memory(&m->user_feats) +
	               (m->feat_f ? m->feats.n * f * sizeof(float) : 0) +
	               (m->tt_net ? rs_tt_net_len(m->factors - 1, m->tt_hidden) * sizeof(float) : 0);
	               (m->vae_enc ? rs_vae_enc_count(m) * sizeof(float) : 0);
	if (m->ivf_nlist && m->ivf_boff) /* centroids, offsets, ids, codes */
		bytes += (size_t)m->ivf_nlist * (f * 4 + 12) + ni * 4 +
		         m->ivf_boff[m->ivf_nlist] * rs_qblock_bytes(m);
	for (int32_t p = 0; p < m->n_parts; p++)
		bytes += rs_model_memory(m->parts[p]) + ni * 4;
	return bytes;
}

const char *rs_model_item_id(const rs_model *m, int32_t i, size_t *len)
{
	if (i < 0 || (size_t)i >= m->items.n) {
		*len = 0;
		return "";
	}
	return rs_idmap_get(&m->items, i, len);
}

/* Category name of item index i (items table "category"), or NULL when the
 * model has no categories or the item none. */
const char *rs_model_item_category(const rs_model *m, int32_t i, size_t *len)
{
	if (m->item_cat == NULL || i < 0 || (size_t)i >= m->items.n || m->item_cat[i] < 0) {
		*len = 0;
		return NULL;
	}
	return rs_idmap_get(&m->cats, m->item_cat[i], len);
}

const char *rs_model_user_id(const rs_model *m, int32_t i, size_t *len)
{
	if (i < 0 || (size_t)i >= m->users.n) {
		*len = 0;
		return "";
	}
	return rs_idmap_get(&m->users, i, len);
}

int32_t rs_model_find_item(const rs_model *m, const char *id, size_t len)
{
	return rs_idmap_find(&m->items, id, len);
}

int32_t rs_model_find_user(const rs_model *m, const char *id, size_t len)
{
	return rs_idmap_find(&m->users, id, len);
}
