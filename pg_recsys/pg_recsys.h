/*
 * pg_recsys.h - declarations shared by the files of the PostgreSQL binding.
 *
 * The binding is thin: it reads arguments, rows and jsonb options with
 * PostgreSQL's own machinery, hands them to the core (core/recsys.h) and turns
 * the core's status into ereport(). One file per concern:
 *   pg_recsys.c  _PG_init, GUCs, recsys_version()
 *   errors.c     rs_status -> errcode, argument checks
 *   options.c    jsonb -> rs_opt tree
 *   source.c     resolving and reading the training source and side tables
 *   train.c      recsys_train(), recsys_drop_model()
 *   import.c     recsys_import(): a model from vectors trained elsewhere
 *   evaluate.c   recsys_evaluate(), the evaluation record
 *   store.c      the model table: versions, pruning, drop, ownership claim
 *   acl.c        model owners and grants; running SQL as another role
 *   cache.c      per-backend cache of loaded models, relcache invalidation
 *   recommend.c  recommend(), popular_items()
 *   similar.c    similar_items()
 *   for_items.c  recommend_for_items()
 *   fresh.c      fresh users of recommend(), recommend_for_session()
 *   batch.c      recommend_batch()
 *   logged.c     recommend_logged(): serve and record impressions
 *   outcomes.c   recsys_record_outcome(): outcomes and their attribution
 *   analytics.c  recsys_user_stats()
 *   vectors.c    recsys_item_vectors(), recsys_user_vectors()
 *   explain.c    recsys_explain(), recsys_user_profile()
 *   progress.c   progress messages and pg_stat_activity during long work
 *   policy.c     policies: per-backend cache, arm choice (resolve)
 *   policy_admin.c  recsys_create_policy(), recsys_drop_policy(), recsys_policy_report()
 *   replay.c     recsys_replay(): offline estimates from logged impressions
 */
#ifndef PG_RECSYS_H
#define PG_RECSYS_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"

#include "recsys.h"

/* GUCs (pg_recsys.c) */
extern char *recsys_default_model;
extern int	recsys_threads;
extern int	recsys_keep_versions;
extern int	recsys_progress;		/* rs_progress_level (progress.c) */

/* errors.c */
extern void RsReportError(const rs_error *err) pg_attribute_noreturn();
extern void RsReportErrorHint(const rs_error *err, const char *hint) pg_attribute_noreturn();
extern void RsCheckNotNull(FunctionCallInfo fcinfo, int argno, const char *name);
extern const char *RsShort(const char *name);

/* options.c */
extern const rs_opt *RsOptionsFromJsonb(Jsonb *jb, const char *argname);

/* source.c */
extern void RsSourceLoad(const char *source, const rs_config *cfg,
						 const rs_opt *opts, rs_builder **builder);
extern void RsSourceReadHistory(const char *source, const rs_model *m,
								const char *key_role, text *key, rs_history *h);
extern void RsSourceForStore(const char *source, char **stored, char **search_path);
extern void RsSourceLoadVectors(const char *source, const char *arg, rs_import *im,
								rs_side side);

/* progress.c: the progress of one training or evaluation */
typedef struct RsProgress
{
	rs_callbacks cb;			/* what rs_train / rs_evaluate get (cancel too) */
	int			level;			/* message level, 0: no messages */
	const char *what;			/* "train", "evaluate" */
	const char *name;			/* the model or algorithm */
	bool		activity;		/* pg_stat_activity changed: restore it */
	char	   *saved;			/* the activity text before (TopMemoryContext) */
	char	   *text;			/* the text reported, text_size bytes (the same) */
	int			text_size;
	int			state;			/* its BackendState */
	uint64		query_id;
} RsProgress;

extern void RsProgressBegin(RsProgress *p, rs_config *cfg, const char *what, const char *name);
extern void RsProgressEnd(RsProgress *p);

/*
 * train.c: everything a training or an evaluation allocates outside palloc,
 * owned by a memory context whose reset callback destroys it.
 */
typedef struct RsTrainState
{
	MemoryContext cxt;
	rs_config  *cfg;
	rs_builder *builder;
	rs_import  *import;			/* recsys_import() */
	rs_model   *model;
	unsigned char *blob;
	size_t		blob_len;
	char	   *summary;		/* training summary */
	RsProgress	progress;		/* its callbacks are the core's */
	MemoryContextCallback cb;
} RsTrainState;

extern RsTrainState *RsTrainStateCreate(const char *cxtname);
extern void RsTrainConfigure(RsTrainState *st, const char *algorithm, Jsonb *options,
							 const rs_opt **opts);
extern void RsTrainWatch(RsTrainState *st, const char *what, const char *name);
extern void RsReportTrainError(const rs_error *err) pg_attribute_noreturn();
extern rs_callbacks RsTrainCallbacks(void);
extern Jsonb *RsSaveModel(RsTrainState *st, const char *name, const char *source,
						  Jsonb *options, MemoryContext resultcxt);

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
	const char *source;			/* the training source (qualified relation name or query) */
	const char *search_path;	/* the trainer's search_path (query sources), or NULL */
} RsStoredModel;

/* What a fresh read needs of the latest version: source, path, owner. */
typedef struct RsStoredSource
{
	char	   *source;
	char	   *search_path;	/* NULL: none recorded */
	char	   *owner;			/* NULL: no owner recorded */
} RsStoredSource;

/* cache.c: a private copy of the latest stored version, and its row */
extern rs_model *RsCacheLoadBlob(const char *name, bool read_only, int32 *version,
								 int64 *xmin, int64 *len, uint64 *sum);

/* image.c: one mapped serving image per model version and server */
extern bool recsys_shared_models;
extern rs_model *RsImageLoad(const char *name, bool read_only, int32 *version,
							 int64 *xmin, rs_model **private_m);
extern void RsImageCleanup(int n, char **names, const int32 *versions,
						   const int64 *xmins);

extern Oid	RsStoreRelid(void);
extern Oid	RsStoreKnownRelid(void);
extern void RsStoreForgetRelid(void);
extern void RsCheckModelName(const char *name);
extern void RsStoreClaim(const char *name);
extern int	RsStoreLockNextVersion(const char *name);
extern void RsStoreInsert(const RsStoredModel *m);
extern void RsStoreCheckSize(const RsStoredModel *m);
extern void RsStoreInsertValue(const RsStoredModel *m, bytea *blob);
extern bool RsStoreDrop(const char *name);
extern bool RsStoreLatest(const char *name, int *version, char **algorithm,
						  Jsonb **options);
extern bool RsStoreSource(const char *name, RsStoredSource *src);

/* acl.c: model privileges and role switches */
typedef enum RsModelPriv
{
	RS_PRIV_USAGE,				/* serve, explain, see in recsys_models */
	RS_PRIV_OWNER				/* retrain, drop, grant, evaluate by name */
} RsModelPriv;

/* Owner and grants of one model (role names; "public" for everyone). */
typedef struct RsModelAcl
{
	char	   *owner;			/* NULL: none recorded (superusers only) */
	char	  **granted;
	int			n_granted;
} RsModelAcl;

/* A role switch in progress: what to restore. */
typedef struct RsRoleSwitch
{
	Oid			save_user;
	int			save_sec;
	int			nest;
} RsRoleSwitch;

extern void RsBecomeRole(Oid role, bool restricted, const char *path, RsRoleSwitch *s);
extern void RsRestoreRole(RsRoleSwitch *s);
extern void RsStoreEnter(RsRoleSwitch *s);
extern bool RsHoldsRole(const char *rolename);
extern bool RsAclAllows(const RsModelAcl *acl, RsModelPriv priv);
extern void RsCheckModelPrivilege(const char *name, RsModelPriv priv, const char *action);
extern char *RsCurrentRoleName(void);

/* fresh.c: fresh users (recommend, when rs_fresh_wanted) and recommend_for_session */
extern void RsRecommendFresh(const char *name, const rs_model *m, text *user, int32 k,
							 const rs_opt *opts, rs_reco *recs, int *n);
extern bool RsProfileFresh(const char *name, const rs_model *m, text *user, const rs_opt *opts,
						   rs_profile *p);
extern rs_history *RsFreshHistory(const char *name, const rs_model *m, text *user);

/* recommend.c: the set-returning functions' shared steps */
extern rs_reco *RsRecoBuffer(int32 k);
extern void RsInitSRF(FunctionCallInfo fcinfo);
extern void RsEmitRows(FunctionCallInfo fcinfo, const rs_model *m, const rs_reco *recs,
					   int n, bool with_reason);
extern void RsEmitRowsFor(FunctionCallInfo fcinfo, const Datum *key, const rs_model *m,
						  const rs_reco *recs, int n, bool with_reason);
/* A call of a serving function: its arguments, model and rows (RsCallStart). */
typedef struct RsKeyCall
{
	text	   *key;			/* a text key (user_id, item_id, session_id), or NULL */
	int32		k;
	const rs_opt *opts;
	const char *name;			/* the model's name, resolved */
	const rs_model *m;
	uint64		gen;			/* m's load generation (cache.c; memo.c's key) */
	Jsonb	   *optsjb;			/* the options argument as given */
	rs_reco    *recs;			/* room for k rows */
	int			n;				/* rows written */
	/* a policy named in place of the model (RsCallStartFor): else NULL */
	const char *policy;			/* the policy named, NULL: a model was named */
	const char *arm;			/* the policy's arm served, or NULL */
	double		propensity;		/* the probability the arm had (1 for a model) */
} RsKeyCall;
extern void RsCallStart(FunctionCallInfo fcinfo, const char *keyname, RsKeyCall *c);
extern void RsCallStartFor(FunctionCallInfo fcinfo, const char *keyname,
						   const char *request_id, bool policies, RsKeyCall *c);
extern const rs_reco *RsRecommendRows(RsKeyCall *c);
extern void RsEmitRowsWith(FunctionCallInfo fcinfo, const Datum *key, const Datum *tail,
						   const rs_model *m, const rs_reco *recs, int n, bool with_reason,
						   const char *arm);
extern void RsEmitRowsArm(FunctionCallInfo fcinfo, const Datum *key, const rs_model *m,
						  const rs_reco *recs, int n, bool with_reason, const char *arm);

/* logged.c: recommend_logged()'s impressions */
extern void RsCheckWritable(const char *what, const char *hint);

/* cache.c: the stored version of the model a name's cache entry holds */
extern int32 RsCacheModelVersion(const char *name);

/* cache.c */
extern void RsCacheInit(void);
extern SPIPlanPtr RsPreparePlan(const char *sql, int nargs, Oid *types);
extern const char *RsCacheResolveName(const char *name);
extern const rs_model *RsCacheGetModel(const char *name);
extern const rs_model *RsCacheGetModelGen(const char *name, uint64 *gen);
extern void RsReportUnknownModel(const char *name) pg_attribute_noreturn();
extern const RsModelAcl *RsCacheModelAcl(const char *name);

/* memo.c: per-backend memo of pure serving answers (recsys.result_cache) */
extern int	recsys_result_cache;
typedef struct RsMemoKey
{
	uint64		gen;			/* model load generation */
	uint32		hash;
	int32		k;
	char		kind;			/* 'r' recommend, 's' similar_items */
	const char *key;			/* user or item id bytes */
	int			key_len;
	const char *opts;			/* the options jsonb's bytes */
	int			opts_len;
} RsMemoKey;
extern bool RsMemoKeyFor(const RsKeyCall *c, char kind, RsMemoKey *key);
extern const rs_reco *RsMemoLookup(const RsMemoKey *key, int *n);
extern void RsMemoStore(const RsMemoKey *key, const rs_reco *rows, int n);
extern void RsMemoForget(uint64 gen);
extern void RsMemoAssignSize(int newval, void *extra);

/* policy.c: what a name serves (resolve): a model, or a policy's chosen arm */
extern int	recsys_policy_refresh_ms;
typedef struct RsResolved
{
	const char *model;			/* the model to serve */
	Jsonb	   *options;		/* the arm's options under the caller's */
	const char *policy;			/* NULL: `name` is a model */
	const char *arm;
	double		propensity;		/* the arm's choice probability */
} RsResolved;
extern bool RsPolicyResolve(const char *name, text *user, const char *request_id,
							Jsonb *options, RsResolved *out);
extern bool RsPolicyExists(const char *name);
extern bool RsPolicyTablesExist(void);
extern void RsPolicyCheckDefinition(const char *strategy, Jsonb *options, int n,
									char **arm_names);
struct rs_policy;
extern int	RsPolicyArms(const char *name, const char ***arms, const char ***models,
						 const double **prob, struct rs_policy **pol);

#endif							/* PG_RECSYS_H */
