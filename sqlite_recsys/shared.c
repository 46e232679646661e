/*
 * shared.c - one loaded copy of each stored model version per process.
 *
 * Connections of one process that serve the same version of a model from
 * the same database file share one core model: a process-wide list, keyed
 * by the file's device and inode, the model name, version, training time
 * and blob length, holds each loaded model with a count of the connection
 * caches using it (cache.c); the last one to let go frees it. The first
 * connection loads under the list's mutex, so others asking for the same
 * version meanwhile wait and reuse it. In-memory and temporary databases
 * (no file) keep private copies. Across processes each process loads its
 * own copy (README "Memory: one copy per server").
 */
#include "recsys_sqlite.h"

#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

typedef struct rsq_shared {
	char *key;
	rs_model *m;
	int refs;
	struct rsq_shared *next;
} rsq_shared;

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static rsq_shared *shared_list = NULL;

/* The key of one stored version, or NULL when it cannot be shared (no
 * file, no row) or memory ran out. */
static char *version_key(sqlite3 *db, const char *name, sqlite3_int64 version,
                         const char *trained_at)
{
	const char *file = sqlite3_db_filename(db, "main");
	struct stat st;
	if (!file || !file[0] || stat(file, &st) != 0)
		return NULL;
	sqlite3_stmt *q = NULL;
	sqlite3_int64 len = -1;
	if (sqlite3_prepare_v2(db,
	                       "SELECT length(blob) FROM main." RSQ_STORE
	                       " WHERE name = ?1 AND version = ?2",
	                       -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, version);
		if (sqlite3_step(q) == SQLITE_ROW)
			len = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	if (len < 0)
		return NULL;
	return sqlite3_mprintf("%llu:%llu\n%s\n%lld\n%s\n%lld", (unsigned long long)st.st_dev,
	                       (unsigned long long)st.st_ino, name, (long long)version,
	                       trained_at ? trained_at : "", (long long)len);
}

int rsq_shared_load(sqlite3 *db, const char *name, sqlite3_int64 version, const char *trained_at,
                    rs_model **out, rsq_shared **shared, char **errmsg)
{
	*out = NULL;
	*shared = NULL;
	char *key = version_key(db, name, version, trained_at);
	if (!key)
		return rsq_store_load(db, name, version, out, errmsg);
	int rc = SQLITE_OK;
	pthread_mutex_lock(&shared_lock);
	rsq_shared *s = shared_list;
	while (s && strcmp(s->key, key) != 0)
		s = s->next;
	if (s) {
		sqlite3_free(key);
	} else if (!(s = sqlite3_malloc64(sizeof *s))) {
		sqlite3_free(key);
		rc = SQLITE_NOMEM;
	} else {
		memset(s, 0, sizeof *s);
		s->key = key;
		rc = rsq_store_load(db, name, version, &s->m, errmsg);
		if (rc == SQLITE_OK) {
			s->next = shared_list;
			shared_list = s;
		} else {
			sqlite3_free(key);
			sqlite3_free(s);
			s = NULL;
		}
	}
	if (s) {
		s->refs++;
		*out = s->m;
		*shared = s;
	}
	pthread_mutex_unlock(&shared_lock);
	return rc;
}

void rsq_shared_release(rsq_shared *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&shared_lock);
	int last = --s->refs == 0;
	if (last)
		for (rsq_shared **pp = &shared_list; *pp; pp = &(*pp)->next)
			if (*pp == s) {
				*pp = s->next;
				break;
			}
	pthread_mutex_unlock(&shared_lock);
	if (last) {
		rs_model_destroy(&s->m);
		sqlite3_free(s->key);
		sqlite3_free(s);
	}
}
