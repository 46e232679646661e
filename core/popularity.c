/*
 * popularity.c - item popularity: distinct users per item, or summed weight,
 * optionally with exponential time decay (weight halves every
 * half_life_days before the newest interaction). Every model keeps these
 * scores: they serve popular_items() and the cold-start path.
 */
#include "internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

rs_status rs_popularity_fit(const rs_config *cfg, const rs_csr *ui, float *pop,
                            rs_error *err)
{
	int64_t nnz = rs_csr_nnz(ui);
	double decay = 0, tmax = -INFINITY;
	if (cfg->algo == RS_ALGO_POPULARITY && cfg->half_life_days > 0) {
		if (!ui->ts)
			return rs_fail(err, RS_EINVAL,
			               "option \"half_life_days\" needs a time column (\"%s\") in the source",
			               rs_config_column(cfg, RS_COL_TS));
		for (int64_t k = 0; k < nnz; k++)
			if (ui->ts[k] > tmax)
				tmax = ui->ts[k];
		decay = log(2.0) / (cfg->half_life_days * 86400.0);
	}
	int by_weight = cfg->algo == RS_ALGO_POPULARITY && cfg->pop_by == RS_POP_WEIGHT;
	double *sum = rs_calloc((size_t)ui->ncols, sizeof *sum); /* float sums drift */
	if (!sum)
		return rs_fail(err, RS_ENOMEM, "out of memory computing popularity");
	for (int64_t k = 0; k < nnz; k++) {
		double v = by_weight ? ui->data[k] : 1.0;
		if (decay > 0 && !isnan(ui->ts[k]))
			v *= exp(-decay * (tmax - ui->ts[k]));
		sum[ui->indices[k]] += v;
	}
	for (int32_t i = 0; i < ui->ncols; i++)
		pop[i] = (float)sum[i];
	free(sum);
	return RS_OK;
}

/* Summary parameters. */
static void pop_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	rs_text_printf(t, "\"by\": \"%s\", \"half_life_days\": %g",
	               c->pop_by == RS_POP_USERS ? "users" : "weight", c->half_life_days);
}

static const rs_opt_spec POP_OPTIONS[] = {
	{"by", RS_T_CHOICE, offsetof(rs_config, pop_by), RS_POP_USERS, 0, 0, "users|weight"},
	{"half_life_days", RS_T_NUM, offsetof(rs_config, half_life_days), 0, 0, 1e6, NULL},
};

/* Popularity needs no fit beyond the scores every model gets. */
const rs_algo_def rs_def_popularity = {
	.id = RS_ALGO_POPULARITY,
	.name = "popularity",
	.params = pop_params,
	.options = POP_OPTIONS,
	.n_options = sizeof POP_OPTIONS / sizeof POP_OPTIONS[0],
	.similar_reason = "popular now",
	.split = RS_SPLIT_NONE,
};
