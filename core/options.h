/*
 * options.h - the checks every option goes through, training (config.c) and
 * serving (serve_options.c) alike, so both kinds fail with the same words:
 * 'option "x" must be a number', 'must be an integer (got 2.5)', 'must be
 * between 0 and 1 (got 2)', 'must be a boolean'.
 */
#ifndef RS_OPTIONS_H
#define RS_OPTIONS_H

#include "recsys.h"

/* A finite number (an integer when `integer`) in [lo, hi]. */
rs_status rs_opt_check_number(const char *name, int integer, double lo, double hi,
                              const rs_opt *o, rs_error *err);
rs_status rs_opt_check_bool(const char *name, const rs_opt *o, rs_error *err);

/* What a serving option needs the model to have been trained with. */
enum { RS_NEEDS_NOTHING = 0, RS_NEEDS_PRICES = 1, RS_NEEDS_TIMES = 2, RS_NEEDS_CATEGORIES = 4 };
/* Which entry points take it: recommend (with fresh users), the session
 * ones, popular_items, similar_items. */
enum { RS_FOR_RECOMMEND = 1, RS_FOR_SESSION = 2, RS_FOR_POPULAR = 4, RS_FOR_SIMILAR = 8 };

typedef struct rs_serve_option {
	const char *name;
	enum { RS_SO_BOOL, RS_SO_NUMBER, RS_SO_INTEGER, RS_SO_STRINGS, RS_SO_STRING,
	       RS_SO_NUMBERS /* an array of hi numbers, each above lo */ } type;
	double lo, hi;   /* numbers; candidates' lo is k, checked where k is known */
	unsigned needs;  /* RS_NEEDS_* */
	unsigned takers; /* RS_FOR_* */
} rs_serve_option;

/* The serving options' table (NULL-terminated); rs_serve_option_find by name. */
extern const rs_serve_option rs_serve_options[];
const rs_serve_option *rs_serve_option_find(const char *name);
/* Check one serving option's value against its row (type and range). */
rs_status rs_serve_option_check(const rs_serve_option *so, const rs_opt *o, rs_error *err);

#endif
