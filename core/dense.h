/*
 * dense.h - a small trainer for dense networks (MLPs) over float
 * minibatches: affine layers as BLAS GEMMs, dense or sparse (CSR) input,
 * activations, dropout, log-softmax cross-entropy, row L2 normalisation and
 * Adam. No database and no model knowledge: vae.c and two_tower.c build
 * their networks from these pieces.
 *
 * Conventions: matrices are row-major floats, a minibatch is n rows.
 * Gradients accumulate (+=) until rs_dense_zero_grad. Functions that take a
 * training context split per-row work over ctx->cfg->threads with
 * rs_parallel_for so that every output element is computed by the same
 * operations in the same order whatever the split: the same seed gives the
 * same bits for any thread count. They return RS_ECANCELLED when the host
 * cancelled in the middle (the results are then partial: stop training).
 * GEMMs run as tiles of a fixed shape on those threads, each tile one
 * single-threaded cblas_sgemm (OpenBLAS's own threading does not give the
 * same bits for every thread count): wrap training in rs_dense_blas_begin /
 * rs_dense_blas_end, which set OpenBLAS to one thread and back.
 * Part of internal.h (not the public API); include internal.h.
 */
#ifndef RS_DENSE_H
#define RS_DENSE_H

#include "algo.h"

/* An affine layer y = x W + b: W is in x out, row-major. */
typedef struct rs_dense_layer {
	int32_t in, out;
	float *w, *b;     /* parameters */
	float *gw, *gb;   /* gradients (accumulated) */
	float *mw, *vw;   /* Adam moments of w */
	float *mb, *vb;   /* Adam moments of b */
} rs_dense_layer;

/* Bytes one in x out layer takes (parameters, gradients, moments): for
 * memory guards before anything is allocated. */
double rs_dense_layer_bytes(int32_t in, int32_t out);
/* Allocate and Glorot-uniform initialise W (bias 0) from seed. RS_ENOMEM. */
rs_status rs_dense_layer_init(rs_dense_layer *l, int32_t in, int32_t out, uint64_t seed,
                              rs_error *err);
void rs_dense_layer_free(rs_dense_layer *l);
void rs_dense_zero_grad(rs_dense_layer *l);

/* Sparse input rows (CSR): row r is the pairs (indices[p], values[p]),
 * p in [indptr[r], indptr[r + 1]); values NULL means all 1. */
typedef struct rs_dense_sparse {
	int32_t rows;
	const int64_t *indptr;
	const int32_t *indices;
	const float *values;
} rs_dense_sparse;

/* Dense input, x: n x in. y (n x out) = x W + b. */
rs_status rs_dense_forward(rs_train_ctx *ctx, const rs_dense_layer *l, const float *x, int32_t n,
                           float *y, rs_error *err);
/* gW += x^T dy, gb += column sums of dy; dx (n x in, or NULL) = dy W^T. */
rs_status rs_dense_backward(rs_train_ctx *ctx, rs_dense_layer *l, const float *x,
                            const float *dy, int32_t n, float *dx, rs_error *err);

/* Sparse input (an embedding bag): y_r = b + sum_p values[p] W[indices[p]]. */
rs_status rs_dense_sparse_forward(rs_train_ctx *ctx, const rs_dense_layer *l,
                                  const rs_dense_sparse *x, float *y, rs_error *err);
/* gW[indices[p]] += values[p] dy_r, gb += column sums of dy (no dx). */
rs_status rs_dense_sparse_backward(rs_train_ctx *ctx, rs_dense_layer *l,
                                   const rs_dense_sparse *x, const float *dy, rs_error *err);

/* Activations: forward in place over count values; backward turns the
 * gradient dy with respect to the output y into the gradient with respect
 * to the input, in place, from the output y. */
typedef enum rs_dense_act { RS_ACT_IDENTITY = 0, RS_ACT_TANH, RS_ACT_RELU } rs_dense_act;
void rs_dense_act_forward(rs_dense_act a, float *y, size_t count);
void rs_dense_act_backward(rs_dense_act a, const float *y, float *dy, size_t count);

/* Dropout: mask (rows x cols) gets 0 with probability p, else 1 / (1 - p)
 * (inverted scaling, so serving uses no mask). Row r's values come from
 * (seed, r) alone. Apply it with rs_dense_mul forward and backward. */
void rs_dense_dropout_mask(float *mask, int32_t rows, int32_t cols, float p, uint64_t seed);
/* x[k] *= m[k], k < count. */
void rs_dense_mul(float *x, const float *m, size_t count);

/* Row-wise log-softmax of z (n x k), in place. */
void rs_dense_log_softmax(float *z, int32_t n, int32_t k);
/* Softmax cross-entropy (the multinomial log-likelihood) of logits z
 * (n x k) against non-negative target weights t (sparse rows, t->rows = n):
 * *loss = -sum_r sum_p t_rp log softmax(z_r)[j_p] (a sum over the batch),
 * and z becomes the gradient scale * dloss/dz = scale * (softmax(z_r)
 * sum_p t_rp - t_r), in place. */
rs_status rs_dense_softmax_xent(rs_train_ctx *ctx, float *z, int32_t n, int32_t k,
                                const rs_dense_sparse *t, float scale, double *loss,
                                rs_error *err);

/* rs_dense_softmax_xent on the calling thread (the same bits), returning
 * the loss: for minibatches too small to pay for starting threads. */
double rs_dense_softmax_xent_serial(float *z, int32_t n, int32_t k, const rs_dense_sparse *t,
                                    float scale);

/* rs_dense_forward into z (n x l->out) and rs_dense_softmax_xent of z in
 * one parallel pass (the same bits as the two calls; the rows' logits are
 * still in cache for the softmax). */
rs_status rs_dense_forward_softmax_xent(rs_train_ctx *ctx, const rs_dense_layer *l,
                                        const float *x, int32_t n, const rs_dense_sparse *t,
                                        float scale, float *z, double *loss, rs_error *err);

/* Rows of x (n x k) scaled to unit L2 norm, in place; norms (n) keeps each
 * row's norm before (at least RS_DENSE_NORM_EPS) for the backward pass. */
#define RS_DENSE_NORM_EPS 1e-12f
void rs_dense_l2_forward(float *x, int32_t n, int32_t k, float *norms);
/* dy (gradient with respect to the normalised y) becomes the gradient with
 * respect to x, in place: (dy - y (y . dy)) / norm. */
void rs_dense_l2_backward(const float *y, const float *norms, float *dy, int32_t n, int32_t k);

/* Adam (Kingma & Ba) with optional decoupled weight decay (AdamW): w -= lr
 * (m_hat / (sqrt(v_hat) + eps) + weight_decay w); biases are not decayed. */
typedef struct rs_adam {
	float lr, beta1, beta2, eps, weight_decay;
	int64_t t; /* steps taken */
} rs_adam;

/* The usual defaults: betas 0.9 / 0.999, eps 1e-8, no decay. */
rs_adam rs_adam_defaults(float lr);
/* One step over the layers' accumulated gradients (not cleared). */
rs_status rs_adam_step(rs_train_ctx *ctx, rs_adam *opt, rs_dense_layer *const *layers, int n,
                       rs_error *err);

/* A "lazy" Adam step (step number t >= 1) on some rows of an f-column
 * parameter array w with gradient g and moments m, v: for embedding tables,
 * where a minibatch touches few rows and the others keep their moments.
 * decay = lr x weight decay (0: none). */
void rs_adam_rows(const rs_adam *opt, int64_t t, float decay, float *w, const float *g, float *m,
                  float *v, int32_t f, const int32_t *rows, int32_t n_rows);

/* OpenBLAS runs single-threaded until rs_dense_blas_end(the returned value). */
int rs_dense_blas_begin(void);
void rs_dense_blas_end(int previous);

#endif
