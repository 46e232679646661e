/*
 * score.c - dot products of one user vector with every item vector.
 *
 * Scoring all items reads the whole item matrix per request, and memory
 * traffic, not arithmetic, sets the pace (1M items x 64 factors: 256 MB in
 * float32, 64 MB in int8 at 27-33 GB/s on one thread). Items are therefore
 * kept as int8 per factor scale (model.c make_qblocks): item i's factor d is
 * q = round(y / s_d), |q| <= 127, stored offset by 128 as an unsigned byte.
 * The user vector folded with the scales, u_d s_d, is quantised per call to
 * signed integers in [-64, 64], so one AVX2 vpmaddubsw (unsigned x signed
 * bytes, pairs summed into 16 bits: 255 x 64 x 2 < 32767, it never
 * saturates) and one vpmaddwd against ones give 8 items' partial sums of 4
 * factors; the offset's 128 x sum of the query comes off once per item.
 * The sums are integers, so the AVX2 kernel and the portable one agree to
 * the bit. Layout (make_qblocks): blocks of RS_BLK = 16 items; per block and
 * group of 4 factors, 32 bytes for items 0..7 (4 bytes each) then 32 for
 * items 8..15.
 * The serving path rescores the best candidates exactly from the float32
 * factors and checks, with the error bound below, that no other item can
 * overtake them (serve.c exact_topk).
 */
#include "internal.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define RS_HAVE_AVX2_KERNEL 1
#endif

/* A user vector quantised for one request (query_of). */
typedef struct qquery {
	int32_t quad[RS_QMAX_FACTORS / 4]; /* 4 signed bytes per group of factors */
	int32_t corr;                     /* -128 x sum of the bytes */
	float step;                       /* score = step x integer sum */
	int32_t groups;
} qquery;

static void query_of(const rs_model *m, const float *u, qquery *q)
{
	int32_t f = m->factors, g = (f + 3) / 4;
	double mx = 0;
	for (int32_t d = 0; d < f; d++)
		mx = fmax(mx, fabs((double)u[d] * m->item_qscale[d]));
	double step = mx > 0 ? mx / 64.0 : 1.0;
	int8_t b[RS_QMAX_FACTORS] = {0};
	int32_t sum = 0;
	for (int32_t d = 0; d < f; d++) {
		double v = nearbyint((double)u[d] * m->item_qscale[d] / step);
		v = v > 64 ? 64 : v < -64 ? -64 : v;
		b[d] = (int8_t)v;
		sum += b[d];
	}
	memcpy(q->quad, b, (size_t)g * 4);
	q->corr = -128 * sum;
	q->step = (float)step;
	q->groups = g;
}

/* Portable kernel: the same integer sums as the AVX2 one. */
static void score_blocks_c(const uint8_t *blk, size_t nb, const qquery *q, float *out)
{
	size_t bs = (size_t)q->groups * 64;
	for (size_t b = 0; b < nb; b++) {
		const uint8_t *p = blk + b * bs;
		for (int j = 0; j < RS_BLK; j++) {
			int32_t acc = q->corr;
			for (int32_t g = 0; g < q->groups; g++) {
				const uint8_t *x = p + (size_t)g * 64 + (j / 8) * 32 + (j % 8) * 4;
				const int8_t *w = (const int8_t *)&q->quad[g];
				acc += x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + x[3] * w[3];
			}
			out[b * RS_BLK + (size_t)j] = (float)acc * q->step;
		}
	}
}

#ifdef RS_HAVE_AVX2_KERNEL
__attribute__((target("avx2")))
static void score_blocks_avx2(const uint8_t *blk, size_t nb, const qquery *q, float *out)
{
	size_t bs = (size_t)q->groups * 64;
	const __m256i ones = _mm256_set1_epi16(1);
	const __m256i corr = _mm256_set1_epi32(q->corr);
	const __m256 step = _mm256_set1_ps(q->step);
	int32_t g2 = q->groups & ~1;
	for (size_t b = 0; b < nb; b++) {
		const uint8_t *p = blk + b * bs;
		__m256i a0 = corr, a1 = corr, c0 = _mm256_setzero_si256(), c1 = c0;
		int32_t g = 0;
		for (; g < g2; g += 2) { /* two chains per half hide the add latency */
			__m256i w = _mm256_set1_epi32(q->quad[g]), v = _mm256_set1_epi32(q->quad[g + 1]);
			const __m256i *x = (const __m256i *)(p + (size_t)g * 64);
			a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_loadu_si256(x), w), ones));
			a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_loadu_si256(x + 1), w), ones));
			c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_loadu_si256(x + 2), v), ones));
			c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_loadu_si256(x + 3), v), ones));
		}
		if (g < q->groups) {
			__m256i w = _mm256_set1_epi32(q->quad[g]);
			const __m256i *x = (const __m256i *)(p + (size_t)g * 64);
			a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_loadu_si256(x), w), ones));
			a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_loadu_si256(x + 1), w), ones));
		}
		a0 = _mm256_add_epi32(a0, c0);
		a1 = _mm256_add_epi32(a1, c1);
		_mm256_storeu_ps(out + b * RS_BLK, _mm256_mul_ps(_mm256_cvtepi32_ps(a0), step));
		_mm256_storeu_ps(out + b * RS_BLK + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(a1), step));
	}
}

static int have_avx2(void)
{
	static int v = -1;
	if (v < 0) {
		__builtin_cpu_init();
		v = __builtin_cpu_supports("avx2") ? 1 : 0;
	}
	return v;
}
#endif

/* Blocks [b0, b0 + nb) of the quantised items m (or the index's copy blk). */
void rs_score_qblocks(const rs_model *m, const uint8_t *blk, size_t nb, const float *uvec,
                      float *out)
{
	qquery q;
	query_of(m, uvec, &q);
#ifdef RS_HAVE_AVX2_KERNEL
	if (have_avx2() && !rs_score_portable) {
		score_blocks_avx2(blk, nb, &q, out);
		return;
	}
#endif
	score_blocks_c(blk, nb, &q, out);
}

int rs_score_portable; /* tests: force the portable kernel */

void rs_score_items(const rs_model *m, const float *uvec, float *scores)
{
	size_t n = m->items.n;
	size_t full = n / RS_BLK;
	size_t bs = (size_t)((m->factors + 3) / 4) * 64;
	rs_score_qblocks(m, m->item_q, full, uvec, scores);
	if (full * RS_BLK < n) {
		float tail[RS_BLK];
		rs_score_qblocks(m, m->item_q + full * bs, 1, uvec, tail);
		memcpy(scores + full * RS_BLK, tail, (n - full * RS_BLK) * sizeof *tail);
	}
}

/*
 * |exact - approximate| for any item (real arithmetic first): the item's
 * rounding to q s_d costs at most s_d / 2 per factor, so sum_d |u_d| s_d / 2;
 * the query's rounding costs step / 2 per factor times |q_id|, at most
 * step / 2 x the largest sum_d |q_id| over items (item_ql1max). Float32
 * arithmetic adds at most (f + 2) 2^-24 of sum_d |u_d| max_i |y_id| (the
 * exact sum's rounding, then the final product's); 1.01 and 2^-23 cover
 * rounding of the quantisation itself and of this sum.
 */
float rs_score_error_bound(const rs_model *m, const float *uvec)
{
	double s = 0, e = 0, mx = 0;
	int32_t f = m->factors;
	for (int32_t d = 0; d < f; d++) {
		double a = fabs((double)uvec[d]);
		s += a * m->item_maxabs[d];
		e += a * m->item_qscale[d] * 0.5;
		mx = fmax(mx, a * m->item_qscale[d]);
	}
	double step = mx > 0 ? mx / 64.0 : 1.0;
	if (mx == 0)
		e = 0;
	else
		e += step * 0.5 * m->item_ql1max;
	double b = e * 1.01 + (f + 4) * (1.0 / 8388608.0) * (s + e) + 1e-30;
	return (float)(b * (1 + 1e-6));
}

/* Each item's sum in factor order (the float32 reference every path
 * agrees on); four items at a time only to overlap their dependency chains. */
void rs_score_exact(const rs_model *m, const float *uvec, const int32_t *items, int n,
                    float *out)
{
	int32_t f = m->factors;
	int r = 0;
	for (; r + 4 <= n; r += 4) {
		const float *y0 = m->item_f + (size_t)items[r] * f, *y1 = m->item_f + (size_t)items[r + 1] * f;
		const float *y2 = m->item_f + (size_t)items[r + 2] * f, *y3 = m->item_f + (size_t)items[r + 3] * f;
		float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
		for (int32_t d = 0; d < f; d++) {
			s0 += uvec[d] * y0[d];
			s1 += uvec[d] * y1[d];
			s2 += uvec[d] * y2[d];
			s3 += uvec[d] * y3[d];
		}
		out[r] = s0;
		out[r + 1] = s1;
		out[r + 2] = s2;
		out[r + 3] = s3;
	}
	for (; r < n; r++) {
		const float *y = m->item_f + (size_t)items[r] * f;
		float s = 0;
		for (int32_t d = 0; d < f; d++)
			s += uvec[d] * y[d];
		out[r] = s;
	}
}
