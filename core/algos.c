/*
 * algos.c - the algorithm registry: name, fit, score and summary parameters
 * of every algorithm, so config, training, serving and the blob loader all
 * dispatch through one table.
 */
#include "internal.h"

#include <string.h>

/* ALS summary parameters. */
static void als_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	rs_text_printf(t, "\"factors\": %d, \"iterations\": %d, \"regularization\": %g, "
	               "\"alpha\": %g, \"solver\": \"%s\", \"cg_steps\": %d, \"seed\": %llu",
	               c->factors, c->iterations, ctx->lambda, c->alpha,
	               c->solver == RS_SOLVER_CG ? "cg" : "cholesky", c->cg_steps,
	               (unsigned long long)c->seed);
}

/* ALS fit: factors from the seen matrix. */
static rs_status als_fit(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	m->factors = ctx->cfg->factors;
	return rs_als_fit(ctx, &m->seen, &m->users, &m->items, &m->user_f, &m->item_f, err);
}

/* Popularity summary parameters. */
static void pop_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	rs_text_printf(t, "\"by\": \"%s\", \"half_life_days\": %g",
	               c->pop_by == RS_POP_USERS ? "users" : "weight", c->half_life_days);
}

static const rs_algo_def ALGOS[] = {
	{RS_ALGO_ALS, "als", als_fit, NULL, als_params},
	{RS_ALGO_POPULARITY, "popularity", NULL, NULL, pop_params},
};

const rs_algo_def *rs_algo_find(rs_algo id)
{
	for (size_t i = 0; i < sizeof ALGOS / sizeof ALGOS[0]; i++)
		if (ALGOS[i].id == id)
			return &ALGOS[i];
	return NULL;
}

const rs_algo_def *rs_algo_named(const char *name)
{
	for (size_t i = 0; i < sizeof ALGOS / sizeof ALGOS[0]; i++)
		if (strcmp(ALGOS[i].name, name) == 0)
			return &ALGOS[i];
	return NULL;
}

const char *rs_algorithms(void)
{
	static const char *list = NULL;
	static char buf[256];
	if (!list) { /* built once; the table is constant, so racing writers agree */
		buf[0] = '\0';
		for (size_t i = 0; i < sizeof ALGOS / sizeof ALGOS[0]; i++) {
			if (i)
				strcat(buf, ", ");
			strcat(buf, ALGOS[i].name);
		}
		list = buf;
	}
	return list;
}
