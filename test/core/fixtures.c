/* fixtures.c - builders of small models and option trees for unit tests. */
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const rs_opt *make_opts(opts_buf *b, int n, const char *const *kv)
{
	static char keys[16][64];
	static char vals[16][64];
	for (int k = 0; k < n; k++) {
		const char *eq = strchr(kv[k], '=');
		snprintf(keys[k], sizeof keys[k], "%.*s", (int)(eq - kv[k]), kv[k]);
		snprintf(vals[k], sizeof vals[k], "%s", eq + 1);
		char *end;
		double v = strtod(vals[k], &end);
		b->kids[k] = (rs_opt){.key = keys[k]};
		if (*end == '\0' && end != vals[k]) {
			b->kids[k].kind = RS_OPT_NUMBER;
			b->kids[k].number = v;
		} else if (!strcmp(vals[k], "true") || !strcmp(vals[k], "false")) {
			b->kids[k].kind = RS_OPT_BOOL;
			b->kids[k].boolean = vals[k][0] == 't';
		} else {
			b->kids[k].kind = RS_OPT_STRING;
			b->kids[k].string = vals[k];
		}
	}
	b->root = (rs_opt){.kind = RS_OPT_OBJECT, .n_children = (size_t)n, .children = b->kids};
	return &b->root;
}

static int keep_private; /* train_blocks_writable: never map */

rs_status train_blocks_writable(const char *algo, int n, const char *const *kv, int nu, int ni,
                                rs_model **m, rs_error *err)
{
	keep_private = 1;
	rs_status st = train_blocks(algo, n, kv, nu, ni, m, err);
	keep_private = 0;
	return st;
}

rs_status train_blocks(const char *algo, int n, const char *const *kv, int nu, int ni,
                       rs_model **m, rs_error *err)
{
	opts_buf ob;
	return train_blocks_opts(algo, make_opts(&ob, n, kv), nu, ni, m, err);
}

rs_status train_blocks_opts(const char *algo, const rs_opt *opts, int nu, int ni, rs_model **m,
                            rs_error *err)
{
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	char *summary = NULL;
	rs_status st = rs_config_create(algo, opts, 1, &cfg, err);
	if (st == RS_OK)
		st = rs_builder_create(cfg, &b, err);
	for (int u = 0; st == RS_OK && u < nu; u++) {
		int g = u < nu / 2;
		for (int i = 0; st == RS_OK && i < ni; i++) {
			int gi = i < ni / 2;
			if (g != gi || (i % (ni / 2)) == (u % (ni / 2)))
				continue; /* other group, or the held-out item */
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "u%d", u), il = snprintf(is, sizeof is, "i%d", i);
			st = rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 1,
			                    1000.0 + i, err);
		}
	}
	if (st == RS_OK)
		st = rs_train(cfg, b, NULL, m, &summary, err);
	/* RS_TEST_MAPPED (run.sh's second pass): every test serves from a
	 * read-only mapped serving image, which proves serving never writes */
	if (st == RS_OK && getenv("RS_TEST_MAPPED") && !keep_private && !image_remap(m)) {
		st = err->status = RS_ENOMEM;
		snprintf(err->msg, sizeof err->msg, "mapping the serving image failed");
	}
	rs_free(summary);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return st;
}

/* Cancel callback: asks to stop after *ctx reaches the limit in ctx[1]. */
static int cancel_after_calls(void *ctx)
{
	int *c = ctx;
	return ++c[0] > c[1];
}

int train_cancelled(const char *algo, int after_calls, int nu, int ni)
{
	rs_config *c = NULL;
	rs_builder *b = NULL;
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	int calls[2] = {0, after_calls};
	rs_callbacks cb = {.cancel = cancel_after_calls, .ctx = calls};
	int ok = rs_config_create(algo, NULL, 2, &c, &e) == RS_OK && rs_builder_create(c, &b, &e) == RS_OK;
	for (int u = 0; ok && u < nu; u++)
		for (int i = u % 7; i < ni; i += 7) {
			char us[16], is[16];
			int ul = snprintf(us, sizeof us, "%d", u), il = snprintf(is, sizeof is, "%d", i);
			rs_builder_add(b, us, (size_t)ul, is, (size_t)il, 0, 1, NULL, 0, 0, 0, &e);
		}
	ok = ok && rs_train(c, b, &cb, &m, &sum, &e) == RS_ECANCELLED && m == NULL && sum == NULL;
	rs_model_destroy(&m);
	rs_free(sum);
	rs_builder_destroy(&b);
	rs_config_destroy(&c);
	return ok;
}

void add_shop_items(rs_builder *b, int n, double offset)
{
	rs_error e;
	for (int i = 0; i < n; i++) {
		char is[16], cat[16];
		int il = snprintf(is, sizeof is, "i%d", i), cl = snprintf(cat, sizeof cat, "c%d", i % 4);
		rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "price", NULL, 0, 1, i + offset, &e);
		rs_builder_add_attribute(b, RS_SIDE_ITEMS, is, (size_t)il, "category", cat, (size_t)cl, 0, 0, &e);
	}
}
