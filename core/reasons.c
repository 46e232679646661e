/*
 * reasons.c - the `reason` column in words: which item of the user's history
 * (or of the session) a recommendation comes from.
 *
 * The serving paths call rs_reasons_fill on their final rows: for each row
 * the model scored, `because` becomes the history item j with the largest
 * rs_pair_contribution(j, i) (explain.c: w_uj sim(i, j) for itemknn and
 * content, w_uj B[j, i] for ease, w_uj y_j . y_i for the factor models). For
 * als that skips W_u, the one solve per user that recsys_explain makes: a
 * cheap pick of the top contributor (k rows x history x factors multiply-adds
 * per call), not the exact one. A hybrid row asks the component that
 * contributed most. Rows from popularity name no item.
 *
 * rs_reason_format then says, in this order: "new in category Y" (or "new in
 * the catalogue") for an item with no training interactions that the items
 * table brought in (content, bpr, warp); "because you bought X" for a user's
 * history item; "similar to X" for a session's item; else the source's text
 * (rs_reason_text: "popular now", ...).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The history item (index into hist) that adds most to item i, or -1. */
static int32_t best_of(const rs_model *m, const int32_t *hist, const float *w, int32_t n,
                       int32_t i)
{
	int32_t best = -1;
	double top = 0;
	for (int32_t r = 0; r < n; r++) {
		if (hist[r] < 0 || hist[r] == i)
			continue;
		double c = rs_pair_contribution(m, hist[r], w ? w[r] : 1.0f, i, n);
		if (c > top) {
			top = c;
			best = r;
		}
	}
	return best;
}

/* A hybrid row from component p: the pick in the component's indices. */
static int32_t best_of_part(const rs_model *m, int32_t p, const int32_t *hist, const float *w,
                            int32_t n, int32_t i, int32_t *tmp)
{
	const rs_model *part = m->parts[p];
	int32_t pi = m->part_item[p][i];
	if (pi < 0 || part->algo == RS_ALGO_POPULARITY)
		return -1;
	for (int32_t r = 0; r < n; r++)
		tmp[r] = m->part_item[p][hist[r]];
	return best_of(part, tmp, w, n, pi);
}

void rs_reasons_fill(const rs_model *m, const int32_t *hist, const float *w, int32_t n_hist,
                     rs_why why, rs_reco *out, int n)
{
	int32_t *tmp = m->n_parts > 0 ? rs_malloc(rs_mul((size_t)n_hist + 1, sizeof *tmp)) : NULL;
	for (int r = 0; r < n; r++) {
		rs_reco *o = &out[r];
		int32_t b = -1;
		o->because = 0;
		o->why = RS_WHY_SOURCE;
		if (o->source == RS_SRC_MODEL && m->algo != RS_ALGO_POPULARITY)
			b = best_of(m, hist, w, n_hist, o->item);
		else if ((int)o->source >= RS_SRC_PART && (int)o->source < RS_SRC_PART + m->n_parts && tmp)
			b = best_of_part(m, (int32_t)o->source - RS_SRC_PART, hist, w, n_hist, o->item, tmp);
		if (b >= 0) {
			o->because = hist[b] + 1;
			o->why = why;
		}
	}
	free(tmp);
}

void rs_reasons_for_user(const rs_model *m, int32_t u, rs_reco *out, int n)
{
	if (u < 0 || (size_t)u >= m->users.n)
		return;
	int64_t b = m->seen.indptr[u];
	rs_reasons_fill(m, m->seen.indices + b, rs_history_w(m) + b,
	                (int32_t)(m->seen.indptr[u + 1] - b), RS_WHY_HISTORY, out, n);
}

/* An item nobody interacted with in training (only the items table named it). */
static int is_new_item(const rs_model *m, int32_t i)
{
	return m->pop && !(m->pop[i] > 0);
}

const char *rs_reason_format(const rs_model *m, const rs_reco *r, char *buf, size_t cap)
{
	if (!cap)
		return buf;
	size_t len;
	int32_t i = r->item, cat = m->item_cat && i >= 0 ? m->item_cat[i] : -1;
	if (i >= 0 && (size_t)i < m->items.n && r->source != RS_SRC_POPULAR &&
	    r->source != RS_SRC_COLDSTART && r->source != RS_SRC_SESSION_EMPTY && is_new_item(m, i)) {
		const char *c = cat >= 0 ? rs_idmap_get(&m->cats, cat, &len) : NULL;
		if (c)
			snprintf(buf, cap, "new in category %.*s", (int)len, c);
		else
			snprintf(buf, cap, "new in the catalogue");
	} else if (r->because > 0 && (size_t)r->because <= m->items.n && r->why != RS_WHY_SOURCE) {
		const char *id = rs_idmap_get(&m->items, r->because - 1, &len);
		snprintf(buf, cap, r->why == RS_WHY_SIMILAR ? "similar to %.*s" : "because you bought %.*s",
		         (int)len, id);
	} else {
		snprintf(buf, cap, "%s", rs_reason_text(m, r->source));
	}
	return buf;
}
