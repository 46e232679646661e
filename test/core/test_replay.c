/* test_replay.c - IPS and SNIPS on a simulated log whose true rates are
 * known: the truth lies in the estimates' intervals, and would not with a
 * wrong logged propensity. */
#include "harness.h"
#include "internal.h"
#include "policy.h"

#include <math.h>

/* Logging policy: arms chosen with log_p, clicked with rate; the target
 * chooses with target_p. Logged propensity: logged_p (the truth, or not). */
static void
simulate(const double *log_p, const double *logged_p, const double *rate,
         const double *target_p, int n, double confidence, rs_replay_result *out)
{
	rs_replay r;
	rs_error err;
	uint64_t s = 2026;
	rs_policy p;

	rs_policy_init(&p, RS_SPLIT, 3, 0, 1, log_p, &err);
	rs_replay_init(&r);
	for (int i = 0; i < n; i++) {
		int a = rs_policy_pick(&p, rs_rand_unit(&s));
		double reward = rs_rand_unit(&s) < rate[a] ? 1 : 0;

		CHECK(rs_replay_add(&r, logged_p[a], target_p[a], reward, &err) == RS_OK);
	}
	CHECK(rs_replay_finish(&r, confidence, out, &err) == RS_OK);
}

void
test_replay_known_rates(void)
{
	double log_p[3] = {0.7, 0.2, 0.1}, rate[3] = {0.05, 0.10, 0.20};
	double only2[3] = {0, 0, 1}, mix[3] = {0.5, 0.5, 0};
	rs_replay_result res;

	/* deterministic target: always arm 2, truth 0.20 */
	simulate(log_p, log_p, rate, only2, 50000, 0.99, &res);
	CHECK(res.n == 50000 && res.matched > 4500 && res.matched < 5500);
	CHECK(res.ips_lower < 0.20 && 0.20 < res.ips_upper);
	CHECK(res.snips_lower < 0.20 && 0.20 < res.snips_upper);
	CHECK(res.ips_upper - res.ips_lower < 0.05);
	/* stochastic target: half arm 0, half arm 1, truth 0.075 */
	simulate(log_p, log_p, rate, mix, 50000, 0.99, &res);
	CHECK(res.ips_lower < 0.075 && 0.075 < res.ips_upper);
	CHECK(res.snips_lower < 0.075 && 0.075 < res.snips_upper);
}

void
test_replay_wrong_propensity(void)
{
	double log_p[3] = {0.7, 0.2, 0.1}, rate[3] = {0.05, 0.10, 0.20};
	double wrong[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3}, only2[3] = {0, 0, 1};
	rs_replay_result res;
	rs_replay r;
	rs_error err;

	/* logged as uniform while arm 2 was chosen a tenth of the time: IPS
	 * says about 0.067, and its interval misses the true 0.20 */
	simulate(log_p, wrong, rate, only2, 50000, 0.99, &res);
	CHECK(!(res.ips_lower < 0.20 && 0.20 < res.ips_upper));
	CHECK(res.ips < 0.1);
	rs_replay_init(&r);
	CHECK(rs_replay_add(&r, 0, 1, 1, &err) == RS_EINVAL);
	CHECK(rs_replay_add(&r, 0.5, 1.5, 1, &err) == RS_EINVAL);
	/* nothing logged: estimates are NaN, not an error */
	CHECK(rs_replay_finish(&r, 0.95, &res, &err) == RS_OK && res.n == 0 && isnan(res.ips));
}

void
test_replay_policy_target(void)
{
	rs_policy p;
	rs_error err;
	const char *arms[2] = {"a", "b"}, *models[2] = {"m1", "m2"};
	double imp[2] = {100, 100}, rew[2] = {10, 20}, w[2] = {1, 1};

	rs_policy_init(&p, RS_EPSILON_GREEDY, 2, 0.2, 1, NULL, &err);
	rs_policy_update(&p, imp, rew);  /* b greedy: a 0.1, b 0.9 */
	/* its own lists: by arm; another's: by the model served */
	CHECK(fabs(rs_replay_policy_target(&p, "home", arms, models, "u1", "home", "b", "m1") - 0.9) < 1e-12);
	CHECK(fabs(rs_replay_policy_target(&p, "home", arms, models, "u1", "other", "x", "m1") - 0.1) < 1e-12);
	CHECK(rs_replay_policy_target(&p, "home", arms, models, "u1", NULL, NULL, "m3") == 0);
	/* a split: 1 for the user's own arm, 0 for the other */
	rs_policy_init(&p, RS_SPLIT, 2, 0, 4, w, &err);
	{
		double prop, ta, tb;
		int mine = rs_policy_choose(&p, "u7", 2, NULL, 0, &prop);

		ta = rs_replay_policy_target(&p, "ab", arms, models, "u7", "ab", "a", "m1");
		tb = rs_replay_policy_target(&p, "ab", arms, models, "u7", "ab", "b", "m2");
		CHECK(ta == (mine == 0) && tb == (mine == 1));
	}
}
