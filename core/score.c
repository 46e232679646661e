/*
 * score.c - dot products of one user vector with every item vector.
 * Items are laid out in blocks of RS_BLK (model.c) so the inner loop is a
 * vector multiply-add over RS_BLK items; target_clones picks an AVX2+FMA build
 * at run time where the CPU has it (REFERENCE.md: 8 us vs 19 us for sgemv
 * on 3,706 x 64), and plain SSE2 elsewhere.
 */
#include "internal.h"

#include <string.h>

__attribute__((target_clones("arch=x86-64-v3", "default")))
static void score_blocks(const float *blk, size_t nb, int32_t f, const float *u,
                         float *out)
{
	for (size_t b = 0; b < nb; b++) {
		float acc[RS_BLK] = {0};
		const float *p = blk + b * RS_BLK * (size_t)f;
		for (int32_t d = 0; d < f; d++) {
			float ud = u[d];
			for (int j = 0; j < RS_BLK; j++)
				acc[j] += ud * p[(size_t)d * RS_BLK + j];
		}
		memcpy(out + b * RS_BLK, acc, sizeof acc);
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
