/* timing.h - the clock and the sort order the core benchmarks share
 * (header-only: each bench is one file compiled on its own). */
#ifndef RS_BENCH_TIMING_H
#define RS_BENCH_TIMING_H

#include <time.h>

/* Monotonic seconds. */
static inline double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* qsort order of doubles, ascending. */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#endif
