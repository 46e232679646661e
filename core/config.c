/*
 * config.c - validation of the algorithm name and its options.
 *
 * Options are declared in tables (rs_opt_spec: name, type, field, default,
 * range): the common ones here, each algorithm's in its rs_algo_def. Unknown
 * keys, wrong types and out-of-range values are errors that name the key,
 * so both bindings report the same text.
 */
#include "internal.h"
#include "options.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof(rs_config, field)

static const rs_opt_spec COMMON[] = {
	{"user_column", RS_T_TEXT, F(columns[RS_COL_USER]), 0, 0, 0, NULL},
	{"item_column", RS_T_TEXT, F(columns[RS_COL_ITEM]), 0, 0, 0, NULL},
	{"weight_column", RS_T_TEXT, F(columns[RS_COL_WEIGHT]), 0, 0, 0, NULL},
	{"event_column", RS_T_TEXT, F(columns[RS_COL_EVENT]), 0, 0, 0, NULL},
	{"ts_column", RS_T_TEXT, F(columns[RS_COL_TS]), 0, 0, 0, NULL},
	{"session_column", RS_T_TEXT, F(session_column), 0, 0, 0, NULL},
	{"threads", RS_T_INT, F(threads), -1, 0, 256, NULL}, /* -1: the binding's default */
	{"seed", RS_T_INT, F(seed_int), 42, 0, 2147483647, NULL},
	/* read by the bindings: where progress reports go (-1: their default) */
	{"progress", RS_T_CHOICE, F(progress), -1, 0, 0, "off|notice|info|log"},
	/* weighting.c; -1: the family's default */
	{"weighting", RS_T_CHOICE, F(weighting), -1, 0, 0, RS_WEIGHTING_CHOICES},
};
#define N_COMMON (sizeof COMMON / sizeof COMMON[0])

/* recsys_evaluate's own (evaluate.c): taken by every configuration so the
 * bindings need no second parser, refused by rs_train, and left out of the
 * known-options lists, which are training's. */
static const rs_opt_spec EVAL[] = {
	{"split", RS_T_CHOICE, F(eval_split), RS_EVAL_USER, 0, 0, "user|global_time"},
	{"test_fraction", RS_T_NUM, F(eval_fraction), 0.2, 0.01, 0.99, NULL},
	{"repeats", RS_T_BOOL, F(eval_repeats), 0, 0, 1, NULL},
};
#define N_EVAL (sizeof EVAL / sizeof EVAL[0])

static const char *DEFAULT_COLUMNS[RS_COL__COUNT] = {
	"user_id", "item_id", "weight", "event", "ts"};

const char *rs_config_algorithm(const rs_config *cfg)
{
	const rs_algo_def *d = rs_algo_find(cfg->algo);
	return d ? d->name : "?";
}

rs_progress_level rs_config_progress(const rs_config *cfg)
{
	return cfg ? (rs_progress_level)cfg->progress : RS_PROGRESS_UNSET;
}

void rs_config_watch(rs_config *cfg, const rs_callbacks *cb)
{
	if (cfg)
		cfg->watch = cb;
}

const char *rs_config_column(const rs_config *cfg, rs_column_role role)
{
	if ((int)role < 0 || role >= RS_COL__COUNT)
		return "";
	return cfg->columns[role] ? cfg->columns[role] : DEFAULT_COLUMNS[role];
}

/* Apply every spec's default. */
static void set_defaults(rs_config *c, const rs_opt_spec *sp, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *field = (char *)c + sp[i].offset;
		if (sp[i].type == RS_T_NUM)
			*(double *)field = sp[i].def;
		else if (sp[i].type != RS_T_TEXT)
			*(int *)field = (int)sp[i].def;
	}
}

/* Options the algorithm accepts, comma-separated, for error messages. */
static void known_options(const rs_algo_def *d, char *buf, size_t size)
{
	const char *special[] = {"event_weights", "purchase_event", "items", "users", "item_features",
	                         "user_features"};
	const size_t ns = sizeof special / sizeof special[0];
	buf[0] = '\0';
	for (size_t i = 0; i < N_COMMON + ns + d->n_options; i++) {
		const char *name = i < N_COMMON ? COMMON[i].name
		                 : i < N_COMMON + ns ? special[i - N_COMMON]
		                 : d->options[i - N_COMMON - ns].name;
		if (buf[0])
			strncat(buf, ", ", size - strlen(buf) - 1);
		strncat(buf, name, size - strlen(buf) - 1);
	}
	/* the object- and array-valued options of hybrid and auto */
	if (d->id == RS_ALGO_HYBRID || d->id == RS_ALGO_AUTO)
		strncat(buf, d->id == RS_ALGO_HYBRID ? ", components" : ", algorithms",
		        size - strlen(buf) - 1);
}

/* Index of s among the '|'-separated choices, or -1. */
static int choice_index(const char *choices, const char *s)
{
	size_t n = strlen(s);
	int idx = 0;
	for (const char *p = choices; *p; idx++) {
		const char *e = strchr(p, '|');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && strncmp(p, s, n) == 0)
			return idx;
		p += l + (e ? 1 : 0);
	}
	return -1;
}

/* Check a number against the spec's type and range (options.h's words). */
static rs_status check_number(const rs_opt_spec *sp, const rs_opt *o, rs_error *err)
{
	return rs_opt_check_number(sp->name, sp->type == RS_T_INT, sp->lo, sp->hi, o, err);
}

/* Validate one option against its spec and store it. */
static rs_status apply_spec(rs_config *c, const rs_opt_spec *sp, const rs_opt *o, rs_error *err)
{
	char *field = (char *)c + sp->offset;
	switch (sp->type) {
	case RS_T_INT:
	case RS_T_NUM: {
		rs_status st = check_number(sp, o, err);
		if (st != RS_OK)
			return st;
		if (sp->type == RS_T_INT)
			*(int *)field = (int)o->number;
		else
			*(double *)field = o->number;
		return RS_OK;
	}
	case RS_T_BOOL:
		if (rs_opt_check_bool(sp->name, o, err) != RS_OK)
			return err->status;
		*(int *)field = o->boolean != 0;
		return RS_OK;
	case RS_T_CHOICE: {
		int idx = o->kind == RS_OPT_STRING ? choice_index(sp->choices, o->string) : -1;
		if (idx < 0)
			return rs_fail(err, RS_EINVAL, "option \"%s\" must be one of %s%s%s%s", sp->name,
			               sp->choices, o->kind == RS_OPT_STRING ? " (got \"" : "",
			               o->kind == RS_OPT_STRING ? o->string : "",
			               o->kind == RS_OPT_STRING ? "\")" : "");
		*(int *)field = idx;
		return RS_OK;
	}
	case RS_T_TEXT:
		if (o->kind != RS_OPT_STRING)
			return rs_fail(err, RS_EINVAL, "option \"%s\" must be a string", sp->name);
		if (o->string[0] == '\0')
			return rs_fail(err, RS_EINVAL, "option \"%s\" must not be empty", sp->name);
		free(*(char **)field);
		*(char **)field = strdup(o->string);
		return *(char **)field ? RS_OK : rs_fail(err, RS_ENOMEM, "out of memory");
	}
	return RS_OK;
}

/* Copy event_weights {"purchase": 1, ...} into the config. */
static rs_status take_events(rs_config *c, const rs_opt *o, rs_error *err)
{
	if (o->kind != RS_OPT_OBJECT)
		return rs_fail(err, RS_EINVAL,
		               "option \"event_weights\" must be an object mapping event names to weights");
	if (o->n_children == 0)
		return rs_fail(err, RS_EINVAL, "option \"event_weights\" must name at least one event");
	c->event_names = rs_calloc(o->n_children, sizeof(char *));
	c->event_weights = rs_calloc(o->n_children, sizeof(double));
	if (!c->event_names || !c->event_weights)
		return rs_fail(err, RS_ENOMEM, "out of memory reading event_weights");
	for (size_t i = 0; i < o->n_children; i++) {
		const rs_opt *e = &o->children[i];
		if (e->kind != RS_OPT_NUMBER || !isfinite(e->number) || e->number < 0 || e->number > 1e9) {
			char se[RS_SHORT_CAP];
			return rs_fail(err, RS_EINVAL,
			               "option \"event_weights\": weight of event \"%s\" must be a number between 0 and 1e9",
			               rs_shorten(e->key, (size_t)-1, se, sizeof se));
		}
		c->event_names[i] = strdup(e->key ? e->key : "");
		if (!c->event_names[i])
			return rs_fail(err, RS_ENOMEM, "out of memory reading event_weights");
		c->event_weights[i] = e->number;
		c->n_events = i + 1;
	}
	return RS_OK;
}

/* "items"/"users": a side table (name or query) for features. */
static rs_status take_side(rs_config *c, int side, const rs_opt *o, rs_error *err)
{
	const char *name = side == RS_SIDE_ITEMS ? "items" : "users";
	if (o->kind != RS_OPT_STRING || o->string[0] == '\0')
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be a table, view or query (a string)", name);
	free(c->side_source[side]);
	c->side_source[side] = strdup(o->string);
	return c->side_source[side] ? RS_OK : rs_fail(err, RS_ENOMEM, "out of memory");
}

/* "item_features"/"user_features": the side-table columns to use. */
static rs_status take_side_cols(rs_config *c, int side, const rs_opt *o, rs_error *err)
{
	const char *name = side == RS_SIDE_ITEMS ? "item_features" : "user_features";
	if (o->kind != RS_OPT_ARRAY || o->n_children == 0)
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be a non-empty array of column names", name);
	c->side_cols[side] = rs_calloc(o->n_children, sizeof(char *));
	if (!c->side_cols[side])
		return rs_fail(err, RS_ENOMEM, "out of memory");
	for (size_t i = 0; i < o->n_children; i++) {
		const rs_opt *e = &o->children[i];
		if (e->kind != RS_OPT_STRING || e->string[0] == '\0')
			return rs_fail(err, RS_EINVAL, "option \"%s\": element %zu must be a column name",
			               name, i + 1);
		c->side_cols[side][i] = strdup(e->string);
		if (!c->side_cols[side][i])
			return rs_fail(err, RS_ENOMEM, "out of memory");
		c->n_side_cols[side] = i + 1;
	}
	return RS_OK;
}

/* Find a spec by name in a table. */
static const rs_opt_spec *find_in(const rs_opt_spec *sp, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(sp[i].name, name) == 0)
			return &sp[i];
	return NULL;
}

/* itemknn's "weighting": the pair transform of every algorithm, or 0.1.0's
 * none|tfidf|bm25, which is its "item_weighting" now. */
static rs_status itemknn_weighting(rs_config *c, const rs_algo_def *d, const rs_opt *o,
                                   rs_error *err)
{
	if (o->kind == RS_OPT_STRING && choice_index(RS_KNN_WEIGHTING_CHOICES, o->string) >= 0)
		return apply_spec(c, find_in(d->options, d->n_options, "item_weighting"), o, err);
	if (o->kind == RS_OPT_STRING && choice_index(RS_WEIGHTING_CHOICES, o->string) >= 0)
		return apply_spec(c, find_in(COMMON, N_COMMON, "weighting"), o, err);
	char sv[RS_SHORT_CAP];
	return rs_fail(err, RS_EINVAL, "option \"weighting\" must be one of " RS_WEIGHTING_CHOICES
	               " (for itemknn also 0.1.0's " RS_KNN_WEIGHTING_CHOICES ", its \"item_weighting\")%s%s%s",
	               o->kind == RS_OPT_STRING ? " (got \"" : "",
	               o->kind == RS_OPT_STRING ? rs_shorten(o->string, (size_t)-1, sv, sizeof sv) : "",
	               o->kind == RS_OPT_STRING ? "\")" : "");
}

/* Validate and apply one option. */
static rs_status apply_option(rs_config *c, const rs_algo_def *d, const rs_opt *o, rs_error *err)
{
	const char *key = o->key ? o->key : "";
	if (!strcmp(key, "event_weights"))
		return take_events(c, o, err);
	if (!strcmp(key, "purchase_event"))
		return rs_purchase_event_take(c, o, err);
	if (!strcmp(key, "components") && c->algo == RS_ALGO_HYBRID)
		return rs_hybrid_components(c, o, err);
	if (!strcmp(key, "algorithms") && c->algo == RS_ALGO_AUTO)
		return rs_auto_algorithms(c, o, err);
	if (!strcmp(key, "items") || !strcmp(key, "users"))
		return take_side(c, key[0] == 'i' ? RS_SIDE_ITEMS : RS_SIDE_USERS, o, err);
	if (!strcmp(key, "item_features") || !strcmp(key, "user_features"))
		return take_side_cols(c, key[0] == 'i' ? RS_SIDE_ITEMS : RS_SIDE_USERS, o, err);
	if (!strcmp(key, "weighting") && c->algo == RS_ALGO_ITEMKNN)
		return itemknn_weighting(c, d, o, err);
	const rs_opt_spec *sp = find_in(EVAL, N_EVAL, key);
	if (sp) {
		c->eval_given = 1;
		return apply_spec(c, sp, o, err);
	}
	sp = find_in(COMMON, N_COMMON, key);
	if (!sp)
		sp = find_in(d->options, d->n_options, key);
	if (!sp) {
		char known[1024], sk[RS_SHORT_CAP];
		known_options(d, known, sizeof known);
		return rs_fail(err, RS_EINVAL, "unknown option \"%s\" for algorithm \"%s\" (known options: %s)",
		               rs_shorten(key, (size_t)-1, sk, sizeof sk), d->name, known);
	}
	return apply_spec(c, sp, o, err);
}

/* The configuration of algorithm def (rs_config_create's checks done). */
static rs_status config_build(const rs_algo_def *def, const rs_opt *options,
                              int default_threads, rs_config **out, rs_error *err);

rs_status rs_config_create(const char *algorithm, const rs_opt *options,
                           int default_threads, rs_config **out, rs_error *err)
{
	*out = NULL;
	if (!algorithm)
		return rs_fail(err, RS_EINVAL, "algorithm must not be NULL");
	const rs_algo_def *def = rs_algo_named(algorithm);
	char sa[RS_SHORT_CAP];
	if (!def)
		return rs_fail(err, RS_EINVAL, "unknown algorithm \"%s\" (known algorithms: %s)",
		               rs_shorten(algorithm, (size_t)-1, sa, sizeof sa), rs_algorithms());
	if (def->import_only)
		return rs_fail(err, RS_EINVAL,
		               "algorithm \"%s\" holds vectors trained elsewhere: recsys_import() makes such "
		               "models and nothing here trains them (recsys_evaluate measures one by its model "
		               "name; known algorithms: %s)",
		               def->name, rs_algorithms());
	return config_build(def, options, default_threads, out, err);
}

rs_status rs_config_create_import(const rs_opt *options, int default_threads, rs_config **out,
                                  rs_error *err)
{
	*out = NULL;
	return config_build(&rs_def_imported, options, default_threads, out, err);
}

static rs_status config_build(const rs_algo_def *def, const rs_opt *options,
                              int default_threads, rs_config **out, rs_error *err)
{
	if (options && options->kind != RS_OPT_OBJECT && options->kind != RS_OPT_NULL)
		return rs_fail(err, RS_EINVAL, "options must be a JSON object");
	if (default_threads < 0 || default_threads > 256)
		return rs_fail(err, RS_EINVAL, "threads must be between 0 and 256 (got %d)", default_threads);
	rs_config *c = rs_calloc(1, sizeof *c);
	if (!c)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	c->algo = def->id;
	set_defaults(c, COMMON, N_COMMON);
	set_defaults(c, EVAL, N_EVAL);
	set_defaults(c, def->options, def->n_options);
	for (size_t i = 0; options && options->kind == RS_OPT_OBJECT && i < options->n_children; i++) {
		rs_status st = apply_option(c, def, &options->children[i], err);
		if (st != RS_OK) {
			rs_config_destroy(&c);
			return st;
		}
	}
	if (c->threads < 0)
		c->threads = default_threads;
	if (c->threads == 0)
		c->threads = rs_cpu_count();
	c->seed = (uint64_t)c->seed_int;
	rs_status pst = rs_purchase_event_resolve(c, err);
	if (pst != RS_OK) {
		rs_config_destroy(&c);
		return pst;
	}
	if (c->algo == RS_ALGO_HYBRID && c->n_parts == 0) {
		rs_config_destroy(&c);
		return rs_fail(err, RS_EINVAL,
		               "algorithm \"hybrid\" needs option \"components\", e.g. {\"als\": 0.7, \"popularity\": 0.3}");
	}
	if (c->algo == RS_ALGO_HYBRID) {
		rs_status st = rs_hybrid_share_sides(c, err);
		if (st != RS_OK) {
			rs_config_destroy(&c);
			return st;
		}
	}
	*out = c;
	return RS_OK;
}

const char *rs_config_side_source(const rs_config *cfg, rs_side side)
{
	return (side == RS_SIDE_ITEMS || side == RS_SIDE_USERS) ? cfg->side_source[side] : NULL;
}

int rs_config_side_column_wanted(const rs_config *cfg, rs_side side, const char *column)
{
	if (side != RS_SIDE_ITEMS && side != RS_SIDE_USERS)
		return 0;
	if (!cfg->side_cols[side])
		return 1;
	for (size_t i = 0; i < cfg->n_side_cols[side]; i++)
		if (strcmp(cfg->side_cols[side][i], column) == 0)
			return 1;
	return 0;
}

/* Free every owned string of the spec table's text fields. */
static void free_texts(rs_config *c, const rs_opt_spec *sp, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sp[i].type == RS_T_TEXT)
			free(*(char **)((char *)c + sp[i].offset));
}

void rs_config_destroy(rs_config **cfg)
{
	if (!cfg || !*cfg)
		return;
	rs_config *c = *cfg;
	const rs_algo_def *d = rs_algo_find(c->algo);
	free_texts(c, COMMON, N_COMMON);
	if (d)
		free_texts(c, d->options, d->n_options);
	rs_hybrid_config_free(c);
	for (size_t i = 0; i < c->n_events; i++)
		free(c->event_names[i]);
	free(c->event_names);
	free(c->event_weights);
	free(c->purchase_event);
	for (int s = 0; s < 2; s++) {
		free(c->side_source[s]);
		for (size_t i = 0; i < c->n_side_cols[s]; i++)
			free(c->side_cols[s][i]);
		free(c->side_cols[s]);
	}
	free(c);
	*cfg = NULL;
}
