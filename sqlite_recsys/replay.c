/*
 * replay.c - the table-valued recsys_replay(policy_or_model, options = '{}')
 *   -> estimator TEXT ('ips', 'snips'), estimate, lower, upper, lists, matched
 *
 * What a policy or model would have earned on the logged impressions
 * (main.recsys_impressions, main.recsys_outcomes): as pg_recsys's
 * recsys_replay, one unit per served list (request id), its reward the sum
 * of its attributed outcomes' values (1 when NULL), core/replay.c's
 * estimators. Options: confidence (0.95), policy (only lists it logged),
 * event (only outcomes of that event), since / until (shown_at text bounds).
 */
#include "recsys_sqlite.h"

#include <math.h>
#include <string.h>

static const char LISTS_SQL[] =
	"SELECT min(i.user_id), min(i.policy), min(i.arm), min(i.model), min(i.propensity), "
	"coalesce(sum((SELECT sum(coalesce(o.value, 1)) FROM main.recsys_outcomes o "
	"  WHERE o.impression_id = i.id AND (?2 IS NULL OR o.event = ?2))), 0) "
	"FROM main.recsys_impressions i WHERE i.propensity IS NOT NULL "
	"AND (?1 IS NULL OR i.policy = ?1) AND (?3 IS NULL OR i.shown_at >= ?3) "
	"AND (?4 IS NULL OR i.shown_at < ?4) GROUP BY i.request_id";

/* The options (JSON text) into confidence and the four bound texts
 * (mprintf'd, NULL when absent); unknown keys are an error. */
static int read_options(rsq_ctx *ctx, const char *json, double *confidence, char **bound,
                        char **errmsg)
{
	static const char *const keys[4] = {"policy", "event", "since", "until"};
	sqlite3_stmt *st = NULL;
	char skey[RS_SHORT_CAP];
	if (!(st = rsq_json_query(ctx, "SELECT json_valid(?1) AND json_type(?1) = 'object', "
	                               "(SELECT min(key) FROM json_each(CASE WHEN json_valid(?1) THEN ?1 "
	                               "ELSE '{}' END) WHERE key NOT IN ('confidence', 'policy', "
	                               "'event', 'since', 'until')), json_type(?1, '$.confidence'), "
	                               "json_extract(?1, '$.confidence'), json_extract(?1, '$.policy'), "
	                               "json_extract(?1, '$.event'), json_extract(?1, '$.since'), "
	                               "json_extract(?1, '$.until')", json)))
		return SQLITE_NOMEM;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *bad = (const char *)sqlite3_column_text(st, 1);
		const char *ctype = (const char *)sqlite3_column_text(st, 2);
		if (!sqlite3_column_int(st, 0))
			*errmsg = sqlite3_mprintf("argument \"options\" must be a JSON object");
		else if (bad)
			*errmsg = sqlite3_mprintf("unknown replay option \"%s\" (recsys_replay takes "
			                          "confidence, policy, event, since and until)",
			                          RSQ_SHORT(skey, bad));
		else if (ctype && strcmp(ctype, "integer") != 0 && strcmp(ctype, "real") != 0)
			*errmsg = sqlite3_mprintf("replay option \"confidence\" must be a number");
		if (ctype)
			*confidence = sqlite3_column_double(st, 3);
		for (int i = 0; !*errmsg && i < 4; i++) {
			const char *v = (const char *)sqlite3_column_text(st, 4 + i);
			if (v && sqlite3_column_type(st, 4 + i) != SQLITE_TEXT)
				*errmsg = sqlite3_mprintf("replay option \"%s\" must be a string", keys[i]);
			bound[i] = v ? rsq_strdup(v) : NULL;
		}
	}
	sqlite3_finalize(st);
	return *errmsg ? SQLITE_ERROR : SQLITE_OK;
}

/* Every logged list into the estimator. */
static int scan_lists(rsq_cursor *c, char **bound, const char *model,
                      const rsq_policy_entry *target, rs_replay *acc)
{
	sqlite3 *db = c->ctx->db;
	sqlite3_stmt *st = NULL;
	rs_error err;
	if (rsq_table_exists(db, "recsys_impressions") != 1 ||
	    rsq_table_exists(db, "recsys_outcomes") != 1)
		return SQLITE_OK; /* nothing was ever logged */
	int rc = sqlite3_prepare_v2(db, LISTS_SQL, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rsq_cursor_error(c, sqlite3_mprintf("recsys_replay: %s", sqlite3_errmsg(db)));
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(st, i + 1, bound[i], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *user = (const char *)sqlite3_column_text(st, 0);
		const char *policy = (const char *)sqlite3_column_text(st, 1);
		const char *arm = (const char *)sqlite3_column_text(st, 2);
		const char *logged = (const char *)sqlite3_column_text(st, 3);
		double t = model ? (logged && strcmp(logged, model) == 0)
		                 : rs_replay_policy_target(&target->pol, target->name,
		                                           (const char *const *)target->arm,
		                                           (const char *const *)target->model, user,
		                                           policy, arm, logged);
		if (rs_replay_add(acc, sqlite3_column_double(st, 4), t, sqlite3_column_double(st, 5),
		                  &err) != RS_OK) {
			sqlite3_finalize(st);
			return rsq_cursor_fail(c, &err);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rsq_cursor_error(c, sqlite3_mprintf("recsys_replay: %s", sqlite3_errmsg(db)));
	return SQLITE_OK;
}

static int replay_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	(void)k;
	(void)opts;
	rsq_ctx *ctx = c->ctx;
	const char *name = rsq_arg_text(c, 0, NULL);
	char *bound[4] = {NULL, NULL, NULL, NULL}, *errmsg = NULL, *trained_at = NULL;
	double confidence = 0.95;
	rsq_policy_entry *target = NULL;
	rs_replay acc;
	rs_error err;
	int found = 0;
	sqlite3_int64 version;
	int rc = read_options(ctx, rsq_arg_text(c, 1, NULL), &confidence, bound, &errmsg);
	if (rc == SQLITE_OK && rsq_store_exists(ctx->db) == 1)
		rc = rsq_store_latest(ctx->db, name, &found, &version, &trained_at);
	sqlite3_free(trained_at);
	if (rc == SQLITE_OK && !found && (rc = rsq_policy_lookup(ctx, name, 1, &target, &errmsg)) ==
	                                     SQLITE_OK && !target)
		errmsg = rsq_unknown_model_msg(ctx->db, name);
	rs_replay_init(&acc);
	if (rc == SQLITE_OK && !errmsg)
		rc = scan_lists(c, bound, found ? name : NULL, target, &acc);
	for (int i = 0; i < 4; i++)
		sqlite3_free(bound[i]);
	if (errmsg)
		return rsq_cursor_error(c, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	rs_replay_result *res = sqlite3_malloc64(sizeof *res);
	if (!res)
		return SQLITE_NOMEM;
	c->rows = res;
	if (rs_replay_finish(&acc, confidence, res, &err) != RS_OK)
		return rsq_cursor_fail(c, &err);
	c->n = 2;
	return SQLITE_OK;
}

/* A double column; NAN (no estimate) is NULL. */
static void result_estimate(sqlite3_context *ctx, double v)
{
	if (isnan(v))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_double(ctx, v);
}

static void replay_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	const rs_replay_result *r = c->rows;
	int ips = c->pos == 0;
	switch (col) {
	case 0: sqlite3_result_text(ctx, ips ? "ips" : "snips", -1, SQLITE_STATIC); break;
	case 1: result_estimate(ctx, ips ? r->ips : r->snips); break;
	case 2: result_estimate(ctx, ips ? r->ips_lower : r->snips_lower); break;
	case 3: result_estimate(ctx, ips ? r->ips_upper : r->snips_upper); break;
	case 4: sqlite3_result_int64(ctx, (sqlite3_int64)r->n); break;
	default: sqlite3_result_int64(ctx, (sqlite3_int64)r->matched); break;
	}
}

const rsq_tvf rsq_replay_tvf = {
    .name = "recsys_replay",
    .schema = "CREATE TABLE x(estimator TEXT, estimate REAL, lower REAL, upper REAL, "
              "lists INTEGER, matched INTEGER, policy_or_model HIDDEN, options HIDDEN)",
    .n_out = 6,
    .args = {{"policy_or_model", RSQ_ARG_KEY}, {"options", RSQ_ARG_NOT_NULL, "{}"}},
    .cost = 1000,
    .compute = replay_compute,
    .column = replay_column,
};
