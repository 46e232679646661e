/*
 * builder.c - collects the source's rows (ids as text, weight, event, time),
 * applies event weights, counts what it skips, and aggregates duplicate
 * (user, item) pairs into the user x item CSR matrix that training reads.
 */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

rs_status rs_builder_create(const rs_config *cfg, rs_builder **out, rs_error *err)
{
	*out = NULL;
	if (!cfg)
		return rs_fail(err, RS_EINVAL, "configuration must not be NULL");
	rs_builder *b = rs_calloc(1, sizeof *b);
	if (!b)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	b->cfg = cfg;
	if (cfg->watch) /* the clock of the progress report starts with the reading */
		rs_report_start(&b->rep, cfg->watch);
	*out = b;
	return RS_OK;
}

/* Free rows and id maps; keep the counters and the side-table attributes,
 * which training reads after the interactions are aggregated. */
static void builder_clear(rs_builder *b)
{
	rs_idmap_free(&b->users);
	rs_idmap_free(&b->items);
	free(b->rows);
	b->rows = NULL;
	b->n = b->cap = 0;
}

void rs_builder_destroy(rs_builder **b)
{
	if (!b || !*b)
		return;
	builder_clear(*b);
	rs_attrs_free(&(*b)->side[RS_SIDE_ITEMS]);
	rs_attrs_free(&(*b)->side[RS_SIDE_USERS]);
	free((*b)->user_rows);
	free((*b)->item_interval);
	free(*b);
	*b = NULL;
}

/* Weight of an event name, or -1 when the map does not name it. */
static double event_weight(const rs_config *cfg, const char *ev, size_t len)
{
	for (size_t i = 0; i < cfg->n_events; i++)
		if (strlen(cfg->event_names[i]) == len && memcmp(cfg->event_names[i], ev, len) == 0)
			return cfg->event_weights[i];
	return -1;
}

rs_status rs_builder_add(rs_builder *b, const char *user, size_t user_len,
                         const char *item, size_t item_len, int has_weight,
                         double weight, const char *event, size_t event_len,
                         int has_ts, double ts, rs_error *err)
{
	if ((b->rows_read++ & 1023) == 0) /* progress: rows read, a tick when due */
		rs_report_rows(&b->rep, b->rows_read - 1);
	if (!user) {
		b->null_user++;
		return RS_OK;
	}
	if (!item) {
		b->null_item++;
		return RS_OK;
	}
	char su[RS_SHORT_CAP], si[RS_SHORT_CAP];
	if (has_weight && !isfinite(weight))
		return rs_fail(err, RS_EDATA,
		               "weight of row %llu (user \"%s\", item \"%s\") is not a finite number",
		               (unsigned long long)b->rows_read, rs_shorten(user, user_len, su, sizeof su),
		               rs_shorten(item, item_len, si, sizeof si));
	if (has_weight && weight > FLT_MAX) /* weights are kept as float32 */
		return rs_fail(err, RS_EDATA,
		               "weight of row %llu (user \"%s\", item \"%s\") is %g, above the float32 "
		               "maximum " RS_FLT_MAX_TEXT, (unsigned long long)b->rows_read,
		               rs_shorten(user, user_len, su, sizeof su),
		               rs_shorten(item, item_len, si, sizeof si), weight);
	double w = has_weight ? weight : 1.0;
	if (b->cfg->n_events) {
		double ew = event ? event_weight(b->cfg, event, event_len) : -1;
		if (ew < 0) {
			b->unknown_event++;
			return RS_OK;
		}
		w *= ew;
		if (w > FLT_MAX)
			return rs_fail(err, RS_EDATA,
			               "weight of row %llu (user \"%s\", item \"%s\") times its event weight "
			               "is %g x %g = %g, above the float32 maximum " RS_FLT_MAX_TEXT,
			               (unsigned long long)b->rows_read, rs_shorten(user, user_len, su, sizeof su),
			               rs_shorten(item, item_len, si, sizeof si), w / ew, ew, w);
	}
	if (!(w > 0)) {
		b->nonpositive++;
		return RS_OK;
	}
	return rs_builder_add_weighted(b, user, user_len, item, item_len, w,
	                               has_ts && isfinite(ts) ? ts : NAN, err);
}

/* Append a row whose weight is final (> 0); ts NAN = unknown. */
rs_status rs_builder_add_weighted(rs_builder *b, const char *user, size_t user_len,
                                  const char *item, size_t item_len, double w, double ts,
                                  rs_error *err)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		rs_triplet *r = rs_realloc(b->rows, rs_mul(cap, sizeof *r));
		if (!r)
			return rs_fail(err, RS_ENOMEM, "out of memory after %zu interactions", b->n);
		b->rows = r;
		b->cap = cap;
	}
	rs_triplet *t = &b->rows[b->n];
	if (rs_idmap_intern(&b->users, user, user_len, &t->u) != RS_OK ||
	    rs_idmap_intern(&b->items, item, item_len, &t->i) != RS_OK)
		return rs_fail(err, RS_ENOMEM, "out of memory after %zu interactions", b->n);
	t->w = (float)w;
	t->ts = ts;
	b->has_ts |= !isnan(ts);
	b->n++;
	return RS_OK;
}

static int cmp_item(const void *a, const void *b)
{
	const rs_triplet *x = a, *y = b;
	return (x->i > y->i) - (x->i < y->i);
}

/* Whether the host asked to stop (ctx NULL: never). */
static int stop_asked(rs_train_ctx *ctx)
{
	return ctx && rs_cancelled(ctx);
}

/* Bucket rows by user (counting sort), order each bucket by item; polls
 * the host every million rows moved and every 2^18 rows sorted (*stopped
 * set: NULL). */
static rs_triplet *sort_rows(rs_builder *b, int64_t *start, rs_train_ctx *ctx, int *stopped)
{
	int32_t nu = (int32_t)b->users.n;
	rs_triplet *sorted = rs_malloc(rs_mul(b->n ? b->n : 1, sizeof *sorted));
	if (!sorted)
		return NULL;
	memset(start, 0, (size_t)(nu + 1) * sizeof *start);
	for (size_t k = 0; k < b->n; k++)
		start[b->rows[k].u + 1]++;
	for (int32_t u = 0; u < nu; u++)
		start[u + 1] += start[u];
	int64_t *fill = rs_malloc(rs_mul((size_t)nu + 1, sizeof *fill));
	if (!fill) {
		free(sorted);
		return NULL;
	}
	memcpy(fill, start, (size_t)(nu + 1) * sizeof *fill);
	for (size_t k = 0; k < b->n && !*stopped; k++) {
		sorted[fill[b->rows[k].u]++] = b->rows[k];
		if (k % (1 << 20) == (1 << 20) - 1)
			*stopped = stop_asked(ctx);
	}
	free(fill);
	int64_t since = 0;
	for (int32_t u = 0; u < nu && !*stopped; u++) {
		qsort(sorted + start[u], (size_t)(start[u + 1] - start[u]), sizeof *sorted, cmp_item);
		if ((since += start[u + 1] - start[u] + 1) >= 1 << 18) {
			since = 0;
			*stopped = stop_asked(ctx);
		}
	}
	if (*stopped) {
		free(sorted);
		return NULL;
	}
	return sorted;
}

/* Merge duplicates of the sorted rows into c; returns merged count. Polls
 * the host every 2^20 rows (*stopped set: c is incomplete). *overflow:
 * 1 + the sorted row at which a pair's summed weight left float32's range,
 * or 0. */
static uint64_t fill_csr(const rs_triplet *s, const int64_t *start, int32_t nu, rs_csr *c,
                         rs_train_ctx *ctx, int *stopped, size_t *overflow)
{
	int64_t nnz = 0;
	uint64_t dup = 0;
	c->indptr[0] = 0;
	int64_t since = 0;
	for (int32_t u = 0; u < nu; u++) {
		if ((since += start[u + 1] - start[u] + 1) >= 1 << 20) {
			since = 0;
			if ((*stopped = stop_asked(ctx)))
				return dup;
		}
		for (int64_t k = start[u]; k < start[u + 1]; k++) {
			if (k > start[u] && s[k].i == s[k - 1].i) {
				c->data[nnz - 1] += s[k].w;
				if (isinf(c->data[nnz - 1]) && !*overflow)
					*overflow = k + 1; /* the first pair whose sum overflows */
				if (c->ts && (isnan(c->ts[nnz - 1]) || s[k].ts > c->ts[nnz - 1]))
					c->ts[nnz - 1] = s[k].ts;
				dup++;
				continue;
			}
			c->indices[nnz] = s[k].i;
			c->data[nnz] = s[k].w;
			if (c->ts)
				c->ts[nnz] = s[k].ts;
			nnz++;
		}
		c->indptr[u + 1] = nnz;
	}
	return dup;
}

/* Before duplicates merge: each user's row count and, with time, the items'
 * repurchase intervals (repurchase.c); kept until rs_train takes them. */
static rs_status keep_stats(rs_builder *b, const rs_triplet *sorted, const int64_t *start,
                            int32_t nu, rs_train_ctx *ctx, rs_error *err)
{
	free(b->user_rows);
	free(b->item_interval);
	b->item_interval = NULL;
	b->user_rows = rs_malloc(rs_mul((size_t)nu + 1, sizeof *b->user_rows));
	if (!b->user_rows)
		return rs_fail(err, RS_ENOMEM, "out of memory counting rows per user");
	for (int32_t u = 0; u < nu; u++)
		b->user_rows[u] = (uint32_t)(start[u + 1] - start[u] > UINT32_MAX ? UINT32_MAX
		                                                                 : start[u + 1] - start[u]);
	b->users_kept = (size_t)nu;
	b->items_kept = b->items.n;
	if (!b->has_ts)
		return RS_OK;
	return rs_repurchase_intervals(ctx, sorted, start, nu, (int32_t)b->items.n, &b->item_interval,
	                               err);
}

rs_status rs_builder_finish(rs_builder *b, rs_train_ctx *ctx, rs_csr *c, rs_idmap *users,
                            rs_idmap *items, uint64_t *duplicates, rs_error *err)
{
	memset(c, 0, sizeof *c);
	int32_t nu = (int32_t)b->users.n;
	int stopped = 0;
	c->nrows = nu;
	c->ncols = (int32_t)b->items.n;
	c->indptr = rs_malloc(rs_mul((size_t)nu + 1, sizeof *c->indptr));
	int64_t *start = rs_malloc(rs_mul((size_t)nu + 1, sizeof *start));
	c->indices = rs_malloc(rs_mul(b->n, sizeof *c->indices));
	c->data = rs_malloc(rs_mul(b->n, sizeof *c->data));
	if (b->has_ts)
		c->ts = rs_malloc(rs_mul(b->n, sizeof *c->ts));
	rs_triplet *sorted = (c->indptr && start && c->indices && c->data && (c->ts || !b->has_ts))
		? sort_rows(b, start, ctx, &stopped) : NULL;
	if (!sorted) {
		free(start);
		rs_csr_free(c);
		builder_clear(b);
		return stopped ? rs_fail(err, RS_ECANCELLED, "training cancelled")
		               : rs_fail(err, RS_ENOMEM, "out of memory building the interaction matrix");
	}
	free(b->rows);
	b->rows = NULL;
	rs_status st = keep_stats(b, sorted, start, nu, ctx, err);
	if (st == RS_OK) {
		size_t overflow = 0;
		*duplicates = fill_csr(sorted, start, nu, c, ctx, &stopped, &overflow);
		if (stopped)
			st = rs_fail(err, RS_ECANCELLED, "training cancelled");
		else if (overflow) {
			const rs_triplet *t = &sorted[overflow - 1];
			size_t ul, il;
			char su[RS_SHORT_CAP], si[RS_SHORT_CAP];
			const char *us = rs_idmap_get(&b->users, t->u, &ul), *is = rs_idmap_get(&b->items, t->i, &il);
			st = rs_fail(err, RS_EDATA,
			             "the weights of user \"%s\" and item \"%s\" add up to more than the "
			             "float32 maximum " RS_FLT_MAX_TEXT " (duplicate rows add up)",
			             rs_shorten(us, ul, su, sizeof su), rs_shorten(is, il, si, sizeof si));
		}
	}
	free(sorted);
	free(start);
	if (st != RS_OK) {
		rs_csr_free(c);
		builder_clear(b);
		return st;
	}
	*users = b->users;
	*items = b->items;
	memset(&b->users, 0, sizeof b->users);
	memset(&b->items, 0, sizeof b->items);
	builder_clear(b);
	return RS_OK;
}
