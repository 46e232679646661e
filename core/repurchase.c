/*
 * repurchase.c - repurchase cycles learned at training (option
 * repurchase_cycle of recommend()).
 *
 * The builder aggregates duplicate (user, item) rows, so the intervals are
 * taken before that, from its rows sorted by user then item, on an event
 * log from the purchase event's rows only (events.c): a pair with
 * c >= 2 timed rows spanning first..last has the mean interval
 * (last - first) / (c - 1); an item's typical interval is the median of its
 * pairs' intervals. An item nobody bought twice has none (NAN): a durable
 * good, which stays excluded once bought.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct pair_iv { int32_t item; double iv; } pair_iv;

static int cmp_iv(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return (*x > *y) - (*x < *y);
}

/* The mean interval of each repeated pair of user u's rows (sorted by item). */
static size_t user_pairs(const int32_t *items, const double *ts, const uint8_t *ev, int purchase,
                         int64_t b, int64_t e, pair_iv *out)
{
	size_t n = 0;
	for (int64_t k = b; k < e;) {
		int64_t j = k;
		double lo = INFINITY, hi = -INFINITY;
		int64_t c = 0;
		for (; j < e && items[j] == items[k]; j++) {
			if (isnan(ts[j]) || (ev && ev[j] != purchase))
				continue;
			lo = ts[j] < lo ? ts[j] : lo;
			hi = ts[j] > hi ? ts[j] : hi;
			c++;
		}
		if (c >= 2 && hi > lo)
			out[n++] = (pair_iv){items[k], (hi - lo) / (double)(c - 1)};
		k = j;
	}
	return n;
}

static int stop_asked(rs_train_ctx *ctx)
{
	return ctx && rs_cancelled(ctx);
}

/* The pairs' intervals grouped by item (counting sort), each group sorted,
 * its median into iv; the host is polled every 2^20 rows and 16,384 items. */
rs_status rs_repurchase_intervals(rs_train_ctx *ctx, const int32_t *items, const double *ts,
                                  const uint8_t *ev, int purchase, const int64_t *start,
                                  int32_t nu, int32_t ni, double **out, rs_error *err)
{
	size_t nrows = (size_t)start[nu], n = 0;
	double *iv = rs_malloc(rs_mul((size_t)ni + 1, sizeof *iv));
	pair_iv *pairs = rs_malloc(rs_mul(nrows / 2 + 1, sizeof *pairs)); /* a pair takes 2 rows */
	size_t *first = rs_calloc((size_t)ni + 2, sizeof *first);
	double *by_item = NULL;
	rs_status st = RS_OK;
	if (!iv || !pairs || !first)
		st = rs_fail(err, RS_ENOMEM, "out of memory learning repurchase intervals");
	int64_t since = 0;
	for (int32_t u = 0; st == RS_OK && u < nu; u++) {
		n += user_pairs(items, ts, ev, purchase, start[u], start[u + 1], pairs + n);
		if ((since += start[u + 1] - start[u] + 1) >= 1 << 20) {
			since = 0;
			if (stop_asked(ctx))
				st = rs_fail(err, RS_ECANCELLED, "training cancelled");
		}
	}
	if (st == RS_OK && !(by_item = rs_malloc(rs_mul(n + 1, sizeof *by_item))))
		st = rs_fail(err, RS_ENOMEM, "out of memory learning repurchase intervals");
	if (st == RS_OK) {
		for (size_t k = 0; k < n; k++)
			first[pairs[k].item + 1]++;
		for (int32_t i = 0; i < ni; i++)
			first[i + 1] += first[i];
		for (size_t k = 0; k < n; k++) /* first[i] ends as group i's end */
			by_item[first[pairs[k].item]++] = pairs[k].iv;
	}
	for (int32_t i = 0; st == RS_OK && i < ni; i++) {
		size_t b = i ? first[i - 1] : 0, c = first[i] - b; /* group i: by_item[b, b + c) */
		double *g = by_item + b;
		qsort(g, c, sizeof *g, cmp_iv);
		iv[i] = c == 0 ? NAN : c % 2 ? g[c / 2] : (g[c / 2 - 1] + g[c / 2]) / 2;
		if (i % (1 << 14) == (1 << 14) - 1 && stop_asked(ctx))
			st = rs_fail(err, RS_ECANCELLED, "training cancelled");
	}
	free(pairs);
	free(first);
	free(by_item);
	if (st != RS_OK) {
		free(iv);
		return st;
	}
	*out = iv;
	return RS_OK;
}

int rs_repurchase_due(const rs_model *m, int32_t i, double ts, double now)
{
	if (!m->item_interval || isnan(m->item_interval[i]) || !isfinite(ts))
		return 0; /* never bought (NAN), or bought at an unknown time */
	return ts + m->item_interval[i] <= now;
}

/* Hand the builder's statistics to the model, sized to its final users and
 * items (side tables may have added some: no rows, no interval). */
rs_status rs_model_keep_stats(rs_model *m, rs_builder *b, rs_error *err)
{
	size_t nu = m->users.n, ni = m->items.n;
	uint32_t *rows = rs_calloc(nu + 1, sizeof *rows);
	double *iv = b->item_interval ? rs_malloc(rs_mul(ni + 1, sizeof *iv)) : NULL;
	if (!rows || (b->item_interval && !iv)) {
		free(rows);
		free(iv);
		return rs_fail(err, RS_ENOMEM, "out of memory keeping training statistics");
	}
	/* ids added after the builder's come last: the builder's keep their index */
	for (size_t u = 0; b->user_rows && u < nu && u < b->users_kept; u++)
		rows[u] = b->user_rows[u];
	for (size_t i = 0; iv && i < ni; i++)
		iv[i] = i < b->items_kept ? b->item_interval[i] : NAN;
	free(m->user_rows);
	free(m->item_interval);
	m->user_rows = rows;
	m->item_interval = iv;
	return rs_model_keep_events(m, b, err);
}
