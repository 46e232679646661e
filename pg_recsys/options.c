/*
 * options.c - turn a jsonb options argument into the core's rs_opt tree.
 *
 * The core holds no JSON parser: it reads a plain tree of typed values. The
 * tree is palloc'd in the current memory context and lives as long as it.
 */
#include "pg_recsys.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

static void RsOptContainer(JsonbIterator **it, rs_opt *node, rs_opt_kind kind);

/* Copy one jsonb scalar into an rs_opt node. */
static void
RsOptScalar(const JsonbValue *v, rs_opt *node)
{
	switch (v->type)
	{
		case jbvNull:
			node->kind = RS_OPT_NULL;
			break;
		case jbvBool:
			node->kind = RS_OPT_BOOL;
			node->boolean = v->val.boolean;
			break;
		case jbvNumeric:
			node->kind = RS_OPT_NUMBER;
			node->number = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
															  NumericGetDatum(v->val.numeric)));
			break;
		case jbvString:
			node->kind = RS_OPT_STRING;
			node->string = pnstrdup(v->val.string.val, v->val.string.len);
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
}

/* Fill `node` from the value whose first token `tok` was just read. */
static void
RsOptValue(JsonbIterator **it, JsonbIteratorToken tok, const JsonbValue *v,
		   rs_opt *node)
{
	switch (tok)
	{
		case WJB_BEGIN_OBJECT:
			RsOptContainer(it, node, RS_OPT_OBJECT);
			break;
		case WJB_BEGIN_ARRAY:
			RsOptContainer(it, node, RS_OPT_ARRAY);
			break;
		case WJB_VALUE:
		case WJB_ELEM:
			RsOptScalar(v, node);
			break;
		default:
			elog(ERROR, "unexpected jsonb token %d", (int) tok);
	}
}

/* Read the members of an object or the elements of an array up to its end. */
static void
RsOptContainer(JsonbIterator **it, rs_opt *node, rs_opt_kind kind)
{
	int			cap = 4;
	int			n = 0;
	rs_opt	   *kids = palloc0(cap * sizeof(rs_opt));
	const char *key = NULL;
	JsonbValue	v;
	JsonbIteratorToken tok;

	check_stack_depth();
	while ((tok = JsonbIteratorNext(it, &v, false)) != WJB_END_OBJECT &&
		   tok != WJB_END_ARRAY)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (n == cap)
		{
			cap *= 2;
			kids = repalloc(kids, cap * sizeof(rs_opt));
		}
		memset(&kids[n], 0, sizeof(rs_opt));
		RsOptValue(it, tok, &v, &kids[n]);
		kids[n].key = key;
		key = NULL;
		n++;
	}
	node->kind = kind;
	node->n_children = n;
	node->children = kids;
}

/* Name of the JSON type at the root of a jsonb, for error messages. */
static const char *
RsJsonbRootType(Jsonb *jb)
{
	return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(jsonb_typeof,
															  JsonbPGetDatum(jb))));
}

/*
 * The rs_opt tree of an options argument, which must be a JSON object.
 * An empty object gives NULL: the core treats that as "all defaults", and
 * the serving hot path skips building a tree.
 */
const rs_opt *
RsOptionsFromJsonb(Jsonb *jb, const char *argname)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	rs_opt	   *root;

	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must be a JSON object, not %s",
						argname, RsJsonbRootType(jb))));
	if (JB_ROOT_COUNT(jb) == 0)
		return NULL;
	root = palloc0(sizeof(rs_opt));
	it = JsonbIteratorInit(&jb->root);
	tok = JsonbIteratorNext(&it, &v, false);
	Assert(tok == WJB_BEGIN_OBJECT);
	RsOptValue(&it, tok, &v, root);
	return root;
}
