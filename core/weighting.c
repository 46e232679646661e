/*
 * weighting.c - the "weighting" training option: what each (user, item)
 * pair's aggregated value (row weights times event weights, duplicates
 * summed) becomes before an algorithm sees it.
 *
 *   raw     the value as it is
 *   binary  1 for every pair (the pair happened; counts and event weights
 *           are dropped: keep them with log or raw)
 *   log     log2(1 + value): play counts and repeat purchases grow slowly,
 *           and a value of 1 stays 1, so 0/1 data trains as before
 *
 * The choice is stored in the model (blob section 48) so fresh users and
 * sessions fold in with the same transform (fold_in.c) as the training
 * rows had. Hybrids and auto keep the raw values: each component or
 * candidate applies its own.
 */
#include "internal.h"

#include <math.h>

static const char *const NAMES[RS_WEIGHT__COUNT] = {"raw", "binary", "log"};

const char *rs_weighting_name(int kind)
{
	return kind >= 0 && kind < RS_WEIGHT__COUNT ? NAMES[kind] : "?";
}

/* Each family's default (README "Weighting", bench/weighting_grid.sh):
 * chosen on the validation splits of lastfm (play counts), diginetica
 * (views and purchases) and yoochoose (repeat clicks); the MovieLens sets
 * hold 0/1 values, the same under all three. binary was best or within 5%
 * of the best on each for als, svd, itemknn and ease (log beat it on lastfm
 * ease by 5.6% but lost 8% on diginetica); bpr and warp hardly move (within
 * 3%), and log bounds what one pair weighs in their sampling. popularity
 * keeps raw so that its by = "weight" still counts weight; content scores
 * from the user's rows as itemknn does. */
static int family_default(rs_algo algo)
{
	switch (algo) {
	case RS_ALGO_ALS:
	case RS_ALGO_SVD:
	case RS_ALGO_ITEMKNN:
	case RS_ALGO_EASE:
	case RS_ALGO_CONTENT:
	case RS_ALGO_VAE:
		return RS_WEIGHT_BINARY;
	case RS_ALGO_BPR:
	case RS_ALGO_WARP:
	case RS_ALGO_TWO_TOWER: /* a history's weights in the user tower's input */
		return RS_WEIGHT_LOG;
	default:
		return RS_WEIGHT_RAW;
	}
}

int rs_weighting_resolve(const rs_config *cfg)
{
	return cfg->weighting >= 0 ? cfg->weighting : family_default(cfg->algo);
}

float rs_weighting_value(int kind, float v)
{
	switch (kind) {
	case RS_WEIGHT_BINARY:
		return 1.0f;
	case RS_WEIGHT_LOG:
		return (float)(log1p((double)v) / M_LN2);
	default:
		return v;
	}
}

void rs_weighting_apply(int kind, float *data, size_t n)
{
	if (kind == RS_WEIGHT_RAW)
		return;
	for (size_t k = 0; k < n; k++)
		data[k] = rs_weighting_value(kind, data[k]);
}
