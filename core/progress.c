/*
 * progress.c - progress reports of a training or an evaluation: the phase,
 * the step within it, the rows read, the seconds, and auto's candidates.
 *
 * The rate limit is here so that no binding needs one: phase changes,
 * candidates and the end are always reported, ticks at most once per
 * interval. Everything runs on the calling thread (rs_cancelled polls the
 * tick), where the host's cancel callback runs too.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* Whether r reports at all. */
static int active(const rs_reporter *r)
{
	return r && r->cb && r->cb->progress;
}

static double interval(const rs_reporter *r)
{
	return r->cb->interval > 0 ? r->cb->interval : RS_PROGRESS_INTERVAL;
}

/* Hand one report of r's state to the host. */
static void emit(rs_reporter *r, rs_progress_event ev, double now, double score, double seconds,
                 const char *skipped)
{
	rs_progress p = {
		.event = ev,
		.phase = r->phase ? r->phase : "starting",
		.unit = r->unit,
		.step = r->step,
		.steps = r->steps,
		.rows_read = r->rows,
		.elapsed = now - r->t0,
		.candidate = r->candidate,
		.label = r->label,
		.score = score,
		.seconds = seconds,
		.skipped = skipped,
	};
	r->last = now;
	r->cb->progress(&p, r->cb->progress_ctx);
}

void rs_report_start(rs_reporter *r, const rs_callbacks *cb)
{
	if (!r)
		return;
	if (r->t0 == 0)
		r->t0 = r->last = rs_mono_seconds();
	r->cb = cb;
}

void rs_report_tick(rs_reporter *r)
{
	if (!active(r))
		return;
	double now = rs_mono_seconds();
	if (now - r->last >= interval(r))
		emit(r, RS_PROGRESS_TICK, now, 0, 0, NULL);
}

void rs_report_phase(rs_reporter *r, const char *phase, const char *unit, int64_t steps)
{
	if (!active(r))
		return;
	r->phase = phase;
	r->unit = unit;
	r->step = 0;
	r->steps = steps;
	if (r->quiet)
		rs_report_tick(r);
	else
		emit(r, RS_PROGRESS_PHASE, rs_mono_seconds(), 0, 0, NULL);
}

void rs_report_count(rs_reporter *r, const char *unit, int64_t steps)
{
	if (!r)
		return;
	r->unit = unit;
	r->step = 0;
	r->steps = steps;
}

void rs_report_step(rs_reporter *r, int64_t step)
{
	if (!active(r))
		return;
	r->step = step;
	rs_report_tick(r);
}

void rs_report_rows(rs_reporter *r, uint64_t rows)
{
	if (!active(r))
		return;
	r->rows = rows;
	if (r->phase == NULL)
		rs_report_phase(r, "reading", NULL, 0);
	else
		rs_report_tick(r);
}

void rs_report_candidate(rs_reporter *r, int n, const char *label)
{
	if (!r)
		return;
	r->candidate = n;
	r->label = n ? label : NULL;
	r->quiet = n > 0;
}

void rs_report_candidate_done(rs_reporter *r, double score, double seconds, const char *skipped)
{
	if (active(r))
		emit(r, RS_PROGRESS_CANDIDATE, rs_mono_seconds(), score, seconds, skipped);
}

void rs_report_end(rs_reporter *r)
{
	if (!active(r))
		return;
	rs_report_candidate(r, 0, NULL);
	r->phase = "done";
	r->unit = NULL;
	r->steps = 0;
	emit(r, RS_PROGRESS_END, rs_mono_seconds(), 0, 0, NULL);
}

/* snprintf that appends at *len and keeps *len the would-be length. */
static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(*len < cap ? buf + *len : NULL, *len < cap ? cap - *len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
}

size_t rs_progress_format(const rs_progress *p, const char *what, const char *name, char *buf,
                          size_t cap)
{
	size_t len = 0;
	char sn[RS_SHORT_CAP];
	if (cap)
		buf[0] = '\0';
	if (what)
		add(buf, cap, &len, "%s%s", what, name ? " " : ": ");
	if (name)
		add(buf, cap, &len, "\"%s\": ", rs_shorten(name, (size_t)-1, sn, sizeof sn));
	if (p->candidate > 0)
		add(buf, cap, &len, "auto candidate %d (%s): ", p->candidate, p->label ? p->label : "?");
	else if (p->candidate < 0)
		add(buf, cap, &len, "auto winner (%s): ", p->label ? p->label : "?");
	if (p->event == RS_PROGRESS_CANDIDATE) {
		if (p->skipped)
			add(buf, cap, &len, "skipped in %.1f s: %s", p->seconds, p->skipped);
		else
			add(buf, cap, &len, "ndcg@10 %.4f in %.1f s", p->score, p->seconds);
		return len;
	}
	add(buf, cap, &len, "%s", p->phase ? p->phase : "?");
	if (p->steps > 0)
		add(buf, cap, &len, " %s %lld/%lld", p->unit ? p->unit : "step",
		    (long long)(p->step > 0 ? p->step : 1), (long long)p->steps);
	if (p->event == RS_PROGRESS_END || (p->phase && !strcmp(p->phase, "reading")))
		add(buf, cap, &len, ", %llu rows read", (unsigned long long)p->rows_read);
	add(buf, cap, &len, ", %.1f s", p->elapsed);
	return len;
}
