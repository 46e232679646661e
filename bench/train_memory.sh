#!/usr/bin/env bash
# bench/train_memory.sh - peak memory and seconds of one ALS training (64 factors,
# 15 iterations, 2 threads) on the synthetic sets S and/or M (bench/train_memory.c's
# seeded generator), three ways:
#   core        bench/train_memory.c: the core API alone (VmHWM of the process)
#   PostgreSQL  recsys_train() in a fresh backend of a throw-away cluster: the
#               backend's VmHWM and its peak RssAnon (private memory, sampled
#               every 50 ms from outside), and the statement's wall time
#   SQLite      recsys_train() in the sqlite3 CLI: the process's VmHWM
# and the ratios to the core and to implicit 0.7.3's published peak and fit time
# (/work/shared/REFERENCE.md). Run from the repository root after `make all`:
#   SETS="S M" PGBIN=/path/to/pg/bin bench/train_memory.sh
# M loads 25M rows into both databases (a few GB under /tmp; about 10 minutes).
set -euo pipefail
SETS=${SETS:-S}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
EXT=$(readlink -f sqlite_recsys/recsys.so)
OPTS='{"factors": 64, "iterations": 15, "threads": 2}'
work=$(mktemp -d /tmp/train_memory.XXXXXX)
chmod 755 "$work"
declare -A IMPLICIT_MB=([S]=248 [M]=1021) IMPLICIT_S=([S]=20.2 [M]=103.4)

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -d "$work/pg/data" ] && as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
note() { echo "train_memory: $*" >&2; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# status_kb PID FIELD: a /proc/PID/status field in kB (0 when gone)
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# sample PID OUT: write "peak_rss_anon_kb vm_hwm_kb" to OUT when PID ends
sample() {
  local pid=$1 out=$2 anon peak=0 hwm=0 h
  while [ -e "/proc/$pid" ]; do
    anon=$(status_kb "$pid" RssAnon); h=$(status_kb "$pid" VmHWM)
    [ "${anon:-0}" -gt "$peak" ] && peak=$anon
    [ "${h:-0}" -gt "$hwm" ] && hwm=$h
    sleep 0.05
  done
  echo "$peak $hwm" >"$out"
}

gcc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Icore bench/train_memory.c \
  build/librecsys_core.a $(pkg-config --libs openblas 2>/dev/null || echo -lopenblas) \
  -llapacke -lpthread -lm -o build/train_memory

# the cluster: small shared_buffers, so the backend's VmHWM is mostly its own
mkdir -p "$work/pg"; [ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
as_pg "$PGBIN/initdb" -D "$work/pg/data" -A trust -U postgres >/dev/null
printf "port = 5499\nunix_socket_directories = '%s'\nlisten_addresses = ''\nfsync = off\nshared_buffers = 32MB\nmax_wal_size = 4GB\n" \
  "$work/pg" >>"$work/pg/data/postgresql.conf"
as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w start >/dev/null
psql_pg() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/pg" -p 5499 -U postgres -d postgres "$@"; }
psql_pg -c "CREATE EXTENSION pg_recsys"

results=()
for set in $SETS; do
  note "$set: core"
  core=$(./build/train_memory core "$set")
  core_mb=$(sed -n 's/.*peak_mb=\([0-9]*\).*/\1/p' <<<"$core")
  core_s=$(sed -n 's/.*train_seconds=\([0-9.]*\).*/\1/p' <<<"$core")
  rows=$(sed -n 's/.*rows=\([0-9]*\).*/\1/p' <<<"$core")

  note "$set: generating and loading $rows rows"
  ./build/train_memory gen "$set" >"$work/$set.tsv"
  psql_pg -c "CREATE TABLE ev_$set(user_id integer, item_id integer)" \
    -c "\\copy ev_$set FROM '$work/$set.tsv'" -c "VACUUM ANALYZE ev_$set"
  sqlite3 "$work/$set.db" "CREATE TABLE ev(user_id INTEGER, item_id INTEGER)" \
    ".mode tabs" ".import $work/$set.tsv ev"
  rm -f "$work/$set.tsv"

  note "$set: PostgreSQL"
  rm -f "$work/pid"
  psql_pg >/dev/null <<SQL &
\\o $work/pid.tmp
SELECT pg_backend_pid();
\\o
\\! mv $work/pid.tmp $work/pid
SELECT pg_sleep(0.3);
SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset
SELECT recsys_train('m_$set', 'ev_$set', 'als', '$OPTS');
\\o $work/pg_$set.out
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 2);
SQL
  client=$!
  while [ ! -s "$work/pid" ]; do sleep 0.05; done
  sample "$(cat "$work/pid")" "$work/pg_$set.mem" &
  sampler=$!
  wait "$client"; wait "$sampler"
  read -r pg_anon pg_hwm <"$work/pg_$set.mem"
  pg_s=$(cat "$work/pg_$set.out")
  psql_pg -c "SELECT recsys_drop_model('m_$set')" -c "DROP TABLE ev_$set" >/dev/null

  note "$set: SQLite"
  start=$(date +%s.%N)
  sqlite3 "$work/$set.db" ".load $EXT" "SELECT recsys_train('m', 'ev', 'als', '$OPTS')" >/dev/null &
  lite=$!
  sample "$lite" "$work/lite_$set.mem" &
  sampler=$!
  wait "$lite"; wait "$sampler"
  lite_s=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
  read -r _ lite_hwm <"$work/lite_$set.mem"
  rm -f "$work/$set.db"

  results+=("$set $rows $core_mb $core_s $(mb "$pg_hwm") $(mb "$pg_anon") $pg_s $(mb "$lite_hwm") $lite_s")
done

echo "# recsys_train memory (ALS 64 factors, 15 iterations, 2 threads); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| set | rows | core peak MB / train s | PostgreSQL backend VmHWM MB (private) / s | SQLite VmHWM MB / s | PG private (VmHWM) / core | SQLite / core | PG private, SQLite / implicit's peak | core, PG, SQLite s / implicit's fit |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for r in "${results[@]}"; do
  read -r set rows cmb cs phwm panon ps lhwm ls <<<"$r"
  echo "| $set | $rows | $cmb / $cs | $phwm ($panon) / $ps | $lhwm / $ls | $(ratio "$panon" "$cmb") ($(ratio "$phwm" "$cmb")) | $(ratio "$lhwm" "$cmb") |" \
       "$(ratio "$panon" "${IMPLICIT_MB[$set]}"), $(ratio "$lhwm" "${IMPLICIT_MB[$set]}") |" \
       "$(ratio "$cs" "${IMPLICIT_S[$set]}"), $(ratio "$ps" "${IMPLICIT_S[$set]}"), $(ratio "$ls" "${IMPLICIT_S[$set]}") |"
done
