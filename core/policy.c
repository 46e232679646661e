/*
 * policy.c - arm choice of a policy: epsilon-greedy, Thompson sampling, a
 * fixed split sticky per user. Each strategy is turned into choice
 * probabilities when the statistics change (rs_policy_update), so a call is
 * one hash or random draw and an inverse CDF over a few arms.
 */
#include "internal.h"
#include "policy.h"

#include <math.h>
#include <string.h>

static const char *const strategy_names[] = {"epsilon_greedy", "thompson", "split"};

rs_status
rs_strategy_parse(const char *name, rs_strategy *out, rs_error *err)
{
	for (int s = 0; s < 3; s++)
		if (strcmp(name, strategy_names[s]) == 0) {
			*out = (rs_strategy)s;
			return RS_OK;
		}
	return rs_fail(err, RS_EINVAL,
	               "unknown strategy \"%.64s\" (expected epsilon_greedy, thompson or split)", name);
}

const char *
rs_strategy_name(rs_strategy s)
{
	return strategy_names[s];
}

rs_status
rs_policy_init(rs_policy *p, rs_strategy s, int n_arms, double epsilon, uint64_t seed,
               const double *weights, rs_error *err)
{
	double total = 0;

	memset(p, 0, sizeof(*p));
	if (n_arms < 1 || n_arms > RS_POLICY_MAX_ARMS)
		return rs_fail(err, RS_EINVAL, "a policy needs 1 to %d arms, got %d",
		               RS_POLICY_MAX_ARMS, n_arms);
	if (!(epsilon >= 0 && epsilon <= 1))
		return rs_fail(err, RS_EINVAL, "epsilon must be between 0 and 1, got %g", epsilon);
	for (int a = 0; a < n_arms; a++) {
		double w = weights ? weights[a] : 1.0;
		if (!(w > 0) || !isfinite(w))
			return rs_fail(err, RS_EINVAL, "split weight of arm %d must be positive and finite, got %g",
			               a + 1, w);
		p->weight[a] = w;
		total += w;
	}
	for (int a = 0; a < n_arms; a++)
		p->weight[a] /= total;
	p->strategy = s;
	p->n_arms = n_arms;
	p->epsilon = epsilon;
	p->seed = seed;
	p->stream = seed ^ 0x5DEECE66DULL;
	rs_policy_update(p, NULL, NULL);
	return RS_OK;
}

/* ---- Thompson: Beta posteriors by two Gamma draws ---- */

static double
normal_draw(uint64_t *s)
{
	double u1 = rs_rand_unit(s), u2 = rs_rand_unit(s);

	return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

/* Gamma(shape, 1) by Marsaglia and Tsang's squeeze (shape >= 1; smaller
 * shapes by the U^(1/shape) boost). */
static double
gamma_draw(uint64_t *s, double shape)
{
	double d, c;

	if (shape < 1)
		return gamma_draw(s, shape + 1) * pow(1.0 - rs_rand_unit(s), 1.0 / shape);
	d = shape - 1.0 / 3.0;
	c = 1.0 / sqrt(9.0 * d);
	for (;;) {
		double x = normal_draw(s), v = 1 + c * x, u;

		if (v <= 0)
			continue;
		v = v * v * v;
		u = 1.0 - rs_rand_unit(s);
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}

/*
 * Beta(1 + rewards, 1 + impressions - rewards): a uniform prior updated by
 * 0/1 rewards. A reward value above 1 counts as that many successes;
 * failures are floored at 0, so an arm whose values outrun its impressions
 * has a posterior leaning to 1 (use 0/1 events for a calibrated posterior).
 */
static void
thompson_probs(rs_policy *p)
{
	uint64_t s = p->seed ^ 0x7468756D70736F6EULL;
	double wins[RS_POLICY_MAX_ARMS] = {0};
	double alpha[RS_POLICY_MAX_ARMS], beta[RS_POLICY_MAX_ARMS];
	int n = p->n_arms;

	for (int a = 0; a < n; a++) {
		double r = p->rewards[a] > 0 ? p->rewards[a] : 0;
		double f = p->impressions[a] - r;

		alpha[a] = 1 + r;
		beta[a] = 1 + (f > 0 ? f : 0);
	}
	for (int d = 0; d < RS_THOMPSON_DRAWS; d++) {
		int best = 0;
		double best_x = -1;

		for (int a = 0; a < n; a++) {
			double b;

			/* a Beta with both parameters above 30 is normal to within
			 * what 4000 draws can tell, and ten times cheaper to draw */
			if (alpha[a] > 30 && beta[a] > 30) {
				double t = alpha[a] + beta[a];

				b = alpha[a] / t + normal_draw(&s) * sqrt(alpha[a] * beta[a] / (t * t * (t + 1)));
			} else {
				double x = gamma_draw(&s, alpha[a]);
				double y = gamma_draw(&s, beta[a]);

				b = x / (x + y);
			}

			if (b > best_x) {
				best_x = b;
				best = a;
			}
		}
		wins[best] += 1;
	}
	/* Smoothed by half a win per arm: no arm's probability is ever 0, so
	 * every arm keeps being explored a little and replay can weigh it. */
	for (int a = 0; a < n; a++) {
		p->prob[a] = (wins[a] + 0.5) / (RS_THOMPSON_DRAWS + 0.5 * n);
		p->drawn_impressions[a] = p->impressions[a];
		p->drawn_rewards[a] = p->rewards[a];
	}
	p->drawn = 1;
}

/* Did a statistic move enough since Thompson's last draws to redraw? */
static int thompson_moved(const rs_policy *p)
{
	if (!p->drawn)
		return 1;
	for (int a = 0; a < p->n_arms; a++)
		if (fabs(p->impressions[a] - p->drawn_impressions[a]) >=
		        fmax(1, 0.01 * p->drawn_impressions[a]) ||
		    fabs(p->rewards[a] - p->drawn_rewards[a]) >= fmax(1, 0.01 * p->drawn_rewards[a]))
			return 1;
	return 0;
}

/* The greedy arm: highest rewards / impressions; an arm never pulled comes
 * first (each arm is tried once); ties go to the earlier arm. */
static int
greedy_arm(const rs_policy *p)
{
	int best = 0;
	double best_rate = -1;

	for (int a = 0; a < p->n_arms; a++) {
		double rate = p->impressions[a] > 0 ? p->rewards[a] / p->impressions[a] : INFINITY;

		if (rate > best_rate) {
			best_rate = rate;
			best = a;
		}
	}
	return best;
}

void
rs_policy_update(rs_policy *p, const double *impressions, const double *rewards)
{
	int n = p->n_arms;

	for (int a = 0; a < n; a++) {
		p->impressions[a] = impressions && isfinite(impressions[a]) && impressions[a] > 0 ?
			impressions[a] : 0;
		p->rewards[a] = rewards && isfinite(rewards[a]) && rewards[a] > 0 ? rewards[a] : 0;
	}
	switch (p->strategy) {
	case RS_EPSILON_GREEDY: {
		int g = greedy_arm(p);

		for (int a = 0; a < n; a++)
			p->prob[a] = p->epsilon / n + (a == g ? 1 - p->epsilon : 0);
		break;
	}
	case RS_THOMPSON:
		if (thompson_moved(p))
			thompson_probs(p);
		break;
	case RS_SPLIT:
		memcpy(p->prob, p->weight, sizeof(double) * n);
		break;
	}
}

int
rs_policy_pick(const rs_policy *p, double u)
{
	double acc = 0;

	for (int a = 0; a < p->n_arms - 1; a++) {
		acc += p->prob[a];
		if (u < acc)
			return a;
	}
	return p->n_arms - 1;
}

/* A uniform draw in [0, 1) from the seed and an id. */
static double
keyed_unit(uint64_t seed, const char *id, size_t len)
{
	uint64_t s = seed ^ rs_hash_bytes(id, len);

	return rs_rand_unit(&s);
}

int
rs_policy_choose(rs_policy *p, const char *user, size_t ulen, const char *request, size_t rlen,
                 double *propensity)
{
	double u;
	int a;

	if (p->strategy == RS_SPLIT && user != NULL)
		u = keyed_unit(p->seed, user, ulen);
	else if (request != NULL)
		u = keyed_unit(p->seed ^ 0x72657175657374ULL, request, rlen);
	else
		u = rs_rand_unit(&p->stream);
	a = rs_policy_pick(p, u);
	*propensity = p->prob[a];
	return a;
}
