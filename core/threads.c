/*
 * threads.c - the core's one thread layer: a parallel for over row ranges
 * with dynamic chunks. The calling thread works too and is the only one that
 * polls the host's cancel callback; workers see a shared stop flag. Workers
 * block all signals so the host's handlers only ever run on its own thread.
 *
 * A context given a pool (rs_pool_new, ended by rs_train_ctx_end) keeps its
 * workers between parallel sections: they are started by the first section
 * that wants them and park between jobs (a short spin, then a condition
 * variable), so a section costs a wake-up instead of a thread start and join.
 * They never outlive the core call that owns the context. Without a pool
 * every section starts and joins its own threads.
 */
#include "internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/* How long a thread spins before it sleeps, waiting for a job or for a
 * worker to finish one: enough for back-to-back sections; longer spins
 * (30 us) cost two_tower 15% more CPU and no time on a loaded machine, where
 * a spinning worker takes the core its caller needs. */
#define POOL_SPIN_SECONDS 5e-6
#define POOL_MAX 255 /* workers: threads is at most 256 */
/* Every POOL_WINDOW pooled sections the pool checks that its workers took
 * at least half their share of the chunks; when they did not (a loaded
 * machine does not run them in time, and they take CPU from the caller),
 * sections run on the caller alone for a rest that doubles from
 * POOL_REST_MIN up to POOL_REST_MAX while that lasts. */
#define POOL_WINDOW 64
#define POOL_REST_MIN 0.01
#define POOL_REST_MAX 1.0

int rs_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

/* Ask the host whether to stop; remember the answer for the workers. */
int rs_cancelled(rs_train_ctx *ctx)
{
	if (atomic_load(&ctx->stop))
		return 1;
	rs_report_tick(ctx->rep);
	if (ctx->cb && ctx->cb->cancel && ctx->cb->cancel(ctx->cb->ctx)) {
		atomic_store(&ctx->stop, 1);
		return 1;
	}
	return 0;
}

typedef struct pf_job {
	rs_train_ctx *ctx;
	int32_t n, chunk;
	atomic_int next;
	atomic_int by_workers; /* chunks the workers took */
	rs_range_fn fn;
	void *arg;
} pf_job;

/* Set on every worker thread: a section started from a chunk runs there
 * alone, and never calls the host. */
static _Thread_local int on_worker;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Spin until ready(arg) or POOL_SPIN_SECONDS have passed; whether ready. */
static int spin_until(int (*ready)(void *), void *arg)
{
	double end = 0;
	for (int i = 0;; i++) {
		if (ready(arg))
			return 1;
		if ((i & 63) == 0) {
			double t = rs_mono_seconds();
			if (end == 0)
				end = t + POOL_SPIN_SECONDS;
			else if (t > end)
				return 0;
		}
		cpu_relax();
	}
}

/* Take chunks until none are left or a stop is requested; how many. */
static int run_chunks(pf_job *j, int tid, int is_caller)
{
	for (int taken = 0;; taken++) {
		if (is_caller ? rs_cancelled(j->ctx) : atomic_load(&j->ctx->stop))
			return taken;
		int32_t b = atomic_fetch_add(&j->next, j->chunk);
		if (b >= j->n)
			return taken;
		int32_t e = b + j->chunk > j->n ? j->n : b + j->chunk;
		j->fn(j->arg, b, e, tid);
	}
}

/* ---- the pool ---- */

/* A worker's slot: the caller stores job, then posts; the worker claims a
 * posted job (POSTED -> RUNNING) before it reads it and sets IDLE when done.
 * A job the worker has not claimed by the time the caller ran out of chunks
 * is taken back (POSTED -> IDLE): a worker the system has not scheduled yet
 * is never waited for. */
enum { W_IDLE, W_POSTED, W_RUNNING };

typedef struct pool_worker {
	struct rs_pool *pool;
	pthread_t th;
	pthread_cond_t wake;
	int tid;
	pf_job *job;
	atomic_int state;
	atomic_int sleeping;
} pool_worker;

struct rs_pool {
	pthread_mutex_t mu;
	pthread_cond_t done;    /* the caller waits here for running workers */
	atomic_int caller_waits;
	atomic_int quit;
	int busy;               /* a job is running: a nested section does not use the pool */
	int n, cap;             /* workers started; most to start (lowered when one fails) */
	int window;             /* pooled sections since the last check */
	int64_t share, taken;   /* their chunks: the workers' share, and what they took */
	double rest, rest_until; /* the current rest, and when it ends (0: none) */
	pool_worker *w[POOL_MAX];
};

rs_pool *rs_pool_new(void)
{
	rs_pool *p = rs_calloc(1, sizeof *p);
	if (!p)
		return NULL;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->done, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	p->cap = POOL_MAX;
	p->rest = POOL_REST_MIN;
	return p;
}

/* A job is posted to worker w, or the pool is ending. */
static int worker_called(void *arg)
{
	pool_worker *w = arg;
	return atomic_load(&w->state) == W_POSTED || atomic_load(&w->pool->quit);
}

static void *pool_main(void *arg)
{
	pool_worker *w = arg;
	rs_pool *p = w->pool;
	on_worker = 1;
	for (;;) {
		if (!spin_until(worker_called, w)) {
			/* sleeping is raised before state is read again: the caller,
			 * which posts before it reads sleeping, sees one or the other */
			pthread_mutex_lock(&p->mu);
			atomic_store(&w->sleeping, 1);
			while (atomic_load(&w->state) != W_POSTED && !atomic_load(&p->quit))
				pthread_cond_wait(&w->wake, &p->mu);
			atomic_store(&w->sleeping, 0);
			pthread_mutex_unlock(&p->mu);
		}
		int posted = W_POSTED;
		if (atomic_compare_exchange_strong(&w->state, &posted, W_RUNNING)) {
			atomic_fetch_add(&w->job->by_workers, run_chunks(w->job, w->tid, 0));
			atomic_store(&w->state, W_IDLE);
			if (atomic_load(&p->caller_waits)) {
				pthread_mutex_lock(&p->mu);
				pthread_cond_signal(&p->done);
				pthread_mutex_unlock(&p->mu);
			}
		} else if (atomic_load(&p->quit))
			return NULL;
	}
}

/* Start workers until there are `want` (or as many as could start), with
 * every signal blocked so that they inherit that. */
static void pool_grow(rs_pool *p, int want)
{
	if (want > p->cap)
		want = p->cap;
	if (p->n >= want)
		return;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	while (p->n < want) {
		pool_worker *w = rs_calloc(1, sizeof *w);
		if (w && pthread_cond_init(&w->wake, NULL) != 0) {
			free(w);
			w = NULL;
		}
		if (w) {
			w->pool = p;
			w->tid = p->n + 1;
			if (pthread_create(&w->th, NULL, pool_main, w) != 0) {
				pthread_cond_destroy(&w->wake);
				free(w);
				w = NULL;
			}
		}
		if (!w) {
			p->cap = p->n; /* fewer threads from now on, never an error */
			break;
		}
		p->w[p->n++] = w;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Whether worker w is done with the job: it never took it (taken back
 * now) or has finished it. */
static int pool_worker_done(void *arg)
{
	pool_worker *w = arg;
	int posted = W_POSTED;
	return atomic_compare_exchange_strong(&w->state, &posted, W_IDLE) || posted == W_IDLE;
}

/* The job on the calling thread and `extra` parked workers. */
static void pool_run(rs_pool *p, pf_job *job, int extra)
{
	p->busy = 1;
	for (int t = 0; t < extra; t++) {
		pool_worker *w = p->w[t];
		w->job = job;
		atomic_store(&w->state, W_POSTED);
		if (atomic_load(&w->sleeping)) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&w->wake);
			pthread_mutex_unlock(&p->mu);
		}
	}
	int mine = run_chunks(job, 0, 1);
	for (int t = 0; t < extra; t++) {
		pool_worker *w = p->w[t];
		if (!spin_until(pool_worker_done, w)) {
			/* caller_waits is raised before state is read again: the
			 * worker, which sets IDLE before it reads caller_waits, sees one
			 * or the other */
			pthread_mutex_lock(&p->mu);
			atomic_store(&p->caller_waits, 1);
			while (!pool_worker_done(w))
				pthread_cond_wait(&p->done, &p->mu);
			atomic_store(&p->caller_waits, 0);
			pthread_mutex_unlock(&p->mu);
		}
	}
	int theirs = atomic_load(&job->by_workers);
	p->share += (int64_t)(mine + theirs) * extra / (extra + 1);
	p->taken += theirs;
	if (++p->window == POOL_WINDOW) {
		if (p->taken * 2 < p->share) {
			p->rest_until = rs_mono_seconds() + p->rest;
			p->rest = p->rest * 2 < POOL_REST_MAX ? p->rest * 2 : POOL_REST_MAX;
		} else
			p->rest = POOL_REST_MIN;
		p->window = 0;
		p->share = p->taken = 0;
	}
	p->busy = 0;
}

/* The pool is resting: sections run on the caller alone. */
static int pool_resting(rs_pool *p)
{
	if (p->rest_until == 0)
		return 0;
	if (rs_mono_seconds() < p->rest_until)
		return 1;
	p->rest_until = 0;
	return 0;
}

void rs_pool_free(rs_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	atomic_store(&p->quit, 1);
	for (int t = 0; t < p->n; t++)
		pthread_cond_signal(&p->w[t]->wake);
	pthread_mutex_unlock(&p->mu);
	for (int t = 0; t < p->n; t++) {
		pthread_join(p->w[t]->th, NULL);
		pthread_cond_destroy(&p->w[t]->wake);
		free(p->w[t]);
	}
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void rs_train_ctx_end(rs_train_ctx *ctx)
{
	rs_pool_free(ctx->pool);
	ctx->pool = NULL;
}

int rs_pool_threads(const rs_pool *p)
{
	return p ? p->n + 1 : 1;
}

/* ---- a section's own threads (no pool, or a section inside a section) ---- */

typedef struct pf_worker {
	pf_job *job;
	int tid;
} pf_worker;

static void *worker_main(void *p)
{
	pf_worker *w = p;
	on_worker = 1;
	run_chunks(w->job, w->tid, 0);
	return NULL;
}

static void spawn_run(pf_job *job, int extra)
{
	pthread_t *tids = extra ? rs_calloc((size_t)extra, sizeof *tids) : NULL;
	pf_worker *ws = extra ? rs_calloc((size_t)extra, sizeof *ws) : NULL;
	if (extra && (!tids || !ws))
		extra = 0; /* fall back to the calling thread alone */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int started = 0;
	for (int t = 0; t < extra; t++) {
		ws[t].job = job;
		ws[t].tid = t + 1;
		if (pthread_create(&tids[t], NULL, worker_main, &ws[t]) != 0)
			break;
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	run_chunks(job, 0, 1);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	free(ws);
}

rs_status rs_parallel_for(rs_train_ctx *ctx, int32_t n, int32_t chunk,
                          int threads, rs_range_fn fn, void *arg, rs_error *err)
{
	pf_job job = {.ctx = ctx, .n = n, .chunk = chunk < 1 ? 1 : chunk, .fn = fn, .arg = arg};
	atomic_init(&job.next, 0);
	atomic_init(&job.by_workers, 0);
	int extra = threads > 1 ? threads - 1 : 0;
	if (extra > POOL_MAX)
		extra = POOL_MAX;
	rs_pool *p = ctx->pool;
	if (on_worker)
		run_chunks(&job, 0, 0); /* a worker's section: alone, no host call */
	else if (extra == 0 || (p && !p->busy && pool_resting(p)))
		run_chunks(&job, 0, 1);
	else if (p && !p->busy) {
		pool_grow(p, extra);
		pool_run(p, &job, extra < p->n ? extra : p->n);
	} else
		spawn_run(&job, extra);
	if (atomic_load(&ctx->stop))
		return rs_fail(err, RS_ECANCELLED, "training cancelled");
	return RS_OK;
}
