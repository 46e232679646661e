/*
 * attrs.c - side-table cells (item and user attributes) collected by the
 * builder: entity and column names interned, text kept in one pool. The
 * feature-aware algorithms turn them into features (tokens, categories,
 * numbers) at training time.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rs_attrs_free(rs_attrs *a)
{
	rs_idmap_free(&a->ids);
	rs_idmap_free(&a->columns);
	free(a->cells);
	free(a->text);
	memset(a, 0, sizeof *a);
}

/* Append text bytes to the pool; returns their offset or -1. */
static int64_t pool_add(rs_attrs *a, const char *s, size_t len)
{
	if (a->text_len + len > a->text_cap) {
		size_t cap = a->text_cap ? a->text_cap : 4096;
		while (cap < a->text_len + len)
			cap *= 2;
		char *p = rs_realloc(a->text, cap);
		if (!p)
			return -1;
		a->text = p;
		a->text_cap = cap;
	}
	if (len > 0) /* an empty first text: no buffer yet */
		memcpy(a->text + a->text_len, s, len);
	a->text_len += len;
	return (int64_t)(a->text_len - len);
}

rs_status rs_builder_add_attribute(rs_builder *b, rs_side side, const char *id, size_t id_len,
                                   const char *column, const char *text, size_t text_len,
                                   int is_number, double number, rs_error *err)
{
	if (side != RS_SIDE_ITEMS && side != RS_SIDE_USERS)
		return rs_fail(err, RS_EINVAL, "side must be items or users");
	if (!id || !column || (!is_number && !text) || (is_number && !isfinite(number)))
		return RS_OK; /* NULL cells carry no feature */
	if (text_len > UINT32_MAX)
		return rs_fail(err, RS_ELIMIT, "attribute text longer than 4 GB");
	rs_attrs *a = &b->side[side];
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1024;
		rs_attr *c = rs_realloc(a->cells, rs_mul(cap, sizeof *c));
		if (!c)
			return rs_fail(err, RS_ENOMEM, "out of memory reading attributes");
		a->cells = c;
		a->cap = cap;
	}
	rs_attr *c = &a->cells[a->n];
	if (rs_idmap_intern(&a->ids, id, id_len, &c->entity) != RS_OK ||
	    rs_idmap_intern(&a->columns, column, strlen(column), &c->column) != RS_OK)
		return rs_fail(err, RS_ENOMEM, "out of memory reading attributes");
	c->number = is_number ? number : NAN;
	c->text_len = 0;
	c->text_off = 0;
	if (!is_number) {
		int64_t off = pool_add(a, text, text_len);
		if (off < 0)
			return rs_fail(err, RS_ENOMEM, "out of memory reading attributes");
		c->text_off = (uint64_t)off;
		c->text_len = (uint32_t)text_len;
	}
	a->n++;
	return RS_OK;
}
