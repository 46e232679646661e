/*
 * policy_report.c - an experiment's statistics: each arm's rate with a
 * Wilson score interval, and whether the best arm wins (one-sided pooled
 * two-proportion z-tests against every other arm, Bonferroni-corrected).
 */
#include "internal.h"
#include "policy.h"

#include <math.h>

/* Standard normal CDF. */
static double
normal_cdf(double z)
{
	return 0.5 * erfc(-z / sqrt(2.0));
}

/* Inverse of normal_cdf by bisection: exact to double precision, and only
 * ever called once per report. */
double
rs_normal_quantile(double p)
{
	double lo = -40, hi = 40;

	for (int i = 0; i < 200 && hi - lo > 1e-13; i++) {
		double mid = 0.5 * (lo + hi);

		if (normal_cdf(mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/* Rewards above the impressions (values > 1) cap the rate at 1 for the
 * interval and the test, which are about proportions. */
static double
clamp_rate(double r, double n)
{
	double x = n > 0 ? r / n : 0;

	return x < 0 ? 0 : x > 1 ? 1 : x;
}

rs_status
rs_policy_report(int n, const double *impressions, const double *rewards, double confidence,
                 rs_arm_report *out, int *winner, rs_error *err)
{
	double z, alpha;
	int best = -1;

	*winner = -1;
	if (!(confidence > 0 && confidence < 1))
		return rs_fail(err, RS_EINVAL, "confidence must be between 0 and 1 (exclusive), got %g",
		               confidence);
	z = rs_normal_quantile(0.5 + confidence / 2);
	for (int a = 0; a < n; a++) {
		double m = impressions[a] > 0 ? impressions[a] : 0;
		double ph = clamp_rate(rewards[a], m);
		rs_arm_report *o = &out[a];

		o->impressions = m;
		o->rewards = rewards[a];
		o->rate = m > 0 ? rewards[a] / m : 0;
		o->p_value = NAN;
		if (m > 0) {
			double den = 1 + z * z / m;
			double mid = (ph + z * z / (2 * m)) / den;
			double half = z * sqrt(ph * (1 - ph) / m + z * z / (4 * m * m)) / den;

			o->lower = fmax(0, mid - half);
			o->upper = fmin(1, mid + half);
		} else {
			o->lower = 0;
			o->upper = 1;
		}
		if (m > 0 && (best < 0 || o->rate > out[best].rate))
			best = a;
	}
	if (best < 0 || n < 2)
		return RS_OK;
	alpha = (1 - confidence) / (n - 1);
	*winner = best;
	for (int a = 0; a < n; a++) {
		double nb = out[best].impressions, na = out[a].impressions;
		double pb = clamp_rate(rewards[best], nb), pa = clamp_rate(rewards[a], na);
		double pool, se;

		if (a == best)
			continue;
		if (na <= 0) {
			out[a].p_value = 1;
			*winner = -1;
			continue;
		}
		pool = (pb * nb + pa * na) / (nb + na);
		se = sqrt(pool * (1 - pool) * (1 / nb + 1 / na));
		out[a].p_value = se > 0 ? 1 - normal_cdf((pb - pa) / se) : (pb > pa ? 0 : 1);
		if (!(out[a].p_value < alpha))
			*winner = -1;
	}
	return RS_OK;
}
