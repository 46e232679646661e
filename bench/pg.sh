#!/usr/bin/env bash
# bench/pg.sh OUTDIR - the PostgreSQL half of make bench, run inside
# `pg_virtualenv` (bench/run.sh starts it; the cluster dies with it).
#
# Loads all MovieLens 1M positives (rating >= 4), trains the model 'ml' with
# default options (threads 2), materializes a precomputed top-10 table for the
# 6,040 users, then runs pgbench -M prepared over the Unix socket:
#   latency:    -c 1 -T $LAT_SECONDS -l, per-transaction log -> OUTDIR/lat_NAME.*
#   throughput: -c 2 and -c 8, -j 2, -T $TPS_SECONDS -> OUTDIR/tps.txt
# Clients run as the postgres OS user (the socket uses peer authentication).
set -euo pipefail
out=$1
ml1m=${RECSYS_DATA:-../shared/data}/ml-1m/ratings_no_timestamps.csv.gz
ml1m=$(readlink -f "$ml1m")
LAT_SECONDS=${LAT_SECONDS:-10}
TPS_SECONDS=${TPS_SECONDS:-15}
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
export PGHOST=/var/run/postgresql

as_pg() { runuser -u postgres -- "$@"; }
psql_pg() { as_pg psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

echo "pg: loading ML-1M and training" >&2
psql_pg > "$out/pg_setup.txt" <<SQL
CREATE EXTENSION pg_recsys;
CREATE TABLE ratings(user_id integer, item_id integer, rating integer, fold integer);
\copy ratings FROM PROGRAM 'zcat $ml1m' WITH (FORMAT csv, HEADER)
CREATE TABLE pos AS SELECT user_id, item_id FROM ratings WHERE rating >= 4;
CREATE TABLE users AS SELECT g::text AS user_id FROM generate_series(1, 6040) g;
\timing on
SELECT 'train', recsys_train('ml', 'pos', 'als', '{"threads": 2}');
\timing off
CREATE TABLE precomputed AS
  SELECT u.user_id, r.* FROM users u, recommend(u.user_id, 10, 'ml') r;
CREATE INDEX ON precomputed(user_id);
-- fresh users read their rows through this index (README, "Fresh users and sessions")
CREATE INDEX ON pos ((user_id::text));
VACUUM ANALYZE precomputed;
-- a non-superuser granted the model: its calls run the privilege check in full
CREATE ROLE app;
GRANT SELECT ON precomputed TO app;
SELECT recsys_grant('ml', 'app');
SELECT 'rows', (SELECT count(*) FROM pos), (SELECT count(*) FROM precomputed);
SQL

# the three statements; :u is a random ML-1M user id passed as text
printf 'SELECT 1;\n' > "$out/select1.sql"
printf '\\set u random(1, 6040)\nSELECT * FROM recommend(:u::text, 10, '"'ml'"');\n' \
  > "$out/recommend.sql"
printf '\\set u random(1, 6040)\nSELECT item_id, score FROM precomputed WHERE user_id = :u::text ORDER BY rank;\n' \
  > "$out/precomputed.sql"
printf '\\set u random(1, 6040)\nSELECT * FROM recommend(:u::text, 10, '"'ml'"', '"'{\"fresh\": true}'"');\n' \
  > "$out/fresh.sql"
# serve and log in one statement (README "The feedback loop")
printf '\\set u random(1, 6040)\nSELECT * FROM recommend_logged(:u::text, 10, '"'ml'"');\n' \
  > "$out/logged.sql"
chmod a+r "$out"/*.sql

cp "$out/recommend.sql" "$out/recommend_granted.sql"
for s in select1 recommend precomputed fresh recommend_granted; do
  echo "pg: latency $s (-c 1 -T $LAT_SECONDS)" >&2
  # recommend_granted: the same statement as role app (a grant, not a superuser)
  opts=; [ "$s" = recommend_granted ] && opts="-c role=app"
  PGOPTIONS="$opts" as_pg "$PGBENCH" -n -M prepared -c 1 -T "$LAT_SECONDS" -l \
    --log-prefix="$out/lat_$s" -f "$out/$s.sql" postgres > "$out/lat_$s.txt" 2>&1
done

: > "$out/tps.txt"
for c in 2 8; do
  for s in select1 recommend logged precomputed; do
    echo "pg: throughput $s (-c $c -j 2 -T $TPS_SECONDS)" >&2
    as_pg "$PGBENCH" -n -M prepared -c "$c" -j 2 -T "$TPS_SECONDS" -f "$out/$s.sql" postgres \
      > "$out/tps_${s}_$c.txt" 2>&1
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$out/tps_${s}_$c.txt")
    lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$out/tps_${s}_$c.txt")
    fail=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out/tps_${s}_$c.txt")
    if [ -z "$tps" ] || [ "${fail:-0}" != 0 ]; then
      cat "$out/tps_${s}_$c.txt" >&2
      exit 1
    fi
    echo "$s $c $tps $lat" >> "$out/tps.txt"
  done
done
