/*
 * csr.c - compressed sparse row matrices: freeing and transposing (the
 * item x user view that the item half-step of ALS reads).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void rs_csr_free(rs_csr *c)
{
	free(c->indptr);
	free(c->indices);
	free(c->data);
	free(c->ts);
	memset(c, 0, sizeof *c);
}

rs_status rs_csr_transpose(const rs_csr *c, rs_csr *t)
{
	int64_t nnz = rs_csr_nnz(c);
	memset(t, 0, sizeof *t);
	t->nrows = c->ncols;
	t->ncols = c->nrows;
	t->indptr = rs_calloc((size_t)t->nrows + 1, sizeof *t->indptr);
	t->indices = rs_malloc(rs_mul((size_t)nnz, sizeof *t->indices));
	t->data = rs_malloc(rs_mul((size_t)nnz, sizeof *t->data));
	int64_t *fill = rs_malloc(rs_mul((size_t)t->nrows + 1, sizeof *fill));
	if (c->ts)
		t->ts = rs_malloc(rs_mul((size_t)nnz, sizeof *t->ts));
	if (!t->indptr || !t->indices || !t->data || !fill || (c->ts && !t->ts)) {
		free(fill);
		rs_csr_free(t);
		return RS_ENOMEM;
	}
	for (int64_t k = 0; k < nnz; k++)
		t->indptr[c->indices[k] + 1]++;
	for (int32_t r = 0; r < t->nrows; r++)
		t->indptr[r + 1] += t->indptr[r];
	memcpy(fill, t->indptr, ((size_t)t->nrows + 1) * sizeof *fill);
	/* rows of c in order, so each row of t comes out sorted */
	for (int32_t r = 0; r < c->nrows; r++) {
		for (int64_t k = c->indptr[r]; k < c->indptr[r + 1]; k++) {
			int64_t dst = fill[c->indices[k]]++;
			t->indices[dst] = r;
			t->data[dst] = c->data[k];
			if (t->ts)
				t->ts[dst] = c->ts[k];
		}
	}
	free(fill);
	return RS_OK;
}

/* Deep copy of c into out. */
rs_status rs_csr_copy(const rs_csr *c, rs_csr *out)
{
	int64_t nnz = rs_csr_nnz(c);
	memset(out, 0, sizeof *out);
	out->nrows = c->nrows;
	out->ncols = c->ncols;
	out->indptr = rs_malloc(rs_mul((size_t)c->nrows + 1, sizeof *out->indptr));
	out->indices = rs_malloc(rs_mul((size_t)nnz, sizeof *out->indices));
	out->data = rs_malloc(rs_mul((size_t)nnz, sizeof *out->data));
	if (c->ts)
		out->ts = rs_malloc(rs_mul((size_t)nnz, sizeof *out->ts));
	if (!out->indptr || !out->indices || !out->data || (c->ts && !out->ts)) {
		rs_csr_free(out);
		return RS_ENOMEM;
	}
	memcpy(out->indptr, c->indptr, ((size_t)c->nrows + 1) * sizeof *out->indptr);
	memcpy(out->indices, c->indices, (size_t)nnz * sizeof *out->indices);
	memcpy(out->data, c->data, (size_t)nnz * sizeof *out->data);
	if (c->ts)
		memcpy(out->ts, c->ts, (size_t)nnz * sizeof *out->ts);
	return RS_OK;
}

int64_t rs_csr_find(const rs_csr *c, int32_t r, int32_t j)
{
	int64_t lo = c->indptr[r], hi = c->indptr[r + 1];
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (c->indices[mid] < j)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->indptr[r + 1] && c->indices[lo] == j ? lo : -1;
}
