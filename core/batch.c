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
 * bfloat16 bound the proof allows). So the rows are rs_recommend's: same
 * items, order and scores. Where the proof fails, and for everything the
 * fast path does not cover (unknown users, models without factors, hybrids,
 * re-ranking, whose pool is the bfloat16 scores), the user goes through
 * rs_recommend itself. Blocks are shared by the core's threads
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
	if (id && rs_recommend(j->m, id, len, j->k, j->options, j->out + (size_t)r * j->k,
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
	         rs_repurchase_due(m, i, m->seen.ts ? m->seen.ts[p] : NAN, j->plan.now));
}

typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef int32_t v8i __attribute__((vector_size(32)));

/* Offer one row of a tile (items t0 .. t0 + tn - 1) to user u's heap of
 * `want` (h entries). Eight scores at a time: once the heap is full nearly
 * every group falls below its worst entry and costs one compare. */
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
			if (!excluded(j, u, t0 + i))
				rs_heap_offer(hi, hv, h, want, t0 + i, s);
		}
	}
}

/* The scratch of one block. */
typedef struct block_buf {
	float *a, *c, *hv;
	int32_t *hi, *rows;
	int *hn;
} block_buf;

static void block_free(block_buf *b)
{
	free(b->a);
	free(b->c);
	free(b->hv);
	free(b->hi);
	free(b->rows);
	free(b->hn);
}

/* Users begin .. end - 1 by sgemm; anyone it cannot serve via one_user. */
static void fast_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	const batch_job *j = arg;
	const rs_model *m = j->m;
	int32_t f = m->factors, ni = (int32_t)m->items.n, nr = end - begin;
	int want = j->k + POOL_EXTRA < ni ? j->k + POOL_EXTRA : ni;
	int32_t tile = ni < TILE_ITEMS ? ni : TILE_ITEMS;
	block_buf b = {
	    .a = rs_malloc(rs_mul((size_t)nr * f + 1, sizeof(float))),
	    .c = rs_malloc(rs_mul((size_t)nr * tile + 1, sizeof(float))),
	    .hv = rs_malloc(rs_mul((size_t)nr * want + 1, sizeof(float))),
	    .hi = rs_malloc(rs_mul((size_t)nr * want + 1, sizeof(int32_t))),
	    .rows = rs_malloc(rs_mul((size_t)nr + 1, sizeof(int32_t))),
	    .hn = rs_calloc((size_t)nr + 1, sizeof(int)),
	};
	int32_t nb = 0, *uidx = b.rows;
	if (!b.a || !b.c || !b.hv || !b.hi || !b.rows || !b.hn) {
		for (int32_t r = begin; r < end; r++)
			j->n_out[r] = -1;
		block_free(&b);
		return;
	}
	/* the known users' vectors into a; the others one by one */
	int32_t *known = rs_malloc(rs_mul((size_t)nr + 1, sizeof *known));
	for (int32_t r = begin; known && r < end; r++) {
		size_t len;
		const char *id = user_id(j, r, &len);
		int32_t u = id ? rs_idmap_find(&m->users, id, len) : -1;
		if (u < 0 || ni == 0) {
			one_user(j, r);
			continue;
		}
		memcpy(b.a + (size_t)nb * f, m->user_f + (size_t)u * f, (size_t)f * sizeof(float));
		uidx[nb] = u;
		known[nb++] = r;
	}
	for (int32_t t0 = 0; known && nb > 0 && t0 < ni; t0 += tile) {
		int32_t tn = ni - t0 < tile ? ni - t0 : tile;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, tn, f, 1.0f, b.a, f,
		            m->item_f + (size_t)t0 * f, f, 0.0f, b.c, tn);
		for (int32_t q = 0; q < nb; q++)
			offer_row(j, uidx[q], b.c + (size_t)q * tn, t0, tn, b.hi + (size_t)q * want,
			          b.hv + (size_t)q * want, &b.hn[q], want);
	}
	for (int32_t q = 0; known && q < nb; q++) {
		int32_t r = known[q], u = uidx[q];
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
	if (!known)
		for (int32_t r = begin; r < end; r++)
			j->n_out[r] = -1;
	free(known);
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
	int blas_threads = openblas_get_num_threads();
	openblas_set_num_threads(1);
	st = rs_parallel_for(&ctx, (int32_t)n, fast ? BLOCK_USERS : SLOW_USERS,
	                     threads > 0 ? threads : rs_cpu_count(), fast ? fast_range : slow_range,
	                     &j, err);
	openblas_set_num_threads(blas_threads);
	free(j.plan.blocked);
	if (st == RS_ECANCELLED)
		return rs_fail(err, RS_ECANCELLED, "recommend_batch cancelled");
	/* a user that failed (out of memory, say) fails again here, with its message */
	for (size_t r = 0; st == RS_OK && r < n; r++) {
		size_t len;
		const char *id = n_out[r] < 0 ? user_id(&j, (int32_t)r, &len) : NULL;
		if (id)
			st = rs_recommend(m, id, len, k, options, out + r * (size_t)k, &n_out[r], err);
	}
	return st;
}
