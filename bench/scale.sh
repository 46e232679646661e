#!/usr/bin/env bash
# bench/scale.sh - make bench-scale: issue 12's figures on the synthetic sets
# S, M and L (bench/gen_synth.c), written to bench/SCALE.md beside the
# issue's "before" figures and implicit 0.7.3's (measured in the same run
# when bench/implicit_build.sh's build is there, else REFERENCE.md's).
#
# Steps (each appends "tool set=X step=Y key=value ..." lines to
# $SCALE_WORK/results.txt, the parseable record of the run):
#   core      build/scale_core: training time and peak RSS, recall@10 on the
#             held-out items, warm recommend() latency, top-10 for 100k users
#   implicit  bench/implicit_scale.py, the same work (when built)
#   sqlite    import, recsys_train's time and the process's peak (VmHWM),
#             S: top-10 for 100k users into a table (lateral join,
#             recommend_batch when the build has it), L: warm latency
#             (bench/sqlite_latency.c)
#   pg        a throw-away cluster (test/e2e/lib.sh) of $PGBIN with the
#             installed pg_recsys: COPY, recsys_train's time and the
#             backend's VmHWM, S: top-10 for 100k users, L: private memory
#             and PSS of 1 and 8 backends serving the model, first
#             recommend() in new backends, warm latency (pgbench -c 1);
#             ML-1M: recommend() against a precomputed indexed top-10 table
#             (pgbench -M prepared -j 2, 2 and 8 clients, as bench/pg.sh),
#             with the result memo and without (recsys.result_cache = 0),
#             popular_items and SELECT 1 beside them
# Features of other branches are detected and reported "n/a" when absent:
# recommend_batch, the serving option "exact", the training option "index"
# ($SCALE_INDEX_OPTION), recsys_import, progress settings.
#
# Knobs: SCALE_SETS ("S L M"; e.g. SCALE_SETS=S), SCALE_DATA (where the
# generated sets go, /tmp/recsys-scale-data: 0.7 GB S, 1.4 GB L, 3.6 GB M),
# SCALE_WORK (scratch, removed at the end unless SCALE_KEEP=1),
# SCALE_SMOKE=1 (tiny sets under the same names: tries every step in a
# minute or two; give it its own SCALE_DATA), SCALE_TPS_SECONDS (15), SCALE_LAT_SECONDS (10), SCALE_FRESH (5 new
# backends), IMPLICIT_DIR (/work/implicit-build), PGBIN, BENCH_THREADS (2).
# Runtime on the 2-core machine: about 25 min for all when quiet (estimate);
# under a load of 8-11, S took 10 min and L with ML-1M 26 min; M (no
# implicit) 11 min at a load of 4. Needs root (the cluster runs as the postgres OS user).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SETS=${SCALE_SETS:-S L M}
DATA=${SCALE_DATA:-/tmp/recsys-scale-data}
TPS_SECONDS=${SCALE_TPS_SECONDS:-15}
LAT_SECONDS=${SCALE_LAT_SECONDS:-10}
FRESH=${SCALE_FRESH:-5}
RECALL_USERS=${SCALE_RECALL_USERS:-2000}
THREADS=${BENCH_THREADS:-2}
IMPLICIT_DIR=${IMPLICIT_DIR:-/work/implicit-build}
INDEX_OPTION=${SCALE_INDEX_OPTION:-\"index\": \"ivf\"}
ML1M=$(readlink -f "${RECSYS_DATA:-../shared/data}/ml-1m/ratings_no_timestamps.csv.gz")
work=${SCALE_WORK:-$(mktemp -d /tmp/recsys-scale.XXXXXX)}
res=$work/results.txt
export OPENBLAS_NUM_THREADS=1 PATH=$PGBIN:$PATH
ALS_OPTS="{\"factors\": 64, \"iterations\": 15, \"solver\": \"cg\", \"cg_steps\": 3, \"alpha\": 5, \"threads\": $THREADS}"

# shellcheck source=../test/e2e/lib.sh
. test/e2e/lib.sh
pgdir=$work/pg
port=54912
mkdir -p "$work" "$DATA"
chmod 755 "$work" "$DATA"
: > "$res"
trap 'e2e_cleanup; [ "${SCALE_KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

note() { echo "scale: $(date +%T) $*" >&2; }
rec() { echo "$*" | tee -a "$res" >&2; }
load() { cut -d' ' -f1 /proc/loadavg; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# pq SQL...: psql on the bench cluster, unaligned tuples, stop on error
pq() { q "$pgdir" "$port" "$@"; }
# kb_of FILE KEY: a "Key:   123 kB" field of /proc status-like files, in kB
kb_of() { awk -v k="$2:" '$1 == k { print $2 }' "$1"; }
# private_kb PID: Private_Clean + Private_Dirty of a process (smaps_rollup)
private_kb() { awk '$1 == "Private_Clean:" || $1 == "Private_Dirty:" { s += $2 } END { print s }' "/proc/$1/smaps_rollup"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

note "building (make all, bench-tools; the installed pg_recsys of $PGBIN is used as it is)"
make -s all bench-tools >&2
gcc -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE bench/sqlite_latency.c -lsqlite3 -o build/sqlite_latency
SQLITE_EXT=$root/sqlite_recsys/recsys
started=$(date +%s)
rec "run started=$(date -u +%FT%TZ) load=$(load) commit=$(git rev-parse --short HEAD) sets=\"$SETS\" threads=$THREADS openblas_coretype=${OPENBLAS_CORETYPE:-unset}"

have_implicit=0
if [ "${SCALE_IMPLICIT:-1}" = 1 ] && [ -f bench/implicit_scale.py ] && PYTHONPATH=$IMPLICIT_DIR/src /usr/bin/python3 -c 'import implicit.cpu._als, implicit.cpu.topk' 2>/dev/null; then
  have_implicit=1
fi
rec "implicit available=$have_implicit dir=$IMPLICIT_DIR"

note "starting a throw-away cluster ($PGBIN)"
e2e_init "$pgdir" "$port" "shared_buffers = 256MB" "max_wal_size = 8GB" "synchronous_commit = off" \
  "max_connections = 40" "log_min_messages = warning"
e2e_start "$pgdir"
pq -c "CREATE EXTENSION pg_recsys"
rec "pg version=\"$(pq -c 'SHOW server_version')\" recsys=$(pq -c 'SELECT recsys_version()')"
# other branches' features, absent in older builds
pg_batch=$(pq -c "SELECT coalesce(string_agg(oid::regprocedure::text, ' '), '') FROM pg_proc WHERE proname = 'recommend_batch'")
pg_import=$(pq -c "SELECT count(*) FROM pg_proc WHERE proname LIKE 'recsys_import%'")
pg_progress=$(pq -c "SELECT recsys_version(); SELECT count(*) FROM pg_settings WHERE name LIKE 'recsys.%progress%'" | tail -1)  # the library defines its settings when loaded
rec "features recommend_batch=\"${pg_batch:-none}\" recsys_import=$pg_import progress_settings=$pg_progress"

# ---------------------------------------------------------------- per set
for set in $SETS; do
  [ "$set" = none ] && continue
  x=$(echo "$set" | tr 'A-Z' 'a-z')
  tsv=$DATA/$set.tsv held=$DATA/${set}_heldout.tsv
  if [ ! -s "$tsv" ] || [ ! -s "$held" ]; then
    note "$set: generating"
    gen=(--set "$set")
    # SCALE_SMOKE=1: tiny sets under the same names, to try the harness in a minute
    [ "${SCALE_SMOKE:-0}" = 1 ] && gen=(--users 3000 --items 1000 --median 20 --heldout 200 --name "$set")
    t=$(now); build/gen_synth "${gen[@]}" --out "$DATA" 2>>"$work/gen.log"
    rec "gen set=$set seconds=$(secs "$t") $(tail -1 "$work/gen.log" | sed 's/^gen_synth: set=[A-Z]* //')"
  fi
  chmod a+r "$tsv" "$held"

  # top-10 for 100k users is issue 12's figure on S only; on the big catalogues
  # (a scan of 200k / 1M items per call) fewer calls keep the run within its time
  calls=2000 batch=100000 recall=10000
  [ "$set" = S ] || { calls=300 batch=0 recall=$RECALL_USERS; }
  note "$set: core"
  build/scale_core --set "$set" --data "$tsv" --heldout "$held" --threads "$THREADS" \
    --calls "$calls" --batch-users "$batch" --recall-users "$recall" | tee -a "$res" >&2
  rec "load set=$set after=core value=$(load)"
  # users 1..nb exist in every set (in a smoke set, fewer than 100k)
  nusers=$(awk -v s="set=$set" '$1 == "core" && $2 == s && $3 == "step=train" { for (i = 4; i <= NF; i++) if ($i ~ /^users=/) { sub(/.*=/, "", $i); print $i } }' "$res")
  nb=$(( nusers < 100000 ? nusers : 100000 ))
  reg=$(awk -v s="set=$set" '$1 == "core" && $2 == s && $3 == "step=train" { for (i = 4; i <= NF; i++) if ($i ~ /^regularization=/) { sub(/.*=/, "", $i); print $i } }' "$res")

  if [ "$have_implicit" = 1 ]; then
    note "$set: implicit (regularization $reg)"
    BENCH_THREADS=$THREADS SCALE_CALLS=$((calls / 4)) SCALE_BATCH=$((batch > 0)) SCALE_RECALL_USERS=$recall PYTHONPATH=$IMPLICIT_DIR/src /usr/bin/python3 bench/implicit_scale.py \
      "$set" "$tsv" "$held" "$reg" 2>"$work/implicit_$set.err" | tee -a "$res" >&2 \
      || { tail -5 "$work/implicit_$set.err" >&2; rec "implicit set=$set step=failed"; }
    rec "load set=$set after=implicit value=$(load)"
  fi

  # ---------------- SQLite
  note "$set: sqlite import"
  db=$work/$x.db
  rm -f "$db"
  t=$(now)
  sqlite3 "$db" > /dev/null <<SQL
PRAGMA journal_mode = off;
PRAGMA synchronous = off;
CREATE TABLE rows(user_id INTEGER, item_id INTEGER, weight REAL);
.mode tabs
.import $tsv rows
SQL
  rec "sqlite set=$set step=import seconds=$(secs "$t") rows=$(sqlite3 "$db" 'SELECT count(*) FROM rows')"
  note "$set: sqlite train"
  t=$(now)
  /usr/bin/time -f "maxrss_kb=%M" -o "$work/sq_time_$x" sqlite3 -bail "$db" \
    ".load $SQLITE_EXT" "SELECT recsys_train('ml', 'rows', 'als', '$ALS_OPTS');" > "$work/sq_train_$x.json"
  wall=$(secs "$t")
  rec "sqlite set=$set step=train wall_seconds=$wall seconds=$(grep -o '"seconds": *[0-9.]*' "$work/sq_train_$x.json" | head -1 | grep -o '[0-9.]*$') peak_mb=$(mb "$(sed -n 's/^maxrss_kb=//p' "$work/sq_time_$x")")"
  sqlite3 "$db" "CREATE TABLE users AS SELECT CAST(value AS text) AS user_id FROM generate_series(1, $nb); CREATE TABLE precomputed(user_id text, item_id text, score real, rank int);" 2>/dev/null \
    || sqlite3 "$db" "CREATE TABLE users AS WITH RECURSIVE g(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM g WHERE v < $nb) SELECT CAST(v AS text) AS user_id FROM g; CREATE TABLE precomputed(user_id text, item_id text, score real, rank int);"
  if [ "$set" = S ]; then
    note "$set: sqlite top-10 for 100k users"
    # the clock in SQL: julianday('now') is fixed within a statement, not across them
    sqlite3 -bail "$db" ".load $SQLITE_EXT" "SELECT count(*) FROM recommend('1', 10, 'ml');" \
      "CREATE TEMP TABLE t0 AS SELECT julianday('now') AS t;" \
      "CREATE TABLE top_lateral AS SELECT u.user_id, r.item_id, r.score, r.rank FROM users u, recommend(u.user_id, 10, 'ml') r;" \
      "SELECT printf('%.2f', (julianday('now') - t) * 86400) || '|' || (SELECT count(*) FROM top_lateral) FROM t0;" > "$work/sq_lat_$x.txt"
    s=$(tail -1 "$work/sq_lat_$x.txt" | cut -d'|' -f1)
    n=$(tail -1 "$work/sq_lat_$x.txt" | cut -d'|' -f2)
    rec "sqlite set=$set step=lateral users=$nb rows=$n seconds=$s users_per_s=$(awk -v s="$s" -v n=$nb 'BEGIN { printf "%.0f", n / s }')"
    if [ "$(sqlite3 "$db" ".load $SQLITE_EXT" "SELECT (SELECT count(*) FROM pragma_function_list WHERE name = 'recommend_batch') + (SELECT count(*) FROM pragma_module_list WHERE name = 'recommend_batch')")" != 0 ]; then
      if sqlite3 -bail "$db" ".load $SQLITE_EXT" "CREATE TEMP TABLE t0 AS SELECT julianday('now') AS t;" \
        "CREATE TABLE top_batch AS SELECT * FROM recommend_batch((SELECT json_group_array(user_id) FROM users), 10, 'ml');" \
        "SELECT printf('%.2f', (julianday('now') - t) * 86400) FROM t0;" > "$work/sq_batch_$x.txt" 2>&1; then
        s=$(tail -1 "$work/sq_batch_$x.txt")
        rec "sqlite set=$set step=batch users=$nb seconds=$s users_per_s=$(awk -v s="$s" -v n=$nb 'BEGIN { printf "%.0f", n / s }')"
      else
        rec "sqlite set=$set step=batch status=\"n/a (call failed: $(head -1 "$work/sq_batch_$x.txt" | tr -d '"'))\""
      fi
    else
      rec "sqlite set=$set step=batch status=\"n/a (not in this build)\""
    fi
  fi
  if [ "$set" = L ]; then
    note "$set: sqlite warm latency"
    line=$(build/sqlite_latency "$db" "$SQLITE_EXT" "$calls" "recommend()")
    rec "sqlite set=$set step=latency calls=$calls median_us=$(echo "$line" | awk -F'|' '{ gsub(/ /, "", $6); print $6 }') p99_us=$(echo "$line" | awk -F'|' '{ gsub(/ /, "", $7); print $7 }')"
  fi
  rm -f "$db"
  rec "load set=$set after=sqlite value=$(load)"

  # ---------------- PostgreSQL
  note "$set: pg copy"
  t=$(now)
  pq -c "CREATE UNLOGGED TABLE ${x}_rows(user_id integer, item_id integer, weight real)" \
     -c "COPY ${x}_rows FROM '$tsv'" \
     -c "CREATE UNLOGGED TABLE ${x}_held(user_id integer, item_id integer)" \
     -c "COPY ${x}_held FROM '$held'" -c "VACUUM ANALYZE ${x}_rows"
  rec "pg set=$set step=copy seconds=$(secs "$t")"
  note "$set: pg train"
  # one session: its backend's pid, the training, then its VmHWM and RssShmem read from /proc
  pq > "$work/pg_train_$x.txt" <<SQL
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT recsys_train('$x', '${x}_rows', 'als', '$ALS_OPTS') IS NOT NULL;
SELECT 'wall', round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 2);
\! grep -E '^(VmHWM|VmRSS|RssShmem):' /proc/\$BPID/status | tr -s ' \t' ' '
SQL
  wall=$(awk -F'|' '$1 == "wall" { print $2 }' "$work/pg_train_$x.txt")
  hwm=$(awk '$1 == "VmHWM:" { print $2 }' "$work/pg_train_$x.txt")
  shm=$(awk '$1 == "RssShmem:" { print $2 }' "$work/pg_train_$x.txt")
  psec=$(pq -c "SELECT summary->>'seconds' FROM recsys_models WHERE name = '$x'")
  rec "pg set=$set step=train wall_seconds=$wall seconds=$psec peak_mb=$(mb "$hwm") shared_at_end_mb=$(mb "$shm") model_bytes=$(pq -c "SELECT bytes FROM recsys_models WHERE name = '$x'")"

  if [ "$set" = S ]; then
    note "$set: pg top-10 for 100k users"
    pq -c "CREATE TABLE users100k AS SELECT g::text AS user_id FROM generate_series(1, $nb) g"
    out=$(pq <<SQL
SELECT count(*) FROM recommend('1', 10, '$x');
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
CREATE TABLE top_lateral AS SELECT u.user_id, r.item_id, r.score, r.rank FROM users100k u, LATERAL recommend(u.user_id, 10, '$x') r;
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 2), (SELECT count(*) FROM top_lateral);
SQL
)
    s=$(echo "$out" | tail -1 | cut -d'|' -f1)
    rec "pg set=$set step=lateral users=$nb rows=$(echo "$out" | tail -1 | cut -d'|' -f2) seconds=$s users_per_s=$(awk -v s="$s" -v n=$nb 'BEGIN { printf "%.0f", n / s }')"
    if [ -n "$pg_batch" ]; then
      if out=$(pq 2>&1 <<SQL
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
CREATE TABLE top_batch AS SELECT * FROM recommend_batch(ARRAY(SELECT user_id FROM users100k), 10, '$x');
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 2), (SELECT count(*) FROM top_batch);
SQL
); then
        s=$(echo "$out" | tail -1 | cut -d'|' -f1)
        rec "pg set=$set step=batch users=$nb rows=$(echo "$out" | tail -1 | cut -d'|' -f2) seconds=$s users_per_s=$(awk -v s="$s" -v n=$nb 'BEGIN { printf "%.0f", n / s }')"
      else
        rec "pg set=$set step=batch status=\"n/a (call failed: $(echo "$out" | head -1 | tr -d '"'))\""
      fi
    else
      rec "pg set=$set step=batch status=\"n/a (not in this build)\""
    fi
    note "$set: pg recall@10"
    rec "pg set=$set step=recall users=$(pq -c "SELECT count(*) FROM ${x}_held") recall_at_10=$(pq -c "SELECT round(avg((EXISTS (SELECT 1 FROM recommend(h.user_id::text, 10, '$x') r WHERE r.item_id = h.item_id::text))::int), 4) FROM ${x}_held h")"
    pq -c "DROP TABLE top_lateral" -c "DROP TABLE IF EXISTS top_batch" 2> /dev/null
  fi

  if [ "$set" = L ]; then
    # memory: an idle backend, then the same after loading the model; then 8
    note "$set: pg memory of 1 and 8 backends"
    for s in 1 2 3 4 5 6 7 8; do sess_open "b$s" "$pgdir" "$port"; done
    pids=()
    for s in 1 2 3 4 5 6 7 8; do pids+=("$(sess_query "b$s" 'SELECT pg_backend_pid();')"); done
    base_priv=0 base_pss=0
    for p in "${pids[@]}"; do
      base_priv=$((base_priv + $(private_kb "$p"))); base_pss=$((base_pss + $(kb_of "/proc/$p/smaps_rollup" Pss)))
    done
    p=${pids[0]}
    b1_priv=$(private_kb "$p") b1_pss=$(kb_of "/proc/$p/smaps_rollup" Pss)
    sess_query b1 "SELECT count(*) FROM recommend('1', 10, '$x');" > /dev/null
    one_priv=$(( $(private_kb "$p") - b1_priv )); one_pss=$(( $(kb_of "/proc/$p/smaps_rollup" Pss) - b1_pss ))
    for s in 2 3 4 5 6 7 8; do sess_query "b$s" "SELECT count(*) FROM recommend('$s', 10, '$x');" > /dev/null; done
    all_priv=0 all_pss=0
    for p in "${pids[@]}"; do
      all_priv=$((all_priv + $(private_kb "$p"))); all_pss=$((all_pss + $(kb_of "/proc/$p/smaps_rollup" Pss)))
    done
    for s in 1 2 3 4 5 6 7 8; do sess_close "b$s"; done
    model_mb=$(awk -v b="$(pq -c "SELECT bytes FROM recsys_models WHERE name = '$x'")" 'BEGIN { printf "%.0f", b / 1048576 }')
    core_mb=$(awk -v s="set=$set" '$1 == "core" && $2 == s && $3 == "step=train" { for (i = 4; i <= NF; i++) if ($i ~ /^model_mb=/) { sub(/.*=/, "", $i); print $i } }' "$res")
    rec "pg set=$set step=memory backends=1 added_private_mb=$(mb $one_priv) added_pss_mb=$(mb $one_pss) blob_mb=$model_mb core_model_mb=$core_mb"
    rec "pg set=$set step=memory backends=8 added_private_mb=$(mb $((all_priv - base_priv))) added_pss_mb=$(mb $((all_pss - base_pss))) per_backend_private_mb=$(mb $(( (all_priv - base_priv) / 8 ))) ratio_to_one_copy=$(awk -v a=$((all_pss - base_pss)) -v o=$one_pss 'BEGIN { printf "%.2f", a / o }')"

    note "$set: pg first recommend() in $FRESH new backends"
    firsts=()
    for i in $(seq 1 "$FRESH"); do
      ms=$(psql -X -At -h "$pgdir" -p "$port" -U postgres -d postgres -c '\timing on' \
             -c "SELECT count(*) FROM recommend('$((i * 7))', 10, '$x')" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
      firsts+=("$ms")
    done
    rec "pg set=$set step=first_call backends=$FRESH median_ms=$(printf '%s\n' "${firsts[@]}" | median) all_ms=\"${firsts[*]}\""

    note "$set: pg warm latency (pgbench -c 1 -T $LAT_SECONDS)"
    printf '\\set u random(1, %s)\nSELECT * FROM recommend(:u::text, 10, '"'%s'"');\n' "$nusers" "$x" > "$work/rec_$x.sql"
    chmod a+r "$work/rec_$x.sql"
    as_pg pgbench -n -M prepared -c 1 -T "$LAT_SECONDS" -h "$pgdir" -p "$port" -U postgres \
      -f "$work/rec_$x.sql" postgres > "$work/lat_$x.txt" 2>&1
    rec "pg set=$set step=latency avg_ms=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$work/lat_$x.txt") tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/lat_$x.txt")"
    if pq -c "SELECT count(*) FROM recommend('1', 10, '$x', '{\"exact\": true}')" > /dev/null 2>&1; then
      printf '\\set u random(1, %s)\nSELECT * FROM recommend(:u::text, 10, '"'%s'"', '"'{\"exact\": true}'"');\n' "$nusers" "$x" > "$work/exact_$x.sql"
      chmod a+r "$work/exact_$x.sql"
      as_pg pgbench -n -M prepared -c 1 -T "$LAT_SECONDS" -h "$pgdir" -p "$port" -U postgres \
        -f "$work/exact_$x.sql" postgres > "$work/exact_$x.txt" 2>&1
      rec "pg set=$set step=latency_exact avg_ms=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$work/exact_$x.txt") recall_vs_exact=$(pq -c "SELECT round(avg(n) / 10, 4) FROM (SELECT (SELECT count(*) FROM recommend(g::text, 10, '$x') a JOIN recommend(g::text, 10, '$x', '{\"exact\": true}') e USING (item_id)) AS n FROM generate_series(1, least(200, $nusers)) g) s")"
    else
      rec "pg set=$set step=latency_exact status=\"n/a (no exact option in this build)\""
    fi
    # the approximate index: a training option of the ann branch
    if pq -c "SELECT recsys_train('${x}_probe', 'SELECT user_id, item_id FROM ${x}_rows LIMIT 5000', 'als', '{$INDEX_OPTION, \"iterations\": 1}')" > /dev/null 2>&1; then
      rec "pg set=$set step=index status=\"option {$INDEX_OPTION} accepted: see latency_exact for approximate vs exact\""
      pq -c "SELECT recsys_drop_model('${x}_probe')" > /dev/null
    else
      rec "pg set=$set step=index status=\"n/a (training option {$INDEX_OPTION} not in this build)\""
    fi
  fi
  pq -c "SELECT recsys_drop_model('$x')" -c "DROP TABLE ${x}_rows" -c "DROP TABLE ${x}_held" > /dev/null
  rec "load set=$set after=pg value=$(load)"
done

# ---------------------------------------------------------------- ML-1M live vs precomputed
if [ "${SCALE_ML1M:-1}" = 0 ]; then
  rec "pg set=ML-1M step=tps status=\"skipped (SCALE_ML1M=0)\""
elif [ -f "$ML1M" ]; then
  note "ML-1M: live recommend() vs precomputed top-10 (pgbench -c 2 / 8 -j 2 -T $TPS_SECONDS)"
  zcat "$ML1M" > "$work/ml1m.csv"
  chmod a+r "$work/ml1m.csv"
  pq > /dev/null <<SQL
CREATE TABLE ratings(user_id integer, item_id integer, rating integer, fold integer);
COPY ratings FROM '$work/ml1m.csv' WITH (FORMAT csv, HEADER);
CREATE TABLE pos AS SELECT user_id, item_id FROM ratings WHERE rating >= 4;
CREATE TABLE users AS SELECT g::text AS user_id FROM generate_series(1, 6040) g;
SELECT recsys_train('ml', 'pos', 'als', '{"threads": $THREADS}');
CREATE TABLE precomputed AS SELECT u.user_id, r.* FROM users u, recommend(u.user_id, 10, 'ml') r;
CREATE INDEX ON precomputed(user_id);
-- the 2 users without a positive are unknown to the model: recommend() reads their
-- rows (README, "Fresh users and sessions"); without this index, a scan of pos
CREATE INDEX ON pos ((user_id::text));
VACUUM ANALYZE precomputed;
ANALYZE pos;
SQL
  # recommend() with the result memo (recsys.result_cache, the default: each
  # backend keeps the answers it gave) and without it (the scoring breakdown:
  # all, "reasons": false, k = 1), beside the precomputed table,
  # popular_items (the same SRF and model-cache path, no scoring) and SELECT 1
  printf '\\set u random(1, 6040)\nSELECT * FROM recommend(:u::text, 10, '"'ml'"');\n' > "$work/recommend.sql"
  printf '\\set u random(1, 6040)\nSELECT * FROM recommend(:u::text, 10, '"'ml'"', '"'{\"reasons\": false}'"');\n' > "$work/noreasons.sql"
  printf '\\set u random(1, 6040)\nSELECT * FROM recommend(:u::text, 1, '"'ml'"');\n' > "$work/k1.sql"
  printf '\\set u random(1, 6040)\nSELECT item_id, score FROM precomputed WHERE user_id = :u::text ORDER BY rank;\n' > "$work/precomputed.sql"
  printf 'SELECT * FROM popular_items(10, '"'ml'"');\n' > "$work/popular.sql"
  printf 'SELECT 1;\n' > "$work/select1.sql"
  chmod a+r "$work"/*.sql
  nomemo="-c recsys.result_cache=0"
  memo_on=$(pq -c "SELECT 1 FROM popular_items(1, 'ml') LIMIT 0" -c "SHOW recsys.result_cache" 2>/dev/null || echo "n/a")
  rec "pg set=ML-1M step=memo result_cache=$memo_on"
  for c in 2 8; do
    # statement name, file, PGOPTIONS
    for spec in "recommend recommend" "recommend_nomemo recommend $nomemo" \
                "noreasons_nomemo noreasons $nomemo" "k1_nomemo k1 $nomemo" \
                "precomputed precomputed" "popular popular" "select1 select1"; do
      read -r s f o <<< "$spec"
      as_pg env PGOPTIONS="${o:-}" pgbench -n -M prepared -c "$c" -j 2 -T "$TPS_SECONDS" -h "$pgdir" -p "$port" -U postgres \
        -f "$work/$f.sql" postgres > "$work/tps_${s}_$c.txt" 2>&1
      rec "pg set=ML-1M step=tps statement=$s clients=$c tps=$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$work/tps_${s}_$c.txt") load=$(load)"
    done
  done
else
  rec "pg set=ML-1M step=tps status=\"n/a (no $ML1M)\""
fi
rec "run ended=$(date -u +%FT%TZ) minutes=$(( ($(date +%s) - started + 59) / 60 )) load=$(load)"

note "writing bench/SCALE.md"
/usr/bin/python3 bench/scale_report.py "$res" > bench/SCALE.md.new
mv bench/SCALE.md.new bench/SCALE.md
cp "$res" bench/scale_results.txt
note "done: bench/SCALE.md, bench/scale_results.txt"
