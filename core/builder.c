/*
 * builder.c - collects the source's rows (ids as text, weight, event, time),
 * applies event weights, counts what it skips, and aggregates duplicate
 * (user, item) pairs into the user x item CSR matrix that training reads.
 *
 * Memory: each id is interned once (idmap.c); a row is kept as indexes,
 * weight and time (rows.c), which rs_builder_finish moves into the matrix
 * column by column, then sorts each user's items and merges duplicates in
 * place: at most the rows plus one column of the matrix are held at once.
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
	rs_rows_free(&b->rows);
	b->n = 0;
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
	rs_ev_stats_free(&(*b)->evs);
	rs_time_cut_free(&(*b)->cut);
	free(*b);
	*b = NULL;
}

/* Index of an event name in the map, or -1 when the map does not name it. */
static int event_index(const rs_config *cfg, const char *ev, size_t len)
{
	for (size_t i = 0; i < cfg->n_events; i++)
		if (strlen(cfg->event_names[i]) == len && memcmp(cfg->event_names[i], ev, len) == 0)
			return (int)i;
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
	int e = -1;
	if (b->cfg->n_events) {
		e = event ? event_index(b->cfg, event, event_len) : -1;
		double ew = e >= 0 ? b->cfg->event_weights[e] : -1;
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
	rs_status st = rs_builder_add_weighted(b, user, user_len, item, item_len, w,
	                                       has_ts && isfinite(ts) ? ts : NAN, err);
	/* the row's event and quantity (events.c: purchases and spend) */
	if (st == RS_OK && e >= 0 && rs_rows_tag(&b->rows, e < 255 ? (uint8_t)e : 255,
	                                         has_weight ? (float)weight : 1.0f) != RS_OK)
		st = rs_fail(err, RS_ENOMEM, "out of memory after %zu interactions", b->rows.n);
	return st;
}

/* Append a row whose weight is final (> 0); ts NAN = unknown. */
rs_status rs_builder_add_weighted(rs_builder *b, const char *user, size_t user_len,
                                  const char *item, size_t item_len, double w, double ts,
                                  rs_error *err)
{
	int32_t u, i;
	if (rs_idmap_intern(&b->users, user, user_len, &u) != RS_OK ||
	    rs_idmap_intern(&b->items, item, item_len, &i) != RS_OK)
		return rs_fail(err, RS_ENOMEM, "out of memory after %zu interactions", b->rows.n);
	rs_status st = rs_rows_append(&b->rows, u, i, (float)w, ts);
	if (st == RS_ELIMIT)
		return rs_fail(err, RS_ELIMIT, "the source has more than %u interactions", UINT32_MAX - 1);
	if (st != RS_OK)
		return rs_fail(err, RS_ENOMEM, "out of memory after %zu interactions", b->rows.n);
	b->n = b->rows.n;
	return RS_OK;
}

/* Whether the host asked to stop (ctx NULL: never). */
static int stop_asked(rs_train_ctx *ctx)
{
	return ctx && rs_cancelled(ctx);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Order rows [0, n) by item, rows of one item in arrival order (duplicates
 * then add up as they always did). keys: room for n. */
static void sort_segment(int32_t *idx, float *w, double *ts, int64_t n, uint64_t *keys,
                         rs_row_tags *tags)
{
	int64_t k = 1;
	while (k < n && idx[k - 1] <= idx[k])
		k++;
	if (k >= n)
		return; /* already in order: sources sorted by user and item are common */
	for (k = 0; k < n; k++)
		keys[k] = (uint64_t)(uint32_t)idx[k] << 32 | (uint64_t)k;
	qsort(keys, (size_t)n, sizeof *keys, cmp_u64);
	rs_tags_permute(tags, keys, n);
	/* row k takes the one at keys[k]'s place: follow each cycle once, marking
	 * the visited by an item index above any real one */
	const uint64_t done = (uint64_t)UINT32_MAX << 32;
	for (k = 0; k < n; k++)
		idx[k] = (int32_t)(keys[k] >> 32);
	for (k = 0; k < n; k++) {
		if (keys[k] >= done || (int64_t)(keys[k] & UINT32_MAX) == k)
			continue;
		float w0 = w[k];
		double t0 = ts ? ts[k] : 0;
		int64_t j = k;
		for (;;) {
			int64_t from = (int64_t)(keys[j] & UINT32_MAX);
			keys[j] |= done;
			if (from == k) {
				w[j] = w0;
				if (ts)
					ts[j] = t0;
				break;
			}
			w[j] = w[from];
			if (ts)
				ts[j] = ts[from];
			j = from;
		}
	}
}

/* Sort each user's rows by item; polls the host every 2^18 rows sorted. */
static rs_status sort_users(rs_csr *c, const int64_t *start, int32_t nu, rs_train_ctx *ctx,
                            rs_row_tags *tags)
{
	int64_t longest = 1, since = 0;
	for (int32_t u = 0; u < nu; u++)
		longest = start[u + 1] - start[u] > longest ? start[u + 1] - start[u] : longest;
	uint64_t *keys = rs_malloc(rs_mul((size_t)longest, sizeof *keys));
	if (tags->ev && !(tags->tmp = rs_malloc(rs_mul((size_t)longest, sizeof *tags->tmp)))) {
		free(keys);
		return RS_ENOMEM;
	}
	if (!keys)
		return RS_ENOMEM;
	for (int32_t u = 0; u < nu; u++) {
		int64_t b = start[u];
		tags->at = b;
		sort_segment(c->indices + b, c->data + b, c->ts ? c->ts + b : NULL, start[u + 1] - b, keys,
		             tags);
		if ((since += start[u + 1] - b + 1) >= 1 << 18) {
			since = 0;
			if (stop_asked(ctx)) {
				free(keys);
				return RS_ECANCELLED;
			}
		}
	}
	free(keys);
	return RS_OK;
}

/* Merge duplicates of the sorted rows in place, filling c->indptr; returns
 * the merged count. Polls the host every 2^20 rows (*stopped set: c is
 * incomplete). *over_u, *over_i: the first user and item whose summed
 * weight left float32's range, or -1. */
static uint64_t merge_duplicates(const int64_t *start, int32_t nu, rs_csr *c, rs_time_cut *tc,
                                 rs_train_ctx *ctx, int *stopped, int32_t *over_u, int32_t *over_i)
{
	float *cw = tc->w_before; /* the time cut-off's, when asked: merged alike */
	double *cts = tc->ts_before;
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
			if (k > start[u] && c->indices[k] == c->indices[nnz - 1]) {
				c->data[nnz - 1] += c->data[k];
				if (isinf(c->data[nnz - 1]) && *over_u < 0) {
					*over_u = u; /* the first pair whose sum overflows */
					*over_i = c->indices[k];
				}
				if (c->ts && (isnan(c->ts[nnz - 1]) || c->ts[k] > c->ts[nnz - 1]))
					c->ts[nnz - 1] = c->ts[k];
				if (cw) {
					cw[nnz - 1] += cw[k];
					if (isnan(cts[nnz - 1]) || cts[k] > cts[nnz - 1])
						cts[nnz - 1] = cts[k];
				}
				dup++;
				continue;
			}
			c->indices[nnz] = c->indices[k];
			c->data[nnz] = c->data[k];
			if (c->ts)
				c->ts[nnz] = c->ts[k];
			if (cw) {
				cw[nnz] = cw[k];
				cts[nnz] = cts[k];
			}
			nnz++;
		}
		c->indptr[u + 1] = nnz;
	}
	return dup;
}

/* Give back the room duplicates left at the end of c's arrays. */
static void shrink_csr(rs_csr *c)
{
	size_t nnz = (size_t)rs_csr_nnz(c);
	void *p;
	if ((p = rs_realloc(c->indices, rs_mul(nnz ? nnz : 1, sizeof *c->indices))))
		c->indices = p;
	if ((p = rs_realloc(c->data, rs_mul(nnz ? nnz : 1, sizeof *c->data))))
		c->data = p;
	if (c->ts && (p = rs_realloc(c->ts, rs_mul(nnz ? nnz : 1, sizeof *c->ts))))
		c->ts = p;
}

/* Before duplicates merge: each user's row count and, with time, the items'
 * repurchase intervals (repurchase.c); kept until rs_train takes them. */
static rs_status keep_stats(rs_builder *b, const rs_csr *sorted, const int64_t *start,
                            int32_t nu, rs_train_ctx *ctx, const rs_row_tags *tags, rs_error *err)
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
	rs_status st = rs_ev_stats_make(b, sorted, start, nu, tags, err);
	/* an event log without a purchase event has no repurchases to learn */
	if (st != RS_OK || !sorted->ts || (b->cfg->n_events && b->cfg->purchase_ev < 0))
		return st;
	return rs_repurchase_intervals(ctx, sorted->indices, sorted->ts, tags->ev, b->cfg->purchase_ev,
	                               start, nu, (int32_t)b->items.n, &b->item_interval, err);
}

/* The error for a pair whose duplicate weights add up past float32. */
static rs_status overflow_error(const rs_builder *b, int32_t u, int32_t i, rs_error *err)
{
	size_t ul, il;
	char su[RS_SHORT_CAP], si[RS_SHORT_CAP];
	const char *us = rs_idmap_get(&b->users, u, &ul), *is = rs_idmap_get(&b->items, i, &il);
	return rs_fail(err, RS_EDATA,
	               "the weights of user \"%s\" and item \"%s\" add up to more than the "
	               "float32 maximum " RS_FLT_MAX_TEXT " (duplicate rows add up)",
	               rs_shorten(us, ul, su, sizeof su), rs_shorten(is, il, si, sizeof si));
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
	rs_row_tags tags = {0};
	rs_status st = c->indptr && start ? rs_rows_to_csr(&b->rows, nu, start, c, ctx, &tags.ev, &tags.q)
	                                  : RS_ENOMEM;
	b->n = 0; /* the rows are the matrix's now */
	if (st == RS_OK)
		st = sort_users(c, start, nu, ctx, &tags);
	if (st != RS_OK) {
		rs_tags_free(&tags);
		free(start);
		rs_csr_free(c);
		builder_clear(b);
		return st == RS_ECANCELLED ? rs_fail(err, RS_ECANCELLED, "training cancelled")
		                           : rs_fail(err, RS_ENOMEM, "out of memory building the interaction matrix");
	}
	st = keep_stats(b, c, start, nu, ctx, &tags, err);
	rs_tags_free(&tags);
	if (st == RS_OK && b->cut.fraction > 0 &&
	    rs_time_cut_rows(&b->cut, c->data, c->ts, start[nu]) != RS_OK)
		st = rs_fail(err, RS_ENOMEM, "out of memory finding the time cut-off");
	if (st == RS_OK) {
		int32_t over_u = -1, over_i = -1;
		*duplicates = merge_duplicates(start, nu, c, &b->cut, ctx, &stopped, &over_u, &over_i);
		if (stopped)
			st = rs_fail(err, RS_ECANCELLED, "training cancelled");
		else if (over_u >= 0)
			st = overflow_error(b, over_u, over_i, err);
		else
			shrink_csr(c);
	}
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
