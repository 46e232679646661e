/*
 * policy_admin.c - recsys_create_policy(), recsys_drop_policy() and the
 * table-valued recsys_policy_report(name, confidence), as in pg_recsys:
 *
 *   recsys_create_policy(name, arms, strategy = 'epsilon_greedy', options = '{}')
 *   recsys_drop_policy(name)
 *   recsys_policy_report(name, confidence = 0.95)
 *       -> arm, model, impressions, rewards, rate, lower, upper, p_value,
 *          probability, winner
 *
 * Arms are a JSON object {"a": {"model": "m1"}, "b": {"model": "m2",
 * "options": {...}}}; the JSON is read on the connection's private JSON
 * database (never locked by another writer).
 */
#include "recsys_sqlite.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int rsq_policy_name_taken(sqlite3 *db, const char *name)
{
	if (rsq_table_exists(db, "recsys_policies") != 1)
		return 0;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.recsys_policies WHERE name = ?1", -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The arms of the JSON text into e (names, models, options) with their checks. */
static int read_arms(rsq_ctx *ctx, const char *arms, rsq_policy_entry *e, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	char sarm[RS_SHORT_CAP], sx[RS_SHORT_CAP];
	if (!(st = rsq_json_query(ctx, "SELECT json_valid(?1) AND json_type(?1) = 'object', j.key, j.type, "
	                       "CASE j.type WHEN 'object' THEN json_extract(j.value, '$.model') END, "
	                       "CASE j.type WHEN 'object' THEN json_type(j.value, '$.model') END, "
	                       "CASE j.type WHEN 'object' THEN json_type(j.value, '$.options') END, "
	                       "CASE j.type WHEN 'object' THEN json_extract(j.value, '$.options') END, "
	                       "CASE j.type WHEN 'object' THEN (SELECT min(k.key) FROM json_each(j.value) k "
	                       "  WHERE k.key NOT IN ('model', 'options')) END "
	                       "FROM (SELECT 1) LEFT JOIN json_each(CASE WHEN json_valid(?1) AND "
	                       "json_type(?1) = 'object' THEN ?1 ELSE '{}' END) j ORDER BY j.key", arms)))
		return SQLITE_NOMEM;
	int rc = SQLITE_OK;
	while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		if (!sqlite3_column_int(st, 0)) {
			*errmsg = sqlite3_mprintf("argument \"arms\" must be a JSON object");
			rc = SQLITE_ERROR;
			break;
		}
		const char *arm = (const char *)sqlite3_column_text(st, 1);
		if (!arm)
			break;
		const char *model = (const char *)sqlite3_column_text(st, 3);
		const char *mtype = (const char *)sqlite3_column_text(st, 4);
		const char *otype = (const char *)sqlite3_column_text(st, 5);
		const char *extra = (const char *)sqlite3_column_text(st, 7);
		RSQ_SHORT(sarm, arm);
		if (arm[0] == '\0' || strlen(arm) > RSQ_MAX_NAME || strchr(arm, '/'))
			*errmsg = sqlite3_mprintf("arm name \"%s\" is not valid (1 to %d bytes, no \"/\")",
			                          sarm, RSQ_MAX_NAME);
		else if (!mtype || strcmp(mtype, "text") != 0)
			*errmsg = sqlite3_mprintf("arm \"%s\" must be an object with a \"model\"", sarm);
		else if (extra)
			*errmsg = sqlite3_mprintf("unknown key \"%s\" in arm \"%s\" (an arm takes \"model\" "
			                          "and \"options\")", RSQ_SHORT(sx, extra), sarm);
		else if (otype && strcmp(otype, "object") != 0)
			*errmsg = sqlite3_mprintf("the options of arm \"%s\" must be a JSON object, not %s",
			                          sarm, otype);
		else if (e->n_arms >= RS_POLICY_MAX_ARMS)
			*errmsg = sqlite3_mprintf("a policy has at most %d arms", RS_POLICY_MAX_ARMS);
		else {
			int a = e->n_arms++;
			e->arm[a] = rsq_strdup(arm);
			e->model[a] = rsq_strdup(model);
			e->options[a] = rsq_strdup(otype ? (const char *)sqlite3_column_text(st, 6) : "{}");
			continue;
		}
		rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK && e->n_arms == 0) {
		*errmsg = sqlite3_mprintf("a policy needs 1 to %d arms, got 0", RS_POLICY_MAX_ARMS);
		rc = SQLITE_ERROR;
	}
	return rc;
}

/* Options a strategy takes: seed; epsilon (epsilon_greedy); weights (split). */
static int check_option_keys(rsq_ctx *ctx, const char *strategy, const char *options,
                             char **errmsg)
{
	sqlite3_stmt *st = NULL;
	char skey[RS_SHORT_CAP];
	if (!(st = rsq_json_query(ctx, "SELECT json_valid(?1) AND json_type(?1) = 'object', "
	                               "(SELECT min(key) FROM json_each(CASE WHEN json_valid(?1) THEN ?1 "
	                               "ELSE '{}' END) WHERE key <> 'seed' AND NOT (key = 'epsilon' AND "
	                               "?2 = 'epsilon_greedy') AND NOT (key = 'weights' AND ?2 = 'split'))", options)))
		return SQLITE_NOMEM;
	sqlite3_bind_text(st, 2, strategy, -1, SQLITE_STATIC);
	int rc = SQLITE_OK;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *bad = (const char *)sqlite3_column_text(st, 1);
		if (!sqlite3_column_int(st, 0))
			*errmsg = sqlite3_mprintf("argument \"options\" must be a JSON object");
		else if (bad)
			*errmsg = sqlite3_mprintf("unknown option \"%s\" for strategy %s (epsilon_greedy takes "
			                          "epsilon and seed, thompson seed, split weights and seed)",
			                          RSQ_SHORT(skey, bad), strategy);
		rc = *errmsg ? SQLITE_ERROR : SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Insert the policy and its arms inside one savepoint. */
static int insert_policy(sqlite3 *db, const char *name, const char *strategy, const char *options,
                         const rsq_policy_entry *e, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_exec(db, "SAVEPOINT recsys_policy", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = rsq_schema_migrate(db, errmsg) == SQLITE_OK ? SQLITE_OK : SQLITE_ERROR;
	if (rc == SQLITE_OK && !*errmsg &&
	    (rc = sqlite3_prepare_v2(db, "INSERT INTO main.recsys_policies(name, strategy, options) "
	                             "VALUES(?1, ?2, ?3)", -1, &st, NULL)) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, strategy, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, options, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_finalize(st);
		st = NULL;
	}
	if (rc == SQLITE_OK && !*errmsg)
		rc = sqlite3_prepare_v2(db, "INSERT INTO main.recsys_policy_arms(policy, arm, model, options) "
		                        "VALUES(?1, ?2, ?3, ?4)", -1, &st, NULL);
	for (int a = 0; rc == SQLITE_OK && !*errmsg && a < e->n_arms; a++) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, e->arm[a], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, e->model[a], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, e->options[a], -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK && !*errmsg)
		*errmsg = sqlite3_mprintf("cannot store policy: %s", sqlite3_errmsg(db));
	if (rc == SQLITE_OK)
		return sqlite3_exec(db, "RELEASE recsys_policy", NULL, NULL, NULL);
	sqlite3_exec(db, "ROLLBACK TO recsys_policy; RELEASE recsys_policy", NULL, NULL, NULL);
	return SQLITE_ERROR;
}

static void free_arms(rsq_policy_entry *e)
{
	for (int a = 0; a < e->n_arms; a++) {
		sqlite3_free(e->arm[a]);
		sqlite3_free(e->model[a]);
		sqlite3_free(e->options[a]);
	}
}

/* recsys_create_policy(name, arms, strategy, options) */
void rsq_fn_create_policy(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	static const char *const names[] = {"name", "arms", "strategy", "options"};
	rsq_ctx *ctx = sqlite3_user_data(c);
	sqlite3 *db = sqlite3_context_db_handle(c);
	const char *v[4] = {NULL, NULL, "epsilon_greedy", "{}"};
	char *errmsg = NULL, sname[RS_SHORT_CAP];
	rsq_policy_entry e;
	for (int i = 0; i < argc; i++) {
		v[i] = (const char *)sqlite3_value_text(argv[i]);
		if (!v[i]) {
			rsq_result_errmsg(c, sqlite3_mprintf("argument \"%s\" must not be null", names[i]));
			return;
		}
	}
	memset(&e, 0, sizeof e);
	RSQ_SHORT(sname, v[0]);
	int found = 0;
	sqlite3_int64 version;
	char *trained_at = NULL;
	int rc = rsq_check_model_name(v[0], &errmsg);
	if (rc == SQLITE_OK && rsq_store_exists(db) == 1 &&
	    rsq_store_latest(db, v[0], &found, &version, &trained_at) == SQLITE_OK && found)
		errmsg = sqlite3_mprintf("a model called \"%s\" exists (models and policies share one "
		                         "namespace)", sname);
	else if (rc == SQLITE_OK && rsq_policy_name_taken(db, v[0]) == 1)
		errmsg = sqlite3_mprintf("policy \"%s\" already exists", sname);
	sqlite3_free(trained_at);
	if (!errmsg)
		rc = read_arms(ctx, v[1], &e, &errmsg);
	for (int a = 0; !errmsg && a < e.n_arms; a++) {
		found = 0;
		trained_at = NULL;
		if (rsq_store_exists(db) != 1 ||
		    rsq_store_latest(db, e.model[a], &found, &version, &trained_at) != SQLITE_OK || !found)
			errmsg = rsq_unknown_model_msg(db, e.model[a]);
		sqlite3_free(trained_at);
	}
	if (!errmsg)
		rc = check_option_keys(ctx, v[2], v[3], &errmsg);
	if (!errmsg)
		rc = rsq_policy_setup(ctx, &e, v[2], v[3], &errmsg);
	if (!errmsg)
		rc = insert_policy(db, v[0], v[2], v[3], &e, &errmsg);
	free_arms(&e);
	rsq_policy_cache_clear(ctx);
	if (errmsg || rc != SQLITE_OK)
		rsq_result_errmsg(c, errmsg ? errmsg : sqlite3_mprintf("%s", sqlite3_errmsg(db)));
	else
		sqlite3_result_null(c);
}

/* recsys_drop_policy(name): the policy and its arms' statistics. */
void rsq_fn_drop_policy(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	rsq_ctx *ctx = sqlite3_user_data(c);
	sqlite3 *db = sqlite3_context_db_handle(c);
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	char sname[RS_SHORT_CAP];
	if (!name) {
		rsq_result_errmsg(c, sqlite3_mprintf("argument \"name\" must not be null"));
		return;
	}
	if (rsq_policy_name_taken(db, name) != 1) {
		rsq_result_errmsg(c, sqlite3_mprintf("policy \"%s\" does not exist", RSQ_SHORT(sname, name)));
		return;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_exec(db, "SAVEPOINT recsys_policy", NULL, NULL, NULL);
	const char *sql[2] = {"DELETE FROM main.recsys_policy_arms WHERE policy = ?1",
	                      "DELETE FROM main.recsys_policies WHERE name = ?1"};
	for (int i = 0; rc == SQLITE_OK && i < 2; i++) {
		rc = sqlite3_prepare_v2(db, sql[i], -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		}
		sqlite3_finalize(st);
	}
	rsq_policy_cache_clear(ctx);
	if (rc == SQLITE_OK) {
		sqlite3_exec(db, "RELEASE recsys_policy", NULL, NULL, NULL);
		sqlite3_result_int(c, 1);
		return;
	}
	rsq_result_errmsg(c, sqlite3_mprintf("cannot drop policy: %s", sqlite3_errmsg(db)));
	sqlite3_exec(db, "ROLLBACK TO recsys_policy; RELEASE recsys_policy", NULL, NULL, NULL);
}

/* ---- recsys_policy_report ---- */

typedef struct report_rows {
	rs_arm_report rep[RS_POLICY_MAX_ARMS];
	double prob[RS_POLICY_MAX_ARMS];
	char arm[RS_POLICY_MAX_ARMS][RSQ_MAX_NAME + 1];
	char model[RS_POLICY_MAX_ARMS][RSQ_MAX_NAME + 1];
	int winner;
} report_rows;

static int report_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	(void)k;
	(void)opts;
	const char *name = rsq_arg_text(c, 0, NULL);
	sqlite3_value *cv = c->args[1];
	double confidence = cv ? sqlite3_value_double(cv) : 0.95;
	char *errmsg = NULL, sname[RS_SHORT_CAP];
	rsq_policy_entry *e = NULL;
	rs_error err;
	if (cv && sqlite3_value_numeric_type(cv) != SQLITE_INTEGER &&
	    sqlite3_value_numeric_type(cv) != SQLITE_FLOAT)
		return rsq_cursor_error(c, sqlite3_mprintf("argument \"confidence\" must be a number"));
	int rc = rsq_policy_lookup(c->ctx, name, 1, &e, &errmsg);
	if (rc != SQLITE_OK)
		return rsq_cursor_error(c, errmsg);
	if (!e)
		return rsq_cursor_error(c, sqlite3_mprintf("policy \"%s\" does not exist",
		                                           RSQ_SHORT(sname, name)));
	report_rows *r = sqlite3_malloc64(sizeof *r);
	if (!r)
		return SQLITE_NOMEM;
	memset(r, 0, sizeof *r);
	c->rows = r;
	if (rs_policy_report(e->n_arms, e->pol.impressions, e->pol.rewards, confidence, r->rep,
	                     &r->winner, &err) != RS_OK)
		return rsq_cursor_fail(c, &err);
	for (int a = 0; a < e->n_arms; a++) {
		/* the cache may re-read the entry: the rows keep their own copies */
		snprintf(r->arm[a], sizeof r->arm[a], "%s", e->arm[a]);
		snprintf(r->model[a], sizeof r->model[a], "%s", e->model[a]);
		r->prob[a] = e->pol.prob[a];
	}
	c->n = e->n_arms;
	return SQLITE_OK;
}

static void report_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	report_rows *r = c->rows;
	const rs_arm_report *a = &r->rep[c->pos];
	switch (col) {
	case 0: sqlite3_result_text(ctx, r->arm[c->pos], -1, SQLITE_TRANSIENT); break;
	case 1: sqlite3_result_text(ctx, r->model[c->pos], -1, SQLITE_TRANSIENT); break;
	case 2: sqlite3_result_int64(ctx, (sqlite3_int64)a->impressions); break;
	case 3: sqlite3_result_double(ctx, a->rewards); break;
	case 4: sqlite3_result_double(ctx, a->rate); break;
	case 5: sqlite3_result_double(ctx, a->lower); break;
	case 6: sqlite3_result_double(ctx, a->upper); break;
	case 7:
		if (isnan(a->p_value))
			sqlite3_result_null(ctx);
		else
			sqlite3_result_double(ctx, a->p_value);
		break;
	case 8: sqlite3_result_double(ctx, r->prob[c->pos]); break;
	default: sqlite3_result_int(ctx, c->pos == r->winner); break;
	}
}

const rsq_tvf rsq_policy_report_tvf = {
    .name = "recsys_policy_report",
    .schema = "CREATE TABLE x(arm TEXT, model TEXT, impressions INTEGER, rewards REAL, rate REAL, "
              "lower REAL, upper REAL, p_value REAL, probability REAL, winner INTEGER, "
              "name HIDDEN, confidence HIDDEN)",
    .n_out = 10,
    .args = {{"name", RSQ_ARG_KEY}, {"confidence", RSQ_ARG_NOT_NULL}},
    .compute = report_compute,
    .column = report_column,
};
