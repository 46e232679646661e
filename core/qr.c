/*
 * qr.c - an orthonormal basis of the columns of a tall matrix by Householder
 * QR, by blocks, so that the host can cancel it. LAPACK's sgeqrf + sorgqr
 * on 200,000 x 266 floats are single calls of about 4 s on one core of
 * this kind of machine; here the same blocked algorithms run as LAPACK
 * calls of bounded size, with the cancel callback polled between them:
 *  - factorization (LAPACK's sgeqrf): for each panel of NB columns, its QR
 *    (sgeqrf: the unblocked code on NB columns), the block reflector
 *    H = I - V T V^T (slarft), and H^T applied to the columns right of the
 *    panel (slarfb) by chunks of columns;
 *  - generation (LAPACK's sorgqr, from the last panel back): columns
 *    [j, l) of Q become H [I; 0] applied over what the later panels already
 *    hold (slarfb by chunks of columns; the panel's own columns start as
 *    unit columns instead of being formed by the unblocked sorg2r).
 * LAPACK wants columns contiguous: the row-major input is copied into a
 * column-major work matrix and back (LAPACKE's row-major calls copy too).
 * A chunk does at most CHUNK_FLOPS floating point operations; a panel's own
 * QR is 2 NB^2 n of level 2 BLAS (about 0.1 s for n = 1,000,000).
 */
#include "internal.h"

#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

#define NB 32
#define CHUNK_FLOPS 4.0e9
#define TR 64 /* transpose tile */

/* Element (i, j) of the column-major matrix b with leading dimension ld. */
#define AT(b, ld, i, j) ((b) + (size_t)(i) + (size_t)(j) * (size_t)(ld))

static rs_status lapack_failed(rs_error *err, lapack_int info)
{
	if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
		return rs_fail(err, RS_ENOMEM, "out of memory in the QR step");
	return rs_fail(err, RS_EDATA, "the QR step failed (LAPACK info %d)", (int)info);
}

static rs_status poll(rs_train_ctx *ctx, rs_error *err)
{
	return rs_cancelled(ctx) ? rs_fail(err, RS_ECANCELLED, "training cancelled") : RS_OK;
}

/* Copy the row-major n x l m into the column-major b (back: to_b = 0),
 * in tiles, polling about every 16 million elements. */
static rs_status transpose(rs_train_ctx *ctx, float *m, float *b, int32_t n, int l, int to_b,
                           rs_error *err)
{
	int32_t every = (1 << 24) / (TR * l) + 1; /* row tiles between polls */
	for (int32_t i0 = 0; i0 < n; i0 += TR) {
		int32_t i1 = i0 + TR < n ? i0 + TR : n;
		for (int j0 = 0; j0 < l; j0 += TR) {
			int j1 = j0 + TR < l ? j0 + TR : l;
			for (int32_t i = i0; i < i1; i++)
				for (int j = j0; j < j1; j++) {
					float *x = m + (size_t)i * l + j, *y = AT(b, n, i, j);
					if (to_b)
						*y = *x;
					else
						*x = *y;
				}
		}
		if ((i0 / TR) % every == every - 1) {
			rs_status st = poll(ctx, err);
			if (st != RS_OK)
				return st;
		}
	}
	return RS_OK;
}

/* Columns [c0, l) of b, rows [j, n): C = H C (trans 'N') or H^T C ('T'),
 * H the block reflector of v (rows [j, n), ib columns, leading dimension
 * ldv) and t, by chunks of columns. */
static rs_status apply(rs_train_ctx *ctx, float *b, int32_t n, int l, int j, int c0, int ib,
                       const float *v, int32_t ldv, const float *t, char trans, float *work,
                       rs_error *err)
{
	double per = 4.0 * ib * (double)(n - j);
	int cols = per * l <= CHUNK_FLOPS ? l : (int)(CHUNK_FLOPS / per);
	if (cols < 1)
		cols = 1;
	for (int c = c0; c < l; c += cols) {
		int w = l - c < cols ? l - c : cols;
		lapack_int info = LAPACKE_slarfb_work(LAPACK_COL_MAJOR, 'L', trans, 'F', 'C', n - j, w, ib,
		                                      v, ldv, t, NB, AT(b, n, j, c), n, work, w);
		if (info != 0)
			return lapack_failed(err, info);
		rs_status st = poll(ctx, err);
		if (st != RS_OK)
			return st;
	}
	return RS_OK;
}

/* Householder QR of the column-major n x l b in place (R above the
 * diagonal, reflectors below, tau), then Q generated over it. */
static rs_status factor_and_form(rs_train_ctx *ctx, float *b, int32_t n, int l, float *r,
                                 float *tau, float *t, float *v, float *work, rs_error *err)
{
	rs_status st = RS_OK;
	for (int j = 0; st == RS_OK && j < l; j += NB) {
		int jb = l - j < NB ? l - j : NB;
		lapack_int info = LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, n - j, jb, AT(b, n, j, j), n,
		                                      tau + j, work, (lapack_int)l * NB);
		if (info == 0 && j + jb < l)
			info = LAPACKE_slarft_work(LAPACK_COL_MAJOR, 'F', 'C', n - j, jb, AT(b, n, j, j), n,
			                           tau + j, t, NB);
		if (info != 0)
			st = lapack_failed(err, info);
		else if (j + jb < l)
			st = apply(ctx, b, n, l, j, j + jb, jb, AT(b, n, j, j), n, t, 'T', work, err);
		if (st == RS_OK)
			st = poll(ctx, err);
	}
	if (st == RS_OK && r)
		for (int i = 0; i < l; i++)
			for (int c = 0; c < l; c++)
				r[(size_t)i * l + c] = c >= i ? *AT(b, n, i, c) : 0.0f;
	for (int j = (l - 1) / NB * NB; st == RS_OK && j >= 0; j -= NB) {
		int jb = l - j < NB ? l - j : NB;
		int32_t h = n - j;
		lapack_int info = LAPACKE_slarft_work(LAPACK_COL_MAJOR, 'F', 'C', h, jb, AT(b, n, j, j), n,
		                                      tau + j, t, NB);
		if (info != 0)
			return lapack_failed(err, info);
		/* the panel's reflectors aside; its columns become unit columns */
		for (int k = 0; k < jb; k++) {
			float *col = AT(b, n, 0, j + k);
			memcpy(v + (size_t)k * h, col + j, (size_t)h * sizeof *v);
			memset(col, 0, (size_t)n * sizeof *col);
			col[j + k] = 1.0f;
		}
		st = apply(ctx, b, n, l, j, j, jb, v, h, t, 'N', work, err);
	}
	return st;
}

rs_status rs_orthonormal_basis(rs_train_ctx *ctx, float *m, int32_t n, int l, float *r,
                               rs_error *err)
{
	size_t nl = rs_mul((size_t)n, (size_t)l);
	float *b = rs_malloc(rs_mul(nl, sizeof *b));
	float *tau = rs_malloc(rs_mul((size_t)l, sizeof *tau));
	float *t = rs_malloc(NB * NB * sizeof *t);
	float *work = rs_malloc(rs_mul(rs_mul((size_t)l, NB), sizeof *work));
	float *v = rs_malloc(rs_mul(rs_mul((size_t)n, NB), sizeof *v));
	rs_status st = RS_OK;
	if (!b || !tau || !t || !work || !v)
		st = rs_fail(err, RS_ENOMEM, "out of memory in the QR step (%d x %d)", (int)n, l);
	if (st == RS_OK)
		st = transpose(ctx, m, b, n, l, 1, err);
	if (st == RS_OK)
		st = factor_and_form(ctx, b, n, l, r, tau, t, v, work, err);
	if (st == RS_OK)
		st = transpose(ctx, m, b, n, l, 0, err);
	free(b);
	free(tau);
	free(t);
	free(work);
	free(v);
	return st;
}
