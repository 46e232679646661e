/*
 * score.c - dot products of one user vector with every item vector.
 *
 * Scoring all items reads the whole item matrix per request (3,533 x 64
 * float32 = 0.9 MB on ML-1M), and when several backends share the cores
 * that traffic, not arithmetic, sets the pace. Items are therefore kept as
 * bfloat16 (model.c): per block of 16 items and factor d, 8 words holding
 * items j and j + 8; one 32-byte load, a shift and a mask give two 8-float
 * vectors for two multiply-adds, no shuffles. The serving path rescores the
 * best candidates exactly from the float32 factors and checks, with the
 * error bound below, that no other item can overtake them (serve.c).
 * GCC vector types keep gcc from turning the loop into shuffles;
 * target_clones picks an AVX2+FMA build at run time, SSE2 elsewhere.
 */
#include "internal.h"
#include "clones.h"

#include <math.h>
#include <string.h>

typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef uint32_t v8u __attribute__((vector_size(32), aligned(4)));

#define LDW(p) (*(const v8u *)(p))
#define LO(w) ((v8)((w) << 16))                 /* items 0..7 of the block */
#define HI(w) ((v8)((w) & 0xFFFF0000u))         /* items 8..15 */

RS_CLONES
static void score_blocks(const uint32_t *blk, size_t nb, int32_t f, const float *u,
                         float *out)
{
	for (size_t b = 0; b < nb; b++) {
		const uint32_t *p = blk + b * (RS_BLK / 2) * (size_t)f;
		v8 a0 = {0}, a1 = {0}, c0 = {0}, c1 = {0};
		int32_t d = 0;
		for (; d + 1 < f; d += 2) { /* two chains hide the add latency */
			v8u w = LDW(p + (size_t)d * 8), x = LDW(p + (size_t)(d + 1) * 8);
			a0 += u[d] * LO(w);
			a1 += u[d] * HI(w);
			c0 += u[d + 1] * LO(x);
			c1 += u[d + 1] * HI(x);
		}
		if (d < f) {
			v8u w = LDW(p + (size_t)d * 8);
			a0 += u[d] * LO(w);
			a1 += u[d] * HI(w);
		}
		a0 += c0;
		a1 += c1;
		memcpy(out + b * RS_BLK, &a0, sizeof a0);
		memcpy(out + b * RS_BLK + 8, &a1, sizeof a1);
	}
}

void rs_score_items(const rs_model *m, const float *uvec, float *scores)
{
	size_t n = m->items.n;
	size_t full = n / RS_BLK;
	score_blocks(m->item_blk, full, m->factors, uvec, scores);
	if (full * RS_BLK < n) {
		float tail[RS_BLK];
		score_blocks(m->item_blk + full * (RS_BLK / 2) * (size_t)m->factors, 1, m->factors,
		             uvec, tail);
		memcpy(scores + full * RS_BLK, tail, (n - full * RS_BLK) * sizeof *tail);
	}
}

/*
 * bfloat16 keeps 8 significant bits, so |y - bf16(y)| <= 2^-9 |y| and an
 * approximate score is off by at most 2^-9 sum_d |u_d| max_i |y_id|; the
 * float32 sums on both sides add rounding of order 2^-24 sum_d |u_d y_id|,
 * covered by the factor 1.01 and the small absolute term.
 */
float rs_score_error_bound(const rs_model *m, const float *uvec)
{
	double s = 0;
	for (int32_t d = 0; d < m->factors; d++)
		s += fabs((double)uvec[d]) * m->item_maxabs[d];
	return (float)(s * (1.0 / 512.0) * 1.01 + 1e-6 * s + 1e-30);
}

void rs_score_exact(const rs_model *m, const float *uvec, const int32_t *items, int n,
                    float *out)
{
	int32_t f = m->factors;
	for (int r = 0; r < n; r++) {
		const float *y = m->item_f + (size_t)items[r] * f;
		float s = 0;
		for (int32_t d = 0; d < f; d++)
			s += uvec[d] * y[d];
		out[r] = s;
	}
}
