/*
 * score.c - dot products of one user vector with every item vector.
 * Items are laid out in blocks of RS_BLK = 16 (model.c), factor-major inside
 * a block, so scoring a block is f broadcast-multiply-adds into two 8-float
 * vector accumulators, with no horizontal sums. Written with GCC vector
 * types: left to itself gcc 12 at -O3 turned the plain 16-wide loop into
 * shuffles (about 25x slower). target_clones picks an AVX2+FMA build at run
 * time where the CPU has it, SSE2 elsewhere.
 */
#include "internal.h"

#include <string.h>

typedef float v8 __attribute__((vector_size(32), aligned(4)));

#define LD(p) (*(const v8 *)(p))

__attribute__((target_clones("arch=x86-64-v3", "default")))
static void score_blocks(const float *blk, size_t nb, int32_t f, const float *u,
                         float *out)
{
	for (size_t b = 0; b < nb; b++) {
		const float *p = blk + b * RS_BLK * (size_t)f;
		v8 a0 = {0}, a1 = {0}, c0 = {0}, c1 = {0};
		int32_t d = 0;
		for (; d + 1 < f; d += 2) { /* two chains hide the add latency */
			a0 += u[d] * LD(p + (size_t)d * RS_BLK);
			a1 += u[d] * LD(p + (size_t)d * RS_BLK + 8);
			c0 += u[d + 1] * LD(p + (size_t)(d + 1) * RS_BLK);
			c1 += u[d + 1] * LD(p + (size_t)(d + 1) * RS_BLK + 8);
		}
		if (d < f) {
			a0 += u[d] * LD(p + (size_t)d * RS_BLK);
			a1 += u[d] * LD(p + (size_t)d * RS_BLK + 8);
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
		score_blocks(m->item_blk + full * RS_BLK * (size_t)m->factors, 1, m->factors,
		             uvec, tail);
		memcpy(scores + full * RS_BLK, tail, (n - full * RS_BLK) * sizeof *tail);
	}
}
