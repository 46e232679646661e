#!/usr/bin/env bash
# Two sqlite3 processes on one database file: process A keeps its connection
# (and its model cache) open while process B retrains, drops and damages the
# model; A's next call must see each change without reconnecting.
# Usage: cross_process.sh EXTENSION_PATH_WITHOUT_SO WORKDIR  (run.sh passes both;
# $SQLITE3 is the sqlite3 command, possibly with ASan preloaded).
set -u
ext=$1
work=$2
db=$work/cross.db
sqlite=${SQLITE3:-sqlite3}
mkdir -p "$work" || exit 1
rm -f "$db" "$work/a.in" "$work/a.out"

# Run SQL in a fresh process B.
b() { $sqlite -cmd ".load $ext" "$db" "$1" 2>&1 | sed 's/^/B: /'; }

b ".read test/sqlite/fixtures/shop.sql"
b "SELECT json_extract(recsys_train('shop', 'events', 'als', '{\"threads\": 1, \"seed\": 42}'), '\$.version');"

# Process A reads statements from a FIFO and writes to a file.
. test/sqlite/fixtures/fifo.sh
fifo_start "$work/a" $sqlite -cmd ".load $ext" "$db"
# Send SQL to A and print its answer.
a() {
	fifo_send "$1"
	fifo_rows $FIFO_N | sed 's/^/A: /'
}

echo "== A serves version 1 (als)"
a "SELECT count(*), source FROM recommend('u1', 2) GROUP BY source;"
echo "== B retrains as popularity (version 2); A picks it up"
b "SELECT json_extract(recsys_train('shop', 'events', 'popularity'), '\$.version');"
a "SELECT count(*), source FROM recommend('u1', 2) GROUP BY source;"
a "SELECT name, version, algorithm FROM recsys_models;"
echo "== a read-only connection serves too (like a hot standby)"
$sqlite -readonly -cmd ".load $ext" "$db" "SELECT count(*), source FROM recommend('u1', 3) GROUP BY source;
  SELECT recsys_train('shop', 'events');" 2>&1 | sed 's/^/R: /'
echo "== B trains a second model; A's NULL model is now ambiguous"
b "SELECT json_extract(recsys_train('other', 'events', 'popularity'), '\$.version');"
a "SELECT item_id FROM recommend('u1', 1);"
a "SELECT count(*), source FROM recommend('u1', 1, 'shop') GROUP BY source;"
echo "== B drops both; A sees no model"
b "SELECT recsys_drop_model('other'); SELECT recsys_drop_model('shop');"
a "SELECT item_id FROM recommend('u1', 1, 'shop');"
echo "== B trains again (version 1 again, a different row); A loads it"
b "SELECT json_extract(recsys_train('shop', 'events', 'als', '{\"threads\": 1, \"seed\": 42}'), '\$.version');"
a "SELECT count(*), source FROM recommend('u1', 2) GROUP BY source;"
echo "== B drops and retrains to the same version number between two calls of A"
b "SELECT recsys_drop_model('shop'); SELECT json_extract(recsys_train('shop', 'events', 'popularity'), '\$.version');"
a "SELECT count(*), source FROM recommend('u1', 2, 'shop') GROUP BY source;"
b "SELECT recsys_drop_model('shop'); SELECT json_extract(recsys_train('shop', 'events', 'als', '{\"threads\": 1, \"seed\": 42}'), '\$.version');"
a "SELECT count(*), source FROM recommend('u1', 2, 'shop') GROUP BY source;"
echo "== the same in WAL mode: B switches the file to WAL and retrains; A picks it up"
b "PRAGMA journal_mode = WAL; SELECT json_extract(recsys_train('shop', 'events', 'popularity'), '\$.version');"
a "SELECT count(*), source FROM recommend('u1', 2) GROUP BY source;"
b "SELECT json_extract(recsys_train('shop', 'events', 'als', '{\"threads\": 1, \"seed\": 42}'), '\$.version');"
a "SELECT count(*), source FROM recommend('u1', 2) GROUP BY source;"
echo "== four processes train at once (busy timeout set): all store, versions consecutive"
pids=
for i in 1 2 3 4; do
	$sqlite -cmd ".load $ext" -cmd ".timeout 30000" "$db" \
		"SELECT recsys_train('busy', 'events', 'popularity') IS NOT NULL;" > "$work/busy$i.out" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do wait $p; done
cat "$work"/busy?.out | sort | uniq -c | sed 's/^ *\([0-9]*\) \(.*\)/\1 trainings returned \2/'
b "SELECT group_concat(version, ' ') FROM (SELECT version FROM recsys_model_store
   WHERE name = 'busy' ORDER BY version);"
echo "== B damages the stored blob; A reports the corrupt model"
b "UPDATE recsys_model_store SET blob = substr(blob, 1, 100), trained_at = 'x';"
a "SELECT item_id FROM recommend('u1', 1, 'shop');"
fifo_stop
echo "A exited with status $?"
