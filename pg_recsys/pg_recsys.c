/*
 * pg_recsys.c - module entry point: _PG_init registers the GUCs and the model
 * cache's invalidation callback; recsys_version() reports the core's version.
 *
 * The library needs no shared_preload_libraries: everything it sets up is
 * per backend, and OpenBLAS's thread pool is only created when a training
 * first runs in a backend (never in the postmaster, where fork would break it).
 */
#include "pg_recsys.h"

#include "utils/builtins.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

char	   *recsys_default_model = NULL;
int			recsys_threads = 0;
int			recsys_keep_versions = 2;

void		_PG_init(void);

/* recsys.progress: the option "progress"'s words */
static const struct config_enum_entry RsProgressLevels[] = {
	{"off", RS_PROGRESS_OFF, false},
	{"notice", RS_PROGRESS_NOTICE, false},
	{"info", RS_PROGRESS_INFO, false},
	{"log", RS_PROGRESS_LOG, false},
	{NULL, 0, false}
};

/* Define the recsys.* GUCs and set up the model cache. */
void
_PG_init(void)
{
	DefineCustomStringVariable("recsys.default_model",
							   "Model used when recommend() and friends get no model name.",
							   "Empty means: the only stored model, if there is exactly one.",
							   &recsys_default_model, "",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("recsys.threads",
							"Threads a training uses unless its options give \"threads\", and recommend_batch() uses.",
							"0 means one per CPU core.",
							&recsys_threads, 0, 0, 64,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("recsys.keep_versions",
							"Stored versions kept per model; older ones are deleted by recsys_train().",
							NULL,
							&recsys_keep_versions, 2, 1, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("recsys.shared_models",
							 "Backends map one shared serving image of each model version.",
							 "Off: every backend loads its own private copy.",
							 &recsys_shared_models, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("recsys.result_cache",
							"Answers of recommend() and similar_items() each backend memoises.",
							"Only answers that depend on the model version, key, k and options "
							"alone; least recently used out first; 0 turns the memo off.",
							&recsys_result_cache, 10000, 0, 10000000,
							PGC_USERSET, 0, NULL, RsMemoAssignSize, NULL);
	DefineCustomEnumVariable("recsys.progress",
							 "Level of recsys_train() and recsys_evaluate() progress messages "
							 "unless their options give \"progress\".",
							 "off (the default, for scheduled jobs), notice, info or log.",
							 &recsys_progress, RS_PROGRESS_OFF, RsProgressLevels,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("recsys.policy_refresh_ms",
							"Milliseconds a backend serves a policy from its cached arm statistics.",
							"0 reads them on every call.",
							&recsys_policy_refresh_ms, 1000, 0, 3600000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	MarkGUCPrefixReserved("recsys");
	RsCacheInit();
}

PG_FUNCTION_INFO_V1(recsys_version);

/* recsys_version(): the core's version string (RS_VERSION). */
Datum
recsys_version(PG_FUNCTION_ARGS)
{
	if (strcmp(RS_VERSION, PG_RECSYS_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("recsys core version %s does not match extension version %s",
						RS_VERSION, PG_RECSYS_VERSION)));
	PG_RETURN_TEXT_P(cstring_to_text(RS_VERSION));
}
