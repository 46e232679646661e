/*
 * import.c - a model from vectors trained elsewhere (recsys_import): user and
 * item vectors with an id each (Spark MLlib ALS's userFactors / itemFactors),
 * optional biases, optional interactions.
 *
 * The result is an ordinary factor model (user_f, item_f), so every serving
 * path, the blob and anything built over item factors (the blocked int8
 * scoring, an approximate index) treat it as they treat als or svd. Biases
 * become trailing columns of the vectors, so a score stays one dot product:
 *     user [u, b_u, 1] . item [v, 1, b_i] = u . v + b_u + b_i
 * (only the columns asked for: [u, 1] . [v, b_i] with item biases alone,
 * [u, b_u] . [v, 1] with user biases alone). Cosines (similar_items) and
 * explanations leave those columns out (rs_algo_def.bias_column).
 *
 * Fresh users and sessions: with "als": true the vectors are taken to be
 * ALS's, and a history folds in by ALS's least-squares solve (fold_in.c)
 * with "regularization" and "alpha" (Spark's defaults regParam 0.1 and
 * alpha 1.0); otherwise nothing says how a new user maps into the space and
 * they get popular items. Popularity, seen items and histories come from the
 * optional interactions source; without it no user has seen anything and
 * every item's popularity is 0 (ties: item order of the import).
 */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof(rs_config, field)

static const rs_opt_spec IMPORT_OPTIONS[] = {
	{"id_column", RS_T_TEXT, F(imp_cols[RS_IMP_ID]), 0, 0, 0, NULL},
	{"features_column", RS_T_TEXT, F(imp_cols[RS_IMP_FEATURES]), 0, 0, 0, NULL},
	{"user_bias_column", RS_T_TEXT, F(imp_cols[RS_IMP_USER_BIAS]), 0, 0, 0, NULL},
	{"item_bias_column", RS_T_TEXT, F(imp_cols[RS_IMP_ITEM_BIAS]), 0, 0, 0, NULL},
	{"interactions", RS_T_TEXT, F(imp_interactions), 0, 0, 0, NULL},
	{"dimensions", RS_T_INT, F(imp_dims), 0, 1, 1022, NULL},
	{"als", RS_T_BOOL, F(imp_als), 0, 0, 1, NULL},
	{"regularization", RS_T_NUM, F(regularization), 0.1, 0, 1e9, NULL},
	{"alpha", RS_T_NUM, F(alpha), 1.0, 0, 1e6, NULL},
	RS_INDEX_OPTIONS,
};

/* The serving traits by [als][bias columns]: the model's own mix. */
#define IMPORTED(bias, als)                                                  \
	{.id = RS_ALGO_IMPORTED, .name = "imported", .options = IMPORT_OPTIONS,  \
	 .n_options = sizeof IMPORT_OPTIONS / sizeof IMPORT_OPTIONS[0],          \
	 .split = RS_SPLIT_DOT, .bias_column = (bias), .solve_fold = (als),      \
	 .no_fold = !(als), .import_only = 1}
static const rs_algo_def VARIANTS[2][3] = {
	{IMPORTED(0, 0), IMPORTED(1, 0), IMPORTED(2, 0)},
	{IMPORTED(0, 1), IMPORTED(1, 1), IMPORTED(2, 1)},
};
const rs_algo_def rs_def_imported = IMPORTED(0, 0);

const rs_algo_def *rs_import_def(const rs_model *m)
{
	int b = m->imp_bias >= 0 && m->imp_bias <= 2 ? m->imp_bias : 0;
	return &VARIANTS[m->imp_als ? 1 : 0][b];
}

/* One side's rows as read: ids, vectors (n x dim floats), biases. */
typedef struct vecs {
	rs_idmap ids;
	float *v, *bias;
	size_t cap;
} vecs;

struct rs_import {
	rs_config *cfg;
	vecs side[2];   /* RS_SIDE_ITEMS, RS_SIDE_USERS */
	int64_t dim;    /* 0 until the first row (or the "dimensions" option) */
};

static const char *side_word(rs_side s) { return s == RS_SIDE_ITEMS ? "item" : "user"; }

rs_status rs_import_create(const rs_opt *options, int default_threads, rs_import **out,
                           rs_error *err)
{
	*out = NULL;
	rs_import *im = rs_calloc(1, sizeof *im);
	if (!im)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	rs_status st = rs_config_create_import(options, default_threads, &im->cfg, err);
	if (st == RS_OK && im->cfg->imp_als &&
	    (im->cfg->imp_cols[RS_IMP_USER_BIAS] || im->cfg->imp_cols[RS_IMP_ITEM_BIAS]))
		st = rs_fail(err, RS_EINVAL,
		             "option \"als\" folds fresh users in by ALS's least-squares solve, which has no "
		             "biases: leave out \"user_bias_column\" and \"item_bias_column\", or \"als\"");
	if (st == RS_OK && !im->cfg->imp_interactions &&
	    (im->cfg->side_source[RS_SIDE_ITEMS] || im->cfg->side_source[RS_SIDE_USERS]))
		st = rs_fail(err, RS_EINVAL,
		             "options \"items\" and \"users\" are read with the interactions: name "
		             "\"interactions\" too");
	if (st != RS_OK) {
		rs_import_destroy(&im);
		return st;
	}
	im->dim = im->cfg->imp_dims;
	*out = im;
	return RS_OK;
}

static void vecs_free(vecs *s)
{
	rs_idmap_free(&s->ids);
	free(s->v);
	free(s->bias);
	memset(s, 0, sizeof *s);
}

void rs_import_destroy(rs_import **pim)
{
	if (!pim || !*pim)
		return;
	rs_import *im = *pim;
	rs_config_destroy(&im->cfg);
	vecs_free(&im->side[0]);
	vecs_free(&im->side[1]);
	free(im);
	*pim = NULL;
}

const rs_config *rs_import_config(const rs_import *im) { return im->cfg; }

const char *rs_import_column(const rs_import *im, rs_import_col which)
{
	static const char *const defaults[2] = {"id", "features"};
	if ((int)which < 0 || which > RS_IMP_ITEM_BIAS)
		return NULL;
	const char *c = im->cfg->imp_cols[which];
	return c ? c : which <= RS_IMP_FEATURES ? defaults[which] : NULL;
}

const char *rs_import_interactions(const rs_import *im) { return im->cfg->imp_interactions; }

/* Room for one more row on a side. */
static rs_status grow(vecs *s, int64_t dim, int with_bias, rs_error *err)
{
	size_t n = s->ids.n;
	if (n < s->cap)
		return RS_OK;
	size_t cap = s->cap ? s->cap * 2 : 1024;
	float *v = rs_realloc(s->v, rs_mul(rs_mul(cap, (size_t)dim), sizeof *v));
	if (!v)
		return rs_fail(err, RS_ENOMEM, "out of memory reading %zu vectors", n + 1);
	s->v = v;
	if (with_bias) {
		float *b = rs_realloc(s->bias, rs_mul(cap, sizeof *b));
		if (!b)
			return rs_fail(err, RS_ENOMEM, "out of memory reading %zu vectors", n + 1);
		s->bias = b;
	}
	s->cap = cap;
	return RS_OK;
}

/* A value that float32 holds: finite and within its range. */
static const char *bad_value(double x)
{
	if (isnan(x))
		return "NaN";
	if (isinf(x))
		return "infinite";
	return fabs(x) > FLT_MAX ? "beyond float32's range" : NULL;
}

rs_status rs_import_add(rs_import *im, rs_side side, const char *id, size_t id_len,
                        const double *v, const unsigned char *nulls, int64_t n, const double *bias,
                        rs_error *err)
{
	if (side != RS_SIDE_ITEMS && side != RS_SIDE_USERS)
		return rs_fail(err, RS_EINVAL, "side must be the users or the items");
	const char *w = side_word(side), *col = rs_import_column(im, RS_IMP_FEATURES);
	const char *bcol = rs_import_column(im, side == RS_SIDE_USERS ? RS_IMP_USER_BIAS : RS_IMP_ITEM_BIAS);
	char sid[RS_SHORT_CAP];
	if (!id)
		return rs_fail(err, RS_EDATA, "%s_vectors has a row with a NULL %s", w,
		               rs_import_column(im, RS_IMP_ID));
	rs_shorten(id, id_len, sid, sizeof sid);
	if (!v)
		return rs_fail(err, RS_EDATA, "%s \"%s\": %s is NULL", w, sid, col);
	if (n <= 0)
		return rs_fail(err, RS_EDATA, "%s \"%s\": %s is empty", w, sid, col);
	if (im->dim == 0) {
		if (n > 1022)
			return rs_fail(err, RS_ELIMIT, "%s \"%s\" has %lld features; at most 1022 are supported",
			               w, sid, (long long)n);
		im->dim = n;
	} else if (n != im->dim) {
		return rs_fail(err, RS_EDATA, "%s \"%s\" has %lld features, expected %lld (%s)", w, sid,
		               (long long)n, (long long)im->dim,
		               im->cfg->imp_dims ? "the \"dimensions\" option" : "the length of the first row read");
	}
	for (int64_t k = 0; k < n; k++) {
		const char *bad = nulls && nulls[k] ? "NULL" : bad_value(v[k]);
		if (bad)
			return rs_fail(err, RS_EDATA, "%s \"%s\": element %lld of %s is %s", w, sid,
			               (long long)k + 1, col, bad);
	}
	if (bcol && !bias)
		return rs_fail(err, RS_EDATA, "%s \"%s\": %s is NULL", w, sid, bcol);
	if (bcol && bad_value(*bias))
		return rs_fail(err, RS_EDATA, "%s \"%s\": %s is %s", w, sid, bcol, bad_value(*bias));
	vecs *s = &im->side[side];
	rs_status st = grow(s, im->dim, bcol != NULL, err);
	if (st != RS_OK)
		return st;
	size_t before = s->ids.n;
	int32_t idx;
	if (rs_idmap_intern(&s->ids, id, id_len, &idx) != RS_OK)
		return rs_fail(err, RS_ENOMEM, "out of memory reading %zu vectors", before + 1);
	if (s->ids.n == before)
		return rs_fail(err, RS_EDATA, "%s \"%s\" appears twice in %s_vectors", w, sid, w);
	float *dst = s->v + (size_t)idx * (size_t)im->dim;
	for (int64_t k = 0; k < n; k++)
		dst[k] = (float)v[k];
	if (bcol)
		s->bias[idx] = (float)*bias;
	return RS_OK;
}

/*
 * The served vectors of one side: the read ones, widened by the bias
 * columns (header comment). Takes the read array when there are none.
 */
static float *served(vecs *s, int64_t dim, int ub, int ib, int users)
{
	int64_t f = dim + ub + ib;
	size_t n = s->ids.n;
	if (f == dim) { /* the read array, its spare capacity given back */
		float *v = n ? rs_realloc(s->v, rs_mul(rs_mul(n, (size_t)dim), sizeof *v)) : NULL;
		v = v ? v : s->v;
		s->v = NULL;
		return v;
	}
	float *out = rs_malloc(rs_mul(rs_mul(n ? n : 1, (size_t)f), sizeof *out));
	for (size_t r = 0; out && r < n; r++) {
		float *o = out + r * (size_t)f;
		memcpy(o, s->v + r * (size_t)dim, (size_t)dim * sizeof *o);
		int c = (int)dim;
		if (ub) /* user bias column: b_u for users, 1 for items */
			o[c++] = users ? s->bias[r] : 1.0f;
		if (ib) /* item bias column: 1 for users, b_i for items */
			o[c++] = users ? 1.0f : s->bias[r];
	}
	return out;
}

/* A triplet of the remapped interactions. */
typedef struct imp_row { int32_t u, i; float w; double ts; } imp_row;

static int cmp_row(const void *a, const void *b)
{
	const imp_row *x = a, *y = b;
	if (x->u != y->u)
		return (x->u > y->u) - (x->u < y->u);
	return (x->i > y->i) - (x->i < y->i);
}

/* The interactions in the model's id spaces: rows of users or items without
 * a vector are left out and counted. */
static rs_status remap(rs_model *m, const rs_csr *c, const rs_idmap *bu, const rs_idmap *bi,
                       uint64_t *no_user, uint64_t *no_item, rs_error *err)
{
	int64_t nnz = rs_csr_nnz(c), kept = 0;
	int32_t *imap = rs_malloc(rs_mul(bi->n + 1, sizeof *imap));
	imp_row *rows = rs_malloc(rs_mul((size_t)nnz + 1, sizeof *rows));
	rs_csr *s = &m->seen;
	s->nrows = (int32_t)m->users.n;
	s->ncols = (int32_t)m->items.n;
	s->indptr = rs_calloc((size_t)s->nrows + 1, sizeof *s->indptr);
	if (!imap || !rows || !s->indptr) {
		free(imap);
		free(rows);
		return rs_fail(err, RS_ENOMEM, "out of memory reading the interactions");
	}
	for (size_t j = 0; j < bi->n; j++) {
		size_t l;
		const char *id = rs_idmap_get(bi, (int32_t)j, &l);
		imap[j] = rs_idmap_find(&m->items, id, l);
	}
	for (int32_t r = 0; r < c->nrows; r++) {
		size_t l;
		const char *id = rs_idmap_get(bu, r, &l);
		int32_t u = rs_idmap_find(&m->users, id, l);
		for (int64_t k = c->indptr[r]; k < c->indptr[r + 1]; k++) {
			int32_t i = imap[c->indices[k]];
			if (u < 0)
				(*no_user)++;
			else if (i < 0)
				(*no_item)++;
			else
				rows[kept++] = (imp_row){u, i, c->data[k], c->ts ? c->ts[k] : NAN};
		}
	}
	free(imap);
	qsort(rows, (size_t)kept, sizeof *rows, cmp_row);
	s->indices = rs_malloc(rs_mul((size_t)kept + 1, sizeof *s->indices));
	s->data = rs_malloc(rs_mul((size_t)kept + 1, sizeof *s->data));
	s->ts = c->ts ? rs_malloc(rs_mul((size_t)kept + 1, sizeof *s->ts)) : NULL;
	if (!s->indices || !s->data || (c->ts && !s->ts)) {
		free(rows);
		return rs_fail(err, RS_ENOMEM, "out of memory reading the interactions");
	}
	for (int64_t k = 0; k < kept; k++) {
		s->indptr[rows[k].u + 1]++;
		s->indices[k] = rows[k].i;
		s->data[k] = rows[k].w;
		if (s->ts)
			s->ts[k] = rows[k].ts;
	}
	for (int32_t u = 0; u < s->nrows; u++)
		s->indptr[u + 1] += s->indptr[u];
	free(rows);
	return RS_OK;
}

/* Seen items, popularity, what fold-in needs and item metadata from the
 * interactions builder (NULL: none, nobody has seen anything). */
static rs_status take_interactions(rs_train_ctx *ctx, rs_model *m, rs_builder *b,
                                   uint64_t counts[3], rs_error *err)
{
	m->pop = rs_calloc(m->items.n + 1, sizeof *m->pop);
	if (!m->pop)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	if (b && b->n == 0) /* a source named but empty, or every row skipped */
		return rs_empty_source(b, err);
	if (!b) {
		m->seen = (rs_csr){.nrows = (int32_t)m->users.n, .ncols = (int32_t)m->items.n};
		m->seen.indptr = rs_calloc(m->users.n + 1, sizeof *m->seen.indptr);
		m->seen.indices = rs_malloc(sizeof *m->seen.indices);
		m->seen.data = rs_malloc(sizeof *m->seen.data);
		if (!m->seen.indptr || !m->seen.indices || !m->seen.data)
			return rs_fail(err, RS_ENOMEM, "out of memory");
		return RS_OK;
	}
	counts[0] = b->rows_read;
	rs_csr c = {0};
	rs_idmap bu = {0}, bi = {0};
	uint64_t dup = 0;
	rs_status st = rs_builder_finish(b, ctx, &c, &bu, &bi, &dup, err);
	if (st == RS_OK)
		st = remap(m, &c, &bu, &bi, &counts[1], &counts[2], err);
	rs_csr_free(&c);
	rs_idmap_free(&bu);
	rs_idmap_free(&bi);
	if (st == RS_OK)
		st = rs_popularity_fit(ctx->cfg, &m->seen, m->pop, err);
	if (st == RS_OK)
		st = rs_model_keep_fold(m, ctx, err);
	if (st == RS_OK)
		st = rs_item_meta(m, &b->side[RS_SIDE_ITEMS], NULL, err);
	return st;
}

/* The summary recsys_import returns. */
static char *summary_json(const rs_import *im, const rs_model *m, const uint64_t counts[3],
                          double seconds)
{
	const rs_config *c = im->cfg;
	rs_text t = {0};
	rs_text_printf(&t, "{\"algorithm\": \"imported\", \"users\": %zu, \"items\": %zu, "
	               "\"dimensions\": %lld, \"user_bias\": %s, \"item_bias\": %s, \"als\": %s, ",
	               m->users.n, m->items.n, (long long)im->dim,
	               c->imp_cols[RS_IMP_USER_BIAS] ? "true" : "false",
	               c->imp_cols[RS_IMP_ITEM_BIAS] ? "true" : "false", c->imp_als ? "true" : "false");
	if (c->imp_als)
		rs_text_printf(&t, "\"regularization\": %g, \"alpha\": %g, ", c->regularization, c->alpha);
	rs_text_printf(&t, "\"interactions\": %zu, \"interaction_rows_read\": %llu, "
	               "\"skipped\": {\"user_without_vector\": %llu, \"item_without_vector\": %llu}, ",
	               rs_model_n_interactions(m), (unsigned long long)counts[0],
	               (unsigned long long)counts[1], (unsigned long long)counts[2]);
	rs_text_printf(&t, "\"seconds\": %.3f, \"model_bytes\": %zu}", seconds, rs_model_memory(m));
	if (t.oom) {
		free(t.buf);
		return NULL;
	}
	return t.buf;
}

rs_status rs_import_finish(rs_import *im, rs_builder *interactions, const rs_callbacks *cb,
                           rs_model **out, char **summary, rs_error *err)
{
	*out = NULL;
	*summary = NULL;
	if (!im)
		return rs_fail(err, RS_EINVAL, "import must not be NULL");
	for (int s = RS_SIDE_USERS; s >= RS_SIDE_ITEMS; s--)
		if (im->side[s].ids.n == 0)
			return rs_fail(err, RS_EDATA, "%s_vectors has no rows", side_word((rs_side)s));
	double t0 = rs_mono_seconds();
	const rs_config *c = im->cfg;
	int ub = c->imp_cols[RS_IMP_USER_BIAS] != NULL, ib = c->imp_cols[RS_IMP_ITEM_BIAS] != NULL;
	rs_train_ctx ctx = {.cfg = c, .cb = cb};
	atomic_init(&ctx.stop, 0);
	rs_model *m = rs_model_alloc();
	if (!m)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	ctx.pool = rs_pool_new(); /* its threads end below, whatever happens */
	m->algo = RS_ALGO_IMPORTED;
	m->trained_at = rs_now_seconds();
	m->factors = (int32_t)(im->dim + ub + ib);
	m->imp_bias = ub + ib;
	m->imp_als = c->imp_als;
	m->fold_alpha = m->fold_lambda = NAN;
	m->user_f = served(&im->side[RS_SIDE_USERS], im->dim, ub, ib, 1);
	m->item_f = served(&im->side[RS_SIDE_ITEMS], im->dim, ub, ib, 0);
	m->users = im->side[RS_SIDE_USERS].ids;
	m->items = im->side[RS_SIDE_ITEMS].ids;
	memset(&im->side[RS_SIDE_USERS].ids, 0, sizeof(rs_idmap));
	memset(&im->side[RS_SIDE_ITEMS].ids, 0, sizeof(rs_idmap));
	vecs_free(&im->side[RS_SIDE_USERS]);
	vecs_free(&im->side[RS_SIDE_ITEMS]);
	uint64_t counts[3] = {0, 0, 0};
	rs_status st = m->user_f && m->item_f ? RS_OK : rs_fail(err, RS_ENOMEM, "out of memory");
	if (st == RS_OK)
		st = take_interactions(&ctx, m, interactions, counts, err);
	if (st == RS_OK && m->imp_als) {
		m->fold_alpha = c->alpha;
		m->fold_lambda = c->regularization;
		size_t f = (size_t)m->factors;
		m->item_gram = rs_calloc(f * f, sizeof *m->item_gram);
		st = m->item_gram ? rs_gram(&ctx, m->item_f, (int32_t)m->items.n, (int)f, m->item_gram, err)
		                  : rs_fail(err, RS_ENOMEM, "out of memory preparing the model");
	}
	if (st == RS_OK && rs_cancelled(&ctx))
		st = rs_fail(err, RS_ECANCELLED, "import cancelled");
	if (st == RS_OK) /* the approximate index, as a training builds it (ivf.c) */
		st = rs_ivf_train(&ctx, m, err);
	rs_train_ctx_end(&ctx);
	if (st == RS_OK)
		st = rs_model_prepare(m, err);
	if (st == RS_OK) {
		*summary = summary_json(im, m, counts, rs_mono_seconds() - t0);
		if (!*summary)
			st = rs_fail(err, RS_ENOMEM, "out of memory");
	}
	if (st != RS_OK) {
		rs_model_destroy(&m);
		return st;
	}
	*out = m;
	return RS_OK;
}
