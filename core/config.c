/*
 * config.c - validation of the algorithm name and its options.
 *
 * Each option is declared once in a table (name, type, range, default,
 * which algorithms accept it). Unknown keys, wrong types and out-of-range
 * values are errors that name the key, so both bindings report the same text.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FOR_ALL (~0u)
#define ALS RS_BIT(RS_ALGO_ALS)
#define POP RS_BIT(RS_ALGO_POPULARITY)
enum opt_type { T_INT, T_NUM, T_STR, T_EVENTS };

typedef struct opt_spec {
	const char *name;
	enum opt_type type;
	unsigned algos;    /* bit set of the algorithms that take it */
	double lo, hi;     /* numeric range */
	const char *choices; /* T_STR: '|'-separated allowed values, or NULL */
} opt_spec;

static const opt_spec SPECS[] = {
	{"user_column", T_STR, FOR_ALL, 0, 0, NULL},
	{"item_column", T_STR, FOR_ALL, 0, 0, NULL},
	{"weight_column", T_STR, FOR_ALL, 0, 0, NULL},
	{"event_column", T_STR, FOR_ALL, 0, 0, NULL},
	{"ts_column", T_STR, FOR_ALL, 0, 0, NULL},
	{"event_weights", T_EVENTS, FOR_ALL, 0, 1e9, NULL},
	{"threads", T_INT, FOR_ALL, 0, 256, NULL},
	{"seed", T_INT, FOR_ALL, 0, 9007199254740991.0, NULL},
	{"factors", T_INT, ALS, 1, 1024, NULL},
	{"iterations", T_INT, ALS, 1, 1000, NULL},
	{"regularization", T_NUM, ALS, 0, 1e9, NULL},
	{"alpha", T_NUM, ALS, 0, 1e6, NULL},
	{"regularization_scale", T_NUM, ALS, 0, 1e6, NULL},
	{"cg_steps", T_INT, ALS, 1, 100, NULL},
	{"solver", T_STR, ALS, 0, 0, "cg|cholesky"},
	{"half_life_days", T_NUM, POP, 0, 1e6, NULL},
	{"by", T_STR, POP, 0, 0, "users|weight"},
};
#define N_SPECS (sizeof SPECS / sizeof SPECS[0])

static const char *DEFAULT_COLUMNS[RS_COL__COUNT] = {
	"user_id", "item_id", "weight", "event", "ts"};
static const char *COLUMN_OPTS[RS_COL__COUNT] = {
	"user_column", "item_column", "weight_column", "event_column", "ts_column"};

const char *rs_config_algorithm(const rs_config *cfg)
{
	const rs_algo_def *d = rs_algo_find(cfg->algo);
	return d ? d->name : "?";
}

const char *rs_config_column(const rs_config *cfg, rs_column_role role)
{
	if ((int)role < 0 || role >= RS_COL__COUNT)
		return "";
	return cfg->columns[role] ? cfg->columns[role] : DEFAULT_COLUMNS[role];
}

/* Defaults, chosen on a validation split carved from MovieLens training
 * data (bench/tune_als); see README "Choosing defaults". */
static void set_defaults(rs_config *c, int default_threads)
{
	c->threads = default_threads;
	c->seed = 42;
	c->factors = 64;
	c->iterations = 15;
	c->regularization = -1; /* scaled from data, see rs_als_lambda */
	c->reg_scale = 0.3;
	c->alpha = 5.0;
	c->cg_steps = 2;
	c->solver = RS_SOLVER_CG;
	c->half_life_days = 0;
	c->pop_by = RS_POP_USERS;
}

static const opt_spec *find_spec(const char *name)
{
	for (size_t i = 0; i < N_SPECS; i++)
		if (strcmp(SPECS[i].name, name) == 0)
			return &SPECS[i];
	return NULL;
}

/* Options the algorithm accepts, comma-separated, for error messages. */
static void known_options(rs_algo algo, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < N_SPECS; i++) {
		if (!(SPECS[i].algos & RS_BIT(algo)))
			continue;
		if (buf[0])
			strncat(buf, ", ", size - strlen(buf) - 1);
		strncat(buf, SPECS[i].name, size - strlen(buf) - 1);
	}
}

/* Is s one of the '|'-separated choices? */
static int in_choices(const char *choices, const char *s)
{
	size_t n = strlen(s);
	for (const char *p = choices; *p;) {
		const char *e = strchr(p, '|');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && strncmp(p, s, n) == 0)
			return 1;
		p += l + (e ? 1 : 0);
	}
	return 0;
}

/* Check a number against the spec's type and range. */
static rs_status check_number(const opt_spec *sp, const rs_opt *o, rs_error *err)
{
	const char *what = sp->type == T_INT ? "an integer" : "a number";
	if (o->kind != RS_OPT_NUMBER || !isfinite(o->number))
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be %s", sp->name, what);
	if (sp->type == T_INT && o->number != floor(o->number))
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be an integer (got %g)",
		               sp->name, o->number);
	if (o->number < sp->lo || o->number > sp->hi)
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be between %g and %g (got %g)",
		               sp->name, sp->lo, sp->hi, o->number);
	return RS_OK;
}

/* Copy event_weights {"purchase": 1, ...} into the config. */
static rs_status take_events(rs_config *c, const opt_spec *sp, const rs_opt *o, rs_error *err)
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
		if (e->kind != RS_OPT_NUMBER || !isfinite(e->number) || e->number < sp->lo ||
		    e->number > sp->hi)
			return rs_fail(err, RS_EINVAL,
			               "option \"event_weights\": weight of event \"%s\" must be a number between 0 and 1e9",
			               e->key ? e->key : "");
		c->event_names[i] = strdup(e->key ? e->key : "");
		if (!c->event_names[i])
			return rs_fail(err, RS_ENOMEM, "out of memory reading event_weights");
		c->event_weights[i] = e->number;
		c->n_events = i + 1;
	}
	return RS_OK;
}

/* Store a validated string option. */
static rs_status take_string(rs_config *c, const opt_spec *sp, const rs_opt *o, rs_error *err)
{
	if (o->kind != RS_OPT_STRING)
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be a string", sp->name);
	if (sp->choices && !in_choices(sp->choices, o->string))
		return rs_fail(err, RS_EINVAL, "option \"%s\" must be one of %s (got \"%s\")",
		               sp->name, sp->choices, o->string);
	if (strcmp(sp->name, "solver") == 0)
		c->solver = strcmp(o->string, "cholesky") == 0 ? RS_SOLVER_CHOLESKY : RS_SOLVER_CG;
	else if (strcmp(sp->name, "by") == 0)
		c->pop_by = strcmp(o->string, "weight") == 0 ? RS_POP_WEIGHT : RS_POP_USERS;
	else {
		if (o->string[0] == '\0')
			return rs_fail(err, RS_EINVAL, "option \"%s\" must not be empty", sp->name);
		for (int r = 0; r < RS_COL__COUNT; r++) {
			if (strcmp(sp->name, COLUMN_OPTS[r]) != 0)
				continue;
			free(c->columns[r]);
			c->columns[r] = strdup(o->string);
			if (!c->columns[r])
				return rs_fail(err, RS_ENOMEM, "out of memory");
		}
	}
	return RS_OK;
}

/* Store a validated numeric option. */
static void take_number(rs_config *c, const opt_spec *sp, double v)
{
	const char *n = sp->name;
	if (!strcmp(n, "threads")) c->threads = (int)v;
	else if (!strcmp(n, "seed")) c->seed = (uint64_t)v;
	else if (!strcmp(n, "factors")) c->factors = (int)v;
	else if (!strcmp(n, "iterations")) c->iterations = (int)v;
	else if (!strcmp(n, "regularization")) c->regularization = v;
	else if (!strcmp(n, "alpha")) c->alpha = v;
	else if (!strcmp(n, "regularization_scale")) c->reg_scale = v;
	else if (!strcmp(n, "cg_steps")) c->cg_steps = (int)v;
	else if (!strcmp(n, "half_life_days")) c->half_life_days = v;
}

/* Validate and apply one option. */
static rs_status apply_option(rs_config *c, const rs_opt *o, rs_error *err)
{
	const opt_spec *sp = o->key ? find_spec(o->key) : NULL;
	if (!sp || !(sp->algos & RS_BIT(c->algo))) {
		char known[512];
		known_options(c->algo, known, sizeof known);
		return rs_fail(err, RS_EINVAL,
		               "unknown option \"%s\" for algorithm \"%s\" (known options: %s)",
		               o->key ? o->key : "", rs_config_algorithm(c), known);
	}
	switch (sp->type) {
	case T_EVENTS: return take_events(c, sp, o, err);
	case T_STR: return take_string(c, sp, o, err);
	case T_INT:
	case T_NUM: {
		rs_status st = check_number(sp, o, err);
		if (st == RS_OK)
			take_number(c, sp, o->number);
		return st;
	}
	}
	return RS_OK;
}

rs_status rs_config_create(const char *algorithm, const rs_opt *options,
                           int default_threads, rs_config **out, rs_error *err)
{
	*out = NULL;
	if (!algorithm)
		return rs_fail(err, RS_EINVAL, "algorithm must not be NULL");
	const rs_algo_def *def = rs_algo_named(algorithm);
	if (!def)
		return rs_fail(err, RS_EINVAL, "unknown algorithm \"%s\" (known algorithms: %s)",
		               algorithm, rs_algorithms());
	if (options && options->kind != RS_OPT_OBJECT && options->kind != RS_OPT_NULL)
		return rs_fail(err, RS_EINVAL, "options must be a JSON object");
	if (default_threads < 0 || default_threads > 256)
		return rs_fail(err, RS_EINVAL, "threads must be between 0 and 256 (got %d)", default_threads);
	rs_config *c = rs_calloc(1, sizeof *c);
	if (!c)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	c->algo = def->id;
	set_defaults(c, default_threads);
	for (size_t i = 0; options && options->kind == RS_OPT_OBJECT && i < options->n_children; i++) {
		rs_status st = apply_option(c, &options->children[i], err);
		if (st != RS_OK) {
			rs_config_destroy(&c);
			return st;
		}
	}
	if (c->threads == 0)
		c->threads = rs_cpu_count();
	*out = c;
	return RS_OK;
}

void rs_config_destroy(rs_config **cfg)
{
	if (!cfg || !*cfg)
		return;
	rs_config *c = *cfg;
	for (int r = 0; r < RS_COL__COUNT; r++)
		free(c->columns[r]);
	for (size_t i = 0; i < c->n_events; i++)
		free(c->event_names[i]);
	free(c->event_names);
	free(c->event_weights);
	free(c);
	*cfg = NULL;
}
