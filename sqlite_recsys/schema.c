/*
 * schema.c - the tables recsys keeps in a SQLite database file, and their
 * migrations: one ordered list, one entry per release, mirroring
 * pg_recsys's install and upgrade scripts (pg_recsys--X--Y.sql). The file
 * records what it has been migrated to in main.recsys_schema, one row per
 * applied step. Writers (training, the evaluation record) migrate first;
 * readers read what is there. A file migrated by a newer recsys is refused
 * for writing, with a message that says so.
 */
#include "recsys_sqlite.h"

#include <string.h>

typedef struct rsq_migration {
	int version;         /* schema version after this step */
	const char *release; /* the recsys release that brought it */
	const char *sql;     /* statements to run; NULL: none */
} rsq_migration;

/* 0.2.0, the feedback loop: what was shown (recommend_logged: one row per
 * served list, items and scores as JSON arrays in rank order), what
 * happened after (recsys_record_outcome), and the analytics views over
 * them (PostgreSQL's recsys.impressions, recsys.outcomes and views; SQLite
 * reads the log itself, no rollups). Times are UTC text, days UTC dates. */
#define LOOP_TABLES_SQL                                                                       \
	"CREATE TABLE IF NOT EXISTS main." RSQ_IMPRESSIONS "(id INTEGER PRIMARY KEY, "           \
	"request_id TEXT NOT NULL, user_id TEXT, items TEXT NOT NULL, scores TEXT, "             \
	"model TEXT, model_version INTEGER, policy TEXT, arm TEXT, propensity REAL, "             \
	"shown_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')));"               \
	"CREATE INDEX IF NOT EXISTS main.recsys_impressions_user ON " RSQ_IMPRESSIONS            \
	"(user_id, shown_at);"                                                                    \
	"CREATE INDEX IF NOT EXISTS main.recsys_impressions_request ON " RSQ_IMPRESSIONS          \
	"(request_id);"                                                                           \
	"CREATE TABLE IF NOT EXISTS main." RSQ_OUTCOMES "(id INTEGER PRIMARY KEY, user_id TEXT, " \
	"item_id TEXT, event TEXT NOT NULL, value REAL, request_id TEXT, "                        \
	"occurred_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), "             \
	"impression_id INTEGER, rank INTEGER);"                                                   \
	"CREATE INDEX IF NOT EXISTS main.recsys_outcomes_impression ON " RSQ_OUTCOMES             \
	"(impression_id);"                                                                        \
	"CREATE VIEW IF NOT EXISTS main.recsys_impression_stats AS SELECT date(i.shown_at) AS "  \
	"day, i.model, i.model_version, i.policy, i.arm, j.key + 1 AS rank, count(*) AS "          \
	"impressions, sum(j.key = 0) AS requests FROM main." RSQ_IMPRESSIONS " i, "               \
	"json_each(i.items) j GROUP BY 1, 2, 3, 4, 5, 6;"                                          \
	"CREATE VIEW IF NOT EXISTS main.recsys_outcome_stats AS SELECT date(i.shown_at) AS day, " \
	"i.model, i.model_version, i.policy, i.arm, o.rank, o.event, count(*) AS outcomes, "      \
	"sum(o.value) AS value FROM main." RSQ_OUTCOMES " o JOIN main." RSQ_IMPRESSIONS " i "     \
	"ON i.id = o.impression_id GROUP BY 1, 2, 3, 4, 5, 6, 7;"                                 \
	"CREATE VIEW IF NOT EXISTS main.recsys_ctr AS SELECT i.*, "                               \
	"coalesce(o.clicks, 0) AS clicks, coalesce(o.conversions, 0) AS conversions, "            \
	"coalesce(o.clicks, 0) * 1.0 / i.impressions AS ctr, "                                    \
	"coalesce(o.conversions, 0) * 1.0 / i.impressions AS conversion_rate "                    \
	"FROM recsys_impression_stats i LEFT JOIN (SELECT day, model, model_version, policy, "     \
	"arm, rank, sum(CASE WHEN event = 'click' THEN outcomes END) AS clicks, "                 \
	"sum(CASE WHEN event <> 'click' THEN outcomes END) AS conversions "                       \
	"FROM recsys_outcome_stats GROUP BY 1, 2, 3, 4, 5, 6) o ON o.day IS i.day AND "           \
	"o.model IS i.model AND o.model_version IS i.model_version AND o.policy IS i.policy AND " \
	"o.arm IS i.arm AND o.rank IS i.rank;"                                                    \
	"CREATE VIEW IF NOT EXISTS main.recsys_daily_stats AS SELECT day, sum(requests) AS "      \
	"requests, sum(impressions) AS impressions, sum(clicks) AS clicks, sum(conversions) AS "  \
	"conversions, sum(clicks) * 1.0 / sum(impressions) AS ctr, sum(conversions) * 1.0 / "     \
	"sum(impressions) AS conversion_rate FROM recsys_ctr GROUP BY day;"                       \
	"CREATE VIEW IF NOT EXISTS main.recsys_arm_distribution AS SELECT policy, arm, model, "   \
	"sum(requests) AS requests, sum(impressions) AS impressions, sum(requests) * 1.0 / "      \
	"nullif(sum(sum(requests)) OVER (PARTITION BY policy), 0) AS share "                      \
	"FROM recsys_impression_stats GROUP BY policy, arm, model;"                               \
	"CREATE VIEW IF NOT EXISTS main.recsys_coverage AS SELECT s.name AS model, s.items, "     \
	"(SELECT count(DISTINCT j.value) FROM main." RSQ_IMPRESSIONS " i, json_each(i.items) j "  \
	"WHERE i.model = s.name) AS items_shown, (SELECT count(DISTINCT j.value) FROM main."      \
	RSQ_IMPRESSIONS " i, json_each(i.items) j WHERE i.model = s.name) * 1.0 / "               \
	"nullif(s.items, 0) AS coverage FROM main." RSQ_STORE                                      \
	" s WHERE s.version = (SELECT max(version) FROM main." RSQ_STORE " WHERE name = s.name)"

/* Policies and their arms' incremental statistics (policy.c). */
#define POLICY_TABLES_SQL                                                                     \
	"CREATE TABLE IF NOT EXISTS main.recsys_policies(name TEXT PRIMARY KEY, "                 \
	"strategy TEXT NOT NULL, options TEXT NOT NULL DEFAULT '{}', owner TEXT, "                \
	"created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')));"              \
	"CREATE TABLE IF NOT EXISTS main.recsys_policy_arms(policy TEXT NOT NULL, "               \
	"arm TEXT NOT NULL, model TEXT NOT NULL, options TEXT NOT NULL DEFAULT '{}', "            \
	"impressions INTEGER NOT NULL DEFAULT 0, rewards REAL NOT NULL DEFAULT 0, "               \
	"PRIMARY KEY(policy, arm))"

static const rsq_migration MIGRATIONS[] = {
	{1, "0.1.0",
	 "CREATE TABLE IF NOT EXISTS main." RSQ_STORE "("
	 "name TEXT NOT NULL, version INTEGER NOT NULL, algorithm TEXT NOT NULL, "
	 "trained_at TEXT NOT NULL, users INTEGER, items INTEGER, interactions INTEGER, "
	 "bytes INTEGER, options TEXT, summary TEXT, blob BLOB, source TEXT, "
	 "PRIMARY KEY(name, version));"
	 "CREATE TABLE IF NOT EXISTS main." RSQ_EVALUATIONS "(name TEXT PRIMARY KEY, "
	 "version INTEGER NOT NULL, evaluated_at TEXT NOT NULL, k INTEGER NOT NULL, "
	 "source TEXT NOT NULL, metrics TEXT NOT NULL)"},
	/* 0.2.0 changed the library only (as pg_recsys--0.1.0--0.2.0.sql) */
	{2, "0.2.0", NULL},
	/* issue 14: the feedback loop's log and views (logged.c, outcomes.c), and
	 * policies with their arms' statistics (policy.c) */
	{3, "0.2.0", LOOP_TABLES_SQL ";" POLICY_TABLES_SQL},
};
#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

/* The schema version of this build. */
int rsq_schema_version(void)
{
	return MIGRATIONS[N_MIGRATIONS - 1].version;
}

/* The file's schema version (0: never migrated); -1 on error. */
static int file_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM main." RSQ_SCHEMA, -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

/* Step 1 also mends a store written before the column `source` existed. */
static int legacy_source_column(sqlite3 *db)
{
	int has = rsq_store_has_source(db);
	if (has != 0)
		return has == 1 ? SQLITE_OK : SQLITE_ERROR;
	return sqlite3_exec(db, "ALTER TABLE main." RSQ_STORE " ADD COLUMN source TEXT", NULL, NULL,
	                    NULL);
}

/* Run one step and record it. */
static int apply(sqlite3 *db, const rsq_migration *m)
{
	int rc = m->sql ? sqlite3_exec(db, m->sql, NULL, NULL, NULL) : SQLITE_OK;
	if (rc == SQLITE_OK && m->version == 1)
		rc = legacy_source_column(db);
	sqlite3_stmt *st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO main." RSQ_SCHEMA " VALUES(?1, ?2, "
		                        "strftime('%Y-%m-%d %H:%M:%f', 'now'))", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_text(st, 2, m->release, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Recreate what a file's recorded schema promises but its tables lack (a
 * store dropped, or replaced by hand with an older shape), then migrate.
 */
int rsq_schema_mend(sqlite3 *db, char **errmsg)
{
	int rc = sqlite3_exec(db, MIGRATIONS[0].sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = legacy_source_column(db);
	if (rc == SQLITE_OK)
		return rsq_schema_migrate(db, errmsg);
	*errmsg = sqlite3_mprintf("cannot create the recsys tables: %s", sqlite3_errmsg(db));
	return SQLITE_ERROR;
}

/*
 * Bring the file's recsys tables to this build's schema (inside the
 * caller's savepoint or transaction: all steps or none). Refuses a file
 * that a newer recsys migrated.
 */
int rsq_schema_migrate(sqlite3 *db, char **errmsg)
{
	int rc = SQLITE_OK;
	int have = file_version(db); /* -1: no table yet (or an error) */
	if (have == rsq_schema_version())
		return SQLITE_OK; /* the usual case: one read, no write */
	if (have < 0) {
		rc = sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS main." RSQ_SCHEMA "("
		                  "version INTEGER PRIMARY KEY, release TEXT NOT NULL, "
		                  "migrated_at TEXT NOT NULL)", NULL, NULL, NULL);
		have = rc == SQLITE_OK ? file_version(db) : -1;
	}
	if (have > rsq_schema_version()) {
		*errmsg = sqlite3_mprintf("this database's recsys tables are at schema version %d, written "
		                          "by a newer recsys; recsys %s knows version %d: upgrade the "
		                          "extension to write to it", have, RS_VERSION,
		                          rsq_schema_version());
		return SQLITE_ERROR;
	}
	for (int i = 0; have >= 0 && rc == SQLITE_OK && i < N_MIGRATIONS; i++)
		if (MIGRATIONS[i].version > have)
			rc = apply(db, &MIGRATIONS[i]);
	if (have >= 0 && rc == SQLITE_OK)
		return SQLITE_OK;
	*errmsg = sqlite3_mprintf("cannot bring the recsys tables to schema version %d: %s",
	                          rsq_schema_version(), sqlite3_errmsg(db));
	return SQLITE_ERROR;
}
