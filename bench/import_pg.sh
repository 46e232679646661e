#!/usr/bin/env bash
# bench/import_pg.sh - recsys_import through PostgreSQL: ITEMS items and
# USERS users of DIMS float features (real[], seeded pseudo-random values,
# Spark's userFactors / itemFactors shape) in a throw-away cluster; prints
# the import's time (read + build + store, from the summary and the client)
# and the backend's peak resident memory (VmHWM) beside the vectors' own
# size, then one recommend() in a fresh backend (the first call loads the
# model). Needs `make install` (PG_CONFIG) first; PGBIN as for the tests.
# usage: PGBIN=... bench/import_pg.sh [ITEMS 1000000] [USERS 100000] [DIMS 64]
set -u
cd "$(dirname "$0")/.."
. test/e2e/lib.sh
ITEMS=${1:-1000000} USERS=${2:-100000} DIMS=${3:-64}
DIR=$(mktemp -d /tmp/recsys-importbench.XXXXXX)
PORT=${PORT:-55452}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" "shared_buffers = 256MB" && e2e_start "$DIR" || { echo "cluster start failed"; exit 1; }

q "$DIR" "$PORT" <<SQL >/dev/null || exit 1
CREATE EXTENSION pg_recsys;
SELECT setseed(0.42);
CREATE TABLE als_items AS SELECT g AS id,
  ARRAY(SELECT (random() - 0.5)::real / 5 FROM generate_series(1, $DIMS) WHERE g > 0) AS features
  FROM generate_series(1, $ITEMS) g;
CREATE TABLE als_users AS SELECT g AS id,
  ARRAY(SELECT (random() - 0.5)::real / 5 FROM generate_series(1, $DIMS) WHERE g > 0) AS features
  FROM generate_series(1, $USERS) g;
VACUUM ANALYZE als_items, als_users;
SQL

echo "recsys_import: $ITEMS items, $USERS users, $DIMS dimensions (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "  tables: $(q "$DIR" "$PORT" -c "SELECT pg_size_pretty(pg_total_relation_size('als_items') + pg_total_relation_size('als_users'))")"
out=$(q "$DIR" "$PORT" <<'SQL'
SELECT pg_backend_pid();
\timing on
SELECT recsys_import('big', 'als_users', 'als_items')->>'seconds';
\timing off
SELECT split_part(line, ':', 2) FROM regexp_split_to_table(pg_read_file('/proc/' || pg_backend_pid() || '/status'), E'\n') line
WHERE line LIKE 'VmHWM%';
SQL
)
echo "$out" | sed -n '2s/$/ s/; 2s/^/  core part (summary "seconds"): /p'
echo "$out" | sed -n 's/^Time: /  whole call (read + build + store): /p'
echo "$out" | tail -n 1 | sed 's/^ */  backend peak RSS (VmHWM, includes shared buffers touched): /'
echo "  vectors as float32: $(( (ITEMS + USERS) * DIMS * 4 / 1048576 )) MB; stored: $(q "$DIR" "$PORT" -c "SELECT pg_size_pretty(bytes) FROM recsys_models WHERE name = 'big'")"
first=$(q "$DIR" "$PORT" <<'SQL'
\timing on
SELECT count(*) FROM recommend('1', 10, 'big');
SQL
)
echo "$first" | sed -n 's/^Time: /  first recommend() in a new backend (loads the model): /p'
