/*
 * policy.c - policies: a name recommend() takes in place of a model, served
 * by one of several arms (a model, or a model with serving options) that
 * core/policy.c chooses per call.
 *
 * Definitions live in recsys.policies and recsys.policy_arms, which also
 * hold each arm's incremental statistics (impressions, rewards). Each
 * backend caches a policy's definition until recsys.policies changes (its
 * trigger invalidates the store, as a training does) and its statistics for
 * recsys.policy_refresh_ms milliseconds (default 1000): a choice runs no SQL
 * in between, and is a hash and an inverse CDF over a few arms.
 */
#include "pg_recsys.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include <math.h>

#include "policy.h"

int			recsys_policy_refresh_ms = 1000;

typedef struct RsPolicyArm
{
	char	   *arm;
	char	   *model;
	Jsonb	   *options;		/* NULL: none */
} RsPolicyArm;

typedef struct RsPolicyEntry
{
	char		name[NAMEDATALEN];	/* hash key */
	bool		exists;			/* false: no such policy (remembered too) */
	uint64		def_count;		/* inval_count the definition was read at */
	TimestampTz stats_at;		/* when the statistics were read */
	char	   *owner;
	rs_policy	pol;
	RsPolicyArm arms[RS_POLICY_MAX_ARMS];
	MemoryContext cxt;			/* the strings and options above */
} RsPolicyEntry;

static HTAB *policy_cache = NULL;
static uint64 inval_count = 1;
/* The store's OID as this cache knows it (cache.c forgets its own copy
 * in its callback, which may run before ours). */
static Oid	known_relid = InvalidOid;
static SPIPlanPtr def_plan = NULL;
static SPIPlanPtr arms_plan = NULL;
static SPIPlanPtr stats_plan = NULL;

/* The store changed (a policy was created or dropped, models changed). */
static void
RsPolicyInvalCallback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == known_relid)
		inval_count++;
}

static void
RsPolicyCacheInit(void)
{
	HASHCTL		ctl;

	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(RsPolicyEntry);
	ctl.hcxt = TopMemoryContext;
	policy_cache = hash_create("recsys policies", 16, &ctl,
							   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(RsPolicyInvalCallback, (Datum) 0);
}

/* Read the arms' statistics into the entry (SPI connected, as store owner). */
static void
RsPolicyReadStats(RsPolicyEntry *e)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(e->name)};
	double		imp[RS_POLICY_MAX_ARMS] = {0};
	double		rew[RS_POLICY_MAX_ARMS] = {0};
	bool		isnull;

	if (stats_plan == NULL)
		stats_plan = RsPreparePlan("SELECT impressions::float8, rewards FROM recsys.policy_arms"
								   " WHERE policy = $1 ORDER BY arm COLLATE \"C\"", 1, types);
	if (SPI_execute_plan(stats_plan, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading the statistics of policy \"%s\" failed", e->name);
	for (int a = 0; a < (int) SPI_processed && a < e->pol.n_arms; a++)
	{
		imp[a] = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[a], SPI_tuptable->tupdesc, 1, &isnull));
		rew[a] = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[a], SPI_tuptable->tupdesc, 2, &isnull));
	}
	rs_policy_update(&e->pol, imp, rew);
	e->stats_at = GetCurrentTimestamp();
}

/* A number option of a policy, or the default when absent. */
static double
RsPolicyNumber(Jsonb *options, const char *key, double dflt, bool *given)
{
	JsonbValue	k;
	JsonbValue *v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&options->root, JB_FOBJECT, &k);
	if (given)
		*given = v != NULL;
	if (v == NULL)
		return dflt;
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("policy option \"%s\" must be a number", key)));
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

/* Split weights of the arms, by arm name, from options "weights" (NULL: equal). */
static bool
RsPolicyWeights(Jsonb *options, RsPolicyEntry *e, double *w)
{
	JsonbValue	k;
	JsonbValue *v;

	k.type = jbvString;
	k.val.string.val = "weights";
	k.val.string.len = 7;
	v = findJsonbValueFromContainer(&options->root, JB_FOBJECT, &k);
	if (v == NULL)
		return false;
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("policy option \"weights\" must be an object of arm names and numbers")));
	for (int a = 0; a < e->pol.n_arms; a++)
	{
		JsonbValue	ak;
		JsonbValue *av;

		ak.type = jbvString;
		ak.val.string.val = e->arms[a].arm;
		ak.val.string.len = strlen(e->arms[a].arm);
		av = findJsonbValueFromContainer(v->val.binary.data, JB_FOBJECT, &ak);
		if (av == NULL || av->type != jbvNumeric)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("policy option \"weights\" needs a number for arm \"%s\"",
							RsShort(e->arms[a].arm))));
		w[a] = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(av->val.numeric)));
		if (!(w[a] > 0) || isinf(w[a]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("split weight of arm \"%s\" must be positive, got %g",
							RsShort(e->arms[a].arm), w[a])));
	}
	return true;
}

/*
 * Set up the core policy of an entry from its strategy and options. With no
 * "seed", calls without a request id draw from a stream seeded per backend.
 */
static void
RsPolicySetup(RsPolicyEntry *e, int n_arms, const char *strategy, Jsonb *options)
{
	rs_strategy s;
	rs_error	err;
	double		w[RS_POLICY_MAX_ARMS];
	bool		seeded;
	double		seed = RsPolicyNumber(options, "seed", 0, &seeded);
	double		eps = RsPolicyNumber(options, "epsilon", RS_DEFAULT_EPSILON, NULL);
	bool		weighted;

	e->pol.n_arms = n_arms;
	weighted = RsPolicyWeights(options, e, w);
	if (rs_strategy_parse(strategy, &s, &err) != RS_OK ||
		rs_policy_init(&e->pol, s, n_arms, eps, (uint64) (int64) seed,
					   weighted ? w : NULL, &err) != RS_OK)
		RsReportError(&err);
	if (!seeded)
		e->pol.stream ^= ((uint64) MyProcPid << 32) ^ (uint64) GetCurrentTimestamp();
}

/*
 * (Re)read a policy's definition and statistics; e->exists false when there
 * is no such policy. SPI connected, as the store owner.
 */
static void
RsPolicyRead(RsPolicyEntry *e)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(e->name)};
	MemoryContext old;
	char	   *strategy;
	Jsonb	   *options;
	bool		isnull;
	int			n;
	uint64		stream = e->pol.stream;
	bool		had = e->exists;

	if (def_plan == NULL)
	{
		def_plan = RsPreparePlan("SELECT strategy, options, owner::text FROM recsys.policies"
								 " WHERE name = $1", 1, types);
		arms_plan = RsPreparePlan("SELECT arm, model, options FROM recsys.policy_arms"
								  " WHERE policy = $1 ORDER BY arm COLLATE \"C\"", 1, types);
	}
	if (e->cxt == NULL)
		e->cxt = AllocSetContextCreate(TopMemoryContext, "recsys policy",
									   ALLOCSET_SMALL_SIZES);
	MemoryContextReset(e->cxt);
	e->exists = false;
	e->def_count = inval_count;
	if (SPI_execute_plan(def_plan, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading policy \"%s\" failed", e->name);
	if (SPI_processed == 0)
		return;
	old = MemoryContextSwitchTo(e->cxt);
	strategy = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	options = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	e->owner = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	MemoryContextSwitchTo(old);
	if (SPI_execute_plan(arms_plan, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading the arms of policy \"%s\" failed", e->name);
	n = Min((int) SPI_processed, RS_POLICY_MAX_ARMS);
	old = MemoryContextSwitchTo(e->cxt);
	for (int a = 0; a < n; a++)
	{
		HeapTuple	tup = SPI_tuptable->vals[a];
		Datum		o = SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull);

		e->arms[a].arm = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
		e->arms[a].model = SPI_getvalue(tup, SPI_tuptable->tupdesc, 2);
		e->arms[a].options = NULL;
		if (!isnull && JB_ROOT_COUNT(DatumGetJsonbP(o)) > 0)
			e->arms[a].options = DatumGetJsonbPCopy(o);
	}
	MemoryContextSwitchTo(old);
	RsPolicySetup(e, n, strategy, options);
	/* a re-read continues the draws where they were (not from the seed again) */
	if (had)
		e->pol.stream = stream;
	e->exists = true;
	RsPolicyReadStats(e);
}

/* Does this database have the policy tables (not before 0.2.0's scripts)? */
bool
RsPolicyTablesExist(void)
{
	Oid			nsp = get_namespace_oid("recsys", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("policies", nsp));
}

/*
 * The cached policy called `name`, its definition current and its
 * statistics at most recsys.policy_refresh_ms old; NULL when no policy has
 * that name. refresh: read the statistics now whatever their age.
 */
static RsPolicyEntry *
RsPolicyLookup(const char *name, bool refresh)
{
	RsPolicyEntry *e;
	bool		found;
	bool		stale_def;
	bool		stale_stats;
	RsRoleSwitch rs;

	if (strlen(name) >= NAMEDATALEN || !RsPolicyTablesExist())
		return NULL;
	if (policy_cache == NULL)
		RsPolicyCacheInit();
	known_relid = RsStoreRelid();	/* the OID invalidations name */
	e = hash_search(policy_cache, name, HASH_ENTER, &found);
	if (!found)
	{
		e->cxt = NULL;
		e->exists = false;
		e->def_count = 0;
	}
	stale_def = e->def_count != inval_count;
	stale_stats = e->exists && (refresh ||
								TimestampDifferenceExceeds(e->stats_at, GetCurrentTimestamp(),
														   recsys_policy_refresh_ms));
	if (!stale_def && !stale_stats)
		return e->exists ? e : NULL;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RsStoreEnter(&rs);
	if (stale_def)
	{
		/* forget the old definition first: an error leaves it stale */
		e->def_count = 0;
		RsPolicyRead(e);
	}
	else
		RsPolicyReadStats(e);
	RsRestoreRole(&rs);
	SPI_finish();
	return e->exists ? e : NULL;
}

/*
 * Error unless the current role may use the policy: it owns it, or may use
 * every arm's model (a policy grants nothing its models do not).
 */
static void
RsPolicyCheckUsage(const RsPolicyEntry *e)
{
	if (superuser() || RsHoldsRole(e->owner))
		return;
	for (int a = 0; a < e->pol.n_arms; a++)
	{
		const RsModelAcl *acl = RsCacheModelAcl(e->arms[a].model);

		if (acl != NULL && !RsAclAllows(acl, RS_PRIV_USAGE))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for policy \"%s\"", RsShort(e->name)),
					 errdetail("Using a policy needs USAGE on every arm's model; arm \"%s\" serves model \"%s\".",
							   RsShort(e->arms[a].arm), RsShort(e->arms[a].model))));
	}
}

/*
 * resolve(): what serving `name` means for this call. A model's name (the
 * common case: one lookup in the model list) resolves to itself. A policy's
 * chooses an arm for the user (and request id, when given: the same request
 * id gets the same arm) and resolves to the arm's model, with the arm's
 * options under the caller's (the caller's keys win). False when `name` is
 * neither (the caller then reports an unknown model).
 */
bool
RsPolicyResolve(const char *name, text *user, const char *request_id, Jsonb *options,
				RsResolved *out)
{
	RsPolicyEntry *e;
	const RsPolicyArm *arm;
	int			a;

	memset(out, 0, sizeof(*out));
	out->model = name;
	out->options = options;
	if (RsCacheModelAcl(name) != NULL)
		return true;
	e = RsPolicyLookup(name, false);
	if (e == NULL)
		return false;
	RsPolicyCheckUsage(e);
	a = rs_policy_choose(&e->pol, user ? VARDATA_ANY(user) : NULL,
						 user ? VARSIZE_ANY_EXHDR(user) : 0, request_id,
						 request_id ? strlen(request_id) : 0, &out->propensity);
	arm = &e->arms[a];
	out->model = pstrdup(arm->model);
	out->policy = pstrdup(e->name);
	out->arm = pstrdup(arm->arm);
	if (arm->options != NULL)
		out->options = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
														  JsonbPGetDatum(arm->options),
														  JsonbPGetDatum(options)));
	return true;
}

/* The choice probabilities and arms of a policy the caller may use (report, replay). */
int
RsPolicyArms(const char *name, const char ***arms, const char ***models, const double **prob,
			 rs_policy **pol)
{
	RsPolicyEntry *e = RsPolicyLookup(name, true);
	const char **an;
	const char **mn;

	if (e == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("policy \"%s\" does not exist", RsShort(name))));
	RsPolicyCheckUsage(e);
	an = palloc(sizeof(char *) * e->pol.n_arms);
	mn = palloc(sizeof(char *) * e->pol.n_arms);
	for (int a = 0; a < e->pol.n_arms; a++)
	{
		an[a] = pstrdup(e->arms[a].arm);
		mn[a] = pstrdup(e->arms[a].model);
	}
	*arms = an;
	*models = mn;
	*prob = e->pol.prob;
	if (pol)
		*pol = &e->pol;
	return e->pol.n_arms;
}

/* Is there a policy called `name` (models and policies share names)? */
bool
RsPolicyExists(const char *name)
{
	return RsPolicyLookup(name, false) != NULL;
}

/*
 * Check a definition before it is stored (recsys_create_policy): the
 * strategy, its options (only those it takes) and the split weights of the
 * named arms.
 */
void
RsPolicyCheckDefinition(const char *strategy, Jsonb *options, int n, char **arm_names)
{
	RsPolicyEntry e;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	rs_strategy s;
	rs_error	err;

	if (rs_strategy_parse(strategy, &s, &err) != RS_OK)
		RsReportError(&err);
	RsOptionsFromJsonb(options, "options");	/* an object */
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		if (strcmp(key, "seed") != 0 &&
			!(strcmp(key, "epsilon") == 0 && s == RS_EPSILON_GREEDY) &&
			!(strcmp(key, "weights") == 0 && s == RS_SPLIT))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\" for strategy %s", RsShort(key), strategy),
					 errhint("epsilon_greedy takes epsilon and seed, thompson seed, split weights and seed.")));
	}
	if (n < 1 || n > RS_POLICY_MAX_ARMS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a policy needs 1 to %d arms, got %d", RS_POLICY_MAX_ARMS, n)));
	memset(&e, 0, sizeof(e));
	for (int a = 0; a < n; a++)
		e.arms[a].arm = arm_names[a];
	RsPolicySetup(&e, n, strategy, options);
}
