/*
 * image.c - one copy of each model version per server: backends map a
 * serving image (core/model_image.c) of the stored version instead of each
 * deserialising a private copy.
 *
 * The image lives in base/pgsql_tmp under the data directory, named
 *   pgsql_tmp_recsys_<db oid>_<model name in hex>_<version>_<row xmin>_<blob length>_<blob checksum>.img
 * The "pgsql_tmp" prefix makes PostgreSQL delete it at every server start and
 * after a crash (fd.c RemovePgTempFiles; remove_temp_files_after_crash), and
 * pg_basebackup skip it; a standby builds its own from the replicated blob.
 * Nothing here writes WAL or needs a write transaction. The key is read
 * without detoasting the blob (its length and its last 8 bytes, the blob's
 * own checksum: the column is STORAGE EXTERNAL, so substring reads one
 * chunk). On a miss, one backend builds the image under a per-key flock
 * while the others wait, writes it to a temporary name and renames it into
 * place; everyone then maps the same file. Images of versions no longer
 * stored are unlinked at the next list refresh (mapped copies stay valid).
 * When the directory cannot be used, or recsys.shared_models is off, each
 * backend loads a private copy as before.
 */
#include "pg_recsys.h"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"

#define IMAGE_DIR "base/pgsql_tmp"
#define IMAGE_PREFIX "pgsql_tmp_recsys_"
/* how long a backend waits for another one's build before loading privately */
#define IMAGE_WAIT_MS 120000

bool		recsys_shared_models = true;

static bool warned = false;
static SPIPlanPtr key_plan = NULL;

/* Identity of one stored row: what the file name and the image key hold. */
typedef struct RsImageKey
{
	Oid			db;
	int32		version;
	int64		xmin;
	int64		len;
	uint64		sum;
} RsImageKey;

StaticAssertDecl(sizeof(RsImageKey) == 32, "the image key is 32 bytes");

/* "<dir>/pgsql_tmp_recsys_<db>_<hex name>_" (the per-database name prefix). */
static void
RsImagePrefix(StringInfo buf, const char *name)
{
	appendStringInfo(buf, IMAGE_PREFIX "%u_", MyDatabaseId);
	for (const unsigned char *p = (const unsigned char *) name; *p; p++)
		appendStringInfo(buf, "%02x", *p);
	appendStringInfoChar(buf, '_');
}

/* Path of the image (suffix ".img"), its lock (".lock") or a temp file. */
static char *
RsImagePath(const char *name, const RsImageKey *k, const char *suffix)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, IMAGE_DIR "/");
	RsImagePrefix(&buf, name);
	appendStringInfo(&buf, "%d_" INT64_FORMAT "_" INT64_FORMAT "_%016llx%s",
					 k->version, k->xmin, k->len, (unsigned long long) k->sum, suffix);
	return buf.data;
}

/* Say once per backend why models are private copies here. */
static void
RsImageWarn(const char *what, int err)
{
	if (warned)
		return;
	warned = true;
	errno = err;
	ereport(WARNING,
			(errmsg("recsys: models are loaded privately by this backend: %s: %m", what),
			 errhint("Shared models need a writable \"%s\" in the data directory; "
					 "recsys.shared_models = off silences this.", IMAGE_DIR)));
}

/*
 * Version, row xmin, blob length and checksum of the latest stored version
 * of `name`, without reading the blob (SPI connected). False when none.
 */
static bool
RsImageReadKey(const char *name, bool read_only, RsImageKey *k)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	RsRoleSwitch rs;
	int			rc;
	bool		isnull;
	bytea	   *tail;
	TupleDesc	desc;
	HeapTuple	tup;

	RsStoreEnter(&rs);
	if (key_plan == NULL)
		key_plan = RsPreparePlan("SELECT version, xmin::text::bigint, octet_length(blob),"
								 " substring(blob FROM greatest(octet_length(blob) - 7, 1))"
								 " FROM recsys.model_store WHERE name = $1"
								 " ORDER BY version DESC LIMIT 1", 1, types);
	rc = SPI_execute_plan(key_plan, values, NULL, read_only, 1);
	RsRestoreRole(&rs);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "recsys: reading model \"%s\" failed", name);
	if (SPI_processed == 0)
		return false;
	desc = SPI_tuptable->tupdesc;
	tup = SPI_tuptable->vals[0];
	memset(k, 0, sizeof *k);
	k->db = MyDatabaseId;
	k->version = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
	k->xmin = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
	k->len = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
	tail = DatumGetByteaPP(SPI_getbinval(tup, desc, 4, &isnull));
	if (VARSIZE_ANY_EXHDR(tail) == 8)
		memcpy(&k->sum, VARDATA_ANY(tail), 8);
	return true;
}

/* Map an image; NULL when missing or unusable (then it is rebuilt). */
static rs_model *
RsImageTryMap(const char *path, const RsImageKey *k)
{
	rs_model   *m = NULL;
	rs_error	err;
	rs_status	st = rs_model_image_map(path, (const unsigned char *) k, &m, &err);

	if (st != RS_OK && st != RS_ENOTFOUND)
		ereport(LOG, (errmsg("recsys: rebuilding: %s", err.msg)));
	return st == RS_OK ? m : NULL;
}

/* Wait for the build lock (another backend may hold it while it builds). */
static bool
RsImageLock(int fd)
{
	for (int waited = 0; waited < IMAGE_WAIT_MS; waited += 10)
	{
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return true;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return false;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(10000L);
	}
	return false;
}

/* Write `m`'s image under a temporary name and rename it to `path`. */
static bool
RsImageWrite(const rs_model *m, const char *path, const RsImageKey *k, char *tmp)
{
	rs_error	err;
	int			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
	bool		ok;

	if (fd < 0)
	{
		RsImageWarn("cannot create a serving image", errno);
		return false;
	}
	ok = rs_model_image_write(m, fd, (const unsigned char *) k, &err) == RS_OK;
	if (close(fd) != 0)
		ok = false;
	if (!ok)
		ereport(LOG, (errmsg("recsys: %s", err.msg)));
	if (ok && rename(tmp, path) != 0)
	{
		RsImageWarn("cannot rename a serving image", errno);
		ok = false;
	}
	return ok;
}

/*
 * Holding the build lock: map the image if a concurrent backend built it,
 * else load the blob, write the image and map it. NULL: build failed (the
 * caller loads privately); *private_m may then hold the loaded copy.
 */
static rs_model *
RsImageBuild(const char *name, bool read_only, const RsImageKey *k, const char *path,
			 rs_model **private_m, int32 *version, int64 *xmin)
{
	rs_model   *m = RsImageTryMap(path, k);
	RsImageKey	got;
	char	   *tmp;
	bool		written = false;

	if (m != NULL)
		return m;
	*private_m = RsCacheLoadBlob(name, read_only, &got.version, &got.xmin,
								 &got.len, &got.sum);
	got.db = MyDatabaseId;
	if (memcmp(&got, k, sizeof got) != 0)
	{
		/* replaced meanwhile: serve this one privately */
		*version = got.version;
		*xmin = got.xmin;
		return NULL;
	}
	tmp = psprintf("%s.%d.tmp", path, MyProcPid);
	PG_TRY();
	{
		written = RsImageWrite(*private_m, path, k, tmp);
	}
	PG_FINALLY();
	{
		if (!written)
			unlink(tmp);
	}
	PG_END_TRY();
	if (!written)
		return NULL;
	m = RsImageTryMap(path, k);
	if (m != NULL)
	{
		rs_model_destroy(private_m);
		malloc_trim(0);			/* hand the private copy's pages back */
	}
	return m;
}

/*
 * The latest stored version of `name` as a mapped image (SPI connected), or
 * NULL when not shared here: then *private_m holds a privately loaded copy
 * if one was loaded on the way, else NULL. Fills in the row it came from.
 */
rs_model *
RsImageLoad(const char *name, bool read_only, int32 *version, int64 *xmin,
			rs_model **private_m)
{
	RsImageKey	k;
	char	   *path;
	char	   *lockpath;
	rs_model   *m;
	int			fd;

	*private_m = NULL;
	if (!recsys_shared_models || !RsImageReadKey(name, read_only, &k))
		return NULL;
	*version = k.version;
	*xmin = k.xmin;
	path = RsImagePath(name, &k, ".img");
	m = RsImageTryMap(path, &k);
	if (m != NULL)
		return m;
	if (MakePGDirectory(IMAGE_DIR) != 0 && errno != EEXIST)
	{
		RsImageWarn("cannot create " IMAGE_DIR, errno);
		return NULL;
	}
	lockpath = RsImagePath(name, &k, ".lock");
	fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
	if (fd < 0)
	{
		RsImageWarn("cannot create a lock file", errno);
		return NULL;
	}
	PG_TRY();
	{
		if (RsImageLock(fd))
			m = RsImageBuild(name, read_only, &k, path, private_m, version, xmin);
	}
	PG_FINALLY();
	{
		close(fd);				/* releases the lock */
	}
	PG_END_TRY();
	return m;
}

/* Parse "<version>_<xmin>_..." after a name prefix. */
static bool
RsImageParseRow(const char *s, int32 *version, int64 *xmin)
{
	long long	x;
	int			v;

	return sscanf(s, "%d_%lld_", &v, &x) == 2 && (*version = v, *xmin = x, true);
}

/*
 * Unlink this database's images (and their lock files) of rows that are not
 * the latest stored version of their model: replaced, pruned or dropped.
 * Backends that still map one keep their pages until they let go.
 */
void
RsImageCleanup(int n, char **names, const int32 *versions, const int64 *xmins)
{
	DIR		   *dir;
	struct dirent *de;
	StringInfoData db;
	StringInfoData *pre;

	if (!recsys_shared_models)
		return;
	dir = opendir(IMAGE_DIR);
	if (dir == NULL)
		return;
	initStringInfo(&db);
	appendStringInfo(&db, IMAGE_PREFIX "%u_", MyDatabaseId);
	pre = palloc(sizeof(StringInfoData) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		initStringInfo(&pre[i]);
		RsImagePrefix(&pre[i], names[i]);
	}
	while ((de = readdir(dir)) != NULL)
	{
		bool		keep = false;
		int32		v;
		int64		x;
		size_t		len = strlen(de->d_name);

		if (strncmp(de->d_name, db.data, db.len) != 0 ||
			!((len > 4 && strcmp(de->d_name + len - 4, ".img") == 0) ||
			  (len > 5 && strcmp(de->d_name + len - 5, ".lock") == 0)))
			continue;			/* other databases, other files, temp files */
		for (int i = 0; i < n && !keep; i++)
			keep = strncmp(de->d_name, pre[i].data, pre[i].len) == 0 &&
				RsImageParseRow(de->d_name + pre[i].len, &v, &x) &&
				v == versions[i] && x == xmins[i];
		if (!keep)
		{
			char	   *p = psprintf("%s/%s", IMAGE_DIR, de->d_name);

			if (unlink(p) == 0)
				elog(DEBUG1, "recsys: removed serving image \"%s\"", p);
			pfree(p);
		}
	}
	closedir(dir);
}
