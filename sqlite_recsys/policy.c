/*
 * policy.c - policies in SQLite: the per-connection cache of definitions
 * and statistics (main.recsys_policies, main.recsys_policy_arms) and
 * resolve(): what a name recommend() gets serves, a model or a policy's
 * chosen arm (core/policy.c chooses).
 *
 * A cached policy is used as long as the connection's snapshot generation
 * (cache.c: the file's data version and the connection's change count) is
 * the same: nothing stored can have changed. Any write to the file (a
 * logged impression included) makes the next call re-read the policy, a
 * few rows by primary key.
 */
#include "recsys_sqlite.h"

#include <string.h>
#include <time.h>

/* Free one entry's strings. */
static void entry_clear(rsq_policy_entry *e)
{
	for (int a = 0; a < e->n_arms; a++) {
		sqlite3_free(e->arm[a]);
		sqlite3_free(e->model[a]);
		sqlite3_free(e->options[a]);
		e->arm[a] = e->model[a] = e->options[a] = NULL;
	}
	e->n_arms = 0;
	e->exists = 0;
}

void rsq_policy_cache_clear(rsq_ctx *ctx)
{
	while (ctx->policies) {
		rsq_policy_entry *e = ctx->policies;
		ctx->policies = e->next;
		entry_clear(e);
		sqlite3_free(e->name);
		sqlite3_free(e);
	}
}

/* A number at `path` of JSON text (absent: dflt, *given 0); non-numbers are
 * an error. Read on the private JSON connection (never locked). */
static int json_number(rsq_ctx *ctx, const char *json, const char *path, double dflt, double *out,
                       int *given, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	*out = dflt;
	if (given)
		*given = 0;
	if (!(st = rsq_json_query(ctx, "SELECT json_type(?1, ?2), json_extract(?1, ?2)", json))) {
		*errmsg = sqlite3_mprintf("cannot read policy options");
		return SQLITE_ERROR;
	}
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	int rc = SQLITE_OK;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(type, "integer") != 0 && strcmp(type, "real") != 0) {
			*errmsg = sqlite3_mprintf("policy option \"%s\" must be a number", path + 2);
			rc = SQLITE_ERROR;
		} else {
			*out = sqlite3_column_double(st, 1);
			if (given)
				*given = 1;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* The split weights of the entry's arms from options "weights" (*have 0:
 * none given, equal). */
static int json_weights(rsq_ctx *ctx, const char *json, rsq_policy_entry *e, double *w, int *have,
                        char **errmsg)
{
	sqlite3_stmt *st = NULL;
	char sarm[RS_SHORT_CAP];
	*have = 0;
	if (!(st = rsq_json_query(ctx, "SELECT json_type(?1, '$.weights'), key, type, value "
	                               "FROM (SELECT 1) LEFT JOIN json_each(?1, '$.weights') ON "
	                               "json_type(?1, '$.weights') = 'object'", json))) {
		*errmsg = sqlite3_mprintf("cannot read policy options");
		return SQLITE_ERROR;
	}
	for (int a = 0; a < e->n_arms; a++)
		w[a] = -1;
	int rc = SQLITE_OK;
	while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *wtype = (const char *)sqlite3_column_text(st, 0);
		if (!wtype)
			break;
		*have = 1;
		if (strcmp(wtype, "object") != 0) {
			*errmsg = sqlite3_mprintf(
			    "policy option \"weights\" must be an object of arm names and numbers");
			rc = SQLITE_ERROR;
			break;
		}
		const char *key = (const char *)sqlite3_column_text(st, 1);
		const char *type = (const char *)sqlite3_column_text(st, 2);
		for (int a = 0; key && a < e->n_arms; a++)
			if (strcmp(key, e->arm[a]) == 0 && type &&
			    (strcmp(type, "integer") == 0 || strcmp(type, "real") == 0))
				w[a] = sqlite3_column_double(st, 3);
	}
	sqlite3_finalize(st);
	for (int a = 0; rc == SQLITE_OK && *have && a < e->n_arms; a++)
		if (!(w[a] > 0)) {
			*errmsg = sqlite3_mprintf(w[a] < 0 ? "policy option \"weights\" needs a number for arm \"%s\""
			                                   : "split weight of arm \"%s\" must be positive",
			                          RSQ_SHORT(sarm, e->arm[a]));
			rc = SQLITE_ERROR;
		}
	return rc;
}

/* Set up the core policy of an entry whose arms are read: strategy and
 * options (JSON text). With no "seed", calls without a request id draw
 * from a stream seeded per connection. */
int rsq_policy_setup(rsq_ctx *ctx, rsq_policy_entry *e, const char *strategy, const char *options,
                     char **errmsg)
{
	double seed, eps, w[RS_POLICY_MAX_ARMS];
	int seeded = 0, weighted = 0;
	rs_strategy s;
	rs_error err;
	int rc = json_number(ctx, options, "$.seed", 0, &seed, &seeded, errmsg);
	if (rc == SQLITE_OK)
		rc = json_number(ctx, options, "$.epsilon", RS_DEFAULT_EPSILON, &eps, NULL, errmsg);
	if (rc == SQLITE_OK)
		rc = json_weights(ctx, options, e, w, &weighted, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	if (rs_strategy_parse(strategy, &s, &err) != RS_OK ||
	    rs_policy_init(&e->pol, s, e->n_arms, eps, (uint64_t)(int64_t)seed, weighted ? w : NULL,
	                   &err) != RS_OK)
		return rsq_core_fail(&err, errmsg);
	if (!seeded) {
		uint64_t r;
		sqlite3_randomness(sizeof r, &r);
		e->pol.stream ^= r;
	}
	return SQLITE_OK;
}

/* Read the arms' statistics into the entry. */
static int read_stats(sqlite3 *db, rsq_policy_entry *e)
{
	sqlite3_stmt *st = NULL;
	double imp[RS_POLICY_MAX_ARMS] = {0}, rew[RS_POLICY_MAX_ARMS] = {0};
	int rc = sqlite3_prepare_v2(db, "SELECT impressions, rewards FROM main.recsys_policy_arms "
	                            "WHERE policy = ?1 ORDER BY arm", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
	for (int a = 0; a < e->n_arms && (rc = sqlite3_step(st)) == SQLITE_ROW; a++) {
		imp[a] = sqlite3_column_double(st, 0);
		rew[a] = sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	rs_policy_update(&e->pol, imp, rew);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* (Re)read a policy's definition and statistics; e->exists 0 when none. */
static int read_entry(rsq_ctx *ctx, rsq_policy_entry *e, char **errmsg)
{
	sqlite3 *db = ctx->db;
	sqlite3_stmt *st = NULL;
	char *strategy = NULL, *options = NULL;
	/* a re-read continues the draws where they were (not from the seed
	 * again) and keeps Thompson's probabilities until the statistics move */
	rs_policy before = e->pol;
	int had = e->exists;
	entry_clear(e);
	if (rsq_table_exists(db, "recsys_policies") != 1)
		return SQLITE_OK;
	int rc = sqlite3_prepare_v2(db, "SELECT strategy, options FROM main.recsys_policies "
	                            "WHERE name = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			strategy = rsq_strdup((const char *)sqlite3_column_text(st, 0));
			options = rsq_strdup((const char *)sqlite3_column_text(st, 1));
		}
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_OK && strategy)
		rc = sqlite3_prepare_v2(db, "SELECT arm, model, options FROM main.recsys_policy_arms "
		                        "WHERE policy = ?1 ORDER BY arm", -1, &st, NULL);
	if (rc == SQLITE_OK && st) {
		sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
		while (e->n_arms < RS_POLICY_MAX_ARMS && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			int a = e->n_arms++;
			const char *o = (const char *)sqlite3_column_text(st, 2);
			e->arm[a] = rsq_strdup((const char *)sqlite3_column_text(st, 0));
			e->model[a] = rsq_strdup((const char *)sqlite3_column_text(st, 1));
			e->options[a] = o && strcmp(o, "{}") != 0 ? rsq_strdup(o) : NULL;
		}
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		*errmsg = sqlite3_mprintf("cannot read policy: %s", sqlite3_errmsg(db));
	else if (strategy && e->n_arms > 0)
		rc = rsq_policy_setup(ctx, e, strategy, options, errmsg);
	if (rc == SQLITE_OK && strategy && e->n_arms > 0) {
		if (had && before.strategy == e->pol.strategy && before.n_arms == e->pol.n_arms) {
			e->pol.stream = before.stream;
			e->pol.drawn = before.drawn;
			memcpy(e->pol.drawn_impressions, before.drawn_impressions, sizeof before.drawn_impressions);
			memcpy(e->pol.drawn_rewards, before.drawn_rewards, sizeof before.drawn_rewards);
			memcpy(e->pol.prob, before.prob, sizeof before.prob);
		}
		e->exists = 1;
		rc = read_stats(db, e);
	}
	sqlite3_free(strategy);
	sqlite3_free(options);
	return rc;
}

/* The connection's entry for `name`, read again unless the database is
 * unchanged since (ctx->gen; fresh: read it whatever). NULL *out: no such
 * policy. */
int rsq_policy_lookup(rsq_ctx *ctx, const char *name, int fresh, rsq_policy_entry **out,
                      char **errmsg)
{
	rsq_policy_entry *e = ctx->policies;
	*out = NULL;
	while (e && strcmp(e->name, name) != 0)
		e = e->next;
	if (!e) {
		if (!(e = sqlite3_malloc64(sizeof *e)))
			return SQLITE_NOMEM;
		memset(e, 0, sizeof *e);
		if (!(e->name = rsq_strdup(name))) {
			sqlite3_free(e);
			return SQLITE_NOMEM;
		}
		e->gen = ctx->gen - 1;
		e->next = ctx->policies;
		ctx->policies = e;
	}
	if (fresh || e->gen != ctx->gen || !e->read) {
		int rc = read_entry(ctx, e, errmsg);
		if (rc != SQLITE_OK)
			return rc;
		e->gen = ctx->gen;
		e->read = 1;
	}
	*out = e->exists ? e : NULL;
	return SQLITE_OK;
}

/* The caller's options under the arm's: json_patch(arm, caller), the
 * caller's keys winning (sqlite3_mprintf'd). */
static int merge_options(rsq_ctx *ctx, const char *arm, const char *caller, char **out,
                         char **errmsg)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (!caller || strcmp(caller, "{}") == 0) {
		*out = rsq_strdup(arm);
		return *out ? SQLITE_OK : SQLITE_NOMEM;
	}
	if (!(st = rsq_json_query(ctx, "SELECT json_patch(?1, ?2)", arm)))
		return SQLITE_NOMEM;
	sqlite3_bind_text(st, 2, caller, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = rsq_strdup((const char *)sqlite3_column_text(st, 0));
	else
		*errmsg = sqlite3_mprintf("argument \"options\" must be a JSON object");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? (*out ? SQLITE_OK : SQLITE_NOMEM) : SQLITE_ERROR;
}

/*
 * resolve(): a policy named in place of a model chooses an arm for the user
 * (and request id when given); out gets the arm's model, its options under
 * the caller's, the policy, the arm and its propensity. A name that is no
 * policy resolves to itself (out->policy NULL).
 */
int rsq_policy_resolve(rsq_ctx *ctx, const char *name, const char *user, size_t ulen,
                       const char *request, const char *options, rsq_resolved *out,
                       char **errmsg)
{
	rsq_policy_entry *e = NULL;
	memset(out, 0, sizeof *out);
	out->propensity = 1;
	if (!name)
		return SQLITE_OK;
	int rc = rsq_policy_lookup(ctx, name, 0, &e, errmsg);
	if (rc != SQLITE_OK || !e)
		return rc;
	int a = rs_policy_choose(&e->pol, user, ulen, request, request ? strlen(request) : 0,
	                         &out->propensity);
	out->policy = e->name;
	out->arm = e->arm[a];
	out->model = e->model[a];
	if (e->options[a])
		return merge_options(ctx, e->options[a], options, &out->options, errmsg);
	return SQLITE_OK;
}
