#!/usr/bin/env bash
# Chooses the itemknn defaults on validation splits carved from the TRAINING
# part of MovieLens 100K (temporal-20) and 1M (fold-order-20): the test split
# is never read. Prints validation NDCG@10 per setting and the mean of both.
# usage: bench/tune_itemknn.sh [mleval binary]   (default: build/mleval)
set -eu
cd "$(dirname "$0")/.."
DATA=${RECSYS_DATA:-../shared/data}
MLEVAL=${1:-}
if [ -z "$MLEVAL" ]; then
  make -s core
  gcc -std=c11 -O2 -D_GNU_SOURCE -Icore bench/mleval.c build/librecsys_core.a \
    $(pkg-config --libs openblas) -llapacke -lpthread -lm -o build/mleval
  MLEVAL=./build/mleval
fi
ml1m=$(mktemp)
trap 'rm -f "$ml1m"' EXIT
zcat "$DATA/ml-1m/ratings_no_timestamps.csv.gz" | tail -n +2 | tr ',' ' ' > "$ml1m"
ndcg() { "$MLEVAL" --validation --algo itemknn "$@" | sed -n 's/.*NDCG@10=\([0-9.]*\).*/\1/p'; }
printf "%-44s %10s %10s %10s\n" setting "100K val" "1M val" mean
for w in none tfidf bm25; do
  for nb in 50 100 200 400; do
    for sh in 0 10 50; do
      opts="weighting=$w neighbors=$nb shrink=$sh"
      a=$(ndcg $opts < "$DATA/ml-100k/u.data")
      b=$(ndcg $opts < "$ml1m")
      printf "%-44s %10s %10s %10s\n" "$opts" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.4f", (a + b) / 2}')"
    done
  done
done
