/*
 * acl.c - who may do what with a model, and whose rights SQL runs with.
 *
 * Models work like PostgreSQL's own objects: the role that first trains a
 * model owns it (recsys.models.owner); the owner, members of the owning
 * role and superusers may retrain, drop, grant and evaluate it; other roles
 * may use it (serve, explain, see it in recsys_models) once the owner has
 * granted it to them or to public. Roles are kept by name, as pg_cron keeps
 * its job owners, so that pg_dump and a restore keep them.
 *
 * Nobody but the extension owner has privileges on the tables of schema
 * recsys: this binding reads and writes them as that owner, with a pinned
 * search_path, after checking the caller's rights here. Stored SQL (a
 * model's source, read for fresh users and sessions) runs as the model's
 * owner inside a security-restricted operation, with the search_path the
 * owner trained with, the way REFRESH MATERIALIZED VIEW runs a view's query:
 * never with the rights of whoever calls recommend().
 */
#include "pg_recsys.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"

/* The search_path of every query on the store: nothing the caller made. */
#define RS_STORE_SEARCH_PATH "pg_catalog, pg_temp"

/* Run as `role` (restricted: a security-restricted operation) with `path`. */
void
RsBecomeRole(Oid role, bool restricted, const char *path, RsRoleSwitch *s)
{
	GetUserIdAndSecContext(&s->save_user, &s->save_sec);
	SetUserIdAndSecContext(role, s->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   (restricted ? SECURITY_RESTRICTED_OPERATION : 0));
	s->nest = NewGUCNestLevel();
	(void) set_config_option("search_path", path, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/* Back to the caller's role and settings (an error does this by itself). */
void
RsRestoreRole(RsRoleSwitch *s)
{
	AtEOXact_GUC(false, s->nest);
	SetUserIdAndSecContext(s->save_user, s->save_sec);
}

/* Become the owner of the model store, for the binding's own queries. */
void
RsStoreEnter(RsRoleSwitch *s)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(RsStoreRelid()));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for recsys.model_store");
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	RsBecomeRole(owner, false, RS_STORE_SEARCH_PATH, s);
}

/* Does the current role have the privileges of the role called `rolename`? */
bool
RsHoldsRole(const char *rolename)
{
	Oid			role;

	if (rolename == NULL)
		return superuser();
	role = get_role_oid(rolename, true);
	return OidIsValid(role) && has_privs_of_role(GetUserId(), role);
}

/* May the current role use (RS_PRIV_USAGE) or own (RS_PRIV_OWNER) a model? */
bool
RsAclAllows(const RsModelAcl *acl, RsModelPriv priv)
{
	if (superuser() || (acl->owner != NULL && RsHoldsRole(acl->owner)))
		return true;
	if (priv == RS_PRIV_OWNER)
		return false;
	for (int i = 0; i < acl->n_granted; i++)
		if (strcmp(acl->granted[i], "public") == 0 || RsHoldsRole(acl->granted[i]))
			return true;
	return false;
}

/* Error unless the current role holds `priv` on model `name`. */
void
RsCheckModelPrivilege(const char *name, RsModelPriv priv, const char *action)
{
	const RsModelAcl *acl = RsCacheModelAcl(name);

	if (acl == NULL)
		RsReportUnknownModel(name);
	if (RsAclAllows(acl, priv))
		return;
	if (priv == RS_PRIV_OWNER)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of model \"%s\" to %s it", RsShort(name), action),
				 acl->owner ? errdetail("Model \"%s\" is owned by role %s.", RsShort(name),
										quote_identifier(acl->owner)) : 0));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for model \"%s\"", RsShort(name)),
			 errhint("Its owner can run: SELECT recsys_grant(%s, %s);",
					 quote_literal_cstr(name),
					 quote_literal_cstr(GetUserNameFromId(GetUserId(), false)))));
}

/* The name of the current role, as models record owners. */
char *
RsCurrentRoleName(void)
{
	return GetUserNameFromId(GetUserId(), false);
}

/* The role a grant names: an existing role's name, or "public". */
static char *
RsGranteeArg(FunctionCallInfo fcinfo, int argno, bool public_ok)
{
	char	   *role = text_to_cstring(PG_GETARG_TEXT_PP(argno));

	if (public_ok && pg_strcasecmp(role, "public") == 0)
		return pstrdup("public");
	if (!OidIsValid(get_role_oid(role, true)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", RsShort(role))));
	return role;
}

/* Run one update of recsys.models as the store owner. */
static void
RsModelsUpdate(const char *sql, const char *name, const char *role)
{
	Oid			types[2] = {TEXTOID, NAMEOID};
	Datum		values[2] = {CStringGetTextDatum(name),
	DirectFunctionCall1(namein, CStringGetDatum(role))};
	RsRoleSwitch rs;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	RsStoreEnter(&rs);
	if (SPI_execute_with_args(sql, 2, types, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "recsys: updating recsys.models failed");
	RsRestoreRole(&rs);
	SPI_finish();
}

/* The model argument of grant, revoke and set_owner: checked, owned. */
static char *
RsOwnedModelArg(FunctionCallInfo fcinfo, const char *action)
{
	char	   *name;

	RsCheckNotNull(fcinfo, 0, "model");
	RsCheckNotNull(fcinfo, 1, "role");
	PreventCommandIfReadOnly(psprintf("recsys_%s()", action));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	RsCheckModelName(name);
	RsCheckModelPrivilege(name, RS_PRIV_OWNER, action);
	return name;
}

PG_FUNCTION_INFO_V1(recsys_grant);

/* recsys_grant(model, role): let `role` (or public) use the model. */
Datum
recsys_grant(PG_FUNCTION_ARGS)
{
	char	   *name = RsOwnedModelArg(fcinfo, "grant");

	RsModelsUpdate("UPDATE recsys.models SET granted_to = granted_to || $2"
				   " WHERE name = $1 AND NOT ($2 = ANY (granted_to))",
				   name, RsGranteeArg(fcinfo, 1, true));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(recsys_revoke);

/* recsys_revoke(model, role): take a grant back. */
Datum
recsys_revoke(PG_FUNCTION_ARGS)
{
	char	   *name = RsOwnedModelArg(fcinfo, "revoke");
	char	   *role = text_to_cstring(PG_GETARG_TEXT_PP(1));

	/* a dropped role's grant can still be taken back by its name */
	if (pg_strcasecmp(role, "public") == 0)
		role = "public";
	RsModelsUpdate("UPDATE recsys.models SET granted_to = array_remove(granted_to, $2)"
				   " WHERE name = $1", name, role);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(recsys_set_owner);

/*
 * recsys_set_owner(model, role): as ALTER ... OWNER TO, the owner may give a
 * model to a role it is a member of; a superuser to anyone.
 */
Datum
recsys_set_owner(PG_FUNCTION_ARGS)
{
	char	   *name = RsOwnedModelArg(fcinfo, "set the owner of");
	char	   *role = RsGranteeArg(fcinfo, 1, false);

	if (!superuser() && !is_member_of_role(GetUserId(), get_role_oid(role, false)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be member of role \"%s\"", RsShort(role))));
	RsModelsUpdate("UPDATE recsys.models SET owner = $2 WHERE name = $1", name, role);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(recsys_has_model_privilege);

/* recsys_has_model_privilege(model, 'USAGE' | 'OWNER'); NULL for no such model. */
Datum
recsys_has_model_privilege(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *priv = text_to_cstring(PG_GETARG_TEXT_PP(1));
	const RsModelAcl *acl;
	RsModelPriv p;

	if (pg_strcasecmp(priv, "usage") == 0)
		p = RS_PRIV_USAGE;
	else if (pg_strcasecmp(priv, "owner") == 0)
		p = RS_PRIV_OWNER;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized model privilege \"%s\"", RsShort(priv)),
				 errhint("Model privileges are USAGE and OWNER.")));
	acl = RsCacheModelAcl(name);
	if (acl == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(RsAclAllows(acl, p));
}
