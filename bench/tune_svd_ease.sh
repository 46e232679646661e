#!/usr/bin/env bash
# Chooses the svd and ease defaults on validation splits carved from the
# TRAINING part of MovieLens 100K (temporal-20) and 1M (fold-order-20): the
# test split is never read. Prints validation NDCG@10 per setting and the mean
# over both sets (bench/TUNING.md records a run).
# usage: bench/tune_svd_ease.sh [svd|ease]
set -eu
cd "$(dirname "$0")/.."
DATA=${RECSYS_DATA:-../shared/data}
WHAT=${1:-all}
make -s core
gcc -std=c11 -O2 -D_GNU_SOURCE -Icore bench/mleval.c build/librecsys_core.a \
  $(pkg-config --libs openblas) -llapacke -lpthread -lm -o build/mleval
ml1m=$(mktemp)
trap 'rm -f "$ml1m"' EXIT
zcat "$DATA/ml-1m/ratings_no_timestamps.csv.gz" | tail -n +2 | tr ',' ' ' > "$ml1m"
ndcg() { ./build/mleval --validation "$@" | sed -n 's/.*NDCG@10=\([0-9.]*\).*/\1/p'; }
row() {
  local a b
  a=$(ndcg "$@" < "$DATA/ml-100k/u.data")
  b=$(ndcg "$@" < "$ml1m")
  printf "%-58s %9s %9s %9s\n" "${*:3}" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.4f", (a + b) / 2}')"
}
printf "%-58s %9s %9s %9s\n" setting "100K val" "1M val" mean
if [ "$WHAT" != ease ]; then
  for s in 0 -0.2 -0.3 -0.4 -0.5; do
    for k in 24 32 40; do
      row --algo svd item_scaling=$s factors=$k power_iterations=4
    done
  done
  for p in 2 6 8; do
    row --algo svd item_scaling=-0.4 factors=32 power_iterations=$p
  done
  row --algo svd item_scaling=-0.4 factors=32 power_iterations=4 oversampling=20
  for seed in 1 2; do
    row --algo svd item_scaling=-0.4 factors=32 power_iterations=4 seed=$seed
    row --algo svd item_scaling=-0.3 factors=32 power_iterations=4 seed=$seed
  done
fi
if [ "$WHAT" != svd ]; then
  for sc in 2 3 4 5 6 8; do
    row --algo ease regularization_scale=$sc
  done
fi
