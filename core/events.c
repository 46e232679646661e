/*
 * events.c - what the model keeps of a log's event types and purchases, so
 * serving can tell a view from a purchase (issue 13, A1-A3).
 *
 * Training option "purchase_event" names the event of event_weights that is
 * a purchase; absent, the first of PURCHASE_NAMES that event_weights names
 * (case-insensitively) is; null turns it off. Without an event column every
 * row is a purchase (an orders table).
 *
 * The builder tags each row with its event and quantity (the row's weight
 * column value, else 1) and, once rows are sorted by user then item and
 * before duplicates merge, rs_ev_stats_make learns per (user, item) pair the
 * strongest event (largest event weight) and the last purchase time, per
 * user the rows of each event and the purchase rows, first and last purchase
 * time; rs_model_keep_events then adds each user's total spend (sum of price
 * x quantity over purchase rows, prices from the items table). Blob sections
 * 45-47 (model_io.c); older blobs have none and serve as before.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Event names taken for a purchase when "purchase_event" is absent. */
static const char *const PURCHASE_NAMES[] = {
	"purchase", "purchases", "purchased", "buy", "bought", "order", "ordered", "orders",
	"transaction", "checkout", "sale"};
#define N_PURCHASE_NAMES (sizeof PURCHASE_NAMES / sizeof PURCHASE_NAMES[0])

rs_status rs_purchase_event_take(rs_config *c, const rs_opt *o, rs_error *err)
{
	free(c->purchase_event);
	c->purchase_event = NULL;
	c->purchase_off = 0;
	if (o->kind == RS_OPT_NULL) {
		c->purchase_off = 1;
		return RS_OK;
	}
	if (o->kind != RS_OPT_STRING || o->string[0] == '\0')
		return rs_fail(err, RS_EINVAL,
		               "option \"purchase_event\" must be an event name of \"event_weights\" or null");
	c->purchase_event = strdup(o->string);
	return c->purchase_event ? RS_OK : rs_fail(err, RS_ENOMEM, "out of memory");
}

rs_status rs_purchase_event_resolve(rs_config *c, rs_error *err)
{
	c->purchase_ev = -1;
	if (c->purchase_event) {
		for (size_t e = 0; e < c->n_events; e++)
			if (!strcmp(c->event_names[e], c->purchase_event)) {
				c->purchase_ev = (int)e;
				return RS_OK;
			}
		char se[RS_SHORT_CAP];
		return rs_fail(err, RS_EINVAL,
		               "option \"purchase_event\": \"%s\" is not an event of \"event_weights\"",
		               rs_shorten(c->purchase_event, (size_t)-1, se, sizeof se));
	}
	for (size_t k = 0; !c->purchase_off && k < N_PURCHASE_NAMES; k++)
		for (size_t e = 0; e < c->n_events; e++)
			if (!strcasecmp(c->event_names[e], PURCHASE_NAMES[k])) {
				c->purchase_ev = (int)e;
				return RS_OK;
			}
	return RS_OK;
}

const char *rs_config_purchase_event(const rs_config *c)
{
	return c->purchase_ev >= 0 ? c->event_names[c->purchase_ev] : NULL;
}

void rs_tags_permute(rs_row_tags *t, const uint64_t *keys, int64_t n)
{
	if (!t->ev)
		return;
	uint8_t *ev = t->ev + t->at;
	float *q = t->q + t->at, *tmp = t->tmp;
	/* tmp: room for the longest segment, floats (events fit in them too) */
	for (int64_t k = 0; k < n; k++)
		tmp[k] = q[keys[k] & UINT32_MAX];
	memcpy(q, tmp, (size_t)n * sizeof *q);
	for (int64_t k = 0; k < n; k++)
		tmp[k] = ev[keys[k] & UINT32_MAX];
	for (int64_t k = 0; k < n; k++)
		ev[k] = (uint8_t)tmp[k];
}

void rs_tags_free(rs_row_tags *t)
{
	free(t->ev);
	free(t->q);
	free(t->tmp);
	memset(t, 0, sizeof *t);
}

void rs_ev_stats_free(rs_ev_stats *s)
{
	free(s->pair_ev);
	free(s->pair_buy);
	free(s->pair_qty);
	free(s->user_ev);
	free(s->user_buy);
	memset(s, 0, sizeof *s);
}

/* Fold row k (event ev, 255 none) into pair p and user u's statistics. */
static void add_row(rs_ev_stats *s, const rs_config *cfg, int32_t u, int64_t p, uint8_t ev,
                    float q, double ts)
{
	size_t ne = cfg->n_events;
	if (ev < ne) {
		s->user_ev[(size_t)u * ne + ev]++;
		if (s->pair_ev[p] == 255 || cfg->event_weights[ev] > cfg->event_weights[s->pair_ev[p]])
			s->pair_ev[p] = ev;
	}
	if (ne ? (int)ev != cfg->purchase_ev : 0)
		return; /* without an event column every row is a purchase */
	double *ub = s->user_buy + (size_t)u * 4;
	ub[0]++;
	s->pair_qty[p] += q;
	if (isnan(ts)) {
		if (s->pair_buy && isnan(s->pair_buy[p]))
			s->pair_buy[p] = -INFINITY; /* bought, time unknown */
		return;
	}
	ub[1] = isnan(ub[1]) || ts < ub[1] ? ts : ub[1];
	ub[2] = isnan(ub[2]) || ts > ub[2] ? ts : ub[2];
	if (s->pair_buy && (isnan(s->pair_buy[p]) || ts > s->pair_buy[p]))
		s->pair_buy[p] = ts;
}

rs_status rs_ev_stats_make(rs_builder *b, const rs_csr *c, const int64_t *start, int32_t nu,
                           const rs_row_tags *tags, rs_error *err)
{
	const rs_config *cfg = b->cfg;
	size_t ne = cfg->n_events, pairs = 0;
	rs_ev_stats *s = &b->evs;
	rs_ev_stats_free(s);
	for (int32_t u = 0; u < nu; u++)
		for (int64_t k = start[u]; k < start[u + 1]; k++)
			pairs += k == start[u] || c->indices[k] != c->indices[k - 1];
	s->users = (size_t)nu;
	s->pairs = pairs;
	s->pair_qty = rs_calloc(pairs + 1, sizeof *s->pair_qty);
	s->user_buy = rs_malloc(rs_mul((size_t)nu + 1, 4 * sizeof *s->user_buy));
	if (ne) {
		s->pair_ev = rs_malloc(pairs + 1);
		s->pair_buy = rs_malloc(rs_mul(pairs + 1, sizeof *s->pair_buy));
		s->user_ev = rs_calloc(rs_mul((size_t)nu + 1, ne), sizeof *s->user_ev);
	}
	if (!s->pair_qty || !s->user_buy || (ne && (!s->pair_ev || !s->pair_buy || !s->user_ev))) {
		rs_ev_stats_free(s);
		return rs_fail(err, RS_ENOMEM, "out of memory counting events");
	}
	for (size_t p = 0; ne && p < pairs; p++) {
		s->pair_ev[p] = 255;
		s->pair_buy[p] = NAN;
	}
	int64_t p = -1;
	for (int32_t u = 0; u < nu; u++) {
		double *ub = s->user_buy + (size_t)u * 4;
		ub[0] = 0;
		ub[1] = ub[2] = ub[3] = NAN;
		for (int64_t k = start[u]; k < start[u + 1]; k++) {
			p += k == start[u] || c->indices[k] != c->indices[k - 1];
			add_row(s, cfg, u, p, tags->ev ? tags->ev[k] : 255, tags->q ? tags->q[k] : c->data[k],
			        c->ts ? c->ts[k] : NAN);
		}
	}
	return RS_OK;
}

rs_status rs_model_keep_events(rs_model *m, rs_builder *b, rs_error *err)
{
	rs_ev_stats *s = &b->evs;
	size_t nu = m->users.n, ne = m->events.n, nnz = (size_t)rs_csr_nnz(&m->seen);
	/* the pairs must be the seen matrix's (side tables add users, not pairs);
	 * if training changed them, keep nothing rather than misaligned facts */
	if (!s->user_buy || s->pairs != nnz || s->users > nu) {
		rs_ev_stats_free(s);
		return RS_OK;
	}
	uint32_t *uev = ne ? rs_calloc(rs_mul(nu + 1, ne), sizeof *uev) : NULL;
	double *ub = rs_malloc(rs_mul(nu + 1, 4 * sizeof *ub));
	if ((ne && !uev) || !ub) {
		free(uev);
		free(ub);
		return rs_fail(err, RS_ENOMEM, "out of memory keeping event statistics");
	}
	for (size_t u = 0; u < nu; u++) { /* users the side tables added come last */
		double *o = ub + u * 4;
		if (u < s->users) {
			memcpy(o, s->user_buy + u * 4, 4 * sizeof *o);
			if (ne)
				memcpy(uev + u * ne, s->user_ev + u * ne, ne * sizeof *uev);
		} else {
			o[0] = 0;
			o[1] = o[2] = o[3] = NAN;
		}
		/* spend: price x quantity over the purchased pairs that have a price */
		for (int64_t p = m->seen.indptr[u]; m->item_price && u < s->users && p < m->seen.indptr[u + 1];
		     p++) {
			float pr = m->item_price[m->seen.indices[p]];
			if (s->pair_qty[p] > 0 && !isnan(pr))
				o[3] = (isnan(o[3]) ? 0 : o[3]) + (double)pr * s->pair_qty[p];
		}
	}
	rs_events_free(m);
	m->user_ev = uev;
	m->user_buy = ub;
	m->purchase_ev = b->cfg->purchase_ev;
	if (ne) { /* the pairs are the seen matrix's: side tables add none */
		m->pair_ev = s->pair_ev;
		m->pair_buy = s->pair_buy;
		s->pair_ev = NULL;
		s->pair_buy = NULL;
	}
	rs_ev_stats_free(s);
	return rs_spend_prepare(m, err);
}

void rs_events_free(rs_model *m)
{
	free(m->pair_ev);
	free(m->pair_buy);
	free(m->user_ev);
	free(m->user_buy);
	free(m->spend_sorted);
	m->pair_ev = NULL;
	m->pair_buy = NULL;
	m->user_ev = NULL;
	m->user_buy = NULL;
	m->spend_sorted = NULL;
	m->n_spend = 0;
}

double rs_pair_buy_ts(const rs_model *m, int64_t p)
{
	if (m->pair_buy)
		return m->pair_buy[p];
	return m->seen.ts ? m->seen.ts[p] : NAN; /* every row a purchase, or an older blob */
}

uint8_t rs_pair_verb(const rs_model *m, int64_t p)
{
	if (!m->pair_ev)
		return RS_VERB_NEUTRAL;
	if (!isnan(m->pair_buy[p]))
		return RS_VERB_BOUGHT;
	return m->pair_ev[p] < 254 - RS_VERB_EVENT ? (uint8_t)(RS_VERB_EVENT + m->pair_ev[p])
	                                           : RS_VERB_NEUTRAL;
}

rs_status rs_events_check_repurchase(const rs_model *m, rs_error *err)
{
	if (m->user_buy && m->events.n > 0 && m->purchase_ev < 0)
		return rs_fail(err, RS_EINVAL,
		               "option \"repurchase_cycle\" needs a purchase event: the model was trained on "
		               "events without one; retrain with training option \"purchase_event\" naming "
		               "the event of \"event_weights\" that is a purchase");
	return RS_OK;
}

/* ---- reasons: the verb of the strongest event on the history item ---- */

typedef struct verb_row { const char *names; const char *fmt; } verb_row;

/* '|'-separated event names (compared case-insensitively) and the reason. */
static const verb_row VERBS[] = {
	{"view|views|viewed|pageview|page_view|detail|detail_view", "because you viewed %.*s"},
	{"cart|carts|add_to_cart|addtocart|add-to-cart|carted|basket",
	 "because you added %.*s to your cart"},
	{"wishlist|wishlisted|wish|favorite|favourite", "because you wishlisted %.*s"},
	{"rating|ratings|rate|rated|review", "because you rated %.*s"},
	{"click|clicks|clicked", "because you clicked %.*s"},
	{"like|likes|liked", "because you liked %.*s"},
	{"play|plays|played|listen|listens|listened|stream", "because you played %.*s"},
	{"purchase|purchases|purchased|buy|bought|order|ordered|orders|transaction|checkout|sale",
	 "because you bought %.*s"},
};

static int in_list(const char *list, const char *s, size_t len)
{
	for (const char *p = list; *p;) {
		const char *e = strchr(p, '|');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == len && !strncasecmp(p, s, len))
			return 1;
		p += l + (e ? 1 : 0);
	}
	return 0;
}

/* "because you viewed X" ..., or the neutral 'because of X (event "foo")'. */
void rs_reason_verb(const rs_model *m, uint8_t verb, const char *id, size_t id_len, char *buf,
                    size_t cap)
{
	if (verb == RS_VERB_BOUGHT) {
		snprintf(buf, cap, "because you bought %.*s", (int)id_len, id);
		return;
	}
	size_t len = 0;
	const char *ev = verb >= RS_VERB_EVENT && (size_t)(verb - RS_VERB_EVENT) < m->events.n
	                 ? rs_idmap_get(&m->events, verb - RS_VERB_EVENT, &len) : NULL;
	for (size_t v = 0; ev && v < sizeof VERBS / sizeof VERBS[0]; v++)
		if (in_list(VERBS[v].names, ev, len)) {
			snprintf(buf, cap, VERBS[v].fmt, (int)id_len, id);
			return;
		}
	if (ev)
		snprintf(buf, cap, "because of %.*s (event \"%.*s\")", (int)id_len, id, (int)len, ev);
	else
		snprintf(buf, cap, "because of %.*s", (int)id_len, id);
}
