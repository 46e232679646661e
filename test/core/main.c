/* main.c - runs every core unit test; exit status 1 when any check failed. */
#include "harness.h"

int h_failed_checks;

void test_options_rejected(void);
void test_options_accepted(void);
void test_builder_rows(void);
void test_empty_source(void);
void test_tiny_reconstruction(void);
void test_cg_agrees_with_cholesky(void);
void test_threads_same_result(void);
void test_cancel(void);
void test_topk_matches_sort(void);
void test_recommend_rules(void);
void test_model_round_trip(void);
void test_corrupt_blob(void);
void test_evaluate(void);
void test_recommend_exact(void);

int main(void)
{
	RUN(test_options_rejected);
	RUN(test_options_accepted);
	RUN(test_builder_rows);
	RUN(test_empty_source);
	RUN(test_tiny_reconstruction);
	RUN(test_cg_agrees_with_cholesky);
	RUN(test_threads_same_result);
	RUN(test_cancel);
	RUN(test_topk_matches_sort);
	RUN(test_recommend_rules);
	RUN(test_model_round_trip);
	RUN(test_corrupt_blob);
	RUN(test_evaluate);
	RUN(test_recommend_exact);
	return h_failed_checks ? 1 : 0;
}
