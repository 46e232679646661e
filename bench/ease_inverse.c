/*
 * ease_inverse.c - EASE's inverse by blocks (core/spd.c, cancellable)
 * against LAPACK's single dpotrf + dpotri calls: time of each, the longest
 * time between two polls of the cancel callback, and the largest
 * difference of the two inverses relative to the largest entry. The matrix
 * is an EASE Gram matrix of synthetic 0/1 data (5 n users, 40 items
 * per user with a popularity skew) plus lambda = 2 x its mean diagonal.
 *
 *   build/ease_inverse N [THREADS [NB [REPEATS]]]
 *
 * prints one markdown row: n, threads, block, repeats; LAPACK dpotrf + dpotri
 * (medians, s) and the fastest repeat; blocks: median and fastest; blocks
 * over LAPACK in per cent, by medians and by fastest repeats (the machines
 * are shared: the fastest repeat is the least disturbed); polls per
 * inverse, the longest time between two polls (any repeat, s), and the
 * largest difference of the inverses relative to their largest entry.
 *
 * Build (after `make core`):
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Icore bench/ease_inverse.c \
 *     build/librecsys_core.a $(pkg-config --libs openblas) -llapacke -lpthread -lm \
 *     -o build/ease_inverse
 */
#include "internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

typedef struct gaps { double last, max; long polls; } gaps;

static int poll_cb(void *arg)
{
	gaps *g = arg;
	double t = now();
	if (t - g->last > g->max)
		g->max = t - g->last;
	g->last = t;
	g->polls++;
	return 0;
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s N [THREADS [NB [REPEATS]]]\n", argv[0]);
		return 2;
	}
	int n = atoi(argv[1]), threads = argc > 2 ? atoi(argv[2]) : 2;
	int nb = argc > 3 ? atoi(argv[3]) : RS_SPD_BLOCK;
	int reps = argc > 4 ? atoi(argv[4]) : 3, users = 5 * n, per = 40;
	if (reps < 1 || reps > 16)
		reps = 3;
	size_t nn = (size_t)n * n;
	double *g = calloc(nn, sizeof *g), *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b);
	int *row = malloc((size_t)per * sizeof *row);
	if (!g || !a || !b || !row)
		return 1;
	uint64_t s = 88172645463325252ULL;
	for (int u = 0; u < users; u++) {
		for (int k = 0; k < per; k++) {
			double r = (double)(next(&s) >> 11) / 9007199254740992.0;
			row[k] = (int)(n * r * r);
		}
		for (int k = 0; k < per; k++)
			for (int q = 0; q < per; q++)
				if (row[k] <= row[q]) /* column-major lower = (row >= col) */
					g[(size_t)row[q] + (size_t)row[k] * n] += 1;
	}
	double mean = 0;
	for (int i = 0; i < n; i++)
		mean += g[(size_t)i * n + i] / n;
	for (int i = 0; i < n; i++)
		g[(size_t)i * n + i] += 2 * mean;
	openblas_set_num_threads(threads);

	rs_config *cfg = NULL;
	rs_error e;
	if (rs_config_create("ease", NULL, threads, &cfg, &e) != RS_OK)
		return 1;
	/* LAPACK and blocks in turn, `reps` times: the median of each */
	double lp[16], lt[16], bt[16], maxgap = 0, diff = 0, big = 0;
	long polls = 0;
	for (int r = 0; r < reps; r++) {
		memcpy(a, g, nn * sizeof *a);
		double t0 = now();
		lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, a, n);
		double t1 = now();
		if (info == 0)
			info = LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', n, a, n);
		double t2 = now();
		if (info != 0) {
			fprintf(stderr, "LAPACK info %d\n", (int)info);
			return 1;
		}
		lp[r] = t1 - t0;
		lt[r] = t2 - t0;
		memcpy(b, g, nn * sizeof *b);
		gaps gp = {0};
		rs_callbacks cb = {.cancel = poll_cb, .ctx = &gp};
		rs_train_ctx ctx = {.cfg = cfg, .cb = &cb};
		atomic_init(&ctx.stop, 0);
		double t3 = now();
		gp.last = t3;
		rs_status st = rs_spd_inverse(&ctx, b, n, nb, &e);
		double t4 = now();
		if (st != RS_OK) {
			fprintf(stderr, "rs_spd_inverse: %s\n", e.msg);
			return 1;
		}
		if (t4 - gp.last > gp.max)
			gp.max = t4 - gp.last;
		bt[r] = t4 - t3;
		maxgap = fmax(maxgap, gp.max);
		polls = gp.polls;
		for (int j = 0; j < n; j++)
			for (int i = j; i < n; i++) {
				size_t k = (size_t)i + (size_t)j * n;
				big = fmax(big, fabs(a[k]));
				diff = fmax(diff, fabs(a[k] - b[k]));
			}
	}
	qsort(lp, (size_t)reps, sizeof *lp, cmp_double);
	qsort(lt, (size_t)reps, sizeof *lt, cmp_double);
	qsort(bt, (size_t)reps, sizeof *bt, cmp_double);
	double ml = lt[reps / 2], mb = bt[reps / 2];
	printf("| %d | %d | %d | %d | %.2f + %.2f = %.2f | %.2f | %.2f | %.2f | %+.1f%% | %+.1f%% | %ld | "
	       "%.3f | %.1e |\n", n, threads, nb, reps, lp[reps / 2], ml - lp[reps / 2], ml, lt[0], mb,
	       bt[0], 100 * (mb / ml - 1), 100 * (bt[0] / lt[0] - 1), polls, maxgap, diff / big);
	rs_config_destroy(&cfg);
	free(g);
	free(a);
	free(b);
	free(row);
	return 0;
}
