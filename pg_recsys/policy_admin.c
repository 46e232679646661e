/*
 * policy_admin.c - recsys_create_policy(), recsys_drop_policy() and
 * recsys_policy_report(): defining policies and reading their experiment.
 * Policies are owned like models: the creator owns one and may drop it;
 * creating and using one needs USAGE on every arm's model.
 */
#include "pg_recsys.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include <math.h>

#include "policy.h"

/* Run a statement on the policy tables as the store owner; rows processed. */
static uint64
RsPolicyExec(const char *sql, int nargs, Oid *types, Datum *values, int expect)
{
	RsRoleSwitch rs;
	int			rc;

	RsStoreEnter(&rs);
	rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	RsRestoreRole(&rs);
	if (rc != expect)
		elog(ERROR, "recsys: policy statement failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

/* The text of column col of row r of the last SPI result (NULL: SQL NULL). */
static char *
RsCol(int r, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, col);
}

PG_FUNCTION_INFO_V1(recsys_create_policy);

/*
 * recsys_create_policy(name, arms, strategy, options): arms is an object
 * {"a": {"model": "m1"}, "b": {"model": "m2", "options": {...}}}.
 */
Datum
recsys_create_policy(PG_FUNCTION_ARGS)
{
	char	   *name;
	Jsonb	   *arms;
	char	   *strategy;
	Jsonb	   *options;
	Oid			types[6] = {TEXTOID, JSONBOID, TEXTOID, JSONBOID, NAMEOID, TEXTOID};
	Datum		values[6];
	char	  **arm_names;
	int			n;

	RsCheckNotNull(fcinfo, 0, "name");
	RsCheckNotNull(fcinfo, 1, "arms");
	RsCheckNotNull(fcinfo, 2, "strategy");
	RsCheckNotNull(fcinfo, 3, "options");
	PreventCommandIfReadOnly("recsys_create_policy()");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	arms = PG_GETARG_JSONB_P(1);
	strategy = text_to_cstring(PG_GETARG_TEXT_PP(2));
	options = PG_GETARG_JSONB_P(3);
	RsCheckModelName(name);
	RsOptionsFromJsonb(arms, "arms");	/* an object */
	if (RsCacheModelAcl(name) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("a model called \"%s\" exists", RsShort(name)),
				 errdetail("Models and policies share one namespace.")));
	if (RsPolicyExists(name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("policy \"%s\" already exists", RsShort(name))));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[1] = JsonbPGetDatum(arms);
	if (SPI_execute_with_args("SELECT key, jsonb_typeof(value), value->>'model',"
							  " jsonb_typeof(value->'options'),"
							  " (SELECT min(k) FROM jsonb_object_keys(CASE jsonb_typeof(value)"
							  "   WHEN 'object' THEN value ELSE '{}' END) k"
							  "   WHERE k NOT IN ('model', 'options'))"
							  " FROM pg_catalog.jsonb_each($1) ORDER BY key COLLATE \"C\"",
							  1, types + 1, values + 1, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading the arms failed");
	n = (int) SPI_processed;
	arm_names = palloc(sizeof(char *) * Max(n, 1));
	for (int a = 0; a < n; a++)
	{
		char	   *arm = RsCol(a, 1);
		char	   *model = RsCol(a, 3);
		char	   *otype = RsCol(a, 4);
		char	   *extra = RsCol(a, 5);

		arm_names[a] = arm;
		if (arm[0] == '\0' || strlen(arm) >= NAMEDATALEN || strchr(arm, '/') != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("arm name \"%s\" is not valid", RsShort(arm)),
					 errdetail("Arm names are 1 to %d bytes long and hold no \"/\".", NAMEDATALEN - 1)));
		if (strcmp(RsCol(a, 2), "object") != 0 || model == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("arm \"%s\" must be an object with a \"model\"", RsShort(arm)),
					 errhint("For example: {\"a\": {\"model\": \"m1\"}, \"b\": {\"model\": \"m2\", \"options\": {\"diversity\": 0.3}}}.")));
		if (extra != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown key \"%s\" in arm \"%s\"", RsShort(extra), RsShort(arm)),
					 errhint("An arm takes \"model\" and \"options\".")));
		if (otype != NULL && strcmp(otype, "object") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the options of arm \"%s\" must be a JSON object, not %s",
							RsShort(arm), otype)));
		RsCheckModelPrivilege(model, RS_PRIV_USAGE, "use");
	}
	RsPolicyCheckDefinition(strategy, options, n, arm_names);
	values[0] = CStringGetTextDatum(name);
	values[2] = CStringGetTextDatum(strategy);
	values[3] = JsonbPGetDatum(options);
	values[4] = DirectFunctionCall1(namein, CStringGetDatum(RsCurrentRoleName()));
	RsPolicyExec("INSERT INTO recsys.policies (name, strategy, options, owner)"
				 " VALUES ($1, $3, $4, $5)", 5, types, values, SPI_OK_INSERT);
	RsPolicyExec("INSERT INTO recsys.policy_arms (policy, arm, model, options)"
				 " SELECT $1, key, value->>'model', coalesce(value->'options', '{}')"
				 " FROM pg_catalog.jsonb_each($2)", 2, types, values, SPI_OK_INSERT);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(recsys_drop_policy);

/* recsys_drop_policy(name): delete a policy and its statistics; owner only. */
Datum
recsys_drop_policy(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char	   *name;
	char	   *owner;

	RsCheckNotNull(fcinfo, 0, "name");
	PreventCommandIfReadOnly("recsys_drop_policy()");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	values[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (RsPolicyExec("SELECT owner::text FROM recsys.policies WHERE name = $1 FOR UPDATE",
					 1, types, values, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("policy \"%s\" does not exist", RsShort(name))));
	owner = RsCol(0, 1);
	if (!RsHoldsRole(owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of policy \"%s\" to drop it", RsShort(name)),
				 errdetail("Policy \"%s\" is owned by role %s.", RsShort(name),
						   quote_identifier(owner))));
	RsPolicyExec("DELETE FROM recsys.policies WHERE name = $1", 1, types, values, SPI_OK_DELETE);
	SPI_finish();
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(recsys_policy_report);

/*
 * recsys_policy_report(name, confidence): one row per arm: its statistics
 * as stored now, rate, Wilson interval, the one-sided p-value against the
 * best arm, the probability the policy now chooses it, and whether it is
 * the experiment's winner at that confidence (core/policy_report.c).
 */
Datum
recsys_policy_report(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char **arms;
	const char **models;
	const double *prob;
	rs_policy  *pol;
	rs_arm_report rep[RS_POLICY_MAX_ARMS];
	rs_error	err;
	int			winner;
	int			n;

	RsCheckNotNull(fcinfo, 0, "name");
	RsCheckNotNull(fcinfo, 1, "confidence");
	n = RsPolicyArms(text_to_cstring(PG_GETARG_TEXT_PP(0)), &arms, &models, &prob, &pol);
	if (rs_policy_report(n, pol->impressions, pol->rewards, PG_GETARG_FLOAT8(1), rep,
						 &winner, &err) != RS_OK)
		RsReportError(&err);
	RsInitSRF(fcinfo);
	for (int a = 0; a < n; a++)
	{
		Datum		v[10];
		bool		nulls[10] = {0};

		v[0] = CStringGetTextDatum(arms[a]);
		v[1] = CStringGetTextDatum(models[a]);
		v[2] = Int64GetDatum((int64) rep[a].impressions);
		v[3] = Float8GetDatum(rep[a].rewards);
		v[4] = Float8GetDatum(rep[a].rate);
		v[5] = Float8GetDatum(rep[a].lower);
		v[6] = Float8GetDatum(rep[a].upper);
		v[7] = Float8GetDatum(rep[a].p_value);
		nulls[7] = isnan(rep[a].p_value);
		v[8] = Float8GetDatum(prob[a]);
		v[9] = BoolGetDatum(a == winner);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}
