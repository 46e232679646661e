/*
 * util.h - utilities every core file uses: errors, allocation, id maps,
 * sparse rows, random numbers, growable text, time.
 * Part of internal.h (not the public API); include internal.h.
 */
#ifndef RS_UTIL_H
#define RS_UTIL_H

#include "recsys.h"

#include <stdarg.h>
#include <stdatomic.h>

typedef struct rs_text {
	char *buf;
	size_t len, cap;
	int oom;
} rs_text;

/* Fill err with a status and a printf-style message; returns the status. */
rs_status rs_fail(rs_error *err, rs_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- allocation (overflow-checked) ---- */
void *rs_malloc(size_t n);
void *rs_calloc(size_t count, size_t size);
void *rs_realloc(void *p, size_t n);
/* count * size, or SIZE_MAX on overflow */
size_t rs_mul(size_t count, size_t size);

/* ---- string -> dense index map (ids of users and items) ---- */
typedef struct rs_idmap {
	char *pool;      /* id bytes back to back */
	size_t pool_len, pool_cap;
	uint64_t *offs;  /* n + 1 offsets into pool */
	size_t n, cap;
	int32_t *slots;  /* open addressing table, -1 = empty */
	size_t nslots;   /* power of two */
} rs_idmap;

uint64_t rs_hash_bytes(const char *s, size_t len);
void rs_idmap_free(rs_idmap *m);
int32_t rs_idmap_find(const rs_idmap *m, const char *s, size_t len);
rs_status rs_idmap_intern(rs_idmap *m, const char *s, size_t len, int32_t *idx);
const char *rs_idmap_get(const rs_idmap *m, int32_t i, size_t *len);
/* Rebuild the hash slots from pool/offs (after loading a model). */
rs_status rs_idmap_rehash(rs_idmap *m);
size_t rs_idmap_memory(const rs_idmap *m);
rs_status rs_idmap_copy(const rs_idmap *m, rs_idmap *out);

/* ---- compressed sparse rows ---- */
typedef struct rs_csr {
	int32_t nrows, ncols;
	int64_t *indptr;   /* nrows + 1 */
	int32_t *indices;  /* nnz, sorted within a row */
	float *data;       /* nnz */
	double *ts;        /* nnz, or NULL when the source had no time */
} rs_csr;

void rs_csr_free(rs_csr *c);
rs_status rs_csr_copy(const rs_csr *c, rs_csr *out);
static inline int64_t rs_csr_nnz(const rs_csr *c) { return c->indptr ? c->indptr[c->nrows] : 0; }
/* t = transpose of c (data and ts carried along). */
rs_status rs_csr_transpose(const rs_csr *c, rs_csr *t);
/* Position of column j in row r (rows are sorted: binary search), or -1. */
int64_t rs_csr_find(const rs_csr *c, int32_t r, int32_t j);


/* ---- random numbers (splitmix64) ---- */
static inline uint64_t rs_rand_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}
static inline double rs_rand_unit(uint64_t *s)
{
	return (double)(rs_rand_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- growable text (JSON writer) ---- */

void rs_text_printf(rs_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rs_text_json_string(rs_text *t, const char *s, size_t len);

/* ---- time ---- */
double rs_now_seconds(void);   /* wall clock, unix seconds */
double rs_mono_seconds(void);  /* monotonic */

#endif
