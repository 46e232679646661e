#!/usr/bin/env bash
# Chooses the bpr / warp defaults on validation splits carved from the
# TRAINING part of MovieLens 100K (temporal-20) and 1M (fold-order-20): the
# test split is never read. 100K figures are the mean of three seeds (SGD with
# two Hogwild threads varies by about +-.003 there), 1M of one.
# Prints validation NDCG@10 per setting, the mean over both sets, and the
# 1M training seconds.
# usage: bench/tune_lightfm.sh warp|bpr [extra mleval options]
set -eu
cd "$(dirname "$0")/.."
DATA=${RECSYS_DATA:-../shared/data}
ALGO=$1; shift
EXTRA=("$@")
MLEVAL=${MLEVAL:-}
if [ -z "$MLEVAL" ]; then
  make -s core
  gcc -std=c11 -O2 -D_GNU_SOURCE -Icore bench/mleval.c build/librecsys_core.a \
    $(pkg-config --libs openblas) -llapacke -lpthread -lm -o build/mleval
  MLEVAL=./build/mleval
fi
ml1m=$(mktemp)
trap 'rm -f "$ml1m"' EXIT
zcat "$DATA/ml-1m/ratings_no_timestamps.csv.gz" | tail -n +2 | tr ',' ' ' > "$ml1m"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
# Round 1: epochs x learning rate x L2; rounds 2 and 3 (ROUND=2, 3): around the
# previous round's best.
if [ "${ROUND:-1}" = 1 ]; then
  ALPHAS="0 3e-7 1e-6"
  if [ "$ALGO" = warp ]; then
    GRID=("epochs=20 learning_rate=0.05" "epochs=40 learning_rate=0.05" "epochs=20 learning_rate=0.1"
          "epochs=40 learning_rate=0.05 max_sampled=20")
  else
    GRID=("epochs=40 learning_rate=0.05" "epochs=80 learning_rate=0.05" "epochs=40 learning_rate=0.1"
          "epochs=80 learning_rate=0.1")
  fi
elif [ "$ROUND" = 3 ] && [ "$ALGO" = warp ]; then
  ALPHAS="3e-6 5e-6"
  GRID=("epochs=20 learning_rate=0.05 factors=64" "epochs=25 learning_rate=0.05 factors=64"
        "epochs=20 learning_rate=0.05 factors=64 max_sampled=30")
elif [ "$ROUND" = 3 ]; then
  ALPHAS="1e-6 3e-6"
  GRID=("epochs=60 learning_rate=0.1 factors=64" "epochs=80 learning_rate=0.1 factors=64"
        "epochs=60 learning_rate=0.15 factors=64")
else
  ALPHAS="1e-6 3e-6"
  if [ "$ALGO" = warp ]; then
    GRID=("epochs=15 learning_rate=0.05" "epochs=25 learning_rate=0.05" "epochs=20 learning_rate=0.05 factors=32"
          "epochs=20 learning_rate=0.05 factors=64" "epochs=20 learning_rate=0.05 max_sampled=50")
  else
    GRID=("epochs=60 learning_rate=0.1" "epochs=80 learning_rate=0.1 factors=32" "epochs=80 learning_rate=0.1 factors=64"
          "epochs=120 learning_rate=0.1")
  fi
fi
printf "%-62s %9s %9s %9s %7s\n" setting "100K val" "1M val" mean "1M s"
for g in "${GRID[@]}"; do
  for alpha in $ALPHAS; do
    opts="$g item_alpha=$alpha user_alpha=$alpha"
    a=0
    for seed in 1 2 3; do
      x=$($MLEVAL --validation --algo "$ALGO" $opts seed=$seed "${EXTRA[@]}" < "$DATA/ml-100k/u.data" | field NDCG@10)
      a=$(awk -v a="$a" -v x="$x" 'BEGIN{print a + x / 3}')
    done
    out=$($MLEVAL --validation --algo "$ALGO" $opts "${EXTRA[@]}" < "$ml1m")
    b=$(echo "$out" | field NDCG@10)
    s=$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
    printf "%-62s %9.4f %9s %9.4f %7s\n" "$opts" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN{print (a + b) / 2}')" "$s"
  done
done
