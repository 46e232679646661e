/* test_events.c - event logs (core/events.c): the purchase event chosen,
 * per-pair strongest event and last purchase, per-user counts and
 * purchases, intervals from purchases only, reason verbs, blob sections
 * 45-47 (round trip, damaged values refused, older blobs without them). */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ev_row { const char *u, *i, *ev; double w, ts; } ev_row;

/* u0 views, carts and buys i0 minutes apart (2 units), views i1, shares
 * i2, buys i3; u1 buys i0 twice 7 days apart and views i3. */
static const ev_row ROWS[] = {
	{"u0", "i0", "view", 1, 100}, {"u0", "i0", "cart", 1, 160}, {"u0", "i0", "purchase", 2, 220},
	{"u0", "i1", "view", 1, 300}, {"u0", "i2", "share", 1, 310}, {"u0", "i3", "purchase", 1, 400},
	{"u1", "i0", "purchase", 1, 100}, {"u1", "i0", "purchase", 1, 100 + 7 * 86400.0},
	{"u1", "i3", "view", 1, 500}, {"u1", "i2", "nope", 1, 500}};

/* A popularity model of ROWS with event weights and purchase_event pe
 * (NULL: absent; "-": null). */
static rs_status events_model(const char *pe, rs_model **m, char **sum, rs_error *e)
{
	rs_opt ew[4] = {{.kind = RS_OPT_NUMBER, .key = "view", .number = 0.1},
	                {.kind = RS_OPT_NUMBER, .key = "cart", .number = 0.5},
	                {.kind = RS_OPT_NUMBER, .key = "Purchase", .number = 1},
	                {.kind = RS_OPT_NUMBER, .key = "share", .number = 0.3}};
	ew[2].key = "purchase";
	rs_opt kids[2] = {{.kind = RS_OPT_OBJECT, .key = "event_weights", .n_children = 4, .children = ew},
	                  {.kind = pe && !strcmp(pe, "-") ? RS_OPT_NULL : RS_OPT_STRING,
	                   .key = "purchase_event", .string = pe}};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = pe ? 2 : 1, .children = kids};
	rs_config *cfg = NULL;
	rs_builder *b = NULL;
	rs_status st = rs_config_create("popularity", &root, 1, &cfg, e);
	if (st == RS_OK)
		st = rs_builder_create(cfg, &b, e);
	for (size_t r = 0; st == RS_OK && r < sizeof ROWS / sizeof ROWS[0]; r++)
		st = rs_builder_add(b, ROWS[r].u, 2, ROWS[r].i, 2, 1, ROWS[r].w, ROWS[r].ev,
		                    strlen(ROWS[r].ev), 1, ROWS[r].ts, e);
	if (st == RS_OK)
		st = rs_train(cfg, b, NULL, m, sum, e);
	rs_builder_destroy(&b);
	rs_config_destroy(&cfg);
	return st;
}

static int64_t pair(const rs_model *m, const char *u, const char *i)
{
	return rs_csr_find(&m->seen, rs_idmap_find(&m->users, u, 2), rs_idmap_find(&m->items, i, 2));
}

static int32_t ev_index(const rs_model *m, const char *name)
{
	return rs_idmap_find(&m->events, name, strlen(name));
}

void test_events_kept(void)
{
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	CHECK(events_model(NULL, &m, &sum, &e) == RS_OK);
	if (!m)
		return;
	CHECK(sum && strstr(sum, "\"purchase_event\": \"purchase\""));
	int32_t buy = ev_index(m, "purchase"), view = ev_index(m, "view");
	CHECK(m->purchase_ev == buy && m->pair_ev && m->pair_buy && m->user_ev && m->user_buy);
	int64_t p00 = pair(m, "u0", "i0"), p01 = pair(m, "u0", "i1"), p02 = pair(m, "u0", "i2");
	CHECK(m->pair_ev[p00] == buy && m->pair_buy[p00] == 220);
	CHECK(m->pair_ev[p01] == view && isnan(m->pair_buy[p01]));
	CHECK(m->pair_ev[p02] == ev_index(m, "share") && isnan(m->pair_buy[p02]));
	int32_t u0 = rs_idmap_find(&m->users, "u0", 2);
	const uint32_t *c = m->user_ev + (size_t)u0 * m->events.n;
	CHECK(c[view] == 2 && c[ev_index(m, "cart")] == 1 && c[buy] == 2 && c[ev_index(m, "share")] == 1);
	const double *ub = m->user_buy + (size_t)u0 * 4;
	CHECK(ub[0] == 2 && ub[1] == 220 && ub[2] == 400 && isnan(ub[3]));
	/* i0's interval is u1's 7 days; u0's funnel minutes apart is one purchase */
	int32_t i0 = rs_idmap_find(&m->items, "i0", 2);
	CHECK(m->item_interval && m->item_interval[i0] == 7 * 86400.0);
	/* verbs */
	char buf[96];
	CHECK(rs_pair_verb(m, p00) == RS_VERB_BOUGHT);
	rs_reason_verb(m, rs_pair_verb(m, p01), "i1", 2, buf, sizeof buf);
	CHECK(!strcmp(buf, "because you viewed i1"));
	rs_reason_verb(m, rs_pair_verb(m, p02), "i2", 2, buf, sizeof buf);
	CHECK(!strcmp(buf, "because of i2 (event \"share\")"));
	rs_reason_verb(m, (uint8_t)(RS_VERB_EVENT + ev_index(m, "cart")), "i0", 2, buf, sizeof buf);
	CHECK(!strcmp(buf, "because you added i0 to your cart"));
	rs_reason_verb(m, RS_VERB_NEUTRAL, "i0", 2, buf, sizeof buf);
	CHECK(!strcmp(buf, "because of i0"));
	/* the profile */
	rs_profile pr;
	CHECK(rs_user_profile(m, "u0", 2, NULL, &pr, &e) == RS_OK && pr.purchases == 2 &&
	      pr.last_purchase == 400 && pr.event_counts &&
	      !strcmp(pr.event_counts, "{\"view\": 2, \"cart\": 1, \"purchase\": 2, \"share\": 1}") &&
	      pr.customer_type && !strcmp(pr.customer_type, "at_risk"));
	rs_profile_clear(&pr);
	rs_free(sum);
	rs_model_destroy(&m);
}

void test_events_purchase_option(void)
{
	rs_model *m = NULL;
	char *sum = NULL;
	rs_error e;
	CHECK(events_model("cart", &m, &sum, &e) == RS_OK && m && m->purchase_ev == ev_index(m, "cart"));
	rs_free(sum);
	rs_model_destroy(&m);
	sum = NULL;
	CHECK(events_model("-", &m, &sum, &e) == RS_OK && m && m->purchase_ev == -1 && !m->item_interval &&
	      sum && strstr(sum, "\"purchase_event\": null"));
	if (m) { /* no purchase: nothing is bought, repurchase_cycle refused */
		CHECK(isnan(m->pair_buy[pair(m, "u0", "i0")]) && m->user_buy[0] == 0);
		CHECK(rs_events_check_repurchase(m, &e) == RS_EINVAL && strstr(e.msg, "purchase_event"));
	}
	rs_free(sum);
	rs_model_destroy(&m);
	sum = NULL;
	CHECK(events_model("order", &m, &sum, &e) == RS_EINVAL && !m &&
	      strstr(e.msg, "\"order\" is not an event of \"event_weights\""));
}

void test_events_blob(void)
{
	rs_model *m = NULL, *m2 = NULL;
	char *sum = NULL;
	rs_error e;
	unsigned char *blob = NULL;
	size_t len = 0;
	CHECK(events_model(NULL, &m, &sum, &e) == RS_OK);
	if (!m)
		return;
	size_t nnz = (size_t)rs_csr_nnz(&m->seen), nu = m->users.n, ne = m->events.n;
	CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK && rs_model_load(blob, len, &m2, &e) == RS_OK);
	if (m2) {
		CHECK(m2->purchase_ev == m->purchase_ev && !memcmp(m2->pair_ev, m->pair_ev, nnz) &&
		      !memcmp(m2->user_ev, m->user_ev, nu * ne * 4) && m2->n_spend == m->n_spend);
		for (size_t p = 0; p < nnz; p++)
			CHECK((isnan(m2->pair_buy[p]) && isnan(m->pair_buy[p])) || m2->pair_buy[p] == m->pair_buy[p]);
	}
	rs_free(blob);
	rs_model_destroy(&m2);
	/* a damaged event index is refused */
	if (!m->img_mapped) {
		uint8_t keep = m->pair_ev[0];
		m->pair_ev[0] = 9;
		CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK &&
		      rs_model_load(blob, len, &m2, &e) == RS_ECORRUPT && !m2);
		rs_free(blob);
		m->pair_ev[0] = keep;
		/* a blob without the sections (before 0.2.0 kept them) serves as before */
		rs_events_free(m);
		CHECK(rs_model_save(m, &blob, &len, &e) == RS_OK && rs_model_load(blob, len, &m2, &e) == RS_OK);
		if (m2) {
			rs_profile pr;
			CHECK(!m2->user_buy && rs_events_check_repurchase(m2, &e) == RS_OK);
			CHECK(rs_user_profile(m2, "u0", 2, NULL, &pr, &e) == RS_OK && pr.purchases == -1 &&
			      !pr.event_counts && !pr.customer_type);
			CHECK(rs_pair_verb(m2, 0) == RS_VERB_NEUTRAL);
		}
		rs_free(blob);
		rs_model_destroy(&m2);
	}
	rs_free(sum);
	rs_model_destroy(&m);
}
