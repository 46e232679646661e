/*
 * heap.h - the bounded min-heap behind every "k best" in the core (topk.c
 * for serving, itemknn.c for each item's neighbours): parallel arrays of
 * indexes and values, the worst entry at the root. Entries order by value,
 * then by the lower index, so results are stable and agree with a sort.
 * Inline: rs_topk offers every item of the catalogue on the serving path.
 */
#ifndef RS_HEAP_H
#define RS_HEAP_H

#include <stdint.h>

/* Does (va, ia) rank below (vb, ib)? */
static inline int rs_heap_worse(float va, int32_t ia, float vb, int32_t ib)
{
	return va < vb || (va == vb && ia > ib);
}

static inline void rs_heap_swap(int32_t *idx, float *val, int a, int b)
{
	float tv = val[a]; val[a] = val[b]; val[b] = tv;
	int32_t ti = idx[a]; idx[a] = idx[b]; idx[b] = ti;
}

/* Restore the heap of n entries below position p. */
static inline void rs_heap_sift_down(int32_t *idx, float *val, int n, int p)
{
	for (;;) {
		int l = 2 * p + 1, r = l + 1, s = p;
		if (l < n && rs_heap_worse(val[l], idx[l], val[s], idx[s]))
			s = l;
		if (r < n && rs_heap_worse(val[r], idx[r], val[s], idx[s]))
			s = r;
		if (s == p)
			return;
		rs_heap_swap(idx, val, p, s);
		p = s;
	}
}

/* Offer (i, v) to a heap of at most cap entries now holding *n. */
static inline void rs_heap_offer(int32_t *idx, float *val, int *n, int cap, int32_t i, float v)
{
	if (*n < cap) {
		int c = (*n)++;
		idx[c] = i;
		val[c] = v;
		while (c > 0) { /* sift up */
			int p = (c - 1) / 2;
			if (!rs_heap_worse(val[c], idx[c], val[p], idx[p]))
				break;
			rs_heap_swap(idx, val, c, p);
			c = p;
		}
	} else if (cap > 0 && rs_heap_worse(val[0], idx[0], v, i)) {
		idx[0] = i;
		val[0] = v;
		rs_heap_sift_down(idx, val, *n, 0);
	}
}

/* Sort the heap's n entries best first (in place). */
static inline void rs_heap_sort(int32_t *idx, float *val, int n)
{
	for (int end = n - 1; end > 0; end--) {
		rs_heap_swap(idx, val, 0, end);
		rs_heap_sift_down(idx, val, end, 0);
	}
}

#endif
