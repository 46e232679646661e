#!/usr/bin/env bash
# sqlite3_interrupt() (Ctrl-C in the CLI) cancels a running training, or a
# long recommend_batch(), within a second; the previous version of the model
# keeps serving.
# Usage: interrupt.sh EXTENSION_PATH_WITHOUT_SO WORKDIR  ($SQLITE3 = sqlite3 command)
set -u
ext=$1
work=$2
db=$work/interrupt.db
sqlite=${SQLITE3:-sqlite3}
mkdir -p "$work" || exit 1
rm -f "$db"

echo "== version 1 trains quickly (popularity) on 3000 users x 30 items"
$sqlite -cmd ".load $ext" "$db" "CREATE TABLE events AS
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 89999)
  SELECT 'u' || (i / 30) AS user_id, 'i' || ((i * 7 + i / 30) % 97) AS item_id FROM n;
  SELECT json_extract(recsys_train('m', 'events', 'popularity'), '\$.version');"

# interrupt SQL: run it, Ctrl-C the CLI after a second, print its output
# and whether it stopped within a second of the interrupt.
interrupt() {
	$sqlite -cmd ".load $ext" "$db" "$1" > "$work/long.out" 2>&1 &
	local pid=$! t0 t1 ms
	sleep 1
	kill -INT $pid
	t0=$(date +%s%N)
	wait $pid
	t1=$(date +%s%N)
	cat "$work/long.out"
	ms=$(( (t1 - t0) / 1000000 ))
	if [ $ms -le 1000 ]; then echo "stopped within 1 s: yes"; else echo "stopped within 1 s: no ($ms ms)"; fi
}

echo "== version 2: a long ALS training, interrupted after a second"
interrupt "SELECT recsys_train('m', 'events', 'als',
  '{\"threads\": 1, \"factors\": 256, \"iterations\": 1000, \"solver\": \"cholesky\"}');"

echo "== an evaluation of the same long training, interrupted after a second"
interrupt "SELECT k FROM recsys_evaluate('events', 'als',
  '{\"threads\": 1, \"factors\": 256, \"iterations\": 1000, \"solver\": \"cholesky\"}');"

echo "== ease on 6000 items: interrupted in the inverse of the 6000 x 6000 Gram matrix"
$sqlite "$db" "CREATE TABLE wide AS
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 59999)
  SELECT 'u' || (i % 3000) AS user_id, 'w' || ((i * 7919) % 6000) AS item_id FROM n;"
interrupt "SELECT recsys_train('m', 'wide', 'ease');"

echo "== svd at 1000 factors, 100 power iterations: interrupted"
interrupt "SELECT recsys_train('m', 'wide', 'svd', '{\"factors\": 1000, \"power_iterations\": 100}');"

echo "== warp at 128 factors, up to 1000 negatives a pair, 10000 epochs: interrupted"
interrupt "SELECT recsys_train('m', 'events', 'warp',
  '{\"factors\": 128, \"max_sampled\": 1000, \"epochs\": 10000}');"

echo "== vae on 6000 items, hidden 600, latent 200, 10000 epochs: interrupted"
interrupt "SELECT recsys_train('m', 'wide', 'vae', '{\"epochs\": 10000}');"

echo "== two_tower on 6000 items, dim 256, hidden 512, 10000 epochs: interrupted"
interrupt "SELECT recsys_train('m', 'wide', 'two_tower',
  '{\"dim\": 256, \"hidden\": 512, \"epochs\": 10000}');"

echo "== recommend_batch for all 300000 users of a model, re-ranked (about a minute): interrupted"
$sqlite -cmd ".load $ext" "$db" "CREATE TABLE crowd AS
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 899999)
  SELECT 'c' || (i / 3) AS user_id, 'i' || ((i * 7 + i / 3) % 97) AS item_id FROM n;
  SELECT recsys_train('k', 'crowd', 'itemknn') IS NOT NULL;"
interrupt "SELECT count(*) FROM recommend_batch(NULL, 10, 'k', '{\"diversity\": 0.5}');"
$sqlite -cmd ".load $ext" "$db" "SELECT recsys_drop_model('k');"

echo "== version 1 still serves"
$sqlite -cmd ".load $ext" "$db" "SELECT name, version, algorithm FROM recsys_models;
  SELECT count(*), source FROM recommend('u1', 5) GROUP BY source;"
