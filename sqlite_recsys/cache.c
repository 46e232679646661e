/*
 * cache.c - per-connection cache of loaded models (the core models
 * themselves are shared by the connections of a process: shared.c).
 *
 * Serving must not read the store on every call. A snapshot of the main
 * database's data version (SQLITE_FCNTL_DATA_VERSION, which moves on every
 * commit by any connection or process) plus this connection's total change
 * count tells us cheaply that nothing changed since the last check; inside
 * an explicit transaction we always re-check. When the snapshot moved, each
 * model is re-verified once against the store's latest (version, trained_at)
 * and reloaded if a newer version was written.
 *
 * In rollback-journal mode a reader cannot read the file while another
 * connection commits (SQLITE_BUSY without a busy timeout). When that check
 * or reload is what fails and the model is cached, the cached version keeps
 * serving and stays unverified, so a later call checks again and picks up
 * the new version. Only a connection with nothing cached reports the lock.
 */
#include "recsys_sqlite.h"

#include <string.h>

/* Drop a reference; the last one frees the core model. */
void rsq_model_release(rsq_model *m)
{
	if (!m || --m->refs > 0)
		return;
	if (m->shared)
		rsq_shared_release(m->shared);
	else
		rs_model_destroy(&m->m);
	sqlite3_free(m->name);
	sqlite3_free(m->trained_at);
	sqlite3_free(m->source);
	sqlite3_free(m);
}

/*
 * Make the main database's data version current: it moves only when a read
 * transaction starts, and the statement calling us may read nothing of main
 * (the serving functions live in temp, recsys_ext.c). Without a transaction
 * open on main, a one-row PRAGMA (*probe, prepared once per table) starts
 * one, which lasts as long as the calling statement. Returns SQLite's code:
 * SQLITE_BUSY while another connection commits (rollback journal).
 */
static int start_read(sqlite3 *db, sqlite3_stmt **probe)
{
	if (sqlite3_txn_state(db, "main") != SQLITE_TXN_NONE)
		return SQLITE_OK;
	int rc = *probe ? SQLITE_OK
	                : sqlite3_prepare_v3(db, "PRAGMA main.data_version", -1,
	                                     SQLITE_PREPARE_PERSISTENT, probe, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(*probe);
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_reset(*probe);
	}
	return rc;
}

/* Bump the generation when the database may have changed since last time.
 * Returns 1 when main is locked by another connection for now: nothing can
 * be verified, and the next call starts a new generation. */
static int refresh_snapshot(rsq_ctx *ctx, sqlite3_stmt **probe)
{
	if (rsq_is_locked(start_read(ctx->db, probe))) {
		ctx->snap_valid = 0;
		return 1;
	}
	unsigned dv = 0;
	sqlite3_int64 tc = sqlite3_total_changes64(ctx->db);
	int have_dv =
	    sqlite3_file_control(ctx->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv) == SQLITE_OK;
	if (ctx->snap_valid && have_dv && sqlite3_get_autocommit(ctx->db) &&
	    dv == ctx->data_version && tc == ctx->total_changes)
		return 0;
	ctx->gen++;
	/* inside an explicit transaction nothing is trusted: a ROLLBACK may undo
	 * what we see now without moving either counter */
	ctx->snap_valid = have_dv && sqlite3_get_autocommit(ctx->db);
	ctx->data_version = dv;
	ctx->total_changes = tc;
	return 0;
}

int rsq_cache_snapshot(rsq_ctx *ctx, sqlite3_stmt **probe)
{
	return refresh_snapshot(ctx, probe);
}

/* The cache entry of a model name, or NULL. */
static rsq_model *find_entry(rsq_ctx *ctx, const char *name)
{
	for (rsq_model *m = ctx->models; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* Remove an entry from the list and drop the cache's reference. */
static void unlink_entry(rsq_ctx *ctx, rsq_model *m)
{
	for (rsq_model **pp = &ctx->models; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			m->next = NULL;
			rsq_model_release(m);
			return;
		}
	}
}

/* The error of a locked store when nothing is cached to serve instead. */
static char *locked_msg(const char *name)
{
	char sname[RS_SHORT_CAP];
	if (!name)
		return sqlite3_mprintf(
		    "database is locked: the model store cannot be read while another connection "
		    "writes (use PRAGMA journal_mode = WAL, where readers do not wait for writers, or "
		    "set a busy timeout, e.g. PRAGMA busy_timeout = 5000)");
	return sqlite3_mprintf(
	    "database is locked: model \"%s\" cannot be loaded while another connection writes "
	    "(use PRAGMA journal_mode = WAL, where readers do not wait for writers, or set a busy "
	    "timeout, e.g. PRAGMA busy_timeout = 5000)",
	    rs_shorten(name, (size_t)-1, sname, sizeof sname));
}

/* Model name for a NULL argument: the connection default, else the only
 * stored model (cached for the current generation; while the store is
 * locked, the last one found if it is still cached). */
static int resolve_default(rsq_ctx *ctx, int locked, const char **name, char **errmsg)
{
	if (ctx->default_model) {
		*name = ctx->default_model;
		return SQLITE_OK;
	}
	if (ctx->sole_model && ctx->sole_gen == ctx->gen) {
		*name = ctx->sole_model;
		return SQLITE_OK;
	}
	int count = 0;
	char *first = NULL;
	int rc = locked ? SQLITE_BUSY : rsq_store_count_names(ctx->db, &count, &first);
	if (rc != SQLITE_OK && rsq_is_locked(rc) && ctx->sole_model &&
	    find_entry(ctx, ctx->sole_model)) {
		*name = ctx->sole_model; /* sole_gen stays old: a later call counts again */
		return SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		*errmsg = rsq_is_locked(rc) ? locked_msg(NULL)
		                            : sqlite3_mprintf("%s", sqlite3_errmsg(ctx->db));
		return rc;
	}
	if (count == 1) {
		sqlite3_free(ctx->sole_model);
		ctx->sole_model = first;
		ctx->sole_gen = ctx->gen;
		*name = first;
		return SQLITE_OK;
	}
	sqlite3_free(first);
	if (count == 0) {
		*errmsg = sqlite3_mprintf("no model exists (train one with recsys_train())");
	} else {
		char *names = rsq_store_names(ctx->db);
		*errmsg =
		    sqlite3_mprintf("no model given and %d models exist (existing models: %s; "
		                    "pass the model name, or call recsys_set_default_model())",
		                    count, names ? names : "?");
		sqlite3_free(names);
	}
	return SQLITE_ERROR;
}

/* Load the latest version of `name` into a new cache entry. */
static int load_entry(rsq_ctx *ctx, const char *name, sqlite3_int64 version, char *trained_at,
                      rsq_model **out, char **errmsg)
{
	rsq_model *m = sqlite3_malloc64(sizeof *m);
	if (!m) {
		sqlite3_free(trained_at);
		return SQLITE_NOMEM;
	}
	memset(m, 0, sizeof *m);
	m->refs = 1;
	m->version = version;
	m->trained_at = trained_at;
	m->name = rsq_strdup(name);
	int rc = m->name ? rsq_shared_load(ctx->db, name, version, trained_at, &m->m, &m->shared, errmsg)
	                 : SQLITE_NOMEM;
	/* the source (fresh users, sessions) once per load: it is stored after the blob */
	if (rc == SQLITE_OK)
		rc = rsq_store_source(ctx->db, name, &m->source, errmsg);
	if (rc != SQLITE_OK) {
		rsq_model_release(m);
		return rc;
	}
	m->verified_gen = ctx->gen;
	m->next = ctx->models;
	ctx->models = m;
	*out = m;
	return SQLITE_OK;
}

/* Make sure the entry for `name` holds the latest stored version; while
 * the store is locked (`locked`: known to be), the cached entry as it is,
 * left unverified. */
static int verify_entry(rsq_ctx *ctx, const char *name, int locked, rsq_model **out,
                        char **errmsg)
{
	rsq_model *m = find_entry(ctx, name);
	if (m && (m->verified_gen == ctx->gen || locked)) {
		*out = m;
		return SQLITE_OK;
	}
	if (locked) {
		*errmsg = locked_msg(name);
		return SQLITE_BUSY;
	}
	int found = 0;
	sqlite3_int64 version = 0;
	char *trained_at = NULL;
	int rc = rsq_store_latest(ctx->db, name, &found, &version, &trained_at);
	if (rc != SQLITE_OK && m && rsq_is_locked(rc)) {
		*out = m;
		return SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		*errmsg = rsq_is_locked(rc) ? locked_msg(name)
		                            : sqlite3_mprintf("%s", sqlite3_errmsg(ctx->db));
		return rc;
	}
	if (!found) {
		if (m)
			unlink_entry(ctx, m);
		*errmsg = rsq_unknown_model_msg(ctx->db, name);
		return SQLITE_ERROR;
	}
	if (m && m->version == version && strcmp(m->trained_at, trained_at) == 0) {
		sqlite3_free(trained_at);
		m->verified_gen = ctx->gen;
		*out = m;
		return SQLITE_OK;
	}
	/* load the new version before letting go of the old one, which keeps
	 * serving if the store is locked halfway */
	rsq_model *loaded = NULL;
	rc = load_entry(ctx, name, version, trained_at, &loaded, errmsg);
	if (rc != SQLITE_OK && m && rsq_is_locked(rc)) {
		sqlite3_free(*errmsg);
		*errmsg = NULL;
		*out = m;
		return SQLITE_OK;
	}
	if (rc != SQLITE_OK && rsq_is_locked(rc)) {
		sqlite3_free(*errmsg);
		*errmsg = locked_msg(name);
	}
	if (m)
		unlink_entry(ctx, m);
	*out = loaded;
	return rc;
}

/* Resolve, verify and return a model with a new reference. */
int rsq_cache_get(rsq_ctx *ctx, sqlite3_stmt **probe, const char *name, rsq_model **out,
                  char **errmsg)
{
	*out = NULL;
	int locked = refresh_snapshot(ctx, probe);
	if (!name) {
		int rc = resolve_default(ctx, locked, &name, errmsg);
		if (rc != SQLITE_OK)
			return rc;
	}
	/* name is the caller's text, the default or the sole model name: never
	 * an entry's own name, which verify_entry may free */
	rsq_model *m = NULL;
	int rc = verify_entry(ctx, name, locked, &m, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	m->refs++;
	*out = m;
	return SQLITE_OK;
}

/* Forget a model (after it was dropped on this connection). */
void rsq_cache_forget(rsq_ctx *ctx, const char *name)
{
	rsq_model *m = find_entry(ctx, name);
	if (m)
		unlink_entry(ctx, m);
	ctx->snap_valid = 0;
}

/* Release every cached model. */
void rsq_cache_clear(rsq_ctx *ctx)
{
	while (ctx->models)
		unlink_entry(ctx, ctx->models);
}
