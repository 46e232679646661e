/*
 * two_tower.h - what two_tower.c (training), two_tower_serve.c (the user
 * tower at serving time) and the unit tests share. Not part of the public
 * API.
 *
 * A tower maps an input bag x (a weighted sum of feature embeddings, dim f)
 * to o = x + W2 relu(W1 x + b1) + b2 and serves o / |o|: the residual keeps
 * the linear (LightFM-like) model within reach, the hidden layer adds the
 * interactions of features. A user's bag is
 *     x_u = a sum_f w_uf E_f + b sum_j (w_uj / sum_j w_uj) E_item:j
 * over the user's features (identity and attributes, lightfm_features.c)
 * and history items j (their identity embeddings, shared with the item
 * tower's input): a = 1 - history, b = history when both are present,
 * else the one present gets 1.
 */
#ifndef RS_TWO_TOWER_H
#define RS_TWO_TOWER_H

#include "internal.h"

/* A tower's parameters inside one float array (rs_tt_net_len floats). */
typedef struct rs_tt_tower {
	int f, h;
	float *w1, *b1, *w2, *b2; /* f x h, h, h x f, f (dense.h's in x out) */
} rs_tt_tower;

static inline rs_tt_tower rs_tt_tower_at(float *p, int f, int h)
{
	rs_tt_tower t = {f, h, p, p + (size_t)h * f, p + (size_t)h * f + h, p + 2 * (size_t)h * f + h};
	return t;
}

/* o = x + W2 relu(W1 x + b1) + b2 for one row, normalized (hid: h floats
 * of scratch). Returns |o| before normalizing. */
float rs_tt_tower_row(const rs_tt_tower *t, const float *x, float *hid, float *out);

/* The feature index of item j's identity in m (its embedding feeds the
 * history bag), or -1 when j has none (items only the side table names). */
int32_t rs_tt_item_identity(const rs_model *m, int32_t j);

/* The bag of user `user` (-1: none; else its feature row joins) and the
 * history (items s, weights w or NULL: 1, n) into x (m->factors). 0 when
 * the bag is empty (no feature row and no history item with an identity). */
int rs_tt_user_bag(const rs_model *m, int32_t user, const int32_t *s, const float *w, int n,
                   float *x);

/* The served user vector of that input (the algorithm's fold hook);
 * popular-items behaviour is the caller's when the bag is empty: x is
 * all zero then. */
rs_status rs_tt_fold(const rs_model *m, int32_t user, const int32_t *s, const float *w, int n,
                     float *x, rs_error *err);

/* explain: c[r] = score(user, item i) with the whole history minus the
 * score without history item r (user -1: a fresh user's history alone). */
rs_status rs_tt_contributions(const rs_model *m, int32_t user, const int32_t *s, const float *w,
                              int n, int32_t i, double *c, rs_error *err);

/* two_tower.c's row scans (vectorized): the logits of one minibatch row,
 * z[c] + b[c] - lq[c], or -1e30 - lq[c] where item[c] is the row's own
 * (its other copies); and the first column of z[0..k) holding its largest
 * value (k >= 1), the hinge's hardest negative. */
void rs_tt_mask_row(float *z, const int32_t *item, const float *b, const float *lq, int32_t own,
                    int32_t k);
int32_t rs_tt_row_argmax(const float *z, int32_t k);

/* two_tower.c, for the unit tests: the first minibatch's analytic loss
 * gradient against central differences at `probes` parameters of E and the
 * towers and probes / 4 + 1 item bias scalars; *worst: the largest
 * relative disagreement. */
rs_status rs_tt_grad_check(const rs_config *cfg, rs_model *m, int probes, double eps,
                           double *worst, rs_error *err);

#endif
