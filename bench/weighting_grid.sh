#!/bin/sh
# weighting_grid.sh - the grid behind each family's default "weighting"
# (README "Weighting"): every family x raw|binary|log on the VALIDATION split
# (dseval --validation: the split's rule applied again to its training part)
# of the five data sets under both splits (lastfm has no time: user split
# only). ML-100K and ML-1M hold 0/1 values, where the three are the same.
# usage: bench/weighting_grid.sh [family ...] > grid.txt   (needs make bench-tools
# and bench/datasets.sh; DS_DIR as there)
set -eu
cd "$(dirname "$0")/.."
DS=${DS_DIR:-/work/bench-data/ds}
fams=${*:-als itemknn svd ease bpr warp}
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for d in lastfm diginetica yoochoose ml-100k ml-1m; do
	for s in user global_time; do
		[ "$d" = lastfm ] && [ "$s" = global_time ] && continue
		for a in $fams; do
			for w in raw binary log; do
				case $d in ml-*) [ "$w" = raw ] || continue ;; esac
				build/dseval --data "$DS/$d.tsv" --name "$d" --split "$s" --validation \
					--algo "$a" threads=2 weighting="$w" $( [ "$a" = ease ] && echo max_memory_mb=4096 ) 2>&1 | tail -1
			done
		done
	done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
