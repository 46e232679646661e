/*
 * train_memory.c - the core-alone half of bench/train_memory.sh.
 *
 *   train_memory gen S|M      write the seeded synthetic set as "user<TAB>item" lines
 *   train_memory core S|M     generate the same set straight into the builder, train
 *                             ALS (64 factors, 15 iterations, 2 threads), serialize,
 *                             print peak RSS (VmHWM) and seconds
 *
 * The generator (seed 42): 32 planted topics (user u and item i belong to
 * topic u % 32 and i % 32), Zipf-like item popularity (exponent 0.9) within
 * the user's topic half of the time and over the whole catalogue otherwise,
 * lognormal user activity with median 20 (sigma 0.75, mean about 26.5), each
 * user's duplicates removed. The rows are produced one user at a time, so
 * the generator itself holds nothing: the peak is the core's.
 */
#include "recsys.h"
#include "timing.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gen_set {
	const char *name;
	int32_t users, items;
} gen_set;

static const gen_set SETS[] = {{"S", 200000, 50000}, {"M", 1000000, 200000}};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
	return ((double)(rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Rank in [0, n) with P(rank r) ~ (r + 1)^-0.9 (continuous inverse CDF). */
static int32_t zipf_rank(uint64_t *s, int32_t n)
{
	const double e = 1.0 - 0.9;
	double r = pow((pow((double)n + 1, e) - 1.0) * rng_unit(s) + 1.0, 1.0 / e) - 1.0;
	return r >= n ? n - 1 : (int32_t)r;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* One user's distinct items into buf (sorted); returns how many. */
static int user_items(const gen_set *g, int32_t u, uint64_t *s, int32_t *buf, int cap)
{
	double z = sqrt(-2.0 * log(rng_unit(s))) * cos(6.283185307179586 * rng_unit(s));
	int n = (int)lround(20.0 * exp(0.75 * z));
	n = n < 1 ? 1 : n > cap ? cap : n;
	int32_t topic = u % 32, per_topic = g->items / 32;
	for (int k = 0; k < n; k++) {
		if (rng_next(s) & 1)
			buf[k] = zipf_rank(s, per_topic) * 32 + topic;
		else
			buf[k] = zipf_rank(s, g->items);
	}
	qsort(buf, (size_t)n, sizeof *buf, cmp_i32);
	int m = 0;
	for (int k = 0; k < n; k++)
		if (m == 0 || buf[k] != buf[m - 1])
			buf[m++] = buf[k];
	return m;
}

static long vm_hwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	const gen_set *g = NULL;
	for (size_t k = 0; argc == 3 && k < sizeof SETS / sizeof SETS[0]; k++)
		if (strcmp(argv[2], SETS[k].name) == 0)
			g = &SETS[k];
	if (!g || (strcmp(argv[1], "gen") != 0 && strcmp(argv[1], "core") != 0)) {
		fprintf(stderr, "usage: train_memory gen|core S|M\n");
		return 2;
	}
	int gen = strcmp(argv[1], "gen") == 0;
	rs_opt kids[] = {{.kind = RS_OPT_NUMBER, .key = "factors", .number = 64},
	                 {.kind = RS_OPT_NUMBER, .key = "iterations", .number = 15},
	                 {.kind = RS_OPT_NUMBER, .key = "threads", .number = 2}};
	rs_opt opts = {.kind = RS_OPT_OBJECT, .n_children = 3, .children = kids};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_error err;
	if (!gen && (rs_config_create("als", &opts, 0, &cfg, &err) || rs_builder_create(cfg, &b, &err))) {
		fprintf(stderr, "train_memory: %s\n", err.msg);
		return 1;
	}
	uint64_t seed = 42, rows = 0;
	int32_t buf[4096];
	double t0 = now();
	for (int32_t u = 0; u < g->users; u++) {
		int n = user_items(g, u, &seed, buf, 4096);
		char us[16], is[16];
		int ul = snprintf(us, sizeof us, "%d", u);
		for (int k = 0; k < n; k++, rows++) {
			if (gen) {
				printf("%s\t%d\n", us, buf[k]);
				continue;
			}
			int il = snprintf(is, sizeof is, "%d", buf[k]);
			if (rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &err)) {
				fprintf(stderr, "train_memory: %s\n", err.msg);
				return 1;
			}
		}
	}
	if (gen)
		return fflush(stdout) != 0;
	double t1 = now();
	long read_kb = vm_hwm_kb();
	rs_model *m = NULL;
	char *summary = NULL;
	if (rs_train(cfg, b, NULL, &m, &summary, &err)) {
		fprintf(stderr, "train_memory: %s\n", err.msg);
		return 1;
	}
	double t2 = now();
	long train_kb = vm_hwm_kb();
	rs_builder_destroy(&b);
	unsigned char *blob = NULL;
	size_t len = 0;
	if (rs_model_save(m, &blob, &len, &err)) {
		fprintf(stderr, "train_memory: %s\n", err.msg);
		return 1;
	}
	printf("set=%s rows=%llu users=%zu items=%zu add_seconds=%.2f train_seconds=%.2f "
	       "peak_after_read_mb=%.0f peak_after_train_mb=%.0f peak_mb=%.0f blob_mb=%.0f\n",
	       g->name, (unsigned long long)rows, rs_model_n_users(m), rs_model_n_items(m),
	       t1 - t0, t2 - t1, read_kb / 1024.0, train_kb / 1024.0, vm_hwm_kb() / 1024.0, len / 1048576.0);
	rs_free(blob);
	rs_free(summary);
	rs_model_destroy(&m);
	rs_config_destroy(&cfg);
	return 0;
}
