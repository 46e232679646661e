/*
 * cache.c - per-backend cache of loaded models.
 *
 * recommend() is the hot path, so it must not read the model table on every
 * call. The cache keeps, per backend, the list of stored model names with
 * their latest versions and the deserialized models (malloc'd by the core).
 * A relcache callback on recsys.model_store marks everything stale; trainings
 * and drops register that invalidation (store.c), so at commit every backend,
 * and every hot standby replaying the commit, re-reads the version list at its
 * next call and reloads only the models whose version changed.
 */
#include "pg_recsys.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "storage/proc.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"

typedef struct RsCacheEntry
{
	char		name[NAMEDATALEN];	/* hash key */
	rs_model   *model;			/* loaded model (malloc'd by the core) */
	int32		version;		/* stored version the model came from */
	int64		row_xmin;		/* xmin of that row: changes on UPDATE */
	uint64		gen;			/* this load's generation, never reused (memo.c) */
} RsCacheEntry;

/* The last load generation handed out. */
static uint64 last_gen = 0;

static HTAB *model_cache = NULL;
static MemoryContext cache_cxt = NULL;
static MemoryContext list_cxt = NULL;

/*
 * Bumped by the relcache callback; the list is valid while equal to
 * checked_count, and, when it was read without a fresh snapshot, only in the
 * transaction that read it (checked_lxid).
 */
static uint64 inval_count = 1;
static uint64 checked_count = 0;
static bool checked_fresh = false;
static LocalTransactionId checked_lxid = InvalidLocalTransactionId;

/*
 * Names of the stored models (sorted), their latest versions, row xmins, and
 * owners and grants (recsys.models).
 */
static int	n_stored = 0;
static char **stored_names = NULL;
static int32 *stored_versions = NULL;
static int64 *stored_xmins = NULL;
static RsModelAcl *stored_acls = NULL;

static SPIPlanPtr list_plan = NULL;
static SPIPlanPtr blob_plan = NULL;

static void RsCacheRefresh(void);

/* Relcache callback: the model table changed (or all caches were reset). */
static void
RsCacheInvalCallback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == RsStoreKnownRelid())
	{
		inval_count++;
		RsStoreForgetRelid();
	}
}

/* Create the hash table and register the invalidation callback (_PG_init). */
void
RsCacheInit(void)
{
	HASHCTL		ctl;

	cache_cxt = AllocSetContextCreate(TopMemoryContext, "recsys model cache",
									  ALLOCSET_SMALL_SIZES);
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(RsCacheEntry);
	ctl.hcxt = cache_cxt;
	list_cxt = AllocSetContextCreate(cache_cxt, "recsys model list",
									 ALLOCSET_SMALL_SIZES);
	model_cache = hash_create("recsys models", 16, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(RsCacheInvalCallback, (Datum) 0);
}

/* A prepared, saved SPI plan (SPI must be connected). */
SPIPlanPtr
RsPreparePlan(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "recsys: could not prepare \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	return plan;
}

/* Owner and grants of one listed model, from columns 4 and 5 of the list. */
static void
RsReadAcl(HeapTuple tup, TupleDesc desc, RsModelAcl *acl)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, 5, &isnull);
	Datum	   *elems;
	bool	   *nulls;

	acl->owner = SPI_getvalue(tup, desc, 4);
	acl->granted = NULL;
	acl->n_granted = 0;
	if (isnull)
		return;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &acl->n_granted);
	acl->granted = palloc(sizeof(char *) * Max(acl->n_granted, 1));
	for (int g = 0; g < acl->n_granted; g++)
		acl->granted[g] = nulls[g] ? "" : TextDatumGetCString(elems[g]);
}

/*
 * Read the names, latest versions and their rows' xmin (which tells an UPDATE
 * made by hand) of all stored models, with owners and grants, into the
 * cache. The store is read as its owner (acl.c).
 */
static void
RsCacheReadList(bool read_only)
{
	MemoryContext old;
	RsRoleSwitch rs;
	int			rc;

	RsStoreEnter(&rs);
	if (list_plan == NULL)
		list_plan = RsPreparePlan("SELECT DISTINCT ON (s.name) s.name, s.version,"
								  " s.xmin::text::bigint, m.owner, m.granted_to::text[]"
								  " FROM recsys.model_store s"
								  " LEFT JOIN recsys.models m ON m.name = s.name"
								  " ORDER BY s.name, s.version DESC", 0, NULL);
	rc = SPI_execute_plan(list_plan, NULL, NULL, read_only, 0);
	RsRestoreRole(&rs);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading the model list failed");
	n_stored = 0;
	MemoryContextReset(list_cxt);
	old = MemoryContextSwitchTo(list_cxt);
	stored_names = palloc(Max(SPI_processed, 1) * sizeof(char *));
	stored_versions = palloc(Max(SPI_processed, 1) * sizeof(int32));
	stored_xmins = palloc(Max(SPI_processed, 1) * sizeof(int64));
	stored_acls = palloc(Max(SPI_processed, 1) * sizeof(RsModelAcl));
	for (int i = 0; i < (int) SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;

		stored_names[i] = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
		stored_versions[i] = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc,
														 2, &isnull));
		stored_xmins[i] = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc,
													  3, &isnull));
		RsReadAcl(tup, SPI_tuptable->tupdesc, &stored_acls[i]);
	}
	n_stored = (int) SPI_processed;
	MemoryContextSwitchTo(old);
}

/* Index of a name in the stored list, or -1. */
static int
RsStoredIndex(const char *name)
{
	for (int i = 0; i < n_stored; i++)
		if (strcmp(stored_names[i], name) == 0)
			return i;
	return -1;
}

/* Destroy cached models whose name vanished or whose stored row changed. */
static void
RsCacheEvictStale(void)
{
	HASH_SEQ_STATUS seq;
	RsCacheEntry *e;

	hash_seq_init(&seq, model_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		int			i = RsStoredIndex(e->name);

		if (i < 0 || stored_versions[i] != e->version ||
			stored_xmins[i] != e->row_xmin)
		{
			if (e->model != NULL)
				rs_model_destroy(&e->model);
			RsMemoForget(e->gen);
			hash_search(model_cache, e->name, HASH_REMOVE, NULL);
		}
	}
}

/*
 * Bring the list of stored models up to date after an invalidation. The
 * query uses a fresh snapshot, taken after the invalidation was seen, so it
 * sees the commit that caused it. Where a fresh snapshot is impossible
 * (REPEATABLE READ, parallel mode) the list is right for the snapshot of the
 * transaction, so it is trusted only until that transaction ends.
 */
static void
RsCacheRefresh(void)
{
	uint64		seen = inval_count;
	bool		fresh = !IsolationUsesXactSnapshot() && !IsInParallelMode();

	if (checked_count == inval_count &&
		(checked_fresh || checked_lxid == MyProc->lxid))
		return;
	RsStoreRelid();				/* clear error if the extension is gone */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RsCacheReadList(!fresh);
	SPI_finish();
	RsCacheEvictStale();
	if (fresh)					/* a list of an older snapshot may miss new versions */
		RsImageCleanup(n_stored, stored_names, stored_versions, stored_xmins);
	checked_count = seen;
	checked_fresh = fresh;
	checked_lxid = MyProc->lxid;
}

/* How many stored models the current role may use; *last: the last one's index. */
static int
RsUsableCount(int *last)
{
	int			n = 0;

	for (int i = 0; i < n_stored; i++)
		if (RsAclAllows(&stored_acls[i], RS_PRIV_USAGE))
		{
			n++;
			*last = i;
		}
	return n;
}

/* "a, b, c": the models the current role may use, for messages. */
static char *
RsStoredNameList(void)
{
	StringInfoData buf;
	int			n = 0;

	initStringInfo(&buf);
	for (int i = 0; i < n_stored; i++)
		if (RsAclAllows(&stored_acls[i], RS_PRIV_USAGE))
			appendStringInfo(&buf, "%s%s", n++ ? ", " : "", quote_identifier(stored_names[i]));
	return buf.data;
}

/*
 * Error for a model name that is not stored; the hint lists those the caller
 * may use (others' model names are not the caller's business).
 */
void
RsReportUnknownModel(const char *name)
{
	rs_error	err;
	int			last;

	RsCacheRefresh();
	rs_not_found(&err, RS_MISSING_MODEL, name, (size_t) -1, NULL);
	RsReportErrorHint(&err, RsUsableCount(&last) > 0 ?
					  psprintf("Existing models: %s.", RsStoredNameList()) :
					  "No model exists yet: train one with recsys_train().");
}

/* Owner and grants of model `name`, or NULL when it is not stored. */
const RsModelAcl *
RsCacheModelAcl(const char *name)
{
	int			i;

	RsCacheRefresh();
	i = RsStoredIndex(name);
	return i < 0 ? NULL : &stored_acls[i];
}

/*
 * The model a call means: its model argument, else recsys.default_model,
 * else the only stored model the caller may use. No or several models is an
 * error. The result does not point into the cache, which the next call may
 * rebuild.
 */
const char *
RsCacheResolveName(const char *name)
{
	int			last = 0;
	int			n;

	if (name != NULL)
		return name;
	if (recsys_default_model != NULL && recsys_default_model[0] != '\0')
		return recsys_default_model;
	RsCacheRefresh();
	n = RsUsableCount(&last);
	if (n == 1)
		return pstrdup(stored_names[last]);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no model exists"),
				 errhint("Train one with recsys_train().")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("no model given and %d models exist", n),
			 errdetail("Existing models: %s.", RsStoredNameList()),
			 errhint("Pass the model name, or set recsys.default_model.")));
	return NULL;				/* keep the compiler quiet */
}

/*
 * Load the latest stored version of a model privately (SPI connected) and
 * tell which row it came from: version, xmin, and the blob's length and own
 * checksum (its last 8 bytes; image.c keys serving images by them). Asking
 * for the latest rather than the version the list named avoids a race with a
 * training that pruned that version since.
 */
rs_model *
RsCacheLoadBlob(const char *name, bool read_only, int32 *version, int64 *xmin,
				int64 *len, uint64 *sum)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	TupleDesc	desc;
	HeapTuple	tup;
	bytea	   *blob;
	bool		isnull;
	rs_model   *model = NULL;
	rs_error	err;
	RsRoleSwitch rs;
	int			rc;

	RsStoreEnter(&rs);
	if (blob_plan == NULL)
		blob_plan = RsPreparePlan("SELECT version, xmin::text::bigint, blob"
								  " FROM recsys.model_store WHERE name = $1"
								  " ORDER BY version DESC LIMIT 1", 1, types);
	rc = SPI_execute_plan(blob_plan, values, NULL, read_only, 1);
	RsRestoreRole(&rs);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading model \"%s\" failed", name);
	if (SPI_processed == 0)
		RsReportUnknownModel(name);
	desc = SPI_tuptable->tupdesc;
	tup = SPI_tuptable->vals[0];
	blob = DatumGetByteaPP(SPI_getbinval(tup, desc, 3, &isnull));
	if (rs_model_load(VARDATA_ANY(blob), VARSIZE_ANY_EXHDR(blob), &model, &err) != RS_OK)
		RsReportError(&err);
	*version = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
	*xmin = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
	*len = (int64) VARSIZE_ANY_EXHDR(blob);
	*sum = 0;
	if (*len >= 8)
		memcpy(sum, VARDATA_ANY(blob) + *len - 8, 8);
	return model;
}

/*
 * The latest stored version of a model (SPI connected): the server's shared
 * serving image (image.c), else a private copy.
 */
static rs_model *
RsCacheLoad(RsCacheEntry *e, bool read_only)
{
	rs_model   *private_m = NULL;
	rs_model   *model = RsImageLoad(e->name, read_only, &e->version, &e->row_xmin,
									&private_m);
	int64		len;
	uint64		sum;

	if (model != NULL)
		return model;
	if (private_m != NULL)		/* the image could not be built or mapped */
		return private_m;
	return RsCacheLoadBlob(e->name, read_only, &e->version, &e->row_xmin, &len, &sum);
}

/*
 * The loaded model called `name`, from the cache or freshly loaded; an error
 * unless the current role may use it (checked on every call: grants and
 * SET ROLE change it).
 */
const rs_model *
RsCacheGetModel(const char *name)
{
	uint64		gen;

	return RsCacheGetModelGen(name, &gen);
}

/*
 * RsCacheGetModel, also telling the load's generation: a number that names
 * this loaded version (name, version and row xmin) in this backend, never
 * reused, which memo.c keys answers by.
 */
const rs_model *
RsCacheGetModelGen(const char *name, uint64 *gen)
{
	RsCacheEntry *e;
	rs_model   *model;
	bool		found;
	int			i;

	RsCacheRefresh();
	i = RsStoredIndex(name);
	if (i < 0)
		RsReportUnknownModel(name);
	if (!RsAclAllows(&stored_acls[i], RS_PRIV_USAGE))
		RsCheckModelPrivilege(name, RS_PRIV_USAGE, "use");
	e = hash_search(model_cache, name, HASH_ENTER, &found);
	if (!found)
	{
		e->model = NULL;
		e->gen = 0;
	}
	else if (e->model != NULL && e->version == stored_versions[i] &&
			 e->row_xmin == stored_xmins[i])
	{
		*gen = e->gen;
		return e->model;
	}
	if (e->model != NULL)
		rs_model_destroy(&e->model);
	RsMemoForget(e->gen);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	model = RsCacheLoad(e, IsolationUsesXactSnapshot() || IsInParallelMode());
	SPI_finish();
	e->model = model;
	e->gen = ++last_gen;
	*gen = e->gen;
	return model;
}

/* The stored version of the model cached under `name` (RsCacheGetModel
 * first), 0 when none is loaded. */
int32
RsCacheModelVersion(const char *name)
{
	RsCacheEntry *e = hash_search(model_cache, name, HASH_FIND, NULL);

	return e != NULL && e->model != NULL ? e->version : 0;
}
