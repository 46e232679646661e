/*
 * tokenize.c - side-table cells to features, for the feature-aware
 * algorithms (content; the factorization family may reuse it).
 *
 * Per column, by what the column holds:
 *  - text columns whose values are short (at most 40 bytes) and repeat (at
 *    most half as many distinct values as cells), such as a category or a
 *    brand: one whole-value feature "column=value" (ASCII lower-cased,
 *    trimmed);
 *  - other text (titles, descriptions, tags): word tokens, one shared
 *    vocabulary "text:<token>" across text columns, so a word in a title
 *    matches the same word in a description. A token is a run of ASCII
 *    letters and digits (lower-cased) and bytes >= 0x80 (UTF-8 or Latin-1
 *    letters kept whole); tokens of one character are dropped;
 *  - numeric columns with at most 16 distinct values (flags, ratings,
 *    years of a small catalogue): "column=<value>"; otherwise one of 8
 *    equal-count buckets "column#q1" .. "column#q8" (the number's rank
 *    among the column's values), so nearby prices match.
 * Columns the options "item_features" / "user_features" leave out are skipped.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_MAX_LEN 40
#define NUM_MAX_DISTINCT 16
#define NUM_BUCKETS 8
#define NAME_CAP 256

/* Letters, digits and every byte of a multi-byte (or Latin-1) character. */
static inline int is_word(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* ASCII lower case; other bytes unchanged (no locale). */
static inline char lower(unsigned char c) { return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c); }

/* The next token of at least two characters (internal.h). */
size_t rs_token_next(const char *s, size_t len, size_t *pos, char *buf, size_t cap)
{
	size_t p = *pos;
	for (;;) {
		while (p < len && !is_word((unsigned char)s[p]))
			p++;
		if (p >= len || cap == 0) {
			*pos = len;
			return 0;
		}
		size_t chars = 0, n = 0;
		for (; p < len && is_word((unsigned char)s[p]); p++) {
			unsigned char c = (unsigned char)s[p];
			chars += c < 0x80 || c >= 0xC0; /* UTF-8 continuation bytes are not characters */
			if (n < cap)
				buf[n++] = lower(c);
		}
		if (chars >= 2) {
			*pos = p;
			return n;
		}
	}
}

/* What a column turned out to hold. */
typedef struct col_info {
	int wanted;
	size_t n_text, n_num, max_len;
	rs_idmap distinct;   /* distinct text values */
	double *nums;        /* sorted numeric values */
	size_t n_distinct_num;
} col_info;

/* Trimmed text of a cell. */
static const char *cell_text(const rs_attrs *a, const rs_attr *c, size_t *len)
{
	const char *s = a->text + c->text_off;
	size_t n = c->text_len;
	while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	*len = n;
	return s;
}

/* qsort order of doubles. */
static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* Gather per-column statistics. Returns 0 on out of memory. */
static int column_stats(const rs_config *cfg, rs_side side, const rs_attrs *a, col_info *ci)
{
	size_t nc = a->columns.n;
	for (size_t k = 0; k < nc; k++) {
		size_t l;
		const char *name = rs_idmap_get(&a->columns, (int32_t)k, &l);
		char buf[NAME_CAP];
		snprintf(buf, sizeof buf, "%.*s", (int)(l < NAME_CAP - 1 ? l : NAME_CAP - 1), name);
		ci[k].wanted = rs_config_side_column_wanted(cfg, side, buf);
	}
	for (size_t k = 0; k < a->n; k++) {
		const rs_attr *c = &a->cells[k];
		col_info *x = &ci[c->column];
		if (!isnan(c->number)) {
			x->n_num++;
			continue;
		}
		size_t l;
		const char *s = cell_text(a, c, &l);
		int32_t dummy;
		x->n_text++;
		x->max_len = l > x->max_len ? l : x->max_len;
		if (x->max_len <= CAT_MAX_LEN && rs_idmap_intern(&x->distinct, s, l, &dummy) != RS_OK)
			return 0;
	}
	for (size_t k = 0; k < nc; k++) {
		if (!ci[k].n_num)
			continue;
		ci[k].nums = rs_malloc(rs_mul(ci[k].n_num, sizeof(double)));
		if (!ci[k].nums)
			return 0;
		ci[k].n_num = 0;
	}
	for (size_t k = 0; k < a->n; k++)
		if (!isnan(a->cells[k].number)) {
			col_info *x = &ci[a->cells[k].column];
			x->nums[x->n_num++] = a->cells[k].number;
		}
	for (size_t k = 0; k < nc; k++) {
		if (!ci[k].n_num)
			continue;
		qsort(ci[k].nums, ci[k].n_num, sizeof(double), cmp_double);
		ci[k].n_distinct_num = 1;
		for (size_t q = 1; q < ci[k].n_num; q++)
			ci[k].n_distinct_num += ci[k].nums[q] != ci[k].nums[q - 1];
	}
	return 1;
}

/* (row, feature) pairs, grown as features are found. */
typedef struct pairs { int64_t *p; size_t n, cap; } pairs;

/* Append one (row, feature) pair, packed row-major into 64 bits. */
static int pairs_add(pairs *ps, int32_t row, int32_t feat)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 1024;
		int64_t *p = rs_realloc(ps->p, rs_mul(cap, sizeof *p));
		if (!p)
			return 0;
		ps->p = p;
		ps->cap = cap;
	}
	ps->p[ps->n++] = (int64_t)row << 32 | (uint32_t)feat;
	return 1;
}

/* Intern a feature name and record it for the row. */
static int emit(rs_idmap *feats, pairs *ps, int32_t row, const char *name, size_t len)
{
	int32_t f;
	return rs_idmap_intern(feats, name, len, &f) == RS_OK && pairs_add(ps, row, f);
}

/* Name of a numeric cell's feature. */
static size_t number_name(const col_info *x, const char *col, size_t cl, double v, char *buf)
{
	if (x->n_distinct_num <= NUM_MAX_DISTINCT)
		return (size_t)snprintf(buf, NAME_CAP, "%.*s=%.15g", (int)cl, col, v);
	size_t lo = 0, hi = x->n_num; /* values below v */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (x->nums[mid] < v) lo = mid + 1; else hi = mid;
	}
	return (size_t)snprintf(buf, NAME_CAP, "%.*s#q%zu", (int)cl, col,
	                        1 + lo * NUM_BUCKETS / x->n_num);
}

/* Features of one cell. */
static int cell_features(const rs_attrs *a, const rs_attr *c, const col_info *x, int32_t row,
                         rs_idmap *feats, pairs *ps)
{
	char buf[NAME_CAP];
	size_t cl;
	const char *col = rs_idmap_get(&a->columns, c->column, &cl);
	if (cl > NAME_CAP / 2)
		cl = NAME_CAP / 2;
	if (!isnan(c->number))
		return emit(feats, ps, row, buf, number_name(x, col, cl, c->number, buf));
	size_t l;
	const char *s = cell_text(a, c, &l);
	int categorical = x->max_len <= CAT_MAX_LEN && x->distinct.n * 2 <= x->n_text;
	if (categorical) {
		if (l == 0)
			return 1;
		if (l > CAT_MAX_LEN) /* cannot happen for a categorical column; keeps buf in bounds */
			l = CAT_MAX_LEN;
		memcpy(buf, col, cl);
		buf[cl] = '=';
		for (size_t k = 0; k < l; k++)
			buf[cl + 1 + k] = lower((unsigned char)s[k]);
		return emit(feats, ps, row, buf, cl + 1 + l);
	}
	memcpy(buf, "text:", 5);
	size_t pos = 0, n;
	while ((n = rs_token_next(s, l, &pos, buf + 5, NAME_CAP - 5)) > 0)
		if (!emit(feats, ps, row, buf, 5 + n))
			return 0;
	return 1;
}

/* qsort order of packed pairs: by row, then feature. */
static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* Sorted pairs to a CSR of counts. */
static int pairs_to_csr(pairs *ps, int32_t n_rows, int32_t n_feats, rs_csr *out)
{
	qsort(ps->p, ps->n, sizeof *ps->p, cmp_i64);
	memset(out, 0, sizeof *out);
	out->nrows = n_rows;
	out->ncols = n_feats;
	out->indptr = rs_calloc((size_t)n_rows + 1, sizeof *out->indptr);
	out->indices = rs_malloc(rs_mul(ps->n ? ps->n : 1, sizeof *out->indices));
	out->data = rs_malloc(rs_mul(ps->n ? ps->n : 1, sizeof *out->data));
	if (!out->indptr || !out->indices || !out->data)
		return 0;
	int64_t nnz = 0;
	for (size_t k = 0; k < ps->n; k++) {
		int32_t row = (int32_t)(ps->p[k] >> 32), f = (int32_t)(uint32_t)ps->p[k];
		if (k > 0 && ps->p[k] == ps->p[k - 1]) {
			out->data[nnz - 1] += 1;
			continue;
		}
		out->indices[nnz] = f;
		out->data[nnz++] = 1;
		out->indptr[row + 1] = nnz;
	}
	for (int32_t r = 0; r < n_rows; r++) /* rows without features */
		if (out->indptr[r + 1] < out->indptr[r])
			out->indptr[r + 1] = out->indptr[r];
	return 1;
}

/* Column statistics, then every wanted cell's features, then counts. */
rs_status rs_attr_features(const rs_config *cfg, rs_side side, const rs_attrs *a,
                           const int32_t *row_of, int32_t n_rows, rs_idmap *feats,
                           rs_csr *counts, rs_error *err)
{
	memset(counts, 0, sizeof *counts);
	size_t nc = a->columns.n;
	col_info *ci = rs_calloc(nc ? nc : 1, sizeof *ci);
	pairs ps = {0};
	int ok = ci && column_stats(cfg, side, a, ci);
	for (size_t k = 0; ok && k < a->n; k++) {
		const rs_attr *c = &a->cells[k];
		int32_t row = row_of[c->entity];
		if (row >= 0 && ci[c->column].wanted)
			ok = cell_features(a, c, &ci[c->column], row, feats, &ps);
	}
	if (ok)
		ok = pairs_to_csr(&ps, n_rows, (int32_t)feats->n, counts);
	for (size_t k = 0; ci && k < nc; k++) {
		rs_idmap_free(&ci[k].distinct);
		free(ci[k].nums);
	}
	free(ci);
	free(ps.p);
	if (!ok) {
		rs_csr_free(counts);
		return rs_fail(err, RS_ENOMEM, "out of memory building features from the %s table",
		               side == RS_SIDE_ITEMS ? "items" : "users");
	}
	return RS_OK;
}
