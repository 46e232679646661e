/*
 * two_tower.c - "two_tower": a user tower and an item tower over id
 * embeddings and side-table features, trained with in-batch softmax.
 *
 * Inputs (two_tower.h): the features of lightfm_features.c, as warp reads
 * the side tables (identity "item:<id>" / "user:<id>" keeping the share
 * identity_weight, attributes splitting the rest), one embedding table E
 * (features x dim) for both sides. A user's input adds the mean of the
 * identity embeddings of the user's history items (weighted per
 * "weighting"), so a fresh user is one forward pass of their features and
 * recent items; in training the positive's own item is left out of it.
 * Each tower: o = x + W2 relu(W1 x + b1) + b2 (dropout on the hidden
 * layer), served normalized; user vectors [u, 1] with u = o_u / |o_u|,
 * item vectors [v, b_i] with v = o_i / (|o_i| temperature) and b_i the
 * learned item bias (item_bias: a scalar per feature summed over the
 * item's bag, so side-table-only items get one; ML-100K validation .1328
 * -> .1373), so recommend()'s dot product is the model's logit and
 * similar_items' cosine (bias column left out) the item towers' cosine.
 *
 * Loss (Yi et al., "Sampling-Bias-Corrected Neural Modeling for Large
 * Corpus Item Recommendations", RecSys 2019): per minibatch of B shuffled
 * positive pairs, logits s_bc = u_b . v_c / T + b_c - log q_c over the batch's
 * items plus B/4 items drawn uniformly from the whole catalogue (mixed
 * negative sampling, Yang et al., WWW 2020 companion: side-table-only
 * items, never in a batch otherwise, are pushed down too), q_c how often a
 * minibatch holds item c (its share of the positives times B, plus the
 * uniform draws' B/4 / items: the correction keeps popular items from
 * being pushed down for being sampled often; without it validation NDCG
 * fell from .134 to .042), softmax cross-entropy with the pair's own item
 * as the label; other copies of that item are masked out (the softmax:
 * dense.c's, on the calling thread); plus hard_negative times a hinge on
 * each row's hardest corrected negative (hinge_forward). Adam (Kingma, Ba, ICLR 2015): dense.c's
 * on the towers, its lazy rs_adam_rows on the rows of E a minibatch used
 * (emb_step).
 *
 * Cold start: with probability cold_dropout a pair trains its item without
 * the identity feature (the attributes then carry the whole row), and its
 * user as one only the users table names (attributes alone); with the same
 * probability again its user as a fresh one (no identity: attributes and
 * history). That is how entities only the side tables name are scored
 * (they join the model, lightfm_features.c, and are served by the towers
 * over their attributes alone) and how fresh users are.
 *
 * Determinism: the pairs' order, the cold-start draws and the dropout
 * masks come from the seed alone; the threads split each minibatch's rows,
 * and every sum runs in the same order whatever their number, so a seed
 * gives the same model on any thread count. Cancel is polled between
 * minibatches.
 */
#include "two_tower.h"
#include "lightfm.h"
#include "dense.h"

#include <cblas.h>

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct tt_pair { int32_t u, i; } tt_pair;

/* One tower's layers and its minibatch buffers. */
typedef struct tt_side {
	rs_dense_layer l1, l2;      /* f x h, h x f (h = 0: none) */
	rs_dense_sparse bag;        /* the minibatch's inputs over E */
	int64_t *ptr;
	int32_t *idx;
	float *val;
	size_t cap;                 /* entries idx and val hold */
	float *x, *hid, *hd, *mask; /* B x f input; B x h relu output, after dropout, mask */
	float *o, *norm;            /* B x f output (normalized in place), B norms */
	float *d, *dh, *dx;         /* gradients: B x f output, B x h hidden, B x f input */
} tt_side;

typedef struct tt_job {
	rs_train_ctx *ctx;
	int f, h, B;
	float temp, hist, cold, drop;
	const rs_csr *seen;         /* weighted as the model's "weighting" says */
	const float *hw;            /* per positive: its weight in the history bag
	                             * (seen's, times its "recency" factor) */
	const rs_lfm_feats *ft;
	int32_t n_item_id, n_user_id; /* items / users [0, n) have an identity feature */
	float *logq;                /* per item: log of its expected count in a minibatch */
	rs_dense_layer emb;         /* E: features x f */
	uint8_t *mark;              /* per feature: in rows */
	int32_t *rows, n_rows;      /* the rows of E this minibatch uses */
	int64_t t;                  /* Adam steps taken on E */
	tt_side u, i;
	int M;                      /* uniformly drawn negatives per minibatch */
	int32_t *extra;             /* this minibatch's M draws */
	float *z;                   /* B x (B + M) logits */
	int64_t *diag_ptr;          /* the softmax's targets: row r, column r */
	int32_t *diag_idx;
	int32_t *col_item;          /* per column of z: its item, and that item's log q */
	float *col_lq;
	tt_pair *pairs;
	int64_t n_pairs;
	/* The item bias b_i = sum_f x_if c_f over the item's bag (identity and
	 * attributes, so side-table-only items get one too): c a scalar per
	 * feature, g its gradient, cm / cv its Adam moments; NULL when off. */
	float *c, *cg, *cm, *cv;
	float *col_b, *col_g;       /* per column of z: its item's bias, and its gradient */
	float bias_l2;
	float hard;                 /* weight of the hinge on each row's hardest negative */
	int32_t *hardest;           /* per row: that negative's column, -1: none within the margin */
} tt_job;

/* Room for `need` more entries of s's bag. */
static int bag_room(tt_side *s, size_t used, size_t need)
{
	if (used + need <= s->cap)
		return 1;
	size_t cap = s->cap ? s->cap : 4096;
	while (cap < used + need)
		cap *= 2;
	int32_t *idx = rs_realloc(s->idx, rs_mul(cap, sizeof *idx));
	if (idx)
		s->idx = idx;
	float *val = rs_realloc(s->val, rs_mul(cap, sizeof *val));
	if (val)
		s->val = val;
	if (!idx || !val)
		return 0;
	s->cap = cap;
	return 1;
}

/* Append row r of features c to the bag at *k, scaled by a; without its
 * identity (the first entry) when `cold`, the attributes then summing to a. */
static void put_row(tt_side *s, const rs_csr *c, int32_t r, int has_id, int cold, float a,
                    size_t *k)
{
	int64_t b = c->indptr[r], e = c->indptr[r + 1];
	if (cold && has_id && e - b > 1) {
		float rest = 1.0f - c->data[b];
		a = rest > 0 ? a / rest : a;
		b++;
	}
	for (int64_t q = b; q < e; q++) {
		s->idx[*k] = c->indices[q];
		s->val[(*k)++] = a * c->data[q];
	}
}

/* The item of column c of a minibatch of n pairs from p0: the pairs' own,
 * then the uniform draws. */
static inline int32_t column_item(const tt_job *j, int64_t p0, int32_t n, int32_t c)
{
	return c < n ? j->pairs[p0 + c].i : j->extra[c - n];
}

/* The minibatch's bags: pairs [p0, p0 + n), then M items drawn uniformly
 * from the whole catalogue (side-table-only items too) on the item side.
 * rng: this minibatch's stream. */
static int build_bags(tt_job *j, int64_t p0, int32_t n, uint64_t *rng)
{
	const rs_csr *seen = j->seen, *uf = &j->ft->users, *itf = &j->ft->items;
	size_t ku = 0, ki = 0;
	j->u.ptr[0] = j->i.ptr[0] = 0;
	for (int32_t b = 0; b < n; b++) {
		int32_t u = j->pairs[p0 + b].u, i = j->pairs[p0 + b].i;
		double draw = rs_rand_unit(rng);
		int cold_i = rs_rand_unit(rng) < j->cold;
		int64_t hb = seen->indptr[u], he = seen->indptr[u + 1];
		size_t need = (size_t)(uf->indptr[u + 1] - uf->indptr[u] + he - hb);
		if (!bag_room(&j->u, ku, need) ||
		    !bag_room(&j->i, ki, (size_t)(itf->indptr[i + 1] - itf->indptr[i])))
			return 0;
		double rest = 0;
		for (int64_t q = hb; q < he; q++)
			rest += seen->indices[q] == i ? 0.0 : j->hw[q];
		/* Cold users, cold_dropout of the pairs each: as one only the
		 * users table names (attributes alone: no identity, no history),
		 * and as a fresh user (no identity: attributes and history) */
		int has_id = u < j->n_user_id;
		int64_t attrs = uf->indptr[u + 1] - uf->indptr[u] - has_id;
		int side_only = draw < j->cold && has_id && attrs > 0;
		int fresh = !side_only && draw < 2 * j->cold && has_id;
		int hist = j->hist > 0 && rest > 0 && !side_only;
		if (!(fresh && attrs == 0)) /* else the history alone */
			put_row(&j->u, uf, u, has_id, side_only || fresh,
			        hist ? 1.0f - j->hist : 1.0f, &ku);
		else if (!hist)
			put_row(&j->u, uf, u, has_id, 0, 1.0f, &ku); /* nothing else to go on */
		float hs = fresh && attrs == 0 ? 1.0f : j->hist;
		for (int64_t q = hb; hist && q < he; q++) /* item j's identity is feature j */
			if (seen->indices[q] != i) {
				j->u.idx[ku] = seen->indices[q];
				j->u.val[ku++] = (float)(hs * j->hw[q] / rest);
			}
		put_row(&j->i, itf, i, i < j->n_item_id, cold_i, 1.0f, &ki);
		j->u.ptr[b + 1] = (int64_t)ku;
		j->i.ptr[b + 1] = (int64_t)ki;
	}
	for (int32_t c = 0; c < j->M; c++) {
		int32_t i = (int32_t)(rs_rand_next(rng) % (uint64_t)itf->nrows);
		int cold_i = rs_rand_unit(rng) < j->cold;
		if (!bag_room(&j->i, ki, (size_t)(itf->indptr[i + 1] - itf->indptr[i])))
			return 0;
		put_row(&j->i, itf, i, i < j->n_item_id, cold_i, 1.0f, &ki);
		j->extra[c] = i;
		j->i.ptr[n + c + 1] = (int64_t)ki;
	}
	j->u.bag = (rs_dense_sparse){n, j->u.ptr, j->u.idx, j->u.val};
	j->i.bag = (rs_dense_sparse){n + j->M, j->i.ptr, j->i.idx, j->i.val};
	return 1;
}

/* A tower's forward pass over its bag (n rows): o normalized; dropout
 * masks from seed when training. */
static rs_status side_forward(tt_job *j, tt_side *s, int32_t n, int train, uint64_t seed,
                              rs_error *err)
{
	size_t nf = (size_t)n * j->f, nh = (size_t)n * j->h;
	rs_status st = rs_dense_sparse_forward(j->ctx, &j->emb, &s->bag, s->x, err);
	if (st != RS_OK)
		return st;
	memcpy(s->o, s->x, nf * sizeof *s->o);
	if (j->h > 0) {
		if ((st = rs_dense_forward(j->ctx, &s->l1, s->x, n, s->hid, err)) != RS_OK)
			return st;
		rs_dense_act_forward(RS_ACT_RELU, s->hid, nh);
		memcpy(s->hd, s->hid, nh * sizeof *s->hd);
		if (train && j->drop > 0) {
			rs_dense_dropout_mask(s->mask, n, j->h, j->drop, seed);
			rs_dense_mul(s->hd, s->mask, nh);
		}
		if ((st = rs_dense_forward(j->ctx, &s->l2, s->hd, n, s->d, err)) != RS_OK)
			return st; /* d: scratch here */
		for (size_t k = 0; k < nf; k++)
			s->o[k] += s->d[k];
	}
	rs_dense_l2_forward(s->o, n, j->f, s->norm);
	return RS_OK;
}

/* A tower's backward pass from s->d (the gradient of its normalized
 * output) into the layers' and E's gradients. */
static rs_status side_backward(tt_job *j, tt_side *s, int32_t n, int train, rs_error *err)
{
	size_t nf = (size_t)n * j->f, nh = (size_t)n * j->h;
	rs_status st = RS_OK;
	rs_dense_l2_backward(s->o, s->norm, s->d, n, j->f);
	if (j->h > 0) {
		if ((st = rs_dense_backward(j->ctx, &s->l2, s->hd, s->d, n, s->dh, err)) != RS_OK)
			return st;
		if (train && j->drop > 0)
			rs_dense_mul(s->dh, s->mask, nh);
		rs_dense_act_backward(RS_ACT_RELU, s->hid, s->dh, nh);
		if ((st = rs_dense_backward(j->ctx, &s->l1, s->x, s->dh, n, s->dx, err)) != RS_OK)
			return st;
		for (size_t k = 0; k < nf; k++)
			s->d[k] += s->dx[k]; /* the residual path */
	}
	return rs_dense_sparse_backward(j->ctx, &j->emb, &s->bag, s->d, err);
}

/* Four lanes in one vector register (GCC / Clang vector extension): the
 * two row scans below, which GCC leaves scalar when written plainly. */
typedef float tt_v4 __attribute__((vector_size(16)));
typedef int32_t tt_v4i __attribute__((vector_size(16)));

/* z[c] + b[c] - lq[c], or -1e30 - lq[c] where item[c] is own (the same
 * operations per column as the scalar tail, so the same bits). */
void rs_tt_mask_row(float *z, const int32_t *item, const float *b, const float *lq, int32_t own,
                    int32_t k)
{
	const tt_v4 off = {-1e30f, -1e30f, -1e30f, -1e30f};
	int32_t c = 0;
	for (; c + 4 <= k; c += 4) {
		tt_v4 zv, bv, lv;
		tt_v4i iv;
		memcpy(&zv, z + c, sizeof zv);
		memcpy(&bv, b + c, sizeof bv);
		memcpy(&lv, lq + c, sizeof lv);
		memcpy(&iv, item + c, sizeof iv);
		tt_v4i mine = iv == own;
		tt_v4 v = (tt_v4)(((tt_v4i)off & mine) | ((tt_v4i)(zv + bv) & ~mine)) - lv;
		memcpy(z + c, &v, sizeof v);
	}
	for (; c < k; c++)
		z[c] = (item[c] == own ? -1e30f : z[c] + b[c]) - lq[c];
}

/* Logits of the minibatch (n pairs from p0, k = n + M columns):
 * u . v / T - log q, other copies of a row's own item masked out. */
static void batch_logits(tt_job *j, int64_t p0, int32_t n)
{
	int32_t k = n + j->M;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, j->f, 1.0f / j->temp, j->u.o, j->f,
	            j->i.o, j->f, 0.0f, j->z, k);
	for (int32_t c = 0; c < k; c++) {
		j->col_item[c] = column_item(j, p0, n, c);
		j->col_lq[c] = j->logq[j->col_item[c]];
	}
	for (int32_t r = 0; r < n; r++) {
		float *z = j->z + (size_t)r * k;
		int32_t own = j->col_item[r];
		float keep = z[r] + j->col_b[r] - j->col_lq[r]; /* the row's own column stays */
		rs_tt_mask_row(z, j->col_item, j->col_b, j->col_lq, own, k);
		z[r] = keep;
	}
}

/* The hinge on each row's hardest negative (WARP's idea, as a weighted
 * extra term beside the softmax): hard * max(0, TT_MARGIN - (z_rr - max_c
 * z_rc)) over the corrected logits (masked copies of the row's item never
 * win), so the top of the ranking gets a push the softmax's average over
 * all negatives spreads thin (ML-100K validation, nine seeds: .1357 ->
 * .1396, every seed up). Notes each row's hardest column for
 * hinge_backward; returns the batch's summed hinge. */
#define TT_MARGIN 1.0f

/* The first column of z[0..k) (k >= 1) holding its largest value: four
 * lanes keep their running maxima and the first columns of them. */
int32_t rs_tt_row_argmax(const float *z, int32_t k)
{
	tt_v4 m = {z[0], z[0], z[0], z[0]};
	tt_v4i at = {0, 0, 0, 0}, col = {0, 1, 2, 3};
	int32_t c = 0;
	for (; c + 4 <= k; c += 4, col += 4) {
		tt_v4 v;
		memcpy(&v, z + c, sizeof v);
		tt_v4i up = v > m;
		m = (tt_v4)(((tt_v4i)v & up) | ((tt_v4i)m & ~up));
		at = (col & up) | (at & ~up);
	}
	int32_t best = at[0];
	for (int l = 1; l < 4; l++)
		if (m[l] > z[best] || (m[l] == z[best] && at[l] < best))
			best = at[l];
	for (; c < k; c++) /* the tail's columns come after every lane's */
		if (z[c] > z[best])
			best = c;
	return best;
}

static double hinge_forward(tt_job *j, int32_t n, int32_t k)
{
	double sum = 0;
	for (int32_t r = 0; r < n; r++) {
		float *z = j->z + (size_t)r * k, own = z[r];
		z[r] = -1e30f; /* not its own negative */
		int32_t at = rs_tt_row_argmax(z, k);
		z[r] = own;
		float best = z[at];
		if (best <= -1e29f) /* every other column masked */
			at = -1;
		float gap = TT_MARGIN - (z[r] - best);
		j->hardest[r] = at >= 0 && gap > 0 ? at : -1;
		if (j->hardest[r] >= 0)
			sum += (double)j->hard * gap;
	}
	return sum;
}

/* Adds the hinge's gradient (of the batch mean) to the softmax's in z. */
static void hinge_backward(tt_job *j, int32_t n, int32_t k)
{
	float g = j->hard / (float)n;
	for (int32_t r = 0; r < n; r++)
		if (j->hardest[r] >= 0) {
			j->z[(size_t)r * k + r] -= g;
			j->z[(size_t)r * k + j->hardest[r]] += g;
		}
}

/* The item bias of each column of the minibatch's item bag (zero when
 * off). */
static void bias_forward(tt_job *j, int32_t k)
{
	const tt_side *s = &j->i;
	for (int32_t c = 0; c < k; c++) {
		float b = 0;
		for (int64_t q = j->c ? s->ptr[c] : 0; j->c && q < s->ptr[c + 1]; q++)
			b += s->val[q] * j->c[s->idx[q]];
		j->col_b[c] = b;
	}
}

/* dL/db_c, the column sums of dz, into the features' c gradients. */
static void bias_backward(tt_job *j, int32_t n, int32_t k)
{
	const tt_side *s = &j->i;
	if (!j->c)
		return;
	memset(j->col_g, 0, (size_t)k * sizeof *j->col_g);
	for (int32_t r = 0; r < n; r++) {
		const float *z = j->z + (size_t)r * k;
		for (int32_t c = 0; c < k; c++)
			j->col_g[c] += z[c];
	}
	for (int32_t c = 0; c < k; c++)
		for (int64_t q = s->ptr[c]; q < s->ptr[c + 1]; q++)
			j->cg[s->idx[q]] += s->val[q] * j->col_g[c];
}

static rs_dense_layer *const *all_layers(tt_job *j, rs_dense_layer **out, int *n)
{
	*n = 0;
	out[(*n)++] = &j->emb;
	if (j->h > 0) {
		out[(*n)++] = &j->u.l1;
		out[(*n)++] = &j->u.l2;
		out[(*n)++] = &j->i.l1;
		out[(*n)++] = &j->i.l2;
	}
	return out;
}

/* One minibatch: bags, forward, loss, backward into the (zeroed)
 * gradients. *loss: the batch's summed cross-entropy. */
static rs_status tt_batch_grad(tt_job *j, int64_t p0, int32_t n, uint64_t seed, double *loss,
                               rs_error *err)
{
	uint64_t rng = seed;
	rs_dense_layer *layers[5];
	int nl;
	all_layers(j, layers, &nl);
	for (int l = 1; l < nl; l++)
		rs_dense_zero_grad(layers[l]);
	/* E's gradient is zero but on the rows the last minibatch used */
	for (int32_t r = 0; r < j->n_rows; r++) {
		memset(j->emb.gw + (size_t)j->rows[r] * j->f, 0, (size_t)j->f * sizeof(float));
		if (j->cg)
			j->cg[j->rows[r]] = 0;
		j->mark[j->rows[r]] = 0;
	}
	memset(j->emb.gb, 0, (size_t)j->f * sizeof(float));
	j->n_rows = 0;
	if (!build_bags(j, p0, n, &rng))
		return rs_fail(err, RS_ENOMEM, "out of memory building a minibatch");
	for (int s = 0; s < 2; s++) {
		const tt_side *sd = s ? &j->i : &j->u;
		for (int64_t q = 0; q < sd->ptr[sd->bag.rows]; q++)
			if (!j->mark[sd->idx[q]]) {
				j->mark[sd->idx[q]] = 1;
				j->rows[j->n_rows++] = sd->idx[q];
			}
	}
	rs_status st = side_forward(j, &j->u, n, 1, seed ^ 0x5555555555555555ULL, err);
	int32_t k = n + j->M;
	if (st == RS_OK)
		st = side_forward(j, &j->i, k, 1, seed ^ 0xAAAAAAAAAAAAAAAAULL, err);
	if (st != RS_OK)
		return st;
	bias_forward(j, k);
	batch_logits(j, p0, n);
	/* row r's label is column r: its own pair's item */
	rs_dense_sparse diag = {n, j->diag_ptr, j->diag_idx, NULL};
	double hinge = j->hard > 0 ? hinge_forward(j, n, k) : 0;
	*loss = rs_dense_softmax_xent_serial(j->z, n, k, &diag, 1.0f / (float)n) + hinge;
	if (j->hard > 0)
		hinge_backward(j, n, k);
	bias_backward(j, n, k); /* z holds dL/dz from here */
	/* dL/du = dz v / T, dL/dv = dz^T u / T */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, j->f, k, 1.0f / j->temp, j->z, k,
	            j->i.o, j->f, 0.0f, j->u.d, j->f);
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, j->f, n, 1.0f / j->temp, j->z, k,
	            j->u.o, j->f, 0.0f, j->i.d, j->f);
	st = side_backward(j, &j->u, n, 1, err);
	if (st == RS_OK)
		st = side_backward(j, &j->i, k, 1, err);
	return st;
}

static void side_free(tt_side *s)
{
	rs_dense_layer_free(&s->l1);
	rs_dense_layer_free(&s->l2);
	free(s->ptr); free(s->idx); free(s->val);
	free(s->x); free(s->hid); free(s->hd); free(s->mask);
	free(s->o); free(s->norm); free(s->d); free(s->dh); free(s->dx);
}

static rs_status side_alloc(tt_side *s, int f, int h, int B, uint64_t seed, rs_error *err)
{
	size_t nf = (size_t)B * f, nh = (size_t)B * (h > 0 ? h : 1);
	if (h > 0) {
		rs_status st = rs_dense_layer_init(&s->l1, f, h, seed, err);
		if (st == RS_OK)
			st = rs_dense_layer_init(&s->l2, h, f, seed + 1, err);
		if (st != RS_OK)
			return st;
	}
	s->ptr = rs_malloc(rs_mul((size_t)B + 1, sizeof *s->ptr));
	s->x = rs_malloc(rs_mul(nf, 4));
	s->o = rs_malloc(rs_mul(nf, 4));
	s->d = rs_malloc(rs_mul(nf, 4));
	s->dx = rs_malloc(rs_mul(nf, 4));
	s->hid = rs_malloc(rs_mul(nh, 4));
	s->hd = rs_malloc(rs_mul(nh, 4));
	s->mask = rs_malloc(rs_mul(nh, 4));
	s->dh = rs_malloc(rs_mul(nh, 4));
	s->norm = rs_malloc(rs_mul((size_t)B, 4));
	if (!s->ptr || !s->x || !s->o || !s->d || !s->dx || !s->hid || !s->hd || !s->mask || !s->dh ||
	    !s->norm || !bag_room(s, 0, 4096))
		return rs_fail(err, RS_ENOMEM, "out of memory allocating a minibatch of %d", B);
	return RS_OK;
}

static void job_free(tt_job *j)
{
	rs_dense_layer_free(&j->emb);
	side_free(&j->u);
	side_free(&j->i);
	free(j->mark); free(j->rows);
	free(j->c); free(j->cg); free(j->cm); free(j->cv); free(j->col_b); free(j->col_g);
	free(j->z); free(j->diag_ptr); free(j->diag_idx); free(j->col_item); free(j->col_lq); free(j->extra); free(j->hardest); free(j->pairs); free(j->logq);
}

/* Every positive (u, i) as a pair; per item
 * the log of how often a minibatch holds it as a negative: q_i B + M / N,
 * q_i its share of the positives (in-batch draws follow it), N the items
 * (the uniform draws). */
static int pair_stats(tt_job *j)
{
	const rs_csr *s = j->seen;
	j->n_pairs = rs_csr_nnz(s);
	j->pairs = rs_malloc(rs_mul((size_t)j->n_pairs + 1, sizeof *j->pairs));
	j->logq = rs_calloc((size_t)s->ncols + 1, sizeof *j->logq);
	if (!j->pairs || !j->logq)
		return 0;
	for (int32_t u = 0; u < s->nrows; u++)
		for (int64_t k = s->indptr[u]; k < s->indptr[u + 1]; k++) {
			j->pairs[k] = (tt_pair){u, s->indices[k]};
			j->logq[s->indices[k]] += 1.0f;
		}
	for (int32_t i = 0; i < s->ncols; i++)
		j->logq[i] = logf(j->logq[i] / (float)j->n_pairs * (float)j->B +
		                  (float)j->M / (float)s->ncols);
	return 1;
}

/* Parameters and buffers; E uniform with variance 1 / f per coordinate
 * (a bag of unit-share rows starts near unit length). */
static rs_status job_alloc(tt_job *j, const rs_config *cfg, rs_error *err)
{
	int B = j->B;
	if (!pair_stats(j))
		return rs_fail(err, RS_ENOMEM, "out of memory listing %lld interactions",
		               (long long)rs_csr_nnz(j->seen));
	rs_status st = rs_dense_layer_init(&j->emb, (int32_t)j->ft->names.n, j->f, cfg->seed, err);
	if (st == RS_OK)
		st = side_alloc(&j->u, j->f, j->h, B, cfg->seed * 31 + 7, err);
	if (st == RS_OK)
		st = side_alloc(&j->i, j->f, j->h, B + j->M, cfg->seed * 31 + 11, err);
	if (st != RS_OK)
		return st;
	uint64_t rng = cfg->seed ^ 0x2545F4914F6CDD1DULL;
	float a = sqrtf(3.0f / (float)j->f);
	for (size_t k = 0; k < j->ft->names.n * (size_t)j->f; k++)
		j->emb.w[k] = (float)((2 * rs_rand_unit(&rng) - 1) * a);
	j->mark = rs_calloc(j->ft->names.n + 1, 1);
	j->rows = rs_malloc(rs_mul(j->ft->names.n + 1, sizeof *j->rows));
	j->z = rs_malloc(rs_mul(rs_mul((size_t)B, (size_t)B + j->M), 4));
	j->diag_ptr = rs_malloc(rs_mul((size_t)B + 1, sizeof *j->diag_ptr));
	j->diag_idx = rs_malloc(rs_mul((size_t)B, sizeof *j->diag_idx));
	if (!j->diag_ptr || !j->diag_idx)
		return rs_fail(err, RS_ENOMEM, "out of memory allocating a minibatch of %d", B);
	for (int r = 0; r <= B; r++)
		j->diag_ptr[r] = r;
	for (int r = 0; r < B; r++)
		j->diag_idx[r] = r;
	j->extra = rs_malloc(rs_mul((size_t)j->M + 1, sizeof *j->extra));
	j->hardest = rs_malloc(rs_mul((size_t)B, sizeof *j->hardest));
	j->col_item = rs_malloc(rs_mul((size_t)B + j->M, sizeof *j->col_item));
	j->col_lq = rs_malloc(rs_mul((size_t)B + j->M, sizeof *j->col_lq));
	j->col_b = rs_calloc((size_t)B + j->M, sizeof *j->col_b);
	j->col_g = rs_calloc((size_t)B + j->M, sizeof *j->col_g);
	if (cfg->tt_bias) { /* c starts at zero: no bias until the data asks for one */
		size_t nf = j->ft->names.n + 1;
		j->c = rs_calloc(nf, sizeof *j->c);
		j->cg = rs_calloc(nf, sizeof *j->cg);
		j->cm = rs_calloc(nf, sizeof *j->cm);
		j->cv = rs_calloc(nf, sizeof *j->cv);
		if (!j->c || !j->cg || !j->cm || !j->cv)
			return rs_fail(err, RS_ENOMEM, "out of memory allocating the item biases");
	}
	if (!j->z || !j->extra || !j->hardest || !j->col_item || !j->col_lq || !j->col_b ||
	    !j->col_g || !j->mark || !j->rows)
		return rs_fail(err, RS_ENOMEM, "out of memory allocating a minibatch of %d", B);
	return RS_OK;
}

/* A seed for minibatch b of epoch e: the same whatever the threads. */
static uint64_t batch_seed(uint64_t seed, int e, int64_t b)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL ^ ((uint64_t)e << 40) ^ (uint64_t)b;
	return rs_rand_next(&s);
}

/* Fisher-Yates with rng. */
static void shuffle(tt_pair *p, int64_t n, uint64_t *rng)
{
	for (int64_t k = n - 1; k > 0; k--) {
		int64_t r = (int64_t)(rs_rand_next(rng) % (uint64_t)(k + 1));
		tt_pair t = p[k];
		p[k] = p[r];
		p[r] = t;
	}
}

/* Adam on the rows of E the minibatch used (and E's bias), the others
 * left as they are (rs_adam_rows: a row's moments decay only when it is
 * used). rs_adam_step updates every row: on ML-1M (10,000 features) that
 * was 38% of the training time. */
static void emb_step(tt_job *j, const rs_adam *o)
{
	j->t++;
	rs_dense_layer *l = &j->emb;
	int32_t zero = 0; /* the bias, as a one-row table; biases are not decayed */
	rs_adam_rows(o, j->t, 0.0f, l->b, l->gb, l->mb, l->vb, j->f, &zero, 1);
	rs_adam_rows(o, j->t, o->lr * o->weight_decay, l->w, l->gw, l->mw, l->vw, j->f, j->rows,
	             j->n_rows);
	if (j->c) /* the item bias scalars, their own L2 */
		rs_adam_rows(o, j->t, o->lr * j->bias_l2, j->c, j->cg, j->cm, j->cv, 1, j->rows,
		             j->n_rows);
}

static rs_status run_epochs(tt_job *j, const rs_config *cfg, rs_error *err)
{
	rs_train_ctx *ctx = j->ctx;
	rs_adam opt = rs_adam_defaults((float)cfg->tt_lr);
	opt.weight_decay = (float)cfg->tt_l2;
	rs_dense_layer *layers[5];
	int nl;
	all_layers(j, layers, &nl);
	uint64_t order = cfg->seed * 0xD1B54A32D192ED03ULL + 99;
	rs_report_count(ctx->rep, "epoch", cfg->tt_epochs);
	for (int e = 0; e < cfg->tt_epochs; e++) {
		rs_step(ctx, e + 1);
		shuffle(j->pairs, j->n_pairs, &order);
		for (int64_t p0 = 0, b = 0; p0 < j->n_pairs; p0 += j->B, b++) {
			if (rs_cancelled(ctx))
				return rs_fail(err, RS_ECANCELLED, "training cancelled");
			int32_t n = (int32_t)(j->n_pairs - p0 < j->B ? j->n_pairs - p0 : j->B);
			double loss = 0;
			if (n < 2) /* one pair has no in-batch negative */
				continue;
			rs_status st = tt_batch_grad(j, p0, n, batch_seed(cfg->seed, e, b), &loss, err);
			if (st == RS_OK && nl > 1)
				st = rs_adam_step(ctx, &opt, layers + 1, nl - 1, err);
			if (st == RS_OK)
				emb_step(j, &opt);
			if (st != RS_OK)
				return st;
		}
	}
	return RS_OK;
}

/* The user tower as served: E's bias (which every training bag carried)
 * folded into the biases, since a served bag is the features' sum alone:
 * b1 + bE W1 and b2 + bE. */
static float *served_user_tower(const tt_job *j)
{
	int f = j->f, h = j->h;
	float *net = rs_malloc(rs_mul((size_t)rs_tt_net_len(f, h), sizeof *net));
	if (!net)
		return NULL;
	rs_tt_tower t = rs_tt_tower_at(net, f, h);
	const float *be = j->emb.b;
	if (h > 0) {
		memcpy(t.w1, j->u.l1.w, (size_t)f * h * sizeof *net);
		memcpy(t.w2, j->u.l2.w, (size_t)h * f * sizeof *net);
		for (int k = 0; k < h; k++) {
			double s = j->u.l1.b[k];
			for (int d = 0; d < f; d++)
				s += (double)be[d] * j->u.l1.w[(size_t)d * h + k];
			t.b1[k] = (float)s;
		}
	}
	for (int d = 0; d < f; d++)
		t.b2[d] = be[d] + (h > 0 ? j->u.l2.b[d] : 0.0f);
	return net;
}

/* Item vectors [o_i / temperature, b_i]: the item tower over every item's
 * features (no dropout, identities kept), and the item's bias (0 when
 * off), which the user vectors' last column (1) adds to the score. */
static rs_status item_vectors(tt_job *j, const rs_csr *itf, float *out, rs_error *err)
{
	size_t f = (size_t)j->f, fs = f + 1;
	for (int32_t i0 = 0; i0 < itf->nrows; i0 += j->B) {
		int32_t n = itf->nrows - i0 < j->B ? itf->nrows - i0 : j->B;
		j->i.bag = (rs_dense_sparse){n, itf->indptr + i0, itf->indices, itf->data};
		rs_status st = side_forward(j, &j->i, n, 0, 0, err);
		if (st != RS_OK)
			return st;
		for (int32_t r = 0; r < n; r++) {
			float *v = out + (size_t)(i0 + r) * fs;
			double b = 0;
			for (size_t k = 0; k < f; k++)
				v[k] = j->i.o[(size_t)r * f + k] / j->temp;
			for (int64_t q = itf->indptr[i0 + r]; j->c && q < itf->indptr[i0 + r + 1]; q++)
				b += (double)itf->data[q] * j->c[itf->indices[q]];
			v[f] = (float)b;
		}
	}
	return RS_OK;
}

/* User vectors: the served user tower (rs_tt_fold) over each user's
 * features and whole history, as a fresh user's would be. */
static rs_status user_vectors(rs_train_ctx *ctx, const rs_model *m, const float *hw, float *out,
                              rs_error *err)
{
	const rs_csr *s = &m->seen;
	for (int32_t u = 0; u < s->nrows; u++) {
		if (u % 16384 == 16383 && rs_cancelled(ctx))
			return rs_fail(err, RS_ECANCELLED, "training cancelled");
		int64_t b = s->indptr[u];
		rs_status st = rs_tt_fold(m, u, s->indices + b, hw + b, (int)(s->indptr[u + 1] - b),
		                          out + (size_t)u * m->factors, err);
		if (st != RS_OK)
			return st;
	}
	return RS_OK;
}

/* Move the served parts into m: E with each feature's bias scalar as a
 * last column, the features, the user tower; then the user and item
 * vectors (dim + 1 columns: the bias column). */
static rs_status finish_model(tt_job *j, rs_lfm_feats *ft, rs_model *m, rs_error *err)
{
	size_t f = (size_t)j->f + 1, nf = ft->names.n;
	float *ff = rs_malloc(rs_mul(rs_mul(nf, f), sizeof *ff));
	float *net = served_user_tower(j);
	float *uf = rs_malloc(rs_mul(rs_mul(m->users.n, f), sizeof *uf));
	float *itf = rs_malloc(rs_mul(rs_mul(m->items.n, f), sizeof *itf));
	if (!ff || !net || !uf || !itf) {
		free(ff); free(net); free(uf); free(itf);
		return rs_fail(err, RS_ENOMEM, "out of memory storing %zu x %zu vectors",
		               m->users.n + m->items.n, f);
	}
	for (size_t r = 0; r < nf; r++) {
		memcpy(ff + r * f, j->emb.w + r * (f - 1), (f - 1) * sizeof *ff);
		ff[r * f + f - 1] = j->c ? j->c[r] : 0.0f;
	}
	rs_status st = item_vectors(j, &ft->items, itf, err);
	m->factors = j->f + 1;
	m->feat_f = ff;
	m->tt_net = net;
	m->tt_hidden = j->h;
	m->tt_history = j->hist;
	m->feats = ft->names;
	m->item_feats = ft->items;
	m->user_feats = ft->users;
	memset(ft, 0, sizeof *ft);
	m->user_f = uf;
	m->item_f = itf;
	if (st == RS_OK)
		st = user_vectors(j->ctx, m, j->hw, uf, err);
	return st; /* on failure the caller destroys m, parts and all */
}

static rs_status tt_fit(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	size_t items0 = m->items.n, users0 = m->users.n;
	rs_lfm_feats ft;
	rs_status st = rs_recency_check(cfg, &m->seen, err);
	if (st != RS_OK)
		return st;
	float *rw = NULL; /* the history's weights with "recency" (recency.c) */
	if (cfg->recency > 0 && !(rw = rs_recency_weights(&m->seen, cfg->recency)))
		return rs_fail(err, RS_ENOMEM, "out of memory weighting the history by recency");
	m->recency = cfg->recency; /* explain and fresh users weight histories alike */
	if ((st = rs_lfm_features(cfg, ctx->side, m, &ft, err)) != RS_OK) {
		free(rw);
		return st;
	}
	ctx->new_items = (int64_t)ft.added[RS_SIDE_ITEMS];
	ctx->new_users = (int64_t)ft.added[RS_SIDE_USERS];
	ctx->n_feats = (int64_t)(ft.names.n - items0 - users0); /* all but identities */
	int64_t nnz = rs_csr_nnz(&m->seen);
	tt_job j = {.ctx = ctx, .f = cfg->tt_dim, .h = cfg->tt_hidden,
	            .B = (int)(nnz < cfg->tt_batch ? (nnz > 2 ? nnz : 2) : cfg->tt_batch),
	            .temp = (float)cfg->tt_temp, .hist = (float)cfg->tt_history,
	            .cold = (float)cfg->tt_cold, .drop = (float)cfg->tt_dropout, .seen = &m->seen,
	            .hw = rw ? rw : m->seen.data,
	            .ft = &ft, .n_item_id = (int32_t)items0, .n_user_id = (int32_t)users0,
	            .bias_l2 = (float)cfg->tt_bias_l2, .hard = (float)cfg->tt_hard};
	j.M = j.B / 4; /* validation, ML-100K: B/4 .1346, 0 .1312, B/2 .1337, B .1324 */
	int prev = rs_dense_blas_begin();
	st = job_alloc(&j, cfg, err);
	if (st == RS_OK)
		st = run_epochs(&j, cfg, err);
	if (st == RS_OK)
		st = finish_model(&j, &ft, m, err);
	rs_dense_blas_end(prev);
	job_free(&j);
	rs_lfm_feats_free(&ft);
	free(rw);
	return st;
}

/* Summary parameters as resolved for this training. */
static void tt_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	rs_text_printf(t, "\"dim\": %d, \"hidden\": %d, \"epochs\": %d, \"batch\": %d, "
	               "\"learning_rate\": %g, \"temperature\": %g, \"l2\": %g, \"dropout\": %g, "
	               "\"history\": %g, \"cold_dropout\": %g, \"identity_weight\": %g, "
	               "\"recency\": %g, \"seed\": %llu, \"attribute_features\": %lld, "
	               "\"item_bias\": %s, \"bias_l2\": %g, \"hard_negative\": %g, "
	               "\"new_items\": %lld, \"new_users\": %lld",
	               c->tt_dim, c->tt_hidden, c->tt_epochs, c->tt_batch, c->tt_lr, c->tt_temp,
	               c->tt_l2, c->tt_dropout, c->tt_history, c->tt_cold, c->lfm_identity,
	               c->recency, (unsigned long long)c->seed, (long long)ctx->n_feats,
	               c->tt_bias ? "true" : "false", c->tt_bias_l2, c->tt_hard, (long long)ctx->new_items,
	               (long long)ctx->new_users);
}

/* Defaults chosen on the validation split of MovieLens 100K temporal-20
 * with u.user and u.item features (bench/TUNING.md, "two_tower"). */
static const rs_opt_spec TT_OPTIONS[] = {
	{"dim", RS_T_INT, offsetof(rs_config, tt_dim), 32, 2, 1023, NULL},
	{"hidden", RS_T_INT, offsetof(rs_config, tt_hidden), 32, 0, 4096, NULL},
	{"epochs", RS_T_INT, offsetof(rs_config, tt_epochs), 8, 1, 10000, NULL},
	{"batch", RS_T_INT, offsetof(rs_config, tt_batch), 256, 2, 8192, NULL},
	{"learning_rate", RS_T_NUM, offsetof(rs_config, tt_lr), 0.01, 1e-6, 1, NULL},
	{"temperature", RS_T_NUM, offsetof(rs_config, tt_temp), 0.2, 0.001, 100, NULL},
	{"l2", RS_T_NUM, offsetof(rs_config, tt_l2), 0, 0, 10, NULL},
	{"dropout", RS_T_NUM, offsetof(rs_config, tt_dropout), 0, 0, 0.95, NULL},
	{"history", RS_T_NUM, offsetof(rs_config, tt_history), 0.9, 0, 1, NULL},
	{"cold_dropout", RS_T_NUM, offsetof(rs_config, tt_cold), 0.1, 0, 1, NULL},
	{"identity_weight", RS_T_NUM, offsetof(rs_config, lfm_identity), 0.9, 0, 1, NULL},
	{"recency", RS_T_NUM, offsetof(rs_config, recency), 0, 0, 1e9, NULL},
	{"item_bias", RS_T_BOOL, offsetof(rs_config, tt_bias), 1, 0, 1, NULL},
	{"bias_l2", RS_T_NUM, offsetof(rs_config, tt_bias_l2), 0.01, 0, 10, NULL},
	{"hard_negative", RS_T_NUM, offsetof(rs_config, tt_hard), 0.1, 0, 10, NULL},
	RS_INDEX_OPTIONS,
};

const rs_algo_def rs_def_two_tower = {
	.id = RS_ALGO_TWO_TOWER,
	.name = "two_tower",
	.fit = tt_fit,
	.params = tt_params,
	.options = TT_OPTIONS,
	.n_options = sizeof TT_OPTIONS / sizeof TT_OPTIONS[0],
	.split = RS_SPLIT_ABLATE,
	.fold = rs_tt_fold,
	.explain = rs_tt_contributions,
	.bias_column = 1, /* [o_u, 1] . [o_i / T, b_i]: similar_items leaves it out */
};

/* For the unit tests: the first minibatch's loss gradient against central
 * differences (in double steps of eps on float parameters) for `probes`
 * parameters drawn over E and both towers' layers, and probes / 4 + 1 item
 * bias scalars; *worst is the largest
 * |numeric - analytic| / (|numeric| + |analytic| + 1e-3). m: a trained
 * model (its seen matrix and ids; side tables none). */
rs_status rs_tt_grad_check(const rs_config *cfg, rs_model *m, int probes, double eps,
                           double *worst, rs_error *err)
{
	rs_train_ctx ctx = {.cfg = cfg};
	rs_lfm_feats ft;
	size_t items0 = m->items.n, users0 = m->users.n;
	*worst = 0;
	rs_status st = rs_lfm_features(cfg, NULL, m, &ft, err);
	if (st != RS_OK)
		return st;
	int64_t nnz = rs_csr_nnz(&m->seen);
	tt_job j = {.ctx = &ctx, .f = cfg->tt_dim, .h = cfg->tt_hidden,
	            .B = (int)(nnz < cfg->tt_batch ? nnz : cfg->tt_batch),
	            .temp = (float)cfg->tt_temp, .hist = (float)cfg->tt_history,
	            .cold = (float)cfg->tt_cold, .drop = (float)cfg->tt_dropout, .seen = &m->seen,
	            .hw = m->seen.data, .ft = &ft, .n_item_id = (int32_t)items0,
	            .n_user_id = (int32_t)users0, .bias_l2 = (float)cfg->tt_bias_l2,
	            .hard = (float)cfg->tt_hard};
	j.M = j.B / 4;
	int prev = rs_dense_blas_begin();
	st = job_alloc(&j, cfg, err);
	rs_dense_layer *layers[5];
	int nl;
	all_layers(&j, layers, &nl);
	double loss = 0, lp, lm;
	uint64_t seed = 12345, pick = cfg->seed;
	if (st == RS_OK)
		st = tt_batch_grad(&j, 0, j.B, seed, &loss, err);
	float *grad[5] = {0}, *cgrad = NULL;
	size_t nfe = j.ft->names.n;
	if (st == RS_OK && j.c && !(cgrad = rs_malloc(rs_mul(nfe + 1, sizeof *cgrad))))
		st = rs_fail(err, RS_ENOMEM, "out of memory");
	if (cgrad)
		memcpy(cgrad, j.cg, nfe * sizeof *cgrad);
	for (int l = 0; st == RS_OK && l < nl; l++) { /* the analytic gradients, kept */
		size_t n = (size_t)layers[l]->in * layers[l]->out;
		if (!(grad[l] = rs_malloc(rs_mul(n, sizeof(float)))))
			st = rs_fail(err, RS_ENOMEM, "out of memory");
		else
			memcpy(grad[l], layers[l]->gw, n * sizeof(float));
	}
	for (int p = 0; st == RS_OK && p < probes; p++) {
		int l = (int)(rs_rand_next(&pick) % (uint64_t)nl);
		size_t n = (size_t)layers[l]->in * layers[l]->out;
		size_t k = (size_t)(rs_rand_next(&pick) % n);
		if (l == 0) /* E: a row the batch uses (its first user's bag) */
			k = (size_t)j.u.idx[rs_rand_next(&pick) % (uint64_t)j.u.ptr[1]] * j.f +
			    (size_t)(rs_rand_next(&pick) % (uint64_t)j.f);
		float *w = &layers[l]->w[k], keep = *w, hi = keep + (float)eps, lo = keep - (float)eps;
		*w = hi;
		st = tt_batch_grad(&j, 0, j.B, seed, &lp, err);
		*w = lo;
		if (st == RS_OK)
			st = tt_batch_grad(&j, 0, j.B, seed, &lm, err);
		/* the loss is the batch's sum, the gradient that of its mean */
		double num = (lp - lm) / ((double)hi - (double)lo) / j.B, ana = grad[l][k];
		*w = keep;
		double rel = fabs(num - ana) / (fabs(num) + fabs(ana) + 1e-3);
		if (rel > *worst)
			*worst = rel;
	}
	/* the item bias scalars: features of the minibatch's item bags */
	for (int p = 0; st == RS_OK && cgrad && p < probes / 4 + 1; p++) {
		int32_t f = j.i.idx[rs_rand_next(&pick) % (uint64_t)j.i.ptr[j.i.bag.rows]];
		float *w = &j.c[f], keep = *w, hi = keep + (float)eps, lo = keep - (float)eps;
		*w = hi;
		st = tt_batch_grad(&j, 0, j.B, seed, &lp, err);
		*w = lo;
		if (st == RS_OK)
			st = tt_batch_grad(&j, 0, j.B, seed, &lm, err);
		double num = (lp - lm) / ((double)hi - (double)lo) / j.B, ana = cgrad[f];
		*w = keep;
		double rel = fabs(num - ana) / (fabs(num) + fabs(ana) + 1e-3);
		if (rel > *worst)
			*worst = rel;
	}
	free(cgrad);
	for (int l = 0; l < 5; l++)
		free(grad[l]);
	rs_dense_blas_end(prev);
	job_free(&j);
	rs_lfm_feats_free(&ft);
	return st;
}
