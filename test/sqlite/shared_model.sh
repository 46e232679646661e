#!/usr/bin/env bash
# Two connections of one sqlite3 process (the CLI's .connection) serving one
# model share one loaded copy (sqlite_recsys/shared.c): the second
# connection's first recommend() does not grow the process by a model copy,
# while the first one's did. A retrain is picked up by both.
# Usage: shared_model.sh EXTENSION_PATH_WITHOUT_SO WORKDIR ($SQLITE3: the CLI).
set -u
ext=$1
work=$2
db=$work/shared.db
sqlite=${SQLITE3:-sqlite3}
mkdir -p "$work" || exit 1
rm -f "$db"

# 4000 users x 20000 items, 32 factors: a model of several MB.
$sqlite -cmd ".load $ext" "$db" "CREATE TABLE ev AS WITH RECURSIVE g(x) AS
  (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 120000)
  SELECT 'u' || (x % 4000) AS user_id, 'i' || ((x * 7919) % 20000) AS item_id FROM g;
  SELECT json_extract(recsys_train('m', 'ev', 'als', '{\"factors\": 32, \"iterations\": 2, \"threads\": 1}'), '\$.version');"

. test/sqlite/fixtures/fifo.sh
fifo_start "$work/s" $sqlite "$db"
s() { fifo_send "$1"; }
# Anonymous (malloc'd) kB of the process.
anon() { awk '/^Anonymous:/ { print $2 }' "/proc/$FIFO_PID/smaps_rollup"; }

s ".load $ext
SELECT recsys_version() IS NOT NULL;"
a0=$(anon)
s "SELECT group_concat(item_id) FROM recommend('u7', 5, 'm');"
first=$(fifo_rows $FIFO_N)
a1=$(anon)
s ".connection 1
.open $db
.load $ext
SELECT count(*) FROM recsys_models;"
b0=$(anon)
s "SELECT group_concat(item_id) FROM recommend('u7', 5, 'm');"
second=$(fifo_rows $FIFO_N)
b1=$(anon)
[ "$first" = "$second" ] && echo "both connections serve the same recommendations" \
	|| echo "the connections differ: '$first' / '$second'"
grown1=$((a1 - a0)) grown2=$((b1 - b0))
[ $grown1 -gt 4000 ] && echo "the first connection loaded the model (more than 4 MB)" \
	|| echo "the first connection grew by only $grown1 kB"
[ $grown2 -lt $((grown1 / 4)) ] && echo "the second connection shares it (less than a quarter of that)" \
	|| echo "the second connection grew by $grown2 kB (first: $grown1 kB)"
echo "== a retrain in connection 1 is served by both"
s "SELECT json_extract(recsys_train('m', 'ev', 'popularity'), '\$.version');"
s "SELECT source FROM recommend('nobody', 1, 'm');
.connection 0
SELECT source FROM recommend('nobody', 1, 'm');"
fifo_rows $FIFO_N
fifo_stop
