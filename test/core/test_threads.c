/* test_threads.c - core/threads.c's pool: the same results for any thread
 * count, many tiny sections in a row, a section inside a section, a pool
 * serving fewer threads than it has, a cancel in the middle of a job, and
 * no thread left once a training has returned. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Threads of this process (entries of /proc/self/task); -1 without /proc. */
static int task_count(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Row r gets a value that depends on r only; visits[r] counts the rows'
 * visits; tids[t] is raised by every thread t that took a chunk. */
typedef struct rows_job {
	float *out;
	atomic_int *visits;
	atomic_int tids[8];
	int32_t n;
	rs_train_ctx *nest; /* set: each chunk runs an inner section on it */
	int nest_threads;
	atomic_int nest_fail;
} rows_job;

static float row_value(int32_t r)
{
	float x = (float)r;
	for (int i = 0; i < 50; i++)
		x = x * 0.9993f + 1.0f / (float)(r + i + 1);
	return x;
}

static void inner_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	atomic_int *sum = arg;
	for (int32_t r = begin; r < end; r++)
		atomic_fetch_add(sum, r);
}

static void rows_range(void *arg, int32_t begin, int32_t end, int tid)
{
	rows_job *j = arg;
	if (tid >= 0 && tid < 8)
		atomic_store(&j->tids[tid], 1);
	for (int32_t r = begin; r < end; r++) {
		j->out[r] = row_value(r);
		atomic_fetch_add(&j->visits[r], 1);
	}
	if (j->nest) {
		atomic_int sum;
		atomic_init(&sum, 0);
		rs_error e;
		if (rs_parallel_for(j->nest, 100, 7, j->nest_threads, inner_range, &sum, &e) != RS_OK ||
		    atomic_load(&sum) != 99 * 100 / 2)
			atomic_fetch_add(&j->nest_fail, 1);
	}
}

static rows_job *rows_new(int32_t n)
{
	rows_job *j = calloc(1, sizeof *j);
	if (j) {
		j->n = n;
		j->out = calloc((size_t)n, sizeof *j->out);
		j->visits = calloc((size_t)n, sizeof *j->visits);
	}
	if (!j || !j->out || !j->visits) {
		if (j) {
			free(j->out);
			free(j->visits);
		}
		free(j);
		return NULL;
	}
	return j;
}

static void rows_free(rows_job *j)
{
	if (!j)
		return;
	free(j->out);
	free(j->visits);
	free(j);
}

static int rows_visited_once(const rows_job *j)
{
	for (int32_t r = 0; r < j->n; r++)
		if (atomic_load(&j->visits[r]) != 1)
			return 0;
	return 1;
}

/* Results of 1, 2 and 4 threads on a pool equal those without one, bit for
 * bit; every row is taken once; a 4-thread pool serves a later 2-thread
 * section with its two first threads only; ending the pool ends its threads. */
void test_pool_same_bits(void)
{
	const int32_t n = 5000;
	rows_job *ref = rows_new(n);
	CHECK(ref != NULL);
	if (!ref)
		return;
	rs_train_ctx plain = {0};
	atomic_init(&plain.stop, 0);
	rs_error e;
	CHECK(rs_parallel_for(&plain, n, 16, 1, rows_range, ref, &e) == RS_OK);
	int tasks0 = task_count();
	rs_train_ctx ctx = {.pool = rs_pool_new()};
	atomic_init(&ctx.stop, 0);
	CHECK(ctx.pool != NULL && rs_pool_threads(ctx.pool) == 1);
	const int counts[] = {1, 2, 4, 2};
	for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
		rows_job *j = rows_new(n);
		CHECK(j != NULL);
		if (!j)
			continue;
		CHECK(rs_parallel_for(&ctx, n, 16, counts[k], rows_range, j, &e) == RS_OK);
		CHECK(memcmp(j->out, ref->out, (size_t)n * sizeof *j->out) == 0);
		CHECK(rows_visited_once(j));
		for (int t = counts[k]; t < 8; t++)
			CHECK(!atomic_load(&j->tids[t])); /* no thread beyond the count asked for */
		rows_free(j);
	}
	/* a pool of 4 (3 workers and the caller) once 4 were asked for */
	CHECK(rs_pool_threads(ctx.pool) == 4);
	if (tasks0 > 0)
		CHECK(task_count() == tasks0 + 3);
	rs_train_ctx_end(&ctx);
	CHECK(ctx.pool == NULL);
	if (tasks0 > 0)
		CHECK(task_count() == tasks0);
	rows_free(ref);
}

/* 20,000 tiny sections in a row on a 4-thread pool: each takes every row once. */
void test_pool_many_sections(void)
{
	const int32_t n = 6;
	rows_job *j = rows_new(n);
	CHECK(j != NULL);
	if (!j)
		return;
	rs_train_ctx ctx = {.pool = rs_pool_new()};
	atomic_init(&ctx.stop, 0);
	rs_error e;
	int bad = 0;
	for (int s = 0; s < 20000; s++)
		if (rs_parallel_for(&ctx, n, 1, 4, rows_range, j, &e) != RS_OK)
			bad++;
	CHECK(bad == 0);
	for (int32_t r = 0; r < n; r++)
		CHECK(atomic_load(&j->visits[r]) == 20000);
	rs_train_ctx_end(&ctx);
	rows_free(j);
}

/* A chunk that runs a section of its own on the same context (so on the
 * same pool), from the caller and from the workers: no deadlock, right
 * results; then the pool still serves sections. */
void test_pool_nested(void)
{
	const int32_t n = 64;
	rows_job *j = rows_new(n);
	CHECK(j != NULL);
	if (!j)
		return;
	rs_train_ctx ctx = {.pool = rs_pool_new()};
	atomic_init(&ctx.stop, 0);
	j->nest = &ctx;
	j->nest_threads = 3;
	atomic_init(&j->nest_fail, 0);
	rs_error e;
	CHECK(rs_parallel_for(&ctx, n, 1, 3, rows_range, j, &e) == RS_OK);
	CHECK(rows_visited_once(j));
	CHECK(atomic_load(&j->nest_fail) == 0);
	rows_job *k = rows_new(n);
	CHECK(k != NULL);
	if (k) {
		CHECK(rs_parallel_for(&ctx, n, 1, 3, rows_range, k, &e) == RS_OK);
		CHECK(rows_visited_once(k));
		rows_free(k);
	}
	rs_train_ctx_end(&ctx);
	rows_free(j);
}

/* Cancel: the callback says stop 50 ms into a job of slow rows on a pool
 * of 4; the section returns RS_ECANCELLED well within a second, with rows
 * left untaken; the pool then ends cleanly. */
typedef struct slow_job {
	atomic_int done;
} slow_job;

static void slow_range(void *arg, int32_t begin, int32_t end, int tid)
{
	(void)tid;
	slow_job *j = arg;
	struct timespec ms = {0, 1000000};
	for (int32_t r = begin; r < end; r++) {
		nanosleep(&ms, NULL);
		atomic_fetch_add(&j->done, 1);
	}
}

typedef struct deadline {
	double at, asked;
} deadline;

static int past_deadline(void *arg)
{
	deadline *d = arg;
	double t = now();
	if (t < d->at)
		return 0;
	if (!d->asked)
		d->asked = t;
	return 1;
}

void test_pool_cancel(void)
{
	slow_job j;
	atomic_init(&j.done, 0);
	deadline d = {.at = now() + 0.05};
	rs_callbacks cb = {.cancel = past_deadline, .ctx = &d};
	rs_train_ctx ctx = {.cb = &cb, .pool = rs_pool_new()};
	atomic_init(&ctx.stop, 0);
	rs_error e;
	const int32_t n = 100000; /* 100 s of rows on one thread */
	CHECK(rs_parallel_for(&ctx, n, 1, 4, slow_range, &j, &e) == RS_ECANCELLED);
	double back = now();
	CHECK(d.asked > 0 && back - d.asked < 1.0);
	CHECK(atomic_load(&j.done) < n);
	rs_train_ctx_end(&ctx);
}

/* Cancel callback that never stops: the most threads seen during the call. */
static int count_tasks(void *arg)
{
	int *most = arg, n = task_count();
	if (n > *most)
		*most = n;
	return 0;
}

/* A builder of 60 users in two taste groups over 30 items, times mixed. */
static rs_builder *group_rows(rs_config *c)
{
	rs_builder *b = NULL;
	rs_error e;
	if (rs_builder_create(c, &b, &e) != RS_OK)
		return NULL;
	for (int u = 0; u < 60; u++)
		for (int i = 0; i < 30; i++) {
			if ((u < 30) != (i < 15))
				continue;
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
			rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1,
			               (double)((i * 7 + u) % 10), &e);
		}
	return b;
}

/* A training and an evaluation on 4 threads run workers while they poll
 * and leave the process with the threads it had before; the model is the
 * one a single thread trains. */
void test_pool_no_thread_left(void)
{
	int before = task_count();
	CHECK(before > 0);
	float *f[2] = {NULL, NULL};
	size_t nf = 0;
	for (int k = 0; k < 2; k++) {
		const char *kv[] = {"factors=8", "iterations=3", k ? "threads=1" : "threads=4"};
		opts_buf ob;
		rs_config *c = NULL;
		rs_error e;
		int most = 0;
		rs_callbacks cb = {.cancel = count_tasks, .ctx = &most};
		CHECK(rs_config_create("als", make_opts(&ob, 3, kv), 1, &c, &e) == RS_OK);
		rs_builder *b = c ? group_rows(c) : NULL;
		rs_model *m = NULL;
		char *sum = NULL;
		CHECK(b && rs_train(c, b, &cb, &m, &sum, &e) == RS_OK);
		CHECK(task_count() == before);
		if (k == 0)
			CHECK(most == before + 3); /* the pool's workers while it polled */
		if (m) {
			nf = m->items.n * (size_t)m->factors;
			f[k] = malloc(nf * sizeof *f[k]);
			if (f[k])
				memcpy(f[k], m->item_f, nf * sizeof *f[k]);
		}
		rs_model_destroy(&m);
		rs_free(sum);
		rs_builder_destroy(&b);
		if (k == 0) { /* an evaluation (its split, training and scoring) */
			rs_eval_result r;
			most = 0;
			b = group_rows(c);
			CHECK(b && rs_evaluate(c, b, 5, &cb, &r, &e) == RS_OK);
			CHECK(most > before);
			CHECK(task_count() == before);
			rs_builder_destroy(&b);
		}
		rs_config_destroy(&c);
	}
	CHECK(f[0] && f[1] && memcmp(f[0], f[1], nf * sizeof *f[0]) == 0);
	free(f[0]);
	free(f[1]);
}
