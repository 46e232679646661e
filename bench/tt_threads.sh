#!/usr/bin/env bash
# bench/tt_threads.sh - two_tower's training time on ML-100K (u.item and
# u.user features, bench/mlfeatures.c) by thread count: per count the
# fastest of REPEATS fits, its process CPU seconds (user + system) and the
# load average just before it. The machines are shared: the fastest fit is
# the least disturbed, and the load says how disturbed.
# usage: bench/tt_threads.sh [MLFEATURES-BINARY [REPEATS [THREADS...]]]
#   (defaults: build/mlfeatures, 3, 1 2; build it as bench/RESULTS.md says;
#   give another build's binary to compare two versions of the core)
set -u
cd "$(dirname "$0")/.."
bin=${1:-build/mlfeatures}
reps=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
counts=("$@")
[ ${#counts[@]} -eq 0 ] && counts=(1 2)
DATA=${RECSYS_DATA:-../shared/data}/ml-100k
[ -x "$bin" ] || { echo "no $bin: build it first (bench/RESULTS.md)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$bin, $(nproc) cores, fastest of $reps"
echo
echo "| threads | train s | CPU s | load average before it | NDCG@10 |"
echo "| --- | --- | --- | --- | --- |"
for t in "${counts[@]}"; do
  best=""; cpu=""; load=""; ndcg=""
  for _ in $(seq "$reps"); do
    l=$(cut -d ' ' -f 1-3 /proc/loadavg)
    /usr/bin/time -f "%U %S" -o "$tmp/time" "$bin" --algo two_tower --items "$DATA/u.item" \
      --users "$DATA/u.user" threads="$t" < "$DATA/u.data" > "$tmp/out" || exit 1
    s=$(tr ' ' '\n' < "$tmp/out" | sed -n 's/^seconds=//p')
    if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$s; load=$l
      cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$tmp/time")
      ndcg=$(tr ' ' '\n' < "$tmp/out" | sed -n 's/^NDCG@10=//p')
    fi
  done
  echo "| $t | $best | $cpu | $load | $ndcg |"
done
