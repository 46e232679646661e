/*
 * pg_recsys.h - declarations shared by the files of the PostgreSQL binding.
 *
 * The binding is thin: it reads arguments, rows and jsonb options with
 * PostgreSQL's own machinery, hands them to the core (core/recsys.h) and turns
 * the core's status into ereport(). One file per concern:
 *   pg_recsys.c  _PG_init, GUCs, recsys_version()
 *   errors.c     rs_status -> errcode, argument checks
 *   options.c    jsonb -> rs_opt tree
 *   source.c     resolving and reading the training source
 *   train.c      recsys_train()
 *   store.c      the model table: versions, pruning, drop
 *   cache.c      per-backend cache of loaded models, relcache invalidation
 *   serve.c      recommend(), popular_items()
 */
#ifndef PG_RECSYS_H
#define PG_RECSYS_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "recsys.h"

/* GUCs (pg_recsys.c) */
extern char *recsys_default_model;
extern int	recsys_threads;
extern int	recsys_keep_versions;

/* errors.c */
extern void RsReportError(const rs_error *err) pg_attribute_noreturn();
extern void RsCheckNotNull(FunctionCallInfo fcinfo, int argno, const char *name);

/* options.c */
extern const rs_opt *RsOptionsFromJsonb(Jsonb *jb, const char *argname);

/* source.c: the columns the training reads, in the order of the read query */
typedef struct RsSourceColumns
{
	int			user_att;		/* 1-based attribute numbers in the read query */
	int			item_att;
	int			weight_att;		/* 0 when absent */
	int			event_att;
	int			ts_att;
} RsSourceColumns;

extern char *RsSourceRelation(const char *source);
extern char *RsSourceReadQuery(const char *from, const rs_config *cfg,
							   const rs_opt *opts, RsSourceColumns *cols);
extern void RsSourceRead(const char *query, const RsSourceColumns *cols,
						 rs_builder *builder);

/* store.c: one stored model version */
typedef struct RsStoredModel
{
	const char *name;
	int			version;
	const char *algorithm;
	int64		users;
	int64		items;
	int64		interactions;
	const unsigned char *blob;
	size_t		blob_len;
	Jsonb	   *options;
	Jsonb	   *summary;
} RsStoredModel;

extern Oid	RsStoreRelid(void);
extern Oid	RsStoreKnownRelid(void);
extern void RsStoreForgetRelid(void);
extern void RsCheckModelName(const char *name);
extern void RsStoreCheckWrite(const char *action);
extern int	RsStoreLockNextVersion(const char *name);
extern void RsStoreInsert(const RsStoredModel *m);
extern bool RsStoreDrop(const char *name);

/* cache.c */
extern void RsCacheInit(void);
extern const char *RsCacheResolveName(const char *name);
extern const rs_model *RsCacheGetModel(const char *name);
extern void RsReportUnknownModel(const char *name) pg_attribute_noreturn();

#endif							/* PG_RECSYS_H */
