#!/usr/bin/env bash
# Chooses ALS defaults on validation splits carved from the TRAINING part of
# MovieLens 100K (temporal-20) and 1M (fold-order-20): the test split is never
# read. Prints validation NDCG@10 per setting and the mean over both sets.
# usage: bench/tune_als.sh [extra mleval options]
set -eu
cd "$(dirname "$0")/.."
DATA=${RECSYS_DATA:-../shared/data}
EXTRA=("$@")
make -s core
gcc -std=c11 -O2 -D_GNU_SOURCE -Icore bench/mleval.c build/librecsys_core.a \
  $(pkg-config --libs openblas) -llapacke -lpthread -lm -o build/mleval
ml1m=$(mktemp)
trap 'rm -f "$ml1m"' EXIT
zcat "$DATA/ml-1m/ratings_no_timestamps.csv.gz" | tail -n +2 | tr ',' ' ' > "$ml1m"
# --random-ties: ties in time (ML-1M's fold numbers) in a fixed random order
# per user instead of by item id, as auto's validation split does
ndcg() { ./build/mleval --validation --random-ties "$@" | sed -n 's/.*NDCG@10=\([0-9.]*\).*/\1/p'; }
printf "%-56s %10s %10s %10s\n" setting "100K val" "1M val" mean
row() {
  local a b
  a=$(ndcg "$@" "${EXTRA[@]}" < "$DATA/ml-100k/u.data")
  b=$(ndcg "$@" "${EXTRA[@]}" < "$ml1m")
  printf "%-56s %10s %10s %10s\n" "$*" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.4f", (a + b) / 2}')"
}
for cg in 2 3; do
  for alpha in 5 10; do
    for scale in 0.15 0.2 0.3 0.4; do
      row alpha=$alpha regularization_scale=$scale cg_steps=$cg
    done
  done
done
for extra in "alpha=3 regularization_scale=0.35" "alpha=7 regularization_scale=0.25" \
             "cg_steps=4" "iterations=20" "factors=128"; do
  row alpha=5 regularization_scale=0.3 cg_steps=3 $extra
done
