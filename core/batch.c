/*
 * batch.c - recommendations for many users at once (recommend_batch).
 *
 * One recommend() on a factor model reads the whole item matrix for one
 * user: a matrix-vector product, bound by memory. A batch scores a block of
 * users against a tile of items with one sgemm (a matrix-matrix product
 * reads each item tile once per block), keeps each user's best k + 8 of the
 * tile's scores in a heap, and ends as rs_recommend does (serve.c,
 * rs_exact_from_pool): the pool rescored exactly from the float32 factors,
 * proven to hold the exact top k (sgemm's rounding error is far inside the
 * int8 bound the proof allows). So the rows are rs_recommend's with
 * "exact": true (a batch never takes the approximate index, ivf.c): same
 * items, order and scores. Where the proof fails, and for everything the
 * fast path does not cover (unknown users, models without factors, hybrids,
 * re-ranking, whose pool is the int8 scores), the user goes through
 * rs_recommend_exact. Blocks are shared by the core's threads
 * (threads.c); OpenBLAS runs single-threaded meanwhile (one layer owns the
 * threads).
 */
#include "internal.h"
#include "heap.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_USERS 64  /* users per sgemm: a block's tile of scores stays in L2 */
#define TILE_ITEMS 2048 /* items per sgemm (64 x 2048 floats: 512 KB) */
#define SLOW_USERS 8    /* users per chunk on the per-user path */
#define POOL_EXTRA 8    /* pool beyond k, as rs_recommend's exact_topk */

/* recommend()'s own option; "fresh" is the bindings' and not for batches */
static const char *const own_keys[] = {"exclude_seen", NULL};

typedef struct batch_job {
	const rs_model *m;
	const char *const *users; /* or NULL: model users first.. */
	const size_t *lens;
	size_t first;
	int k;
	const rs_opt *options;
	int exclude;        /* exclude_seen */
	rs_rank_plan plan;
	rs_reco *out;
	int *n_out;         /* -1: failed (the caller asks rs_recommend again for the error) */
	/* the fast path's items, longest vector first (norm_order) */
	int32_t *order;     /* position -> item */
	float *sorted_f;    /* their factors in that order */
	float *norm;        /* their vector lengths, rounded up */
} batch_job;

/* User r's id text, NULL for a NULL entry. */
static const char *user_id(const batch_job *j, int32_t r, size_t *len)
{
	if (!j->users)
		return rs_model_user_id(j->m, (int32_t)(j->first + (size_t)r), len);
	*len = j->users[r] ? j->lens[r] : 0;
	return j->users[r];
}

/* User r through rs_recommend itself. */
static void one_user(const batch_job *j, int32_t r)
{
	size_t len;
	const char *id = user_id(j, r, &len);
	rs_error e;
	j->n_out[r] = 0;
	if (id && rs_recommend_exact(j->m, id, len, j->k, j->options, j->out + (size_t)r * j->k,
	                       &j->n_out[r], &e) != RS_OK)
		j->n_out[r] = -1;
}

static void slow_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	for (int32_t r = begin; r < end; r++)
		one_user(arg, r);
}

/* Is item i of user u's history left out (exclude_seen, repurchase_cycle)? */
static int excluded(const batch_job *j, int32_t u, int32_t i)
{
	const rs_model *m = j->m;
	if (j->plan.blocked && j->plan.blocked[i])
		return 1;
	if (!j->exclude)
		return 0;
	int64_t p = rs_csr_find(&m->seen, u, i);
	if (p < 0)
		return 0;
	return !(j->plan.repurchase &&
	         rs_repurchase_due(m, i, rs_pair_buy_ts(m, p), j->plan.now));
}

typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef int32_t v8i __attribute__((vector_size(32)));

/* Offer one row of a tile (positions t0 .. t0 + tn - 1 of j->order) to
 * user u's heap of `want` (h entries). Eight scores at a time: once the
 * heap is full nearly every group falls below its worst entry and costs one
 * compare. */
static void offer_row(const batch_job *j, int32_t u, const float *row, int32_t t0, int32_t tn,
                      int32_t *hi, float *hv, int *h, int want)
{
	int32_t i = 0;
	while (i < tn) {
		if (*h == want && i + 8 <= tn) {
			v8 x, t = {0};
			memcpy(&x, row + i, sizeof x);
			t += hv[0];
			v8i gt = x > t;
			int32_t any = 0;
			for (int q = 0; q < 8; q++)
				any |= gt[q];
			if (!any) {
				i += 8;
				continue;
			}
		}
		int32_t e = i + 8 < tn ? i + 8 : tn;
		for (; i < e; i++) {
			float s = row[i];
			/* a full heap takes only a strictly better score; NaN and
			 * -INFINITY never enter (rs_topk's rules) */
			if (*h == want ? !(s > hv[0]) : (s == -INFINITY || isnan(s)))
				continue;
			int32_t item = j->order[t0 + i];
			if (!excluded(j, u, item))
				rs_heap_offer(hi, hv, h, want, item, s);
		}
	}
}

typedef struct item_len { int32_t item; float len; } item_len;

/* Longest first; ties to the lower index. */
static int cmp_len(const void *a, const void *b)
{
	const item_len *x = a, *y = b;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

/* Items by decreasing vector length, with their factors in that order:
 * a user whose pool's lowest score already beats |u| times the longest
 * vector left (Cauchy-Schwarz) needs no more tiles. */
static rs_status norm_order(batch_job *j, rs_error *err)
{
	const rs_model *m = j->m;
	int32_t f = m->factors, ni = (int32_t)m->items.n;
	j->order = rs_malloc(rs_mul((size_t)ni + 1, sizeof *j->order));
	j->norm = rs_malloc(rs_mul((size_t)ni + 1, sizeof *j->norm));
	j->sorted_f = rs_malloc(rs_mul(rs_mul((size_t)ni, (size_t)f) + 1, sizeof *j->sorted_f));
	item_len *c = rs_malloc(rs_mul((size_t)ni + 1, sizeof *c));
	if (!j->order || !j->norm || !j->sorted_f || !c) {
		free(c);
		return rs_fail(err, RS_ENOMEM, "out of memory ordering %d items", ni);
	}
	for (int32_t i = 0; i < ni; i++) {
		double s = 0;
		for (int32_t d = 0; d < f; d++)
			s += (double)m->item_f[(size_t)i * f + d] * m->item_f[(size_t)i * f + d];
		c[i] = (item_len){i, (float)sqrt(s)};
	}
	qsort(c, (size_t)ni, sizeof *c, cmp_len);
	for (int32_t r = 0; r < ni; r++) {
		j->order[r] = c[r].item;
		/* float rounding of the length and of the scores stays far inside 1e-4 */
		j->norm[r] = c[r].len * 1.0001f + 1e-30f;
		memcpy(j->sorted_f + (size_t)r * f, m->item_f + (size_t)c[r].item * f,
		       (size_t)f * sizeof(float));
	}
	free(c);
	return RS_OK;
}

/* The scratch of one block. */
typedef struct block_buf {
	float *a, *c, *hv, *unorm;
	int32_t *hi, *uidx, *known, *live;
	int *hn;
} block_buf;

static void block_free(block_buf *b)
{
	free(b->a);
	free(b->c);
	free(b->hv);
	free(b->unorm);
	free(b->hi);
	free(b->uidx);
	free(b->known);
	free(b->live);
	free(b->hn);
}

/* Users still needing tile t0 (their pool can still change): kept in
 * b->live, their vectors packed into b->a. Returns how many. */
static int32_t live_users(const batch_job *j, block_buf *b, int32_t nb, int32_t t0, int want)
{
	int32_t f = j->m->factors, nl = 0;
	for (int32_t q = 0; q < nb; q++) {
		const float *hv = b->hv + (size_t)q * want;
		if (b->hn[q] == want && b->unorm[q] * j->norm[t0] <= hv[0])
			continue; /* no item from here on can enter the pool */
		memcpy(b->a + (size_t)nl * f, j->m->user_f + (size_t)b->uidx[q] * f, (size_t)f * sizeof(float));
		b->live[nl++] = q;
	}
	return nl;
}

/* Users begin .. end - 1 by sgemm; anyone it cannot serve via one_user. */
static void fast_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const batch_job *j = arg;
	const rs_model *m = j->m;
	int32_t f = m->factors, ni = (int32_t)m->items.n, nr = end - begin, nb = 0;
	int want = j->k + POOL_EXTRA < ni ? j->k + POOL_EXTRA : ni;
	int32_t tile = ni < TILE_ITEMS ? ni : TILE_ITEMS;
	block_buf b = {
	    .a = rs_malloc(rs_mul((size_t)nr * f + 1, sizeof(float))),
	    .c = rs_malloc(rs_mul((size_t)nr * tile + 1, sizeof(float))),
	    .hv = rs_malloc(rs_mul((size_t)nr * want + 1, sizeof(float))),
	    .unorm = rs_malloc(rs_mul((size_t)nr + 1, sizeof(float))),
	    .hi = rs_malloc(rs_mul((size_t)nr * want + 1, sizeof(int32_t))),
	    .uidx = rs_malloc(rs_mul((size_t)nr + 1, sizeof(int32_t))),
	    .known = rs_malloc(rs_mul((size_t)nr + 1, sizeof(int32_t))),
	    .live = rs_malloc(rs_mul((size_t)nr + 1, sizeof(int32_t))),
	    .hn = rs_calloc((size_t)nr + 1, sizeof(int)),
	};
	if (!b.a || !b.c || !b.hv || !b.unorm || !b.hi || !b.uidx || !b.known || !b.live || !b.hn) {
		for (int32_t r = begin; r < end; r++)
			j->n_out[r] = -1;
		block_free(&b);
		return;
	}
	/* the known users; the others one by one */
	for (int32_t r = begin; r < end; r++) {
		size_t len;
		const char *id = user_id(j, r, &len);
		int32_t u = id ? rs_idmap_find(&m->users, id, len) : -1;
		if (u < 0 || ni == 0) {
			one_user(j, r);
			continue;
		}
		double s = 0;
		for (int32_t d = 0; d < f; d++)
			s += (double)m->user_f[(size_t)u * f + d] * m->user_f[(size_t)u * f + d];
		b.unorm[nb] = (float)sqrt(s) * 1.0001f;
		b.uidx[nb] = u;
		b.known[nb++] = r;
	}
	for (int32_t t0 = 0; t0 < ni; t0 += tile) {
		int32_t tn = ni - t0 < tile ? ni - t0 : tile, nl = live_users(j, &b, nb, t0, want);
		if (nl == 0)
			break;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nl, tn, f, 1.0f, b.a, f,
		            j->sorted_f + (size_t)t0 * f, f, 0.0f, b.c, tn);
		for (int32_t l = 0; l < nl; l++) {
			int32_t q = b.live[l];
			offer_row(j, b.uidx[q], b.c + (size_t)l * tn, t0, tn, b.hi + (size_t)q * want,
			          b.hv + (size_t)q * want, &b.hn[q], want);
		}
	}
	for (int32_t q = 0; q < nb; q++) {
		int32_t r = b.known[q], u = b.uidx[q];
		rs_reco *out = j->out + (size_t)r * j->k;
		int h = b.hn[q], w = 0;
		if (h > 0) /* the heap's root is the pool's lowest score */
			w = rs_exact_from_pool(m, m->user_f + (size_t)u * f, b.hi + (size_t)q * want, h,
			                       b.hv[(size_t)q * want], h == want && want < ni, j->k, out);
		if (w < 0) { /* not provably exact, or out of memory: the long way */
			one_user(j, r);
			continue;
		}
		rs_recommend_reasons(m, u, j->options, out, w);
		j->n_out[r] = w;
	}
	block_free(&b);
}

/* Can users of m be scored by sgemm with these options? rs_recommend's
 * factor path (serve.c user_rank) without re-ranking. */
static int fast_path(const rs_model *m, const rs_rank_plan *plan)
{
	return m->factors > 0 && m->n_parts == 0 && !rs_model_def(m)->score && !plan->reranks;
}

rs_status rs_recommend_batch(const rs_model *m, const char *const *users, const size_t *lens,
                             size_t first, size_t n, int k, const rs_opt *options, int threads,
                             const rs_callbacks *cb, rs_reco *out, int *n_out, rs_error *err)
{
	batch_job j = {.m = m, .users = users, .lens = lens, .first = first, .k = k,
	               .options = options, .out = out, .n_out = n_out};
	rs_status st = rs_check_k(k, err);
	if (st != RS_OK)
		return st;
	if (!m || (n > 0 && (!out || !n_out || (users && !lens))))
		return rs_fail(err, RS_EINVAL, "model, output and id lengths must not be NULL");
	if (n > (size_t)INT32_MAX)
		return rs_fail(err, RS_ELIMIT, "at most %d users per batch (got %zu)", INT32_MAX, n);
	if (!users && (first > m->users.n || n > m->users.n - first))
		return rs_fail(err, RS_EINVAL, "users %zu .. %zu are not all in the model (it has %zu)",
		               first, first + n, m->users.n);
	st = rs_exclude_seen_opt(options, &j.exclude, err);
	if (st == RS_OK)
		st = rs_rank_plan_make(m, options, "recommend_batch", own_keys, k, &j.plan, err);
	if (st != RS_OK || n == 0)
		return st;
	rs_train_ctx ctx = {.cb = cb};
	atomic_init(&ctx.stop, 0);
	int fast = fast_path(m, &j.plan);
	if (fast && (st = norm_order(&j, err)) != RS_OK)
		fast = 0;
	int blas_threads = openblas_get_num_threads();
	openblas_set_num_threads(1);
	st = rs_parallel_for(&ctx, (int32_t)n, fast ? BLOCK_USERS : SLOW_USERS,
	                     threads > 0 ? threads : rs_cpu_count(), fast ? fast_range : slow_range,
	                     &j, err);
	openblas_set_num_threads(blas_threads);
	free(j.plan.blocked);
	free(j.order);
	free(j.norm);
	free(j.sorted_f);
	if (st == RS_ECANCELLED)
		return rs_fail(err, RS_ECANCELLED, "recommend_batch cancelled");
	/* a user that failed (out of memory, say) fails again here, with its message */
	for (size_t r = 0; st == RS_OK && r < n; r++) {
		size_t len;
		const char *id = n_out[r] < 0 ? user_id(&j, (int32_t)r, &len) : NULL;
		if (id)
			st = rs_recommend_exact(m, id, len, k, options, out + r * (size_t)k, &n_out[r], err);
	}
	return st;
}
