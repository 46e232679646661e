/*
 * policy.c - cost of a policy's arm choice in the core (core/policy.c):
 * microseconds per rs_policy_choose for each strategy, with and without a
 * request id, and per rs_policy_update with statistics that moved
 * (Thompson's posterior draws are the dear part: they run only when an arm's
 * statistics moved by 1% or 1 since the last draws, never per call).
 * Build and run: make bench-policy (prints; asserts nothing).
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "timing.h"

#define CALLS 2000000

static double choose_us(rs_policy *p, int with_request)
{
	char id[32];
	double prop, t0 = now();
	volatile int sink = 0;

	for (int i = 0; i < CALLS; i++) {
		int len = snprintf(id, sizeof id, "u%d", i % 5000);
		sink += rs_policy_choose(p, id, (size_t)len, with_request ? id : NULL,
		                         with_request ? (size_t)len : 0, &prop);
	}
	(void)sink;
	return (now() - t0) * 1e6 / CALLS;
}

int main(void)
{
	static const char *const names[3] = {"epsilon_greedy", "thompson", "split"};
	double imp[4] = {5000, 4000, 300, 200}, rew[4] = {250, 260, 9, 14};
	rs_error err;

	printf("| strategy (4 arms) | choose, no request id (us) | choose, request id (us) | update with moved statistics (us) |\n");
	printf("| --- | --- | --- | --- |\n");
	for (int s = 0; s < 3; s++) {
		rs_policy p;
		double t0, upd;
		int reps = s == RS_THOMPSON ? 200 : 200000;

		rs_policy_init(&p, (rs_strategy)s, 4, RS_DEFAULT_EPSILON, 42, NULL, &err);
		t0 = now();
		/* statistics that move every time: Thompson redraws on each */
		for (int r = 0; r < reps; r++) {
			imp[0] += r % 2 ? -1000 : 1000;
			rs_policy_update(&p, imp, rew);
		}
		upd = (now() - t0) * 1e6 / reps;
		printf("| %s | %.3f | %.3f | %.1f |\n", names[s], choose_us(&p, 0), choose_us(&p, 1), upd);
	}
	printf("\n(includes formatting the id with snprintf, about 0.05 us; %d calls each)\n", CALLS);
	return 0;
}
