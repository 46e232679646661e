#!/usr/bin/env bash
# Accuracy through the SQL interface: MovieLens 100K, temporal-20 split
# (EVAL.md), every algorithm with its default options (bpr and warp on one
# thread: Hogwild on two is not reproducible; als also with recency 3, the
# value chosen on the validation split, and tuned by auto restricted to als;
# hybrid with the blend auto chose on validation; two_tower with the users
# and items side tables built from u.user (age, gender, occupation) and
# u.item (genres)), NDCG@10 in SQLite and in PostgreSQL, each against a floor
# 5% under the algorithm's target (issues 2 and 3) or, for vae and two_tower,
# which meet no target, under what their defaults measure here. Missing data
# fails under CI=true, else is skipped. The PostgreSQL half runs in a
# throw-away cluster of PGBIN's server (default: Debian's).
set -u
cd "$(dirname "$0")/../.."
DATA=${RECSYS_DATA:-../shared/data}/ml-100k/u.data
SIDE=$(dirname "$DATA")
# name algorithm options floor  (floor = 0.95 x target NDCG@10)
CASES="als als {} 0.132
als_recency als {\"recency\":3} 0.132
als_tuned auto {\"algorithms\":[\"als\"]} 0.132
svd svd {} 0.1264
ease ease {} 0.133
itemknn itemknn {} 0.1254
warp warp {\"threads\":1} 0.1245
warp_tuned auto {\"algorithms\":[\"warp\"],\"threads\":1} 0.1245
bpr bpr {\"threads\":1} 0.1093
vae vae {} 0.1273
hybrid hybrid {\"components\":{\"ease\":{\"weight\":1,\"recency\":20},\"itemknn\":{\"weight\":1,\"recency\":5},\"als\":{\"weight\":1,\"recency\":3}}} 0.1397
auto auto {} 0.1397
two_tower two_tower {\"users\":\"users_side\",\"items\":\"items_side\",\"threads\":1} 0.1168"
if [ ! -r "$DATA" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: accuracy ml-100k (data missing: $DATA)"
    exit 1
  fi
  echo "SKIP: accuracy ml-100k (data missing: $DATA)"
  exit 0
fi
out=test/out/accuracy
mkdir -p "$out"
rc=0

# the SQL of one run: split, then every case
script() {
  cat test/accuracy/split.sql
  echo "$CASES" | while read -r name algo opts floor; do
    sed -e "s/NAME/m_$name/g" -e "s/ALGO/$algo/g" -e "s/OPTS/$opts/g" test/accuracy/algo.sql
  done
}

# verdict DB FILE: split sizes and every case's NDCG against its floor
verdict() {
  local db=$1 file=$2 sizes ndcg
  sizes=$(grep '^sizes' "$file" | tr '|\t' '  ' | awk '{print $2, $3, $4}')
  if [ "$sizes" != "44679 10696 938" ]; then
    echo "FAIL: accuracy $db split sizes '$sizes' (want 44679 10696 938)"; cat "$file"; rc=1; return
  fi
  while read -r name algo opts floor; do
    ndcg=$(grep -E "^ndcg m_${name}[|[:space:]]" "$file" | tr '|\t' '  ' | awk '{print $3}')
    if [ -n "$ndcg" ] && awk -v n="$ndcg" -v f="$floor" 'BEGIN{exit !(n >= f)}'; then
      echo "PASS: accuracy $db $name ml-100k NDCG@10=$ndcg (floor $floor)"
    else
      echo "FAIL: accuracy $db $name ml-100k NDCG@10='$ndcg' (floor $floor)"; rc=1
      grep -i "error" "$file" | head -3
    fi
  done <<< "$CASES"
}

# the side tables as tab-separated ASCII: user id, age, gender, occupation;
# item id and its genres (u.item's flags) as words
awk -F'|' '{ print $1 "\t" $2 "\t" $3 "\t" $4 }' "$SIDE/u.user" > "$out/users.tsv"
awk -F'|' 'BEGIN { split("unknown action adventure animation children comedy crime documentary drama fantasy noir horror musical mystery romance scifi thriller war western", g, " ") }
  { s = ""; for (k = 6; k <= 24; k++) if ($k == "1") s = s (s == "" ? "" : " ") g[k - 5]; print $1 "\t" s }' \
  "$SIDE/u.item" > "$out/items.tsv"
chmod a+r "$out/users.tsv" "$out/items.tsv"

script > "$out/all.sql"
chmod a+r "$out/all.sql"

# SQLite
db=$out/ml100k.db
rm -f "$db"
sqlite3 "$db" > "$out/sqlite.txt" 2>&1 <<SQL
.load sqlite_recsys/recsys
CREATE TABLE ratings(user_id integer, item_id integer, rating integer, ts integer);
CREATE TABLE users_side(user_id integer, age integer, gender text, occupation text);
CREATE TABLE items_side(item_id integer, genres text);
.mode tabs
.import $DATA ratings
.import $out/users.tsv users_side
.import $out/items.tsv items_side
.mode list
.read $out/all.sql
SQL
verdict sqlite "$out/sqlite.txt"

# PostgreSQL, in a throw-away cluster of PGBIN's server (test/e2e/lib.sh), so
# the run measures the pg_recsys installed there
. test/e2e/lib.sh
trap e2e_cleanup EXIT
PORT=${ACCURACY_PORT:-55490}
DIR=/tmp/recsys_accuracy_$$
if e2e_init "$DIR" "$PORT" >"$out/pg.txt" 2>&1 && e2e_start "$DIR" >>"$out/pg.txt" 2>&1; then
  # no ON_ERROR_STOP: a failing case must not hide the others
  psql -X -q -At -h "$DIR" -p "$PORT" -U postgres -d postgres >>"$out/pg.txt" 2>&1 <<SQL
CREATE EXTENSION pg_recsys;
CREATE TABLE ratings(user_id integer, item_id integer, rating integer, ts bigint);
\\copy ratings FROM '$DATA'
CREATE TABLE users_side(user_id integer, age integer, gender text, occupation text);
CREATE TABLE items_side(item_id integer, genres text);
\\copy users_side FROM '$PWD/$out/users.tsv'
\\copy items_side FROM '$PWD/$out/items.tsv'
\\i $out/all.sql
SQL
fi
verdict postgresql "$out/pg.txt"
exit $rc
