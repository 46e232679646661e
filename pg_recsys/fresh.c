/*
 * fresh.c - recommendations from the model's source at request time:
 * recommend() for a user the model does not know, or with "fresh": true,
 * and recommend_for_session(). The user's (session's) current rows are read
 * from the source the model was trained on (recsys.model_store.source) and
 * folded in by the core (rs_recommend_for_history), so new events count
 * without retraining. The read runs as the model's owner, in a
 * security-restricted operation with the search_path the owner trained with
 * (acl.c): stored SQL never runs with the rights of whoever calls
 * recommend(), as with views and materialized views.
 *
 * Only these paths read the source: recommend() for a known user without
 * "fresh" runs no query at all (recommend.c).
 */
#include "pg_recsys.h"

#include "executor/spi.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/* A core history owned by a memory context: destroyed on every exit. */
typedef struct RsHistoryHolder
{
	rs_history *h;
	MemoryContextCallback cb;
} RsHistoryHolder;

static void
RsHistoryFree(void *arg)
{
	rs_history_destroy(&((RsHistoryHolder *) arg)->h);
}

/* A history for model m, freed with the current memory context. */
static rs_history *
RsHistoryCreate(const rs_model *m)
{
	RsHistoryHolder *hh = palloc0(sizeof(RsHistoryHolder));
	rs_error	err;

	if (rs_history_create(m, &hh->h, &err) != RS_OK)
		RsReportError(&err);
	hh->cb.func = RsHistoryFree;
	hh->cb.arg = hh;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &hh->cb);
	return hh->h;
}

/* What a failing read was doing, for the error's context line. */
typedef struct RsReadWhat
{
	const char *role;
	const char *key;
	const char *model;
} RsReadWhat;

static void
RsReadContext(void *arg)
{
	RsReadWhat *w = (RsReadWhat *) arg;

	errcontext("reading the rows of %s \"%s\" from the source of model \"%s\"",
			   w->role, w->key, w->model);
}

/*
 * The model's owner, whose rights its stored source is read with; an error
 * when no owner is recorded or the role is gone.
 */
static Oid
RsSourceOwner(const char *name, const RsStoredSource *src)
{
	Oid			owner = src->owner ? get_role_oid(src->owner, true) : InvalidOid;

	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the owner of model \"%s\" no longer exists", RsShort(name)),
				 errdetail("The source of a model is read with its owner's rights."),
				 errhint("A superuser can give the model to a role: SELECT recsys_set_owner(%s, 'role');",
						 quote_literal_cstr(name))));
	return owner;
}

/* The search_path of a source read: the trainer's, temporary schemas last. */
static char *
RsSourcePath(const RsStoredSource *src)
{
	if (src->search_path == NULL || src->search_path[0] == '\0')
		return "pg_catalog, pg_temp";
	return psprintf("%s, pg_temp", src->search_path);
}

/*
 * Read the rows of one user or session (role "user" / "session") of model
 * `name` into h, as the model's owner. False when the stored model records
 * no source.
 */
static bool
RsReadKeyRows(const char *name, const rs_model *m, const char *role, text *key,
			  rs_history *h)
{
	ErrorContextCallback ctx;
	RsReadWhat	what = {role, RsShort(text_to_cstring(key)), RsShort(name)};
	RsStoredSource src = {0};
	RsRoleSwitch rs;
	bool		has_source;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	has_source = RsStoreSource(name, &src) && src.source != NULL;
	if (has_source && rs_model_source_column(m, role) != NULL)
	{
		ctx.callback = RsReadContext;
		ctx.arg = &what;
		ctx.previous = error_context_stack;
		error_context_stack = &ctx;
		RsBecomeRole(RsSourceOwner(name, &src), true, RsSourcePath(&src), &rs);
		RsSourceReadHistory(src.source, m, role, key, h);
		RsRestoreRole(&rs);
		error_context_stack = ctx.previous;
	}
	SPI_finish();
	return has_source;
}

/*
 * recommend() for a fresh user (rs_fresh_wanted): read the user's rows of
 * the source; which answer they give is the core's decision
 * (rs_recommend_fresh; no history when the model records no source).
 */
void
RsRecommendFresh(const char *name, const rs_model *m, text *user, int32 k,
				 const rs_opt *opts, rs_reco *recs, int *n)
{
	rs_history *h = RsHistoryCreate(m);
	bool		has_source = RsReadKeyRows(name, m, "user", user, h);
	rs_error	err;

	if (rs_recommend_fresh(m, VARDATA_ANY(user), VARSIZE_ANY_EXHDR(user), has_source ? h : NULL,
						   k, opts, recs, n, &err) != RS_OK)
		RsReportError(&err);
}

/*
 * recsys_explain() for a user the model does not know: the user's rows of
 * the source, read as recommend()'s fresh path reads them; NULL when the
 * model records no source (the core then keeps the not-found error).
 */
rs_history *
RsFreshHistory(const char *name, const rs_model *m, text *user)
{
	rs_history *h = RsHistoryCreate(m);

	return RsReadKeyRows(name, m, "user", user, h) ? h : NULL;
}

/*
 * recsys_user_profile() of a user the model does not know: their rows of the
 * source, as recommend() reads a fresh user's. False when the source has
 * none (the caller reports the unknown user).
 */
bool
RsProfileFresh(const char *name, const rs_model *m, text *user, const rs_opt *opts,
			   rs_profile *p)
{
	rs_history *h = RsFreshHistory(name, m, user);
	rs_error	err;

	if (!h || rs_history_rows(h) == 0)
		return false;
	if (rs_user_profile_history(m, h, opts, p, &err) != RS_OK)
		RsReportError(&err);
	return true;
}

PG_FUNCTION_INFO_V1(recommend_for_session);

/*
 * recommend_for_session(session_id, k, model, options): recommend_for_items
 * for the items of one session of the model's source.
 */
Datum
recommend_for_session(PG_FUNCTION_ARGS)
{
	RsKeyCall	c;
	rs_history *h;
	rs_error	err;

	RsCallStart(fcinfo, "session_id", &c);
	h = RsHistoryCreate(c.m);
	if (!RsReadKeyRows(c.name, c.m, "session", c.key, h) ||
		rs_model_source_column(c.m, "session") == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" does not record its source", RsShort(c.name)),
				 errhint("Retrain it with recsys_train() to read sessions from its source.")));
	if (rs_recommend_for_history(c.m, h, 0, c.k, c.opts, c.recs, &c.n, &err) != RS_OK)
		RsReportError(&err);
	RsEmitRows(fcinfo, c.m, c.recs, c.n, true);
	return (Datum) 0;
}
