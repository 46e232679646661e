/* harness.h - a tiny unit-test harness: each TEST prints PASS:/FAIL: lines. */
#ifndef RS_HARNESS_H
#define RS_HARNESS_H

#include <stdio.h>

extern int h_failed_checks;

#define CHECK(cond)                                                              \
	do {                                                                         \
		if (!(cond)) {                                                           \
			fprintf(stderr, "  check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			h_failed_checks++;                                                   \
		}                                                                        \
	} while (0)

#define RUN(fn)                                                                  \
	do {                                                                         \
		int before = h_failed_checks;                                            \
		fn();                                                                    \
		printf("%s: core %s\n", h_failed_checks == before ? "PASS" : "FAIL", #fn); \
		fflush(stdout);                                                          \
	} while (0)

#endif
