#!/usr/bin/env bash
# bench/shared_model.sh - memory and first-call latency of backends serving
# one model, with private copies (recsys.shared_models = off) and with the
# shared serving image (on). Starts a throw-away cluster under /tmp (needs
# PGBIN and the extension installed there), trains a synthetic ALS model of
# ITEMS x FACTORS and prints:
#   - per-backend private memory and PSS (/proc/PID/smaps_rollup) for 1 and
#     8 backends that each served one recommend(), minus an idle backend's;
#   - what 8 backends add together, in copies of the model (image size);
#   - first recommend() in a new backend (psql \timing, median of RUNS).
# Usage: PGBIN=... bench/shared_model.sh   (ITEMS=200000 USERS=50000 ROWS=1000000 FACTORS=64 RUNS=5)
set -u
cd "$(dirname "$0")/.."
. test/e2e/lib.sh
ITEMS=${ITEMS:-200000}
USERS=${USERS:-50000}
ROWS=${ROWS:-1000000}
FACTORS=${FACTORS:-64}
RUNS=${RUNS:-5}
DIR=$(mktemp -d /tmp/recsys-bench-shared.XXXXXX)
PORT=${PORT:-55460}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" && e2e_start "$DIR" || { echo "cluster start failed"; exit 1; }

kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/smaps_rollup"; }
# private memory of a backend: its anonymous (malloc'd) pages
priv() { kb "$1" Anonymous; }
# its share of the serving image it maps (PSS of that mapping; 0 when none)
img_pss() { awk '/pgsql_tmp_recsys_/ { on = 1; next } /^[0-9a-f]+-/ { on = 0 } on && $1 == "Pss:" { s += $2 } END { print s + 0 }' "/proc/$1/smaps"; }
# what the model costs a backend: private pages above an idle backend's, plus its image share
cost() { echo $(( $(priv "$1") - base_priv + $(img_pss "$1") )); }
# first call of SQL in a new backend (ms)
first_ms() { PGOPTIONS="-c recsys.shared_models=$1" q "$DIR" "$PORT" -c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; }
# the same after the library was loaded by a first recsys_version() in that backend
model_ms() { PGOPTIONS="-c recsys.shared_models=$1" q "$DIR" "$PORT" -c '\timing on' -c "SELECT recsys_version()" -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "bench: training ALS on $USERS users x $ITEMS items, $ROWS rows, f = $FACTORS" >&2
t0=$(date +%s.%N)
q "$DIR" "$PORT" <<SQL >/dev/null || { echo "setup failed"; exit 1; }
CREATE EXTENSION pg_recsys;
CREATE TABLE ev AS SELECT 'u' || (g % $USERS) AS user_id, 'i' || ((g::bigint * 7919) % $ITEMS) AS item_id
  FROM generate_series(1, $ROWS) g;
SELECT recsys_train('m', 'ev', 'als', '{"factors": $FACTORS, "iterations": 1, "threads": 2}');
SQL
t1=$(date +%s.%N)
blob=$(q "$DIR" "$PORT" -c "SELECT octet_length(blob) FROM recsys.model_store WHERE name = 'm'")
echo "# Shared models: $USERS users x $ITEMS items, f = $FACTORS"
echo
echo "model blob $(mb $((blob / 1024))) MB, trained in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; $(uptime | sed 's/.*load/load/')"
echo

lib_ms=$(for r in $(seq 1 "$RUNS"); do first_ms on "SELECT recsys_version()"; done | median)
echo "A new backend's first recsys_version() (loading the library, no model): $lib_ms ms (median of $RUNS)."
echo
echo "| recsys.shared_models | first recommend(), new backend (median of $RUNS) | the same after the library is loaded | 1 backend: model cost (private + image PSS) | 8 backends: model cost each | 8 backends together, in copies of the model |"
echo "| --- | --- | --- | --- | --- | --- |"
for mode in off on; do
  # a fresh server: no image left from the previous mode
  as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w restart -l "$DIR/server.log" >/dev/null
  # an idle backend with the library loaded: what a backend holds without a model
  sess_open "I$mode" "$DIR" "$PORT"
  pi=$(sess_query "I$mode" "SELECT pg_backend_pid(); SELECT recsys_version();" | head -1)
  base_priv=$(priv "$pi")
  build=""
  if [ $mode = on ]; then # the first backend builds the image
    build=$(first_ms on "SELECT count(*) FROM recommend('u0', 10, 'm')")
  fi
  lat=$(for r in $(seq 1 "$RUNS"); do first_ms $mode "SELECT count(*) FROM recommend('u$r', 10, 'm')"; done | median)
  mlat=$(for r in $(seq 1 "$RUNS"); do model_ms $mode "SELECT count(*) FROM recommend('u$((r + 10))', 10, 'm')"; done | median)
  pids=()
  for s in 1 2 3 4 5 6 7 8; do
    sess_open "S$mode$s" "$DIR" "$PORT"
    pids+=("$(sess_query "S$mode$s" "SET recsys.shared_models = $mode; SELECT pg_backend_pid();")")
    sess_query "S$mode$s" "SELECT count(*) FROM recommend('u$s', 10, 'm');" >/dev/null
    [ $s = 1 ] && one=$(cost "${pids[0]}")
  done
  tot=0
  for p in "${pids[@]}"; do tot=$((tot + $(cost "$p"))); done
  img=$(ls -l "$DIR/data/base/pgsql_tmp/" 2>/dev/null | awk '/pgsql_tmp_recsys_.*\.img$/ { s = $5 } END { print s + 0 }')
  [ $mode = on ] && copy_kb=$((img / 1024))
  [ $mode = off ] && copy_kb=$(( $(priv "${pids[0]}") - base_priv )) # one private copy
  echo "| $mode | $lat ms${build:+ (the first backend, building the image: $build ms)} | $mlat ms | $(mb "$one") MB | $(mb $((tot / 8))) MB | $(awk -v a="$tot" -v c="$copy_kb" 'BEGIN { printf "%.2f", a / c }') ($(mb "$tot") MB; one copy $(mb "$copy_kb") MB) |"
  for s in 1 2 3 4 5 6 7 8; do sess_close "S$mode$s"; done
  sess_close "I$mode"
done
echo
echo "$(uptime | sed 's/.*load/load/') at the end. Model cost of a backend = its Anonymous pages above an idle backend's + its PSS of the image mapping (/proc/PID/smaps); PSS splits shared pages among their users. One copy: the image's size (on), the first backend's private copy (off)."
