#!/usr/bin/env bash
# auto_targets.sh - issue 13's targets for auto on the dataset bench: per
# dataset, every family at its defaults and auto, test NDCG@10 under the
# global-time split (the user split where the data has no time: lastfm),
# with auto's ratio to the best family and the candidate it chose.
# Needs `make bench-tools` and bench/datasets.sh's TSVs ($DS_DIR).
# usage: bench/auto_targets.sh [dataset ...]   (SPLIT=user: the user split everywhere;
#        FAMILIES="als ease ..." to restrict; AUTO_OPTS="time_budget=60 ...")
set -u
cd "$(dirname "$0")/.."
DS=${DS_DIR:-/work/bench-data/ds}
sets=${*:-ml-100k ml-1m lastfm diginetica yoochoose}
families=${FAMILIES:-popularity als itemknn svd ease warp bpr}
echo "# $(date -u +%F' '%H:%M) UTC, commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| dataset | split | best family (defaults) | its NDCG@10 | auto NDCG@10 | auto / best | auto train s | auto chose |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for s in $sets; do
	f=$DS/$s.tsv
	[ -f "$f" ] || { echo "missing $f (bench/datasets.sh $s)" >&2; continue; }
	split=${SPLIT:-global_time}
	[ "$split" = global_time ] && [ -z "$(cut -f5 "$f" | head -1)" ] && split=user # no time
	best=none bestv=0
	for a in $families; do
		line=$(${DSEVAL:-build/dseval} --data "$f" --name "$s" --split "$split" --algo "$a" 2>&1)
		v=$(echo "$line" | sed -n 's/.*NDCG@10=\([0-9.]*\).*/\1/p')
		echo "  $s $split $a: ${v:-$line}" >&2
		[ -n "$v" ] && awk -v a="$v" -v b="$bestv" 'BEGIN { exit !(a > b) }' && best=$a bestv=$v
	done
	line=$(${DSEVAL:-build/dseval} --data "$f" --name "$s" --split "$split" --algo auto ${AUTO_OPTS:-} 2>&1)
	v=$(echo "$line" | sed -n 's/.*NDCG@10=\([0-9.]*\).*/\1/p')
	t=$(echo "$line" | sed -n 's/.*train_s=\([0-9.]*\).*/\1/p')
	c=$(echo "$line" | sed -n 's/.*chosen="\([^"]*\)".*/\1/p')
	echo "  $s $split auto: $(echo $line)" >&2
	echo "| $s | $split | $best | $bestv | ${v:-?} | $(awk -v a="${v:-0}" -v b="$bestv" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }') | ${t:-?} | ${c:-?} |"
done
