/*
 * explain.c - recsys_explain(): which items of a user's history make the
 * model score an item, and by how much. Each family splits its own score
 * into a sum over the history items j of the user u, for the item i:
 *
 *  - als (Hu, Koren, Volinsky, ICDM 2008, section 5): the user vector solves
 *    x_u = W_u Y^T C_u p_u with W_u = (Y^T C_u Y + lambda I)^-1, so
 *        score = y_i . x_u = sum_j c_uj (y_i^T W_u y_j),  c_uj = 1 + alpha w_uj.
 *    One Cholesky solve z = W_u y_i, then c_uj z . y_j per item, with the
 *    alpha and lambda the model was trained with (blob; older blobs: ALS's
 *    defaults, as fold_in.c) and, with "recency", the recency-weighted w_uj
 *    its user vectors were last solved with. The sum is the score of the
 *    exact least-squares user vector, which the trained (CG) one approximates.
 *  - svd (PureSVD): x_u = sum_j w_uj v_j, so contribution w_uj v_j . v_i.
 *  - bpr, warp: the user vector is learned from the user's identity, not a
 *    function of the history, so the split is that of the session fold-in
 *    (fold_in.c: the mean of the history's vectors): q_j . q_i / |history|,
 *    the bias dimension left out.
 *  - itemknn, content: w_uj sim(i, j) (the neighbour walk of rs_knn_score;
 *    0 when j is not among i's kept neighbours).
 *  - ease: w_uj B[j, i] (score = x_u B).
 *    For these w_uj is the weight the scorer uses ("recency" included).
 *  - vae (nonlinear: no exact split): the drop of the score when item j
 *    alone is left out of the history the encoder reads, score(i | h) -
 *    score(i | h without j) (vae.c); the rows need not sum to the score.
 *  - two_tower (nonlinear too): the drop of the score when item j alone
 *    leaves the user tower's input, the user's own features kept
 *    (two_tower_serve.c); the rows need not sum to the score.
 *  - hybrid: each component's contributions scaled as hybrid.c blends its
 *    scores, w_p / (component p's largest score over u's unseen items),
 *    and summed, for the components that score i above 0.
 *  - popularity: nothing in the history contributes: no rows.
 * A user the model does not know but whose rows the model's source holds
 * (rs_explain_fresh) is explained from those rows, scored as recommend()'s
 * fresh path scores them (below).
 */
#include "internal.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The history of user u in m: items, weights and count. */
typedef struct history {
	const int32_t *items;
	const float *w;
	int32_t n;
} history;

/* The weights are the ones the scorer uses (rs_history_w: "recency"). */
static history user_history(const rs_model *m, int32_t u)
{
	int64_t b = m->seen.indptr[u];
	return (history){m->seen.indices + b, rs_history_w(m) + b,
	                 (int32_t)(m->seen.indptr[u + 1] - b)};
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Dot product of the first d factors of items a and b. */
static double item_dot(const rs_model *m, int32_t a, int32_t b, int d)
{
	const float *x = m->item_f + (size_t)a * m->factors, *y = m->item_f + (size_t)b * m->factors;
	double s = 0;
	for (int t = 0; t < d; t++)
		s += (double)x[t] * y[t];
	return s;
}

/* sim(i, j) as item j's score walk uses it: row j of m->sim, column i. */
static float knn_sim(const rs_model *m, int32_t j, int32_t i)
{
	int64_t at = rs_csr_find(&m->sim, j, i);
	return at >= 0 ? m->sim.data[at] : 0.0f;
}

/* What history item j (weight w) adds to item i's score, for the families
 * whose score is a plain sum over the history (every one but als). The
 * ALS-style dot product serves reasons.c as a cheap stand-in for als. */
double rs_pair_contribution(const rs_model *m, int32_t j, float w, int32_t i, int32_t n_hist)
{
	switch (rs_model_def(m)->split) {
	case RS_SPLIT_SIM:
		return (double)w * knn_sim(m, j, i);
	case RS_SPLIT_DENSE:
		return (double)w * m->dense[(size_t)j * m->items.n + (size_t)i];
	case RS_SPLIT_MEAN:
		return item_dot(m, j, i, m->factors - 1) / (n_hist > 0 ? n_hist : 1);
	case RS_SPLIT_NONE:
		return 0.0;
	default: /* bias columns (imported) are no part of the taste space */
		return m->factors > 0 ? (double)w * item_dot(m, j, i, m->factors - rs_model_def(m)->bias_column)
		                      : 0.0;
	}
}

/* ALS's lambda and alpha: what the model was trained with (kept in the
 * blob), else ALS's defaults, as fold_in.c resolves them. */
static rs_status als_params(const rs_model *m, double *lambda, double *alpha, rs_error *err)
{
	*alpha = m->fold_alpha;
	*lambda = m->fold_lambda;
	if (isfinite(*alpha) && isfinite(*lambda))
		return RS_OK;
	rs_config *cfg = NULL;
	rs_status st = rs_config_create("als", NULL, 1, &cfg, err);
	if (st != RS_OK)
		return st;
	if (!isfinite(*alpha))
		*alpha = cfg->alpha;
	cfg->alpha = *alpha;
	if (!isfinite(*lambda))
		*lambda = rs_als_lambda(cfg, &m->seen);
	rs_config_destroy(&cfg);
	return RS_OK;
}

/* ALS: c_uj (W_u y_i) . y_j into c[r] for every history item (header). */
static rs_status als_contributions(const rs_model *m, history h, int32_t i, double *c,
                                   rs_error *err)
{
	int f = m->factors;
	double lambda, alpha;
	rs_status st = als_params(m, &lambda, &alpha, err);
	if (st != RS_OK)
		return st;
	double *a = rs_malloc(rs_mul((size_t)f * f + f, sizeof *a));
	if (!a || !m->item_gram) {
		free(a);
		return rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	}
	double *z = a + (size_t)f * f;
	const float *g = m->item_gram, *yi = m->item_f + (size_t)i * f;
	for (int p = 0; p < f; p++) {
		for (int q = p; q < f; q++)
			a[(size_t)p * f + q] = g[(size_t)p * f + q] + (p == q ? lambda : 0);
		z[p] = yi[p];
	}
	for (int32_t r = 0; r < h.n; r++) { /* + Y^T (C_u - I) Y */
		const float *y = m->item_f + (size_t)h.items[r] * f;
		double cm1 = alpha * h.w[r];
		for (int p = 0; p < f; p++)
			for (int q = p; q < f; q++)
				a[(size_t)p * f + q] += cm1 * y[p] * y[q];
	}
	if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', f, 1, a, f, z, 1) != 0) {
		free(a);
		return rs_fail(err, RS_ENOTPD, "the user's least-squares system is not positive definite");
	}
	for (int32_t r = 0; r < h.n; r++) {
		const float *y = m->item_f + (size_t)h.items[r] * f;
		double d = 0;
		for (int p = 0; p < f; p++)
			d += z[p] * y[p];
		c[r] = (1.0 + alpha * h.w[r]) * d;
	}
	free(a);
	return RS_OK;
}

/* Contributions of the history's items to item i of a non-hybrid model,
 * c[r] for the r-th item of h; user: whose history it is (-1: a fresh
 * user or session), for a nonlinear model's explain hook. */
static rs_status plain_contributions(const rs_model *m, int32_t user, history h, int32_t i,
                                     double *c, rs_error *err)
{
	if (rs_model_def(m)->solve_fold && m->factors > 0)
		return als_contributions(m, h, i, c, err);
	if (rs_model_def(m)->explain)
		return rs_model_def(m)->explain(m, user, h.items, h.w, h.n, i, c, err);
	for (int32_t r = 0; r < h.n; r++)
		c[r] = rs_pair_contribution(m, h.items[r], h.w[r], i, h.n); /* popularity: 0 */
	return RS_OK;
}

/* Component p's largest score (buf: over its items) over the items of m
 * not in h (the blend's scale, hybrid.c), 0 when it scores nothing above 0. */
static double part_scale(const rs_model *m, int32_t p, const float *buf, history h)
{
	double hi = 0;
	for (size_t i = 0; i < m->items.n; i++) {
		int32_t pi = m->part_item[p][i], at = (int32_t)i;
		if (pi >= 0 && isfinite(buf[pi]) && buf[pi] > hi &&
		    !bsearch(&at, h.items, (size_t)h.n, sizeof at, cmp_i32))
			hi = buf[pi];
	}
	return hi;
}

/* Component p's contributions pc (over its history ph) into c (over m's
 * history h), scaled as blended: w_p / hi; nothing when p scores the item
 * at 0 or below. */
static void add_part(const rs_model *m, int32_t p, history h, history ph, const double *pc,
                     double hi, double *c)
{
	const rs_model *part = m->parts[p];
	double total = 0;
	for (int32_t r = 0; r < ph.n; r++)
		total += pc[r];
	for (int32_t r = 0; hi > 0 && total > 0 && r < ph.n; r++) {
		size_t l;
		const char *jid = rs_idmap_get(&part->items, ph.items[r], &l);
		int32_t j = rs_idmap_find(&m->items, jid, l);
		const int32_t *at = j < 0 ? NULL : bsearch(&j, h.items, (size_t)h.n, sizeof j, cmp_i32);
		if (at)
			c[at - h.items] += m->part_w[p] * pc[r] / hi;
	}
}

/* Component p's scores of all its items for its user pu. */
static float *part_user_scores(const rs_model *part, int32_t pu)
{
	size_t pn = part->items.n, padded = ((pn + RS_BLK - 1) / RS_BLK) * RS_BLK + RS_BLK;
	float *buf = rs_malloc(rs_mul(padded, sizeof *buf));
	const rs_algo_def *d = rs_algo_find(part->algo);
	if (!buf)
		return NULL;
	if (d->score)
		d->score(part, pu, buf);
	else if (part->factors > 0)
		rs_score_items(part, part->user_f + (size_t)pu * part->factors, buf);
	else
		memcpy(buf, part->pop, pn * sizeof *buf);
	return buf;
}

/* Hybrid: the components' contributions, scaled as blended, into c[r] for
 * the r-th item of u's row of m (header comment). */
static rs_status hybrid_contributions(const rs_model *m, int32_t u, int32_t i, double *c,
                                      rs_error *err)
{
	size_t len;
	const char *id = rs_idmap_get(&m->users, u, &len);
	history h = user_history(m, u);
	memset(c, 0, (size_t)h.n * sizeof *c);
	rs_status st = RS_OK;
	for (int32_t p = 0; st == RS_OK && p < m->n_parts; p++) {
		const rs_model *part = m->parts[p];
		int32_t pu = rs_idmap_find(&part->users, id, len), pi = m->part_item[p][i];
		if (pu < 0 || pi < 0 || rs_model_def(part)->split == RS_SPLIT_NONE)
			continue;
		history ph = user_history(part, pu);
		double *pc = rs_malloc(rs_mul((size_t)ph.n + 1, sizeof *pc));
		float *buf = pc ? part_user_scores(part, pu) : NULL;
		st = buf ? plain_contributions(part, pu, ph, pi, pc, err)
		         : rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
		if (st == RS_OK)
			add_part(m, p, h, ph, pc, part_scale(m, p, buf, h), c);
		free(pc);
		free(buf);
	}
	return st;
}

/* Largest contribution first; ties to the lower item index. */
static int cmp_contribution(const void *a, const void *b)
{
	const rs_contribution *x = a, *y = b;
	if (x->contribution != y->contribution)
		return x->contribution > y->contribution ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

/* The nonzero contributions c of the history items as rows, largest first
 * (*out malloc'd, NULL when none). */
static rs_status to_rows(history h, const double *c, rs_contribution **out, int *n_out,
                         rs_error *err)
{
	rs_contribution *rows = rs_malloc(rs_mul((size_t)h.n + 1, sizeof *rows));
	int n = 0;
	if (!rows)
		return rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	for (int32_t r = 0; r < h.n; r++)
		if (c[r] != 0 && isfinite(c[r]))
			rows[n++] = (rs_contribution){h.items[r], (float)c[r]};
	if (n == 0) {
		free(rows);
		return RS_OK;
	}
	qsort(rows, (size_t)n, sizeof *rows, cmp_contribution);
	*out = rows;
	*n_out = n;
	return RS_OK;
}

/* The item's index, or RS_ENOTFOUND naming it. */
static rs_status find_item(const rs_model *m, const char *item, size_t item_len, int32_t *i,
                           rs_error *err)
{
	char id[RS_SHORT_CAP];
	*i = rs_idmap_find(&m->items, item, item_len);
	if (*i < 0)
		return rs_fail(err, RS_ENOTFOUND, "item \"%s\" is not in the model",
		               rs_shorten(item, item_len, id, sizeof id));
	return RS_OK;
}

rs_status rs_explain(const rs_model *m, const char *user, size_t user_len, const char *item,
                     size_t item_len, rs_contribution **out, int *n_out, rs_error *err)
{
	*out = NULL;
	*n_out = 0;
	if (!m || !user || !item)
		return rs_fail(err, RS_EINVAL, "model, user and item must not be NULL");
	char id[RS_SHORT_CAP];
	int32_t u = rs_idmap_find(&m->users, user, user_len), i;
	if (u < 0)
		return rs_fail(err, RS_ENOTFOUND, "user \"%s\" is not in the model",
		               rs_shorten(user, user_len, id, sizeof id));
	rs_status st = find_item(m, item, item_len, &i, err);
	if (st != RS_OK)
		return st;
	history h = user_history(m, u);
	double *c = rs_malloc(rs_mul((size_t)h.n + 1, sizeof *c));
	st = c ? RS_OK : rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	if (st == RS_OK)
		st = m->n_parts > 0 ? hybrid_contributions(m, u, i, c, err)
		                    : plain_contributions(m, u, h, i, c, err);
	if (st == RS_OK)
		st = to_rows(h, c, out, n_out, err);
	free(c);
	return st;
}

/*
 * A fresh user: the rows read from the model's source, scored as
 * recommend()'s fresh path scores them (fold_in.c), split the same way as a
 * known user's history. The weights are the ones fold-in uses: the
 * item-based scorers weight the one-row history by "recency" (recency.c),
 * every other family takes the rows' own (als: c = 1 + alpha w in the
 * fold-in solve, which als_contributions splits exactly). Models that give
 * fresh users popular items (popularity, imported vectors) have no rows.
 */
static float *fresh_weights(const rs_model *m, history h, const double *ts)
{
	if (rs_algo_find(m->algo)->score && m->recency > 0 && ts && h.n > 0) {
		int64_t indptr[2] = {0, h.n};
		rs_csr one = {.nrows = 1, .ncols = m->seen.ncols, .indptr = indptr,
		              .indices = (int32_t *)h.items, .data = (float *)h.w, .ts = (double *)ts};
		return rs_recency_weights(&one, m->recency);
	}
	float *w = rs_malloc(rs_mul((size_t)h.n + 1, sizeof *w));
	if (w)
		memcpy(w, h.w, (size_t)h.n * sizeof *w);
	return w;
}

/* A non-hybrid model's split of a fresh history (rows' weights w). */
static rs_status fresh_plain(const rs_model *m, history h, const double *ts, int32_t i, double *c,
                             rs_error *err)
{
	if (rs_model_def(m)->no_fold) /* fresh users get popular items */
		return RS_OK;
	/* the model's weighting first, as fold-in applies it (a hybrid's parts
	 * get theirs from rs_history_part) */
	float *tw = rs_malloc(rs_mul((size_t)h.n + 1, sizeof *tw));
	for (int32_t r = 0; tw && r < h.n; r++)
		tw[r] = rs_weighting_value(m->weighting, h.w[r]);
	float *fw = tw ? fresh_weights(m, (history){h.items, tw, h.n}, ts) : NULL;
	free(tw);
	if (!fw)
		return rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	rs_status st = plain_contributions(m, -1, (history){h.items, fw, h.n}, i, c, err);
	free(fw);
	return st;
}

/* Hybrid: each component's split of its view of the fresh history, scaled
 * by its largest fold-in score over the items not in the history. */
static rs_status fresh_hybrid(const rs_model *m, history h, const double *ts, int32_t i, double *c,
                              rs_error *err)
{
	size_t n1 = (size_t)h.n + 1;
	int32_t *ps = rs_malloc(rs_mul(n1, sizeof *ps));
	float *pw = rs_malloc(rs_mul(n1, sizeof *pw));
	double *pts = rs_malloc(rs_mul(n1, sizeof *pts)), *pc = rs_malloc(rs_mul(n1, sizeof *pc));
	rs_status st = ps && pw && pts && pc ? RS_OK
	                                     : rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	for (int32_t p = 0; st == RS_OK && p < m->n_parts; p++) {
		const rs_model *part = m->parts[p];
		int32_t pi = m->part_item[p][i];
		int pn = 0;
		if (pi < 0 || rs_model_def(part)->split == RS_SPLIT_NONE)
			continue;
		st = rs_history_part(m, p, h.items, h.w, ts, h.n, ps, pw, pts, &pn, err);
		size_t padded = ((part->items.n + RS_BLK - 1) / RS_BLK) * RS_BLK + RS_BLK;
		float *buf = st == RS_OK ? rs_malloc(rs_mul(padded, sizeof *buf)) : NULL;
		if (st == RS_OK && !buf)
			st = rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
		if (st == RS_OK)
			st = rs_history_scores(part, ps, pw, ts ? pts : NULL, pn, buf, err);
		float *fw = st == RS_OK ? fresh_weights(part, (history){ps, pw, pn}, ts ? pts : NULL) : NULL;
		if (st == RS_OK && !fw)
			st = rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
		history ph = {ps, fw, pn};
		if (st == RS_OK)
			st = plain_contributions(part, -1, ph, pi, pc, err);
		if (st == RS_OK)
			add_part(m, p, h, ph, pc, part_scale(m, p, buf, h), c);
		free(buf);
		free(fw);
	}
	free(ps); free(pw); free(pts); free(pc);
	return st;
}

rs_status rs_explain_fresh(const rs_model *m, const char *user, size_t user_len,
                           const rs_history *hy, const char *item, size_t item_len,
                           rs_contribution **out, int *n_out, rs_error *err)
{
	*out = NULL;
	*n_out = 0;
	if (!m || !user || !item)
		return rs_fail(err, RS_EINVAL, "model, user and item must not be NULL");
	if (!hy || rs_idmap_find(&m->users, user, user_len) >= 0 || rs_history_kept(hy) == 0)
		return rs_explain(m, user, user_len, item, item_len, out, n_out, err);
	int32_t i, *s = NULL, n = 0;
	float *w = NULL;
	double *ts = NULL, *c = NULL;
	rs_status st = find_item(m, item, item_len, &i, err);
	if (st == RS_OK)
		st = rs_history_merged(hy, &s, &w, &ts, &n, err);
	if (st == RS_OK && !(c = rs_calloc((size_t)n + 1, sizeof *c)))
		st = rs_fail(err, RS_ENOMEM, "out of memory explaining the score");
	history h = {s, w, n};
	if (st == RS_OK)
		st = m->n_parts > 0 ? fresh_hybrid(m, h, ts, i, c, err) : fresh_plain(m, h, ts, i, c, err);
	if (st == RS_OK)
		st = to_rows(h, c, out, n_out, err);
	free(s); free(w); free(ts); free(c);
	return st;
}
