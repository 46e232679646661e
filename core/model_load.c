/*
 * model_load.c - reading a model blob back (format in model_io.c). Every
 * length, offset and index is checked before use; the data are copied into
 * the model's own aligned arrays.
 */
#include "internal.h"
#include "model_format.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct section { const unsigned char *p; uint64_t len; int present; } section;

rs_status rs_model_load_depth(const void *blob, size_t len, rs_model **out, int depth,
                              rs_error *err);

/* Walk the section table; fills sec[tag]. */
static rs_status read_sections(const unsigned char *b, size_t len, uint32_t nsec,
                               section *sec, rs_error *err)
{
	size_t pos = HEADER, end = len - 8;
	for (uint32_t s = 0; s < nsec; s++) {
		uint32_t tag, flags;
		uint64_t sl;
		if (end - pos < SEC_HEADER)
			return rs_fail(err, RS_ECORRUPT, "model blob is damaged: section %u runs past the end", s);
		memcpy(&tag, b + pos, 4);
		memcpy(&flags, b + pos + 4, 4);
		memcpy(&sl, b + pos + 8, 8);
		pos += SEC_HEADER;
		if (sl > end - pos)
			return rs_fail(err, RS_ECORRUPT, "model blob is damaged: section %u runs past the end", s);
		if (tag == 0 || tag >= T__COUNT) {
			if (!(flags & FLAG_OPTIONAL))
				return rs_fail(err, RS_ECORRUPT,
				               "model blob has section %u that this version cannot read", tag);
		} else if (sec[tag].present) {
			return rs_fail(err, RS_ECORRUPT, "model blob is damaged: section %u appears twice", tag);
		} else {
			sec[tag] = (section){b + pos, sl, 1};
		}
		pos += sl + (8 - sl % 8) % 8;
		if (pos > end)
			return rs_fail(err, RS_ECORRUPT, "model blob is damaged: padding runs past the end");
	}
	return RS_OK;
}

/* Copy a section of exactly `want` bytes into a new array. */
static void *take(const section *s, uint64_t want, int required, int *bad)
{
	if (!s->present) {
		if (required)
			*bad = 1;
		return NULL;
	}
	if (s->len != want) {
		*bad = 1;
		return NULL;
	}
	void *p = rs_malloc(want ? want : 1);
	if (p)
		memcpy(p, s->p, want);
	else
		*bad = 2;
	return p;
}

/* Ids: offsets (n + 1) then the pool. */
static int take_ids(const section *s, uint64_t n, rs_idmap *m)
{
	if (!s->present || s->len < (n + 1) * 8 || n > INT32_MAX)
		return 0;
	m->offs = rs_malloc((n + 1) * 8);
	if (!m->offs)
		return 0;
	memcpy(m->offs, s->p, (n + 1) * 8);
	m->n = m->cap = n;
	m->pool_len = m->pool_cap = s->len - (n + 1) * 8;
	if (m->offs[0] != 0 || m->offs[n] != m->pool_len)
		return 0;
	for (uint64_t i = 0; i < n; i++)
		if (m->offs[i + 1] < m->offs[i])
			return 0;
	m->pool = rs_malloc(m->pool_len);
	if (!m->pool)
		return 0;
	memcpy(m->pool, s->p + (n + 1) * 8, m->pool_len);
	return rs_idmap_rehash(m) == RS_OK;
}

/* Structural checks of the interaction matrix and score arrays. */
static int valid_arrays(const rs_model *m, uint64_t nnz)
{
	const rs_csr *c = &m->seen;
	if (c->indptr[0] != 0 || (uint64_t)c->indptr[c->nrows] != nnz)
		return 0;
	for (int32_t u = 0; u < c->nrows; u++)
		if (c->indptr[u + 1] < c->indptr[u])
			return 0;
	for (uint64_t k = 0; k < nnz; k++)
		if (c->indices[k] < 0 || c->indices[k] >= c->ncols || !isfinite(c->data[k]))
			return 0;
	for (int32_t i = 0; i < c->ncols; i++)
		if (!isfinite(m->pop[i]))
			return 0;
	return 1;
}

/* A CSR matrix from three sections at tag, tag+1, tag+2 (absent: ok). */
static int take_csr(const section *sec, int tag, int32_t nrows, int32_t ncols, rs_csr *c, int *bad)
{
	if (!sec[tag].present)
		return !sec[tag + 1].present && !sec[tag + 2].present;
	uint64_t nnz = sec[tag + 1].len / 4;
	if (sec[tag + 1].len % 4 || sec[tag + 2].len != nnz * 4)
		return 0;
	c->nrows = nrows;
	c->ncols = ncols;
	c->indptr = take(&sec[tag], ((uint64_t)nrows + 1) * 8, 1, bad);
	c->indices = take(&sec[tag + 1], nnz * 4, 1, bad);
	c->data = take(&sec[tag + 2], nnz * 4, 1, bad);
	if (*bad)
		return 0;
	if (c->indptr[0] != 0 || (uint64_t)c->indptr[nrows] != nnz)
		return 0;
	for (int32_t r = 0; r < nrows; r++)
		if (c->indptr[r + 1] < c->indptr[r])
			return 0;
	for (uint64_t k = 0; k < nnz; k++)
		if (c->indices[k] < 0 || c->indices[k] >= ncols || !isfinite(c->data[k]))
			return 0;
	return 1;
}

/* Hybrid components: count, then (weight, length, nested blob) each. */
static int take_parts(const section *s, rs_model *m, int depth)
{
	if (!s->present)
		return 1;
	if (depth > 3 || s->len < 4)
		return 0;
	uint32_t n;
	memcpy(&n, s->p, 4);
	if (n == 0 || n > 64)
		return 0;
	m->parts = rs_calloc(n, sizeof *m->parts);
	m->part_w = rs_calloc(n, sizeof *m->part_w);
	if (!m->parts || !m->part_w)
		return 0;
	uint64_t pos = 4;
	for (uint32_t p = 0; p < n; p++) {
		uint64_t len;
		if (s->len - pos < 12)
			return 0;
		memcpy(&m->part_w[p], s->p + pos, 4);
		memcpy(&len, s->p + pos + 4, 8);
		pos += 12;
		if (len > s->len - pos || !isfinite(m->part_w[p]))
			return 0;
		rs_error e;
		if (rs_model_load_depth(s->p + pos, (size_t)len, &m->parts[p], depth + 1, &e) != RS_OK)
			return 0;
		m->n_parts = (int32_t)p + 1;
		pos += len;
	}
	return pos == s->len;
}

/* An id map written by put_counted_ids (absent: empty, ok). */
static int take_counted_ids(const section *s, rs_idmap *map, uint64_t *n)
{
	*n = 0;
	if (!s->present)
		return 1;
	if (s->len < 8)
		return 0;
	memcpy(n, s->p, 8);
	section ids = {s->p + 8, s->len - 8, 1};
	return *n <= INT32_MAX && take_ids(&ids, *n, map);
}

/* Item prices and categories (absent: NULL). */
static int take_item_meta(const section *sec, rs_model *m, int *bad)
{
	uint64_t ni = m->items.n, nc = 0;
	if (sec[T_PRICE].present)
		m->item_price = take(&sec[T_PRICE], ni * 4, 1, bad);
	if (!sec[T_ITEM_CAT].present)
		return !*bad && !sec[T_CATS].present;
	if (!take_counted_ids(&sec[T_CATS], &m->cats, &nc))
		return 0;
	m->item_cat = take(&sec[T_ITEM_CAT], ni * 4, 1, bad);
	for (uint64_t i = 0; !*bad && i < ni; i++)
		if (m->item_cat[i] < -1 || m->item_cat[i] >= (int64_t)nc)
			return 0;
	return !*bad;
}

/* Re-ranking statistics (absent: NULL): rows per user, repurchase intervals. */
static int take_stats(const section *sec, rs_model *m, int *bad)
{
	if (sec[T_USER_ROWS].present)
		m->user_rows = take(&sec[T_USER_ROWS], (uint64_t)m->users.n * 4, 1, bad);
	if (sec[T_INTERVAL].present)
		m->item_interval = take(&sec[T_INTERVAL], (uint64_t)m->items.n * 8, 1, bad);
	for (size_t i = 0; !*bad && m->item_interval && i < m->items.n; i++)
		if (m->item_interval[i] < 0 || isinf(m->item_interval[i]))
			return 0;
	return !*bad;
}

/* Features: count, offsets and names; then their matrices and embeddings. */
static int take_features(const section *sec, rs_model *m, int *bad)
{
	uint64_t nf = 0;
	if (!take_counted_ids(&sec[T_FEATS], &m->feats, &nf))
		return 0;
	if (!take_csr(sec, T_IFEAT, (int32_t)m->items.n, (int32_t)nf, &m->item_feats, bad) ||
	    !take_csr(sec, T_UFEAT, (int32_t)m->users.n, (int32_t)nf, &m->user_feats, bad))
		return 0;
	if (sec[T_FEAT_F].present)
		m->feat_f = take(&sec[T_FEAT_F], nf * (uint64_t)m->factors * 4, 1, bad);
	return !*bad;
}

/* What fold-in needs (model_io.c write_fold; absent: unknown). */
static int take_fold(const section *sec, rs_model *m, int *bad)
{
	uint64_t ne = 0, nc = 0;
	m->fold_alpha = m->fold_lambda = NAN;
	if (!take_counted_ids(&sec[T_EVENTS], &m->events, &ne) ||
	    !take_counted_ids(&sec[T_COLUMNS], &m->columns, &nc) || (nc && nc != RS_HIST_COLS))
		return 0;
	for (uint64_t c = 0; c < nc; c++) {
		size_t len;
		const char *s = rs_idmap_get(&m->columns, (int32_t)c, &len);
		if (len < 2 || s[0] != (char)('0' + c) || s[len - 1] != '\0')
			return 0;
	}
	if (!sec[T_FOLD].present)
		return !ne;
	const section *f = &sec[T_FOLD];
	if (f->len != 16 + ne * 8)
		return 0;
	memcpy(&m->fold_alpha, f->p, 8);
	memcpy(&m->fold_lambda, f->p + 8, 8);
	if (ne) {
		section ws = {f->p + 16, ne * 8, 1};
		m->event_w = take(&ws, ne * 8, 1, bad);
		for (uint64_t e = 0; !*bad && e < ne; e++)
			if (!(m->event_w[e] >= 0) || !isfinite(m->event_w[e]))
				return 0;
	}
	return !*bad;
}

/* The approximate index: all three sections or none; lists within
 * [1, items], offsets from 0 to items never decreasing, every item in
 * exactly one list, finite centroids. */
static int take_ivf(const section *sec, rs_model *m, int *bad)
{
	int np = sec[T_IVF_CENT].present + sec[T_IVF_OFF].present + sec[T_IVF_ITEMS].present;
	uint64_t ni = m->items.n, f = (uint64_t)m->factors;
	if (np == 0)
		return 1;
	if (np != 3 || f == 0 || ni == 0 || sec[T_IVF_OFF].len % 4 || sec[T_IVF_OFF].len < 8)
		return 0;
	uint64_t nl = sec[T_IVF_OFF].len / 4 - 1;
	if (nl > 65536 || nl > ni)
		return 0;
	m->ivf_off = take(&sec[T_IVF_OFF], (nl + 1) * 4, 1, bad);
	m->ivf_cent = take(&sec[T_IVF_CENT], nl * f * 4, 1, bad);
	m->ivf_items = take(&sec[T_IVF_ITEMS], ni * 4, 1, bad);
	if (*bad)
		return 0;
	m->ivf_nlist = (int32_t)nl; /* set first: rs_model_destroy frees the arrays */
	for (uint64_t c = 0; c < nl * f; c++)
		if (!isfinite(m->ivf_cent[c]))
			return 0;
	if (m->ivf_off[0] != 0 || m->ivf_off[nl] != ni)
		return 0;
	for (uint64_t l = 0; l < nl; l++)
		if (m->ivf_off[l + 1] < m->ivf_off[l])
			return 0;
	unsigned char *seen = rs_calloc(ni, 1);
	int ok = seen != NULL;
	if (!seen)
		*bad = 2;
	for (uint64_t i = 0; ok && i < ni; i++) {
		int32_t it = m->ivf_items[i];
		ok = it >= 0 && (uint64_t)it < ni && !seen[it];
		if (ok)
			seen[it] = 1;
	}
	free(seen);
	return ok;
}

/* Every value finite (vectors trained elsewhere were checked on import;
 * the blob may have been damaged or forged since). */
static int all_finite(const float *v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!isfinite(v[k]))
			return 0;
	return 1;
}

/* An imported model's traits (T_IMPORT): present exactly for that algorithm,
 * at most two bias columns below the factor count, no ALS fold-in with
 * biases, finite vectors. */
static int take_import(const section *s, rs_model *m)
{
	uint32_t imp[2];
	if (m->algo != RS_ALGO_IMPORTED)
		return !s->present;
	if (!s->present || s->len != sizeof imp || m->factors <= 0)
		return 0;
	memcpy(imp, s->p, sizeof imp);
	if (imp[0] > 2 || imp[1] > 1 || (imp[0] && imp[1]) || (int32_t)imp[0] >= m->factors)
		return 0;
	m->imp_bias = (int32_t)imp[0];
	m->imp_als = (int32_t)imp[1];
	size_t f = (size_t)m->factors;
	return all_finite(m->user_f, m->users.n * f) && all_finite(m->item_f, m->items.n * f);
}

/* The two_tower user tower (T_TWO_TOWER): present exactly for that
 * algorithm, with its input embeddings, hidden units at most 4096, finite
 * weights and a history share in [0, 1]. */
static int take_two_tower(const section *s, rs_model *m, int *bad)
{
	uint32_t head[2];
	float hs;
	if (m->algo != RS_ALGO_TWO_TOWER)
		return !s->present;
	if (!s->present || s->len < sizeof head || !m->feat_f)
		return 0;
	memcpy(head, s->p, sizeof head);
	memcpy(&hs, &head[1], 4);
	if (head[0] > 4096 || !(hs >= 0 && hs <= 1))
		return 0;
	uint64_t n = m->factors >= 2 ? rs_tt_net_len(m->factors - 1, (int32_t)head[0]) : 0;
	if (n == 0 || s->len != sizeof head + n * 4)
		return 0;
	section body = {s->p + sizeof head, n * 4, 1};
	m->tt_hidden = (int32_t)head[0];
	m->tt_history = hs;
	m->tt_net = take(&body, n * 4, 1, bad);
	return !*bad && all_finite(m->tt_net, n) &&
	       all_finite(m->feat_f, m->feats.n * (size_t)m->factors);
}

/* A vae model's encoder (T_VAE, T_VAE_ENC): present exactly for that
 * algorithm, sizes that match the factors (the decoder's last input + 1),
 * finite weights. */
static int take_vae(const section *sec, rs_model *m, int *bad)
{
	uint32_t dims[3];
	if (m->algo != RS_ALGO_VAE)
		return !sec[T_VAE].present && !sec[T_VAE_ENC].present;
	if (!sec[T_VAE].present || sec[T_VAE].len != sizeof dims)
		return 0;
	memcpy(dims, sec[T_VAE].p, sizeof dims);
	if (dims[0] < 1 || dims[0] > 1u << 16 || dims[1] < 1 || dims[1] > 1023 || dims[2] > 1023 ||
	    (int64_t)(dims[2] ? dims[2] : dims[1]) + 1 != m->factors)
		return 0;
	m->vae_hidden = (int32_t)dims[0];
	m->vae_latent = (int32_t)dims[1];
	m->vae_dec_hidden = (int32_t)dims[2];
	size_t n = rs_vae_enc_count(m);
	m->vae_enc = take(&sec[T_VAE_ENC], (uint64_t)n * 4, 1, bad);
	return !*bad && all_finite(m->vae_enc, n) &&
	       all_finite(m->item_f, m->items.n * (size_t)m->factors);
}

/* Events and purchases (model_io.c write_events; absent: NULL, older
 * blobs): pair sections only with the users', events in range, times
 * finite or NaN (pairs: or -inf), counts and spend not negative. */
static int take_events(const section *sec, rs_model *m, int *bad)
{
	const section *s = &sec[T_USER_EVENTS];
	uint64_t nu = m->users.n, ne = m->events.n, nnz = (uint64_t)rs_csr_nnz(&m->seen);
	uint32_t head[2];
	if (!s->present)
		return !sec[T_PAIR_EVENT].present && !sec[T_PAIR_BUY].present;
	if (s->len < 8)
		return 0;
	memcpy(head, s->p, 8);
	if (head[1] != ne || (head[0] != UINT32_MAX && head[0] >= ne) ||
	    s->len != 8 + nu * 32 + nu * ne * 4 || sec[T_PAIR_EVENT].present != (ne > 0) ||
	    sec[T_PAIR_BUY].present != (ne > 0))
		return 0;
	m->purchase_ev = head[0] == UINT32_MAX ? -1 : (int32_t)head[0];
	section ub = {s->p + 8, nu * 32, 1}, uev = {s->p + 8 + nu * 32, nu * ne * 4, 1};
	m->user_buy = take(&ub, nu * 32, 1, bad);
	if (ne) {
		m->user_ev = take(&uev, nu * ne * 4, 1, bad);
		m->pair_ev = take(&sec[T_PAIR_EVENT], nnz, 1, bad);
		m->pair_buy = take(&sec[T_PAIR_BUY], nnz * 8, 1, bad);
	}
	if (*bad)
		return 0;
	for (uint64_t u = 0; u < nu; u++) {
		const double *o = m->user_buy + u * 4;
		if (!(o[0] >= 0) || isinf(o[0]) || isinf(o[1]) || isinf(o[2]) || isinf(o[3]) || o[3] < 0)
			return 0;
	}
	for (uint64_t p = 0; ne && p < nnz; p++)
		if ((m->pair_ev[p] != 255 && m->pair_ev[p] >= ne) ||
		    (isinf(m->pair_buy[p]) && m->pair_buy[p] > 0))
			return 0;
	return 1;
}

/* The optional parts (model_io.c write_optional). */
static int take_optional(const section *sec, rs_model *m, int depth, int *bad)
{
	uint64_t ni = m->items.n;
	if (!take_csr(sec, T_SIM, (int32_t)ni, (int32_t)ni, &m->sim, bad))
		return 0;
	if (sec[T_DENSE].present)
		m->dense = take(&sec[T_DENSE], ni * ni * 4, 1, bad);
	if (sec[T_RECENCY].present) {
		double *r = take(&sec[T_RECENCY], 8, 1, bad);
		if (r && !(isfinite(*r) && *r > 0))
			*bad = 1;
		m->recency = r ? *r : 0;
		free(r);
	}
	if (sec[T_WEIGHTING].present) { /* older blobs: raw */
		uint32_t *wk = take(&sec[T_WEIGHTING], 4, 1, bad);
		if (wk && *wk >= RS_WEIGHT__COUNT)
			*bad = 1;
		m->weighting = wk ? (int32_t)*wk : RS_WEIGHT_RAW;
		free(wk);
	}
	return !*bad && take_import(&sec[T_IMPORT], m) && take_vae(sec, m, bad) &&
	       take_features(sec, m, bad) &&
	       take_item_meta(sec, m, bad) &&
	       take_stats(sec, m, bad) &&
	       take_parts(&sec[T_PARTS], m, depth) && take_fold(sec, m, bad) && take_ivf(sec, m, bad) &&
	       take_events(sec, m, bad) && take_two_tower(&sec[T_TWO_TOWER], m, bad);
}

/* Fill the model from the sections; returns 0 (ok), 1 (corrupt), 2 (oom). */
static int build(rs_model *m, const section *sec, int depth)
{
	blob_meta meta;
	if (!sec[T_META].present || sec[T_META].len != sizeof meta)
		return 1;
	memcpy(&meta, sec[T_META].p, sizeof meta);
	if (!rs_algo_find((rs_algo)meta.algo) || meta.factors > 1024 || meta.nu > INT32_MAX ||
	    meta.ni > INT32_MAX || meta.nnz > (uint64_t)INT64_MAX / 8)
		return 1;
	m->algo = (rs_algo)meta.algo;
	m->factors = (int32_t)meta.factors;
	m->trained_at = meta.trained_at;
	if (!take_ids(&sec[T_USERS], meta.nu, &m->users) || !take_ids(&sec[T_ITEMS], meta.ni, &m->items))
		return 1;
	int bad = 0;
	m->seen.nrows = (int32_t)meta.nu;
	m->seen.ncols = (int32_t)meta.ni;
	m->seen.indptr = take(&sec[T_INDPTR], (meta.nu + 1) * 8, 1, &bad);
	m->seen.indices = take(&sec[T_INDICES], meta.nnz * 4, 1, &bad);
	m->seen.data = take(&sec[T_DATA], meta.nnz * 4, 1, &bad);
	m->seen.ts = take(&sec[T_TS], meta.nnz * 8, 0, &bad);
	m->pop = take(&sec[T_POP], meta.ni * 4, 1, &bad);
	if (m->factors > 0) {
		m->user_f = take(&sec[T_USER_F], meta.nu * meta.factors * 4, 1, &bad);
		m->item_f = take(&sec[T_ITEM_F], meta.ni * meta.factors * 4, 1, &bad);
	}
	if (bad)
		return bad;
	if (!valid_arrays(m, meta.nnz))
		return 1;
	if (!take_optional(sec, m, depth, &bad))
		return bad == 2 ? 2 : 1;
	return 0;
}

rs_status rs_model_load(const void *blob, size_t len, rs_model **out, rs_error *err)
{
	return rs_model_load_depth(blob, len, out, 0, err);
}

/* "little" or "big": this host's byte order, for messages. */
static const char *abi_host_order(void)
{
	uint32_t mark = RS_BYTE_ORDER_MARK;
	unsigned char first;
	memcpy(&first, &mark, 1);
	return first == 0x04 ? "little" : "big";
}

/*
 * The writer's byte order and float format (T_ABI; blobs of recsys 0.1.0
 * lack it and were written on a little-endian IEEE 754 host like this one).
 */
static rs_status check_abi(const section *abi, rs_error *err)
{
	uint32_t v[2];
	if (!abi->present)
		return RS_OK;
	if (abi->len != sizeof v)
		return rs_fail(err, RS_ECORRUPT, "model blob is damaged: machine section of %zu bytes",
		               (size_t)abi->len);
	memcpy(v, abi->p, sizeof v);
	if (v[0] != RS_BYTE_ORDER_MARK)
		return rs_fail(err, RS_ECORRUPT,
		               "model blob was written on a machine of the other byte order (%s-endian here); "
		               "retrain the model on this machine", abi_host_order());
	if (v[1] != RS_FLOAT_IEEE754)
		return rs_fail(err, RS_ECORRUPT,
		               "model blob was written with float format %u, this machine reads IEEE 754 (1); "
		               "retrain the model on this machine", v[1]);
	return RS_OK;
}

/* Load, with the nesting depth of hybrid components. */
rs_status rs_model_load_depth(const void *blob, size_t len, rs_model **out, int depth,
                              rs_error *err)
{
	const unsigned char *b = blob;
	uint32_t format, nsec;
	uint64_t total, sum;
	*out = NULL;
	if (!b || len < HEADER + 8)
		return rs_fail(err, RS_ECORRUPT, "model blob is too short (%zu bytes)", len);
	if (memcmp(b, MAGIC, 8) != 0)
		return rs_fail(err, RS_ECORRUPT, "model blob is not a recsys model (bad magic)");
	memcpy(&format, b + 8, 4);
	memcpy(&nsec, b + 12, 4);
	memcpy(&total, b + 16, 8);
	if (format != FORMAT && __builtin_bswap32(format) == FORMAT)
		return rs_fail(err, RS_ECORRUPT,
		               "model blob was written on a machine of the other byte order (%s-endian here); "
		               "retrain the model on this machine", abi_host_order());
	if (format != FORMAT)
		return rs_fail(err, RS_ECORRUPT,
		               "model format %u is not supported by recsys %s (it reads format %d); retrain the model",
		               format, RS_VERSION, FORMAT);
	if (total != len)
		return rs_fail(err, RS_ECORRUPT, "model blob is truncated or padded (%zu bytes, header says %llu)",
		               len, (unsigned long long)total);
	memcpy(&sum, b + len - 8, 8);
	if (sum != rs_blob_checksum(b, len - 8))
		return rs_fail(err, RS_ECORRUPT, "model blob checksum mismatch: the stored model is damaged");
	section sec[T__COUNT];
	memset(sec, 0, sizeof sec);
	rs_status st = read_sections(b, len, nsec, sec, err);
	if (st == RS_OK)
		st = check_abi(&sec[T_ABI], err);
	if (st != RS_OK)
		return st;
	rs_model *m = rs_model_alloc();
	if (!m)
		return rs_fail(err, RS_ENOMEM, "out of memory loading the model");
	int r = build(m, sec, depth);
	if (r == 0 && rs_model_prepare(m, err) != RS_OK)
		r = 2;
	if (r != 0) {
		rs_model_destroy(&m);
		return r == 2 ? rs_fail(err, RS_ENOMEM, "out of memory loading the model")
		              : rs_fail(err, RS_ECORRUPT, "model blob is damaged: inconsistent sections");
	}
	*out = m;
	return RS_OK;
}
