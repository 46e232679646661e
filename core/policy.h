/*
 * policy.h - bandit policies and experiments (core/policy.c), their
 * statistics report (core/policy_report.c) and offline replay of logged
 * impressions (core/replay.c). Public to the bindings; knows no database.
 *
 * Every strategy reduces to one categorical distribution over the arms
 * (rs_policy.prob), recomputed when the statistics change, and one uniform
 * draw per call: the chosen arm's probability is its logged propensity.
 */
#ifndef RS_POLICY_H
#define RS_POLICY_H

#include "recsys.h"

#include <stddef.h>
#include <stdint.h>

#define RS_POLICY_MAX_ARMS 32
/* Joint posterior draws behind Thompson's choice probabilities. */
#define RS_THOMPSON_DRAWS 4000
#define RS_DEFAULT_EPSILON 0.1

typedef enum rs_strategy {
	RS_EPSILON_GREEDY = 0,
	RS_THOMPSON,
	RS_SPLIT
} rs_strategy;

typedef struct rs_policy {
	rs_strategy strategy;
	int n_arms;
	double epsilon;             /* epsilon-greedy's exploration share */
	uint64_t seed;
	uint64_t stream;            /* draws of calls without a request id */
	double weight[RS_POLICY_MAX_ARMS];      /* split weights (normalised) */
	double impressions[RS_POLICY_MAX_ARMS]; /* pulls: served lists */
	double rewards[RS_POLICY_MAX_ARMS];     /* attributed reward values */
	double prob[RS_POLICY_MAX_ARMS];        /* choice probability of each arm now */
	/* Thompson: the statistics prob was drawn from (redrawn when one moved
	 * by at least 1% or 1, whichever is more) */
	int drawn;
	double drawn_impressions[RS_POLICY_MAX_ARMS], drawn_rewards[RS_POLICY_MAX_ARMS];
} rs_policy;

/* "epsilon_greedy", "thompson", "split" -> strategy; else RS_EINVAL. */
rs_status rs_strategy_parse(const char *name, rs_strategy *out, rs_error *err);
const char *rs_strategy_name(rs_strategy s);

/* Set up a policy of n_arms arms (1..RS_POLICY_MAX_ARMS) with no statistics.
 * epsilon in [0, 1]; weights (split; NULL: equal) positive and finite. */
rs_status rs_policy_init(rs_policy *p, rs_strategy s, int n_arms, double epsilon,
                         uint64_t seed, const double *weights, rs_error *err);
/* New statistics (NULL: none) -> new choice probabilities. Deterministic:
 * Thompson's draws are seeded by the policy seed. */
void rs_policy_update(rs_policy *p, const double *impressions, const double *rewards);
/* Choose an arm for a call. The draw comes from hash(seed, user) for split
 * (sticky per user), else hash(seed, request) when a request id is given,
 * else the policy's own seeded stream. *propensity: the arm's probability. */
int rs_policy_choose(rs_policy *p, const char *user, size_t ulen,
                     const char *request, size_t rlen, double *propensity);
/* The arm a uniform draw u in [0, 1) picks under prob (inverse CDF). */
int rs_policy_pick(const rs_policy *p, double u);

/* ---- statistics report ---- */
typedef struct rs_arm_report {
	double impressions, rewards;
	double rate;                /* rewards / impressions (0 without impressions) */
	double lower, upper;        /* Wilson interval of the rate at the confidence */
	double p_value;             /* one-sided test best > this arm (best arm: NAN) */
} rs_arm_report;

/* Per-arm rates, Wilson intervals and the winner: the arm of the highest
 * rate when a one-sided pooled two-proportion z-test against every other
 * arm rejects equality at level (1 - confidence) / (n - 1) (Bonferroni);
 * *winner = -1 when there is none. confidence in (0, 1). */
rs_status rs_policy_report(int n, const double *impressions, const double *rewards,
                           double confidence, rs_arm_report *out, int *winner,
                           rs_error *err);
/* The standard normal quantile of p in (0, 1). */
double rs_normal_quantile(double p);

/* ---- offline replay (inverse propensity scoring) ---- */
typedef struct rs_replay {
	double n;                   /* logged units seen */
	double matched;             /* units the target would have chosen (target > 0) */
	double sw, swr, sw2, sw2r, sw2r2;  /* sums of w, w r, w^2, w^2 r, w^2 r^2 */
} rs_replay;

typedef struct rs_replay_result {
	double n, matched;
	double ips, ips_lower, ips_upper;
	double snips, snips_lower, snips_upper;
} rs_replay_result;

void rs_replay_init(rs_replay *r);
/* One logged unit: the logging policy's probability of what it did
 * (propensity, in (0, 1]), the target's probability of doing the same
 * (target, in [0, 1]) and the reward observed. */
rs_status rs_replay_add(rs_replay *r, double propensity, double target, double reward,
                        rs_error *err);
/* The probability that target policy p (called `name`, its arms' names
 * and models) serves what a logged list served: for a list the policy
 * logged itself (policy equal to name), its probability of the logged arm;
 * for another's list, of the arms serving the logged model. A split is
 * sticky: 1 or 0 by the user's arm (a NULL user: the weights). */
double rs_replay_policy_target(const rs_policy *p, const char *name, const char *const *arms,
                               const char *const *models, const char *user, const char *policy,
                               const char *arm, const char *model);
/* IPS and self-normalised IPS with normal intervals at the confidence. */
rs_status rs_replay_finish(const rs_replay *r, double confidence, rs_replay_result *out,
                           rs_error *err);

#endif
