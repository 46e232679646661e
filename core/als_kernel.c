/*
 * als_kernel.c - the inner operation of a conjugate-gradient ALS row:
 *
 *     out = s * G v + sum_k coef_k(y_k . v) y_k
 *
 * over the row's interactions k, with G = Y^T Y + lambda I. For the residual
 * (s = -1) coef = c - (c - 1) d; for A p (s = +1) coef = (c - 1) d, where
 * c = 1 + alpha w and d = y_k . v. When the factor count is 32, 64 or 128, v and
 * the accumulator live in vector registers for the whole row (GCC vector
 * extensions, specialised per size by inlining); other sizes take plain loops.
 */
#include "internal.h"
#include "clones.h"

#include <string.h>

typedef float v8 __attribute__((vector_size(32), aligned(4)));

#define MAXV 16

/* Unaligned 8-float load (macros: v8 values must not cross a call ABI). */
#define ld(p) (*(const v8 *)(p))
#define HSUM(a) ((a)[0] + (a)[1] + (a)[2] + (a)[3] + (a)[4] + (a)[5] + (a)[6] + (a)[7])

/* Vector path for f = 8 nv; nv is a constant after inlining. */
static inline __attribute__((always_inline)) void apply_vec(const float *g, const float *y, const int32_t *idx,
                             const float *w, int64_t n, float alpha, int resid,
                             const float *v, float *out, const int nv)
{
	const int f = 8 * nv;
	v8 vv[MAXV], acc[MAXV];
	for (int q = 0; q < nv; q++) {
		vv[q] = ld(v + 8 * q);
		acc[q] = (v8){0};
	}
	for (int b = 0; b < f; b++) {
		const float s = v[b];
		for (int q = 0; q < nv; q++)
			acc[q] += s * ld(g + (size_t)b * f + 8 * q);
	}
	if (resid)
		for (int q = 0; q < nv; q++)
			acc[q] = -acc[q];
	for (int64_t k = 0; k < n; k++) {
		const float *yk = y + (size_t)idx[k] * f;
		v8 d0 = {0}, d1 = {0};
		for (int q = 0; q + 1 < nv; q += 2) {
			d0 += vv[q] * ld(yk + 8 * q);
			d1 += vv[q + 1] * ld(yk + 8 * q + 8);
		}
		const v8 dd = d0 + d1;
		const float d = HSUM(dd);
		const float cm1 = alpha * w[k];
		const float coef = resid ? (1.0f + cm1) - cm1 * d : cm1 * d;
		for (int q = 0; q < nv; q++)
			acc[q] += coef * ld(yk + 8 * q);
	}
	memcpy(out, acc, (size_t)f * sizeof(float));
}

/* Plain loops for any f. */
static void apply_any(const float *g, const float *y, const int32_t *idx, const float *w,
                      int64_t n, float alpha, int resid, const float *v, float *out, int f)
{
	for (int a = 0; a < f; a++)
		out[a] = 0;
	for (int b = 0; b < f; b++)
		for (int a = 0; a < f; a++)
			out[a] += v[b] * g[(size_t)b * f + a];
	if (resid)
		for (int a = 0; a < f; a++)
			out[a] = -out[a];
	for (int64_t k = 0; k < n; k++) {
		const float *yk = y + (size_t)idx[k] * f;
		float d = 0;
		for (int a = 0; a < f; a++)
			d += yk[a] * v[a];
		const float cm1 = alpha * w[k];
		const float coef = resid ? (1.0f + cm1) - cm1 * d : cm1 * d;
		for (int a = 0; a < f; a++)
			out[a] += coef * yk[a];
	}
}

RS_CLONES
void rs_als_apply(const float *g, const float *y, const int32_t *idx, const float *w,
                  int64_t n, float alpha, int resid, const float *v, float *out, int f)
{
	switch (f) {
	case 32: apply_vec(g, y, idx, w, n, alpha, resid, v, out, 4); break;
	case 64: apply_vec(g, y, idx, w, n, alpha, resid, v, out, 8); break;
	case 128: apply_vec(g, y, idx, w, n, alpha, resid, v, out, 16); break;
	default: apply_any(g, y, idx, w, n, alpha, resid, v, out, f); break;
	}
}
