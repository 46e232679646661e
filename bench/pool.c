/*
 * pool.c - what one parallel section costs (core/threads.c): sections with
 * no work (one chunk per thread), run back to back on a context without a
 * pool (each section starts and joins its threads) and with one (workers
 * parked between sections), for 1, 2 and 4 threads; then sections of
 * eight rows of about 5 us of arithmetic each (40 us on one thread), where
 * the workers must take part to gain. Prints the load average, then per
 * section kind, thread count and mode the fastest of REPEATS runs in
 * microseconds per section and the process CPU time (user + system) of
 * that run per section; the machines are shared, so the fastest run is the
 * least disturbed.
 *
 *   build/pool [SECTIONS [REPEATS]]     (defaults: 20000 and 3)
 *
 * Build (after `make core`):
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Icore bench/pool.c \
 *     build/librecsys_core.a $(pkg-config --libs openblas) -llapacke -lpthread -lm \
 *     -o build/pool
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "timing.h"

static void empty_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)arg;
	(void)begin;
	(void)end;
	(void)tid;
}

/* About 5 microseconds of arithmetic per row (WORK_ITERS steps). */
#define WORK_ITERS 2000
static void busy_range(void *arg, int32_t begin, int32_t end, int tid)
{
	volatile float *sink = arg;
	for (int32_t r = begin; r < end; r++) {
		float x = (float)r;
		for (int i = 0; i < WORK_ITERS; i++)
			x = x * 0.999f + 1.0f;
		sink[tid] = x;
	}
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec * 1e-6;
}

/* Fastest of `repeats` runs of n sections (rows rows each, no work or
 * busy_range's): wall and CPU ns per section. */
static void measure(int pooled, int threads, int n, int32_t rows, int busy, int repeats,
                    double *wall, double *cpu)
{
	static volatile float sink[256];
	*wall = *cpu = 1e300;
	for (int r = 0; r < repeats; r++) {
		rs_train_ctx ctx = {.pool = pooled ? rs_pool_new() : NULL};
		atomic_init(&ctx.stop, 0);
		rs_error err;
		double t0 = now(), c0 = cpu_seconds();
		for (int i = 0; i < n; i++)
			if (rs_parallel_for(&ctx, rows, 1, threads, busy ? busy_range : empty_range,
			                    (void *)sink, &err) != RS_OK) {
				fprintf(stderr, "pool: %s\n", err.msg);
				exit(1);
			}
		double t = (now() - t0) * 1e9 / n, c = (cpu_seconds() - c0) * 1e9 / n;
		rs_train_ctx_end(&ctx);
		if (t < *wall) {
			*wall = t;
			*cpu = c;
		}
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000, repeats = argc > 2 ? atoi(argv[2]) : 3;
	if (n < 1 || repeats < 1) {
		fprintf(stderr, "usage: pool [SECTIONS [REPEATS]]\n");
		return 2;
	}
	double load[3] = {0, 0, 0};
	if (getloadavg(load, 3) < 0)
		load[0] = -1;
	printf("load average %.2f %.2f %.2f, %d cores, %d sections, fastest of %d\n\n", load[0],
	       load[1], load[2], rs_cpu_count(), n, repeats);
	printf("| section | threads | no pool: us / section | CPU us | pool: us / section | CPU us |\n");
	printf("| --- | --- | --- | --- | --- | --- |\n");
	static const int counts[] = {1, 2, 4};
	for (int busy = 0; busy < 2; busy++)
		for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
			int t = counts[k];
			int32_t rows = busy ? 8 : t; /* busy: 8 rows of about 5 us */
			double w0, c0, w1, c1;
			/* starting threads is slow: a tenth of the sections without a pool */
			measure(0, t, n / 10 > 0 ? n / 10 : 1, rows, busy, repeats, &w0, &c0);
			measure(1, t, n, rows, busy, repeats, &w1, &c1);
			printf("| %s | %d | %.2f | %.2f | %.2f | %.2f |\n",
			       busy ? "8 rows x 5 us" : "empty", t, w0 / 1e3, c0 / 1e3, w1 / 1e3, c1 / 1e3);
		}
	return 0;
}
