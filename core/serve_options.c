/*
 * serve_options.c - the serving options in one table, like the training
 * options' tables (config.c, each algorithm's rs_algo_def): name, type,
 * range, what the model must have been trained with, which entry points
 * take it. The pipeline (rerank.c, filters.c) and the session fold-in
 * (fold_in.c) check values here, with the training options' words;
 * test/meta/options_doc.sh holds the README to the lists the code gives.
 */
#include "internal.h"
#include "options.h"

#include <math.h>
#include <string.h>

#define BOTH (RS_FOR_RECOMMEND | RS_FOR_SESSION)
/* the filters: every entry point, popular_items and similar_items too */
#define ALL (BOTH | RS_FOR_POPULAR | RS_FOR_SIMILAR)

const rs_serve_option rs_serve_options[] = {
	{"exclude_seen", RS_SO_BOOL, 0, 0, RS_NEEDS_NOTHING, RS_FOR_RECOMMEND},
	{"fresh", RS_SO_BOOL, 0, 0, RS_NEEDS_NOTHING, RS_FOR_RECOMMEND},
	{"exact", RS_SO_BOOL, 0, 0, RS_NEEDS_NOTHING, RS_FOR_RECOMMEND},
	{"probes", RS_SO_INTEGER, 1, 65536, RS_NEEDS_NOTHING, RS_FOR_RECOMMEND},
	{"alpha", RS_SO_NUMBER, 0, 1e9, RS_NEEDS_NOTHING, RS_FOR_SESSION},
	{"regularization", RS_SO_NUMBER, 0, 1e12, RS_NEEDS_NOTHING, RS_FOR_SESSION},
	{"price_min", RS_SO_NUMBER, -1e300, 1e300, RS_NEEDS_PRICES, ALL},
	{"price_max", RS_SO_NUMBER, -1e300, 1e300, RS_NEEDS_PRICES, ALL},
	{"categories", RS_SO_STRINGS, 0, 0, RS_NEEDS_CATEGORIES, ALL},
	{"exclude_categories", RS_SO_STRINGS, 0, 0, RS_NEEDS_CATEGORIES, ALL},
	/* recommend: item ids to leave out; the session functions: a boolean */
	{"exclude_items", RS_SO_STRINGS, 0, 0, RS_NEEDS_NOTHING, ALL},
	{"candidates", RS_SO_INTEGER, 1, RS_MAX_K, RS_NEEDS_NOTHING, ALL},
	{"upsell", RS_SO_NUMBER, 0, 1e6, RS_NEEDS_PRICES, BOTH},
	{"price_sensitivity", RS_SO_BOOL, 0, 0, RS_NEEDS_PRICES, BOTH},
	/* price_sensitivity's tolerance per spending segment (rerank.c) */
	{"price_tolerances", RS_SO_NUMBERS, 0, 4, RS_NEEDS_PRICES, BOTH},
	{"repurchase_cycle", RS_SO_BOOL, 0, 0, RS_NEEDS_TIMES, BOTH},
	{"now", RS_SO_NUMBER, -1e12, 1e12, RS_NEEDS_NOTHING, BOTH | RS_FOR_POPULAR},
	{"diversity", RS_SO_NUMBER, 0, 1, RS_NEEDS_NOTHING, ALL},
	{"popularity_penalty", RS_SO_NUMBER, 0, 1e6, RS_NEEDS_NOTHING, BOTH | RS_FOR_SIMILAR},
	{"reasons", RS_SO_BOOL, 0, 0, RS_NEEDS_NOTHING, BOTH},
	/* popular_items: what counts (serve.c) and the time window it counts in */
	{"measure", RS_SO_STRING, 0, 0, RS_NEEDS_NOTHING, RS_FOR_POPULAR},
	{"window_days", RS_SO_NUMBER, 1e-6, 1e6, RS_NEEDS_TIMES, RS_FOR_POPULAR},
	{NULL, RS_SO_BOOL, 0, 0, 0, 0},
};

const rs_serve_option *rs_serve_option_find(const char *name)
{
	for (const rs_serve_option *so = rs_serve_options; name && so->name; so++)
		if (!strcmp(so->name, name))
			return so;
	return NULL;
}

rs_status rs_opt_check_number(const char *name, int integer, double lo, double hi,
                              const rs_opt *o, rs_error *err)
{
	if (o->kind != RS_OPT_NUMBER || !isfinite(o->number))
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be %s", name,
		               integer ? "an integer" : "a number");
	if (integer && o->number != floor(o->number))
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be an integer (got %g)", name, o->number);
	if (o->number < lo || o->number > hi)
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be between %g and %g (got %g)", name, lo,
		               hi, o->number);
	return RS_OK;
}

rs_status rs_opt_check_bool(const char *name, const rs_opt *o, rs_error *err)
{
	if (o->kind != RS_OPT_BOOL)
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be a boolean", name);
	return RS_OK;
}

rs_status rs_serve_option_check(const rs_serve_option *so, const rs_opt *o, rs_error *err)
{
	switch (so->type) {
	case RS_SO_BOOL:
		return rs_opt_check_bool(so->name, o, err);
	case RS_SO_NUMBER:
	case RS_SO_INTEGER:
		return rs_opt_check_number(so->name, so->type == RS_SO_INTEGER, so->lo, so->hi, o, err);
	case RS_SO_STRING:
		if (o->kind != RS_OPT_STRING)
			return rs_fail(err, RS_EINVAL, "option \"%s\" must be a string", so->name);
		return RS_OK;
	case RS_SO_STRINGS:
		if (o->kind != RS_OPT_ARRAY)
			return rs_fail(err, RS_EINVAL, "option \"%s\" must be an array of strings", so->name);
		for (size_t k = 0; k < o->n_children; k++)
			if (o->children[k].kind != RS_OPT_STRING)
				return rs_fail(err, RS_EINVAL, "option \"%s\": element %zu must be a string",
				               so->name, k + 1);
		return RS_OK;
	case RS_SO_NUMBERS:
		if (o->kind != RS_OPT_ARRAY || o->n_children != (size_t)so->hi)
			return rs_fail(err, RS_EINVAL, "option \"%s\" must be an array of %g numbers",
			               so->name, so->hi);
		for (size_t k = 0; k < o->n_children; k++)
			if (o->children[k].kind != RS_OPT_NUMBER || !isfinite(o->children[k].number) ||
			    !(o->children[k].number > so->lo))
				return rs_fail(err, RS_EINVAL, "option \"%s\": element %zu must be a number above %g",
				               so->name, k + 1, so->lo);
		return RS_OK;
	}
	return RS_OK;
}

/* Options whose answers depend on nothing but the model and their values. */
static const char *const pure_options[] = {
	"exclude_seen", "exact", "probes", "price_min", "price_max", "categories",
	"exclude_categories", "exclude_items", "candidates", "upsell", "price_sensitivity",
	"price_tolerances", "now", "diversity", "popularity_penalty", "reasons", "measure", NULL,
};

static int is_false(const rs_opt *o)
{
	return o && o->kind == RS_OPT_BOOL && !o->boolean;
}

int rs_serve_options_pure(const rs_opt *options)
{
	if (!options || options->kind == RS_OPT_NULL)
		return 1;
	if (options->kind != RS_OPT_OBJECT)
		return 0;
	for (size_t i = 0; i < options->n_children; i++) {
		const rs_opt *c = &options->children[i];
		const char *key = c->key ? c->key : "";
		int pure = 0;
		for (const char *const *p = pure_options; *p && !pure; p++)
			pure = !strcmp(*p, key);
		if (!strcmp(key, "fresh")) /* true reads the source table */
			pure = is_false(c);
		if (!strcmp(key, "repurchase_cycle")) /* due items depend on the clock */
			pure = is_false(c) || rs_opt_get(options, "now") != NULL;
		if (!strcmp(key, "window_days")) /* popular_items: the window ends now */
			pure = rs_opt_get(options, "now") != NULL;
		if (!pure)
			return 0;
	}
	return 1;
}
