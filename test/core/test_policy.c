/* test_policy.c - arm choice (epsilon-greedy, Thompson, split), its
 * reproducibility and propensities, and the statistics report. */
#include "harness.h"
#include "internal.h"
#include "policy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Share of n calls (request ids "r<i>") that choose each arm; every call's
 * propensity must be the arm's probability. */
static void
choice_shares(rs_policy *p, int n, double *share, int *bad_propensity)
{
	char id[32];

	memset(share, 0, sizeof(double) * p->n_arms);
	*bad_propensity = 0;
	for (int i = 0; i < n; i++) {
		double prop;
		int len = snprintf(id, sizeof(id), "r%d", i);
		int a = rs_policy_choose(p, NULL, 0, id, (size_t)len, &prop);

		share[a] += 1.0 / n;
		if (prop != p->prob[a])
			(*bad_propensity)++;
	}
}

void
test_policy_epsilon_greedy(void)
{
	rs_policy p;
	rs_error err;
	double imp[2] = {1000, 1000}, rew[2] = {30, 60}, share[2], sum = 0;
	int bad;

	CHECK(rs_policy_init(&p, RS_EPSILON_GREEDY, 2, RS_DEFAULT_EPSILON, 42, NULL, &err) == RS_OK);
	rs_policy_update(&p, imp, rew);
	/* arm 1 is greedy: 1 - 0.1 + 0.1 / 2 */
	CHECK(fabs(p.prob[1] - 0.95) < 1e-12 && fabs(p.prob[0] - 0.05) < 1e-12);
	choice_shares(&p, 20000, share, &bad);
	CHECK(bad == 0);
	CHECK(fabs(share[1] - 0.95) < 0.01);
	/* an arm never pulled is tried first */
	imp[0] = 0;
	rew[0] = 0;
	rs_policy_update(&p, imp, rew);
	CHECK(fabs(p.prob[0] - 0.95) < 1e-12);
	for (int a = 0; a < 2; a++)
		sum += p.prob[a];
	CHECK(fabs(sum - 1) < 1e-12);
	CHECK(rs_policy_init(&p, RS_EPSILON_GREEDY, 2, 1.5, 42, NULL, &err) == RS_EINVAL);
	CHECK(strstr(err.msg, "epsilon") != NULL);
	CHECK(rs_policy_init(&p, RS_EPSILON_GREEDY, 0, 0.1, 42, NULL, &err) == RS_EINVAL);
}

void
test_policy_thompson(void)
{
	rs_policy p;
	rs_error err;
	double imp[3] = {0, 0, 0}, rew[3] = {0, 0, 0}, share[3];
	int bad;

	CHECK(rs_policy_init(&p, RS_THOMPSON, 3, 0, 7, NULL, &err) == RS_OK);
	/* equal posteriors: a third each */
	for (int a = 0; a < 3; a++)
		CHECK(fabs(p.prob[a] - 1.0 / 3) < 0.03);
	/* strong evidence for arm 2 */
	imp[0] = imp[1] = imp[2] = 2000;
	rew[0] = 100;
	rew[1] = 120;
	rew[2] = 200;
	rs_policy_update(&p, imp, rew);
	CHECK(p.prob[2] > 0.99);
	CHECK(p.prob[0] > 0 && p.prob[1] > 0);  /* smoothed: never 0 */
	choice_shares(&p, 20000, share, &bad);
	CHECK(bad == 0);
	CHECK(share[2] > 0.98);
	/* two arms, Beta(11, 91) vs Beta(6, 96): P(arm 0 best) is about 0.90
	 * (normal approximation of the difference of the two posteriors) */
	rs_policy_init(&p, RS_THOMPSON, 2, 0, 7, NULL, &err);
	imp[0] = imp[1] = 100;
	rew[0] = 10;
	rew[1] = 5;
	rs_policy_update(&p, imp, rew);
	{
		double m0 = 11.0 / 102, m1 = 6.0 / 102;
		double v0 = m0 * (1 - m0) / 103, v1 = m1 * (1 - m1) / 103;
		double expect = 0.5 * erfc(-(m0 - m1) / sqrt(v0 + v1) / sqrt(2.0));

		CHECK(fabs(p.prob[0] - expect) < 0.03);
	}
	/* the draws are redone only when a statistic moved by 1% (or 1) */
	{
		double before = p.prob[0], imp2[2] = {100.5, 100}, rew2[2] = {10, 5};

		rs_policy_update(&p, imp2, rew2);
		CHECK(p.prob[0] == before && p.drawn_impressions[0] == 100);
		imp2[0] = 130;
		rs_policy_update(&p, imp2, rew2);
		CHECK(p.drawn_impressions[0] == 130 && p.prob[0] != before);
	}
	/* values above 1 count as successes; failures floor at 0 */
	rew[1] = 500;
	rs_policy_update(&p, imp, rew);
	CHECK(p.prob[1] > 0.99);
}

void
test_policy_split_sticky(void)
{
	rs_policy p;
	rs_error err;
	double w[2] = {3, 1}, share0 = 0;
	char user[32];

	CHECK(rs_policy_init(&p, RS_SPLIT, 2, 0, 99, w, &err) == RS_OK);
	CHECK(fabs(p.prob[0] - 0.75) < 1e-12);
	for (int i = 0; i < 20000; i++) {
		double prop, prop2;
		int len = snprintf(user, sizeof(user), "user%d", i);
		int a = rs_policy_choose(&p, user, (size_t)len, "x", 1, &prop);
		int b = rs_policy_choose(&p, user, (size_t)len, "y", 1, &prop2);

		CHECK(a == b);       /* sticky: the request does not matter */
		share0 += a == 0 ? 1.0 / 20000 : 0;
		if (i == 0)
			CHECK(fabs(prop - (a == 0 ? 0.75 : 0.25)) < 1e-12);
	}
	CHECK(fabs(share0 - 0.75) < 0.015);
	/* statistics do not move a split */
	{
		double imp[2] = {100, 100}, rew[2] = {0, 90};

		rs_policy_update(&p, imp, rew);
		CHECK(fabs(p.prob[0] - 0.75) < 1e-12);
	}
	w[1] = 0;
	CHECK(rs_policy_init(&p, RS_SPLIT, 2, 0, 99, w, &err) == RS_EINVAL);
}

void
test_policy_reproducible(void)
{
	rs_policy p, q;
	rs_error err;
	int same = 0, differ = 0;

	rs_policy_init(&p, RS_EPSILON_GREEDY, 3, 0.5, 1, NULL, &err);
	rs_policy_init(&q, RS_EPSILON_GREEDY, 3, 0.5, 1, NULL, &err);
	for (int i = 0; i < 200; i++) {
		double x, y;

		same += rs_policy_choose(&p, "u", 1, NULL, 0, &x) == rs_policy_choose(&q, "u", 1, NULL, 0, &y);
	}
	CHECK(same == 200);  /* one seed, one sequence */
	rs_policy_init(&q, RS_EPSILON_GREEDY, 3, 0.5, 2, NULL, &err);
	rs_policy_init(&p, RS_EPSILON_GREEDY, 3, 0.5, 1, NULL, &err);
	for (int i = 0; i < 200; i++) {
		double x, y;

		differ += rs_policy_choose(&p, "u", 1, NULL, 0, &x) != rs_policy_choose(&q, "u", 1, NULL, 0, &y);
	}
	CHECK(differ > 20);
	/* Thompson's probabilities depend on the seed and statistics only */
	{
		double imp[2] = {50, 50}, rew[2] = {5, 7};

		rs_policy_init(&p, RS_THOMPSON, 2, 0, 5, NULL, &err);
		rs_policy_init(&q, RS_THOMPSON, 2, 0, 5, NULL, &err);
		rs_policy_update(&p, imp, rew);
		rs_policy_update(&q, imp, rew);
		CHECK(p.prob[0] == q.prob[0]);
	}
	CHECK(rs_strategy_parse("thompson", &p.strategy, &err) == RS_OK && p.strategy == RS_THOMPSON);
	CHECK(rs_strategy_parse("ucb", &p.strategy, &err) == RS_EINVAL && strstr(err.msg, "ucb"));
}

void
test_policy_report(void)
{
	rs_arm_report r[3];
	rs_error err;
	int winner;
	double imp[3] = {1000, 1000, 1000}, rew[3] = {50, 52, 100};

	CHECK(fabs(rs_normal_quantile(0.975) - 1.959963984540054) < 1e-9);
	CHECK(rs_policy_report(3, imp, rew, 0.95, r, &winner, &err) == RS_OK);
	CHECK(winner == 2);
	CHECK(fabs(r[2].rate - 0.1) < 1e-12);
	/* Wilson interval of 100 / 1000 at 95%: [0.0828, 0.1202] */
	CHECK(fabs(r[2].lower - 0.0828) < 5e-4 && fabs(r[2].upper - 0.1202) < 5e-4);
	CHECK(r[0].p_value < 0.001 && isnan(r[2].p_value));
	/* arms 0 and 1 alone: no winner */
	CHECK(rs_policy_report(2, imp, rew, 0.95, r, &winner, &err) == RS_OK);
	CHECK(winner == -1 && r[0].p_value > 0.05);
	/* a close race wins at a lower confidence only: 60 vs 45 of 1000 */
	rew[0] = 60;
	rew[1] = 45;
	rs_policy_report(2, imp, rew, 0.99, r, &winner, &err);
	CHECK(winner == -1);
	rs_policy_report(2, imp, rew, 0.90, r, &winner, &err);
	CHECK(winner == 0);
	CHECK(rs_policy_report(2, imp, rew, 1.0, r, &winner, &err) == RS_EINVAL);
	/* an arm never pulled: no winner yet */
	imp[1] = 0;
	rew[1] = 0;
	rs_policy_report(2, imp, rew, 0.95, r, &winner, &err);
	CHECK(winner == -1 && r[1].lower == 0 && r[1].upper == 1);
}
