/*
 * logged.c - recommend_logged(user_id, k, model, options, request_id):
 * recommend()'s rows, returned with the request id and recorded in the
 * same statement as one impression (recsys.impressions): one row per
 * served list, its items and scores as arrays in rank order.
 *
 * The row is written through SPI as the extension owner (RsStoreEnter),
 * with one prepared INSERT: one heap row and its index entries per call,
 * which keeps serve+log close to serve alone. A list served by a policy also counts
 * one pull of its arm (recsys.policy_arms.impressions). Writing is refused
 * in a read-only transaction and on a standby, with a hint to use
 * recommend(), which serves the same rows without logging.
 */
#include "pg_recsys.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr pull_plan = NULL;

/* Error 25006 unless this transaction may write (what: the function). */
void
RsCheckWritable(const char *what, const char *hint)
{
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot run %s in a read-only transaction%s", what,
						RecoveryInProgress() ? " (this server is a standby)" : ""),
				 errhint("%s", hint)));
}

/* A new request id: a random (version 4) UUID as text. */
static text *
RsNewRequestId(void)
{
	uint8		b[16];
	char		buf[37];
	int			pos = 0;

	if (!pg_strong_random(b, sizeof(b)))
		elog(ERROR, "could not generate a random request id");
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (int i = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[pos++] = '-';
		snprintf(buf + pos, 3, "%02x", b[i]);
		pos += 2;
	}
	return cstring_to_text_with_len(buf, pos);
}

/* Insert the served list as one impression, as the extension owner. */
static void
RsLogImpressions(const RsKeyCall *c, const rs_reco *rows, text *request_id)
{
	Datum	   *items = palloc(sizeof(Datum) * Max(c->n, 1));
	Datum	   *scores = palloc(sizeof(Datum) * Max(c->n, 1));
	Oid			types[9] = {TEXTOID, TEXTOID, TEXTARRAYOID, FLOAT4ARRAYOID, TEXTOID, INT4OID,
	TEXTOID, TEXTOID, FLOAT4OID};
	Datum		values[9];
	char		nulls[9] = "         ";
	RsRoleSwitch rs;

	if (c->n == 0)
		return;
	for (int i = 0; i < c->n; i++)
	{
		size_t		len;
		const char *id = rs_model_item_id(c->m, rows[i].item, &len);

		items[i] = PointerGetDatum(cstring_to_text_with_len(id, (int) len));
		scores[i] = Float4GetDatum(rows[i].score);
	}
	values[0] = PointerGetDatum(request_id);
	values[1] = PointerGetDatum(c->key);
	values[2] = PointerGetDatum(construct_array(items, c->n, TEXTOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(scores, c->n, FLOAT4OID, 4, true, TYPALIGN_INT));
	values[4] = CStringGetTextDatum(c->name);
	values[5] = Int32GetDatum(RsCacheModelVersion(c->name));
	values[6] = c->policy ? CStringGetTextDatum(c->policy) : (Datum) 0;
	values[7] = c->arm ? CStringGetTextDatum(c->arm) : (Datum) 0;
	values[8] = Float4GetDatum(c->propensity);
	if (c->policy == NULL)
		nulls[6] = nulls[7] = nulls[8] = 'n';
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RsStoreEnter(&rs);
	if (insert_plan == NULL)
		insert_plan = RsPreparePlan(
			"INSERT INTO recsys.impressions (request_id, user_id, items, scores,"
			" model, model_version, policy, arm, propensity)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			9, types);
	if (SPI_execute_plan(insert_plan, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "recsys: recording impressions failed");
	if (c->policy != NULL)
	{
		/* one served list is one pull of the arm */
		if (pull_plan == NULL)
			pull_plan = RsPreparePlan(
				"UPDATE recsys.policy_arms SET impressions = impressions + 1"
				" WHERE policy = $1 AND arm = $2", 2, types + 6);
		if (SPI_execute_plan(pull_plan, values + 6, nulls + 6, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "recsys: counting the arm's impression failed");
	}
	RsRestoreRole(&rs);
	SPI_finish();
}

PG_FUNCTION_INFO_V1(recommend_logged);

/* recommend_logged(user_id, k, model, options, request_id) */
Datum
recommend_logged(PG_FUNCTION_ARGS)
{
	RsKeyCall	c;
	const rs_reco *rows;
	text	   *request_id;
	Datum		rid;

	RsCheckWritable("recommend_logged()",
					"Use recommend() to serve without recording impressions; "
					"record them where the transaction can write (the primary).");
	request_id = PG_ARGISNULL(4) ? RsNewRequestId() : PG_GETARG_TEXT_PP(4);
	/* a policy's arm is chosen by the request id: the same id, the same arm */
	RsCallStartFor(fcinfo, "user_id", text_to_cstring(request_id), true, &c);
	rows = RsRecommendRows(&c);
	RsLogImpressions(&c, rows, request_id);
	rid = PointerGetDatum(request_id);
	RsEmitRowsWith(fcinfo, NULL, &rid, c.m, rows, c.n, true, c.arm);
	return (Datum) 0;
}
