/*
 * lightfm_features.c - features of users and items for the LightFM-family
 * models (Kula, "Metadata Embeddings for User and Item Cold-start
 * Recommendations", 2015): every entity with interactions has its identity
 * feature, plus the features of its side-table attributes as tokenize.c
 * derives them for every feature-aware algorithm (whole values of short
 * repeating text columns and of numeric columns with few values, word
 * tokens of other text, equal-count buckets of other numbers). A feature
 * counts once per entity and each row sums to 1 (as LightFM's normalized
 * feature matrices), but the identity keeps the share `identity_weight`
 * (default 0.9) and the attributes split the rest equally. With LightFM's
 * plain 1/(1 + k) the shared attributes swamp the identity: on a validation
 * split of MovieLens 100K, item genres plus user age, gender and occupation
 * then cost 27% of NDCG@10 (.137 -> .099); with 0.9 every combination of
 * them is level with identities alone on 100K and 1M, where 0.75 cost 2-4%
 * on 1M (bench/TUNING.md). An entity without attributes has its identity at
 * 1, one without interactions its attributes alone.
 *
 * Item and user features live in one index, items first, with the side in
 * the name so the two never share an embedding: "item:<id>" / "user:<id>"
 * (identities), "item.<feature>" / "user.<feature>" (attributes, e.g.
 * "item.genre=comedy", "item.text:espresso", "user.age#q3").
 *
 * Entities found only in a side table join the model (items with
 * popularity 0, users with no interactions), so they can be scored by their
 * features alone.
 */
#include "lightfm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rs_lfm_feats_free(rs_lfm_feats *f)
{
	rs_idmap_free(&f->names);
	rs_csr_free(&f->items);
	rs_csr_free(&f->users);
	memset(f, 0, sizeof *f);
}

rs_status rs_model_add_entities(rs_model *m, rs_side side, const rs_attrs *a, int32_t *row_of,
                                size_t *added, rs_error *err)
{
	rs_idmap *map = side == RS_SIDE_ITEMS ? &m->items : &m->users;
	const char *what = side == RS_SIDE_ITEMS ? "items" : "users";
	size_t before = map->n;
	*added = 0;
	for (size_t e = 0; e < a->ids.n; e++) {
		size_t len;
		const char *id = rs_idmap_get(&a->ids, (int32_t)e, &len);
		rs_status st = rs_idmap_intern(map, id, len, &row_of[e]);
		if (st != RS_OK)
			return st == RS_ELIMIT ? rs_fail(err, st, "too many %s (at most 2^31 - 2)", what)
			                       : rs_fail(err, st, "out of memory adding the %s table's entries", what);
	}
	size_t n = map->n;
	if (n == before)
		return RS_OK;
	if (side == RS_SIDE_ITEMS) {
		float *pop = rs_realloc(m->pop, rs_mul(n, sizeof *pop));
		if (!pop)
			return rs_fail(err, RS_ENOMEM, "out of memory adding the items table's entries");
		memset(pop + before, 0, (n - before) * sizeof *pop);
		m->pop = pop;
		m->seen.ncols = (int32_t)n;
	} else {
		int64_t *ip = rs_realloc(m->seen.indptr, rs_mul(n + 1, sizeof *ip));
		if (!ip)
			return rs_fail(err, RS_ENOMEM, "out of memory adding the users table's entries");
		for (size_t u = before + 1; u <= n; u++)
			ip[u] = ip[before];
		m->seen.indptr = ip;
		m->seen.nrows = (int32_t)n;
	}
	*added = n - before;
	return RS_OK;
}

/* Intern prefix + s; returns the index or -1 (out of memory). */
static int32_t intern2(rs_idmap *names, const char *prefix, const char *s, size_t len,
                       char **buf, size_t *cap)
{
	size_t np = strlen(prefix);
	if (np + len > *cap) {
		size_t c = *cap ? *cap : 256;
		while (c < np + len)
			c *= 2;
		char *p = rs_realloc(*buf, c);
		if (!p)
			return -1;
		*buf = p;
		*cap = c;
	}
	memcpy(*buf, prefix, np);
	memcpy(*buf + np, s, len);
	int32_t idx;
	return rs_idmap_intern(names, *buf, np + len, &idx) == RS_OK ? idx : -1;
}

/* One side's rows: identity (the first n_seen entities) then the side
 * table's features, names interned into out->names with the side's prefix. */
static rs_status side_rows(rs_lfm_feats *out, const rs_idmap *ents, size_t n_seen,
                           const rs_idmap *attr_names, const rs_csr *counts, const char *side,
                           float identity, rs_csr *c)
{
	char idp[8], attp[8], *buf = NULL;
	size_t cap = 0, n = ents->n;
	int64_t nnz = (int64_t)n_seen + (counts->indptr ? rs_csr_nnz(counts) : 0);
	int32_t *ident = rs_malloc(rs_mul(n_seen, sizeof *ident));
	int32_t *map = rs_malloc(rs_mul(attr_names->n, sizeof *map));
	memset(c, 0, sizeof *c);
	c->nrows = (int32_t)n;
	c->indptr = rs_calloc(n + 1, sizeof *c->indptr);
	c->indices = rs_malloc(rs_mul((size_t)nnz, sizeof *c->indices));
	c->data = rs_malloc(rs_mul((size_t)nnz, sizeof *c->data));
	rs_status st = ident && map && c->indptr && c->indices && c->data ? RS_OK : RS_ENOMEM;
	snprintf(idp, sizeof idp, "%s:", side);
	snprintf(attp, sizeof attp, "%s.", side);
	for (size_t r = 0; r < n_seen && st == RS_OK; r++) {
		size_t len;
		const char *id = rs_idmap_get(ents, (int32_t)r, &len);
		if ((ident[r] = intern2(&out->names, idp, id, len, &buf, &cap)) < 0)
			st = RS_ENOMEM;
	}
	for (size_t f = 0; f < attr_names->n && st == RS_OK; f++) {
		size_t len;
		const char *s = rs_idmap_get(attr_names, (int32_t)f, &len);
		if ((map[f] = intern2(&out->names, attp, s, len, &buf, &cap)) < 0)
			st = RS_ENOMEM;
	}
	int64_t k = 0;
	for (size_t r = 0; r < n && st == RS_OK; r++) { /* identity first, then attributes */
		if (r < n_seen)
			c->indices[k++] = ident[r];
		for (int64_t q = counts->indptr ? counts->indptr[r] : 0;
		     counts->indptr && q < counts->indptr[r + 1]; q++)
			c->indices[k++] = map[counts->indices[q]];
		c->indptr[r + 1] = k;
		int64_t b = c->indptr[r], na = k - b - (r < n_seen);
		float idw = r < n_seen ? (na > 0 ? identity : 1.0f) : 0.0f;
		for (int64_t q = b; q < k; q++)
			c->data[q] = q == b && r < n_seen ? idw : (1.0f - idw) / (float)na;
	}
	free(buf);
	free(ident);
	free(map);
	return st;
}

rs_status rs_lfm_features(const rs_config *cfg, const rs_attrs *side, rs_model *m,
                          rs_lfm_feats *out, rs_error *err)
{
	memset(out, 0, sizeof *out);
	size_t n_seen[2] = {m->items.n, m->users.n};
	rs_idmap names[2] = {{0}, {0}};
	rs_csr counts[2] = {{0}, {0}};
	rs_status st = RS_OK;
	for (int s = 0; s < 2 && st == RS_OK; s++) {
		const rs_attrs *a = side ? &side[s] : NULL;
		if (!a || a->n == 0)
			continue;
		int32_t *row_of = rs_malloc(rs_mul(a->ids.n, sizeof *row_of));
		st = row_of ? rs_model_add_entities(m, (rs_side)s, a, row_of, &out->added[s], err)
		            : rs_fail(err, RS_ENOMEM, "out of memory reading a side table");
		int32_t rows = (int32_t)(s == RS_SIDE_ITEMS ? m->items.n : m->users.n);
		if (st == RS_OK)
			st = rs_attr_features(cfg, (rs_side)s, a, row_of, rows, &names[s], &counts[s], err);
		free(row_of);
	}
	if (st == RS_OK) {
		st = side_rows(out, &m->items, n_seen[0], &names[0], &counts[0], "item",
		               (float)cfg->lfm_identity, &out->items);
		out->n_item = (int32_t)out->names.n;
		if (st == RS_OK)
			st = side_rows(out, &m->users, n_seen[1], &names[1], &counts[1], "user",
			               (float)cfg->lfm_identity, &out->users);
		if (st != RS_OK)
			st = rs_fail(err, RS_ENOMEM, "out of memory building features");
	}
	out->items.ncols = out->users.ncols = (int32_t)out->names.n;
	out->has_side = out->names.n > n_seen[0] + n_seen[1];
	for (int s = 0; s < 2; s++) {
		rs_idmap_free(&names[s]);
		rs_csr_free(&counts[s]);
	}
	if (st != RS_OK)
		rs_lfm_feats_free(out);
	return st;
}
