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

/* Price and category of every item from the items side table's cells. */
rs_status rs_item_meta(rs_model *m, const rs_attrs *a, rs_error *err)
{
	if (!a || a->n == 0)
		return RS_OK;
	int32_t pcol = rs_idmap_find(&a->columns, "price", 5);
	int32_t ccol = rs_idmap_find(&a->columns, "category", 8);
	if (pcol < 0 && ccol < 0)
		return RS_OK;
	size_t ni = m->items.n;
	m->item_price = rs_malloc(rs_mul(ni, sizeof *m->item_price));
	m->item_cat = rs_malloc(rs_mul(ni, sizeof *m->item_cat));
	if (!m->item_price || !m->item_cat)
		return rs_fail(err, RS_ENOMEM, "out of memory reading item prices and categories");
	for (size_t i = 0; i < ni; i++) {
		m->item_price[i] = NAN;
		m->item_cat[i] = -1;
	}
	for (size_t c = 0; c < a->n; c++) {
		const rs_attr *cell = &a->cells[c];
		if (cell->column != pcol && cell->column != ccol)
			continue;
		size_t l;
		const char *id = rs_idmap_get(&a->ids, cell->entity, &l);
		int32_t i = rs_idmap_find(&m->items, id, l);
		if (i < 0)
			continue; /* not in the catalogue of this model */
		if (cell->column == pcol && !isnan(cell->number))
			m->item_price[i] = (float)cell->number;
		else if (cell->column == ccol && isnan(cell->number) &&
		         rs_idmap_intern(&m->cats, a->text + cell->text_off, cell->text_len,
		                         &m->item_cat[i]) != RS_OK)
			return rs_fail(err, RS_ENOMEM, "out of memory reading item categories");
	}
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
		if (!m->item_price)
			return rs_fail(err, RS_EINVAL,
			               "option \"%s\" needs item prices: train with an \"items\" table that has a \"price\" column",
			               key);
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
