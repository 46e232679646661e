/*
 * memo.c - per-backend memo of serving answers (recsys.result_cache).
 *
 * A precomputed top-k table is a cache of answers; this is the same cache,
 * filled on demand. An answer is kept only when it is a pure function of
 * the loaded model version, the key (user or item id), k and the options'
 * jsonb bytes (recommend.c and similar.c decide, with the core's whitelist
 * rs_serve_options_pure), so a hit returns exactly what scoring would.
 *
 * Entries are keyed by the model's load generation (cache.c gives every
 * loaded version a new one, never reused), so an answer can never outlive
 * its model version: cache.c also drops a generation's entries when it
 * evicts or reloads the model. Rows are stored as the core's rs_reco (item
 * index, score, source, reason indices); ids and reason text are formatted
 * at output, as on a miss. The privilege check runs before any lookup
 * (RsCallStart), so an answer kept for one role is only returned to a role
 * that may use the model. At most recsys.result_cache answers, least
 * recently used first out; 0 turns the memo off.
 */
#include "pg_recsys.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

/* Larger answers and keys are not kept: the bound on one entry's size. */
#define RS_MEMO_MAX_ROWS	100
#define RS_MEMO_MAX_KEY		1024

int			recsys_result_cache = 10000;

typedef struct RsMemoEntry
{
	struct RsMemoEntry *chain;	/* next in the hash bucket */
	struct RsMemoEntry *newer;	/* LRU list */
	struct RsMemoEntry *older;
	uint64		gen;
	uint32		hash;
	int32		k;
	int32		n;				/* rows */
	int32		key_len;
	int32		opts_len;
	char		kind;
	rs_reco		rows[FLEXIBLE_ARRAY_MEMBER];	/* then key and opts bytes */
} RsMemoEntry;

static MemoryContext memo_cxt = NULL;
static RsMemoEntry **buckets = NULL;
static uint32 n_buckets = 0;
static int	n_entries = 0;
static RsMemoEntry *newest = NULL;
static RsMemoEntry *oldest = NULL;

static const char *
RsMemoKeyBytes(const RsMemoEntry *e)
{
	return (const char *) (e->rows + e->n);
}

/* Fill key for a call (kind 'r' recommend, 's' similar_items); false when
 * the memo is off or the request is too large to keep. */
bool
RsMemoKeyFor(const RsKeyCall *c, char kind, RsMemoKey *key)
{
	if (recsys_result_cache <= 0 || c->key == NULL || c->optsjb == NULL ||
		c->k < 1 || c->k > RS_MEMO_MAX_ROWS)
		return false;
	key->gen = c->gen;
	key->kind = kind;
	key->k = c->k;
	key->key = VARDATA_ANY(c->key);
	key->key_len = VARSIZE_ANY_EXHDR(c->key);
	key->opts = VARDATA_ANY(c->optsjb);
	key->opts_len = VARSIZE_ANY_EXHDR(c->optsjb);
	if (key->key_len + key->opts_len > RS_MEMO_MAX_KEY)
		return false;
	key->hash = hash_bytes((const unsigned char *) key->key, key->key_len);
	key->hash = hash_combine(key->hash,
							 hash_bytes((const unsigned char *) key->opts, key->opts_len));
	key->hash = hash_combine(key->hash, hash_bytes_uint32((uint32) c->k ^ (uint32) kind));
	key->hash = hash_combine(key->hash, hash_bytes_uint32((uint32) (c->gen ^ (c->gen >> 32))));
	return true;
}

static bool
RsMemoMatches(const RsMemoEntry *e, const RsMemoKey *key)
{
	const char *b = RsMemoKeyBytes(e);

	return e->hash == key->hash && e->gen == key->gen && e->k == key->k &&
		e->kind == key->kind && e->key_len == key->key_len &&
		e->opts_len == key->opts_len &&
		memcmp(b, key->key, key->key_len) == 0 &&
		memcmp(b + key->key_len, key->opts, key->opts_len) == 0;
}

static void
RsMemoUnlinkLru(RsMemoEntry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		oldest = e->newer;
}

static void
RsMemoPushNewest(RsMemoEntry *e)
{
	e->newer = NULL;
	e->older = newest;
	if (newest)
		newest->newer = e;
	newest = e;
	if (oldest == NULL)
		oldest = e;
}

/* Take e out of its bucket and the LRU list, and free it. */
static void
RsMemoRemove(RsMemoEntry *e)
{
	RsMemoEntry **p = &buckets[e->hash & (n_buckets - 1)];

	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	RsMemoUnlinkLru(e);
	n_entries--;
	pfree(e);
}

/* Evict the least recently used answers down to `keep`. */
static void
RsMemoShrink(int keep)
{
	while (n_entries > Max(keep, 0) && oldest != NULL)
		RsMemoRemove(oldest);
}

/* The rows kept for key (*n of them), or NULL. Valid until the next store. */
const rs_reco *
RsMemoLookup(const RsMemoKey *key, int *n)
{
	RsMemoEntry *e;

	if (n_buckets == 0)
		return NULL;
	for (e = buckets[key->hash & (n_buckets - 1)]; e != NULL; e = e->chain)
		if (RsMemoMatches(e, key))
		{
			if (e != newest)
			{
				RsMemoUnlinkLru(e);
				RsMemoPushNewest(e);
			}
			*n = e->n;
			/* tests watch for this line (sql/memo.sql) */
			elog(DEBUG1, "recsys: answer from the result memo");
			return e->rows;
		}
	return NULL;
}

/* Double the bucket array (or create it) and rehash. */
static void
RsMemoGrow(void)
{
	uint32		nb = n_buckets ? n_buckets * 2 : 256;
	RsMemoEntry **nbk = MemoryContextAllocZero(memo_cxt, sizeof(RsMemoEntry *) * nb);

	for (RsMemoEntry *e = newest; e != NULL; e = e->older)
	{
		e->chain = nbk[e->hash & (nb - 1)];
		nbk[e->hash & (nb - 1)] = e;
	}
	if (buckets)
		pfree(buckets);
	buckets = nbk;
	n_buckets = nb;
}

/* Keep n rows as the answer for key (the caller looked it up and missed). */
void
RsMemoStore(const RsMemoKey *key, const rs_reco *rows, int n)
{
	RsMemoEntry *e;
	Size		size;

	if (n < 0 || n > key->k)
		return;
	if (memo_cxt == NULL)
		memo_cxt = AllocSetContextCreate(TopMemoryContext, "recsys result memo",
										 ALLOCSET_DEFAULT_SIZES);
	RsMemoShrink(recsys_result_cache - 1);
	if ((uint32) n_entries >= n_buckets)
		RsMemoGrow();
	size = offsetof(RsMemoEntry, rows) + sizeof(rs_reco) * n + key->key_len + key->opts_len;
	e = MemoryContextAlloc(memo_cxt, size);
	e->gen = key->gen;
	e->hash = key->hash;
	e->k = key->k;
	e->n = n;
	e->key_len = key->key_len;
	e->opts_len = key->opts_len;
	e->kind = key->kind;
	memcpy(e->rows, rows, sizeof(rs_reco) * n);
	memcpy((char *) RsMemoKeyBytes(e), key->key, key->key_len);
	memcpy((char *) RsMemoKeyBytes(e) + key->key_len, key->opts, key->opts_len);
	e->chain = buckets[e->hash & (n_buckets - 1)];
	buckets[e->hash & (n_buckets - 1)] = e;
	RsMemoPushNewest(e);
	n_entries++;
}

/* Drop every answer of a model generation (cache.c: evicted or reloaded). */
void
RsMemoForget(uint64 gen)
{
	RsMemoEntry *e = newest;

	if (gen == 0)				/* no load: nothing kept */
		return;
	while (e != NULL)
	{
		RsMemoEntry *next = e->older;

		if (e->gen == gen)
			RsMemoRemove(e);
		e = next;
	}
}

/* GUC assign hook: a smaller recsys.result_cache frees the surplus now. */
void
RsMemoAssignSize(int newval, void *extra)
{
	if (memo_cxt != NULL)
		RsMemoShrink(newval);
}
