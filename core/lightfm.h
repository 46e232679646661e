/*
 * lightfm.h - what lightfm.c (training of "bpr" and "warp") and
 * lightfm_features.c (features from side tables) share, and what the unit
 * tests call directly. Not part of the public API.
 */
#ifndef RS_LIGHTFM_H
#define RS_LIGHTFM_H

#include "internal.h"

/*
 * The features of every user and item, in one index: item features first
 * ([0, n_item)), then user features ([n_item, names.n)), so an item feature
 * and a user feature never share an embedding. Names: "item:<id>" and
 * "user:<id>" (identity), "item.<column>=<value>" (categorical),
 * "item.<column>:<token>" (text), "item.<column> in [lo, hi)" (number,
 * quantile bin); users likewise with "user.". Each row's weights sum to 1
 * (as LightFM's normalized feature matrices).
 */
typedef struct rs_lfm_feats {
	rs_idmap names;
	int32_t n_item;       /* item features come first */
	rs_csr items;         /* item x feature */
	rs_csr users;         /* user x feature */
	int has_side;         /* a side table contributed at least one feature */
	size_t added[2];      /* side-only entities appended to the model (items, users) */
} rs_lfm_feats;

/* Quantile bins per numeric column. */
#define RS_LFM_BINS 10

/* Build the features of m's users and items from the side tables (side may
 * be NULL: identities only). Entities that appear only in a side table are
 * appended to the model first (rs_model_add_entities). */
rs_status rs_lfm_features(const rs_config *cfg, const rs_attrs *side, rs_model *m,
                          rs_lfm_feats *out, rs_error *err);
void rs_lfm_feats_free(rs_lfm_feats *f);

/* 64-bit words per user in a positives bitmap of n items. */
static inline size_t rs_lfm_bit_words(int32_t n) { return ((size_t)n + 63) / 64; }

/* seen as a users x items bitmap (rows of rs_lfm_bit_words(ncols) words),
 * or NULL when it would take more than max_bytes (or memory is short). */
uint64_t *rs_lfm_positive_bits(const rs_csr *seen, size_t max_bytes);

/* A uniformly drawn item in [0, n_cand) that is not in user u's (sorted)
 * row of seen, or -1 when none turned up in a bounded number of draws.
 * bits: seen's bitmap (rs_lfm_positive_bits) or NULL to search the row. */
int32_t rs_lfm_sample_negative(const rs_csr *seen, const uint64_t *bits, int32_t u, int32_t n_cand,
                               uint64_t *rng);

/* One Adagrad step on a row of f floats, lightfm.c's kernel: eight at a
 * time when wide is set and the CPU has AVX2 and FMA, else four (SSE) and
 * scalar. Exposed so a test can hold the two paths to the same result. */
void rs_lfm_ada_step(float *x, float *g2, const float *dir, float scale, float lr, int f,
                     int wide);

#endif
