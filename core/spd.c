/*
 * spd.c - the inverse of a symmetric positive definite matrix by blocks, so
 * that the host can cancel it: LAPACK's dpotrf + dpotri are single calls
 * that take about 30 s for 12,000 x 12,000 on two cores, with no way to
 * stop them. The same three steps run here as sequences of BLAS calls of
 * bounded size, with the cancel callback polled between calls:
 *
 *  1. A = L L^T (Cholesky), left-looking by block columns of NB as LAPACK's
 *     blocked dpotrf: for block column j, A_jj -= L_j0 L_j0^T (syrk),
 *     A_jj = L_jj L_jj^T (dpotrf of NB x NB), then below it
 *     A_rj = (A_rj - L_r0 L_j0^T) L_jj^-T (gemm and trsm, by row chunks);
 *  2. W = L^-1 in place (LAPACK's blocked dtrtri, from the last block column
 *     up): W_rj = -W_rr L_rj L_jj^-1, where the product with the already
 *     inverted trailing triangle W_rr runs by row chunks from the bottom up
 *     (a trmm on the chunk's own rows, then a gemm with the rows above it,
 *     which are not yet overwritten), then the diagonal block by dtrtri;
 *  3. P = W^T W (LAPACK's blocked dlauum): for block row i, P_i0 =
 *     W_ii^T W_i0 + W_(>i)i^T W_(>i)0 (trmm and gemm, by column chunks),
 *     P_ii = W_ii^T W_ii (dlauum) + W_(>i)i^T W_(>i)i (syrk).
 *
 * Every chunk is sized so that its call does at most CHUNK_FLOPS floating
 * point operations: at most 0.17 s between two polls on one core of the
 * 2-core machines, 0.12 s on two, so a cancel is noticed well within a
 * second whatever n is. The flop count is LAPACK's (n^3 / 3 for each step).
 * Smaller chunks cost more than they buy: at n = 8,000 on two threads the
 * whole inverse took 13-17% longer than dpotrf + dpotri with 2e9-flop
 * chunks, 9% with 4e9, 2-5% with 8e9 (bench/ease_inverse.c); blocks of 384
 * columns beat 256 by about 4% at n = 4,000.
 *
 * Storage: column-major lower triangle with leading dimension n, which is
 * the row-major upper triangle (what the callers fill and read).
 */
#include "internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <stddef.h>

#define CHUNK_FLOPS 8.0e9

/* Element (i, j) of the column-major n x n matrix a. */
#define AT(a, n, i, j) ((a) + (size_t)(i) + (size_t)(j) * (size_t)(n))

/* Rows (or columns) per chunk when each costs `per` flops: a multiple of
 * 64, at least 64, at most `all`. */
static int chunk_of(double per, int all)
{
	double c = per > 0 ? CHUNK_FLOPS / per : all;
	int k = c >= all ? all : (int)c / 64 * 64;
	return k < 64 ? (all < 64 ? all : 64) : k;
}

static rs_status cancelled(rs_train_ctx *ctx, rs_error *err)
{
	return rs_cancelled(ctx) ? rs_fail(err, RS_ECANCELLED, "training cancelled") : RS_OK;
}

/* Step 1: L in the lower triangle. */
static rs_status cholesky(rs_train_ctx *ctx, double *a, int n, int nb, rs_error *err)
{
	for (int j = 0; j < n; j += nb) {
		int jb = n - j < nb ? n - j : nb;
		if (j > 0)
			cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, jb, j, -1.0, AT(a, n, j, 0), n,
			            1.0, AT(a, n, j, j), n);
		lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', jb, AT(a, n, j, j), n);
		if (info > 0)
			return rs_fail(err, RS_ENOTPD, "the matrix is not positive definite (pivot %d)",
			               j + (int)info);
		if (info < 0)
			return rs_fail(err, RS_EDATA, "the Cholesky factorization failed (LAPACK info %d)",
			               (int)info);
		int below = n - j - jb;
		int rows = chunk_of(2.0 * jb * j + (double)jb * jb, below);
		for (int r = j + jb; r < n; r += rows) {
			int m = n - r < rows ? n - r : rows;
			if (j > 0)
				cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, m, jb, j, -1.0,
				            AT(a, n, r, 0), n, AT(a, n, j, 0), n, 1.0, AT(a, n, r, j), n);
			cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, m, jb,
			            1.0, AT(a, n, j, j), n, AT(a, n, r, j), n);
			rs_status st = cancelled(ctx, err);
			if (st != RS_OK)
				return st;
		}
		rs_status st = cancelled(ctx, err);
		if (st != RS_OK)
			return st;
	}
	return RS_OK;
}

/* Step 2: W = L^-1 over L. */
static rs_status invert_lower(rs_train_ctx *ctx, double *a, int n, int nb, rs_error *err)
{
	for (int j = (n - 1) / nb * nb; j >= 0; j -= nb) {
		int jb = n - j < nb ? n - j : nb, r0 = j + jb, m = n - r0;
		/* B = A(r0:n, j:j+jb) becomes W_rr B by row chunks from the bottom:
		 * rows [s, e) = W(s:e, s:e) B(s:e) + W(s:e, r0:s) B(r0:s) */
		int rows = chunk_of(2.0 * jb * m, m);
		for (int e = n; e > r0; e -= rows) {
			int s = e - rows > r0 ? e - rows : r0;
			cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, e - s, jb,
			            1.0, AT(a, n, s, s), n, AT(a, n, s, j), n);
			if (s > r0)
				cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, e - s, jb, s - r0, 1.0,
				            AT(a, n, s, r0), n, AT(a, n, r0, j), n, 1.0, AT(a, n, s, j), n);
			cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, e - s, jb,
			            -1.0, AT(a, n, j, j), n, AT(a, n, s, j), n);
			rs_status st = cancelled(ctx, err);
			if (st != RS_OK)
				return st;
		}
		lapack_int info = LAPACKE_dtrtri_work(LAPACK_COL_MAJOR, 'L', 'N', jb, AT(a, n, j, j), n);
		if (info != 0)
			return rs_fail(err, info > 0 ? RS_ENOTPD : RS_EDATA,
			               "the triangular inverse failed (LAPACK info %d)", (int)info);
	}
	return cancelled(ctx, err);
}

/* Step 3: P = W^T W over W. */
static rs_status lower_gram(rs_train_ctx *ctx, double *a, int n, int nb, rs_error *err)
{
	for (int i = 0; i < n; i += nb) {
		int ib = n - i < nb ? n - i : nb, below = n - i - ib;
		int cols = chunk_of(2.0 * ib * below + (double)ib * ib, i);
		for (int c = 0; c < i; c += cols) {
			int w = i - c < cols ? i - c : cols;
			cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, ib, w, 1.0,
			            AT(a, n, i, i), n, AT(a, n, i, c), n);
			if (below > 0)
				cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, ib, w, below, 1.0,
				            AT(a, n, i + ib, i), n, AT(a, n, i + ib, c), n, 1.0, AT(a, n, i, c), n);
			rs_status st = cancelled(ctx, err);
			if (st != RS_OK)
				return st;
		}
		lapack_int info = LAPACKE_dlauum_work(LAPACK_COL_MAJOR, 'L', ib, AT(a, n, i, i), n);
		if (info != 0)
			return rs_fail(err, RS_EDATA, "the product of the inverse failed (LAPACK info %d)",
			               (int)info);
		if (below > 0)
			cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, ib, below, 1.0, AT(a, n, i + ib, i), n,
			            1.0, AT(a, n, i, i), n);
	}
	return cancelled(ctx, err);
}

rs_status rs_spd_inverse(rs_train_ctx *ctx, double *a, int32_t n, int nb, rs_error *err)
{
	if (nb < 1)
		nb = RS_SPD_BLOCK;
	rs_step(ctx, 1); /* progress: the three steps of the inverse */
	rs_status st = cholesky(ctx, a, n, nb, err);
	if (st == RS_OK) {
		rs_step(ctx, 2);
		st = invert_lower(ctx, a, n, nb, err);
	}
	if (st == RS_OK) {
		rs_step(ctx, 3);
		st = lower_gram(ctx, a, n, nb, err);
	}
	return st;
}
