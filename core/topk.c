/*
 * topk.c - the k best of n scores with a bounded min-heap: O(n log k).
 * -INFINITY marks excluded items. Ties go to the lower index so results are
 * stable across runs and agree with a full sort.
 */
#include "internal.h"

#include <math.h>

/* Is (sa, ia) better than (sb, ib)? */
static inline int better(float sa, int32_t ia, float sb, int32_t ib)
{
	return sa > sb || (sa == sb && ia < ib);
}

/* Restore the min-heap (worst at the root) below position i. */
static void sift_down(int32_t *idx, float *val, int n, int i)
{
	for (;;) {
		int w = i, l = 2 * i + 1, r = l + 1;
		if (l < n && better(val[w], idx[w], val[l], idx[l]))
			w = l;
		if (r < n && better(val[w], idx[w], val[r], idx[r]))
			w = r;
		if (w == i)
			return;
		float tv = val[i]; val[i] = val[w]; val[w] = tv;
		int32_t ti = idx[i]; idx[i] = idx[w]; idx[w] = ti;
		i = w;
	}
}

int rs_topk(const float *scores, int32_t n, int k, int32_t *idx, float *val)
{
	int h = 0;
	if (k <= 0)
		return 0;
	for (int32_t i = 0; i < n; i++) {
		float s = scores[i];
		if (h == k) {
			/* full heap: indices only grow, so a tie never wins; NaN and
			 * -INFINITY fail the comparison too */
			if (s > val[0]) {
				idx[0] = i;
				val[0] = s;
				sift_down(idx, val, h, 0);
			}
			continue;
		}
		if (s == -INFINITY || isnan(s))
			continue;
		int c = h++; /* sift up */
		idx[c] = i;
		val[c] = s;
		while (c > 0) {
			int p = (c - 1) / 2;
			if (!better(val[p], idx[p], val[c], idx[c]))
				break;
			float tv = val[p]; val[p] = val[c]; val[c] = tv;
			int32_t ti = idx[p]; idx[p] = idx[c]; idx[c] = ti;
			c = p;
		}
	}
	/* pop the worst to the back: the array ends best first */
	for (int end = h - 1; end > 0; end--) {
		float tv = val[0]; val[0] = val[end]; val[end] = tv;
		int32_t ti = idx[0]; idx[0] = idx[end]; idx[end] = ti;
		sift_down(idx, val, end, 0);
	}
	return h;
}
