/*
 * auto.c - choose and tune an algorithm for the data at hand.
 *
 * The training interactions are split once more, like deployment: when the
 * rows have times, by the global time cut-off (time_cut.c, test_fraction
 * 0.2: rows before it train, each user's items new after it are held out)
 * if that measures at least MIN_TIME_USERS users; else (no times, session
 * logs, small sets) by the EVAL.md rule (each user's latest 20%, users with
 * >= 5 interactions). Option "validation" forces either. Candidates train
 * on the training part and are ranked by NDCG@10 on the held-out part; the
 * winner is then trained on all the interactions. Candidates run cheapest
 * first and the search stops when `time_budget` seconds are spent (at
 * least two always run). The search space (documented in README):
 *   popularity; als, itemknn and svd with their defaults; als with alpha 1
 *   and 10 and regularization_scale 0.15 and 0.6; itemknn with 50 and 400
 *   neighbours; svd with 16 and 64 factors; als and itemknn with weighting
 *   log, binary and raw, svd with log and raw (each only when the pairs'
 *   values are not all the same, auto's own options do not set weighting,
 *   and it is not the family's default); ease with its defaults and with
 *   weighting log (the same rule; skipped, with the reason, when over its
 *   memory bound); ease with recency 10 and 20, itemknn with recency 5 and
 *   10, als with recency 3 and 10 (skipped when the source has no time);
 *   then hybrids of the best candidates of the two best algorithms, weights
 *   1:1 and 2:1, and of the three best algorithms, 1:1:1. warp and bpr
 *   with their defaults and with recency 5 / 20 (warp) and 10 / 20 (bpr)
 *   and vae with its defaults are tried only when option "algorithms" names
 *   them; two_tower with its defaults also when the side tables have cells; "algorithms" restricts the whole search to the families it names
 *   (one family: no hybrids).
 * Every candidate, its options, validation NDCG@10 and seconds are recorded
 * in the training summary under "search", the rule under "validation".
 */
#include "internal.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KV 3
#define SIDE_TOO 2
typedef struct cand_spec {
	const char *algo;
	int n;
	struct { const char *key; double value; } kv[MAX_KV];
	int on_request;   /* tried only when "algorithms" names its family; 2: also
	                     when the side tables have cells (SIDE_TOO) */
	const char *weighting; /* option "weighting" (weighting.c), or NULL */
} cand_spec;

static const cand_spec SPACE[] = {
	{"popularity", 0, {{0}}, 0, NULL},
	{"als", 0, {{0}}, 0, NULL},
	{"itemknn", 0, {{0}}, 0, NULL},
	{"svd", 0, {{0}}, 0, NULL},
	{"als", 1, {{"alpha", 1}}, 0, NULL},
	{"als", 1, {{"alpha", 10}}, 0, NULL},
	{"als", 1, {{"regularization_scale", 0.15}}, 0, NULL},
	{"als", 1, {{"regularization_scale", 0.6}}, 0, NULL},
	{"itemknn", 1, {{"neighbors", 50}}, 0, NULL},
	{"itemknn", 1, {{"neighbors", 400}}, 0, NULL},
	{"svd", 1, {{"factors", 16}}, 0, NULL},
	{"svd", 1, {{"factors", 64}}, 0, NULL},
	/* the pair values' transform (weighting.c): counts and event weights
	 * (lastfm's play counts) swamp the matrix as they are; not run when
	 * every value is the same or the value is the family's default */
	{"als", 0, {{0}}, 0, "log"},
	{"als", 0, {{0}}, 0, "binary"},
	{"als", 0, {{0}}, 0, "raw"},
	{"itemknn", 0, {{0}}, 0, "log"},
	{"itemknn", 0, {{0}}, 0, "binary"},
	{"itemknn", 0, {{0}}, 0, "raw"},
	{"svd", 0, {{0}}, 0, "log"},
	{"svd", 0, {{0}}, 0, "raw"},
	{"ease", 0, {{0}}, 0, NULL},
	{"ease", 0, {{0}}, 0, "log"},
	/* history recency (recency.c): skipped, with the reason, without time */
	{"ease", 1, {{"recency", 10}}, 0, NULL},
	{"ease", 1, {{"recency", 20}}, 0, NULL},
	{"itemknn", 1, {{"recency", 5}}, 0, NULL},
	{"itemknn", 1, {{"recency", 10}}, 0, NULL},
	{"als", 1, {{"recency", 3}}, 0, NULL},
	{"als", 1, {{"recency", 10}}, 0, NULL},
	/* the LightFM family: seconds where the others take tenths, and behind
	 * ease / als on validation on both MovieLens sets (bench/TUNING.md) */
	{"warp", 0, {{0}}, 1, NULL},
	{"bpr", 0, {{0}}, 1, NULL},
	{"warp", 1, {{"recency", 5}}, 1, NULL},
	{"warp", 1, {{"recency", 20}}, 1, NULL},
	{"bpr", 1, {{"recency", 10}}, 1, NULL},
	{"bpr", 1, {{"recency", 20}}, 1, NULL},
	/* vae: seconds too, and behind ease on validation (bench/TUNING.md) */
	{"vae", 0, {{0}}, 1, NULL},
	/* two_tower: seconds too; for users and items the side tables describe */
	{"two_tower", 0, {{0}}, SIDE_TOO, NULL},
};
#define N_SPACE (sizeof SPACE / sizeof SPACE[0])
#define MAX_TRIES (N_SPACE + 3)

typedef struct trial {
	rs_config *cfg;    /* owned */
	double ndcg, seconds;
	int failed;
	char label[160];   /* algorithm and options */
	char note[512];    /* why it failed */
} trial;

/* Validation split of m->seen: a training copy and the held-out mask. */
typedef struct vsplit {
	rs_model *base;         /* ids + training interactions only */
	unsigned char *test;    /* per interaction of m->seen */
	int64_t n_test;
	int64_t users;          /* users measured */
	int64_t time_users;     /* users the time cut-off would measure (-1: not tried) */
	const char *name;       /* the rule that ran, for the summary */
} vsplit;

/* Fewer users measured after the validation cut-off than this, and
 * validation "auto" takes the per-user split instead: per-user NDCG@10 has
 * a spread of about 0.3, so the mean over n users is known to 0.3 /
 * sqrt(n), ~.01 at 1,000 users but ~.03 at 100, more than what separates
 * the candidates (session logs, where few users span the cut-off, and
 * small sets). */
#define MIN_TIME_USERS 1000

/* The global time cut-off's split (time_cut.c), when the rows had times:
 * entries with rows before the cut-off train with those rows' weight and
 * latest time; items a user has only at or after it are held out. Sets
 * vs->users; returns 0 (nothing held out) when it has fewer than
 * min_users users to measure. */
static int time_split(const rs_model *m, const rs_time_cut *tc, int64_t min_users, vsplit *vs)
{
	const rs_csr *c = &m->seen;
	if (!tc || isnan(tc->at) || !tc->w_before || !c->ts)
		return 0;
	int64_t users = 0;
	for (int32_t u = 0; u < c->nrows; u++) {
		int trained = 0, tested = 0;
		for (int64_t p = c->indptr[u]; p < c->indptr[u + 1]; p++)
			trained |= tc->w_before[p] > 0;
		for (int64_t p = c->indptr[u]; p < c->indptr[u + 1]; p++)
			tested |= vs->test[p] = trained && c->ts[p] >= tc->at && !(tc->w_before[p] > 0);
		users += tested;
	}
	vs->time_users = users;
	if (users < min_users || users == 0) {
		memset(vs->test, 0, (size_t)rs_csr_nnz(c));
		return 0;
	}
	vs->users = users;
	return 1;
}

/* Copy m's ids and the training part into a fresh model: by the time
 * cut-off (validation "global_time", or "auto" with enough users to
 * measure), else each user's latest 20%. RS_OK, RS_ENOMEM, RS_ECANCELLED,
 * or RS_EDATA (global_time asked, no times). */
static rs_status make_split(rs_train_ctx *ctx, const rs_model *m, uint64_t seed, vsplit *vs)
{
	int64_t nnz = rs_csr_nnz(&m->seen);
	vs->test = rs_malloc((size_t)nnz + 1);
	vs->base = rs_model_alloc();
	if (!vs->test || !vs->base)
		return RS_ENOMEM;
	const rs_time_cut *tc = ctx->cut;
	int mode = ctx->cfg->auto_validation;
	if (mode == RS_AUTO_VALIDATE_TIME && (!tc || isnan(tc->at) || !m->seen.ts))
		return RS_EDATA;
	int by_time = mode != RS_AUTO_VALIDATE_USER &&
	              time_split(m, tc, mode == RS_AUTO_VALIDATE_TIME ? 1 : MIN_TIME_USERS, vs);
	vs->name = by_time ? "global-time-20" : m->seen.ts ? "temporal-20" : "random-20";
	rs_status st = by_time || mode == RS_AUTO_VALIDATE_TIME
	             ? RS_OK : rs_split_holdout(ctx, &m->seen, &m->items, seed, 1, vs->test);
	if (st != RS_OK)
		return st;
	if (rs_idmap_copy(&m->users, &vs->base->users) != RS_OK ||
	    rs_idmap_copy(&m->items, &vs->base->items) != RS_OK ||
	    rs_csr_copy(&m->seen, &vs->base->seen) != RS_OK)
		return RS_ENOMEM;
	rs_csr *c = &vs->base->seen; /* compact in place, keeping the training part */
	int64_t w = 0, start = 0;
	for (int32_t u = 0; u < c->nrows; u++) {
		int64_t end = c->indptr[u + 1];
		int tested = 0;
		for (int64_t k = start; k < end; k++) {
			vs->n_test += vs->test[k];
			tested |= vs->test[k];
			if (by_time ? !(tc->w_before[k] > 0) : vs->test[k])
				continue;
			c->indices[w] = c->indices[k];
			c->data[w] = by_time ? tc->w_before[k] : c->data[k];
			if (c->ts)
				c->ts[w] = by_time ? tc->ts_before[k] : c->ts[k];
			w++;
		}
		vs->users += !by_time && tested;
		start = end;
		c->indptr[u + 1] = w;
	}
	return RS_OK;
}

static void free_split(vsplit *vs)
{
	rs_model_destroy(&vs->base);
	free(vs->test);
}

/* NDCG@10 of model t over the held-out interactions of m; the host is
 * polled every 64 users (*stopped set: the value is meaningless). */
static double validation_ndcg(rs_train_ctx *ctx, const rs_model *m, const rs_model *t,
                              const unsigned char *test, int *stopped)
{
	double sum = 0;
	int users = 0;
	rs_reco rec[10];
	for (int32_t u = 0; u < m->seen.nrows; u++) {
		if (u % 64 == 63 && (rs_step(ctx, u + 1), *stopped = rs_cancelled(ctx)))
			return 0;
		int nt = 0;
		for (int64_t p = m->seen.indptr[u]; p < m->seen.indptr[u + 1]; p++)
			nt += test[p];
		if (nt == 0)
			continue;
		size_t l;
		const char *id = rs_idmap_get(&m->users, u, &l);
		int got = 0;
		rs_error e;
		if (rs_recommend(t, id, l, 10, NULL, rec, &got, &e) != RS_OK)
			got = 0;
		double dcg = 0, idcg = 0;
		for (int q = 0; q < got; q++)
			for (int64_t p = m->seen.indptr[u]; p < m->seen.indptr[u + 1]; p++)
				if (test[p] && m->seen.indices[p] == rec[q].item) {
					dcg += 1.0 / log2(q + 2.0);
					break;
				}
		for (int q = 0; q < (nt < 10 ? nt : 10); q++)
			idcg += 1.0 / log2(q + 2.0);
		sum += dcg / idcg;
		users++;
	}
	return users ? sum / users : 0;
}

/* Train t->cfg on the split's training part and score it on the held-out part. */
static rs_status run_trial(rs_train_ctx *ctx, const rs_model *m, const vsplit *vs, trial *t)
{
	double t0 = rs_mono_seconds();
	rs_model *sub = rs_model_alloc();
	rs_error e = {0};
	rs_status st = RS_ENOMEM;
	snprintf(e.msg, sizeof e.msg, "out of memory");
	if (sub && rs_csr_copy(&vs->base->seen, &sub->seen) == RS_OK &&
	    rs_idmap_copy(&vs->base->users, &sub->users) == RS_OK &&
	    rs_idmap_copy(&vs->base->items, &sub->items) == RS_OK) {
		rs_train_ctx c = {.cfg = t->cfg, .cb = ctx->cb, .rep = ctx->rep, .side = ctx->side,
		                  .pool = ctx->pool};
		atomic_init(&c.stop, 0);
		sub->algo = t->cfg->algo;
		t->cfg->threads = ctx->cfg->threads;
		if (t->cfg->weighting < 0) /* auto's "weighting", else the family's */
			t->cfg->weighting = ctx->cfg->weighting;
		st = rs_fit_model(&c, sub, &e);
	}
	int stopped = 0;
	if (st == RS_OK) {
		rs_phase(ctx, "validating", "user", m->seen.nrows);
		t->ndcg = validation_ndcg(ctx, m, sub, vs->test, &stopped);
	}
	t->seconds = rs_mono_seconds() - t0;
	rs_model_destroy(&sub);
	if (stopped || st == RS_ECANCELLED || rs_cancelled(ctx))
		return RS_ECANCELLED;
	if (st != RS_OK) { /* e.g. EASE over its memory bound: skipped, with the reason */
		t->failed = 1;
		snprintf(t->note, sizeof t->note, "%s", e.msg);
	}
	rs_report_candidate_done(ctx->rep, t->ndcg, t->seconds, t->failed ? t->note : NULL);
	return RS_OK;
}

/* Candidate number *n + 1 (t, already configured) runs and is reported. */
static rs_status try_candidate(rs_train_ctx *ctx, const rs_model *m, const vsplit *vs, trial *t,
                               int *n)
{
	rs_report_candidate(ctx->rep, *n + 1, t->label);
	rs_status st = run_trial(ctx, m, vs, t);
	rs_report_candidate(ctx->rep, 0, NULL);
	(*n)++;
	return st;
}

/* The options of a spec as an rs_opt array (plus the seed); returns count. */
static int spec_kids(const cand_spec *s, uint64_t seed, rs_opt *kids)
{
	int n = 0;
	for (; n < s->n; n++)
		kids[n] = (rs_opt){.kind = RS_OPT_NUMBER, .key = s->kv[n].key, .number = s->kv[n].value};
	if (s->weighting)
		kids[n++] = (rs_opt){.kind = RS_OPT_STRING, .key = "weighting", .string = s->weighting};
	kids[n++] = (rs_opt){.kind = RS_OPT_NUMBER, .key = "seed", .number = (double)(seed & 0x7fffffff)};
	return n;
}

/* A single-algorithm candidate. */
static rs_status spec_trial(const cand_spec *s, uint64_t seed, trial *t, rs_error *err)
{
	rs_opt kids[MAX_KV + 2];
	rs_opt root = {.kind = RS_OPT_OBJECT, .children = kids};
	root.n_children = (size_t)spec_kids(s, seed, kids);
	int len = snprintf(t->label, sizeof t->label, "%s", s->algo);
	for (int k = 0; k < s->n && len < (int)sizeof t->label; k++)
		len += snprintf(t->label + len, sizeof t->label - (size_t)len, " %s=%g", s->kv[k].key,
		                s->kv[k].value);
	if (s->weighting && len < (int)sizeof t->label)
		snprintf(t->label + len, sizeof t->label - (size_t)len, " weighting=%s", s->weighting);
	return rs_config_create(s->algo, &root, 1, &t->cfg, err);
}

/* A hybrid candidate of n specs with weights. */
static rs_status hybrid_trial(const cand_spec *const *specs, const double *w, int n,
                              uint64_t seed, trial *t, rs_error *err)
{
	rs_opt kids[3][MAX_KV + 3], comp[3];
	int len = snprintf(t->label, sizeof t->label, "hybrid");
	for (int p = 0; p < n; p++) {
		int k = spec_kids(specs[p], seed, kids[p]);
		kids[p][k++] = (rs_opt){.kind = RS_OPT_NUMBER, .key = "weight", .number = w[p]};
		comp[p] = (rs_opt){.kind = RS_OPT_OBJECT, .key = specs[p]->algo, .n_children = (size_t)k,
		                   .children = kids[p]};
		len += snprintf(t->label + len, sizeof t->label - (size_t)len, " %g*%s", w[p], specs[p]->algo);
		for (int q = 0; q < specs[p]->n && len < (int)sizeof t->label; q++)
			len += snprintf(t->label + len, sizeof t->label - (size_t)len, "(%s=%g)",
			                specs[p]->kv[q].key, specs[p]->kv[q].value);
		if (specs[p]->weighting && len < (int)sizeof t->label)
			len += snprintf(t->label + len, sizeof t->label - (size_t)len, "(weighting=%s)",
			                specs[p]->weighting);
	}
	rs_opt cobj = {.kind = RS_OPT_OBJECT, .key = "components", .n_children = (size_t)n, .children = comp};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 1, .children = &cobj};
	return rs_config_create("hybrid", &root, 1, &t->cfg, err);
}

/* Indexes of the best successful trial of each algorithm (not popularity),
 * best first: hybrids blend different algorithms, whose errors differ. */
static int best_trials(const trial *t, const cand_spec *const *spec, int n, int *out, int want)
{
	int got = 0;
	for (int k = 0; k < want; k++) {
		int best = -1;
		for (int i = 0; i < n; i++) {
			int taken = 0;
			for (int j = 0; j < got; j++)
				taken |= !strcmp(spec[out[j]]->algo, spec[i] ? spec[i]->algo : "");
			if (taken || t[i].failed || !spec[i] || !strcmp(spec[i]->algo, "popularity"))
				continue;
			if (best < 0 || t[i].ndcg > t[best].ndcg)
				best = i;
		}
		if (best < 0)
			break;
		out[got++] = best;
	}
	return got;
}

/* Record the search as JSON members for the summary. */
static void write_search(rs_text *note, const trial *t, int n, int best)
{
	rs_text_printf(note, "\"chosen\": ");
	rs_text_json_string(note, t[best].label, strlen(t[best].label));
	rs_text_printf(note, ", \"validation_ndcg\": %.4f, \"search\": [", t[best].ndcg);
	for (int i = 0; i < n; i++) {
		rs_text_printf(note, "%s{\"candidate\": ", i ? ", " : "");
		rs_text_json_string(note, t[i].label, strlen(t[i].label));
		if (t[i].failed) {
			rs_text_printf(note, ", \"skipped\": ");
			rs_text_json_string(note, t[i].note, strlen(t[i].note));
		} else {
			rs_text_printf(note, ", \"ndcg\": %.4f", t[i].ndcg);
		}
		rs_text_printf(note, ", \"seconds\": %.3f}", t[i].seconds);
	}
	rs_text_printf(note, "]");
}

/* Families "algorithms" may name: those of the search space. */
static int in_space(const rs_algo_def *d)
{
	for (size_t s = 0; d && s < N_SPACE; s++)
		if (!strcmp(SPACE[s].algo, d->name))
			return 1;
	return 0;
}

rs_status rs_auto_algorithms(rs_config *c, const rs_opt *o, rs_error *err)
{
	static const char *const hint =
		"option \"algorithms\" must be a non-empty array of algorithm names "
		"(popularity, als, itemknn, svd, ease, warp, bpr, vae, two_tower)";
	if (o->kind != RS_OPT_ARRAY || o->n_children == 0)
		return rs_fail(err, RS_EINVAL, "%s", hint);
	unsigned set = 0;
	for (size_t i = 0; i < o->n_children; i++) {
		const rs_opt *e = &o->children[i];
		const rs_algo_def *d = e->kind == RS_OPT_STRING ? rs_algo_named(e->string) : NULL;
		char sn[RS_SHORT_CAP];
		if (!in_space(d))
			return rs_fail(err, RS_EINVAL, "%s; element %zu is %s%s%s", hint, i + 1,
			               e->kind == RS_OPT_STRING ? "\"" : "not a string",
			               e->kind == RS_OPT_STRING ? rs_shorten(e->string, (size_t)-1, sn, sizeof sn)
			                                        : "",
			               e->kind == RS_OPT_STRING ? "\"" : "");
		set |= RS_BIT(d->id);
	}
	c->auto_algos = set;
	return RS_OK;
}

/* Whether the search tries spec s: its family is named, or nothing is
 * named and it is in the default space. */
static int wanted(const rs_config *cfg, const cand_spec *s, const rs_attrs *side)
{
	if (!cfg->auto_algos)
		return !s->on_request ||
		       (s->on_request == SIDE_TOO && side && (side[0].n > 0 || side[1].n > 0));
	const rs_algo_def *d = rs_algo_named(s->algo);
	return d && (cfg->auto_algos & RS_BIT(d->id));
}

/* Whether a "weighting" candidate can differ from its family's defaults:
 * auto's own options leave weighting to the search, the pairs' values
 * are not all the same, and its value is not the family's default. */
static int weighting_pays(const rs_config *cfg, const rs_model *m, const cand_spec *s)
{
	const rs_csr *c = &m->seen;
	int64_t nnz = rs_csr_nnz(c), k = 1;
	while (k < nnz && c->data[k] == c->data[0])
		k++;
	if (cfg->weighting >= 0 || k >= nnz)
		return 0;
	rs_config *probe = NULL;
	rs_error e;
	if (rs_config_create(s->algo, NULL, 1, &probe, &e) != RS_OK)
		return 0;
	int differs = strcmp(rs_weighting_name(rs_weighting_resolve(probe)), s->weighting) != 0;
	rs_config_destroy(&probe);
	return differs;
}

/* Run the single-algorithm part of the search, then the hybrids. */
static rs_status search(rs_train_ctx *ctx, const rs_model *m, const vsplit *vs, trial *t,
                        const cand_spec **spec, int *n, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	double t0 = rs_mono_seconds();
	rs_status st = RS_OK;
	for (size_t s = 0; st == RS_OK && s < N_SPACE; s++) {
		if (!wanted(cfg, &SPACE[s], ctx->side) || (SPACE[s].weighting && !weighting_pays(cfg, m, &SPACE[s])))
			continue;
		if (*n >= 2 && rs_mono_seconds() - t0 > cfg->time_budget)
			break;
		spec[*n] = &SPACE[s];
		st = spec_trial(&SPACE[s], cfg->seed, &t[*n], err);
		if (st == RS_OK)
			st = try_candidate(ctx, m, vs, &t[*n], n);
	}
	int top[3];
	int got = best_trials(t, spec, *n, top, 3);
	static const double W[3][3] = {{1, 1, 0}, {2, 1, 0}, {1, 1, 1}};
	for (int h = 0; st == RS_OK && h < 3; h++) {
		int parts = h == 2 ? 3 : 2;
		if (got < parts || rs_mono_seconds() - t0 > cfg->time_budget)
			break;
		const cand_spec *ps[3] = {spec[top[0]], spec[top[1]], parts == 3 ? spec[top[2]] : NULL};
		spec[*n] = NULL;
		st = hybrid_trial(ps, W[h], parts, cfg->seed, &t[*n], err);
		if (st == RS_OK)
			st = try_candidate(ctx, m, vs, &t[*n], n);
	}
	if (st == RS_ECANCELLED)
		rs_fail(err, RS_ECANCELLED, "training cancelled");
	return st;
}

/* Search, then train the winner on all interactions into m. */
static rs_status auto_fit(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	vsplit vs = {0};
	trial t[MAX_TRIES];
	const cand_spec *spec[MAX_TRIES];
	int n = 0;
	memset(t, 0, sizeof t);
	rs_phase(ctx, "auto split", NULL, 0);
	vs.time_users = -1;
	rs_status st = make_split(ctx, m, ctx->cfg->seed, &vs);
	if (st == RS_ECANCELLED)
		rs_fail(err, RS_ECANCELLED, "training cancelled");
	else if (st == RS_EDATA)
		rs_fail(err, RS_EDATA, "algorithm \"auto\": validation \"global_time\" needs the time of the rows "
		        "(column \"%s\")", rs_config_column(ctx->cfg, RS_COL_TS));
	else if (st != RS_OK)
		st = rs_fail(err, RS_ENOMEM, "out of memory splitting for validation");
	if (st == RS_OK && vs.n_test == 0)
		st = rs_fail(err, RS_EDATA,
		             "algorithm \"auto\" needs users with at least 5 interactions to validate on"
		             " (or, when rows have times, users with new items after a time cut-off)");
	if (st == RS_OK)
		st = search(ctx, m, &vs, t, spec, &n, err);
	int best = -1;
	for (int i = 0; st == RS_OK && i < n; i++)
		if (!t[i].failed && (best < 0 || t[i].ndcg > t[best].ndcg))
			best = i;
	if (st == RS_OK && best < 0)
		st = rs_fail(err, RS_EDATA, "algorithm \"auto\": no candidate could be trained");
	if (st == RS_OK) {
		rs_train_ctx c = {.cfg = t[best].cfg, .cb = ctx->cb, .rep = ctx->rep, .side = ctx->side,
		                  .pool = ctx->pool};
		atomic_init(&c.stop, 0);
		t[best].cfg->threads = ctx->cfg->threads;
		m->algo = t[best].cfg->algo;
		const rs_algo_def *d = rs_algo_find(m->algo);
		rs_report_candidate(ctx->rep, -1, t[best].label);
		rs_phase(&c, d->name, NULL, 0);
		if (m->algo != RS_ALGO_HYBRID) { /* weighting.c: m->seen holds raw values */
			m->weighting = rs_weighting_resolve(t[best].cfg);
			rs_weighting_apply(m->weighting, m->seen.data, (size_t)rs_csr_nnz(&m->seen));
			st = rs_popularity_fit(t[best].cfg, &m->seen, m->pop, err);
		}
		if (st == RS_OK)
			st = d->fit ? d->fit(&c, m, err) : RS_OK;
		rs_report_candidate(ctx->rep, 0, NULL);
		if (st == RS_OK && m->algo == RS_ALGO_ALS) /* fold-in solves with them */
			rs_model_keep_als(m, &c);
		rs_text_printf(&ctx->note, "\"validation\": \"%s\", \"validation_users\": %lld, ", vs.name,
		               (long long)vs.users);
		if (vs.time_users >= 0 && strcmp(vs.name, "global-time-20"))
			rs_text_printf(&ctx->note, "\"global_time_users\": %lld, ", (long long)vs.time_users);
		write_search(&ctx->note, t, n, best);
		rs_text_printf(&ctx->note, ", \"chosen_params\": {");
		d->params(&c, &ctx->note);
		rs_text_printf(&ctx->note, "}");
	}
	for (int i = 0; i < n; i++)
		rs_config_destroy(&t[i].cfg);
	free_split(&vs);
	return st;
}

/* Summary: the budget, the winner and the whole search. */
static void auto_params(const rs_train_ctx *ctx, rs_text *t)
{
	rs_text_printf(t, "\"time_budget\": %g%s%s", ctx->cfg->time_budget,
	               ctx->note.buf ? ", " : "", ctx->note.buf ? ctx->note.buf : "");
}

static const rs_opt_spec AUTO_OPTIONS[] = {
	{"time_budget", RS_T_NUM, offsetof(rs_config, time_budget), 60, 1, 86400, NULL},
	{"validation", RS_T_CHOICE, offsetof(rs_config, auto_validation), RS_AUTO_VALIDATE_AUTO, 0, 0,
	 "auto|global_time|user"},
};

const rs_algo_def rs_def_auto = {
	.id = RS_ALGO_AUTO,
	.name = "auto",
	.fit = auto_fit,
	.params = auto_params,
	.options = AUTO_OPTIONS,
	.n_options = sizeof AUTO_OPTIONS / sizeof AUTO_OPTIONS[0],
};
