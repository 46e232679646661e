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
ndcg() { ./build/mleval --validation "$@" | sed -n 's/.*NDCG@10=\([0-9.]*\).*/\1/p'; }
printf "%-44s %10s %10s %10s\n" setting "100K val" "1M val" mean
for cg in 2 3; do
  for as in "3 0.35" "5 0.3" "10 0.23"; do
    set -- $as
    opts="alpha=$1 regularization_scale=$2 cg_steps=$cg"
    a=$(ndcg $opts "${EXTRA[@]}" < "$DATA/ml-100k/u.data")
    b=$(ndcg $opts "${EXTRA[@]}" < "$ml1m")
    printf "%-44s %10s %10s %10s\n" "$opts" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.4f", (a + b) / 2}')"
  done
done
