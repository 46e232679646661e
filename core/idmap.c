/*
 * idmap.c - interning of user and item ids (arbitrary byte strings) into
 * dense indexes 0..n-1, with an open-addressing hash table for lookup.
 * The pool + offsets layout is also what the model blob stores.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a over the id bytes, then a final mix so low bits are usable. */
uint64_t rs_hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	h ^= h >> 32;
	h *= 0xD6E8FEB86659FD93ULL;
	return h ^ (h >> 32);
}

void rs_idmap_free(rs_idmap *m)
{
	free(m->pool);
	free(m->offs);
	free(m->slots);
	memset(m, 0, sizeof *m);
}

/* Id text of index i. */
const char *rs_idmap_get(const rs_idmap *m, int32_t i, size_t *len)
{
	*len = (size_t)(m->offs[i + 1] - m->offs[i]);
	return m->pool + m->offs[i];
}

/* Slot where id s is or would go. */
static size_t find_slot(const rs_idmap *m, const char *s, size_t len)
{
	size_t mask = m->nslots - 1;
	size_t pos = (size_t)rs_hash_bytes(s, len) & mask;
	for (;;) {
		int32_t idx = m->slots[pos];
		if (idx < 0)
			return pos;
		size_t l;
		const char *t = rs_idmap_get(m, idx, &l);
		if (l == len && memcmp(t, s, len) == 0)
			return pos;
		pos = (pos + 1) & mask;
	}
}

/* Index of id s, or -1. */
int32_t rs_idmap_find(const rs_idmap *m, const char *s, size_t len)
{
	if (m->nslots == 0)
		return -1;
	return m->slots[find_slot(m, s, len)];
}

/* Rebuild the slot table at a size that keeps the load under one half. */
rs_status rs_idmap_rehash(rs_idmap *m)
{
	size_t ns = 16;
	while (ns < m->n * 2 + 2)
		ns *= 2;
	int32_t *slots = rs_malloc(rs_mul(ns, sizeof *slots));
	if (!slots)
		return RS_ENOMEM;
	memset(slots, 0xff, ns * sizeof *slots);
	free(m->slots);
	m->slots = slots;
	m->nslots = ns;
	for (size_t i = 0; i < m->n; i++) {
		size_t l;
		const char *s = rs_idmap_get(m, (int32_t)i, &l);
		m->slots[find_slot(m, s, l)] = (int32_t)i;
	}
	return RS_OK;
}

/* Append id bytes to the pool and a new offset. */
static rs_status append_id(rs_idmap *m, const char *s, size_t len)
{
	if (m->n + 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		uint64_t *o = rs_realloc(m->offs, rs_mul(cap, sizeof *o));
		if (!o)
			return RS_ENOMEM;
		if (m->cap == 0)
			o[0] = 0;
		m->offs = o;
		m->cap = cap;
	}
	if (m->pool_len + len > m->pool_cap) {
		size_t cap = m->pool_cap ? m->pool_cap : 4096;
		while (cap < m->pool_len + len)
			cap *= 2;
		char *p = rs_realloc(m->pool, cap);
		if (!p)
			return RS_ENOMEM;
		m->pool = p;
		m->pool_cap = cap;
	}
	memcpy(m->pool + m->pool_len, s, len);
	m->pool_len += len;
	m->n++;
	m->offs[m->n] = m->pool_len;
	return RS_OK;
}

/* Index of id s, adding it when new. */
rs_status rs_idmap_intern(rs_idmap *m, const char *s, size_t len, int32_t *idx)
{
	if (m->n >= INT32_MAX - 1)
		return RS_ELIMIT;
	if (m->nslots == 0 || (m->n + 1) * 2 > m->nslots) {
		if (rs_idmap_rehash(m) != RS_OK)
			return RS_ENOMEM;
	}
	size_t pos = find_slot(m, s, len);
	if (m->slots[pos] >= 0) {
		*idx = m->slots[pos];
		return RS_OK;
	}
	rs_status st = append_id(m, s, len);
	if (st != RS_OK)
		return st;
	*idx = (int32_t)(m->n - 1);
	m->slots[pos] = *idx;
	return RS_OK;
}

size_t rs_idmap_memory(const rs_idmap *m)
{
	return m->pool_cap + m->cap * sizeof(uint64_t) + m->nslots * sizeof(int32_t);
}

/* Deep copy of m into out (slots rebuilt). */
rs_status rs_idmap_copy(const rs_idmap *m, rs_idmap *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < m->n; i++) {
		size_t l;
		const char *s = rs_idmap_get(m, (int32_t)i, &l);
		int32_t idx;
		if (rs_idmap_intern(out, s, l, &idx) != RS_OK) {
			rs_idmap_free(out);
			return RS_ENOMEM;
		}
	}
	return RS_OK;
}
