#!/usr/bin/env bash
# bench/batch.sh - top-10 for 100,000 users into a table, in one run:
#   core:       rs_recommend_batch against rs_recommend loops (bench/batch.c)
#   PostgreSQL: INSERT ... SELECT * FROM recommend_batch(...) against
#               INSERT ... SELECT u.id, r.* FROM users u, LATERAL recommend(u.id, 10) r
#   SQLite:     the same two statements
# on a seeded synthetic set the size of issue 12's S (200k users x 50k items,
# about 5M rows; bench/batch.c gen), ALS with 64 factors trained in each.
# Prints users per second, the ratio, and the load average (the machine is
# shared: figures are noisy when it is loaded).
# Usage: PGBIN=/path/to/pg/bin bench/batch.sh [users items]   (after make, make install)
set -euo pipefail
cd "$(dirname "$0")/.."
. test/e2e/lib.sh
. bench/lib.sh
NU=${1:-200000}
NI=${2:-50000}
N=${BATCH_USERS:-100000}
W=$(mktemp -d /tmp/recsys-batch.XXXXXX)
chmod 755 "$W"
PORT=${PORT:-55470}
trap 'e2e_cleanup; rm -rf "$W"' EXIT

gcc -std=c11 -O2 -D_GNU_SOURCE -Icore bench/batch.c build/librecsys_core.a \
  $(pkg-config --libs openblas) -llapacke -lpthread -lm -o build/batch
note "generating ${NU} x ${NI}"
build/batch gen "$NU" "$NI" > "$W/s.csv"
chmod 644 "$W/s.csv"
echo "# top-10 for $N users into a table, $(wc -l < "$W/s.csv") rows, ALS f=64 ($(date -u +%F))"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

note "core"
build/batch core "$NU" "$NI" "$N" | sed 's/^/  /'

# ms TEXT: the milliseconds of psql's or sqlite3's last timing line
pg_ms() { sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1; }
sq_s() { sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' | tail -n 1; }
rate() { awk -v n="$N" -v t="$1" 'BEGIN { if (t + 0 > 0) printf "%.0f", n / t; else print "n/a" }'; }

note "PostgreSQL"
e2e_init "$W/pg" "$PORT" "max_wal_size = 4GB" "shared_buffers = 256MB" >/dev/null
e2e_start "$W/pg"
psql_b() { "$PGBIN/psql" -X -h "$W/pg" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }
psql_b -q > "$W/pg_setup.txt" <<SQL
CREATE EXTENSION pg_recsys;
CREATE TABLE events (user_id text, item_id text);
\copy events FROM '$W/s.csv' WITH (FORMAT csv)
SELECT recsys_train('s', 'events', 'als', '{"factors": 64}') IS NOT NULL;
CREATE TABLE some_users AS SELECT DISTINCT user_id AS id FROM events ORDER BY 1 LIMIT $N;
SQL
psql_b > "$W/pg.txt" <<SQL
SET recsys.threads = 0;
SELECT count(*) FROM recommend('u1', 10, 's');
CREATE TABLE recs_batch (user_id text, item_id text, score real, rank int, reason text, source text);
CREATE TABLE recs_join (LIKE recs_batch);
\timing on
INSERT INTO recs_batch SELECT * FROM recommend_batch(ARRAY(SELECT id FROM some_users), 10, 's');
\timing off
\timing on
INSERT INTO recs_join SELECT u.id, r.* FROM some_users u, LATERAL recommend(u.id, 10, 's') r;
\timing off
SELECT count(*) AS differ FROM (TABLE recs_batch EXCEPT ALL TABLE recs_join) d;
SQL
pg_batch=$(grep '^Time' "$W/pg.txt" | sed -n 1p | pg_ms)
pg_join=$(grep '^Time' "$W/pg.txt" | sed -n 2p | pg_ms)
pg_differ=$(sed -n '/differ/{n;n;p}' "$W/pg.txt" | tr -d ' ')
echo "  PostgreSQL INSERT ... recommend_batch:       $(rate "$(awk -v t="$pg_batch" 'BEGIN{print t/1000}')") users/s ($pg_batch ms)"
echo "  PostgreSQL INSERT ... LATERAL recommend():   $(rate "$(awk -v t="$pg_join" 'BEGIN{print t/1000}')") users/s ($pg_join ms)"
echo "  PostgreSQL batch / lateral:                  $(ratio "$pg_join" "$pg_batch")x  (rows that differ: $pg_differ)"

note "SQLite"
sqlite3 -bail "$W/s.db" > /dev/null <<SQL
.load sqlite_recsys/recsys
CREATE TABLE events (user_id TEXT, item_id TEXT);
.import --csv $W/s.csv events
SELECT recsys_train('s', 'events', 'als', '{"factors": 64}') IS NOT NULL;
CREATE TABLE some_users AS SELECT DISTINCT user_id AS id FROM events ORDER BY 1 LIMIT $N;
SQL
sqlite3 -bail "$W/s.db" > "$W/sq.txt" <<SQL
.load sqlite_recsys/recsys
SELECT count(*) FROM recommend('u1', 10, 's');
CREATE TABLE recs_batch (user_id TEXT, item_id TEXT, score REAL, rank INTEGER, reason TEXT, source TEXT);
CREATE TABLE recs_join (user_id TEXT, item_id TEXT, score REAL, rank INTEGER, reason TEXT, source TEXT);
.timer on
INSERT INTO recs_batch SELECT * FROM recommend_batch((SELECT json_group_array(id) FROM some_users), 10, 's');
.timer off
.timer on
INSERT INTO recs_join SELECT u.id, r.item_id, r.score, r.rank, r.reason, r.source FROM some_users u, recommend(u.id, 10, 's') r;
.timer off
SELECT count(*) FROM (SELECT * FROM recs_batch EXCEPT SELECT * FROM recs_join);
SQL
sq_batch=$(grep '^Run Time' "$W/sq.txt" | sed -n 1p | sq_s)
sq_join=$(grep '^Run Time' "$W/sq.txt" | sed -n 2p | sq_s)
echo "  SQLite INSERT ... recommend_batch:           $(rate "$sq_batch") users/s ($sq_batch s)"
echo "  SQLite INSERT ... recommend() join:          $(rate "$sq_join") users/s ($sq_join s)"
echo "  SQLite batch / join:                         $(ratio "$sq_join" "$sq_batch")x  (rows that differ: $(tail -n 1 "$W/sq.txt"))"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores)"
