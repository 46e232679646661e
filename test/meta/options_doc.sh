#!/usr/bin/env bash
# options_doc.sh - every option the code takes is documented in the README,
# and every documented option is one the code takes. The code's lists are
# the ones its errors give for an unknown key (the core's tables, through
# the SQLite binding): training per algorithm, serving per function. The
# README's are the first (option) and second (algorithms) cells of its
# "Training options" table and the first cell of its "Serving options" one.
set -u
cd "$(dirname "$0")/../.."
rc=0
ok()  { echo "PASS: meta $1"; }
bad() { echo "FAIL: meta $1"; rc=1; }
ext=sqlite_recsys/recsys
[ -f "$ext.so" ] || { bad "options documented: $ext.so not built"; exit 1; }

# known LABEL SQL: the "known options" list of the error an unknown key gives
known() {
  sqlite3 :memory: -cmd ".load $ext" "CREATE TABLE ev(user_id, item_id, session_id);
    INSERT INTO ev VALUES ('u', 'i', 's'), ('u2', 'i', 's');
    SELECT recsys_train('m', 'ev', 'popularity') IS NULL; $1" 2>&1 >/dev/null |
    sed -n 's/.*(known options: \(.*\))$/\1/p' | tr -d ' ' | tr ',' '\n' | sed '/^$/d'
}
algos=$(sqlite3 :memory: -cmd ".load $ext" "CREATE TABLE ev(user_id, item_id);
  SELECT recsys_train('m', 'ev', 'no_such_algorithm')" 2>&1 |
  sed -n 's/.*known algorithms: \([^)]*\)).*/\1/p' | tr -d ' ' | tr ',' ' ')
[ -n "$algos" ] || { bad "options documented: no algorithm list"; exit 1; }

code_train=$(for a in $algos; do
  known "SELECT recsys_train('x', 'ev', '$a', '{\"no_such_key\": 1}');" | sed "s/^/$a /"
done | sort -u)
code_serve=$(for f in "recommend('u', 1, 'm'" "recommend_for_items('[\"i\"]', 1, 'm'" \
                      "recommend_for_session('s', 1, 'm'" "recommend_batch('[\"u\"]', 1, 'm'" \
                      "popular_items(1, 'm'" "similar_items('i', 1, 'm'"; do
  known "SELECT * FROM $f, '{\"no_such_key\": 1}');"
done | sort -u)

# The README's tables: "algo option" pairs ("all" expands) and serving names.
table() { sed -n "/^### $1/,/^### /p" README.md | grep '^| `'; }
doc_train=$(table "Training options" | while IFS='|' read -r _ opts algs _; do
  for o in $(echo "$opts" | grep -o '`[a-z_0-9]*`' | tr -d '`'); do
    for a in $(echo "$algs" | tr -d ' ' | tr ',' ' '); do
      if [ "$a" = all ]; then for x in $algos; do echo "$x $o"; done; else echo "$a $o"; fi
    done
  done
done | sort -u)
doc_serve=$(table "Serving options" | while IFS='|' read -r _ opts _; do
  echo "$opts" | grep -o '`[a-z_0-9]*`' | tr -d '`'
done | sort -u)

check_sets() {
  local what=$1 code=$2 doc=$3 missing extra
  missing=$(comm -23 <(echo "$code") <(echo "$doc") | tr '\n' ';')
  extra=$(comm -13 <(echo "$code") <(echo "$doc") | tr '\n' ';')
  if [ -z "$missing" ] && [ -z "$extra" ] && [ -n "$code" ]; then
    ok "$what options: all $(echo "$code" | wc -l) documented, none documented that the code lacks"
  else
    bad "$what options: undocumented: ${missing:-none}; documented but unknown to the code: ${extra:-none}"
  fi
}
check_sets training "$code_train" "$doc_train"
check_sets serving "$code_serve" "$doc_serve"

# recsys_import's own options: what its unknown-key error lists beyond the
# options every algorithm takes, against the "Import options" table.
common=$(for a in $algos; do known "SELECT recsys_train('x', 'ev', '$a', '{\"no_such_key\": 1}');"; done |
  sort | uniq -c | awk -v n="$(echo $algos | wc -w)" '$1 == n {print $2}' | sort -u)
code_import=$(comm -23 <(known "SELECT recsys_import('x', 'ev', 'ev', '{\"no_such_key\": 1}');" | sort -u) \
  <(echo "$common"))
doc_import=$(table "Import options" | while IFS='|' read -r _ opts _; do
  echo "$opts" | grep -o '`[a-z_0-9]*`' | tr -d '`'
done | sort -u)
check_sets import "$code_import" "$doc_import"
exit $rc
