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
