/*
 * topk.c - the k best of n scores with the bounded min-heap of heap.h:
 * O(n log k).
 * -INFINITY marks excluded items. Ties go to the lower index so results are
 * stable across runs and agree with a full sort.
 */
#include "internal.h"
#include "heap.h"

#include <math.h>

int rs_topk(const float *scores, int32_t n, int k, int32_t *idx, float *val)
{
	int h = 0;
	if (k <= 0)
		return 0;
	for (int32_t i = 0; i < n; i++) {
		float s = scores[i];
		/* a full heap takes only a strictly better score (indexes only
		 * grow, so a tie never wins); NaN and -INFINITY never enter */
		if (h == k ? s > val[0] : !(s == -INFINITY || isnan(s)))
			rs_heap_offer(idx, val, &h, k, i, s);
	}
	rs_heap_sort(idx, val, h);
	return h;
}

/* Is (sa, ia) better than (sb, ib)? The heap's order, reversed. */
static inline int better(float sa, int32_t ia, float sb, int32_t ib)
{
	return rs_heap_worse(sb, ib, sa, ia);
}

/* Reorder idx/val[0..n) so that the `want` best come first (quickselect,
 * Hoare partition around a median of three): O(n) on average. */
static void select_best(int32_t *idx, float *val, int n, int want)
{
	int lo = 0, hi = n - 1;
	while (hi > lo) {
		int mid = lo + (hi - lo) / 2;
		if (better(val[mid], idx[mid], val[lo], idx[lo])) rs_heap_swap(idx, val, mid, lo);
		if (better(val[hi], idx[hi], val[lo], idx[lo])) rs_heap_swap(idx, val, hi, lo);
		if (better(val[hi], idx[hi], val[mid], idx[mid])) rs_heap_swap(idx, val, hi, mid);
		float pv = val[mid];
		int32_t pi = idx[mid];
		int i = lo, j = hi;
		while (i <= j) {
			while (better(val[i], idx[i], pv, pi)) i++;
			while (better(pv, pi, val[j], idx[j])) j--;
			if (i <= j)
				rs_heap_swap(idx, val, i++, j--);
		}
		if (want - 1 <= j)
			hi = j;
		else if (want - 1 >= i)
			lo = i;
		else
			return;
	}
}

/* A score at most the k-th best of n, nearly always, from every 16th
 * score: the sample's rank 1.25x its share plus 6 (too high a floor only
 * costs a second pass); -INFINITY when the sample is too small. */
static float sample_floor(const float *scores, int32_t n, int k, int32_t *tmp_idx, float *tmp_val)
{
	int ns = 0;
	for (int32_t i = 0; i < n; i += 16)
		if (scores[i] != -INFINITY && !isnan(scores[i])) {
			tmp_idx[ns] = i;
			tmp_val[ns++] = scores[i];
		}
	int r = (int)(1.25 * k * ns / n) + 6;
	if (ns < 64 || r >= ns)
		return -INFINITY;
	select_best(tmp_idx, tmp_val, ns, r);
	float t = INFINITY;
	for (int q = 0; q < r; q++)
		t = tmp_val[q] < t ? tmp_val[q] : t;
	return t;
}

int rs_topk_unordered(const float *scores, int32_t n, int k, int32_t *idx, float *val,
                      int32_t *tmp_idx, float *tmp_val)
{
	float t = sample_floor(scores, n, k, tmp_idx, tmp_val);
	int m = 0;
	for (int pass = 0; pass < 2 && m < k; pass++) {
		m = 0; /* one predictable pass over the scores at or above t */
		for (int32_t i = 0; i < n; i++)
			if (scores[i] >= t && scores[i] != -INFINITY) {
				tmp_idx[m] = i;
				tmp_val[m++] = scores[i];
			}
		t = -INFINITY; /* the sample's floor was too high: take every score */
	}
	if (m > k)
		select_best(tmp_idx, tmp_val, m, k);
	else
		k = m;
	for (int r = 0; r < k; r++) {
		idx[r] = tmp_idx[r];
		val[r] = tmp_val[r];
	}
	return k;
}
