/*
 * store.c - the model table recsys.model_store: one row per model version.
 *
 * A training writes version max + 1 of its model in the training's own
 * transaction, serialized per model name by a transaction-level advisory
 * lock, then deletes versions older than the last recsys.keep_versions. Every
 * write registers a relcache invalidation of the table, which PostgreSQL
 * sends to all backends (and, through the commit record, to hot standbys) at
 * commit: that is how model caches learn that a model changed (cache.c).
 * All functions here expect SPI to be connected.
 */
#include "pg_recsys.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/* Advisory lock class of model names: 'rsys'. */
#define RS_LOCK_CLASS 0x72737973

static Oid	store_relid = InvalidOid;

/* OID of recsys.model_store, looked up once per backend and invalidation. */
Oid
RsStoreRelid(void)
{
	if (!OidIsValid(store_relid))
	{
		Oid			nsp = get_namespace_oid("recsys", true);

		if (OidIsValid(nsp))
			store_relid = get_relname_relid("model_store", nsp);
		if (!OidIsValid(store_relid))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("model table recsys.model_store does not exist"),
					 errhint("Run CREATE EXTENSION pg_recsys in this database.")));
	}
	return store_relid;
}

/* The cached OID, InvalidOid when not looked up yet (for the relcache callback). */
Oid
RsStoreKnownRelid(void)
{
	return store_relid;
}

/* Forget the cached OID (the table may have been dropped and re-created). */
void
RsStoreForgetRelid(void)
{
	store_relid = InvalidOid;
}

/* Model names are non-empty and shorter than NAMEDATALEN (the cache key). */
void
RsCheckModelName(const char *name)
{
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must not be empty")));
	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("model name \"%s\" is too long", RsShort(name)),
				 errdetail("Model names have at most %d bytes.", NAMEDATALEN - 1)));
}

/*
 * Run a store statement with arguments (`nulls` as SPI takes it, or NULL), as
 * the store's owner (acl.c); returns the rows processed.
 */
static uint64
RsStoreExecNulls(const char *sql, int nargs, Oid *types, Datum *values,
				 const char *nulls, int expect)
{
	RsRoleSwitch rs;
	SPIPlanPtr	plan;
	int			rc;

	RsStoreEnter(&rs);
	plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "recsys store query failed: %s", SPI_result_code_string(SPI_result));
	rc = SPI_execute_plan(plan, values, nulls, false, 0);
	SPI_freeplan(plan);
	RsRestoreRole(&rs);
	if (rc != expect)
		elog(ERROR, "recsys store query failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

/* RsStoreExecNulls without NULL arguments. */
static uint64
RsStoreExec(const char *sql, int nargs, Oid *types, Datum *values, int expect)
{
	return RsStoreExecNulls(sql, nargs, types, values, NULL, expect);
}

/*
 * Lock the model name for this transaction and return the version number the
 * new training gets. Concurrent trainings of one name queue on the lock; the
 * version is read in a statement of its own, after the lock, so that it sees
 * what the previous holder committed.
 */
int
RsStoreLockNextVersion(const char *name)
{
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(name), Int32GetDatum(RS_LOCK_CLASS)};
	bool		isnull;
	Datum		d;

	RsStoreExec("SELECT pg_catalog.pg_advisory_xact_lock($2, pg_catalog.hashtext($1))",
				2, types, values, SPI_OK_SELECT);
	RsStoreExec("SELECT COALESCE(max(version), 0) + 1 FROM recsys.model_store WHERE name = $1",
				1, types, values, SPI_OK_SELECT);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return DatumGetInt32(d);
}

/*
 * Claim model `name` for the current role, or check that the role owns it
 * (after RsStoreLockNextVersion, so two first trainings of a name cannot
 * both claim it). The role that first trains a model owns it.
 */
void
RsStoreClaim(const char *name)
{
	Oid			types[2] = {TEXTOID, NAMEOID};
	Datum		values[2] = {CStringGetTextDatum(name),
	DirectFunctionCall1(namein, CStringGetDatum(RsCurrentRoleName()))};
	RsModelAcl	acl = {0};

	/* models and policies share one namespace */
	if (RsPolicyTablesExist() &&
		RsStoreExec("SELECT 1 FROM recsys.policies WHERE name = $1",
					1, types, values, SPI_OK_SELECT) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("a policy called \"%s\" exists", RsShort(name)),
				 errdetail("Models and policies share one namespace.")));
	RsStoreExec("INSERT INTO recsys.models (name, owner) VALUES ($1, $2)"
				" ON CONFLICT (name) DO NOTHING", 2, types, values, SPI_OK_INSERT);
	RsStoreExec("SELECT owner FROM recsys.models WHERE name = $1",
				1, types, values, SPI_OK_SELECT);
	acl.owner = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (!RsAclAllows(&acl, RS_PRIV_OWNER))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of model \"%s\" to train it", RsShort(name)),
				 errdetail("Model \"%s\" is owned by role %s.", RsShort(name),
						   quote_identifier(acl.owner))));
}

/*
 * Insert one model version and delete the versions beyond
 * recsys.keep_versions. Registers the invalidation that tells every backend's
 * cache, at commit, that models changed.
 */
void
RsStoreInsert(const RsStoredModel *m)
{
	bytea	   *blob;

	RsStoreCheckSize(m);
	blob = palloc(VARHDRSZ + m->blob_len);
	SET_VARSIZE(blob, VARHDRSZ + m->blob_len);
	memcpy(VARDATA(blob), m->blob, m->blob_len);
	RsStoreInsertValue(m, blob);
	pfree(blob);
}

/* A blob too large for a bytea is a clear error. */
void
RsStoreCheckSize(const RsStoredModel *m)
{
	if (m->blob_len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model \"%s\" needs %zu bytes, more than a stored value can hold",
						m->name, m->blob_len),
				 errhint("Use fewer \"factors\", or train on fewer users and items.")));
}

/*
 * RsStoreInsert with the blob already in a bytea (m->blob is ignored): the
 * training serializes straight into it, so no copy of the model's size is
 * made here (the executor's heap tuple is the only one).
 */
void
RsStoreInsertValue(const RsStoredModel *m, bytea *blob)
{
	Oid			types[12] = {TEXTOID, INT4OID, TEXTOID, INT8OID, INT8OID,
	INT8OID, INT8OID, JSONBOID, JSONBOID, BYTEAOID, TEXTOID, TEXTOID};
	Datum		values[12];
	char		nulls[12];

	RsStoreCheckSize(m);
	values[0] = CStringGetTextDatum(m->name);
	values[1] = Int32GetDatum(m->version);
	values[2] = CStringGetTextDatum(m->algorithm);
	values[3] = Int64GetDatum(m->users);
	values[4] = Int64GetDatum(m->items);
	values[5] = Int64GetDatum(m->interactions);
	values[6] = Int64GetDatum((int64) m->blob_len);
	values[7] = JsonbPGetDatum(m->options);
	values[8] = JsonbPGetDatum(m->summary);
	values[9] = PointerGetDatum(blob);
	values[10] = m->source ? CStringGetTextDatum(m->source) : (Datum) 0;
	values[11] = m->search_path ? CStringGetTextDatum(m->search_path) : (Datum) 0;
	memset(nulls, ' ', sizeof(nulls));
	nulls[10] = m->source ? ' ' : 'n';
	nulls[11] = m->search_path ? ' ' : 'n';
	RsStoreExecNulls("INSERT INTO recsys.model_store (name, version, algorithm, trained_at,"
					 " users, items, interactions, bytes, options, summary, blob, source,"
					 " search_path) VALUES ($1, $2, $3, pg_catalog.clock_timestamp(),"
					 " $4, $5, $6, $7, $8, $9, $10, $11, $12)",
					 12, types, values, nulls, SPI_OK_INSERT);
	values[2] = Int32GetDatum(m->version - recsys_keep_versions);
	types[2] = INT4OID;
	RsStoreExec("DELETE FROM recsys.model_store WHERE name = $1 AND version <= $2",
				2, (Oid[]) {TEXTOID, INT4OID}, (Datum[]) {values[0], values[2]},
				SPI_OK_DELETE);
	CacheInvalidateRelcacheByRelid(RsStoreRelid());
}

/* Delete every version of a model; false when there was none. */
bool
RsStoreDrop(const char *name)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	uint64		n;

	n = RsStoreExec("DELETE FROM recsys.model_store WHERE name = $1",
					1, types, values, SPI_OK_DELETE);
	RsStoreExec("DELETE FROM recsys.models WHERE name = $1",
				1, types, values, SPI_OK_DELETE);
	if (n > 0)
		CacheInvalidateRelcacheByRelid(RsStoreRelid());
	return n > 0;
}

PG_FUNCTION_INFO_V1(recsys_store_changed);

/*
 * Statement trigger on recsys.model_store and recsys.models: any change made
 * by hand (DELETE, UPDATE, a restore's COPY), and every change of owner or
 * grants, invalidates the model caches just as a training does, so no backend
 * keeps serving a model the table no longer holds, or to a role that lost it.
 */
Datum
recsys_store_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("recsys_store_changed() must be called as a trigger")));
	/* the caches listen to the store's invalidations, also for recsys.models */
	CacheInvalidateRelcacheByRelid(RsStoreRelid());
	return PointerGetDatum(NULL);
}

/*
 * The latest stored version of a model: its version, algorithm and options
 * (palloc'd in the current context); false when the model does not exist.
 */
bool
RsStoreLatest(const char *name, int *version, char **algorithm, Jsonb **options)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;

	RsStoreRelid();				/* clear error if the extension is gone */
	if (RsStoreExec("SELECT version, algorithm, options FROM recsys.model_store"
					" WHERE name = $1 ORDER BY version DESC LIMIT 1",
					1, types, values, SPI_OK_SELECT) == 0)
		return false;
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	*version = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
	*algorithm = SPI_getvalue(tup, desc, 2);
	*options = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 3, &isnull));
	return true;
}

/*
 * What a fresh read needs of the latest version of a model: the source it
 * was trained on, the trainer's search_path and the model's owner (palloc'd
 * in the current context). False when the model has no stored version.
 */
bool
RsStoreSource(const char *name, RsStoredSource *src)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	HeapTuple	tup;
	TupleDesc	desc;

	RsStoreRelid();				/* clear error if the extension is gone */
	if (RsStoreExec("SELECT s.source, s.search_path, m.owner FROM recsys.model_store s"
					" LEFT JOIN recsys.models m ON m.name = s.name"
					" WHERE s.name = $1 ORDER BY s.version DESC LIMIT 1",
					1, types, values, SPI_OK_SELECT) == 0)
		return false;
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	src->source = SPI_getvalue(tup, desc, 1);
	src->search_path = SPI_getvalue(tup, desc, 2);
	src->owner = SPI_getvalue(tup, desc, 3);
	return true;
}
