/*
 * messages.c - the one wording of "not found" for both bindings: a model
 * that is not stored, and a user or item that a model does not know.
 *
 *   model "<name>" does not exist
 *   user "<id>" is not in model "<name>"
 *   item "<id>" is not in model "<name>"
 *
 * The serving functions of the core do not know a model's name, so their
 * own not-found errors (rs_similar_items, rs_explain, rs_user_profile) say
 * "the model"; the binding, which does, has rs_error_name_model rewrite them.
 * Each binding adds what its database shows besides (PostgreSQL: an errcode
 * and a hint listing the models; SQLite: the list in parentheses). Names
 * and ids are cut with rs_shorten.
 */
#include "internal.h"

rs_status rs_not_found(rs_error *err, rs_missing what, const char *id, size_t len,
                       const char *model)
{
	char sid[RS_SHORT_CAP], smodel[RS_SHORT_CAP];
	rs_shorten(id, len, sid, sizeof sid);
	if (what == RS_MISSING_MODEL)
		return rs_fail(err, RS_ENOTFOUND, "model \"%s\" does not exist", sid);
	return rs_fail(err, RS_ENOTFOUND, "%s \"%s\" is not in model \"%s\"",
	               what == RS_MISSING_USER ? "user" : "item", sid,
	               rs_shorten(model, (size_t)-1, smodel, sizeof smodel));
}

void rs_error_name_model(rs_error *err, const rs_model *m, const char *model, const char *user,
                         size_t user_len, const char *item, size_t item_len)
{
	if (!err || err->status != RS_ENOTFOUND)
		return;
	if (user && rs_model_find_user(m, user, user_len) < 0)
		rs_not_found(err, RS_MISSING_USER, user, user_len, model);
	else
		rs_not_found(err, RS_MISSING_ITEM, item, item_len, model);
}
