# bench/lib.sh - small helpers for bench/run.sh (sourced).

# kv KEY FILE: the value of KEY=value in a line of mleval output
kv() { tr ' ' '\n' < "$2" | sed -n "s/^$1=//p" | head -n 1; }

# ratio A B [DIGITS]: A / B, or n/a when either is missing or B is 0
ratio() {
  awk -v a="$1" -v b="$2" -v d="${3:-2}" \
    'BEGIN { if (a == "" || b + 0 == 0) print "n/a"; else printf "%.*f\n", d, a / b }'
}

# log_stats SKIP FILES...: "count median p99 mean" in microseconds of pgbench
# per-transaction logs (field 3), leaving out each client's first SKIP
# transactions (model load and cold caches: the figures are warm-cache ones)
log_stats() {
  local skip=$1; shift
  awk -v s="$skip" '++n[$1] > s { print $3 }' "$@" | sort -n |
    awk '{ v[NR] = $1; t += $1 }
         END { if (NR == 0) { print "0 n/a n/a n/a"; exit }
               p = int(NR * 0.99); if (p < 1) p = 1
               printf "%d %.1f %.1f %.1f\n", NR, v[int((NR + 1) / 2)], v[p], t / NR }'
}

# json_num KEY TEXT: the first numeric value of "KEY": in a JSON text
json_num() { sed -n "s/.*\"$1\": *\([0-9.e+-]*\).*/\1/p" <<< "$2" | head -n 1; }

# note MESSAGE: progress on stderr (stdout is the results file)
note() { echo "bench: $*" >&2; }
