#!/usr/bin/env bash
# A database file may come from anyone. SQLite's rule for untrusted files:
# with PRAGMA trusted_schema = OFF, nothing stored in the file runs SQL the
# application did not write. A model's stored source (and the side tables in
# its stored options) is such text: with trusted_schema OFF a stored query is
# refused with a clear error, a stored table or view name (and every column
# name) is only ever an identifier; with trusted_schema ON a stored query runs
# as before. writefile() is the sqlite3 CLI's own function with a side
# effect: each attempt below writes a file into the work directory only if
# the stored SQL ran.
# Usage: untrusted.sh EXTENSION_PATH_WITHOUT_SO WORKDIR  (run.sh passes both;
# $SQLITE3 is the sqlite3 command, possibly with ASan preloaded).
set -u
ext=$1
work=$2
sqlite=${SQLITE3:-sqlite3}
mkdir -p "$work" || exit 1
cd "$work" || exit 1 # writefile() paths are relative: they land here
db=untrusted.db
rm -f "$db" pwned*.txt

# Run SQL from stdin in a new connection (errors do not stop the script).
q() { $sqlite -cmd ".load $ext" "$db" 2>&1; }
# Report whether an attempt wrote its file.
written() {
	if [ -e "$1" ]; then echo "$1 was written"; rm -f "$1"; else echo "$1 not written"; fi
}

echo "== the application trains: from a query, from a table, with side tables"
q <<'SQL'
-- 10 users, 6 distinct items each of 10, one session per user
CREATE TABLE small AS
  WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 59)
  SELECT 'u' || (x / 6) AS user_id, 'i' || ((x / 6 + 3 * (x % 6)) % 10) AS item_id,
         's' || (x / 6) AS session_id FROM n;
CREATE TABLE item_attrs AS
  WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 9)
  SELECT 'i' || x AS item_id, CASE x % 2 WHEN 0 THEN 'red' ELSE 'blue' END AS color FROM n;
SELECT json_extract(recsys_train('shop', 'SELECT user_id, item_id, session_id FROM small',
  'itemknn', '{"threads": 1}'), '$.version') AS shop;
SELECT json_extract(recsys_train('tshop', 'small', 'itemknn', '{"threads": 1}'),
  '$.version') AS tshop;
SELECT json_extract(recsys_train('side', 'small', 'popularity',
  '{"items": "SELECT item_id, color FROM item_attrs"}'), '$.version') AS side;
SELECT json_extract(recsys_train('nested', 'small', 'hybrid',
  '{"components": {"popularity": 1, "itemknn": {"weight": 1,
    "items": "SELECT item_id, color FROM item_attrs"}}}'), '$.version') AS nested;
SELECT json_extract(recsys_train('plain', 'small', 'popularity',
  '{"items": "item_attrs"}'), '$.version') AS plain;
SQL

echo "== someone edits the file: the stored query now writes a file"
q <<'SQL'
UPDATE recsys_model_store
SET source = 'SELECT user_id, item_id, session_id FROM small, (SELECT writefile(''pwned.txt'', ''pwned'')) x'
WHERE name = 'shop';
UPDATE recsys_model_store
SET options = '{"items": "SELECT item_id, color FROM item_attrs, (SELECT writefile(''pwned-side.txt'', ''pwned'')) x"}'
WHERE name = 'side';
UPDATE recsys_model_store
SET options = '{"components": {"popularity": 1, "itemknn": {"weight": 1, "items": "SELECT item_id, color FROM item_attrs, (SELECT writefile(''pwned-nested.txt'', ''pwned'')) x"}}}'
WHERE name = 'nested';
SQL

echo "== trusted_schema OFF: the fresh path and sessions refuse the stored query"
q <<'SQL'
PRAGMA trusted_schema = OFF;
SELECT item_id, source FROM recommend('new_visitor', 2, 'shop');
SELECT item_id, source FROM recommend('u1', 2, 'shop', '{"fresh": true}');
SELECT item_id, source FROM recommend_for_session('s1', 2, 'shop');
-- a known user's plain path reads no source: served
SELECT count(*) AS n, min(source) AS source FROM recommend('u1', 2, 'shop');
SQL
written pwned.txt

echo "== trusted_schema OFF: a model trained from a table name still serves fresh users"
q <<'SQL'
INSERT INTO small VALUES ('new_visitor', 'i1', 's9');
PRAGMA trusted_schema = OFF;
SELECT count(*) AS n, min(source) AS source FROM recommend('new_visitor', 2, 'tshop');
SELECT count(*) AS n, min(source) AS source FROM recommend_for_session('s9', 2, 'tshop');
SQL

echo "== trusted_schema OFF: recsys_evaluate with a model's stored options refuses stored side queries"
q <<'SQL'
PRAGMA trusted_schema = OFF;
SELECT test_users FROM recsys_evaluate('small', 'side');
SELECT test_users FROM recsys_evaluate('small', 'nested');
-- the caller's own value replaces the stored one (a top-level key)
SELECT test_users FROM recsys_evaluate('small', 'side', '{"items": "item_attrs"}');
-- a stored table name is read as a name
SELECT test_users FROM recsys_evaluate('small', 'plain');
SQL
written pwned-side.txt
written pwned-nested.txt

echo "== trusted_schema ON (SQLite's default): the stored queries run as before"
q <<'SQL'
SELECT count(*) AS n FROM recommend('new_visitor', 2, 'shop');
SELECT test_users FROM recsys_evaluate('small', 'side');
SQL
written pwned.txt
written pwned-side.txt

echo "== a stored table name with quotes and SQL is only an identifier"
q <<'SQL'
UPDATE recsys_model_store
SET source = 'small" WHERE 0; SELECT writefile(''pwned-name.txt'', ''pwned'') --'
WHERE name = 'tshop';
SQL
q <<'SQL'
SELECT count(*) FROM recommend('new_visitor', 2, 'tshop');
PRAGMA trusted_schema = OFF;
SELECT count(*) FROM recommend('new_visitor', 2, 'tshop');
SQL
written pwned-name.txt
q <<'SQL'
UPDATE recsys_model_store SET options = '{"items": "item_attrs\" WHERE 0; SELECT writefile(''pwned-name.txt'', ''x'') --"}'
WHERE name = 'plain';
PRAGMA trusted_schema = OFF;
SELECT test_users FROM recsys_evaluate('small', 'plain');
SQL
written pwned-name.txt

echo "== column names with quotes and SQL are quoted identifiers in the fresh read"
q <<'SQL'
CREATE TABLE odd("who"" = '' OR writefile('pwned-col.txt', 'x') OR """ TEXT, item_id TEXT);
INSERT INTO odd SELECT user_id, item_id FROM small;
SELECT json_extract(recsys_train('odd', 'odd', 'itemknn',
  '{"threads": 1, "user_column": "who\" = '''' OR writefile(''pwned-col.txt'', ''x'') OR \""}'),
  '$.users') AS users;
PRAGMA trusted_schema = OFF;
SELECT count(*) AS n, min(source) AS source FROM recommend('new_visitor', 2, 'odd');
PRAGMA trusted_schema = ON;
SELECT count(*) AS n, min(source) AS source FROM recommend('new_visitor', 2, 'odd');
SQL
written pwned-col.txt
ls pwned*.txt 2>/dev/null || echo "no stray files"
