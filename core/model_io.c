/*
 * model_io.c - the model blob: versioned, checksummed, bounds-checked.
 *
 * Layout (in the writing host's byte order, recorded in section T_ABI with
 * the float format; see ARCHITECTURE.md):
 *   "RSYSMODL" | u32 format | u32 n_sections | u64 total_length
 *   n_sections x { u32 tag | u32 flags | u64 length | payload, padded to 8 }
 *   u64 checksum of every byte before it
 * Flags bit 0 marks a section an older reader may skip. Loading checks the
 * length, magic, format and checksum before reading anything, then every
 * size and index, so a damaged blob is RS_ECORRUPT and never a crash.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_format.h"

/* 64-bit word hash, fast enough to check a 100 MB blob in tens of ms. */
uint64_t rs_blob_checksum(const unsigned char *p, size_t n)
{
	uint64_t h = 0x243F6A8885A308D3ULL ^ n;
	size_t k = 0;
	for (; k + 8 <= n; k += 8) {
		uint64_t w;
		memcpy(&w, p + k, 8);
		h ^= w * 0x87C37B91114253D5ULL;
		h = ((h << 31) | (h >> 33)) * 0x4CF5AD432745937FULL;
	}
	for (; k < n; k++)
		h = (h ^ p[k]) * 0x100000001B3ULL;
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	return h ^ (h >> 33);
}

typedef struct wbuf { unsigned char *p; size_t len; } wbuf;

static void put(wbuf *w, const void *src, size_t n)
{
	if (w->p && n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}
static void put_u32(wbuf *w, uint32_t v) { put(w, &v, 4); }
static void put_u64(wbuf *w, uint64_t v) { put(w, &v, 8); }

/* Two payload parts and the padding to 8 bytes (`before` bytes of the
 * payload were written already). */
static void put_section_body(wbuf *w, const void *a, size_t na, const void *b, size_t nb,
                             size_t before)
{
	put(w, a, na);
	put(w, b, nb);
	static const unsigned char zero[8];
	put(w, zero, (8 - (before + na + nb) % 8) % 8);
}

/* Section with two parts (e.g. offsets then pool); pads to 8 bytes. */
static void put_section2(wbuf *w, uint32_t tag, uint32_t flags, const void *a,
                         size_t na, const void *b, size_t nb)
{
	put_u32(w, tag);
	put_u32(w, flags);
	put_u64(w, na + nb);
	put_section_body(w, a, na, b, nb, 0);
}

/* A CSR matrix as three sections: indptr, indices, data. */
static uint32_t put_csr(wbuf *w, uint32_t tag, const rs_csr *c)
{
	uint64_t nnz = (uint64_t)rs_csr_nnz(c);
	put_section2(w, tag, 0, c->indptr, ((uint64_t)c->nrows + 1) * 8, NULL, 0);
	put_section2(w, tag + 1, 0, c->indices, nnz * 4, NULL, 0);
	put_section2(w, tag + 2, 0, c->data, nnz * 4, NULL, 0);
	return 3;
}

/* An id map as a section: u64 count, (count + 1) u64 offsets, the bytes. */
static uint32_t put_counted_ids(wbuf *w, uint32_t tag, const rs_idmap *ids)
{
	static const uint64_t empty_off = 0;
	uint64_t n = ids->n;
	const uint64_t *offs = ids->offs ? ids->offs : &empty_off;
	put_u32(w, tag);
	put_u32(w, 0);
	put_u64(w, 8 + (n + 1) * 8 + offs[n]);
	put_u64(w, n);
	put_section_body(w, offs, (n + 1) * 8, ids->pool, offs[n], 8);
	return 1;
}

/* Hybrid components, already serialized: count, then weight, length, blob. */
typedef struct part_blobs { uint32_t n; unsigned char **blob; size_t *len; const float *w; } part_blobs;

static uint32_t put_parts(wbuf *w, const part_blobs *pb)
{
	uint64_t total = 4;
	for (uint32_t p = 0; p < pb->n; p++)
		total += 4 + 8 + pb->len[p];
	put_u32(w, T_PARTS);
	put_u32(w, 0);
	put_u64(w, total);
	put_u32(w, pb->n);
	for (uint32_t p = 0; p < pb->n; p++) {
		put(w, &pb->w[p], 4);
		put_u64(w, pb->len[p]);
		put(w, pb->blob[p], pb->len[p]);
	}
	static const unsigned char zero[8];
	put(w, zero, (8 - total % 8) % 8);
	return 1;
}

/* What fold-in needs (history.c): ALS alpha and lambda with the event
 * weights, the event names, the source's columns. */
static uint32_t write_fold(const rs_model *m, wbuf *w)
{
	double ab[2] = {m->fold_alpha, m->fold_lambda};
	put_section2(w, T_FOLD, 0, ab, sizeof ab, m->event_w, m->events.n * 8);
	uint32_t n = 1 + put_counted_ids(w, T_EVENTS, &m->events);
	if (m->columns.n)
		n += put_counted_ids(w, T_COLUMNS, &m->columns);
	return n;
}

/* Events and purchases (events.c), optional: older readers skip them. */
static uint32_t write_events(const rs_model *m, wbuf *w)
{
	uint64_t nu = m->users.n, ne = m->events.n, nnz = (uint64_t)rs_csr_nnz(&m->seen);
	if (!m->user_buy)
		return 0;
	uint32_t n = 1, head[2] = {m->purchase_ev < 0 ? UINT32_MAX : (uint32_t)m->purchase_ev,
	                           (uint32_t)ne};
	if (m->pair_ev) {
		put_section2(w, T_PAIR_EVENT, FLAG_OPTIONAL, m->pair_ev, nnz, NULL, 0);
		put_section2(w, T_PAIR_BUY, FLAG_OPTIONAL, m->pair_buy, nnz * 8, NULL, 0);
		n += 2;
	}
	put_u32(w, T_USER_EVENTS);
	put_u32(w, FLAG_OPTIONAL);
	put_u64(w, sizeof head + nu * 32 + (m->user_ev ? nu * ne * 4 : 0));
	put(w, head, sizeof head);
	put_section_body(w, m->user_buy, nu * 32, m->user_ev, m->user_ev ? nu * ne * 4 : 0, sizeof head);
	return n;
}

/* The optional parts (similarities, dense weights, features, components). */
static uint32_t write_optional(const rs_model *m, wbuf *w, const part_blobs *pb)
{
	uint32_t n = 0;
	uint64_t ni = m->items.n, nf = m->feats.n;
	if (m->sim.indptr)
		n += put_csr(w, T_SIM, &m->sim);
	if (m->dense)
		put_section2(w, T_DENSE, 0, m->dense, ni * ni * 4, NULL, 0), n++;
	if (m->feats.offs) /* count first: the meta section predates features */
		n += put_counted_ids(w, T_FEATS, &m->feats);
	if (m->item_price)
		put_section2(w, T_PRICE, 0, m->item_price, ni * 4, NULL, 0), n++;
	if (m->item_cat) {
		put_section2(w, T_ITEM_CAT, 0, m->item_cat, ni * 4, NULL, 0), n++;
		n += put_counted_ids(w, T_CATS, &m->cats);
	}
	if (m->user_rows)
		put_section2(w, T_USER_ROWS, 0, m->user_rows, (uint64_t)m->users.n * 4, NULL, 0), n++;
	if (m->item_interval)
		put_section2(w, T_INTERVAL, 0, m->item_interval, ni * 8, NULL, 0), n++;
	if (m->item_feats.indptr)
		n += put_csr(w, T_IFEAT, &m->item_feats);
	if (m->user_feats.indptr)
		n += put_csr(w, T_UFEAT, &m->user_feats);
	if (m->feat_f)
		put_section2(w, T_FEAT_F, 0, m->feat_f, nf * (uint64_t)m->factors * 4, NULL, 0), n++;
	if (m->recency > 0)
		put_section2(w, T_RECENCY, 0, &m->recency, 8, NULL, 0), n++;
	if (m->weighting != RS_WEIGHT_RAW) { /* weighting.c; older readers refuse it */
		uint32_t wk = (uint32_t)m->weighting;
		put_section2(w, T_WEIGHTING, 0, &wk, 4, NULL, 0), n++;
	}
	if (m->ivf_nlist) { /* optional: readers before the index skip it */
		put_section2(w, T_IVF_CENT, FLAG_OPTIONAL, m->ivf_cent,
		             (uint64_t)m->ivf_nlist * m->factors * 4, NULL, 0);
		put_section2(w, T_IVF_OFF, FLAG_OPTIONAL, m->ivf_off, ((uint64_t)m->ivf_nlist + 1) * 4,
		             NULL, 0);
		put_section2(w, T_IVF_ITEMS, FLAG_OPTIONAL, m->ivf_items, ni * 4, NULL, 0);
		n += 3;
	}
	if (pb->n)
		n += put_parts(w, pb);
	if (m->tt_net) { /* two_tower.c: the user tower */
		uint32_t head[2] = {(uint32_t)m->tt_hidden, 0};
		memcpy(&head[1], &m->tt_history, 4);
		put_section2(w, T_TWO_TOWER, 0, head, sizeof head, m->tt_net,
		             rs_tt_net_len(m->factors - 1, m->tt_hidden) * 4), n++;
	}
	if (m->vae_enc) {
		uint32_t dims[3] = {(uint32_t)m->vae_hidden, (uint32_t)m->vae_latent,
		                    (uint32_t)m->vae_dec_hidden};
		put_section2(w, T_VAE, 0, dims, sizeof dims, NULL, 0), n++;
		put_section2(w, T_VAE_ENC, 0, m->vae_enc, rs_vae_enc_count(m) * 4, NULL, 0), n++;
	}
	if (m->algo == RS_ALGO_IMPORTED) {
		uint32_t imp[2] = {(uint32_t)m->imp_bias, (uint32_t)m->imp_als};
		put_section2(w, T_IMPORT, 0, imp, sizeof imp, NULL, 0), n++;
	}
	return n + write_events(m, w) + write_fold(m, w);
}

/* Write every section (w->p NULL: only measure). Returns section count. */
static uint32_t write_sections(const rs_model *m, wbuf *w, const part_blobs *pb)
{
	uint64_t nu = m->users.n, ni = m->items.n, nnz = (uint64_t)rs_csr_nnz(&m->seen);
	blob_meta meta = {(uint32_t)m->algo, (uint32_t)m->factors, nu, ni, nnz, m->trained_at};
	uint32_t n = 0;
	uint32_t abi[2] = {RS_BYTE_ORDER_MARK, RS_FLOAT_IEEE754};
	put_section2(w, T_META, 0, &meta, sizeof meta, NULL, 0), n++;
	/* optional: format-1 readers before it skip it */
	put_section2(w, T_ABI, FLAG_OPTIONAL, abi, sizeof abi, NULL, 0), n++;
	put_section2(w, T_USERS, 0, m->users.offs, (nu + 1) * 8, m->users.pool, m->users.offs[nu]), n++;
	put_section2(w, T_ITEMS, 0, m->items.offs, (ni + 1) * 8, m->items.pool, m->items.offs[ni]), n++;
	put_section2(w, T_INDPTR, 0, m->seen.indptr, (nu + 1) * 8, NULL, 0), n++;
	put_section2(w, T_INDICES, 0, m->seen.indices, nnz * 4, NULL, 0), n++;
	put_section2(w, T_DATA, 0, m->seen.data, nnz * 4, NULL, 0), n++;
	if (m->seen.ts)
		put_section2(w, T_TS, 0, m->seen.ts, nnz * 8, NULL, 0), n++;
	put_section2(w, T_POP, 0, m->pop, ni * 4, NULL, 0), n++;
	if (m->factors > 0) {
		put_section2(w, T_USER_F, 0, m->user_f, nu * m->factors * 4, NULL, 0), n++;
		put_section2(w, T_ITEM_F, 0, m->item_f, ni * m->factors * 4, NULL, 0), n++;
	}
	return n + write_optional(m, w, pb);
}

/* Serialize the hybrid components first (their blobs nest in ours). */
static rs_status save_parts(const rs_model *m, part_blobs *pb, rs_error *err)
{
	pb->n = 0;
	pb->w = m->part_w;
	pb->blob = rs_calloc((size_t)m->n_parts + 1, sizeof *pb->blob);
	pb->len = rs_calloc((size_t)m->n_parts + 1, sizeof *pb->len);
	if (!pb->blob || !pb->len)
		return rs_fail(err, RS_ENOMEM, "out of memory serializing a model");
	for (int32_t p = 0; p < m->n_parts; p++) {
		rs_status st = rs_model_save(m->parts[p], &pb->blob[p], &pb->len[p], err);
		if (st != RS_OK)
			return st;
		pb->n++;
	}
	return RS_OK;
}

static void free_parts(part_blobs *pb)
{
	for (uint32_t p = 0; pb->blob && p < pb->n; p++)
		free(pb->blob[p]);
	free(pb->blob);
	free(pb->len);
}

static void *malloc_blob(void *actx, size_t bytes)
{
	(void)actx;
	return rs_malloc(bytes);
}

rs_status rs_model_save(const rs_model *m, unsigned char **blob, size_t *len, rs_error *err)
{
	return rs_model_save_into(m, malloc_blob, NULL, blob, len, err);
}

rs_status rs_model_save_into(const rs_model *m, rs_alloc_fn alloc, void *actx,
                             unsigned char **blob, size_t *len, rs_error *err)
{
	static const uint64_t empty_off = 0;
	rs_model tmp = *m; /* models with no users/items still have offs[0] */
	if (!tmp.users.offs)
		tmp.users.offs = (uint64_t *)&empty_off;
	if (!tmp.items.offs)
		tmp.items.offs = (uint64_t *)&empty_off;
	part_blobs pb;
	rs_status st = save_parts(m, &pb, err);
	if (st != RS_OK) {
		free_parts(&pb);
		return st;
	}
	wbuf w = {NULL, HEADER};
	uint32_t nsec = write_sections(&tmp, &w, &pb);
	size_t total = w.len + 8;
	unsigned char *p = alloc(actx, total);
	if (!p) {
		free_parts(&pb);
		return rs_fail(err, RS_ENOMEM, "out of memory serializing a %zu byte model", total);
	}
	w.p = p;
	w.len = 0;
	put(&w, MAGIC, 8);
	put_u32(&w, FORMAT);
	put_u32(&w, nsec);
	put_u64(&w, total);
	write_sections(&tmp, &w, &pb);
	put_u64(&w, rs_blob_checksum(p, total - 8));
	free_parts(&pb);
	*blob = p;
	*len = total;
	return RS_OK;
}
