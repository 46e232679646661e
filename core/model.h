/*
 * model.h - the trained model in memory.
 * Part of internal.h (not the public API); include internal.h.
 */
#ifndef RS_MODEL_H
#define RS_MODEL_H

#include "config.h"

/* ---- the model ---- */
struct rs_model {
	rs_algo algo;
	rs_idmap users, items;
	rs_csr seen;          /* user x item weights (and ts) of training */
	float *pop;           /* n_items popularity scores */
	int32_t *pop_order;   /* items by popularity, best first */
	int32_t factors;
	float *user_f;        /* n_users x factors */
	float *item_f;        /* n_items x factors */
	uint8_t *item_q;      /* derived (model.c make_qblocks, score.c): item factors as
	                       * int8 + 128 in blocks of RS_BLK items, per group of 4
	                       * factors; rs_qblock_bytes(m) per block, ceil(n / RS_BLK)
	                       * blocks: a quarter of float32's memory traffic */
	float *item_qscale;   /* derived: per factor, max |item_f[., d]| / 127 */
	int32_t item_ql1max;  /* derived: max over items of sum_d |int8 code| */
	float *item_maxabs;   /* per factor, max |item_f[., d]| (bounds the error) */
	float *item_gram;     /* ALS: Y^T Y (factors^2, upper triangle), derived at
	                       * load so session fold-in runs no BLAS per call */
	/* The approximate index (ivf.c), factor models trained with "index";
	 * ivf_nlist 0: none. Stored (blob sections 38-40): */
	int32_t ivf_nlist;    /* lists */
	float *ivf_cent;      /* ivf_nlist x factors unit centroids */
	uint32_t *ivf_off;    /* ivf_nlist + 1 offsets into ivf_items */
	int32_t *ivf_items;   /* n_items item indices, list by list */
	/* Derived (rs_ivf_prepare): */
	uint64_t *ivf_boff;   /* ivf_nlist + 1: first block of each list in ivf_q */
	uint8_t *ivf_q;       /* ivf_boff[ivf_nlist] blocks of rs_qblock_bytes(m):
	                       * the int8 codes of ivf_items, each list padded */
	uint64_t ivf_maxblocks; /* blocks of the longest list */
	float *ivf_norm;      /* 2 x ivf_nlist: per list, its longest and shortest
	                       * member's length (ranks lists for a query) */
	double trained_at;    /* unix seconds of training */
	/* Optional parts; each algorithm fills what it scores with. All are
	 * stored in the blob when present (model_io.c). */
	rs_csr sim;           /* item x item similarities, row i = neighbours of i */
	rs_csr sim_t;         /* derived: its transpose, row i = the items i keeps as
	                       * neighbours (reasons.c: one short row per result) */
	float *dense;         /* item x item dense weights (n_items^2), EASE */
	rs_idmap feats;       /* feature names ("category=books", "text:espresso") */
	rs_csr item_feats;    /* item x feature weights */
	rs_csr user_feats;    /* user x feature weights */
	float *feat_f;        /* feature embeddings, feats.n x factors */
	float *item_price;    /* per item, NAN = unknown (items table "price"), or NULL */
	int32_t *item_cat;    /* per item, index into cats or -1, or NULL */
	rs_idmap cats;        /* category names (items table "category") */
	int32_t n_parts;      /* hybrid components */
	rs_model **parts;
	float *part_w;        /* their blend weights */
	int32_t **part_item;  /* derived: per part, hybrid item -> part item or -1 */
	char **part_label;    /* derived: "hybrid:<algorithm>" per part */
	/* Re-ranking statistics (blob sections 27-28; NULL in older blobs). */
	uint32_t *user_rows;  /* per user, source rows kept at training */
	double *item_interval; /* per item, median repurchase interval (seconds);
	                       * NAN: never repurchased (durable) */
	double price_q[3];    /* derived (rs_rank_prepare): quartiles of users'
	                       * average item price, NAN without prices */
	/* What fold-in needs to match training (history.c; blob sections 30-32):
	 * ALS alpha and the lambda used (NAN: unknown, fold-in uses defaults),
	 * the event_weights map, and the source column of each role. */
	double fold_alpha, fold_lambda;
	rs_idmap events;      /* event names of event_weights (empty: none) */
	double *event_w;      /* their weights, events.n */
	rs_idmap columns;     /* RS_HIST_COLS names: user, item, weight, event, ts,
	                       * session (empty map: not recorded) */
	double recency;       /* ease/itemknn/content "recency" option, 0 = off */
	int32_t weighting;    /* rs_weighting applied to seen.data (blob section 48) */
	float *hist_w;        /* derived (recency.c): seen.data x recency factor, or NULL */
	/* Events and purchases (events.c; blob sections 45-47, all NULL in
	 * older blobs, which serve as before): */
	uint8_t *pair_ev;     /* per seen pair: strongest event, 255 none (event models) */
	double *pair_buy;     /* per seen pair: last purchase ts, NAN never, -INFINITY
	                       * bought at an unknown time (event models) */
	uint32_t *user_ev;    /* users x events.n: rows per event */
	double *user_buy;     /* users x 4: purchase rows, first and last purchase ts
	                       * (NAN: none or no time), total spend (NAN: no price) */
	int32_t purchase_ev;  /* index in events of the purchase event, -1 none */
	double *spend_sorted; /* derived (rs_spend_prepare): buyers' spend, ascending */
	int64_t n_spend;
	/* imported models (import.c; blob section 44): trailing bias columns of
	 * the vectors (0-2) and whether fresh users fold in by ALS's solve */
	int32_t imp_bias;
	int32_t imp_als;
	/* two_tower (two_tower.c; blob section 60): the user tower, which fresh
	 * users run over their features and recent items; feat_f holds the
	 * input embeddings, item_feats and user_feats the entities' inputs. */
	int32_t tt_hidden;    /* hidden units (0: no hidden layer) */
	float tt_history;     /* share of the history in a user's input */
	float *tt_net;        /* W1 (dim x hidden), b1, W2 (hidden x dim), b2; dim = factors - 1 */
	/* vae (vae.c; blob sections 49-50): the encoder fresh users and sessions
	 * run, W1 (items x hidden), b1, W_mu (hidden x latent), b_mu, then the
	 * decoder's hidden layer Wd (latent x dec_hidden), bd when it has one,
	 * back to back; user_f / item_f hold [mu or tanh(mu Wd + bd), 1] and
	 * [decoder column, bias] */
	int32_t vae_hidden, vae_latent, vae_dec_hidden; /* vae_dec_hidden 0: none */
	float *vae_enc;
	/* Mapped from a serving image (model_image.c): every array above is
	 * read-only shared memory. Every pointer field needs a line in
	 * model_image.c's table (or its hybrid part handling). */
	int32_t img_mapped;
	void *img_base;       /* the mapping, root model only (munmap at destroy) */
	size_t img_len;
};

/* Floats of a two_tower user tower of f outputs and h hidden units. */
static inline uint64_t rs_tt_net_len(int32_t f, int32_t h)
{
	return f > 0 && h >= 0 ? 2 * (uint64_t)f * (uint64_t)h + (uint64_t)h + (uint64_t)f : 0;
}

#define RS_BLK 16
/* Most factors a model may have (the loader's limit). */
#define RS_QMAX_FACTORS 1024

/* Bytes of one block of RS_BLK quantised items (score.c layout). */
static inline size_t rs_qblock_bytes(const rs_model *m)
{
	return (size_t)((m->factors + 3) / 4) * 4 * RS_BLK;
}

/* Roles of rs_model.columns: rs_column_role, then the session column. */
#define RS_HIST_COLS (RS_COL__COUNT + 1)

/* recency.c: the "recency" option. check: it needs ts at training; prepare:
 * derive hist_w from seen. rs_history_w: the weights item-based scorers use. */
rs_status rs_recency_check(const rs_config *cfg, const rs_csr *seen, rs_error *err);
rs_status rs_recency_prepare(rs_model *m, rs_error *err);
/* seen's data x 0.5^(rank / recency) per user (malloc'd, nnz floats), or NULL. */
float *rs_recency_weights(const rs_csr *seen, double recency);
static inline const float *rs_history_w(const rs_model *m)
{
	return m->hist_w ? m->hist_w : m->seen.data;
}

/* events.c: keep the builder's event statistics (rs_train), free them;
 * the time of pair p's last purchase (NAN never) and its reason verb. */
rs_status rs_model_keep_events(rs_model *m, rs_builder *b, rs_error *err);
void rs_events_free(rs_model *m);
double rs_pair_buy_ts(const rs_model *m, int64_t p);
enum { RS_VERB_NEUTRAL = 0, RS_VERB_BOUGHT = 1, RS_VERB_EVENT = 2 /* + event index */ };
uint8_t rs_pair_verb(const rs_model *m, int64_t p);
/* repurchase_cycle on an event model without a purchase event: RS_EINVAL. */
rs_status rs_events_check_repurchase(const rs_model *m, rs_error *err);
/* The reason for history item id whose verb is `verb`, into buf. */
void rs_reason_verb(const rs_model *m, uint8_t verb, const char *id, size_t id_len, char *buf,
                    size_t cap);
/* history.c: per merged history item (items sorted, n), the time of its
 * last purchase (NAN never) and its reason verb; both malloc'd. */
rs_status rs_history_verbs(const rs_history *h, const int32_t *items, int n, double **buy,
                           uint8_t **verb, rs_error *err);
/* history.c: what a fresh user's profile needs of their rows. */
typedef struct rs_history_facts {
	int32_t *items;     /* distinct items, sorted */
	int64_t n_items;
	uint32_t *counts;   /* rows per event of the model */
	double buy[4];      /* purchase rows, first and last purchase ts, spend */
	size_t rows;        /* rows kept */
	double last;        /* latest ts, NAN none */
} rs_history_facts;
rs_status rs_history_facts_make(const rs_history *h, rs_history_facts *f, rs_error *err);
void rs_history_facts_free(rs_history_facts *f);
/* profile.c: spend_sorted from user_buy. */
rs_status rs_spend_prepare(rs_model *m, rs_error *err);
const char *rs_config_purchase_event(const rs_config *c);

/* vae.c: floats in vae_enc for m's items, hidden and latent sizes. */
size_t rs_vae_enc_count(const rs_model *m);

/* Derived serving structures (popularity order, blocked factors). */
rs_status rs_model_prepare(rs_model *m, rs_error *err);
rs_model *rs_model_alloc(void);

#include "model_image.h"

#endif
