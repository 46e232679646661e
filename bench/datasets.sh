#!/bin/sh
# datasets.sh - the five datasets of ../shared/data as one uniform TSV each,
# `user \t item \t weight \t event \t ts` (empty field: none), for bench/dseval.c.
# Written to $DS_DIR (default /work/bench-data/ds; never committed). Choices
# (bench/README.md, "Datasets"):
#   ml-100k     u.data, ratings >= 4, weight 1, ts = unix seconds
#   ml-1m       ratings >= 4, weight 1, ts = the fold number (1-5: the copy has no time)
#   lastfm      user_artists.dat, weight = play count, no ts, no event
#   diginetica  views and purchases, event view / purchase, weight 1,
#               user = userId when known, else "s" + sessionId;
#               ts = eventdate (UTC midnight) + timeframe (ms since session start) / 1000
#   yoochoose   train_full only, sessions as users ("s" + SessionId), clicks,
#               weight 1, no event, ts = Time; its test file is not used (session-rec's
#               own last-day split, with its items filtered to those of train_full)
# Item attributes (for content) go to NAME.items.tsv, `item \t column \t text`:
#   ml-100k genres (u.item flags), ml-1m genres (movies.dat), lastfm tag ids
#   (user_taggedartists), diginetica category; yoochoose has none.
# usage: bench/datasets.sh [dataset ...]   (default: all five)
set -eu
DATA=${RECSYS_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}
[ -d "$DATA" ] || DATA=/work/shared/data
OUT=${DS_DIR:-/work/bench-data/ds}
mkdir -p "$OUT"
sets=${*:-ml-100k ml-1m lastfm diginetica yoochoose}

# items NAME TSV: the item attributes of the items in TSV
items() {
	case $1 in
	ml-100k)
		awk -F'|' 'NR == FNR { if ($1 != "") g[$2] = $1; next }
			{ t = ""; for (k = 6; k <= 24; k++) if ($k == 1) t = t (t ? " " : "") g[k - 6]
			  if (t != "") print $1 "\tgenre\t" t }' "$DATA/ml-100k/u.genre" "$DATA/ml-100k/u.item" ;;
	ml-1m)
		awk -F'::' '{ g = $3; gsub(/\|/, " ", g); print $1 "\tgenre\t" g }' "$DATA/ml-1m/movies.dat" |
			tr -d '\r' ;;
	lastfm)
		gzip -dc "$DATA/hetrec2011-lastfm-2k/user_taggedartists.dat.gz" | tr -d '\r' |
		awk -F'\t' 'NR > 1 && !seen[$2 SUBSEP $3]++ { t[$2] = t[$2] " t" $3 }
			END { for (a in t) print a "\ttags\t" substr(t[a], 2) }' | sort -n ;;
	diginetica)
		gzip -dc "$DATA/diginetica/product-categories.csv.gz" | tr -d '\r' |
		awk -F';' 'NR == FNR { want[$2] = 1; next } FNR > 1 && want[$1] { print $1 "\tcategory\tc" $2 }' \
			FS='\t' "$2" FS=';' - ;;
	esac
}
for s in $sets; do
	tmp="$OUT/$s.tsv.tmp"
	case $s in
	ml-100k)
		awk -F'\t' '$3 >= 4 { print $1 "\t" $2 "\t1\t\t" $4 }' "$DATA/ml-100k/u.data" > "$tmp" ;;
	ml-1m)
		gzip -dc "$DATA/ml-1m/ratings_no_timestamps.csv.gz" |
		awk -F, 'NR > 1 && $3 >= 4 { print $1 "\t" $2 "\t1\t\t" $4 }' > "$tmp" ;;
	lastfm)
		awk -F'\t' 'NR > 1 && $3 > 0 { print $1 "\t" $2 "\t" $3 "\t\t" }' \
			"$DATA/hetrec2011-lastfm-2k/user_artists.dat" | tr -d '\r' > "$tmp" ;;
	diginetica)
		# days since the epoch from YYYY-MM-DD (civil calendar, no date(1) per row)
		awk -F';' '
		function days(d,   y, m, dd, a) {
			y = substr(d, 1, 4) + 0; m = substr(d, 6, 2) + 0; dd = substr(d, 9, 2) + 0
			if (m <= 2) { y--; m += 12 }
			a = int(y / 100)
			return int(365.25 * (y + 4716)) + int(30.6001 * (m + 1)) + dd + 2 - a + int(a / 4) - 1524.5 - 2440587.5
		}
		FNR == 1 { next }
		FILENAME ~ /item-views/ { u = ($2 == "NA" ? "s" $1 : $2); printf "%s\t%s\t1\tview\t%.3f\n", u, $3, days($5) * 86400 + $4 / 1000 }
		FILENAME ~ /purchases/  { u = ($2 == "NA" ? "s" $1 : $2); printf "%s\t%s\t1\tpurchase\t%.3f\n", u, $6, days($4) * 86400 + $3 / 1000 }
		' "$DATA/diginetica/sample_train-item-views.csv" "$DATA/diginetica/train-purchases.csv" | tr -d '\r' > "$tmp" ;;
	yoochoose)
		gzip -dc "$DATA/yoochoose-clicks-100k/yoochoose-clicks-100k_train_full.txt.gz" |
		awk -F'\t' 'NR > 1 { print "s" $1 "\t" $2 "\t1\t\t" $3 }' | tr -d '\r' > "$tmp" ;;
	*) echo "unknown dataset $s (ml-100k ml-1m lastfm diginetica yoochoose)" >&2; exit 2 ;;
	esac
	mv "$tmp" "$OUT/$s.tsv"
	items "$s" "$OUT/$s.tsv" > "$OUT/$s.items.tsv.tmp" && mv "$OUT/$s.items.tsv.tmp" "$OUT/$s.items.tsv"
	[ -s "$OUT/$s.items.tsv" ] || rm -f "$OUT/$s.items.tsv"
	echo "$OUT/$s.tsv: $(wc -l < "$OUT/$s.tsv") rows"
done
