/*
 * batch.c - recommend_batch(): the top k of many users in one call, for
 * INSERT ... SELECT into a table. The core (core/batch.c) scores blocks of
 * users at once on recsys.threads threads; this file reads the user list,
 * asks for the rows a chunk of users at a time (so memory stays bounded and
 * a cancel is noticed between chunks as well as between the core's blocks)
 * and puts them into the tuplestore.
 */
#include "pg_recsys.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"

#include "policy.h"

/* Rows asked of the core per chunk (at most this many users, at least one). */
#define BATCH_ROWS (1 << 20)
#define BATCH_USERS 16384

/* A policy's batch: each user's arm, and each arm's model and options. */
typedef struct RsBatchArms
{
	int			n;				/* arms met so far */
	const char *arm[RS_POLICY_MAX_ARMS];
	const rs_model *model[RS_POLICY_MAX_ARMS];
	const rs_opt *opts[RS_POLICY_MAX_ARMS];
	const char *model_name[RS_POLICY_MAX_ARMS];
	Jsonb	   *optsjb[RS_POLICY_MAX_ARMS];
	uint64		gen[RS_POLICY_MAX_ARMS];
	int		   *of_user;		/* arm index of each user (-1: NULL id) */
} RsBatchArms;

/*
 * Choose an arm for every user of a policy's batch, then load the arms'
 * models. Loading one model may make the cache evict another (a training
 * committed meanwhile): the loads repeat until a whole pass loads nothing,
 * so every pointer kept is live.
 */
static void
RsBatchChooseArms(const char *name, Jsonb *optsjb, Datum *elems, bool *elem_nulls, size_t n,
				  RsBatchArms *b)
{
	bool		stable = false;
	MemoryContext outer = CurrentMemoryContext;
	/* a resolve's strings, freed user by user (a batch may hold millions) */
	MemoryContext each = AllocSetContextCreate(outer, "recommend_batch arms",
											   ALLOCSET_SMALL_SIZES);

	b->n = 0;
	b->of_user = palloc(sizeof(int) * Max(n, 1));
	for (size_t r = 0; r < n; r++)
	{
		RsResolved res;
		int			a;

		b->of_user[r] = -1;
		if (elem_nulls[r])
			continue;
		MemoryContextSwitchTo(each);
		RsPolicyResolve(name, DatumGetTextPP(elems[r]), NULL, optsjb, &res);
		MemoryContextSwitchTo(outer);
		for (a = 0; a < b->n && strcmp(b->arm[a], res.arm) != 0; a++)
			;
		if (a == b->n)
		{
			b->arm[a] = pstrdup(res.arm);
			b->model_name[a] = pstrdup(res.model);
			b->optsjb[a] = res.options == optsjb ? optsjb :
				(Jsonb *) DatumGetPointer(datumCopy(JsonbPGetDatum(res.options), false, -1));
			b->opts[a] = RsOptionsFromJsonb(b->optsjb[a], "options");
			b->gen[a] = 0;
			b->n++;
		}
		b->of_user[r] = a;
		MemoryContextReset(each);
	}
	MemoryContextDelete(each);
	while (!stable)
	{
		stable = true;
		for (int a = 0; a < b->n; a++)
		{
			uint64		gen;

			b->model[a] = RsCacheGetModelGen(b->model_name[a], &gen);
			stable &= gen == b->gen[a];
			b->gen[a] = gen;
		}
	}
}

/*
 * recommend_batch() of a policy: users chunk by chunk in the array's order;
 * within a chunk each arm scores its users in one core call.
 */
static void
RsBatchPolicy(FunctionCallInfo fcinfo, const char *name, Jsonb *optsjb, int32 k)
{
	RsBatchArms b;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n_elems;
	size_t		chunk;
	rs_reco    *recs;
	rs_reco    *part;
	int		   *n_out;
	int		   *part_n;
	const char **ids;
	size_t	   *lens;
	size_t	   *pos;
	rs_callbacks cb = RsTrainCallbacks();
	rs_error	err;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recommend_batch() of policy \"%s\" needs user_ids", RsShort(name)),
				 errdetail("A policy has no users of its own to list.")));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &elem_nulls, &n_elems);
	RsBatchChooseArms(name, optsjb, elems, elem_nulls, (size_t) n_elems, &b);
	RsInitSRF(fcinfo);
	chunk = Max(1, Min(BATCH_USERS, BATCH_ROWS / k));
	recs = palloc(sizeof(rs_reco) * chunk * k);
	part = palloc(sizeof(rs_reco) * chunk * k);
	n_out = palloc0(sizeof(int) * chunk);
	part_n = palloc(sizeof(int) * chunk);
	ids = palloc(sizeof(char *) * chunk);
	lens = palloc(sizeof(size_t) * chunk);
	pos = palloc(sizeof(size_t) * chunk);
	for (size_t off = 0; off < (size_t) n_elems; off += chunk)
	{
		size_t		cn = Min(chunk, (size_t) n_elems - off);

		CHECK_FOR_INTERRUPTS();
		memset(n_out, 0, sizeof(int) * cn);
		for (int a = 0; a < b.n; a++)
		{
			size_t		m = 0;

			for (size_t r = 0; r < cn; r++)
				if (b.of_user[off + r] == a)
				{
					text	   *t = DatumGetTextPP(elems[off + r]);

					ids[m] = VARDATA_ANY(t);
					lens[m] = VARSIZE_ANY_EXHDR(t);
					pos[m++] = r;
				}
			if (m == 0)
				continue;
			if (rs_recommend_batch(b.model[a], ids, lens, 0, m, k, b.opts[a], recsys_threads,
								   &cb, part, part_n, &err) != RS_OK)
				RsReportTrainError(&err);
			for (size_t i = 0; i < m; i++)
			{
				memcpy(recs + pos[i] * k, part + i * k, sizeof(rs_reco) * part_n[i]);
				n_out[pos[i]] = part_n[i];
			}
		}
		for (size_t r = 0; r < cn; r++)
			if (n_out[r] > 0)
				RsEmitRowsArm(fcinfo, &elems[off + r], b.model[b.of_user[off + r]],
							  recs + r * k, n_out[r], true, b.arm[b.of_user[off + r]]);
	}
}

PG_FUNCTION_INFO_V1(recommend_batch);

/*
 * recommend_batch(user_ids, k, model, options): recommend()'s rows for every
 * user of the array (NULL: every user of the model), user by user in the
 * array's order, with the user's id in front. Unknown users get the cold
 * start's popular items (a batch reads no source: option "fresh" is not
 * taken); NULL elements give no rows; a repeated id its rows again.
 */
Datum
recommend_batch(PG_FUNCTION_ARGS)
{
	int32		k;
	const rs_opt *opts;
	const char *name;
	const rs_model *m;
	const char **ids = NULL;
	size_t	   *lens = NULL;
	Datum	   *elems = NULL;
	bool	   *elem_nulls = NULL;
	size_t		n;
	size_t		chunk;
	rs_reco    *recs;
	int		   *n_out;
	rs_callbacks cb = RsTrainCallbacks();
	rs_error	err;
	MemoryContext rows_cxt;
	MemoryContext old;

	RsCheckNotNull(fcinfo, 1, "k");
	RsCheckNotNull(fcinfo, 3, "options");
	k = PG_GETARG_INT32(1);
	if (rs_check_k(k, &err) != RS_OK)
		RsReportError(&err);
	opts = RsOptionsFromJsonb(PG_GETARG_JSONB_P(3), "options");
	name = RsCacheResolveName(PG_ARGISNULL(2) ? NULL :
							  text_to_cstring(PG_GETARG_TEXT_PP(2)));
	if (RsCacheModelAcl(name) == NULL && RsPolicyExists(name))
	{
		RsBatchPolicy(fcinfo, name, PG_GETARG_JSONB_P(3), k);
		return (Datum) 0;
	}
	m = RsCacheGetModel(name);
	RsInitSRF(fcinfo);
	if (PG_ARGISNULL(0))
		n = rs_model_n_users(m);
	else
	{
		int			n_elems;

		deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &elem_nulls, &n_elems);
		n = (size_t) n_elems;
		ids = palloc(sizeof(char *) * (n + 1));
		lens = palloc(sizeof(size_t) * (n + 1));
		for (size_t r = 0; r < n; r++)
		{
			text	   *t = elem_nulls[r] ? NULL : DatumGetTextPP(elems[r]);

			ids[r] = t ? VARDATA_ANY(t) : NULL;
			lens[r] = t ? VARSIZE_ANY_EXHDR(t) : 0;
		}
	}
	chunk = Max(1, Min(BATCH_USERS, BATCH_ROWS / k));
	recs = palloc(sizeof(rs_reco) * chunk * k);
	n_out = palloc(sizeof(int) * chunk);
	/* the rows' texts, freed chunk by chunk (the tuplestore keeps copies) */
	rows_cxt = AllocSetContextCreate(CurrentMemoryContext, "recommend_batch rows",
									 ALLOCSET_DEFAULT_SIZES);
	for (size_t off = 0; off < n; off += chunk)
	{
		size_t		cn = Min(chunk, n - off);

		CHECK_FOR_INTERRUPTS();
		/* options are checked on the first chunk, before any row */
		if (rs_recommend_batch(m, ids ? ids + off : NULL, lens ? lens + off : NULL, off, cn, k,
							   opts, recsys_threads, &cb, recs, n_out, &err) != RS_OK)
			RsReportTrainError(&err);
		old = MemoryContextSwitchTo(rows_cxt);
		for (size_t r = 0; r < cn; r++)
		{
			Datum		user;
			size_t		len;
			const char *id;

			if (n_out[r] == 0)
				continue;
			id = ids ? ids[off + r] : rs_model_user_id(m, (int32) (off + r), &len);
			if (ids)
				len = lens[off + r];
			user = PointerGetDatum(cstring_to_text_with_len(id, (int) len));
			RsEmitRowsFor(fcinfo, &user, m, recs + r * k, n_out[r], true);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(rows_cxt);
	}
	MemoryContextDelete(rows_cxt);
	/* an empty list still checks the options */
	if (n == 0 && rs_recommend_batch(m, NULL, NULL, 0, 0, k, opts, 1, NULL, NULL, NULL,
									 &err) != RS_OK)
		RsReportError(&err);
	return (Datum) 0;
}
