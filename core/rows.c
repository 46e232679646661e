/*
 * rows.c - the builder's rows as they arrive: user and item indexes, weight
 * and (when the source has one) time, 20 or 12 bytes a row, kept in blocks
 * of RS_ROW_BLOCK rows mapped straight from the OS. Blocks never move while
 * the source is read (no doubling copy), and each array goes back to the OS
 * as soon as rs_rows_to_csr has scattered it into the interaction matrix,
 * so the rows and the matrix are never both held in full.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void *block_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void block_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

#define BLOCK_BYTES(t) (RS_ROW_BLOCK * sizeof(t))

static void free_block(rs_row_block *b)
{
	block_free(b->u, BLOCK_BYTES(int32_t));
	block_free(b->i, BLOCK_BYTES(int32_t));
	block_free(b->w, BLOCK_BYTES(float));
	block_free(b->ts, BLOCK_BYTES(double));
	block_free(b->ev, BLOCK_BYTES(uint8_t));
	block_free(b->q, BLOCK_BYTES(float));
	memset(b, 0, sizeof *b);
}

void rs_rows_free(rs_rows *r)
{
	for (size_t k = 0; k < r->n_blocks; k++)
		free_block(&r->blocks[k]);
	free(r->blocks);
	memset(r, 0, sizeof *r);
}

/* A new last block (u, i, w; ts when a row needs it). */
static rs_status add_block(rs_rows *r)
{
	if (r->n_blocks == r->cap_blocks) {
		size_t cap = r->cap_blocks ? r->cap_blocks * 2 : 16;
		rs_row_block *b = rs_realloc(r->blocks, rs_mul(cap, sizeof *b));
		if (!b)
			return RS_ENOMEM;
		r->blocks = b;
		r->cap_blocks = cap;
	}
	rs_row_block *b = &r->blocks[r->n_blocks];
	memset(b, 0, sizeof *b);
	b->u = block_alloc(BLOCK_BYTES(int32_t));
	b->i = block_alloc(BLOCK_BYTES(int32_t));
	b->w = block_alloc(BLOCK_BYTES(float));
	if (!b->u || !b->i || !b->w) {
		free_block(b);
		return RS_ENOMEM;
	}
	r->n_blocks++;
	return RS_OK;
}

rs_status rs_rows_append(rs_rows *r, int32_t u, int32_t i, float w, double ts)
{
	if (r->n >= UINT32_MAX) /* rs_rows_to_csr keeps a row's place in 32 bits */
		return RS_ELIMIT;
	size_t off = r->n % RS_ROW_BLOCK;
	if (off == 0 && add_block(r) != RS_OK)
		return RS_ENOMEM;
	rs_row_block *b = &r->blocks[r->n / RS_ROW_BLOCK];
	if (!isnan(ts) && !b->ts) {
		b->ts = block_alloc(BLOCK_BYTES(double));
		if (!b->ts)
			return RS_ENOMEM;
		for (size_t k = 0; k < off; k++)
			b->ts[k] = NAN;
	}
	b->u[off] = u;
	b->i[off] = i;
	b->w[off] = w;
	if (b->ts)
		b->ts[off] = ts;
	r->has_ts |= !isnan(ts);
	r->n++;
	return RS_OK;
}

rs_status rs_rows_tag(rs_rows *r, uint8_t ev, float q)
{
	size_t off = (r->n - 1) % RS_ROW_BLOCK;
	rs_row_block *b = &r->blocks[(r->n - 1) / RS_ROW_BLOCK];
	if (!b->ev) {
		b->ev = block_alloc(BLOCK_BYTES(uint8_t));
		b->q = block_alloc(BLOCK_BYTES(float));
		if (!b->ev || !b->q)
			return RS_ENOMEM;
		memset(b->ev, 255, off);
		for (size_t k = 0; k < off; k++)
			b->q[k] = 1;
	}
	b->ev[off] = ev;
	b->q[off] = q;
	r->has_ev = 1;
	return RS_OK;
}

/* Rows in block k. */
static size_t block_rows(const rs_rows *r, size_t k)
{
	return k + 1 < r->n_blocks ? RS_ROW_BLOCK : r->n - k * RS_ROW_BLOCK;
}

/* Replace each row's user index by its place in the matrix (rows of one
 * user in arrival order); start[u] = first place of user u. */
static rs_status place_rows(rs_rows *r, int32_t nu, int64_t *start, rs_train_ctx *ctx)
{
	memset(start, 0, ((size_t)nu + 1) * sizeof *start);
	for (size_t k = 0; k < r->n_blocks; k++)
		for (size_t j = 0, n = block_rows(r, k); j < n; j++)
			start[r->blocks[k].u[j] + 1]++;
	for (int32_t u = 0; u < nu; u++)
		start[u + 1] += start[u];
	int64_t *fill = rs_malloc(rs_mul((size_t)nu + 1, sizeof *fill));
	if (!fill)
		return RS_ENOMEM;
	memcpy(fill, start, ((size_t)nu + 1) * sizeof *fill);
	for (size_t k = 0; k < r->n_blocks; k++) {
		uint32_t *place = (uint32_t *)r->blocks[k].u;
		for (size_t j = 0, n = block_rows(r, k); j < n; j++)
			place[j] = (uint32_t)fill[r->blocks[k].u[j]]++;
		if (ctx && rs_cancelled(ctx)) {
			free(fill);
			return RS_ECANCELLED;
		}
	}
	free(fill);
	return RS_OK;
}

/* Scatter the tags of the rows to their places (events.c). */
static rs_status scatter_tags(rs_rows *r, size_t n, uint8_t **ev, float **q)
{
	if (!(*ev = rs_malloc(n ? n : 1)) || !(*q = rs_malloc(rs_mul(n ? n : 1, sizeof **q))))
		return RS_ENOMEM;
	for (size_t k = 0; k < r->n_blocks; k++) {
		rs_row_block *b = &r->blocks[k];
		const uint32_t *place = (const uint32_t *)b->u;
		for (size_t j = 0, m = block_rows(r, k); j < m; j++) {
			(*ev)[place[j]] = b->ev ? b->ev[j] : 255;
			(*q)[place[j]] = b->q ? b->q[j] : 1;
		}
	}
	return RS_OK;
}

rs_status rs_rows_to_csr(rs_rows *r, int32_t nu, int64_t *start, rs_csr *c, rs_train_ctx *ctx,
                         uint8_t **ev, float **q)
{
	size_t n = r->n;
	*ev = NULL;
	*q = NULL;
	rs_status st = place_rows(r, nu, start, ctx);
	/* one column at a time: its destination, then its blocks go back to the OS */
	if (st == RS_OK && !(c->indices = rs_malloc(rs_mul(n ? n : 1, sizeof *c->indices))))
		st = RS_ENOMEM;
	for (size_t k = 0; st == RS_OK && k < r->n_blocks; k++) {
		rs_row_block *b = &r->blocks[k];
		const uint32_t *place = (const uint32_t *)b->u;
		for (size_t j = 0, m = block_rows(r, k); j < m; j++)
			c->indices[place[j]] = b->i[j];
		block_free(b->i, BLOCK_BYTES(int32_t));
		b->i = NULL;
	}
	if (st == RS_OK && !(c->data = rs_malloc(rs_mul(n ? n : 1, sizeof *c->data))))
		st = RS_ENOMEM;
	for (size_t k = 0; st == RS_OK && k < r->n_blocks; k++) {
		rs_row_block *b = &r->blocks[k];
		const uint32_t *place = (const uint32_t *)b->u;
		for (size_t j = 0, m = block_rows(r, k); j < m; j++)
			c->data[place[j]] = b->w[j];
		block_free(b->w, BLOCK_BYTES(float));
		b->w = NULL;
	}
	if (st == RS_OK && r->has_ev)
		st = scatter_tags(r, n, ev, q);
	if (st == RS_OK && r->has_ts && !(c->ts = rs_malloc(rs_mul(n, sizeof *c->ts))))
		st = RS_ENOMEM;
	for (size_t k = 0; st == RS_OK && r->has_ts && k < r->n_blocks; k++) {
		rs_row_block *b = &r->blocks[k];
		const uint32_t *place = (const uint32_t *)b->u;
		for (size_t j = 0, m = block_rows(r, k); j < m; j++)
			c->ts[place[j]] = b->ts ? b->ts[j] : NAN;
		block_free(b->ts, BLOCK_BYTES(double));
		b->ts = NULL;
	}
	if (st == RS_OK && ctx && rs_cancelled(ctx))
		st = RS_ECANCELLED;
	rs_rows_free(r);
	return st;
}
