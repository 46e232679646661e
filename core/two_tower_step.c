/*
 * two_tower_step.c - two_tower's per-minibatch kernels that dense.c's
 * generic ones make slow for its shapes: the in-batch softmax with each
 * row's label on the diagonal, and the lazy Adam step over a list of
 * embedding rows. Written as plain loops the compiler vectorizes (a
 * polynomial exp, sqrt in a loop of its own): on ML-100K the library
 * expf and the scalar sqrtf were a fifth of the training time.
 */
#include "two_tower.h"

#include <math.h>
#include <string.h>

/* e^x for x <= 0 (below -87 gives 0), about 2 ulp: 2^n 2^f with
 * |f| <= 1/2 and a degree-6 Taylor polynomial of 2^f. Branch-free so that
 * loops over it vectorize. */
static inline float exp_neg(float x)
{
	float y = x + 87.0f, keep = (float)(y > 0.0f);
	x = 0.5f * (y + fabsf(y)) - 87.0f; /* max(x, -87) without a branch */
	float t = x * 1.44269504088896341f;
	float n = (float)(int32_t)(t - 0.5f); /* t <= 0: rounds to nearest */
	float f = t - n;
	float p = 1.5403530393381609954e-4f;
	p = p * f + 1.3333558146428443423e-3f;
	p = p * f + 9.6181291076284771619e-3f;
	p = p * f + 5.5504108664821579953e-2f;
	p = p * f + 2.4022650695910071233e-1f;
	p = p * f + 6.9314718055994530942e-1f;
	p = p * f + 1.0f;
	int32_t bits = ((int32_t)n + 127) * (1 << 23);
	float s;
	memcpy(&s, &bits, sizeof s);
	return p * s * keep;
}

double rs_tt_softmax_diag(float *z, int32_t n, int32_t k, float scale)
{
	double loss = 0;
	for (int32_t r = 0; r < n; r++) {
		float *zr = z + (size_t)r * k, lane[8], m;
		int32_t c = 0;
		for (int l = 0; l < 8; l++) /* eight running maxima and sums: they vectorize */
			lane[l] = zr[0];
		for (; c + 8 <= k; c += 8)
			for (int l = 0; l < 8; l++)
				lane[l] = zr[c + l] > lane[l] ? zr[c + l] : lane[l];
		m = lane[0];
		for (int l = 1; l < 8; l++)
			m = lane[l] > m ? lane[l] : m;
		for (; c < k; c++)
			m = zr[c] > m ? zr[c] : m;
		float own = zr[r] - m;
		for (c = 0; c < k; c++)
			zr[c] = exp_neg(zr[c] - m);
		for (int l = 0; l < 8; l++)
			lane[l] = 0;
		for (c = 0; c + 8 <= k; c += 8)
			for (int l = 0; l < 8; l++)
				lane[l] += zr[c + l];
		double s = 0; /* in double: the gradient check differences the loss */
		for (int l = 0; l < 8; l++)
			s += lane[l];
		for (; c < k; c++)
			s += zr[c];
		loss -= own - log(s);
		float a = (float)(scale / s);
		for (c = 0; c < k; c++)
			zr[c] *= a;
		zr[r] -= scale;
	}
	return loss;
}

void rs_tt_adam_rows(float *w, float *g, float *m, float *v, int f, const int32_t *rows,
                     int32_t n_rows, float lr, float beta1, float beta2, float eps, float c1,
                     float c2, float decay)
{
	float q[64]; /* sqrt (errno) keeps its loop scalar: the others vectorize */
	for (int32_t r = 0; r < n_rows; r++) {
		size_t at = (size_t)rows[r] * f;
		float *wr = w + at, *gr = g + at, *mr = m + at, *vr = v + at;
		for (int k0 = 0; k0 < f; k0 += 64) {
			int n = f - k0 < 64 ? f - k0 : 64;
			float *wk = wr + k0, *gk = gr + k0, *mk = mr + k0, *vk = vr + k0;
			for (int k = 0; k < n; k++) {
				mk[k] = beta1 * mk[k] + (1 - beta1) * gk[k];
				vk[k] = beta2 * vk[k] + (1 - beta2) * gk[k] * gk[k];
				q[k] = vk[k] * c2;
			}
			for (int k = 0; k < n; k++)
				q[k] = sqrtf(q[k]);
			for (int k = 0; k < n; k++)
				wk[k] -= lr * (mk[k] * c1) / (q[k] + eps) + decay * wk[k];
		}
	}
}
