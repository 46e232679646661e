/* model_format.h - constants of the model blob shared by writer and reader. */
#ifndef RS_MODEL_FORMAT_H
#define RS_MODEL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define MAGIC "RSYSMODL"
#define FORMAT 1
#define HEADER 24
#define SEC_HEADER 16
#define FLAG_OPTIONAL 1u

enum { T_META = 1, T_USERS, T_ITEMS, T_INDPTR, T_INDICES, T_DATA, T_TS, T_POP,
       T_USER_F, T_ITEM_F,
       T_SIM = 11,        /* + 0 indptr, + 1 indices, + 2 data */
       T_DENSE = 14,
       T_FEATS = 15,
       T_IFEAT = 16,      /* + 0 .. + 2 */
       T_UFEAT = 19,      /* + 0 .. + 2 */
       T_FEAT_F = 22,
       T_PARTS = 23,      /* u32 count, then per part: f32 weight, u64 length, blob */
       T_PRICE = 24,      /* f32 per item, NaN = unknown */
       T_CATS = 25,       /* u64 count, then category ids like T_FEATS */
       T_ITEM_CAT = 26,   /* i32 per item, -1 = none */
       T_USER_ROWS = 27,  /* u32 per user: source rows kept at training */
       T_INTERVAL = 28,   /* f64 per item: median repurchase interval (s), NaN = none */
       T_FOLD = 30,       /* f64 als alpha, f64 lambda (NaN: unknown), f64 per event of T_EVENTS */
       T_EVENTS = 31,     /* event_weights names, like T_FEATS */
       T_COLUMNS = 32,    /* source column per role: role byte + name + NUL, like T_FEATS */
       T_RECENCY = 36,    /* f64: the "recency" half-life of item-based scoring */
       T_ABI = 37,        /* u32 RS_BYTE_ORDER_MARK as written, u32 RS_FLOAT_IEEE754 */
       T_IVF_CENT = 38,   /* approximate index (ivf.c), optional sections:
                           * f32 lists x factors centroids */
       T_IVF_OFF = 39,    /* u32 lists + 1 offsets into T_IVF_ITEMS */
       T_IVF_ITEMS = 40,  /* i32 per item: item indices list by list */
       T_IMPORT = 44,     /* imported models: u32 bias columns (0-2), u32 als fold-in (0/1) */
       T_PAIR_EVENT = 45, /* u8 per seen pair: strongest event, 255 none (events.c) */
       T_PAIR_BUY = 46,   /* f64 per seen pair: last purchase ts, NaN never, -inf time unknown */
       T_USER_EVENTS = 47, /* u32 purchase event (UINT32_MAX none), u32 events, f64 users x 4
                           * (purchase rows, first, last purchase ts, spend), u32 users x events */
       T_WEIGHTING = 48,  /* u32 rs_weighting of seen's values; absent: raw */
       T_VAE = 49,        /* vae: u32 hidden, latent, decoder hidden (0: none) */
       T_VAE_ENC = 50,    /* vae: f32 encoder weights (rs_model.vae_enc) */
       T_TWO_TOWER = 60,  /* u32 hidden, f32 history share, f32 user tower (two_tower.c) */
       T__COUNT };

/* The machine a blob was written on: its byte order and float format. */
#define RS_BYTE_ORDER_MARK 0x01020304u
#define RS_FLOAT_IEEE754 1u

typedef struct blob_meta {
	uint32_t algo, factors;
	uint64_t nu, ni, nnz;
	double trained_at;
} blob_meta;

uint64_t rs_blob_checksum(const unsigned char *p, size_t n);

#endif
