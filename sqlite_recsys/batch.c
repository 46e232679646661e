/*
 * batch.c - the table-valued function recommend_batch() (tvf_common.c):
 *
 *   recommend_batch(user_ids = NULL, k = 10, model = NULL, options = NULL)
 *       -> user_id TEXT, item_id TEXT, score REAL, rank INTEGER, reason TEXT,
 *          source TEXT
 *
 * recommend()'s rows for many users at once: `user_ids` is a JSON array of
 * user ids (PostgreSQL: text[]; nulls give no rows, a repeated id its rows
 * again), NULL means every user of the model. The core (core/batch.c)
 * scores blocks of users on every core. Unknown users get the cold start's
 * popular items: a batch reads no source ("fresh" is not an option here).
 * sqlite3_interrupt() stops it between blocks. For a table:
 *   INSERT INTO recs SELECT * FROM recommend_batch(NULL, 10, 'shop');
 */
#include "recsys_sqlite.h"

#include <string.h>

/* Users asked of the core at a time, and rows at most per chunk. */
#define CHUNK_USERS 16384
#define CHUNK_ROWS (1 << 20)

/* One output row; the user ids follow the rows in the same allocation. */
typedef struct batch_row {
	rs_reco reco;
	int rank;
	int id_len;
	size_t id_off; /* into the id text after the rows */
} batch_row;

/* The rows being built: rows and id text grow apart, joined at the end. */
typedef struct batch_acc {
	batch_row *rows;
	size_t n, cap;
	char *text;
	size_t text_len, text_cap;
} batch_acc;

/* Grow *p (cap elements of size sz) to hold need; 0 when out of memory. */
static int grow(void **p, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return 1;
	size_t c = *cap ? *cap : 1024;
	while (c < need)
		c *= 2;
	void *q = sqlite3_realloc64(*p, (sqlite3_uint64)c * sz);
	if (!q)
		return 0;
	*p = q;
	*cap = c;
	return 1;
}

/* A user's n rows (recs) with its id into acc. */
static int add_user(batch_acc *a, const char *id, size_t len, const rs_reco *recs, int n)
{
	if (!grow((void **)&a->rows, &a->cap, a->n + (size_t)n, sizeof *a->rows) ||
	    !grow((void **)&a->text, &a->text_cap, a->text_len + len + 1, 1))
		return SQLITE_NOMEM;
	memcpy(a->text + a->text_len, id, len);
	for (int q = 0; q < n; q++)
		a->rows[a->n++] = (batch_row){recs[q], q + 1, (int)len, a->text_len};
	a->text_len += len;
	return SQLITE_OK;
}

/* The rows and the id text in one allocation, as c->rows. */
static int finish(rsq_cursor *c, batch_acc *a)
{
	size_t rows = a->n * sizeof(batch_row);
	char *block = sqlite3_malloc64((sqlite3_uint64)(rows + a->text_len + 1));
	if (!block)
		return SQLITE_NOMEM;
	if (rows)
		memcpy(block, a->rows, rows);
	if (a->text_len)
		memcpy(block + rows, a->text, a->text_len);
	c->rows = block;
	c->n = (int)a->n;
	return SQLITE_OK;
}

/* Every listed user's (or every model user's) top k, chunk by chunk. */
static int batch_compute(rsq_cursor *c, int k, const rs_opt *opts)
{
	rsq_ids ids = {0};
	char *errmsg = NULL;
	batch_acc acc = {0};
	const rs_model *m = c->model->m;
	int rc = SQLITE_OK;
	rs_error err = {0};
	if (rs_check_k(k, &err) != RS_OK)
		return rsq_cursor_fail(c, &err);
	const char *json = c->args[0] && sqlite3_value_type(c->args[0]) != SQLITE_NULL
	                       ? rsq_arg_text(c, 0, NULL) : NULL;
	if (json && (rc = rsq_read_ids(c->ctx, "recommend_batch", json, "user_ids", "user ids", &ids,
	                               &errmsg)) != SQLITE_OK)
		return errmsg ? rsq_cursor_error(c, errmsg) : rc;
	size_t n = json ? (size_t)ids.n : rs_model_n_users(m);
	size_t chunk = CHUNK_ROWS / (size_t)k;
	chunk = chunk < 1 ? 1 : chunk > CHUNK_USERS ? CHUNK_USERS : chunk;
	rs_reco *recs = sqlite3_malloc64((sqlite3_uint64)chunk * k * sizeof *recs);
	int *n_out = sqlite3_malloc64((sqlite3_uint64)chunk * sizeof *n_out);
	sqlite3_stmt *probe = NULL; /* notices sqlite3_interrupt() (train.c) */
	if (sqlite3_prepare_v2(c->ctx->db, "SELECT 1", -1, &probe, NULL) != SQLITE_OK)
		probe = NULL;
	rs_callbacks cb = {.cancel = rsq_interrupted, .ctx = probe};
	if (!recs || !n_out)
		rc = SQLITE_NOMEM;
	/* an empty list still has its options checked */
	if (rc == SQLITE_OK && n == 0 &&
	    rs_recommend_batch(m, NULL, NULL, 0, 0, k, opts, 1, NULL, NULL, NULL, &err) != RS_OK)
		rc = rsq_cursor_fail(c, &err);
	for (size_t off = 0; rc == SQLITE_OK && off < n; off += chunk) {
		size_t cn = n - off < chunk ? n - off : chunk;
		if (rs_recommend_batch(m, json ? (const char *const *)ids.ids + off : NULL,
		                       json ? ids.lens + off : NULL, off, cn, k, opts, 0, &cb, recs, n_out,
		                       &err) != RS_OK) {
			rc = err.status == RS_ECANCELLED ? SQLITE_INTERRUPT : rsq_cursor_fail(c, &err);
			break;
		}
		for (size_t r = 0; rc == SQLITE_OK && r < cn; r++) {
			size_t len = 0;
			const char *id = json ? ids.ids[off + r] : rs_model_user_id(m, (int32_t)(off + r), &len);
			if (json)
				len = ids.lens[off + r];
			if (n_out[r] > 0)
				rc = add_user(&acc, id, len, recs + r * (size_t)k, n_out[r]);
		}
	}
	if (rc == SQLITE_OK && acc.n > 0x7fffffff)
		rc = rsq_cursor_error(c, sqlite3_mprintf("recommend_batch: more than 2^31 rows"));
	if (rc == SQLITE_OK)
		rc = finish(c, &acc);
	sqlite3_finalize(probe);
	sqlite3_free(recs);
	sqlite3_free(n_out);
	sqlite3_free(acc.rows);
	sqlite3_free(acc.text);
	rsq_ids_free(&ids);
	return rc;
}

/* user_id, then recommend()'s columns. */
static void batch_column(rsq_cursor *c, sqlite3_context *ctx, int col)
{
	const batch_row *r = (const batch_row *)c->rows + c->pos;
	const rs_model *m = c->model->m;
	size_t len = 0;
	const char *id;
	char reason[256];
	switch (col) {
	case 0:
		id = (const char *)c->rows + (size_t)c->n * sizeof *r + r->id_off;
		sqlite3_result_text64(ctx, id, (sqlite3_uint64)r->id_len, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case 1:
		id = rs_model_item_id(m, r->reco.item, &len);
		sqlite3_result_text64(ctx, id ? id : "", id ? len : 0, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case 2: sqlite3_result_double(ctx, rsq_float_decimal(r->reco.score)); break;
	case 3: sqlite3_result_int(ctx, r->rank); break;
	case 4: /* "because you bought X", ... (core/reasons.c) */
		sqlite3_result_text(ctx, rs_reason_format(m, &r->reco, reason, sizeof reason), -1,
		                    SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_result_text(ctx, rs_source_name(m, r->reco.source), -1, SQLITE_TRANSIENT);
		break;
	}
}

const rsq_tvf rsq_batch_tvf = {
    .name = "recommend_batch",
    .schema = "CREATE TABLE x(user_id TEXT, item_id TEXT, score REAL, rank INTEGER, reason TEXT, "
              "source TEXT, user_ids HIDDEN, k HIDDEN, model HIDDEN, options HIDDEN)",
    .n_out = 6,
    .args = {{"user_ids", 0}, RSQ_SERVING_ARGS},
    .flags = RSQ_TVF_LOCAL,
    .cost = 1e6,
    .rows = 1e6,
    .compute = batch_compute,
    .column = batch_column,
};
