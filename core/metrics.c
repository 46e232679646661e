/*
 * metrics.c - ranking metrics at k (EVAL.md): precision, recall, NDCG, MAP
 * and catalogue coverage. The one definition behind recsys_evaluate()
 * (evaluate.c) and the benchmarks (bench/mleval.c), so the figures the README
 * prints and what users measure in SQL cannot drift apart.
 *
 * Per user, against nt held-out items (an index of -1 marks an item unseen in
 * training, never a hit): precision hits / k; recall hits / min(nt, k); NDCG
 * with binary gains, DCG over the list / the ideal DCG of min(nt, k) hits;
 * MAP the mean over hits of precision at each hit, / min(nt, k).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

void rs_rank_metrics_add(rs_rank_metrics *ms, const rs_reco *rec, int got, int k,
                         const int32_t *test, int nt)
{
	double dcg = 0, idcg = 0, ap = 0;
	int hits = 0;
	for (int q = 0; q < got; q++) {
		if (ms->hit_items && rec[q].item >= 0 && (size_t)rec[q].item < ms->n_items)
			ms->hit_items[rec[q].item] = 1;
		for (int z = 0; z < nt; z++)
			if (test[z] == rec[q].item) {
				hits++;
				dcg += 1.0 / log2(q + 2.0);
				ap += (double)hits / (q + 1);
				break;
			}
	}
	int ideal = nt < k ? nt : k;
	for (int q = 0; q < ideal; q++)
		idcg += 1.0 / log2(q + 2.0);
	ms->precision += (double)hits / k;
	ms->recall += (double)hits / ideal;
	ms->ndcg += dcg / idcg;
	ms->map += ap / ideal;
	ms->users++;
}

double rs_rank_metrics_coverage(const rs_rank_metrics *ms)
{
	size_t covered = 0;
	if (!ms->hit_items || ms->n_items == 0)
		return 0.0;
	for (size_t i = 0; i < ms->n_items; i++)
		covered += ms->hit_items[i];
	return (double)covered / ms->n_items;
}
