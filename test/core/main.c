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
void test_itemknn_brute_force(void);
void test_itemknn_blocks(void);
void test_tokenize(void);
void test_content_new_item(void);
void test_content_needs_items(void);
void test_knn_content_round_trip(void);
void test_knn_options_rejected(void);
void test_knn_cancel(void);
void test_lfm_blocks(void);
void test_lfm_negatives(void);
void test_lfm_feature_item(void);
void test_lfm_feature_user(void);
void test_lfm_deterministic(void);
void test_lfm_round_trip(void);
void test_lfm_options(void);
void test_lfm_cancel(void);
void test_fold_in_families(void);
void test_fold_in_als_matches_user(void);
void test_fold_in_hybrid_popularity(void);
void test_fold_in_sessions(void);
void test_fold_in_errors(void);

void test_hybrid_blend(void);
void test_hybrid_bad_components(void);
void test_svd_low_rank(void);
void test_svd_matches_power_method(void);
void test_svd_ease_blocks(void);
void test_ease_matches_reference(void);
void test_svd_ease_round_trip(void);
void test_ease_memory_limit(void);
void test_svd_ease_options(void);
void test_svd_ease_cancel(void);

void test_auto_search(void);
void test_similar_factor_cosine(void);
void test_similar_itemknn(void);
void test_similar_ease(void);
void test_similar_popularity_hybrid(void);
void test_similar_errors_round_trip(void);

void test_filters(void);

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
	RUN(test_itemknn_brute_force);
	RUN(test_itemknn_blocks);
	RUN(test_tokenize);
	RUN(test_content_new_item);
	RUN(test_content_needs_items);
	RUN(test_knn_content_round_trip);
	RUN(test_knn_options_rejected);
	RUN(test_knn_cancel);
	RUN(test_lfm_blocks);
	RUN(test_lfm_negatives);
	RUN(test_lfm_feature_item);
	RUN(test_lfm_feature_user);
	RUN(test_lfm_deterministic);
	RUN(test_lfm_round_trip);
	RUN(test_lfm_options);
	RUN(test_lfm_cancel);
	RUN(test_fold_in_families);
	RUN(test_fold_in_als_matches_user);
	RUN(test_fold_in_hybrid_popularity);
	RUN(test_fold_in_sessions);
	RUN(test_fold_in_errors);
	RUN(test_hybrid_blend);
	RUN(test_hybrid_bad_components);
	RUN(test_svd_low_rank);
	RUN(test_svd_matches_power_method);
	RUN(test_svd_ease_blocks);
	RUN(test_ease_matches_reference);
	RUN(test_svd_ease_round_trip);
	RUN(test_ease_memory_limit);
	RUN(test_svd_ease_options);
	RUN(test_svd_ease_cancel);
	RUN(test_auto_search);
	RUN(test_similar_factor_cosine);
	RUN(test_similar_itemknn);
	RUN(test_similar_ease);
	RUN(test_similar_popularity_hybrid);
	RUN(test_similar_errors_round_trip);
	RUN(test_filters);
	return h_failed_checks ? 1 : 0;
}
