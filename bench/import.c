/*
 * import.c - time and memory of recsys_import's core part: 1M items x 64
 * float features and 100k users (seeded pseudo-random vectors) handed to
 * rs_import_add row by row as a binding does (ids as text, values as
 * doubles), rs_import_finish (with and without "als", which adds Y^T Y),
 * rs_model_save, rs_model_load, and one recommend() on the loaded model.
 * Prints seconds per phase, the model's bytes and the process's peak RSS.
 * The database side adds reading the rows (SPI / sqlite3_step) and storing
 * the blob.
 *
 * build: cc -O2 -Icore bench/import.c build/librecsys_core.a \
 *          $(pkg-config --libs openblas) -llapacke -lpthread -lm -o build/import_bench
 * usage: build/import_bench [items 1000000] [users 100000] [dims 64] [als 0|1]
 */
#include "recsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "timing.h"

static double peak_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024.0;
}

static uint64_t seed = 42;
static double next_value(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((double)(seed >> 11) / 9007199254740992.0 - 0.5) * 0.2;
}

/* n rows of one side, ids "<prefix><n>". */
static int add_rows(rs_import *im, rs_side side, const char *prefix, long n, int dims)
{
	double *v = malloc(sizeof *v * (size_t)dims);
	char id[32];
	rs_error e;
	for (long r = 0; v && r < n; r++) {
		for (int d = 0; d < dims; d++)
			v[d] = next_value();
		int len = snprintf(id, sizeof id, "%s%ld", prefix, r);
		if (rs_import_add(im, side, id, (size_t)len, v, NULL, dims, NULL, &e) != RS_OK) {
			fprintf(stderr, "import_bench: %s\n", e.msg);
			free(v);
			return 1;
		}
	}
	free(v);
	return v ? 0 : 1;
}

int main(int argc, char **argv)
{
	long items = argc > 1 ? atol(argv[1]) : 1000000, users = argc > 2 ? atol(argv[2]) : 100000;
	int dims = argc > 3 ? atoi(argv[3]) : 64, als = argc > 4 ? atoi(argv[4]) : 0;
	rs_opt kid = {.kind = RS_OPT_BOOL, .key = "als", .boolean = als};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &kid};
	rs_import *im = NULL;
	rs_model *m = NULL, *back = NULL;
	char *summary = NULL;
	unsigned char *blob = NULL;
	size_t len = 0;
	rs_error e;
	printf("import: %ld items, %ld users, %d dimensions, als %s\n", items, users, dims,
	       als ? "true" : "false");
	double t0 = now();
	if (rs_import_create(&root, 1, &im, &e) != RS_OK ||
	    add_rows(im, RS_SIDE_ITEMS, "item", items, dims) || add_rows(im, RS_SIDE_USERS, "user", users, dims)) {
		fprintf(stderr, "import_bench: %s\n", e.msg);
		return 1;
	}
	double t1 = now();
	printf("  rs_import_add, all rows   %7.2f s   peak RSS %7.0f MB\n", t1 - t0, peak_mb());
	if (rs_import_finish(im, NULL, NULL, &m, &summary, &e) != RS_OK) {
		fprintf(stderr, "import_bench: %s\n", e.msg);
		return 1;
	}
	double t2 = now();
	printf("  rs_import_finish          %7.2f s   peak RSS %7.0f MB   model %7.0f MB\n", t2 - t1,
	       peak_mb(), rs_model_memory(m) / 1048576.0);
	if (rs_model_save(m, &blob, &len, &e) != RS_OK) {
		fprintf(stderr, "import_bench: %s\n", e.msg);
		return 1;
	}
	double t3 = now();
	printf("  rs_model_save             %7.2f s   blob %7.0f MB\n", t3 - t2, len / 1048576.0);
	rs_model_destroy(&m);
	if (rs_model_load(blob, len, &back, &e) != RS_OK) {
		fprintf(stderr, "import_bench: %s\n", e.msg);
		return 1;
	}
	double t4 = now();
	rs_reco out[10];
	int n = 0;
	rs_recommend(back, "user1", 5, 10, NULL, out, &n, &e);
	double t5 = now();
	printf("  rs_model_load             %7.2f s\n  one recommend(k = 10)     %7.4f s\n", t4 - t3, t5 - t4);
	printf("  total (add + finish)      %7.2f s   peak RSS %7.0f MB\n", t2 - t0, peak_mb());
	rs_model_destroy(&back);
	rs_free(blob);
	rs_free(summary);
	rs_import_destroy(&im);
	return 0;
}
