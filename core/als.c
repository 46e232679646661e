/*
 * als.c - implicit-feedback alternating least squares.
 *
 * Hu, Koren, Volinsky, "Collaborative Filtering for Implicit Feedback
 * Datasets" (ICDM 2008): minimise
 *     sum_{u,i} c_ui (p_ui - x_u . y_i)^2 + lambda (|x_u|^2 + |y_i|^2)
 * with p_ui = 1 where the user interacted, c_ui = 1 + alpha * w_ui.
 * Each half-step solves, per row u, (Y^T Y + lambda I + Y^T (C_u - I) Y) x_u
 * = Y^T C_u p_u. Y^T Y is computed once per half-step, so a row costs
 * O(n_u f) per conjugate-gradient step (Takacs, Pilaszy, Tikk, RecSys 2011:
 * a few warm-started CG steps per sweep suffice), or O(n_u f^2 + f^3) with the
 * exact Cholesky solver.
 */
#include "internal.h"

#include <cblas.h>
#include <stddef.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct als_job {
	const rs_csr *c;     /* rows to solve: their interactions with y's rows */
	const float *y;      /* fixed factors, ny x f */
	float *x;            /* factors being solved, c->nrows x f */
	const float *gram;   /* Y^T Y + lambda I, f x f */
	int f, cg_steps;
	float alpha;
	rs_solver solver;
	float *scratch;      /* per thread: 4 f floats (CG) or f*f + f doubles */
	size_t scratch_per;
	atomic_int notpd;
} als_job;

/* Conjugate gradient on one row, warm-started from its current x. */
static void cg_row(const als_job *j, int32_t u, float *s)
{
	int f = j->f;
	float *x = j->x + (size_t)u * f, *r = s, *p = s + f, *ap = s + 2 * f;
	int64_t b = j->c->indptr[u], n = j->c->indptr[u + 1] - b;
	const int32_t *idx = j->c->indices + b;
	const float *w = j->c->data + b;
	if (n == 0) {
		memset(x, 0, (size_t)f * sizeof *x);
		return;
	}
	rs_als_apply(j->gram, j->y, idx, w, n, j->alpha, 1, x, r, f); /* r = b - A x */
	memcpy(p, r, (size_t)f * sizeof *p);
	float rsold = rs_dot(r, r, f);
	for (int it = 0; it < j->cg_steps && rsold > 1e-20f; it++) {
		rs_als_apply(j->gram, j->y, idx, w, n, j->alpha, 0, p, ap, f); /* ap = A p */
		float pap = rs_dot(p, ap, f);
		if (!(pap > 0))
			break;
		float step = rsold / pap;
		for (int a = 0; a < f; a++) {
			x[a] += step * p[a];
			r[a] -= step * ap[a];
		}
		float rsnew = rs_dot(r, r, f);
		for (int a = 0; a < f; a++)
			p[a] = r[a] + (rsnew / rsold) * p[a];
		rsold = rsnew;
	}
}

/* Exact solve of one row's normal equations by Cholesky (LAPACK dposv). */
static int cholesky_row(const als_job *j, int32_t u, double *s)
{
	int f = j->f;
	double *A = s, *rhs = s + (size_t)f * f;
	float *x = j->x + (size_t)u * f;
	int64_t b = j->c->indptr[u], e = j->c->indptr[u + 1];
	if (b == e) {
		memset(x, 0, (size_t)f * sizeof *x);
		return 1;
	}
	for (int k = 0; k < f * f; k++)
		A[k] = j->gram[k];
	memset(rhs, 0, (size_t)f * sizeof *rhs);
	for (int64_t k = b; k < e; k++) {
		const float *yi = j->y + (size_t)j->c->indices[k] * f;
		double cm1 = (double)j->alpha * j->c->data[k];
		for (int a = 0; a < f; a++) {
			double t = cm1 * yi[a];
			for (int bb = a; bb < f; bb++)
				A[(size_t)a * f + bb] += t * yi[bb];
			rhs[a] += (1.0 + cm1) * yi[a];
		}
	}
	if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', f, 1, A, f, rhs, 1) != 0)
		return 0;
	for (int a = 0; a < f; a++)
		x[a] = (float)rhs[a];
	return 1;
}

/* Solve rows [begin, end) with the thread's scratch. */
static void solve_range(void *arg, int32_t begin, int32_t end, int tid)
{
	als_job *j = arg;
	void *s = (char *)j->scratch + (size_t)tid * j->scratch_per;
	for (int32_t u = begin; u < end; u++) {
		if (j->solver == RS_SOLVER_CG)
			cg_row(j, u, s);
		else if (!cholesky_row(j, u, s))
			atomic_store(&j->notpd, 1);
	}
}

rs_status rs_gram(rs_train_ctx *ctx, const float *y, int32_t ny, int f, float *g, rs_error *err)
{
	double per = (double)f * f;
	int32_t rows = per * ny <= RS_GRAM_FLOPS ? ny : (int32_t)(RS_GRAM_FLOPS / per) / 1024 * 1024;
	if (rows < 1024)
		rows = 1024;
	memset(g, 0, (size_t)f * f * sizeof *g);
	for (int32_t r = 0; r < ny; r += rows) {
		int32_t k = ny - r < rows ? ny - r : rows;
		cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, f, k, 1.0f, y + (size_t)r * f, f,
		            r ? 1.0f : 0.0f, g, f);
		if (ctx && rs_cancelled(ctx))
			return rs_fail(err, RS_ECANCELLED, "training cancelled");
	}
	return RS_OK;
}

/* G = Y^T Y + lambda I (full symmetric), via BLAS syrk. */
static rs_status compute_gram(rs_train_ctx *ctx, const float *y, int32_t ny, int f, double lambda,
                              float *g, rs_error *err)
{
	rs_status st = rs_gram(ctx, y, ny, f, g, err);
	for (int a = 0; a < f; a++) {
		for (int b = 0; b < a; b++)
			g[(size_t)a * f + b] = g[(size_t)b * f + a];
		g[(size_t)a * f + a] += (float)lambda;
	}
	return st;
}

/* Rows per unit of work: 32, fewer when a row's solve is expensive (the
 * Cholesky solver at many factors: f^3 / 3 + n_u f^2 per row), so that the
 * calling thread polls the cancel callback every few tens of ms. */
static int32_t solve_chunk(const rs_config *cfg, const rs_csr *c, int f)
{
	double per_row_nnz = c->nrows ? (double)rs_csr_nnz(c) / c->nrows : 0;
	double cost = cfg->solver == RS_SOLVER_CG
		? cfg->cg_steps * (2.0 * f * f + 4.0 * per_row_nnz * f)
		: (double)f * f * f / 3 + per_row_nnz * f * f;
	double rows = 5e8 / (cost > 1 ? cost : 1);
	return rows >= 32 ? 32 : rows < 1 ? 1 : (int32_t)rows;
}

rs_status rs_als_solve(rs_train_ctx *ctx, const rs_csr *c, const float *y,
                       int32_t ny, float *x, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	int f = cfg->factors, threads = cfg->threads;
	als_job j = {.c = c, .y = y, .x = x, .f = f, .cg_steps = cfg->cg_steps,
	             .alpha = (float)cfg->alpha, .solver = cfg->solver};
	atomic_init(&j.notpd, 0);
	j.scratch_per = cfg->solver == RS_SOLVER_CG ? 4 * (size_t)f * sizeof(float)
	                                            : ((size_t)f * f + f) * sizeof(double);
	float *gram = rs_malloc(rs_mul((size_t)f * f, sizeof *gram));
	j.scratch = rs_malloc(rs_mul(j.scratch_per, (size_t)threads));
	if (!gram || !j.scratch) {
		free(gram);
		free(j.scratch);
		return rs_fail(err, RS_ENOMEM, "out of memory in the ALS solver");
	}
	rs_status st = compute_gram(ctx, y, ny, f, ctx->lambda, gram, err);
	j.gram = gram;
	if (st == RS_OK)
		st = rs_parallel_for(ctx, c->nrows, solve_chunk(cfg, c, f), threads, solve_range, &j, err);
	free(gram);
	free(j.scratch);
	if (st == RS_OK && atomic_load(&j.notpd))
		st = rs_fail(err, RS_ENOTPD,
		             "the ALS normal equations are not positive definite; raise \"regularization\"");
	return st;
}

/*
 * The default regularization grows with the confidence scale (1 + alpha)
 * and with (interactions per item)^0.8: on validation splits carved from
 * MovieLens 100K and 1M training data the best lambda moved that way
 * (README, "Choosing defaults"), where a fixed lambda suits one size only.
 */
double rs_als_lambda(const rs_config *cfg, const rs_csr *ui)
{
	if (cfg->regularization >= 0)
		return cfg->regularization;
	double per_item = ui->ncols ? (double)rs_csr_nnz(ui) / ui->ncols : 0;
	return cfg->reg_scale * (1.0 + cfg->alpha) * pow(per_item, 0.8);
}

/* Small random start, uniform [0, 0.01) as common implementations use,
 * drawn from the id's hash and the seed: a row's start does not depend on
 * the order the source returned its rows in, so PostgreSQL and SQLite, or
 * two orderings of one table, train the same model. */
static rs_status init_factors(rs_train_ctx *ctx, float *m, const rs_idmap *ids, int f,
                              uint64_t seed, rs_error *err)
{
	for (size_t r = 0; r < ids->n; r++) {
		size_t len;
		const char *id = rs_idmap_get(ids, (int32_t)r, &len);
		uint64_t s = rs_hash_bytes(id, len) ^ (seed * 0x9E3779B97F4A7C15ULL);
		for (int k = 0; k < f; k++)
			m[r * f + k] = (float)(rs_rand_unit(&s) * 0.01);
		if (r % 8192 == 8191 && rs_cancelled(ctx))
			return rs_fail(err, RS_ECANCELLED, "training cancelled");
	}
	return RS_OK;
}

rs_status rs_als_fit(rs_train_ctx *ctx, const rs_csr *ui, const rs_idmap *users,
                     const rs_idmap *items, float **user_f, float **item_f, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	size_t f = (size_t)cfg->factors;
	rs_csr iu;
	ctx->lambda = rs_als_lambda(cfg, ui);
	if (rs_csr_transpose(ui, &iu) != RS_OK)
		return rs_fail(err, RS_ENOMEM, "out of memory transposing the interaction matrix");
	float *x = rs_malloc(rs_mul(rs_mul((size_t)ui->nrows, f), sizeof *x));
	float *y = rs_malloc(rs_mul(rs_mul((size_t)ui->ncols, f), sizeof *y));
	rs_status st = RS_OK;
	if (!x || !y)
		st = rs_fail(err, RS_ENOMEM, "out of memory allocating %zu x %zu factors",
		             (size_t)ui->nrows + ui->ncols, f);
	if (st == RS_OK)
		st = init_factors(ctx, x, users, (int)f, cfg->seed, err);
	if (st == RS_OK)
		st = init_factors(ctx, y, items, (int)f, cfg->seed + 1, err);
	rs_report_count(ctx->rep, "iteration", cfg->iterations);
	for (int it = 0; st == RS_OK && it < cfg->iterations; it++) {
		rs_step(ctx, it + 1);
		st = rs_als_solve(ctx, ui, y, ui->ncols, x, err);
		if (st == RS_OK)
			st = rs_als_solve(ctx, &iu, x, ui->nrows, y, err);
	}
	rs_csr_free(&iu);
	if (st != RS_OK) {
		free(x);
		free(y);
		return st;
	}
	*user_f = x;
	*item_f = y;
	return RS_OK;
}

/* Summary parameters as resolved for this training. */
static void als_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	rs_text_printf(t, "\"factors\": %d, \"iterations\": %d, \"regularization\": %g, "
	               "\"alpha\": %g, \"solver\": \"%s\", \"cg_steps\": %d, \"seed\": %llu, "
	               "\"recency\": %g",
	               c->factors, c->iterations, ctx->lambda, c->alpha,
	               c->solver == RS_SOLVER_CG ? "cg" : "cholesky", c->cg_steps,
	               (unsigned long long)c->seed, c->recency);
}

/* Option "recency" (recency.c): two more user half-steps against the trained
 * item factors, with confidences from the recency-weighted history, so the
 * user vectors lean to the latest items (at least 3 CG steps from the warm
 * start; more changed nothing on validation). */
static rs_status als_recency(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	rs_csr r = m->seen;
	r.data = rs_recency_weights(&m->seen, ctx->cfg->recency);
	if (!r.data)
		return rs_fail(err, RS_ENOMEM, "out of memory weighting the history by recency");
	rs_config c = *ctx->cfg;
	c.cg_steps = c.cg_steps > 3 ? c.cg_steps : 3;
	rs_train_ctx rc = {.cfg = &c, .cb = ctx->cb, .rep = ctx->rep, .side = ctx->side, .lambda = ctx->lambda,
	                   .pool = ctx->pool};
	atomic_init(&rc.stop, 0);
	rs_status st = RS_OK;
	for (int k = 0; k < 2 && st == RS_OK; k++)
		st = rs_als_solve(&rc, &r, m->item_f, (int32_t)m->items.n, m->user_f, err);
	free(r.data);
	return st;
}

static rs_status als_fit_model(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	m->factors = ctx->cfg->factors;
	rs_status st = rs_recency_check(ctx->cfg, &m->seen, err);
	if (st == RS_OK)
		st = rs_als_fit(ctx, &m->seen, &m->users, &m->items, &m->user_f, &m->item_f, err);
	if (st == RS_OK && ctx->cfg->recency > 0)
		st = als_recency(ctx, m, err);
	/* kept (blob, recency.c derives hist_w at load): recsys_explain and the
	 * reasons split the score with the confidences the user vectors saw */
	m->recency = ctx->cfg->recency;
	return st;
}

/* Defaults chosen on validation splits (bench/TUNING.md). */
static const rs_opt_spec ALS_OPTIONS[] = {
	{"factors", RS_T_INT, offsetof(rs_config, factors), 64, 1, 1024, NULL},
	{"iterations", RS_T_INT, offsetof(rs_config, iterations), 15, 1, 1000, NULL},
	{"regularization", RS_T_NUM, offsetof(rs_config, regularization), -1, 0, 1e9, NULL},
	{"regularization_scale", RS_T_NUM, offsetof(rs_config, reg_scale), 0.3, 0, 1e6, NULL},
	{"alpha", RS_T_NUM, offsetof(rs_config, alpha), 5, 0, 1e6, NULL},
	{"cg_steps", RS_T_INT, offsetof(rs_config, cg_steps), 3, 1, 100, NULL},
	{"solver", RS_T_CHOICE, offsetof(rs_config, solver), RS_SOLVER_CG, 0, 0, "cg|cholesky"},
	{"recency", RS_T_NUM, offsetof(rs_config, recency), 0, 0, 1e9, NULL},
	RS_INDEX_OPTIONS,
};

const rs_algo_def rs_def_als = {
	.id = RS_ALGO_ALS,
	.name = "als",
	.fit = als_fit_model,
	.params = als_params,
	.options = ALS_OPTIONS,
	.n_options = sizeof ALS_OPTIONS / sizeof ALS_OPTIONS[0],
	.split = RS_SPLIT_DOT, /* explain.c solves the exact W_u split itself */
	.solve_fold = 1,
};
