/*
 * replay.c - what a target policy would have earned on logged traffic:
 * inverse propensity scoring (IPS) and its self-normalised variant (SNIPS).
 * A logged unit with propensity p (logging policy's probability of what it
 * did), target probability t of doing the same and reward r has weight
 * w = t / p; IPS = sum(w r) / n, SNIPS = sum(w r) / sum(w). Intervals are
 * normal: IPS from the sample variance of w r, SNIPS by the delta method,
 * var = sum(w^2 (r - SNIPS)^2) / sum(w)^2.
 */
#include "internal.h"
#include "policy.h"

#include <math.h>
#include <string.h>

void
rs_replay_init(rs_replay *r)
{
	memset(r, 0, sizeof(*r));
}

rs_status
rs_replay_add(rs_replay *r, double propensity, double target, double reward, rs_error *err)
{
	double w;

	if (!(propensity > 0 && propensity <= 1))
		return rs_fail(err, RS_EINVAL, "a logged propensity must be in (0, 1], got %g", propensity);
	if (!(target >= 0 && target <= 1))
		return rs_fail(err, RS_EINVAL, "a target probability must be in [0, 1], got %g", target);
	if (!isfinite(reward))
		return rs_fail(err, RS_EINVAL, "a reward must be finite");
	w = target / propensity;
	r->n += 1;
	if (target > 0)
		r->matched += 1;
	r->sw += w;
	r->swr += w * reward;
	r->sw2 += w * w;
	r->sw2r += w * w * reward;
	r->sw2r2 += w * w * reward * reward;
	return RS_OK;
}

rs_status
rs_replay_finish(const rs_replay *r, double confidence, rs_replay_result *out, rs_error *err)
{
	double z, n = r->n;

	if (!(confidence > 0 && confidence < 1))
		return rs_fail(err, RS_EINVAL, "confidence must be between 0 and 1 (exclusive), got %g",
		               confidence);
	z = rs_normal_quantile(0.5 + confidence / 2);
	memset(out, 0, sizeof(*out));
	out->n = n;
	out->matched = r->matched;
	out->ips = out->ips_lower = out->ips_upper = NAN;
	out->snips = out->snips_lower = out->snips_upper = NAN;
	if (n < 1)
		return RS_OK;
	out->ips = r->swr / n;
	if (n > 1) {
		double var = (r->sw2r2 - n * out->ips * out->ips) / (n - 1);
		double se = sqrt(fmax(var, 0) / n);

		out->ips_lower = out->ips - z * se;
		out->ips_upper = out->ips + z * se;
	}
	if (r->sw > 0) {
		double v = r->swr / r->sw;
		double num = r->sw2r2 - 2 * v * r->sw2r + v * v * r->sw2;
		double se = sqrt(fmax(num, 0)) / r->sw;

		out->snips = v;
		out->snips_lower = v - z * se;
		out->snips_upper = v + z * se;
	}
	return RS_OK;
}

double
rs_replay_policy_target(const rs_policy *p, const char *name, const char *const *arms,
                        const char *const *models, const char *user, const char *policy,
                        const char *arm, const char *model)
{
	double t = 0;
	int sticky = -1;
	int own = policy != NULL && strcmp(policy, name) == 0;

	if (p->strategy == RS_SPLIT && user != NULL) {
		rs_policy copy = *p;  /* a user's draw does not move the stream, but stay const */
		double prop;

		sticky = rs_policy_choose(&copy, user, strlen(user), NULL, 0, &prop);
	}
	for (int a = 0; a < p->n_arms; a++) {
		int same = own ? arm != NULL && strcmp(arm, arms[a]) == 0
		               : model != NULL && strcmp(model, models[a]) == 0;

		if (same)
			t += sticky >= 0 ? (a == sticky) : p->prob[a];
	}
	return t > 1 ? 1 : t;
}
