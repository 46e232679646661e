/*
 * recency.c - the "recency" option of the item-based scorers (ease and
 * itemknn): at scoring time a user's n-th newest interaction counts
 * 0.5^(n / recency) times its weight, so the latest items lead the
 * neighbourhood sums. On a temporal holdout (the next items a user picks)
 * the latest items predict best; on a random holdout they do not, which is
 * why it is off by default and `auto` tries it on its validation split.
 * ALS takes the same option at training (als.c): its user vectors are
 * solved once more against the trained item factors with the
 * recency-weighted confidences.
 * Order: by time, ties by item index (the order of first appearance).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct hist_pos { double ts; int32_t item; int64_t p; } hist_pos;

/* Newest first. */
static int cmp_newest(const void *a, const void *b)
{
	const hist_pos *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts > y->ts ? -1 : 1;
	return (x->item < y->item) - (x->item > y->item);
}

rs_status rs_recency_check(const rs_config *cfg, const rs_csr *seen, rs_error *err)
{
	if (cfg->recency > 0 && !seen->ts)
		return rs_fail(err, RS_EINVAL,
		               "option \"recency\" needs a time column (\"%s\") in the source",
		               rs_config_column(cfg, RS_COL_TS));
	return RS_OK;
}

float *rs_recency_weights(const rs_csr *s, double recency)
{
	int64_t nnz = rs_csr_nnz(s), longest = 0;
	for (int32_t u = 0; u < s->nrows; u++)
		if (s->indptr[u + 1] - s->indptr[u] > longest)
			longest = s->indptr[u + 1] - s->indptr[u];
	float *w = rs_malloc(rs_mul((size_t)nnz + 1, sizeof *w));
	hist_pos *h = rs_malloc(rs_mul((size_t)longest + 1, sizeof *h));
	if (!w || !h) {
		free(w);
		free(h);
		return NULL;
	}
	double per = log(0.5) / recency;
	for (int32_t u = 0; u < s->nrows; u++) {
		int64_t b = s->indptr[u], n = s->indptr[u + 1] - b;
		for (int64_t k = 0; k < n; k++)
			h[k] = (hist_pos){s->ts[b + k], s->indices[b + k], b + k};
		qsort(h, (size_t)n, sizeof *h, cmp_newest);
		for (int64_t r = 0; r < n; r++)
			w[h[r].p] = s->data[h[r].p] * (float)exp(per * (double)r);
	}
	free(h);
	return w;
}

rs_status rs_recency_prepare(rs_model *m, rs_error *err)
{
	free(m->hist_w);
	m->hist_w = NULL;
	if (!(m->recency > 0) || !m->seen.ts)
		return RS_OK;
	m->hist_w = rs_recency_weights(&m->seen, m->recency);
	if (!m->hist_w)
		return rs_fail(err, RS_ENOMEM, "out of memory preparing recency weights");
	return RS_OK;
}
