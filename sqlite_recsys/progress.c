/*
 * progress.c - progress of recsys_train() and recsys_evaluate(): with the
 * option "progress" set to anything but "off" (notice, info and log are all
 * the same here: SQLite has one channel), each of the core's reports
 * (already rate-limited, core/progress.c) goes to sqlite3_log() with code
 * SQLITE_NOTICE as one line starting "recsys: ", e.g.
 *   recsys: train "m": als iteration 7/15, 12.3 s
 * An application sees them through its SQLITE_CONFIG_LOG callback (set
 * before sqlite3_initialize); without one, sqlite3_log does nothing. The
 * callback runs on the thread that called recsys_train(), inside it: it must
 * not use the connection (SQLite's rule for log callbacks).
 */
#include "recsys_sqlite.h"

/* The core's progress callback. */
static void report(const rs_progress *r, void *arg)
{
	const rsq_progress *p = arg;
	char line[512];
	rs_progress_format(r, p->what, p->name, line, sizeof line);
	sqlite3_log(SQLITE_NOTICE, "recsys: %s", line);
}

void rsq_progress_begin(rsq_progress *p, rs_config *cfg, const char *what, const char *name)
{
	rs_progress_level level = rs_config_progress(cfg);
	p->what = what;
	p->name = name;
	p->cb.progress = level > RS_PROGRESS_OFF ? report : NULL;
	p->cb.progress_ctx = p;
	if (p->cb.progress)
		rs_config_watch(cfg, &p->cb);
}
