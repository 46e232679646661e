/*
 * filters.c - business filters of recommend(): price range, categories to
 * keep or leave out, and items to leave out. They turn into one mask over
 * the catalogue, applied before the top-k, so a filtered request still
 * returns exactly k rows while enough items pass.
 *
 * Item prices and categories come from the items side table at training
 * time (columns `price` and `category`), kept in the model.
 */
#include "internal.h"
#include "options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A price written as text: a decimal number with optional blanks around it
 * ('12.50', ' 7 ', '1e2'), as `sqlite3 .import` or a text column stores
 * it. Anything else ('', 'n/a', '12 EUR', hex, inf, nan) is not a price. */
static int price_text(const char *s, size_t l, double *out)
{
	char buf[64];
	while (l > 0 && (*s == ' ' || *s == '\t'))
		s++, l--;
	while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		l--;
	if (l == 0 || l >= sizeof buf)
		return 0;
	for (size_t k = 0; k < l; k++)
		if (!strchr("0123456789+-.eE", s[k]))
			return 0;
	memcpy(buf, s, l);
	buf[l] = 0;
	char *end;
	double v = strtod(buf, &end);
	if (end != buf + l || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

/* Price and category of every item from the items side table's cells;
 * with a "price" column, pc counts the catalogue's known, unparsed (text
 * that is not a number) and missing prices. */
rs_status rs_item_meta(rs_model *m, const rs_attrs *a, rs_price_count *pc, rs_error *err)
{
	if (pc)
		*pc = (rs_price_count){0};
	if (!a || a->n == 0)
		return RS_OK;
	int32_t pcol = rs_idmap_find(&a->columns, "price", 5);
	int32_t ccol = rs_idmap_find(&a->columns, "category", 8);
	if (pcol < 0 && ccol < 0)
		return RS_OK;
	size_t ni = m->items.n;
	/* each only with its column: a model without prices says so (rs_needs_prices) */
	m->item_price = pcol >= 0 ? rs_malloc(rs_mul(ni + 1, sizeof *m->item_price)) : NULL;
	m->item_cat = ccol >= 0 ? rs_malloc(rs_mul(ni + 1, sizeof *m->item_cat)) : NULL;
	unsigned char *bad = rs_calloc(ni + 1, 1); /* a price cell that is not a number */
	if ((pcol >= 0 && !m->item_price) || (ccol >= 0 && !m->item_cat) || !bad) {
		free(bad);
		return rs_fail(err, RS_ENOMEM, "out of memory reading item prices and categories");
	}
	for (size_t i = 0; i < ni; i++) {
		if (m->item_price)
			m->item_price[i] = NAN;
		if (m->item_cat)
			m->item_cat[i] = -1;
	}
	for (size_t c = 0; c < a->n; c++) {
		const rs_attr *cell = &a->cells[c];
		if (cell->column != pcol && cell->column != ccol)
			continue;
		size_t l;
		const char *id = rs_idmap_get(&a->ids, cell->entity, &l);
		int32_t i = rs_idmap_find(&m->items, id, l);
		double v = cell->number;
		if (i < 0)
			continue; /* not in the catalogue of this model */
		if (cell->column == pcol && isnan(v) &&
		    !price_text(a->text + cell->text_off, cell->text_len, &v))
			bad[i] = 1;
		else if (cell->column == pcol && isfinite(v))
			m->item_price[i] = (float)v;
		else if (cell->column == ccol && isnan(cell->number) &&
		         rs_idmap_intern(&m->cats, a->text + cell->text_off, cell->text_len,
		                         &m->item_cat[i]) != RS_OK) {
			free(bad);
			return rs_fail(err, RS_ENOMEM, "out of memory reading item categories");
		}
	}
	for (size_t i = 0; pc && pcol >= 0 && i < ni; i++) {
		pc->column = 1;
		if (!isnan(m->item_price[i]))
			pc->known++;
		else if (bad[i])
			pc->unparsed++;
		else
			pc->missing++;
	}
	free(bad);
	return RS_OK;
}

int rs_has_prices(const rs_model *m)
{
	for (size_t i = 0; m->item_price && i < m->items.n; i++)
		if (!isnan(m->item_price[i]))
			return 1;
	return 0;
}

rs_status rs_needs_prices(const rs_model *m, const char *key, rs_error *err)
{
	if (!m->item_price)
		return rs_fail(err, RS_EINVAL,
		               "option \"%s\" needs item prices: train with an \"items\" table that has a \"price\" column",
		               key);
	if (!rs_has_prices(m))
		return rs_fail(err, RS_EINVAL,
		               "option \"%s\" needs item prices: no item of the model has one (the items table's "
		               "\"price\" column held no number; the training summary counts them under \"prices\")",
		               key);
	return RS_OK;
}

/* price_min above price_max selects nothing: an error, not 0 rows. */
rs_status rs_filter_check_range(const rs_opt *options, rs_error *err)
{
	const rs_opt *lo = options && options->kind == RS_OPT_OBJECT ? rs_opt_get(options, "price_min") : NULL;
	const rs_opt *hi = options && options->kind == RS_OPT_OBJECT ? rs_opt_get(options, "price_max") : NULL;
	if (lo && hi && lo->kind == RS_OPT_NUMBER && hi->kind == RS_OPT_NUMBER && lo->number > hi->number)
		return rs_fail(err, RS_EINVAL, "option \"price_min\" (%g) must not be above \"price_max\" (%g)",
		               lo->number, hi->number);
	return RS_OK;
}

/* Mark the items a list of ids names; unknown ids name nothing. */
static void mark_items(const rs_idmap *map, const rs_opt *list, unsigned char *mark)
{
	for (size_t k = 0; k < list->n_children; k++) {
		const rs_opt *e = &list->children[k];
		int32_t i = rs_idmap_find(map, e->string, strlen(e->string));
		if (i >= 0)
			mark[i] = 1;
	}
}

/* Apply one filter option to the mask (1 = blocked). */
rs_status rs_filter_apply(const rs_model *m, const rs_opt *o, unsigned char *blocked,
                          rs_error *err)
{
	const char *key = o->key;
	size_t ni = m->items.n;
	rs_status st = rs_serve_option_check(rs_serve_option_find(key), o, err);
	if (st != RS_OK)
		return st;
	if (!strcmp(key, "price_min") || !strcmp(key, "price_max")) {
		st = rs_needs_prices(m, key, err);
		if (st != RS_OK)
			return st;
		int is_min = !strcmp(key, "price_min");
		for (size_t i = 0; i < ni; i++) {
			float p = m->item_price[i];
			if (isnan(p) || (is_min ? p < o->number : p > o->number))
				blocked[i] = 1;
		}
		return RS_OK;
	}
	if (!strcmp(key, "exclude_items")) {
		mark_items(&m->items, o, blocked);
		return RS_OK;
	}
	if (!m->item_cat)
		return rs_fail(err, RS_EINVAL,
		               "option \"%s\" needs item categories: train with an \"items\" table that has a \"category\" column",
		               key);
	unsigned char *in = rs_calloc(m->cats.n + 1, 1);
	if (!in)
		return rs_fail(err, RS_ENOMEM, "out of memory filtering categories");
	mark_items(&m->cats, o, in);
	int keep = !strcmp(key, "categories");
	for (size_t i = 0; i < ni; i++) {
		int hit = m->item_cat[i] >= 0 && in[m->item_cat[i]];
		if (keep ? !hit : hit)
			blocked[i] = 1;
	}
	free(in);
	return RS_OK;
}

int rs_is_filter_option(const char *key)
{
	return !strcmp(key, "price_min") || !strcmp(key, "price_max") || !strcmp(key, "categories") ||
	       !strcmp(key, "exclude_categories") || !strcmp(key, "exclude_items");
}
