#!/bin/sh
# datasets_table.sh - issue 13's table (B3): every family at its defaults and
# auto on the five data sets under both splits, NDCG@10 and train seconds on
# the test split, written into bench/RESULTS.md ("Datasets" section, between
# its markers) and printed. `make bench-datasets` runs it (it builds dseval
# and the TSVs first). Families: popularity als itemknn svd ease warp bpr
# content (needs item attributes: not yoochoose) auto. lastfm has no time, so
# no global-time column. About 4 minutes (215 s at load average 5, 2 cores).
# usage: bench/datasets_table.sh [--no-write]   (DS_DIR as datasets.sh; THREADS=2)
set -eu
cd "$(dirname "$0")/.."
DS=${DS_DIR:-/work/bench-data/ds}
THREADS=${THREADS:-2}
write=1
[ "${1:-}" = "--no-write" ] && write=0
for d in ml-100k ml-1m lastfm diginetica yoochoose; do
	[ -f "$DS/$d.tsv" ] || bench/datasets.sh "$d" >&2
done
families="popularity als itemknn svd ease warp bpr content auto"
cols="ml-100k:user ml-100k:global_time ml-1m:user ml-1m:global_time lastfm:user diginetica:user diginetica:global_time yoochoose:user yoochoose:global_time"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
out=$(mktemp)
trap 'rm -f "$out" "$out.md"' EXIT

# cell DATASET SPLIT ALGO: "ndcg (seconds s)", or why there is none
cell() {
	items=
	if [ "$3" = content ]; then
		[ -f "$DS/$1.items.tsv" ] || { echo "n/a: no item attributes"; return; }
		items="--items $DS/$1.items.tsv"
	fi
	line=$(build/dseval --data "$DS/$1.tsv" --name "$1" --split "$2" $items --algo "$3" \
		threads="$THREADS" 2>&1 | grep -v '^chosen=' | tail -1) # auto adds a chosen= line
	case $line in
	dataset=*)
		echo "$line" | sed 's/.*NDCG@10=\([0-9.]*\).*train_s=\([0-9.]*\).*/\1 (\2 s)/' ;;
	*"max_memory_mb"*) echo "refused: over max_memory_mb" ;;
	*) echo "error: $(echo "$line" | cut -c1-60)" ;;
	esac
}

{
	printf '| family |'
	for c in $cols; do printf ' %s %s |' "${c%%:*}" "${c#*:}"; done
	printf '\n| --- |'
	for c in $cols; do printf ' --- |'; done
	printf '\n'
	for a in $families; do
		printf '| %s |' "$a"
		for c in $cols; do printf ' %s |' "$(cell "${c%%:*}" "${c#*:}" "$a")"; done
		printf '\n'
	done
} > "$out"
secs=$(( $(date +%s) - t0 ))
load1=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "<!-- datasets-table:begin (bench/datasets_table.sh rewrites this block) -->"
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
		"$THREADS threads, $secs s in all; load average $load0 at start, $load1 at end."
	echo "NDCG@10 on the test split (train seconds); \`make bench-datasets\` or"
	echo "\`bench/datasets_table.sh\` rebuilds it."
	echo
	cat "$out"
	echo "<!-- datasets-table:end -->"
} > "$out.md"
cat "$out.md"
if [ "$write" = 1 ]; then
	if grep -q '^<!-- datasets-table:begin' bench/RESULTS.md; then
		awk -v f="$out.md" '/^<!-- datasets-table:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
			/^<!-- datasets-table:end/ { skip = 0; next } !skip' bench/RESULTS.md > "$out.new"
		mv "$out.new" bench/RESULTS.md
	else
		{ echo; echo "## Datasets (issue 13)"; echo; cat "$out.md"; } >> bench/RESULTS.md
	fi
fi
