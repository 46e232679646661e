/*
 * vae.c - Mult-VAE, a variational autoencoder over each user's item set.
 *
 * Liang, Krishnan, Hoffman, Jebara, "Variational Autoencoders for
 * Collaborative Filtering" (WWW 2018). A user's row x (values after
 * "weighting") is L2-normalised, dropped out (training only), encoded
 *     h = tanh(x W1 + b1),  [mu, logvar] = h Wq + bq,
 * sampled z = mu + eps exp(logvar / 2) (training; the mean mu at serving),
 * and decoded to logits z Wd + bd over all items ("decoder_hidden" > 0:
 * through tanh(z Wd1 + bd1) first). The loss per user is the multinomial
 * log-likelihood -sum_i x_i log softmax(logits)_i plus
 * anneal x (|x| / mean |x|) x KL(N(mu, exp logvar) || N(0, I)): the KL
 * weight rises linearly from 0 to "beta" over "anneal_steps" minibatches
 * and scales with the user's item count (RecVAE's beta(x), Shenbin et al.
 * WSDM 2020). Adam on minibatches of "batch" users for "epochs" passes
 * (core/dense.c: seeded, the same bits for any thread count).
 *
 * Serving is a factor model: softmax is monotone, so a user's ranking is
 * that of the logits mu_u . Wd_i + bd_i: user_f holds [mu_u, 1] and item_f
 * [Wd column i, bd_i] (bias_column = 1; with a decoder hidden layer its
 * output replaces mu_u), and recommend, batch, the index,
 * similar items (cosine of the decoder's item vectors) and reasons run the
 * factor path. Fresh users and sessions run the stored encoder once on
 * their items (vae_fold); known users' mu is the same function of their
 * training row, so a user scores the same known or fresh.
 *
 * The item-sized layers (W1, Wd, their gradients and Adam moments, the
 * batch's logits) are estimated before anything is allocated and the
 * training refused (RS_ELIMIT) above "max_memory_mb".
 */
#include "internal.h"
#include "dense.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

size_t rs_vae_enc_count(const rs_model *m)
{
	size_t ni = m->items.n, h = (size_t)m->vae_hidden, l = (size_t)m->vae_latent,
	       d = (size_t)m->vae_dec_hidden;
	return ni * h + h + h * l + l + l * d + d;
}

/* Bytes training needs at its peak (dense.h's layer bytes, the batch's
 * buffers, the model's vectors and encoder copy). */
static double vae_bytes(const rs_config *c, const rs_csr *x)
{
	double ni = x->ncols, nu = x->nrows, h = c->vae_hidden, l = c->vae_latent,
	       d = c->vae_dec_hidden, o = d > 0 ? d : l; /* the decoder's last input */
	double b = c->vae_batch < nu ? c->vae_batch : nu;
	return rs_dense_layer_bytes(x->ncols, c->vae_hidden) +
	       rs_dense_layer_bytes(c->vae_hidden, 2 * c->vae_latent) +
	       (d > 0 ? rs_dense_layer_bytes(c->vae_latent, c->vae_dec_hidden) : 0) +
	       rs_dense_layer_bytes(d > 0 ? c->vae_dec_hidden : c->vae_latent, x->ncols) +
	       4.0 * b * (ni + 3 * h + 8 * l + 2 * d) + 16.0 * rs_csr_nnz(x) +
	       4.0 * (ni + nu) * (o + 1) + 4.0 * (ni * h + h * l + l * d);
}

typedef struct vae_net {
	rs_dense_layer enc, q;  /* items -> hidden (tanh), hidden -> 2 latent */
	rs_dense_layer dech;    /* latent -> decoder hidden (tanh), when nd > 0 */
	rs_dense_layer dec;     /* (decoder hidden or latent) -> items */
	int32_t ni, nh, nl, nd;
} vae_net;

/* One minibatch's inputs, targets and activations (b users at most). */
typedef struct vae_work {
	int64_t *xptr, *tptr;  /* b + 1 */
	int32_t *xidx, *tidx;  /* the batch's nnz at most */
	float *xval, *tval;
	float *h, *hq, *z, *eps, *logits, *dz, *dq, *dh; /* b x (hidden | 2 latent | latent | items) */
	float *d1, *dd1;       /* b x decoder hidden */
	double mean_items;     /* items per user of the training rows */
} vae_work;

/* Row r's KL weight relative to the batch's: its item count over the mean
 * (RecVAE's beta(x) = gamma |x|: a user with many items can afford a
 * posterior further from the prior; paid on validation, bench/TUNING.md). */
static inline float klw(const vae_work *w, int32_t r)
{
	return (float)((double)(w->tptr[r + 1] - w->tptr[r]) / w->mean_items);
}

static void work_free(vae_work *w)
{
	free(w->xptr); free(w->tptr); free(w->xidx); free(w->tidx); free(w->xval); free(w->tval);
	free(w->h); free(w->hq); free(w->z); free(w->eps); free(w->logits); free(w->dz);
	free(w->dq); free(w->dh); free(w->d1); free(w->dd1);
}

static int work_alloc(vae_work *w, size_t b, size_t nnz, const vae_net *n)
{
	size_t h = (size_t)n->nh, l = (size_t)n->nl, ni = (size_t)n->ni;
	w->xptr = rs_malloc(rs_mul(b + 1, 8));
	w->tptr = rs_malloc(rs_mul(b + 1, 8));
	w->xidx = rs_malloc(rs_mul(nnz + 1, 4));
	w->tidx = rs_malloc(rs_mul(nnz + 1, 4));
	w->xval = rs_malloc(rs_mul(nnz + 1, 4));
	w->tval = rs_malloc(rs_mul(nnz + 1, 4));
	w->h = rs_malloc(rs_mul(b * h, 4));
	w->dh = rs_malloc(rs_mul(b * h, 4));
	w->hq = rs_malloc(rs_mul(b * 2 * l, 4));
	w->dq = rs_malloc(rs_mul(b * 2 * l, 4));
	w->z = rs_malloc(rs_mul(b * l, 4));
	w->dz = rs_malloc(rs_mul(b * l, 4));
	w->eps = rs_malloc(rs_mul(b * l, 4));
	w->logits = rs_malloc(rs_mul(b, rs_mul(ni, 4)));
	w->d1 = rs_malloc(rs_mul(b * (size_t)n->nd + 1, 4));
	w->dd1 = rs_malloc(rs_mul(b * (size_t)n->nd + 1, 4));
	return w->d1 && w->dd1 && w->xptr && w->tptr && w->xidx && w->tidx && w->xval && w->tval && w->h && w->dh &&
	       w->hq && w->dq && w->z && w->dz && w->eps && w->logits;
}

/* n standard normals from s (Box-Muller, both of each pair). */
static void gauss(uint64_t *s, float *out, int32_t n)
{
	for (int32_t k = 0; k < n; k += 2) {
		double u1 = rs_rand_unit(s), u2 = rs_rand_unit(s);
		double r = sqrt(-2.0 * log(u1 > 1e-300 ? u1 : 1e-300)), a = 2.0 * M_PI * u2;
		out[k] = (float)(r * cos(a));
		if (k + 1 < n)
			out[k + 1] = (float)(r * sin(a));
	}
}

/* The batch's users us[0..b): targets (their rows), inputs (rows scaled to
 * unit norm, then each value dropped with probability p, else scaled by
 * 1 / (1 - p)) and reparameterisation noise; every user's random stream
 * comes from (seed, step, user) alone. */
static void fill_batch(const rs_csr *x, const int32_t *us, int32_t b, double p, uint64_t seed,
                       int64_t step, int32_t nl, vae_work *w)
{
	float keep = (float)(1.0 / (1.0 - p));
	w->xptr[0] = w->tptr[0] = 0;
	for (int32_t r = 0; r < b; r++) {
		int32_t u = us[r];
		uint64_t s = seed ^ ((uint64_t)step * 0x9E3779B97F4A7C15ULL) ^
		             ((uint64_t)(u + 1) * 0xD1B54A32D192ED03ULL);
		rs_rand_next(&s);
		double sq = 0;
		for (int64_t q = x->indptr[u]; q < x->indptr[u + 1]; q++)
			sq += (double)x->data[q] * x->data[q];
		float inv = sq > 0 ? (float)(1.0 / sqrt(sq)) : 0;
		int64_t xo = w->xptr[r], to = w->tptr[r];
		for (int64_t q = x->indptr[u]; q < x->indptr[u + 1]; q++) {
			w->tidx[to] = x->indices[q];
			w->tval[to++] = x->data[q];
			if (p > 0 && rs_rand_unit(&s) < p)
				continue;
			w->xidx[xo] = x->indices[q];
			w->xval[xo++] = x->data[q] * inv * (p > 0 ? keep : 1.0f);
		}
		w->xptr[r + 1] = xo;
		w->tptr[r + 1] = to;
		gauss(&s, w->eps + (size_t)r * nl, nl);
	}
}

/* One minibatch: forward, loss, backward, Adam. */
static rs_status train_batch(rs_train_ctx *ctx, vae_net *n, rs_adam *opt, vae_work *w,
                             int32_t b, float anneal, double *loss, rs_error *err)
{
	int32_t nh = n->nh, nl = n->nl;
	size_t bl = (size_t)b * nl;
	rs_dense_sparse xin = {.rows = b, .indptr = w->xptr, .indices = w->xidx, .values = w->xval};
	rs_dense_sparse tgt = {.rows = b, .indptr = w->tptr, .indices = w->tidx, .values = w->tval};
	rs_dense_layer *layers[4] = {&n->enc, &n->q, &n->dec, &n->dech};
	int nlayers = n->nd > 0 ? 4 : 3;
	for (int k = 0; k < nlayers; k++)
		rs_dense_zero_grad(layers[k]);
	rs_status st = rs_dense_sparse_forward(ctx, &n->enc, &xin, w->h, err);
	if (st != RS_OK)
		return st;
	rs_dense_act_forward(RS_ACT_TANH, w->h, (size_t)b * nh);
	if ((st = rs_dense_forward(ctx, &n->q, w->h, b, w->hq, err)) != RS_OK)
		return st;
	double kl = 0;
	for (int32_t r = 0; r < b; r++) {
		const float *mu = w->hq + (size_t)r * 2 * nl, *lv = mu + nl;
		for (int32_t k = 0; k < nl; k++) {
			float sd = expf(0.5f * lv[k]);
			w->z[(size_t)r * nl + k] = mu[k] + w->eps[(size_t)r * nl + k] * sd;
			kl += 0.5 * klw(w, r) * (-lv[k] + sd * sd + mu[k] * mu[k] - 1.0);
		}
	}
	const float *last = w->z; /* the decoder's last layer's input */
	if (n->nd > 0) {
		if ((st = rs_dense_forward(ctx, &n->dech, w->z, b, w->d1, err)) != RS_OK)
			return st;
		rs_dense_act_forward(RS_ACT_TANH, w->d1, (size_t)b * n->nd);
		last = w->d1;
	}
	double nll;
	float scale = 1.0f / (float)b;
	if ((st = rs_dense_forward_softmax_xent(ctx, &n->dec, last, b, &tgt, scale, w->logits, &nll,
	                                        err)) != RS_OK)
		return st;
	*loss = (nll + anneal * kl) / b;
	if (n->nd > 0) {
		if ((st = rs_dense_backward(ctx, &n->dec, w->d1, w->logits, b, w->dd1, err)) != RS_OK)
			return st;
		rs_dense_act_backward(RS_ACT_TANH, w->d1, w->dd1, (size_t)b * n->nd);
		st = rs_dense_backward(ctx, &n->dech, w->z, w->dd1, b, w->dz, err);
	} else {
		st = rs_dense_backward(ctx, &n->dec, w->z, w->logits, b, w->dz, err);
	}
	if (st != RS_OK)
		return st;
	/* through the sample and the KL term to [mu, logvar] */
	for (size_t rk = 0; rk < bl; rk++) {
		size_t r = rk / (size_t)nl, k = rk % (size_t)nl;
		const float *mu = w->hq + r * 2 * nl, *lv = mu + nl;
		float *dmu = w->dq + r * 2 * nl, *dlv = dmu + nl;
		float sd = expf(0.5f * lv[k]);
		float an = anneal * klw(w, (int32_t)r);
		dmu[k] = w->dz[rk] + an * scale * mu[k];
		dlv[k] = w->dz[rk] * w->eps[rk] * 0.5f * sd + an * scale * 0.5f * (sd * sd - 1.0f);
	}
	if ((st = rs_dense_backward(ctx, &n->q, w->h, w->dq, b, w->dh, err)) != RS_OK)
		return st;
	rs_dense_act_backward(RS_ACT_TANH, w->h, w->dh, (size_t)b * nh);
	if ((st = rs_dense_sparse_backward(ctx, &n->enc, &xin, w->dh, err)) != RS_OK)
		return st;
	return rs_adam_step(ctx, opt, layers, nlayers, err);
}

/* Pointers into m->vae_enc (rs_vae_enc_count's layout). */
typedef struct enc_parts {
	const float *w1, *b1, *wmu, *bmu, *wd, *bd;
} enc_parts;

static enc_parts parts_of(const rs_model *m)
{
	enc_parts p;
	size_t nh = (size_t)m->vae_hidden, nl = (size_t)m->vae_latent;
	p.w1 = m->vae_enc;
	p.b1 = p.w1 + m->items.n * nh;
	p.wmu = p.b1 + nh;
	p.bmu = p.wmu + nh * nl;
	p.wd = p.bmu + nl;
	p.bd = p.wd + nl * (size_t)m->vae_dec_hidden;
	return p;
}

/* From the encoder's first pre-activation h (hidden floats, followed by
 * room for latent more): the user vector x = [mu, 1], or with a decoder
 * hidden layer [tanh(mu Wd + bd), 1] (m->factors floats). */
static void finish(const rs_model *m, float *h, float *x)
{
	int32_t nh = m->vae_hidden, nl = m->vae_latent, nd = m->vae_dec_hidden;
	enc_parts p = parts_of(m);
	float *mu = nd > 0 ? h + nh : x;
	rs_dense_act_forward(RS_ACT_TANH, h, (size_t)nh);
	memcpy(mu, p.bmu, (size_t)nl * sizeof *mu);
	for (int32_t c = 0; c < nh; c++) {
		const float *row = p.wmu + (size_t)c * nl;
		for (int32_t k = 0; k < nl; k++)
			mu[k] += h[c] * row[k];
	}
	if (nd > 0) {
		memcpy(x, p.bd, (size_t)nd * sizeof *x);
		for (int32_t k = 0; k < nl; k++) {
			const float *row = p.wd + (size_t)k * nd;
			for (int32_t c = 0; c < nd; c++)
				x[c] += mu[k] * row[c];
		}
		rs_dense_act_forward(RS_ACT_TANH, x, (size_t)nd);
	}
	x[m->factors - 1] = 1; /* the bias dimension: item_f's last column is the decoder bias */
}

/* The user vector of a history (items, weights w or NULL = 1), from the
 * stored encoder; h: room for hidden + latent floats. */
static void encode(const rs_model *m, const int32_t *items, const float *w, int n, float *h,
                   float *x)
{
	int32_t nh = m->vae_hidden;
	enc_parts p = parts_of(m);
	double sq = 0;
	for (int r = 0; r < n; r++)
		sq += w ? (double)w[r] * w[r] : 1.0;
	float inv = sq > 0 ? (float)(1.0 / sqrt(sq)) : 0;
	memcpy(h, p.b1, (size_t)nh * sizeof *h);
	for (int r = 0; r < n; r++) {
		const float *row = p.w1 + (size_t)items[r] * nh;
		float v = (w ? w[r] : 1.0f) * inv;
		for (int32_t c = 0; c < nh; c++)
			h[c] += v * row[c];
	}
	finish(m, h, x);
}

/* Scratch floats encode needs. */
static size_t scratch(const rs_model *m)
{
	return (size_t)m->vae_hidden + (size_t)m->vae_latent;
}

static rs_status vae_fold(const rs_model *m, int32_t user, const int32_t *items, const float *w,
                          int n, float *x, rs_error *err)
{
	(void)user; /* a function of the item row alone */
	float *h = rs_malloc(rs_mul(scratch(m), sizeof *h));
	if (!h)
		return rs_fail(err, RS_ENOMEM, "out of memory encoding %d history items", n);
	encode(m, items, w, n, h, x);
	free(h);
	return RS_OK;
}

/* recsys_explain: c[r] = score(i | history) - score(i | history without
 * item r), the logit item i loses when the encoder does not see item r
 * (the rest renormalised as the encoder does). One pass over the history
 * for the weighted sum of W1 rows; each removal then subtracts one row and
 * runs the rest of the network for one user. */
static rs_status vae_explain(const rs_model *m, int32_t user, const int32_t *items,
                             const float *w, int n, int32_t i, double *c, rs_error *err)
{
	(void)user;
	int32_t nh = m->vae_hidden, f = m->factors;
	enc_parts p = parts_of(m);
	const float *yi = m->item_f + (size_t)i * f;
	double *sum = rs_calloc((size_t)nh, sizeof *sum);
	float *h = rs_malloc(rs_mul(scratch(m), sizeof *h)), *x = rs_malloc(rs_mul((size_t)f, 4));
	if (!sum || !h || !x) {
		free(sum); free(h); free(x);
		return rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	}
	double sq = 0;
	for (int r = 0; r < n; r++) {
		double wr = w ? w[r] : 1.0;
		sq += wr * wr;
		const float *row = p.w1 + (size_t)items[r] * nh;
		for (int32_t k = 0; k < nh; k++)
			sum[k] += wr * row[k];
	}
	double base = 0;
	for (int r = -1; r < n; r++) { /* r = -1: the whole history */
		double wr = r >= 0 ? (w ? w[r] : 1.0) : 0, rest = sq - wr * wr;
		double inv = rest > 1e-12 ? 1.0 / sqrt(rest) : 0;
		const float *row = r >= 0 ? p.w1 + (size_t)items[r] * nh : NULL;
		for (int32_t k = 0; k < nh; k++)
			h[k] = (float)(p.b1[k] + (sum[k] - (row ? wr * row[k] : 0)) * inv);
		finish(m, h, x);
		double s = 0;
		for (int32_t k = 0; k < f; k++)
			s += (double)x[k] * yi[k];
		if (r < 0)
			base = s;
		else
			c[r] = base - s;
	}
	free(sum); free(h); free(x);
	return RS_OK;
}

typedef struct users_job {
	rs_model *m;
	float *h; /* per thread: hidden floats */
} users_job;

/* Users [begin, end): user_f rows from their training rows. */
static void users_range(void *arg, int32_t begin, int32_t end, int tid)
{
	const users_job *j = arg;
	rs_model *m = j->m;
	size_t f = (size_t)m->factors;
	for (int32_t u = begin; u < end; u++) {
		int64_t p = m->seen.indptr[u];
		encode(m, m->seen.indices + p, m->seen.data + p, (int)(m->seen.indptr[u + 1] - p),
		       j->h + (size_t)tid * scratch(m), m->user_f + (size_t)u * f);
	}
}

/* The serving arrays from the trained network: the encoder copy, item_f
 * (decoder columns and bias), then user_f by the serving encoder. */
static rs_status keep_model(rs_train_ctx *ctx, const vae_net *n, rs_model *m, rs_error *err)
{
	size_t ni = (size_t)n->ni, nh = (size_t)n->nh, nl = (size_t)n->nl, nd = (size_t)n->nd;
	size_t o = nd > 0 ? nd : nl, f = o + 1; /* the decoder's last input, + bias */
	m->vae_hidden = n->nh;
	m->vae_latent = n->nl;
	m->vae_dec_hidden = n->nd;
	m->factors = (int32_t)f;
	m->vae_enc = rs_malloc(rs_mul(rs_vae_enc_count(m), sizeof(float)));
	m->item_f = rs_malloc(rs_mul(rs_mul(ni, f), sizeof(float)));
	m->user_f = rs_malloc(rs_mul(rs_mul(m->users.n, f), sizeof(float)));
	users_job j = {.m = m, .h = rs_malloc(rs_mul(rs_mul((size_t)ctx->cfg->threads, scratch(m)), 4))};
	rs_status st = RS_OK;
	if (!m->vae_enc || !m->item_f || !m->user_f || !j.h) {
		st = rs_fail(err, RS_ENOMEM, "out of memory for the vae model");
	} else {
		float *e = m->vae_enc;
		memcpy(e, n->enc.w, ni * nh * sizeof *e);
		memcpy(e + ni * nh, n->enc.b, nh * sizeof *e);
		float *wmu = e + ni * nh + nh;
		for (size_t c = 0; c < nh; c++) /* the mu half of Wq's columns */
			memcpy(wmu + c * nl, n->q.w + c * 2 * nl, nl * sizeof *e);
		memcpy(wmu + nh * nl, n->q.b, nl * sizeof *e);
		if (nd > 0) {
			memcpy(wmu + nh * nl + nl, n->dech.w, nl * nd * sizeof *e);
			memcpy(wmu + nh * nl + nl + nl * nd, n->dech.b, nd * sizeof *e);
		}
		for (size_t i = 0; i < ni; i++) {
			for (size_t k = 0; k < o; k++)
				m->item_f[i * f + k] = n->dec.w[k * ni + i];
			m->item_f[i * f + o] = n->dec.b[i];
		}
		st = rs_parallel_for(ctx, (int32_t)m->users.n, 64, ctx->cfg->threads, users_range, &j, err);
	}
	free(j.h);
	return st;
}

static void shuffle(int32_t *a, int32_t n, uint64_t *s)
{
	for (int32_t k = n - 1; k > 0; k--) {
		int32_t r = (int32_t)(rs_rand_next(s) % (uint64_t)(k + 1)), t = a[k];
		a[k] = a[r];
		a[r] = t;
	}
}

/* "epochs" 0 (the default): about VAE_USER_PASSES user rows in all, but at
 * most VAE_LOGIT_PASSES logits (users x items per pass: the decoder's GEMMs
 * and softmax, most of an epoch's time), at least 10 and at most 200
 * passes: the small sets need many passes, the larger ones learn as much
 * from fewer, and a wide catalogue would blow the time (chosen on the
 * validation splits of ML-100K and ML-1M, bench/TUNING.md: ML-100K 193,
 * ML-1M 30, Last.fm 25). */
#define VAE_USER_PASSES 180000.0
#define VAE_LOGIT_PASSES 6.3e8
static int vae_epochs(const rs_config *c, int32_t users, int32_t items)
{
	if (c->vae_epochs > 0)
		return c->vae_epochs;
	double nu = users > 0 ? users : 1, e = ceil(VAE_USER_PASSES / nu);
	double cap = ceil(VAE_LOGIT_PASSES / (nu * (items > 0 ? items : 1)));
	e = e < cap ? e : cap;
	return e < 10 ? 10 : e > 200 ? 200 : (int)e;
}

static rs_status vae_train(rs_train_ctx *ctx, const rs_csr *x, vae_net *n, rs_error *err)
{
	const rs_config *c = ctx->cfg;
	int32_t nu = 0, b = c->vae_batch;
	int32_t *order = rs_malloc(rs_mul((size_t)x->nrows + 1, sizeof *order));
	if (!order)
		return rs_fail(err, RS_ENOMEM, "out of memory for %d users", (int)x->nrows);
	int64_t most = 0;
	for (int32_t u = 0; u < x->nrows; u++)
		if (x->indptr[u + 1] > x->indptr[u])
			order[nu++] = u;
	if (b > nu)
		b = nu > 0 ? nu : 1;
	/* the batch's nnz is at most the b longest rows' */
	int64_t *lens = rs_malloc(rs_mul((size_t)nu + 1, sizeof *lens));
	vae_work w = {0};
	rs_status st = RS_OK;
	if (!lens) {
		st = rs_fail(err, RS_ENOMEM, "out of memory for %d users", (int)nu);
	} else {
		for (int32_t k = 0; k < nu; k++)
			lens[k] = x->indptr[order[k] + 1] - x->indptr[order[k]];
		for (int32_t k = 0; k < nu; k++) /* sum of the b largest: partial selection */
			for (int32_t q = k + 1; k < b && q < nu; q++)
				if (lens[q] > lens[k]) {
					int64_t t = lens[k];
					lens[k] = lens[q];
					lens[q] = t;
				}
		for (int32_t k = 0; k < b && k < nu; k++)
			most += lens[k];
		if (!work_alloc(&w, (size_t)b, (size_t)most, n))
			st = rs_fail(err, RS_ENOMEM, "out of memory for a vae minibatch of %d users", (int)b);
	}
	free(lens);
	w.mean_items = nu > 0 ? (double)rs_csr_nnz(x) / nu : 1;
	uint64_t s = c->seed ^ 0x7661650000000000ULL; /* "vae" */
	rs_adam opt = rs_adam_defaults((float)c->vae_lr);
	opt.weight_decay = (float)c->vae_decay;
	int64_t step = 0;
	int epochs = ctx->epochs = vae_epochs(c, nu, x->ncols);
	int64_t anneal_steps = ctx->anneal_steps = c->vae_anneal >= 0
	                                               ? c->vae_anneal
	                                               : (int64_t)epochs * ((nu + b - 1) / b) / 5;
	rs_phase(ctx, "vae epochs", "epoch", epochs);
	for (int e = 0; st == RS_OK && e < epochs; e++) {
		rs_step(ctx, e + 1);
		shuffle(order, nu, &s);
		for (int32_t k = 0; st == RS_OK && k < nu; k += b) {
			int32_t nb = nu - k < b ? nu - k : b;
			if (rs_cancelled(ctx)) {
				st = rs_fail(err, RS_ECANCELLED, "training cancelled");
				break;
			}
			float anneal = anneal_steps > 0
			                   ? (float)fmin(c->vae_beta, (double)step / anneal_steps)
			                   : (float)c->vae_beta;
			double loss;
			fill_batch(x, order + k, nb, c->vae_dropout, c->seed, step, n->nl, &w);
			st = train_batch(ctx, n, &opt, &w, nb, anneal, &loss, err);
			step++;
		}
	}
	work_free(&w);
	free(order);
	return st;
}

static rs_status vae_fit(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	const rs_config *c = ctx->cfg;
	const rs_csr *x = &m->seen;
	double need = vae_bytes(c, x) / 1048576.0;
	if (need > c->max_memory_mb)
		return rs_fail(err, RS_ELIMIT,
		               "vae needs about %.0f MB for %d items (hidden %d, latent %d), over the "
		               "limit \"max_memory_mb\" = %g; raise the limit, or lower \"hidden\" or "
		               "\"latent\"",
		               need, (int)x->ncols, c->vae_hidden, c->vae_latent, c->max_memory_mb);
	vae_net n = {.ni = x->ncols, .nh = c->vae_hidden, .nl = c->vae_latent, .nd = c->vae_dec_hidden};
	rs_status st = rs_dense_layer_init(&n.enc, n.ni, n.nh, c->seed * 3 + 1, err);
	if (st == RS_OK)
		st = rs_dense_layer_init(&n.q, n.nh, 2 * n.nl, c->seed * 3 + 2, err);
	if (st == RS_OK)
		st = rs_dense_layer_init(&n.dec, n.nd > 0 ? n.nd : n.nl, n.ni, c->seed * 3 + 3, err);
	if (st == RS_OK && n.nd > 0)
		st = rs_dense_layer_init(&n.dech, n.nl, n.nd, c->seed * 3 + 4, err);
	int prev = rs_dense_blas_begin();
	if (st == RS_OK)
		st = vae_train(ctx, x, &n, err);
	if (st == RS_OK) {
		rs_phase(ctx, "vae users", NULL, 0);
		st = keep_model(ctx, &n, m, err);
	}
	rs_dense_blas_end(prev);
	rs_dense_layer_free(&n.enc);
	rs_dense_layer_free(&n.q);
	rs_dense_layer_free(&n.dec);
	rs_dense_layer_free(&n.dech);
	return st;
}

static void vae_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	rs_text_printf(t, "\"hidden\": %d, \"latent\": %d, \"decoder_hidden\": %d, \"epochs\": %d, "
	               "\"batch\": %d, \"learning_rate\": %g, \"dropout\": %g, \"beta\": %g, "
	               "\"anneal_steps\": %lld, \"weight_decay\": %g, \"max_memory_mb\": %g",
	               c->vae_hidden, c->vae_latent, c->vae_dec_hidden, ctx->epochs, c->vae_batch,
	               c->vae_lr, c->vae_dropout, c->vae_beta, (long long)ctx->anneal_steps,
	               c->vae_decay, c->max_memory_mb);
}

/* Defaults chosen on validation splits (bench/TUNING.md). */
static const rs_opt_spec VAE_OPTIONS[] = {
	{"hidden", RS_T_INT, offsetof(rs_config, vae_hidden), 256, 1, 65536, NULL},
	{"latent", RS_T_INT, offsetof(rs_config, vae_latent), 64, 1, 1023, NULL},
	{"decoder_hidden", RS_T_INT, offsetof(rs_config, vae_dec_hidden), 0, 0, 1023, NULL},
	{"epochs", RS_T_INT, offsetof(rs_config, vae_epochs), 0, 0, 100000, NULL},
	{"batch", RS_T_INT, offsetof(rs_config, vae_batch), 250, 1, 1000000, NULL},
	{"learning_rate", RS_T_NUM, offsetof(rs_config, vae_lr), 0.005, 1e-7, 1, NULL},
	{"dropout", RS_T_NUM, offsetof(rs_config, vae_dropout), 0.6, 0, 0.95, NULL},
	{"beta", RS_T_NUM, offsetof(rs_config, vae_beta), 0.5, 0, 10, NULL},
	{"weight_decay", RS_T_NUM, offsetof(rs_config, vae_decay), 0, 0, 1, NULL},
	{"anneal_steps", RS_T_INT, offsetof(rs_config, vae_anneal), -1, -1, 100000000, NULL},
	{"max_memory_mb", RS_T_NUM, offsetof(rs_config, max_memory_mb), 2048, 1, 1e9, NULL},
};

const rs_algo_def rs_def_vae = {
	.id = RS_ALGO_VAE,
	.name = "vae",
	.fit = vae_fit,
	.params = vae_params,
	.options = VAE_OPTIONS,
	.n_options = sizeof VAE_OPTIONS / sizeof VAE_OPTIONS[0],
	.reason = "fits the pattern of your items",
	.similar_reason = "close in taste space",
	.split = RS_SPLIT_DOT,
	.bias_column = 1,
	.fold = vae_fold,
	.explain = vae_explain,
};
