/*
 * time_cut.c - the global time cut-off of the "global_time" split (EVAL.md,
 * evaluate.c, and auto's validation): sorted by time, the cut-off T is the
 * time of the timed row at 0-based position floor((1 - fraction) n), so
 * about `fraction` of the rows are at or after it (when rows tie at that
 * time, T is the start of their block or the next time, whichever leaves
 * the target nearer `fraction`). Rows before T train;
 * the items a user has rows at or after T for, and none before, are the
 * items new to that user: the target. Rows without a time take part in
 * neither.
 *
 * The builder asks for it (rs_builder.cut.fraction > 0) and computes it on
 * the raw rows, before duplicates merge: a pair with rows on both sides of
 * T trains with its earlier rows only and is not new to the user, which
 * the merged matrix alone (one time per pair, the latest) cannot tell.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void rs_time_cut_free(rs_time_cut *tc)
{
	free(tc->w_before);
	free(tc->ts_before);
	tc->w_before = NULL;
	tc->ts_before = NULL;
}

rs_status rs_time_cut_rows(rs_time_cut *tc, const float *w, const double *ts, int64_t n)
{
	rs_time_cut_free(tc);
	tc->at = NAN;
	tc->timed_rows = 0;
	if (!ts)
		return RS_OK;
	double *sorted = rs_malloc(rs_mul((size_t)n + 1, sizeof *sorted));
	tc->w_before = rs_malloc(rs_mul((size_t)n + 1, sizeof *tc->w_before));
	tc->ts_before = rs_malloc(rs_mul((size_t)n + 1, sizeof *tc->ts_before));
	if (!sorted || !tc->w_before || !tc->ts_before) {
		free(sorted);
		rs_time_cut_free(tc);
		return RS_ENOMEM;
	}
	int64_t nt = 0;
	for (int64_t k = 0; k < n; k++)
		if (!isnan(ts[k]))
			sorted[nt++] = ts[k];
	if (nt > 0) {
		qsort(sorted, (size_t)nt, sizeof *sorted, cmp_double);
		int64_t pos = (int64_t)floor((1.0 - tc->fraction) * (double)nt);
		pos = pos < nt ? pos : nt - 1;
		/* Coarse times (ML-1M's fold numbers, dates) tie: T moves to the
		 * start of its block of equal times or to the next time, whichever
		 * leaves the target nearer `fraction` of the rows. */
		int64_t lo = pos, hi = pos;
		while (lo > 0 && sorted[lo - 1] == sorted[pos])
			lo--;
		while (hi < nt && sorted[hi] == sorted[pos])
			hi++;
		double want = tc->fraction * (double)nt;
		int up = lo < pos && hi < nt &&
		         fabs((double)(nt - hi) - want) <= fabs((double)(nt - lo) - want);
		tc->at = sorted[up ? hi : lo];
	}
	free(sorted);
	tc->timed_rows = (uint64_t)nt;
	for (int64_t k = 0; k < n; k++) {
		int before = ts[k] < tc->at; /* false for NAN on either side */
		tc->w_before[k] = before ? w[k] : 0;
		tc->ts_before[k] = before ? ts[k] : NAN;
	}
	return RS_OK;
}
