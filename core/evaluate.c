/*
 * evaluate.c - offline evaluation by the EVAL.md protocol.
 *
 * Split "user" (the default): for every user with n >= 5 interactions, the
 * latest max(1, floor(n / 5)) by (time, item id) are held out for test; all
 * other interactions train. Without a time column the hold-out is a seeded
 * random 20% per user instead. Split "global_time" (how a shop deploys:
 * trained on everything before today, asked about after): the rows before
 * the time cut-off (time_cut.c; test_fraction of the rows at or after it)
 * train, and each user's items with rows only at or after it are the test
 * (with "repeats", every item with a row at or after it, ranked with the
 * training items not excluded). Either way only users with training rows
 * are tested. The model is trained on the training part through the normal
 * path, every test user gets a top-k from rs_recommend (items of the
 * user's training set excluded, as in serving), and precision, recall,
 * NDCG, MAP at k and catalogue coverage are averaged over the test users.
 *
 * rs_evaluate_model measures a model as it is (an imported one, which
 * nothing here can retrain) against a given test set: every row of the
 * source is held out, split "given".
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compare item ids numerically when both are integers, else as bytes. */
static int cmp_ids(const rs_idmap *items, int32_t a, int32_t b)
{
	size_t la, lb;
	const char *sa = rs_idmap_get(items, a, &la), *sb = rs_idmap_get(items, b, &lb);
	char ba[32], bb[32], *ea, *eb;
	if (la < sizeof ba && lb < sizeof bb && la > 0 && lb > 0) {
		memcpy(ba, sa, la);
		ba[la] = 0;
		memcpy(bb, sb, lb);
		bb[lb] = 0;
		errno = 0;
		long long x = strtoll(ba, &ea, 10), y = strtoll(bb, &eb, 10);
		if (!errno && *ea == 0 && *eb == 0)
			return (x > y) - (x < y);
	}
	int c = memcmp(sa, sb, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

typedef struct sort_ctx { const rs_csr *c; const rs_idmap *items; uint64_t tie_seed; } sort_ctx;

/* Order interaction positions by time, then by item id, or (tie_seed != 0)
 * by a seeded hash of the item id. */
static int cmp_pos(const void *a, const void *b, void *arg)
{
	const sort_ctx *s = arg;
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	if (s->c->ts) {
		double tx = s->c->ts[x], ty = s->c->ts[y];
		if (tx != ty && !(isnan(tx) && isnan(ty)))
			return isnan(tx) ? -1 : isnan(ty) ? 1 : tx < ty ? -1 : 1;
	}
	int32_t ix = s->c->indices[x], iy = s->c->indices[y];
	if (s->tie_seed) {
		size_t lx, ly;
		const char *idx = rs_idmap_get(s->items, ix, &lx), *idy = rs_idmap_get(s->items, iy, &ly);
		uint64_t hx = rs_hash_bytes(idx, lx) ^ s->tie_seed, hy = rs_hash_bytes(idy, ly) ^ s->tie_seed;
		hx = rs_rand_next(&hx);
		hy = rs_rand_next(&hy);
		if (hx != hy)
			return hx < hy ? -1 : 1;
	}
	return cmp_ids(s->items, ix, iy);
}

/* Mark held-out interactions (test[k] = 1) by the rule above. */
rs_status rs_split_holdout(rs_train_ctx *ctx, const rs_csr *c, const rs_idmap *items,
                           uint64_t seed, int random_ties, unsigned char *test)
{
	int64_t maxrow = 0;
	for (int32_t u = 0; u < c->nrows; u++)
		if (c->indptr[u + 1] - c->indptr[u] > maxrow)
			maxrow = c->indptr[u + 1] - c->indptr[u];
	int64_t *pos = rs_malloc(rs_mul((size_t)maxrow + 1, sizeof *pos));
	if (!pos)
		return RS_ENOMEM;
	sort_ctx sc = {c, items, 0};
	memset(test, 0, (size_t)rs_csr_nnz(c));
	for (int32_t u = 0; u < c->nrows; u++) {
		if (u % (1 << 14) == (1 << 14) - 1 && ctx && rs_cancelled(ctx)) {
			free(pos);
			return RS_ECANCELLED;
		}
		int64_t b = c->indptr[u], n = c->indptr[u + 1] - b;
		if (n < 5)
			continue;
		int64_t nt = n / 5 ? n / 5 : 1;
		for (int64_t k = 0; k < n; k++)
			pos[k] = b + k;
		if (c->ts) { /* random ties: a permutation of its own for each user */
			sc.tie_seed = random_ties ? (seed ^ (uint64_t)(u + 1) * 0x9E3779B97F4A7C15ULL) | 1 : 0;
			qsort_r(pos, (size_t)n, sizeof *pos, cmp_pos, &sc);
		} else { /* seeded shuffle, per user, independent of row order */
			size_t l;
			const char *dummy = rs_idmap_get(items, c->indices[b], &l);
			uint64_t s = seed ^ rs_hash_bytes(dummy, l) ^ (uint64_t)u * 0x9E3779B97F4A7C15ULL;
			for (int64_t k = n - 1; k > 0; k--) {
				int64_t j = (int64_t)(rs_rand_next(&s) % (uint64_t)(k + 1));
				int64_t t = pos[k]; pos[k] = pos[j]; pos[j] = t;
			}
		}
		for (int64_t k = n - nt; k < n; k++)
			test[pos[k]] = 1;
	}
	free(pos);
	return RS_OK;
}

/* Feed the training part (entries with train_w > 0, at times train_ts)
 * into a fresh builder (ids as text again); the host is polled every 2^18
 * rows. */
static rs_status training_builder(rs_train_ctx *ctx, const rs_config *cfg, const rs_csr *c,
                                  const rs_idmap *users, const rs_idmap *items,
                                  const float *train_w, const double *train_ts, rs_builder **out,
                                  rs_error *err)
{
	rs_status st = rs_builder_create(cfg, out, err);
	for (int32_t u = 0; st == RS_OK && u < c->nrows; u++) {
		if (c->indptr[u + 1] >> 18 != c->indptr[u] >> 18 && rs_cancelled(ctx))
			return rs_fail(err, RS_ECANCELLED, "training cancelled");
		size_t ul;
		const char *us = rs_idmap_get(users, u, &ul);
		for (int64_t k = c->indptr[u]; st == RS_OK && k < c->indptr[u + 1]; k++) {
			if (!(train_w[k] > 0))
				continue;
			size_t il;
			const char *is = rs_idmap_get(items, c->indices[k], &il);
			st = rs_builder_add_weighted(*out, us, ul, is, il, train_w[k],
			                             train_ts ? train_ts[k] : NAN, err);
		}
	}
	return st;
}

/* x at `decimals` places, exactly as rs_eval_json prints it: printf's
 * rounding (of the exact binary value, ties to even) read back, which
 * round(x * 1e6) / 1e6 is not (1 / 128 is 0.007812, not 0.007813), so the
 * columns and the stored JSON show the same number. */
static double rounded(double x, int decimals)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%.*f", decimals, x);
	return strtod(buf, NULL);
}

/* The result of rs_evaluate from the summed metrics. */
static void eval_result(const char *algorithm, const rs_rank_metrics *ms, int k, uint64_t n_train,
                        uint64_t n_test, double seconds, const char *split, rs_eval_result *r)
{
	double u = ms->users ? ms->users : 1;
	r->algorithm = algorithm;
	r->k = k;
	r->precision = rounded(ms->precision / u, 6);
	r->recall = rounded(ms->recall / u, 6);
	r->ndcg = rounded(ms->ndcg / u, 6);
	r->map = rounded(ms->map / u, 6);
	r->coverage = rounded(rs_rank_metrics_coverage(ms), 6);
	r->test_users = ms->users;
	r->train_interactions = (int64_t)n_train;
	r->test_interactions = (int64_t)n_test;
	snprintf(r->split, sizeof r->split, "%s", split);
	r->train_seconds = rounded(seconds, 3);
}

size_t rs_eval_json(const rs_eval_result *r, char *buf, size_t cap)
{
	int n = snprintf(buf, cap,
	                 "{\"algorithm\": \"%s\", \"k\": %d, \"precision\": %.6f, "
	                 "\"recall\": %.6f, \"ndcg\": %.6f, \"map\": %.6f, \"coverage\": %.6f, "
	                 "\"test_users\": %d, \"train_interactions\": %lld, "
	                 "\"test_interactions\": %lld, \"split\": \"%s\", \"train_seconds\": %.3f}",
	                 r->algorithm, r->k, r->precision, r->recall, r->ndcg, r->map, r->coverage,
	                 r->test_users, (long long)r->train_interactions,
	                 (long long)r->test_interactions, r->split, r->train_seconds);
	return n < 0 ? 0 : (size_t)n;
}

/* Recommend for every user that has test items and add up the metrics;
 * the host is polled every 64 users. */
static rs_status score_users(rs_train_ctx *ctx, const rs_model *m, const rs_csr *c,
                             const rs_idmap *users, const rs_idmap *items,
                             const unsigned char *test, int k, const rs_opt *serve,
                             rs_rank_metrics *ms, rs_error *err)
{
	rs_reco *rec = rs_malloc(rs_mul((size_t)k, sizeof *rec));
	int32_t *want = rs_malloc(rs_mul((size_t)c->ncols + 1, sizeof *want));
	if (!rec || !want) {
		free(rec);
		free(want);
		return rs_fail(err, RS_ENOMEM, "out of memory evaluating");
	}
	rs_status st = RS_OK;
	for (int32_t u = 0; st == RS_OK && u < c->nrows; u++) {
		if (u % 64 == 63 && (rs_step(ctx, u + 1), rs_cancelled(ctx))) {
			st = rs_fail(err, RS_ECANCELLED, "training cancelled");
			break;
		}
		int nt = 0;
		for (int64_t p = c->indptr[u]; p < c->indptr[u + 1]; p++) {
			if (!test[p])
				continue;
			size_t il;
			const char *is = rs_idmap_get(items, c->indices[p], &il);
			want[nt++] = rs_model_find_item(m, is, il); /* -1: unseen in training */
		}
		if (nt == 0)
			continue;
		size_t ul;
		const char *us = rs_idmap_get(users, u, &ul);
		int got = 0;
		st = rs_recommend(m, us, ul, k, serve, rec, &got, err);
		if (st == RS_OK)
			rs_rank_metrics_add(ms, rec, got, k, want, nt);
	}
	free(rec);
	free(want);
	return st;
}

/* The split's parts: the held-out mask, the training weight (0: not
 * trained on) and time of every entry of c, and the split's name. */
typedef struct eval_split {
	unsigned char *test;
	float *train_w;
	const double *train_ts;
	uint64_t n_test, n_train;
	char name[40];
} eval_split;

/* Split "user": rs_split_holdout's mask; the rest trains as it is. */
static rs_status split_by_user(rs_train_ctx *ctx, const rs_config *cfg, const rs_csr *c,
                               const rs_idmap *items, eval_split *sp, rs_error *err)
{
	rs_status st = rs_split_holdout(ctx, c, items, cfg->seed, 0, sp->test);
	if (st == RS_ECANCELLED)
		return rs_fail(err, RS_ECANCELLED, "training cancelled");
	if (st != RS_OK)
		return rs_fail(err, RS_ENOMEM, "out of memory splitting the source");
	for (int64_t p = 0; p < rs_csr_nnz(c); p++)
		sp->train_w[p] = sp->test[p] ? 0 : c->data[p];
	sp->train_ts = c->ts;
	snprintf(sp->name, sizeof sp->name, "%s", c->ts ? "temporal-20" : "random-20");
	return RS_OK;
}

/* Split "global_time": the builder's time cut-off (rs_builder_finish). */
static rs_status split_by_time(const rs_config *cfg, const rs_csr *c, const rs_time_cut *tc,
                               eval_split *sp, rs_error *err)
{
	if (!c->ts || isnan(tc->at))
		return rs_fail(err, RS_EDATA,
		               "split \"global_time\" needs the time of the rows: the source has no "
		               "times in column \"%s\" (option ts_column names it; split \"user\" needs none)",
		               rs_config_column(cfg, RS_COL_TS));
	for (int64_t p = 0; p < rs_csr_nnz(c); p++) {
		sp->train_w[p] = tc->w_before[p];
		/* at or after the cut-off, and (unless repeats count) new to the user */
		sp->test[p] = c->ts[p] >= tc->at && (cfg->eval_repeats || !(tc->w_before[p] > 0));
	}
	sp->train_ts = tc->ts_before;
	snprintf(sp->name, sizeof sp->name, "global-time-%g%s", cfg->eval_fraction * 100,
	         cfg->eval_repeats ? "-repeats" : "");
	return RS_OK;
}

/* Only users with training rows are tested; count both parts. */
static void split_counts(const rs_csr *c, eval_split *sp)
{
	for (int32_t u = 0; u < c->nrows; u++) {
		int trained = 0;
		for (int64_t p = c->indptr[u]; p < c->indptr[u + 1]; p++)
			trained |= sp->train_w[p] > 0;
		for (int64_t p = c->indptr[u]; p < c->indptr[u + 1]; p++) {
			sp->test[p] &= trained;
			sp->n_test += sp->test[p];
			sp->n_train += sp->train_w[p] > 0;
		}
	}
}

/* Nothing to test: say why, in the split's terms. */
static rs_status no_test_error(const rs_config *cfg, const rs_csr *c, const rs_idmap *users,
                               const rs_time_cut *tc, const eval_split *sp, rs_error *err)
{
	if (cfg->eval_split == RS_EVAL_USER)
		return rs_fail(err, RS_EDATA,
		               "no user has the 5 interactions a test split needs (%zu users, %lld interactions)",
		               users->n, (long long)rs_csr_nnz(c));
	return rs_fail(err, RS_EDATA,
	               "split \"global_time\" found nothing to test: of %llu rows with a time, the cut-off "
	               "%.17g leaves %llu interactions to train on and no user with rows before it has %s "
	               "at or after it",
	               (unsigned long long)tc->timed_rows, tc->at, (unsigned long long)sp->n_train,
	               cfg->eval_repeats ? "rows" : "new items");
}

rs_status rs_evaluate(const rs_config *cfg, rs_builder *b, int k, const rs_callbacks *cb,
                      rs_eval_result *out, rs_error *err)
{
	memset(out, 0, sizeof *out);
	if (rs_check_k(k, err) != RS_OK)
		return RS_EINVAL;
	if (b->n == 0)
		return rs_empty_source(b, err);
	int by_time = cfg->eval_split == RS_EVAL_GLOBAL_TIME;
	if (!by_time && (cfg->eval_repeats || cfg->eval_fraction != 0.2))
		return rs_fail(err, RS_EINVAL,
		               "options \"test_fraction\" and \"repeats\" belong to split \"global_time\" "
		               "(split \"user\" holds out each user's latest 20%%)");
	rs_csr c;
	rs_idmap users, items;
	uint64_t dup;
	/* polls between steps of its own; one progress report for it all */
	rs_train_ctx ctx = {.cfg = cfg, .cb = cb, .rep = &b->rep};
	atomic_init(&ctx.stop, 0);
	rs_report_start(&b->rep, cb);
	b->rep.rows = b->rows_read;
	rs_phase(&ctx, "building", NULL, 0);
	b->cut.fraction = by_time ? cfg->eval_fraction : 0;
	rs_status st = rs_builder_finish(b, &ctx, &c, &users, &items, &dup, err);
	if (st != RS_OK)
		return st;
	ctx.pool = rs_pool_new(); /* its threads end below, whatever happens */
	int64_t nnz = rs_csr_nnz(&c);
	eval_split sp = {0};
	sp.test = rs_malloc((size_t)nnz + 1);
	sp.train_w = rs_malloc(rs_mul((size_t)nnz + 1, sizeof *sp.train_w));
	rs_rank_metrics ms = {0};
	ms.hit_items = NULL;
	rs_builder *tb = NULL;
	rs_model *m = NULL;
	char *summary = NULL;
	rs_phase(&ctx, "splitting", NULL, 0);
	if (!sp.test || !sp.train_w)
		st = rs_fail(err, RS_ENOMEM, "out of memory splitting the source");
	else if (by_time)
		st = split_by_time(cfg, &c, &b->cut, &sp, err);
	else
		st = split_by_user(&ctx, cfg, &c, &items, &sp, err);
	if (st == RS_OK)
		split_counts(&c, &sp);
	if (st == RS_OK && sp.n_test == 0)
		st = no_test_error(cfg, &c, &users, &b->cut, &sp, err);
	if (st == RS_OK)
		st = training_builder(&ctx, cfg, &c, &users, &items, sp.train_w, sp.train_ts, &tb, err);
	if (st == RS_OK) { /* the side-table attributes go with the training part */
		memcpy(tb->side, b->side, sizeof tb->side);
		memset(b->side, 0, sizeof b->side);
	}
	double t0 = rs_mono_seconds(), secs = 0;
	if (st == RS_OK)
		st = rs_train_reported(cfg, tb, cb, &b->rep, &m, &summary, err);
	secs = rs_mono_seconds() - t0;
	/* repeats: the items a user had are candidates again */
	rs_opt keep_seen = {.kind = RS_OPT_BOOL, .key = "exclude_seen", .boolean = 0};
	rs_opt serve = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &keep_seen};
	if (st == RS_OK) {
		ms.n_items = rs_model_n_items(m);
		ms.hit_items = rs_calloc(ms.n_items, 1);
		rs_phase(&ctx, "evaluating", "user", c.nrows);
		st = ms.hit_items ? score_users(&ctx, m, &c, &users, &items, sp.test, k,
		                                cfg->eval_repeats ? &serve : NULL, &ms, err)
		                  : rs_fail(err, RS_ENOMEM, "out of memory evaluating");
	}
	if (st == RS_OK) {
		eval_result(rs_config_algorithm(cfg), &ms, k, sp.n_train, sp.n_test, secs, sp.name, out);
		rs_report_end(&b->rep);
	}
	rs_train_ctx_end(&ctx);
	free(ms.hit_items);
	rs_free(summary);
	rs_model_destroy(&m);
	rs_builder_destroy(&tb);
	free(sp.test);
	free(sp.train_w);
	rs_time_cut_free(&b->cut);
	rs_csr_free(&c);
	rs_idmap_free(&users);
	rs_idmap_free(&items);
	return st;
}

rs_status rs_evaluate_model(const rs_model *m, rs_builder *b, int k, const rs_callbacks *cb,
                            rs_eval_result *out, rs_error *err)
{
	memset(out, 0, sizeof *out);
	if (rs_check_k(k, err) != RS_OK)
		return RS_EINVAL;
	if (!m || !b)
		return rs_fail(err, RS_EINVAL, "model and builder must not be NULL");
	if (b->cfg && b->cfg->eval_given)
		return rs_fail(err, RS_EINVAL,
		               "options \"split\", \"test_fraction\" and \"repeats\" do not apply to an imported "
		               "model: it is measured as it is against the whole source (split \"given\")");
	if (b->n == 0)
		return rs_empty_source(b, err);
	rs_csr c;
	rs_idmap users, items;
	uint64_t dup;
	rs_train_ctx ctx = {.cfg = b->cfg, .cb = cb};
	atomic_init(&ctx.stop, 0);
	rs_status st = rs_builder_finish(b, &ctx, &c, &users, &items, &dup, err);
	if (st != RS_OK)
		return st;
	ctx.pool = rs_pool_new(); /* its threads end below, whatever happens */
	int64_t nnz = rs_csr_nnz(&c);
	unsigned char *test = rs_malloc((size_t)nnz + 1);
	rs_rank_metrics ms = {0};
	ms.n_items = rs_model_n_items(m);
	ms.hit_items = rs_calloc(ms.n_items + 1, 1);
	if (!test || !ms.hit_items)
		st = rs_fail(err, RS_ENOMEM, "out of memory evaluating");
	else
		memset(test, 1, (size_t)nnz); /* every row of the source is held out */
	if (st == RS_OK)
		st = score_users(&ctx, m, &c, &users, &items, test, k, NULL, &ms, err);
	if (st == RS_OK)
		eval_result(rs_model_algorithm(m), &ms, k, rs_model_n_interactions(m), (uint64_t)nnz, 0,
		            "given", out);
	rs_train_ctx_end(&ctx);
	free(ms.hit_items);
	free(test);
	rs_csr_free(&c);
	rs_idmap_free(&users);
	rs_idmap_free(&items);
	return st;
}
