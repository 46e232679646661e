/*
 * model.c - the trained model: allocation, accessors, and the derived
 * structures serving needs (popularity order, item factors in blocks).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

rs_model *rs_model_alloc(void) { return rs_calloc(1, sizeof(rs_model)); }

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
	free(m->item_blk);
	free(m->item_maxabs);
	free(m->item_gram);
	free(m->hist_w);
	free(m->item_price);
	free(m->item_cat);
	free(m->user_rows);
	free(m->item_interval);
	rs_idmap_free(&m->cats);
	rs_csr_free(&m->sim);
	rs_csr_free(&m->sim_t);
	free(m->dense);
	rs_idmap_free(&m->feats);
	rs_csr_free(&m->item_feats);
	rs_csr_free(&m->user_feats);
	free(m->feat_f);
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

/* float32 -> bfloat16 (the upper half), rounded to nearest even. */
static uint32_t to_bf16(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	u += 0x7FFFu + ((u >> 16) & 1u);
	return u >> 16;
}

/* Item factors in blocks of RS_BLK = 16 items, factor-major: for factor d,
 * 8 words whose word j holds item j (low half) and item j + 8 (high half)
 * as bfloat16, so one 32-byte load feeds both halves of a block (score.c). */
static uint32_t *make_blocks(const float *f, int32_t n, int32_t k)
{
	size_t nb = ((size_t)n + RS_BLK - 1) / RS_BLK;
	uint32_t *blk = rs_calloc(rs_mul(nb * (RS_BLK / 2), (size_t)k), sizeof *blk);
	if (!blk)
		return NULL;
	for (int32_t i = 0; i < n; i++) {
		int j = i % RS_BLK, shift = j < 8 ? 0 : 16;
		uint32_t *dst = blk + ((size_t)i / RS_BLK) * (RS_BLK / 2) * k + j % 8;
		for (int32_t d = 0; d < k; d++)
			dst[(size_t)d * (RS_BLK / 2)] |= to_bf16(f[(size_t)i * k + d]) << shift;
	}
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
		free(m->item_blk);
		m->item_blk = make_blocks(m->item_f, n, m->factors);
		free(m->item_maxabs);
		m->item_maxabs = make_maxabs(m->item_f, n, m->factors);
		if (rs_model_def(m)->solve_fold && !m->item_gram) { /* training computes it first */
			size_t f = (size_t)m->factors;
			m->item_gram = rs_calloc(f * f, sizeof *m->item_gram);
			if (m->item_gram)
				rs_gram(NULL, m->item_f, n, (int)f, m->item_gram, err);
		}
		if (!m->item_blk || !m->item_maxabs || (rs_model_def(m)->solve_fold && !m->item_gram))
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
	               blk * f * 2 + (m->item_maxabs ? f * 4 : 0) + (m->item_gram ? f * f * 4 : 0) +
	               csr_memory(&m->sim) + csr_memory(&m->sim_t) +
	               (m->dense ? ni * ni * sizeof(float) : 0) + rs_idmap_memory(&m->feats) +
	               csr_memory(&m->item_feats) + csr_memory(&m->user_feats) +
	               (m->feat_f ? m->feats.n * f * sizeof(float) : 0);
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

int32_t rs_model_find_item(const rs_model *m, const char *id, size_t len)
{
	return rs_idmap_find(&m->items, id, len);
}

int32_t rs_model_find_user(const rs_model *m, const char *id, size_t len)
{
	return rs_idmap_find(&m->users, id, len);
}
