#!/usr/bin/env bash
# bench/vae.sh - vae (issue 15) beside EASE, WARP and ALS on MovieLens 100K
# (temporal-20) and 1M (fold-order-20) through bench/mleval.c: training
# seconds and NDCG@10 on the test split with the defaults (chosen on the
# validation splits, bench/TUNING.md), as markdown rows for bench/RESULTS.md.
# With --validation: the same on the validation splits (ML-1M with random
# ties, as tuning reads it). Prints the load average: figures on a shared
# machine are noisy.
# usage: make bench-vae   or   bench/vae.sh [--validation] [extra vae options]
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
DATA=${RECSYS_DATA:-../shared/data}
val=()
[ "${1:-}" = "--validation" ] && { val=(--validation); shift; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -std=c11 -O2 -D_GNU_SOURCE -Icore bench/mleval.c build/librecsys_core.a \
  $(pkg-config --libs openblas) -llapacke -lpthread -lm -o build/mleval || exit 1
cut -f1-4 "$DATA/ml-100k/u.data" | tr '\t' ' ' > "$tmp/ml100k.txt"
zcat "$DATA/ml-1m/ratings_no_timestamps.csv.gz" | tail -n +2 | tr ',' ' ' > "$tmp/ml1m.txt"
echo "load average at start: $(cut -d ' ' -f 1-3 /proc/loadavg), $(nproc) cores, threads=${THREADS:-2}"
echo
echo "| data | algorithm | settings | train s | NDCG@10 | P@10 | R@10 | coverage@10 |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for ds in ml100k ml1m; do
  extra=()
  [ "$ds" = ml1m ] && [ ${#val[@]} -gt 0 ] && extra=(--random-ties)
  for a in vae ease als warp; do
    opts=()
    [ "$a" = vae ] && opts=("$@")
    note "$ds $a"
    build/mleval "${val[@]}" "${extra[@]}" --algo "$a" threads="${THREADS:-2}" "${opts[@]}" \
      < "$tmp/$ds.txt" > "$tmp/out.txt"
    echo "| $ds | $a | ${opts[*]:-defaults} | $(kv seconds "$tmp/out.txt") | $(kv NDCG@10 "$tmp/out.txt")" \
         "| $(kv P@10 "$tmp/out.txt") | $(kv R@10 "$tmp/out.txt") | $(kv cov@10 "$tmp/out.txt") |"
  done
done
echo
echo "load average at end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
