#!/usr/bin/env bash
# Serving while another process retrains, in rollback-journal mode with no
# busy timeout (SQLite's defaults). A writer committing locks the whole file;
# a connection that has the model cached keeps serving it meanwhile (the
# serving functions live in temp and read no table of main, cache.c serves
# the cached model while the store is locked) and picks up the new version
# on a later call. Only a model this connection has never loaded needs the
# store, and that error says what to do (WAL, or a busy timeout).
# Usage: serve_during_retrain.sh EXTENSION_PATH_WITHOUT_SO WORKDIR  (run.sh
# passes both; $SQLITE3 is the sqlite3 command, possibly with ASan preloaded).
set -u
ext=$1
work=$2
db=$work/serve.db
sqlite=${SQLITE3:-sqlite3}
mkdir -p "$work" || exit 1
rm -f "$db" "$db-journal" "$work"/serve.*.in "$work"/serve.*.out "$work/retrain.done"

# Run SQL in a new process (no busy timeout unless the SQL sets one).
run() { $sqlite -cmd ".load $ext" "$db" "$@" 2>&1; }

# Long-lived processes fed through FIFOs: start NAME, then send NAME SQL
# prints what NAME answered to SQL (a marker row follows each request).
declare -A pid seq
start() {
	mkfifo "$work/serve.$1.in" || exit 1
	$sqlite -cmd ".load $ext" "$db" < "$work/serve.$1.in" > "$work/serve.$1.out" 2>&1 &
	pid[$1]=$!
	seq[$1]=0
	eval "exec {fd_$1}> \"\$work/serve.\$1.in\""
}
send() {
	local name=$1 n fd
	n=$((seq[$name] + 1))
	seq[$name]=$n
	fd=fd_$name
	printf '%s\nSELECT '"'"'-- %d'"'"';\n' "$2" "$n" >&"${!fd}"
	local tries=0
	until grep -q -- "^-- $n\$" "$work/serve.$name.out" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -gt 600 ] || ! kill -0 "${pid[$name]}" 2>/dev/null; then
			echo "process $name did not answer request $n"
			cat "$work/serve.$name.out"
			exit 1
		fi
		sleep 0.1
	done
	awk -v a="-- $((n - 1))" -v b="-- $n" 'BEGIN {on = a == "-- 0"} $0 == a {on = 1; next} $0 == b {exit} on' \
		"$work/serve.$name.out" | sed "s/^/$name: /"
}
stop() {
	local fd=fd_$1
	eval "exec ${!fd}>&-"
	wait "${pid[$1]}"
}

echo "== the store in rollback-journal mode, no busy timeout anywhere"
run "CREATE TABLE events AS
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 39999)
  SELECT 'u' || (i / 20) AS user_id, 'i' || ((i * 7 + i / 20) % 97) AS item_id FROM n;
  PRAGMA journal_mode;
  SELECT json_extract(recsys_train('live', 'events', 'popularity'), '\$.version');
  SELECT json_extract(recsys_train('other', 'events', 'popularity'), '\$.version');"

echo "== S caches 'live'; L locks the file as a committing writer does"
start S
start L
send S "SELECT count(*), min(source) FROM recommend('u1', 3, 'live');"
send L "BEGIN EXCLUSIVE; DELETE FROM events WHERE user_id = 'u0';"
echo "== while locked: S serves the cached model (by name, and as the default)"
send S "SELECT count(*), min(source) FROM recommend('u1', 3, 'live');
SELECT count(*) FROM popular_items(3, 'live');
SELECT count(*) FROM similar_items('i1', 3, 'live');
SELECT count(*) FROM recommend_for_items('[\"i1\", \"i2\"]', 3, 'live');
SELECT count(*) FROM recommend('u1', 3, 'live', '{\"exclude_seen\": false}');
SELECT recsys_set_default_model('live');
SELECT count(*) FROM recommend('u2', 3);"
echo "== while locked: a model S never loaded needs the store: the error says what to do"
send S "SELECT count(*) FROM recommend('u1', 3, 'other');"
echo "== L commits; S reads again"
send L "COMMIT;"
send S "SELECT count(*), min(source) FROM recommend('u1', 3, 'other');"
stop L
stop S

echo "== T caches 'live', then serves in a loop while R retrains 8 times (popularity, als, ..., itemknn)"
start T
send T "SELECT count(*), min(source) FROM recommend('u1', 3, 'live');"
(
	for i in 1 2 3 4 5 6 7 8; do
		if [ $i = 8 ]; then alg=itemknn; opts='{"threads": 1}'
		elif [ $((i % 2)) = 0 ]; then alg=als; opts='{"threads": 1, "factors": 8, "iterations": 2}'
		else alg=popularity; opts='{}'; fi
		# the writer waits for readers to finish (busy timeout); readers do not wait
		$sqlite -cmd ".load $ext" -cmd ".timeout 30000" "$db" \
			"SELECT recsys_train('live', 'events', '$alg', '$opts') IS NOT NULL;" 2>&1 |
			grep -v '^1$' | sed "s/^/retrain $i: /"
		sleep 0.3
	done
	touch "$work/retrain.done"
) > "$work/serve.retrain.log" 2>&1 &
rpid=$!
# T's statements: as many as it takes until a second after the last retrain
# (at most 120 s), 100 per batch, each its own autocommit read
(
	start_s=$SECONDS
	done_at=
	while [ $((SECONDS - start_s)) -lt 120 ]; do
		if [ -z "$done_at" ] && [ -e "$work/retrain.done" ]; then done_at=$SECONDS; fi
		if [ -n "$done_at" ] && [ $((SECONDS - done_at)) -ge 1 ]; then break; fi
		batch=
		for j in $(seq 1 100); do
			batch="${batch}SELECT 'served', min(source) FROM recommend('u$j', 3, 'live');
"
		done
		printf '%s' "$batch"
	done
) >&"$fd_T"
echo "== after the retrains T serves the last version"
send T "SELECT 'last', min(source) FROM recommend('u1', 3, 'live');" | grep last
wait $rpid
stop T
echo "T exited with status $?"
cat "$work/serve.retrain.log"
served=$(grep -c '^served|' "$work/serve.T.out")
errors=$(grep -ci 'error' "$work/serve.T.out")
echo "calls served: $([ "$served" -ge 300 ] && echo "at least 300" || echo "only $served")"
echo "calls that failed: $errors"
echo "algorithms served during the retrains: $(grep '^served|' "$work/serve.T.out" | cut -d'|' -f2 | sort -u | paste -sd, -)"
run "SELECT version, algorithm FROM recsys_models WHERE name = 'live';"
