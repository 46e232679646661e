/*
 * train.c - rs_train: from the builder's rows to a model and a JSON summary.
 * One layer owns the threads (REFERENCE.md: 38x slower otherwise): while the
 * core's threads run, OpenBLAS is held to one thread, and restored after.
 */
#include "internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "items_table" / "users_table": what the binding read from a side table
 * the options name (entities, columns, non-NULL cells as numbers / text). */
static void side_json(rs_text *t, const rs_config *cfg, const rs_attrs *a, rs_side side)
{
	if (!rs_config_side_source(cfg, side))
		return;
	size_t numbers = 0;
	for (size_t k = 0; k < a->n; k++)
		numbers += !isnan(a->cells[k].number);
	rs_text_printf(t, "\"%s_table\": {\"entities\": %zu, \"columns\": %zu, \"cells\": %zu, "
	               "\"numbers\": %zu, \"texts\": %zu}, ",
	               side == RS_SIDE_ITEMS ? "items" : "users", a->ids.n, a->columns.n, a->n,
	               numbers, a->n - numbers);
}

/* "weighting": the model's (weighting.c), or a hybrid's per component. */
static void weighting_json(rs_text *t, const rs_model *m)
{
	if (m->n_parts == 0) {
		rs_text_printf(t, "\"weighting\": \"%s\", ", rs_weighting_name(m->weighting));
		return;
	}
	rs_text_printf(t, "\"weighting\": {");
	for (int32_t p = 0; p < m->n_parts; p++)
		rs_text_printf(t, "%s\"%s\": \"%s\"", p ? ", " : "",
		               rs_algo_find(m->parts[p]->algo)->name, rs_weighting_name(m->parts[p]->weighting));
	rs_text_printf(t, "}, ");
}

/* The summary returned by recsys_train(), as a JSON object. */
static char *summary_json(const rs_train_ctx *ctx, const rs_builder *b, const rs_model *m,
                          uint64_t dup, double seconds)
{
	rs_text t = {0};
	rs_text_printf(&t, "{\"algorithm\": \"%s\", \"users\": %zu, \"items\": %zu, "
	               "\"interactions\": %zu, \"rows_read\": %llu, ",
	               rs_config_algorithm(ctx->cfg), m->users.n, m->items.n, rs_model_n_interactions(m),
	               (unsigned long long)b->rows_read);
	rs_text_printf(&t, "\"skipped\": {\"null_user\": %llu, \"null_item\": %llu, "
	               "\"nonpositive_weight\": %llu, \"unknown_event\": %llu}, "
	               "\"duplicates_merged\": %llu, ",
	               (unsigned long long)b->null_user, (unsigned long long)b->null_item,
	               (unsigned long long)b->nonpositive, (unsigned long long)b->unknown_event,
	               (unsigned long long)dup);
	/* events.c: the event counted as a purchase, null none (without
	 * event_weights every row is one, and nothing is said) */
	const char *pe = rs_config_purchase_event(ctx->cfg);
	if (ctx->cfg->n_events)
		rs_text_printf(&t, "\"purchase_event\": ");
	if (pe)
		rs_text_json_string(&t, pe, strlen(pe));
	if (ctx->cfg->n_events)
		rs_text_printf(&t, "%s, ", pe ? "" : "null");
	side_json(&t, ctx->cfg, &b->side[RS_SIDE_ITEMS], RS_SIDE_ITEMS);
	side_json(&t, ctx->cfg, &b->side[RS_SIDE_USERS], RS_SIDE_USERS);
	if (ctx->prices.column) /* filters.c: numeric text is a price, other text "unparsed" */
		rs_text_printf(&t, "\"prices\": {\"known\": %lld, \"unparsed\": %lld, \"missing\": %lld}, ",
		               (long long)ctx->prices.known, (long long)ctx->prices.unparsed,
		               (long long)ctx->prices.missing);
	weighting_json(&t, m);
	rs_text_printf(&t, "\"seconds\": %.3f, \"threads\": %d, \"params\": {", seconds, ctx->cfg->threads);
	rs_algo_find(ctx->cfg->algo)->params(ctx, &t);
	rs_text_printf(&t, "}, ");
	if (m->ivf_nlist) /* the approximate index (ivf.c) */
		rs_text_printf(&t, "\"index\": {\"kind\": \"ivf\", \"lists\": %d}, ", (int)m->ivf_nlist);
	rs_text_printf(&t, "\"model_bytes\": %zu}", rs_model_memory(m));
	if (t.oom) {
		free(t.buf);
		return NULL;
	}
	return t.buf;
}

/* Message for a source that left nothing to train on. */
rs_status rs_empty_source(const rs_builder *b, rs_error *err)
{
	return rs_fail(err, RS_EDATA,
	               "source has no usable interactions (%llu rows read; skipped: %llu null user, "
	               "%llu null item, %llu non-positive weight, %llu unknown event)",
	               (unsigned long long)b->rows_read, (unsigned long long)b->null_user,
	               (unsigned long long)b->null_item, (unsigned long long)b->nonpositive,
	               (unsigned long long)b->unknown_event);
}

/* Fit the configured algorithm into m (whose seen matrix is set). */
rs_status rs_fit_model(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	m->pop = rs_malloc(rs_mul(m->items.n, sizeof *m->pop));
	if (!m->pop)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	const rs_algo_def *def = rs_algo_find(cfg->algo);
	rs_phase(ctx, def->name, NULL, 0);
	if (cfg->algo != RS_ALGO_HYBRID && cfg->algo != RS_ALGO_AUTO) {
		/* weighting.c; hybrid components and auto's candidates apply their own */
		m->weighting = rs_weighting_resolve(cfg);
		rs_weighting_apply(m->weighting, m->seen.data, (size_t)rs_csr_nnz(&m->seen));
	}
	rs_status st = rs_popularity_fit(cfg, &m->seen, m->pop, err);
	if (st == RS_OK && rs_cancelled(ctx))
		st = rs_fail(err, RS_ECANCELLED, "training cancelled");
	if (st == RS_OK && def->fit)
		st = def->fit(ctx, m, err);
	if (st == RS_OK)
		st = rs_model_keep_fold(m, ctx, err);
	if (st == RS_OK && ctx->side && !m->item_price && !m->item_cat)
		st = rs_item_meta(m, &ctx->side[RS_SIDE_ITEMS], &ctx->prices, err);
	if (st == RS_OK && m->algo == RS_ALGO_ALS && m->factors > 0 && !m->item_gram) {
		/* what rs_model_prepare derives, computed here where it can stop */
		size_t f = (size_t)m->factors;
		m->item_gram = rs_calloc(f * f, sizeof *m->item_gram);
		st = m->item_gram ? rs_gram(ctx, m->item_f, (int32_t)m->items.n, (int)f, m->item_gram, err)
		                  : rs_fail(err, RS_ENOMEM, "out of memory preparing the model");
	}
	if (st == RS_OK && rs_cancelled(ctx))
		st = rs_fail(err, RS_ECANCELLED, "training cancelled");
	if (st == RS_OK)
		st = rs_model_prepare(m, err);
	return st;
}

rs_status rs_train_reported(const rs_config *cfg, rs_builder *b, const rs_callbacks *cb,
                            rs_reporter *rep, rs_model **out, char **summary, rs_error *err)
{
	*out = NULL;
	*summary = NULL;
	if (b->n == 0)
		return rs_empty_source(b, err);
	double t0 = rs_mono_seconds();
	rs_train_ctx ctx = {.cfg = cfg, .cb = cb, .rep = rep, .side = b->side};
	atomic_init(&ctx.stop, 0);
	rs_phase(&ctx, "building", NULL, 0);
	rs_model *m = rs_model_alloc();
	if (!m)
		return rs_fail(err, RS_ENOMEM, "out of memory");
	ctx.pool = rs_pool_new(); /* its threads end below, whatever happens */
	m->algo = cfg->algo;
	m->trained_at = rs_now_seconds();
	uint64_t dup = 0;
	if (cfg->algo == RS_ALGO_AUTO) { /* auto validates like deployment when rows have times */
		b->cut.fraction = RS_AUTO_VALIDATION_FRACTION;
		ctx.cut = &b->cut;
	}
	rs_status st = rs_builder_finish(b, &ctx, &m->seen, &m->users, &m->items, &dup, err);
	int blas_threads = openblas_get_num_threads();
	openblas_set_num_threads(1);
	if (st == RS_OK)
		st = rs_fit_model(&ctx, m, err);
	if (st == RS_OK && (st = rs_ivf_train(&ctx, m, err)) == RS_OK && m->ivf_nlist)
		st = rs_ivf_prepare(m, err);
	openblas_set_num_threads(blas_threads);
	rs_train_ctx_end(&ctx);
	rs_time_cut_free(&b->cut);
	ctx.cut = NULL;
	if (st == RS_OK)
		st = rs_model_keep_stats(m, b, err);
	if (st == RS_OK) {
		*summary = summary_json(&ctx, b, m, dup, rs_mono_seconds() - t0);
		if (!*summary)
			st = rs_fail(err, RS_ENOMEM, "out of memory");
	}
	free(ctx.note.buf);
	if (st != RS_OK) {
		rs_model_destroy(&m);
		return st;
	}
	*out = m;
	return RS_OK;
}

rs_status rs_train(const rs_config *cfg, rs_builder *b, const rs_callbacks *cb,
                   rs_model **out, char **summary, rs_error *err)
{
	*out = NULL;
	*summary = NULL;
	if (!cfg || !b)
		return rs_fail(err, RS_EINVAL, "configuration and builder must not be NULL");
	if (cfg->eval_given)
		return rs_fail(err, RS_EINVAL,
		               "options \"split\", \"test_fraction\" and \"repeats\" are recsys_evaluate()'s, "
		               "not training's");
	rs_report_start(&b->rep, cb);
	b->rep.rows = b->rows_read;
	rs_status st = rs_train_reported(cfg, b, cb, &b->rep, out, summary, err);
	if (st == RS_OK)
		rs_report_end(&b->rep);
	return st;
}
