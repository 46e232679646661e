/*
 * progress.c - progress of recsys_train() and recsys_evaluate(): the core's
 * reports (already rate-limited, core/progress.c) become
 *   - messages at the level the option "progress" or the GUC recsys.progress
 *     chooses (off, notice, info, log), and
 *   - this backend's pg_stat_activity.query, which another session reads:
 *     "-- recsys: train "m": als iteration 7/15, 12.3 s" on a line of its
 *     own in front of the statement's text, restored when the work ends or
 *     fails (RsProgressEnd, called on both paths).
 *
 * Why pg_stat_activity and not shared memory: it needs no
 * shared_preload_libraries, works in every backend that has an activity
 * entry (pg_cron's background workers report theirs), on standbys, and its
 * visibility rules (pg_read_all_stats) are PostgreSQL's. Limits:
 * track_activities off hides it (we then leave the entry alone); the line
 * leads the text because track_activity_query_size cuts its end; state_change
 * moves at each update.
 *
 * The callback runs inside the core, possibly while the core's worker
 * threads compute: it must never longjmp out. Interrupts are held (a cancel
 * is the cancel callback's business) and an error while sending a message is
 * swallowed.
 */
#include "pg_recsys.h"

#include "miscadmin.h"
#include "utils/backend_status.h"
#include "utils/memutils.h"

int			recsys_progress = RS_PROGRESS_OFF;

/* Message levels by rs_progress_level. */
static const int LEVELS[] = {0, NOTICE, INFO, LOG};

/* Put `line` in front of the saved activity text. */
static void
RsProgressActivity(RsProgress *p, const char *line)
{
	if (!p->activity || !pgstat_track_activities || MyBEEntry == NULL)
		return;
	snprintf(p->text, p->text_size, "-- recsys: %s\n%s", line, p->saved);
	pgstat_report_activity((BackendState) p->state, p->text);
	/* a new RUNNING report clears the query id: keep the statement's */
	pgstat_report_query_id(p->query_id, true);
}

/* The core's progress callback. */
static void
RsProgressReport(const rs_progress *r, void *arg)
{
	RsProgress *p = (RsProgress *) arg;
	MemoryContext oldcxt = CurrentMemoryContext;
	char		line[512];

	rs_progress_format(r, p->what, p->name, line, sizeof(line));
	HOLD_INTERRUPTS();
	PG_TRY();
	{
		RsProgressActivity(p, line);
		if (p->level > 0)
			ereport(p->level,
					(errmsg("recsys: %s", line),
					 errhidestmt(true), errhidecontext(true)));
	}
	PG_CATCH();
	{
		/* a lost client or an OOM while reporting: drop the report */
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
	}
	PG_END_TRY();
	RESUME_INTERRUPTS();
}

/*
 * Set up p for `what` ("train", "evaluate") of `name` with cfg's "progress"
 * option (else the GUC): cfg reports the reading of the source too. The
 * activity text is saved here, so call RsProgressEnd on every path after.
 */
void
RsProgressBegin(RsProgress *p, rs_config *cfg, const char *what, const char *name)
{
	rs_progress_level level = rs_config_progress(cfg);
	volatile PgBackendStatus *be = MyBEEntry;

	memset(p, 0, sizeof(*p));
	if (level == RS_PROGRESS_UNSET)
		level = (rs_progress_level) recsys_progress;
	p->level = level > 0 && level < (int) lengthof(LEVELS) ? LEVELS[level] : 0;
	p->what = what;
	p->name = name;
	if (be != NULL && pgstat_track_activities && be->st_state != STATE_DISABLED)
	{
		/* our own entry: only this backend writes it */
		p->saved = MemoryContextStrdup(TopMemoryContext, (const char *) be->st_activity_raw);
		/* what the entry holds at most: the rest would be cut anyway */
		p->text_size = pgstat_track_activity_query_size;
		p->text = MemoryContextAlloc(TopMemoryContext, p->text_size);
		p->state = (int) be->st_state;
		p->query_id = be->st_query_id;
		p->activity = true;
	}
	p->cb.progress = RsProgressReport;
	p->cb.progress_ctx = p;
	rs_config_watch(cfg, &p->cb);
}

/* Restore the activity text; safe to call twice and from an error path. */
void
RsProgressEnd(RsProgress *p)
{
	if (!p->activity)
		return;
	p->activity = false;
	if (pgstat_track_activities && MyBEEntry != NULL)
	{
		pgstat_report_activity((BackendState) p->state, p->saved);
		pgstat_report_query_id(p->query_id, true);
	}
	pfree(p->saved);
	pfree(p->text);
	p->saved = p->text = NULL;
}
