#!/usr/bin/env bash
# bench/feedback_pg.sh - figures of the feedback loop in PostgreSQL (README
# "The feedback loop"), in a throw-away cluster of its own (own socket
# directory, no TCP):
#   1. pgbench TPS of recommend_logged() (serve + log) against recommend()
#      (serve alone), same model, same run, -c 2 -j 2 -M prepared; the target
#      is a ratio >= 0.7.
#   3. the analytics dashboard over IMPRESSIONS (default 10M) shown items
#      (IMPRESSIONS / 10 logged lists of 10) and their outcomes: each dashboard query's time in ms,
#      after recsys_refresh_analytics() folded the log into the rollups, with
#      a live tail of TAIL (default 100k) impressions not folded yet.
# Usage: PGBIN=/path/to/pg/bin bench/feedback_pg.sh   (needs make install there)
# Env: IMPRESSIONS, TAIL, TPS_SECONDS (default 15), RECSYS_DATA.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/e2e/lib.sh
IMPRESSIONS=${IMPRESSIONS:-10000000}
TAIL=${TAIL:-100000}
TPS_SECONDS=${TPS_SECONDS:-15}
ml1m=$(readlink -f "${RECSYS_DATA:-../shared/data}/ml-1m/ratings_no_timestamps.csv.gz")
DIR=$(mktemp -d /tmp/recsys-feedback-bench.XXXXXX)
PORT=${PORT:-55471}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" "shared_buffers = 512MB" "max_wal_size = 4GB" && e2e_start "$DIR"
[ "$(id -u)" -eq 0 ] && chmod a+rx "$DIR"
psql_b() { q "$DIR" "$PORT" "$@"; }

echo "# Feedback loop bench ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
psql_b > /dev/null <<SQL
CREATE EXTENSION pg_recsys;
CREATE TABLE ratings(user_id integer, item_id integer, rating integer, fold integer);
\copy ratings FROM PROGRAM 'zcat $ml1m' WITH (FORMAT csv, HEADER)
CREATE TABLE pos AS SELECT user_id, item_id FROM ratings WHERE rating >= 4;
SELECT recsys_train('ml', 'pos', 'als', '{"threads": 2}');
SQL

# ---- 1. serve + log against serve alone
work=$DIR/pgbench; mkdir -p "$work"; [ "$(id -u)" -eq 0 ] && chown postgres "$work"
printf '\\set u random(1, 6040)\nSELECT * FROM recommend(:u::text, 10, '"'ml'"');\n' > "$work/serve.sql"
printf '\\set u random(1, 6040)\nSELECT * FROM recommend_logged(:u::text, 10, '"'ml'"');\n' > "$work/logged.sql"
chmod a+r "$work"/*.sql
cp "$work/serve.sql" "$work/serve_nomemo.sql"
cp "$work/logged.sql" "$work/logged_async.sql"
declare -A TPS
for s in serve logged serve_nomemo logged_async serve logged serve_nomemo logged_async; do
  # serve_nomemo: recommend() with the per-backend memo off (recsys.result_cache 0),
  # what serving costs when users do not repeat within a backend's memo;
  # logged_async: logging sessions with synchronous_commit off (README)
  opts=; [ "$s" = serve_nomemo ] && opts="-c recsys.result_cache=0"
  [ "$s" = logged_async ] && opts="-c synchronous_commit=off"
  PGOPTIONS="$opts" as_pg "$PGBIN/pgbench" -h "$DIR" -p "$PORT" -U postgres -n -M prepared -c 2 -j 2 \
    -T "$TPS_SECONDS" -f "$work/$s.sql" postgres > "$work/$s.txt" 2>&1
  t=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$work/$s.txt")
  [ -n "$t" ] || { cat "$work/$s.txt"; exit 1; }
  # the better of two alternating runs of each, so a burst of load on the
  # shared machine does not decide the ratio
  TPS[$s]=$(awk -v a="${TPS[$s]:-0}" -v b="$t" 'BEGIN { print (b > a) ? b : a }')
done
echo
echo "## 1. Serve + log (pgbench -c 2 -j 2 -M prepared -T $TPS_SECONDS, ML-1M ALS, k 10, best of 2; the cluster runs fsync off)"
echo "| statement | TPS |"
echo "| --- | --- |"
echo "| recommend() | ${TPS[serve]} |"
echo "| recommend() without its memo | ${TPS[serve_nomemo]} |"
echo "| recommend_logged() | ${TPS[logged]} |"
echo "| recommend_logged(), synchronous_commit off | ${TPS[logged_async]} |"
awk -v a="${TPS[logged]}" -v b="${TPS[serve]}" -v c="${TPS[serve_nomemo]}" \
  'BEGIN { printf "serve+log / serve = %.2fx (target >= 0.7x); against serve without the memo %.2fx\n", a / b, a / c }'
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 3. dashboards over IMPRESSIONS impressions
echo
echo "## 3. Analytics over $IMPRESSIONS impressions (+ $TAIL not folded yet)"
t0=$(date +%s)
psql_b > /dev/null <<SQL
TRUNCATE recsys.impressions, recsys.outcomes, recsys.impression_rollup,
  recsys.outcome_rollup, recsys.shown_items, recsys.analytics_state;
-- 30 days, 3 models x 2 versions, a policy with 2 arms on half the traffic,
-- lists of 10 (one impression row per list), 200k users, 3,700 items;
-- about 3% of shown items clicked, 0.5% bought.
INSERT INTO recsys.impressions (request_id, user_id, items, scores, model,
  model_version, policy, arm, propensity, shown_at)
SELECT 'r' || l, 'u' || (l % 200000),
  (SELECT array_agg('i' || (((l * 10 + p)::bigint * 7919) % 3700) ORDER BY p) FROM generate_series(0, 9) p),
  (SELECT array_agg((1.0 / (1 + p))::real ORDER BY p) FROM generate_series(0, 9) p),
  'm' || (l % 3), 1 + l % 2,
  CASE WHEN l % 2 = 0 THEN 'homepage' END,
  CASE WHEN l % 2 = 0 THEN 'arm' || (l % 4 / 2) END,
  CASE WHEN l % 2 = 0 THEN 0.5 END,
  now() - interval '30 days' * (1 - l::double precision / ($IMPRESSIONS / 10))
FROM generate_series(0, $IMPRESSIONS / 10 - 1) l;
INSERT INTO recsys.outcomes (user_id, item_id, event, value, impression_id, rank, occurred_at)
SELECT i.user_id, i.items[p], CASE WHEN (i.id * 10 + p) % 6 = 0 THEN 'purchase' ELSE 'click' END,
  CASE WHEN (i.id * 10 + p) % 6 = 0 THEN 10 END, i.id, p, i.shown_at + interval '1 minute'
FROM recsys.impressions i, generate_series(1, 10) p WHERE (i.id * 10 + p) % 100 < 3;
SQL
t1=$(date +%s)
fold=$(psql_b -c "SELECT recsys_refresh_analytics('0')")
t2=$(date +%s)
# a live tail: impressions logged since the last refresh (TAIL items, in lists of 10)
psql_b -c "INSERT INTO recsys.impressions (request_id, user_id, items, scores, model, model_version)
  SELECT 't' || l, 'u' || (l % 200000),
    (SELECT array_agg('i' || ((l * 10 + p) % 3700) ORDER BY p) FROM generate_series(0, 9) p),
    array_fill(0.5::real, ARRAY[10]), 'm0', 2
  FROM generate_series(1, $TAIL / 10) l" > /dev/null
psql_b -c "VACUUM ANALYZE" > /dev/null
echo "filled in $((t1 - t0)) s; recsys_refresh_analytics folded $fold lists ($IMPRESSIONS shown items) in $((t2 - t1)) s"
echo
echo "| dashboard query | ms (best of 3) |"
echo "| --- | --- |"
while IFS='|' read -r name sql; do
  best=
  for _ in 1 2 3; do
    ms=$(psql_b -c '\timing on' -c "SELECT count(*) FROM ($sql) s" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
    best=$(awk -v a="${best:-1e18}" -v b="$ms" 'BEGIN { print (b < a) ? b : a }')
  done
  echo "| $name | $best |"
done <<'Q'
CTR by day, model, version, policy, arm, rank|SELECT * FROM recsys_ctr
CTR by model (30 days)|SELECT model, sum(clicks)::float8 / sum(impressions) FROM recsys_ctr GROUP BY model
CTR by rank|SELECT rank, sum(clicks)::float8 / sum(impressions) FROM recsys_ctr GROUP BY rank
daily stats|SELECT * FROM recsys_daily_stats
arm distribution|SELECT * FROM recsys_arm_distribution
outcomes by event|SELECT event, sum(outcomes), sum(value) FROM recsys_outcome_stats GROUP BY event
catalogue coverage|SELECT * FROM recsys_coverage
one user|SELECT * FROM recsys_user_stats('u4242', 'ml')
Q
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
