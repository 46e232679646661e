/* test_builder.c - the builder's compact rows (rows.c): across row blocks,
 * with times in a later block only, unsorted and duplicated, the matrix
 * equals a plain reference bit for bit; a cancel while the rows become the
 * matrix frees everything; the id map holds many, long and binary ids. */
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NU = 3000, NI = 500 };

/* Row k of the synthetic source: user, item, weight, time (NAN in block 0). */
static void row_of(uint64_t k, int *u, int *i, double *w, double *ts)
{
	uint64_t s = k * 2654435761u + 17, r = rs_rand_next(&s);
	*u = (int)(r % NU);
	*i = (int)((r >> 24) % NI);
	*w = 0.5 + (double)((r >> 40) % 7) * 0.25;
	*ts = k >= RS_ROW_BLOCK + 5 ? (double)((r >> 8) % 100000) : NAN;
}

static rs_status add_rows(rs_builder *b, uint64_t n, rs_error *e)
{
	for (uint64_t k = 0; k < n; k++) {
		int u, i;
		double w, ts;
		row_of(k, &u, &i, &w, &ts);
		char us[16], is[16];
		int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
		rs_status st = rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 1, w, NULL, 0, 1, ts, e);
		if (st != RS_OK)
			return st;
	}
	return RS_OK;
}

void test_builder_blocks_match_reference(void)
{
	const uint64_t n = RS_ROW_BLOCK + RS_ROW_BLOCK / 4;
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_error e;
	CHECK(rs_config_create("popularity", NULL, 1, &c, &e) == RS_OK);
	CHECK(rs_builder_create(c, &b, &e) == RS_OK);
	CHECK(add_rows(b, n, &e) == RS_OK);
	CHECK(b->rows.n_blocks == 2 && b->rows.blocks[0].ts == NULL && b->rows.blocks[1].ts != NULL);
	/* reference: per (user, item) the weights summed in arrival order, the latest time */
	float *sum = calloc((size_t)NU * NI, sizeof *sum);
	double *last = malloc((size_t)NU * NI * sizeof *last);
	uint32_t *rows = calloc(NU, sizeof *rows);
	for (size_t k = 0; k < (size_t)NU * NI; k++)
		last[k] = NAN;
	uint64_t pairs = 0;
	for (uint64_t k = 0; k < n; k++) {
		int u, i;
		double w, ts;
		row_of(k, &u, &i, &w, &ts);
		size_t p = (size_t)u * NI + (size_t)i;
		pairs += sum[p] == 0;
		sum[p] += (float)w;
		if (isnan(last[p]) || ts > last[p])
			last[p] = ts;
		rows[u]++;
	}
	rs_model *m = NULL;
	char *summary = NULL;
	CHECK(rs_train(c, b, NULL, &m, &summary, &e) == RS_OK);
	int same = m != NULL && m->seen.ts != NULL && rs_csr_nnz(&m->seen) == (int64_t)pairs;
	for (int32_t r = 0; same && r < m->seen.nrows; r++) {
		size_t len;
		const char *id = rs_idmap_get(&m->users, r, &len);
		int u = atoi(id + 1);
		same &= m->user_rows[r] == rows[u];
		for (int64_t k = m->seen.indptr[r]; same && k < m->seen.indptr[r + 1]; k++) {
			int i = atoi(rs_idmap_get(&m->items, m->seen.indices[k], &len) + 1);
			size_t p = (size_t)u * NI + (size_t)i;
			same &= k == m->seen.indptr[r] || m->seen.indices[k] > m->seen.indices[k - 1];
			same &= memcmp(&m->seen.data[k], &sum[p], sizeof(float)) == 0;
			same &= isnan(last[p]) ? isnan(m->seen.ts[k]) : m->seen.ts[k] == last[p];
		}
	}
	CHECK(same);
	char want[64];
	snprintf(want, sizeof want, "\"duplicates_merged\": %llu", (unsigned long long)(n - pairs));
	CHECK(summary && strstr(summary, want));
	free(sum);
	free(last);
	free(rows);
	rs_free(summary);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
}

static int cancel_after(void *arg)
{
	int *polls = arg;
	return --*polls < 0;
}

/* A cancel at each of the first polls of the matrix build: RS_ECANCELLED,
 * no model, nothing leaked (AddressSanitizer checks the last). */
void test_builder_cancel_in_finish(void)
{
	for (int at = 0; at < 4; at++) {
		rs_config *c = NULL;
		rs_builder *b = NULL;
		rs_error e;
		CHECK(rs_config_create("popularity", NULL, 1, &c, &e) == RS_OK);
		CHECK(rs_builder_create(c, &b, &e) == RS_OK);
		CHECK(add_rows(b, RS_ROW_BLOCK + 1000, &e) == RS_OK);
		int polls = at;
		rs_callbacks cb = {.cancel = cancel_after, .ctx = &polls};
		rs_model *m = NULL;
		char *summary = NULL;
		CHECK(rs_train(c, b, &cb, &m, &summary, &e) == RS_ECANCELLED && m == NULL && !summary);
		rs_builder_destroy(&b);
		rs_config_destroy(&c);
	}
}

/* Many, long and binary ids: each interned once, found, read back whole. */
void test_idmap_ids(void)
{
	rs_idmap m = {0};
	enum { N = 100000 };
	char buf[32];
	int ok = 1;
	for (int k = 0; k < N && ok; k++) {
		int32_t idx;
		int len = snprintf(buf, sizeof buf, "%d", k);
		ok &= rs_idmap_intern(&m, buf, (size_t)len, &idx) == RS_OK && idx == k;
	}
	CHECK(ok && m.n == N);
	char *big = malloc(65536);
	for (int k = 0; k < 65536; k++)
		big[k] = (char)(k * 7);
	const char bin[] = {'a', 0, 'b', (char)0xff, 0};
	int32_t ib, ib2, ibin, ibin2, ishort;
	CHECK(rs_idmap_intern(&m, big, 65536, &ib) == RS_OK && ib == N);
	CHECK(rs_idmap_intern(&m, bin, sizeof bin, &ibin) == RS_OK && ibin == N + 1);
	CHECK(rs_idmap_intern(&m, bin, 1, &ishort) == RS_OK && ishort == N + 2); /* "a" alone */
	CHECK(rs_idmap_intern(&m, big, 65536, &ib2) == RS_OK && ib2 == ib);
	CHECK(rs_idmap_intern(&m, bin, sizeof bin, &ibin2) == RS_OK && ibin2 == ibin);
	size_t len;
	const char *s = rs_idmap_get(&m, ib, &len);
	CHECK(len == 65536 && memcmp(s, big, 65536) == 0);
	s = rs_idmap_get(&m, ibin, &len);
	CHECK(len == sizeof bin && memcmp(s, bin, sizeof bin) == 0);
	CHECK(rs_idmap_find(&m, "99999", 5) == 99999 && rs_idmap_find(&m, "100000", 6) == -1);
	rs_idmap copy;
	CHECK(rs_idmap_copy(&m, &copy) == RS_OK && copy.n == m.n &&
	      rs_idmap_find(&copy, big, 65536) == ib && rs_idmap_find(&copy, bin, sizeof bin) == ibin);
	rs_idmap_free(&copy);
	rs_idmap_free(&m);
	free(big);
}
