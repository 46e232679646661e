/* test_als.c - ALS solver: reconstruction, CG vs Cholesky, empty rows,
 * thread-count independence, cancellation. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Every user's held-out in-group item must outrank every other-group item. */
void test_tiny_reconstruction(void)
{
	rs_model *m = NULL;
	rs_error e;
	const char *kv[] = {"factors=4", "iterations=20", "regularization=0.1", "alpha=5", "threads=1"};
	CHECK(train_blocks("als", 5, kv, 20, 16, &m, &e) == RS_OK);
	if (!m)
		return;
	for (int u = 0; u < 20; u++) {
		char us[16];
		int ul = snprintf(us, sizeof us, "u%d", u);
		rs_reco out[1];
		int n;
		CHECK(rs_recommend(m, us, (size_t)ul, 1, NULL, out, &n, &e) == RS_OK && n == 1);
		size_t l;
		const char *id = rs_model_item_id(m, out[0].item, &l);
		char want[16];
		int wl = snprintf(want, sizeof want, "i%d", (u < 10 ? 0 : 8) + u % 8);
		CHECK((int)l == wl && memcmp(id, want, l) == 0);
	}
	rs_model_destroy(&m);
}

/* A small random problem: rows x 6 factors against fixed y. */
static void make_problem(rs_csr *c, float *y, int rows, int cols, int f, uint64_t seed)
{
	c->nrows = rows;
	c->ncols = cols;
	c->indptr = calloc((size_t)rows + 1, sizeof *c->indptr);
	c->indices = malloc((size_t)rows * cols * sizeof *c->indices);
	c->data = malloc((size_t)rows * cols * sizeof *c->data);
	int64_t nnz = 0;
	for (int r = 0; r < rows; r++) {
		for (int i = 0; i < cols; i++)
			if (r != 2 && rs_rand_unit(&seed) < 0.4) { /* row 2 stays empty */
				c->indices[nnz] = i;
				c->data[nnz++] = (float)(1 + 3 * rs_rand_unit(&seed));
			}
		c->indptr[r + 1] = nnz;
	}
	for (int k = 0; k < cols * f; k++)
		y[k] = (float)(rs_rand_unit(&seed) - 0.5);
}

static rs_config *solver_cfg(rs_solver s, int cg_steps)
{
	rs_config *c = NULL;
	rs_error e;
	rs_config_create("als", NULL, 1, &c, &e);
	c->factors = 6;
	c->regularization = 0.5;
	c->alpha = 2;
	c->cg_steps = cg_steps;
	c->solver = s;
	return c;
}

/* Enough CG steps from zero reach the exact (Cholesky) solution; the
 * empty row comes out as a zero vector in both. */
void test_cg_agrees_with_cholesky(void)
{
	enum { R = 9, C = 12, F = 6 };
	rs_csr c = {0};
	float y[C * F], xcg[R * F] = {0}, xch[R * F];
	make_problem(&c, y, R, C, F, 7);
	for (int k = 0; k < R * F; k++)
		xch[k] = 99; /* Cholesky must overwrite, not warm-start */
	rs_error e;
	rs_config *cg = solver_cfg(RS_SOLVER_CG, 30), *ch = solver_cfg(RS_SOLVER_CHOLESKY, 3);
	rs_train_ctx a = {.cfg = cg, .lambda = 0.5}, b = {.cfg = ch, .lambda = 0.5};
	CHECK(rs_als_solve(&a, &c, y, C, xcg, &e) == RS_OK);
	CHECK(rs_als_solve(&b, &c, y, C, xch, &e) == RS_OK);
	double maxdiff = 0;
	for (int k = 0; k < R * F; k++)
		maxdiff = fmax(maxdiff, fabs(xcg[k] - xch[k]));
	CHECK(maxdiff < 1e-3);
	for (int k = 0; k < F; k++)
		CHECK(xcg[2 * F + k] == 0 && xch[2 * F + k] == 0);
	rs_csr_free(&c);
	rs_config_destroy(&cg);
	rs_config_destroy(&ch);
}

/* Rows are solved independently, so the thread count must not change bits. */
void test_threads_same_result(void)
{
	rs_model *m1 = NULL, *m2 = NULL;
	rs_error e;
	const char *k1[] = {"factors=8", "threads=1"}, *k2[] = {"factors=8", "threads=2"};
	CHECK(train_blocks("als", 2, k1, 300, 200, &m1, &e) == RS_OK);
	CHECK(train_blocks("als", 2, k2, 300, 200, &m2, &e) == RS_OK);
	if (m1 && m2)
		CHECK(memcmp(m1->item_f, m2->item_f, 200 * 8 * sizeof(float)) == 0);
	rs_model_destroy(&m1);
	rs_model_destroy(&m2);
}

/* A cancel request stops training with RS_ECANCELLED and nothing leaks. */
void test_cancel(void)
{
	CHECK(train_cancelled("als", 3, 500, 300));
}
