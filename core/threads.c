/*
 * threads.c - the core's one thread layer: a parallel for over row ranges
 * with dynamic chunks. The calling thread works too and is the only one that
 * polls the host's cancel callback; workers see a shared stop flag. Workers
 * block all signals so the host's handlers only ever run on its own thread.
 */
#include "internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

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
	rs_range_fn fn;
	void *arg;
} pf_job;

typedef struct pf_worker {
	pf_job *job;
	int tid;
} pf_worker;

/* Take chunks until none are left or a stop is requested. */
static void run_chunks(pf_job *j, int tid, int is_caller)
{
	for (;;) {
		if (is_caller ? rs_cancelled(j->ctx) : atomic_load(&j->ctx->stop))
			return;
		int32_t b = atomic_fetch_add(&j->next, j->chunk);
		if (b >= j->n)
			return;
		int32_t e = b + j->chunk > j->n ? j->n : b + j->chunk;
		j->fn(j->arg, b, e, tid);
	}
}

static void *worker_main(void *p)
{
	pf_worker *w = p;
	run_chunks(w->job, w->tid, 0);
	return NULL;
}

rs_status rs_parallel_for(rs_train_ctx *ctx, int32_t n, int32_t chunk,
                          int threads, rs_range_fn fn, void *arg, rs_error *err)
{
	pf_job job = {.ctx = ctx, .n = n, .chunk = chunk < 1 ? 1 : chunk, .fn = fn, .arg = arg};
	atomic_init(&job.next, 0);
	int extra = threads > 1 ? threads - 1 : 0;
	pthread_t *tids = extra ? rs_calloc((size_t)extra, sizeof *tids) : NULL;
	pf_worker *ws = extra ? rs_calloc((size_t)extra, sizeof *ws) : NULL;
	if (extra && (!tids || !ws))
		extra = 0; /* fall back to the calling thread alone */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int started = 0;
	for (int t = 0; t < extra; t++) {
		ws[t].job = &job;
		ws[t].tid = t + 1;
		if (pthread_create(&tids[t], NULL, worker_main, &ws[t]) != 0)
			break;
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	run_chunks(&job, 0, 1);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	free(ws);
	if (atomic_load(&ctx->stop))
		return rs_fail(err, RS_ECANCELLED, "training cancelled");
	return RS_OK;
}
