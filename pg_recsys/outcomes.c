/*
 * outcomes.c - recsys_record_outcome(user_id, item_id, event, value,
 * request_id, options): record what a user did (click, purchase, enrol,
 * any event name, an optional value) and attribute it to the impression
 * that led to it: the served list of the request holding that item when
 * the application passes its request id, else the user's latest list
 * within options.window (default 24 hours) holding the item. The outcome
 * records the list (impression_id) and the item's rank in it. Returns the
 * impression id, or NULL when none matches (the outcome is kept all the
 * same, unattributed).
 *
 * Attributing to an impression of a model needs USAGE on that model. When
 * the impression was served by a policy, the outcome is the reward of its
 * arm: recsys.policy_arms.rewards grows by the value (1 when NULL), the
 * incremental statistics the policy chooses from.
 */
#include "pg_recsys.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

static SPIPlanPtr by_request_plan = NULL;
static SPIPlanPtr by_user_plan = NULL;
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr reward_plan = NULL;

#define RS_DEFAULT_WINDOW "24 hours"

/* The attribution window of the options: {"window": "2 hours" | seconds}. */
static Datum
RsOutcomeWindow(Jsonb *options)
{
	const rs_opt *root = RsOptionsFromJsonb(options, "options");
	const rs_opt *w = NULL;

	for (size_t i = 0; root != NULL && i < root->n_children; i++)
	{
		const rs_opt *o = &root->children[i];

		if (strcmp(o->key, "window") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\" of recsys_record_outcome()", RsShort(o->key)),
					 errhint("Its option is \"window\": how far back an impression is "
							 "attributed (an interval such as '2 hours', or seconds).")));
		w = o;
	}
	if (w == NULL)
		return DirectFunctionCall3(interval_in, CStringGetDatum(RS_DEFAULT_WINDOW),
								   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	if (w->kind == RS_OPT_NUMBER && w->number >= 0)
	{
		Interval   *iv = palloc0(sizeof(Interval));

		iv->time = (TimeOffset) (w->number * USECS_PER_SEC);
		return IntervalPGetDatum(iv);
	}
	if (w->kind == RS_OPT_STRING)
		return DirectFunctionCall3(interval_in, CStringGetDatum(w->string),
								   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"window\" must be an interval text such as '2 hours' or a number "
					"of seconds, not negative")));
}

/* The attributed impression: id, rank, model, policy and arm. */
typedef struct RsImpression
{
	int64		id;
	int32		rank;
	char	   *model;
	char	   *policy;
	char	   *arm;
} RsImpression;

static char *
RsColumnText(int col)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
}

/* Find the impression (SPI connected, as the store owner). */
static bool
RsFindImpression(Datum user, bool user_null, Datum item, Datum request, bool request_null,
				 Datum window, RsImpression *imp)
{
	Oid			types[3] = {TEXTOID, TEXTOID, INTERVALOID};
	Datum		values[3];

	if (!request_null)
	{
		if (by_request_plan == NULL)
			by_request_plan = RsPreparePlan(
				"SELECT id, model, policy, arm, pg_catalog.array_position(items, $2)"
				" FROM recsys.impressions WHERE request_id = $1 AND $2 = ANY (items)"
				" ORDER BY id DESC LIMIT 1", 2, types);
		values[0] = request;
		values[1] = item;
		if (SPI_execute_plan(by_request_plan, values, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "recsys: reading impressions failed");
	}
	else if (!user_null)
	{
		if (by_user_plan == NULL)
			by_user_plan = RsPreparePlan("SELECT id, model, policy, arm,"
										 " pg_catalog.array_position(items, $2)"
										 " FROM recsys.impressions"
										 " WHERE user_id = $1 AND $2 = ANY (items)"
										 " AND shown_at >= pg_catalog.now() - $3"
										 " ORDER BY shown_at DESC, id DESC LIMIT 1", 3, types);
		values[0] = user;
		values[1] = item;
		values[2] = window;
		if (SPI_execute_plan(by_user_plan, values, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "recsys: reading impressions failed");
	}
	else
		return false;
	if (SPI_processed == 0)
		return false;
	imp->id = DatumGetInt64(DirectFunctionCall1(int8in, CStringGetDatum(RsColumnText(1))));
	imp->model = RsColumnText(2);
	imp->policy = RsColumnText(3);
	imp->arm = RsColumnText(4);
	imp->rank = pg_strtoint32(RsColumnText(5));
	return true;
}

/* Insert the outcome and reward the arm (SPI connected, as the store owner). */
static void
RsInsertOutcome(FunctionCallInfo fcinfo, const RsImpression *imp, bool found)
{
	Oid			types[7] = {TEXTOID, TEXTOID, TEXTOID, FLOAT8OID, TEXTOID, INT8OID, INT4OID};
	Datum		values[7];
	char		nulls[7];

	for (int i = 0; i < 5; i++)
	{
		values[i] = PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	values[5] = Int64GetDatum(imp->id);
	nulls[5] = found ? ' ' : 'n';
	values[6] = Int32GetDatum(imp->rank);
	nulls[6] = nulls[5];
	if (insert_plan == NULL)
		insert_plan = RsPreparePlan("INSERT INTO recsys.outcomes (user_id, item_id, event, value,"
									" request_id, impression_id, rank)"
									" VALUES ($1, $2, $3, $4, $5, $6, $7)",
									7, types);
	if (SPI_execute_plan(insert_plan, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "recsys: recording the outcome failed");
	if (found && imp->policy != NULL && imp->arm != NULL)
	{
		Oid			rtypes[3] = {TEXTOID, TEXTOID, FLOAT8OID};
		Datum		rvalues[3] = {CStringGetTextDatum(imp->policy), CStringGetTextDatum(imp->arm),
		Float8GetDatum(PG_ARGISNULL(3) ? 1.0 : PG_GETARG_FLOAT8(3))};

		if (reward_plan == NULL)
			reward_plan = RsPreparePlan("UPDATE recsys.policy_arms SET rewards = rewards + $3"
										" WHERE policy = $1 AND arm = $2", 3, rtypes);
		if (SPI_execute_plan(reward_plan, rvalues, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "recsys: rewarding the policy's arm failed");
	}
}

PG_FUNCTION_INFO_V1(recsys_record_outcome);

/* recsys_record_outcome(user_id, item_id, event, value, request_id, options) */
Datum
recsys_record_outcome(PG_FUNCTION_ARGS)
{
	RsImpression imp = {0};
	RsRoleSwitch rs;
	Datum		window;
	bool		found;
	const RsModelAcl *acl;

	RsCheckWritable("recsys_record_outcome()", "Record outcomes on the primary.");
	RsCheckNotNull(fcinfo, 1, "item_id");
	RsCheckNotNull(fcinfo, 2, "event");
	RsCheckNotNull(fcinfo, 5, "options");
	if (VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(2)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"event\" must not be empty"),
				 errhint("Name what happened: 'click', 'purchase', ...")));
	if (!PG_ARGISNULL(3) && isnan(PG_GETARG_FLOAT8(3)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"value\" must be a number, not NaN")));
	window = RsOutcomeWindow(PG_GETARG_JSONB_P(5));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RsStoreEnter(&rs);
	found = RsFindImpression(PG_GETARG_DATUM(0), PG_ARGISNULL(0), PG_GETARG_DATUM(1),
							 PG_GETARG_DATUM(4), PG_ARGISNULL(4), window, &imp);
	RsRestoreRole(&rs);
	/* the caller's rights, not the owner's: an impression of a model one may not use is not one's to reward */
	if (found && imp.model != NULL && (acl = RsCacheModelAcl(imp.model)) != NULL &&
		!RsAclAllows(acl, RS_PRIV_USAGE))
		RsCheckModelPrivilege(imp.model, RS_PRIV_USAGE, "use");
	RsStoreEnter(&rs);
	RsInsertOutcome(fcinfo, &imp, found);
	RsRestoreRole(&rs);
	SPI_finish();
	if (!found)
		PG_RETURN_NULL();
	PG_RETURN_INT64(imp.id);
}
