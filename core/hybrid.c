/*
 * hybrid.c - a weighted blend of component models trained on the same data.
 *
 *   score(u, i) = sum_p w_p norm_p(s_p(u, i))
 *
 * where norm_p(s) = max(s, 0) / (component p's largest score over the items
 * still eligible for u), so components on different scales (dot products,
 * similarity sums, counts) mix by their weights alone and a component's "no
 * evidence" scores (0 or below) add nothing; the weights are normalized to
 * sum 1. (Min-max scaling did as well on validation, but let itemknn's
 * negative fallback scores squeeze its real ones.) The `source` of a recommendation is the component
 * whose weighted, normalized score contributed most. Components are trained
 * here, each on its own copy of the interactions, with its own options:
 *   {"components": {"als": 0.5, "itemknn": {"weight": 0.3, "neighbors": 100},
 *                   "popularity": 0.2}}
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One component's configuration from `name: weight` or `name: {weight, ...}`. */
static rs_status parse_part(rs_config *c, const rs_opt *o, rs_error *err)
{
	const char *name = o->key ? o->key : "";
	const rs_algo_def *d = rs_algo_named(name);
	char sn[RS_SHORT_CAP];
	if (!d || d->id == RS_ALGO_HYBRID || d->id == RS_ALGO_AUTO)
		return rs_fail(err, RS_EINVAL,
		               "option \"components\": \"%s\" is not an algorithm a hybrid can blend (known: %s; not hybrid or auto)",
		               rs_shorten(name, (size_t)-1, sn, sizeof sn), rs_algorithms());
	double w = 1.0;
	rs_opt sub = {.kind = RS_OPT_OBJECT};
	rs_opt *kids = NULL;
	if (o->kind == RS_OPT_NUMBER) {
		w = o->number;
	} else if (o->kind == RS_OPT_OBJECT) {
		kids = rs_calloc(o->n_children + 1, sizeof *kids);
		if (!kids)
			return rs_fail(err, RS_ENOMEM, "out of memory");
		for (size_t i = 0; i < o->n_children; i++) {
			const rs_opt *e = &o->children[i];
			if (e->key && !strcmp(e->key, "weight")) {
				w = e->kind == RS_OPT_NUMBER ? e->number : NAN;
				continue;
			}
			kids[sub.n_children++] = *e;
		}
		sub.children = kids;
	} else {
		return rs_fail(err, RS_EINVAL,
		               "option \"components\": \"%s\" must be a weight or an object of options", name);
	}
	if (!isfinite(w) || w <= 0 || w > 1e6) {
		free(kids);
		return rs_fail(err, RS_EINVAL,
		               "option \"components\": weight of \"%s\" must be a number above 0", name);
	}
	rs_config *pc = NULL;
	rs_status st = rs_config_create(name, &sub, 1, &pc, err);
	free(kids);
	if (st != RS_OK)
		return st;
	c->part_cfg[c->n_parts] = pc;
	c->part_weight[c->n_parts++] = w;
	return RS_OK;
}

rs_status rs_hybrid_components(rs_config *c, const rs_opt *o, rs_error *err)
{
	if (o->kind != RS_OPT_OBJECT || o->n_children == 0 || o->n_children > RS_MAX_PARTS)
		return rs_fail(err, RS_EINVAL,
		               "option \"components\" must be an object of 1 to %d algorithms with weights",
		               RS_MAX_PARTS);
	rs_hybrid_config_free(c);
	c->part_cfg = rs_calloc(o->n_children, sizeof *c->part_cfg);
	c->part_weight = rs_calloc(o->n_children, sizeof *c->part_weight);
	if (!c->part_cfg || !c->part_weight)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	for (size_t i = 0; i < o->n_children; i++) {
		rs_status st = parse_part(c, &o->children[i], err);
		if (st != RS_OK)
			return st;
	}
	return RS_OK;
}

/* A copy of a side-column list (NULL: every column). */
static rs_status copy_cols(char **from, size_t n, char ***to, size_t *n_to)
{
	*to = NULL;
	*n_to = 0;
	if (!from)
		return RS_OK;
	if (!(*to = rs_calloc(n, sizeof **to)))
		return RS_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!((*to)[i] = strdup(from[i])))
			return RS_ENOMEM;
		*n_to = i + 1;
	}
	return RS_OK;
}

/* Add part's columns missing from c's list (the binding reads the union). */
static rs_status union_cols(rs_config *c, int s, const rs_config *part)
{
	for (size_t i = 0; i < part->n_side_cols[s]; i++) {
		size_t j = 0;
		while (j < c->n_side_cols[s] && strcmp(c->side_cols[s][j], part->side_cols[s][i]))
			j++;
		if (j < c->n_side_cols[s])
			continue;
		char **grown = rs_realloc(c->side_cols[s], rs_mul(c->n_side_cols[s] + 1, sizeof *grown));
		if (!grown)
			return RS_ENOMEM;
		c->side_cols[s] = grown;
		if (!(grown[c->n_side_cols[s]] = strdup(part->side_cols[s][i])))
			return RS_ENOMEM;
		c->n_side_cols[s]++;
	}
	return RS_OK;
}

/*
 * The side tables reach every component: the binding reads one items and
 * one users table, the hybrid's. A top-level "items" / "users" (and its
 * "item_features" / "user_features") is given to each component that does
 * not set its own; a table named inside a component becomes the hybrid's
 * (its columns stay that component's), so either place works. Two
 * different tables for one side are an error. The columns read are the
 * union of the components' (all when one wants all).
 */
rs_status rs_hybrid_share_sides(rs_config *c, rs_error *err)
{
	const char *opt[2] = {"items", "users"};
	for (int s = 0; s < 2; s++) {
		for (int p = 0; p < c->n_parts && !c->side_source[s]; p++) {
			rs_config *pc = c->part_cfg[p];
			if (!pc->side_source[s])
				continue;
			if (!(c->side_source[s] = strdup(pc->side_source[s])))
				return rs_fail(err, RS_ENOMEM, "out of memory");
		}
		if (!c->side_source[s])
			continue;
		int all = !c->side_cols[s];
		for (int p = 0; p < c->n_parts; p++) {
			rs_config *pc = c->part_cfg[p];
			if (pc->side_source[s] && strcmp(pc->side_source[s], c->side_source[s]))
				return rs_fail(err, RS_EINVAL,
				               "option \"components\": \"%s\" names another \"%s\" table than the "
				               "hybrid's; the components share one (set \"%s\" once)",
				               rs_config_algorithm(pc), opt[s], opt[s]);
			if (!pc->side_source[s] && !(pc->side_source[s] = strdup(c->side_source[s])))
				return rs_fail(err, RS_ENOMEM, "out of memory");
			if (!pc->side_cols[s] && copy_cols(c->side_cols[s], c->n_side_cols[s], &pc->side_cols[s],
			                                   &pc->n_side_cols[s]) != RS_OK)
				return rs_fail(err, RS_ENOMEM, "out of memory");
			all |= !pc->side_cols[s];
			if (!all && union_cols(c, s, pc) != RS_OK)
				return rs_fail(err, RS_ENOMEM, "out of memory");
		}
		if (all) { /* some component reads every column */
			for (size_t i = 0; i < c->n_side_cols[s]; i++)
				free(c->side_cols[s][i]);
			free(c->side_cols[s]);
			c->side_cols[s] = NULL;
			c->n_side_cols[s] = 0;
		}
	}
	return RS_OK;
}

void rs_hybrid_config_free(rs_config *c)
{
	for (int p = 0; p < c->n_parts; p++)
		rs_config_destroy(&c->part_cfg[p]);
	free(c->part_cfg);
	free(c->part_weight);
	c->part_cfg = NULL;
	c->part_weight = NULL;
	c->n_parts = 0;
}

/* A fresh model holding a copy of m's interactions and ids. */
static rs_status copy_base(const rs_model *m, rs_algo algo, rs_model **out)
{
	rs_model *s = rs_model_alloc();
	if (!s)
		return RS_ENOMEM;
	s->algo = algo;
	s->trained_at = m->trained_at;
	if (rs_csr_copy(&m->seen, &s->seen) != RS_OK || rs_idmap_copy(&m->users, &s->users) != RS_OK ||
	    rs_idmap_copy(&m->items, &s->items) != RS_OK) {
		rs_model_destroy(&s);
		return RS_ENOMEM;
	}
	*out = s;
	return RS_OK;
}

/* Items that a component added (side-table-only items) join the blend's
 * catalogue, with no interactions and popularity 0. */
static rs_status union_items(rs_model *m, const rs_model *part)
{
	for (size_t i = 0; i < part->items.n; i++) {
		size_t l;
		const char *id = rs_idmap_get(&part->items, (int32_t)i, &l);
		if (rs_idmap_find(&m->items, id, l) >= 0)
			continue;
		int32_t idx;
		float *pop = rs_realloc(m->pop, rs_mul(m->items.n + 1, sizeof *pop));
		if (!pop)
			return RS_ENOMEM;
		m->pop = pop;
		if (rs_idmap_intern(&m->items, id, l, &idx) != RS_OK)
			return RS_ENOMEM;
		m->pop[idx] = 0;
		m->seen.ncols = (int32_t)m->items.n;
	}
	return RS_OK;
}

/* Train every component on a copy of the interactions. */
static rs_status hybrid_fit(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	const rs_config *c = ctx->cfg;
	double wsum = 0;
	m->parts = rs_calloc((size_t)c->n_parts, sizeof *m->parts);
	m->part_w = rs_calloc((size_t)c->n_parts, sizeof *m->part_w);
	if (!m->parts || !m->part_w)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	for (int p = 0; p < c->n_parts; p++)
		wsum += c->part_weight[p];
	for (int p = 0; p < c->n_parts; p++) {
		rs_config *pc = c->part_cfg[p];
		pc->threads = c->threads;
		if (pc->weighting < 0) /* the hybrid's "weighting", else the family's */
			pc->weighting = c->weighting;
		rs_train_ctx sub = {.cfg = pc, .cb = ctx->cb, .rep = ctx->rep, .side = ctx->side,
		                    .pool = ctx->pool};
		atomic_init(&sub.stop, 0);
		rs_model *part = NULL;
		if (copy_base(m, pc->algo, &part) != RS_OK)
			return rs_fail(err, RS_ENOMEM, "out of memory copying the interactions");
		m->parts[p] = part;
		m->part_w[p] = (float)(c->part_weight[p] / wsum);
		m->n_parts = p + 1;
		rs_status st = rs_fit_model(&sub, part, err);
		if (st == RS_OK && union_items(m, part) != RS_OK)
			st = rs_fail(err, RS_ENOMEM, "out of memory");
		if (st != RS_OK)
			return st;
	}
	return RS_OK;
}

void rs_hybrid_free_derived(rs_model *m)
{
	for (int32_t p = 0; p < m->n_parts; p++) {
		if (m->part_item)
			free(m->part_item[p]);
		if (m->part_label)
			free(m->part_label[p]);
	}
	free(m->part_item);
	free(m->part_label);
	m->part_item = NULL;
	m->part_label = NULL;
}

rs_status rs_hybrid_prepare(rs_model *m, rs_error *err)
{
	rs_hybrid_free_derived(m);
	m->part_item = rs_calloc((size_t)m->n_parts, sizeof *m->part_item);
	m->part_label = rs_calloc((size_t)m->n_parts, sizeof *m->part_label);
	if (!m->part_item || !m->part_label)
		return rs_fail(err, RS_ENOMEM, "out of memory preparing the model");
	for (int32_t p = 0; p < m->n_parts; p++) {
		const rs_model *part = m->parts[p];
		m->part_item[p] = rs_malloc(rs_mul(m->items.n, sizeof(int32_t)));
		m->part_label[p] = rs_malloc(strlen(rs_model_algorithm(part)) + 8);
		if (!m->part_item[p] || !m->part_label[p])
			return rs_fail(err, RS_ENOMEM, "out of memory preparing the model");
		strcpy(m->part_label[p], "hybrid:");
		strcat(m->part_label[p], rs_model_algorithm(part));
		for (size_t i = 0; i < m->items.n; i++) {
			size_t l;
			const char *id = rs_idmap_get(&m->items, (int32_t)i, &l);
			m->part_item[p][i] = rs_idmap_find(&part->items, id, l);
		}
	}
	return RS_OK;
}

/* Component p's raw scores of all its items for the user with this id. */
static void part_scores(const rs_model *part, const char *id, size_t len, float *buf)
{
	int32_t pu = rs_idmap_find(&part->users, id, len);
	const rs_algo_def *d = rs_algo_find(part->algo);
	if (pu >= 0 && d->score)
		d->score(part, pu, buf);
	else if (pu >= 0 && part->factors > 0)
		rs_score_items(part, part->user_f + (size_t)pu * part->factors, buf);
	else
		memcpy(buf, part->pop, part->items.n * sizeof *buf);
}

/* Add w * max(s, 0) / max over eligible items into total, tracking the
 * best part. Scaling by the maximum (not min-max) keeps a component's
 * "no evidence" floor (0, or itemknn's negative fallback scores) at 0. */
static void blend(const rs_model *m, int32_t p, const float *buf, const float *total_mask,
                  float *total, float *bestc, int32_t *bestp)
{
	const int32_t *map = m->part_item[p];
	float hi = 0;
	for (size_t i = 0; i < m->items.n; i++) {
		if (map[i] < 0 || total_mask[i] == -INFINITY || !isfinite(buf[map[i]]))
			continue;
		hi = fmaxf(hi, buf[map[i]]);
	}
	float scale = hi > 0 ? 1.0f / hi : 0.0f;
	for (size_t i = 0; i < m->items.n; i++) {
		if (map[i] < 0 || !isfinite(buf[map[i]]) || !(buf[map[i]] > 0))
			continue;
		float c = m->part_w[p] * buf[map[i]] * scale;
		total[i] += c;
		if (c > bestc[i]) {
			bestc[i] = c;
			bestp[i] = p;
		}
	}
}

/* blend() for the session path (fold_in.c). */
void rs_hybrid_blend(const rs_model *m, int32_t p, const float *buf, float *total, float *bestc,
                     int32_t *bestp)
{
	blend(m, p, buf, total, total, bestc, bestp);
}

rs_status rs_hybrid_topk(const rs_model *m, int32_t u, const rs_rank_ctx *ctx, int k,
                         const rs_opt *options, rs_reco *out, int *n_out, rs_error *err)
{
	size_t ni = m->items.n, maxpart = 0;
	for (int32_t p = 0; p < m->n_parts; p++)
		if (m->parts[p]->items.n > maxpart)
			maxpart = m->parts[p]->items.n;
	float *total = rs_calloc(ni + 1, sizeof *total), *bestc = rs_calloc(ni + 1, sizeof *bestc);
	int32_t *bestp = rs_calloc(ni + 1, sizeof *bestp);
	float *buf = rs_malloc(rs_mul(((maxpart + RS_BLK - 1) / RS_BLK) * RS_BLK + RS_BLK, 4));
	rs_status st = RS_OK;
	if (!total || !bestc || !bestp || !buf) {
		st = rs_fail(err, RS_ENOMEM, "out of memory blending %d components", (int)m->n_parts);
	} else {
		size_t len;
		const char *id = rs_idmap_get(&m->users, u, &len);
		/* left-out items first: each component scales by its largest eligible score */
		st = rs_rank_exclude(m, ctx, options, k, total, err);
		for (int32_t p = 0; st == RS_OK && p < m->n_parts; p++) {
			part_scores(m->parts[p], id, len, buf);
			blend(m, p, buf, total, total, bestc, bestp);
		}
		rs_rank_ctx c = *ctx; /* rows name the component that contributed most */
		c.part = bestp;
		if (st == RS_OK)
			st = rs_rank(m, &c, total, NULL, k, options, out, n_out, err);
	}
	free(total); free(bestc); free(bestp); free(buf);
	return st;
}

/* Summary: the components and their normalized weights. */
static void hybrid_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	double wsum = 0;
	for (int p = 0; p < c->n_parts; p++)
		wsum += c->part_weight[p];
	rs_text_printf(t, "\"components\": {");
	for (int p = 0; p < c->n_parts; p++)
		rs_text_printf(t, "%s\"%s\": %g", p ? ", " : "", rs_config_algorithm(c->part_cfg[p]),
		               c->part_weight[p] / wsum);
	rs_text_printf(t, "}");
}

const rs_algo_def rs_def_hybrid = {
	.id = RS_ALGO_HYBRID,
	.name = "hybrid",
	.fit = hybrid_fit,
	.params = hybrid_params,
};
