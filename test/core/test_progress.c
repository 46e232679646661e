/* test_progress.c - progress reports: the phase sequence of each path, the
 * rate limit of ticks, auto's candidates, the text of a line, and that a
 * cancel still stops a reported training. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 4096

/* Every report, copied (the strings are static or live as long as the run). */
typedef struct seen {
	int n;
	rs_progress ev[MAX_EVENTS];
	char label[MAX_EVENTS][64];
	int cancel_after; /* > 0: cancel at that poll */
	int polls;
} seen;

static void record(const rs_progress *p, void *ctx)
{
	seen *s = ctx;
	if (s->n >= MAX_EVENTS)
		return;
	s->ev[s->n] = *p;
	snprintf(s->label[s->n], sizeof s->label[0], "%s", p->label ? p->label : "");
	s->ev[s->n].label = s->label[s->n];
	s->n++;
}

static int poll_cancel(void *ctx)
{
	seen *s = ctx;
	return s->cancel_after > 0 && ++s->polls >= s->cancel_after;
}

/* Two taste groups of nu users and ni items, every (u, i) in the user's group
 * except every third; rows added (the reading phase ticks every 1024). */
static int64_t add_rows(rs_builder *b, int nu, int ni)
{
	rs_error e;
	int64_t rows = 0;
	for (int u = 0; u < nu; u++)
		for (int i = 0; i < ni; i++)
			if ((u < nu / 2) == (i < ni / 2) && (i + u) % 3 != 0) {
				char us[16], is[16];
				int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
				rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1,
				               (double)((i * 7 + u) % 11), &e);
				rows++;
			}
	return rows;
}

/* Train algo (options kv) with reports every `interval` seconds into s;
 * returns the status, *rows the rows added. */
static rs_status run(const char *algo, int n, const char *const *kv, double interval, int nu,
                     int ni, seen *s, int64_t *rows, int evaluate)
{
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	opts_buf ob;
	rs_callbacks cb = {.cancel = poll_cancel, .ctx = s, .progress = record, .progress_ctx = s,
	                   .interval = interval};
	rs_status st = rs_config_create(algo, make_opts(&ob, n, kv), 1, &c, &e);
	if (st != RS_OK)
		return st;
	rs_config_watch(c, &cb);
	st = rs_builder_create(c, &b, &e);
	*rows = add_rows(b, nu, ni);
	if (evaluate) {
		rs_eval_result r;
		st = rs_evaluate(c, b, 10, &cb, &r, &e);
	} else {
		st = rs_train(c, b, &cb, &m, &sum, &e);
	}
	rs_free(sum);
	rs_model_destroy(&m);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	return st;
}

/* The PHASE and END events' phases, space-separated. */
static void phase_list(const seen *s, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int k = 0; k < s->n; k++)
		if (s->ev[k].event == RS_PROGRESS_PHASE || s->ev[k].event == RS_PROGRESS_END) {
			if (buf[0])
				strncat(buf, " ", cap - strlen(buf) - 1);
			strncat(buf, s->ev[k].phase, cap - strlen(buf) - 1);
		}
}

void test_progress_phases(void)
{
	static seen s;
	char got[512];
	int64_t rows;
	const char *als[] = {"threads=1", "iterations=4"};
	/* a huge interval: no tick, so the sequence is the same on any machine */
	memset(&s, 0, sizeof s);
	CHECK(run("als", 2, als, 1e9, 60, 40, &s, &rows, 0) == RS_OK);
	phase_list(&s, got, sizeof got);
	CHECK(!strcmp(got, "reading building als done"));
	for (int k = 0; k < s.n; k++)
		CHECK(s.ev[k].event != RS_PROGRESS_TICK && s.ev[k].candidate == 0);
	CHECK(s.n == 4 && s.ev[0].rows_read == 0 && s.ev[3].rows_read == (uint64_t)rows &&
	      s.ev[3].event == RS_PROGRESS_END);
	for (int k = 1; k < s.n; k++)
		CHECK(s.ev[k].elapsed >= s.ev[k - 1].elapsed && s.ev[k].elapsed >= 0);

	const char *ease[] = {"threads=1"};
	memset(&s, 0, sizeof s);
	CHECK(run("ease", 1, ease, 1e9, 60, 40, &s, &rows, 0) == RS_OK);
	phase_list(&s, got, sizeof got);
	CHECK(!strcmp(got, "reading building ease ease inverse ease weights done"));

	memset(&s, 0, sizeof s);
	CHECK(run("als", 2, als, 1e9, 60, 40, &s, &rows, 1) == RS_OK);
	phase_list(&s, got, sizeof got);
	CHECK(!strcmp(got, "reading building splitting building als evaluating done"));
	CHECK(s.n > 0 && s.ev[s.n - 1].rows_read == (uint64_t)rows);

	/* without a callback nothing is reported and training works */
	rs_model *m = NULL;
	rs_error e;
	CHECK(train_blocks("als", 1, als, 20, 10, &m, &e) == RS_OK && m);
	rs_model_destroy(&m);
}

void test_progress_ticks(void)
{
	static seen s;
	int64_t rows;
	/* every poll ticks: each tick belongs to the last phase, als counts its
	 * iterations, reading counts its rows */
	const char *als[] = {"threads=1", "iterations=5"};
	memset(&s, 0, sizeof s);
	CHECK(run("als", 2, als, 1e-9, 400, 300, &s, &rows, 0) == RS_OK);
	const char *phase = NULL;
	int ticks = 0, als_ticks = 0;
	int64_t last_step = 0;
	for (int k = 0; k < s.n; k++) {
		const rs_progress *p = &s.ev[k];
		if (p->event == RS_PROGRESS_PHASE) {
			phase = p->phase;
			last_step = 0;
			continue;
		}
		if (p->event != RS_PROGRESS_TICK)
			continue;
		ticks++;
		CHECK(phase && !strcmp(p->phase, phase));
		if (!strcmp(p->phase, "reading"))
			CHECK(p->rows_read % 1024 == 0 && p->rows_read > 0);
		if (!strcmp(p->phase, "als") && p->steps > 0) {
			als_ticks++;
			CHECK(p->steps == 5 && p->step >= last_step && p->step >= 1 && p->step <= 5 &&
			      !strcmp(p->unit, "iteration"));
			last_step = p->step;
		}
	}
	CHECK(ticks > 0 && als_ticks > 0 && last_step == 5);

	/* rate limit: a tick comes at least `interval` after the report before */
	const double iv = 0.02;
	const char *slow[] = {"threads=1", "iterations=30", "factors=64"};
	memset(&s, 0, sizeof s);
	CHECK(run("als", 3, slow, iv, 400, 300, &s, &rows, 0) == RS_OK);
	int limited = 1;
	for (int k = 1; k < s.n; k++)
		if (s.ev[k].event == RS_PROGRESS_TICK && s.ev[k].elapsed - s.ev[k - 1].elapsed < iv * 0.999)
			limited = 0;
	CHECK(limited);
	CHECK(s.n > 0 && s.ev[s.n - 1].event == RS_PROGRESS_END);
}

void test_progress_auto(void)
{
	static seen s;
	int64_t rows;
	const char *kv[] = {"threads=1", "time_budget=30"};
	memset(&s, 0, sizeof s);
	CHECK(run("auto", 2, kv, 1e9, 40, 30, &s, &rows, 0) == RS_OK);
	char got[512];
	phase_list(&s, got, sizeof got);
	/* candidates' own phases are not announced; the winner's are */
	const char *head = "reading building auto auto split ";
	CHECK(!strncmp(got, head, strlen(head)));
	int cands = 0, winner = 0;
	for (int k = 0; k < s.n; k++) {
		const rs_progress *p = &s.ev[k];
		if (p->event == RS_PROGRESS_CANDIDATE) {
			cands++;
			CHECK(p->candidate == cands && p->label[0] && p->seconds >= 0 &&
			      (p->skipped || (p->score >= 0 && p->score <= 1)) && !winner);
		}
		if (p->event == RS_PROGRESS_PHASE && p->candidate > 0)
			CHECK(0); /* a candidate's phase announced */
		if (p->event == RS_PROGRESS_PHASE && p->candidate < 0)
			winner++;
	}
	CHECK(cands >= 2 && winner >= 1);
	CHECK(s.n > 0 && s.ev[s.n - 1].event == RS_PROGRESS_END && s.ev[s.n - 1].candidate == 0);
}

void test_progress_format(void)
{
	char buf[256];
	rs_progress p = {.event = RS_PROGRESS_TICK, .phase = "als", .unit = "iteration", .step = 7,
	                 .steps = 15, .rows_read = 25000000, .elapsed = 12.34};
	CHECK(rs_progress_format(&p, "train", "m", buf, sizeof buf) == strlen(buf) &&
	      !strcmp(buf, "train \"m\": als iteration 7/15, 12.3 s"));
	p = (rs_progress){.event = RS_PROGRESS_PHASE, .phase = "reading", .rows_read = 1024,
	                  .elapsed = 0.5};
	rs_progress_format(&p, NULL, NULL, buf, sizeof buf);
	CHECK(!strcmp(buf, "reading, 1024 rows read, 0.5 s"));
	p = (rs_progress){.event = RS_PROGRESS_END, .phase = "done", .rows_read = 7, .elapsed = 2};
	rs_progress_format(&p, "evaluate", "als", buf, sizeof buf);
	CHECK(!strcmp(buf, "evaluate \"als\": done, 7 rows read, 2.0 s"));
	p = (rs_progress){.event = RS_PROGRESS_CANDIDATE, .candidate = 3, .label = "als alpha=10",
	                  .score = 0.12344, .seconds = 2.06};
	rs_progress_format(&p, "train", "m", buf, sizeof buf);
	CHECK(!strcmp(buf, "train \"m\": auto candidate 3 (als alpha=10): ndcg@10 0.1234 in 2.1 s"));
	p.skipped = "option \"recency\" needs a time column";
	rs_progress_format(&p, NULL, NULL, buf, sizeof buf);
	CHECK(!strcmp(buf, "auto candidate 3 (als alpha=10): skipped in 2.1 s: option \"recency\" "
	                   "needs a time column"));
	p = (rs_progress){.event = RS_PROGRESS_TICK, .phase = "als", .candidate = -1,
	                  .label = "als alpha=10", .elapsed = 3};
	rs_progress_format(&p, NULL, NULL, buf, sizeof buf);
	CHECK(!strcmp(buf, "auto winner (als alpha=10): als, 3.0 s"));
	/* a long name is cut; a small buffer still ends in NUL and the length
	 * is the whole text's */
	char longname[200];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	p = (rs_progress){.event = RS_PROGRESS_PHASE, .phase = "building", .elapsed = 1};
	rs_progress_format(&p, "train", longname, buf, sizeof buf);
	CHECK(strstr(buf, "...\": building, 1.0 s") && strlen(buf) < 100);
	char small[8];
	size_t n = rs_progress_format(&p, "train", "m", small, sizeof small);
	CHECK(n == strlen("train \"m\": building, 1.0 s") && strlen(small) == 7);
	CHECK(rs_progress_format(&p, NULL, NULL, NULL, 0) == strlen("building, 1.0 s"));
}

void test_progress_cancel(void)
{
	static seen s;
	int64_t rows;
	const char *als[] = {"threads=2", "iterations=20"};
	memset(&s, 0, sizeof s);
	s.cancel_after = 30;
	CHECK(run("als", 2, als, 1e-9, 200, 100, &s, &rows, 0) == RS_ECANCELLED);
	CHECK(s.n > 0);
	for (int k = 0; k < s.n; k++)
		CHECK(s.ev[k].event != RS_PROGRESS_END); /* no end after a cancel */
	/* the option's words: validated by the core, read by the bindings */
	rs_config *c = NULL;
	rs_error e;
	opts_buf ob;
	const char *ok[] = {"progress=info"}, *bad[] = {"progress=loud"}, *num[] = {"progress=1"};
	CHECK(rs_config_create("als", make_opts(&ob, 1, ok), 1, &c, &e) == RS_OK &&
	      rs_config_progress(c) == RS_PROGRESS_INFO);
	rs_config_destroy(&c);
	CHECK(rs_config_create("als", NULL, 1, &c, &e) == RS_OK &&
	      rs_config_progress(c) == RS_PROGRESS_UNSET);
	rs_config_destroy(&c);
	CHECK(rs_config_create("als", make_opts(&ob, 1, bad), 1, &c, &e) == RS_EINVAL &&
	      !strcmp(e.msg, "option \"progress\" must be one of off|notice|info|log (got \"loud\")"));
	CHECK(rs_config_create("als", make_opts(&ob, 1, num), 1, &c, &e) == RS_EINVAL &&
	      strstr(e.msg, "\"progress\""));
}
