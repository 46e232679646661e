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

/* Each family's default (README "weighting"): chosen on validation splits
 * of five data sets (bench/RESULTS.md, "Datasets"). */
static int family_default(rs_algo algo)
{
	switch (algo) {
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
