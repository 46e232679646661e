#!/usr/bin/env bash
# shared_model.sh - one copy of each model version per server (image.c):
# two backends serving one model map the same serving image and do not each
# grow by a model copy; a retrain replaces the image, a drop removes it, a
# crash leaves none behind and serving rebuilds it; a hot standby serves
# from its own image; recsys.shared_models = off loads private copies.
set -u
. "$(dirname "$0")/lib.sh"
P=$(mktemp -d /tmp/recsys-e2e-shp.XXXXXX)
S=$(mktemp -d /tmp/recsys-e2e-shs.XXXXXX)
PPORT=${PORT:-55450}
SPORT=$((PPORT + 1))
trap e2e_cleanup EXIT
e2e_init "$P" "$PPORT" "listen_addresses = '127.0.0.1'" && e2e_start "$P" \
  || { fail "shared: primary start"; exit 1; }

# images DIR [MODEL-HEX]: the serving images in DIR's data directory.
images() { ls "$1/data/base/pgsql_tmp" 2>/dev/null | grep "^pgsql_tmp_recsys_.*\.img$"; }
# anon PID: anonymous (private, malloc'd) kB of a backend.
anon() { awk '/^Anonymous:/ { print $2 }' "/proc/$1/smaps_rollup"; }
# mapped_inode PID: inode of the serving image a backend maps (or empty).
mapped_inode() { awk '/pgsql_tmp_recsys_/ { print $5; exit }' "/proc/$1/maps"; }

# 4000 users x 20000 items, 32 factors: a model of several MB.
q "$P" "$PPORT" <<'SQL' >/dev/null || { fail "shared: setup"; exit 1; }
CREATE EXTENSION pg_recsys;
CREATE TABLE ev AS SELECT 'u' || (g % 4000) AS user_id, 'i' || ((g * 7919) % 20000) AS item_id
  FROM generate_series(1, 120000) g;
SELECT recsys_train('m', 'ev', 'als', '{"factors": 32, "iterations": 2, "threads": 1}');
SQL
[ "$(images "$P" | wc -l)" = 0 ] && pass "shared: no image before anything is served" \
  || fail "shared: no image before anything is served"

sess_open A "$P" "$PPORT"
sess_open B "$P" "$PPORT"
pa=$(sess_query A "SELECT pg_backend_pid();")
pb=$(sess_query B "SELECT pg_backend_pid();")
ref=$(sess_query A "SELECT string_agg(item_id, ',') FROM recommend('u7', 5, 'm');")
sess_query B "SELECT recsys_version(); SELECT count(*) FROM recsys_models;" >/dev/null # warm up
b0=$(anon "$pb")
got=$(sess_query B "SELECT string_agg(item_id, ',') FROM recommend('u7', 5, 'm');")
b1=$(anon "$pb")
check "shared: both backends serve the same recommendations" "$ref" "$got"
check "shared: one image on the server" "1" "$(images "$P" | wc -l)"
img=$(images "$P")
size_kb=$(( $(stat -c %s "$P/data/base/pgsql_tmp/$img") / 1024 ))
ia=$(mapped_inode "$pa"); ib=$(mapped_inode "$pb")
[ -n "$ia" ] && [ "$ia" = "$ib" ] && [ "$ia" = "$(stat -c %i "$P/data/base/pgsql_tmp/$img")" ] \
  && pass "shared: both backends map the same file (inode $ia)" \
  || fail "shared: both backends map the same file (A '$ia', B '$ib')"
[ $((b1 - b0)) -lt $((size_kb / 4)) ] \
  && pass "shared: the second backend's private memory grew by $((b1 - b0)) kB, not by the model's $size_kb kB" \
  || fail "shared: the second backend's private memory grew by $((b1 - b0)) kB (model $size_kb kB)"

# The same in a backend with private copies: it does grow by a model copy.
sess_open C "$P" "$PPORT"
pc=$(sess_query C "SET recsys.shared_models = off; SELECT pg_backend_pid();")
sess_query C "SELECT recsys_version(); SELECT count(*) FROM recsys_models;" >/dev/null
c0=$(anon "$pc")
check "shared: off: the private copy serves the same" "$ref" \
  "$(sess_query C "SELECT string_agg(item_id, ',') FROM recommend('u7', 5, 'm');")"
c1=$(anon "$pc")
[ $((c1 - c0)) -gt $((size_kb / 2)) ] && [ -z "$(mapped_inode "$pc")" ] \
  && pass "shared: off: a private copy ($((c1 - c0)) kB) and no mapping" \
  || fail "shared: off: a private copy (grew $((c1 - c0)) kB, maps '$(mapped_inode "$pc")')"
sess_close C

# Retrain: the new version is served from a new image; the old one goes at
# the next refresh.
q "$P" "$PPORT" -c "SELECT recsys_train('m', 'SELECT * FROM ev WHERE user_id <> ''u7''', 'popularity')" >/dev/null
check "shared: the retrained version is served" "popularity (unknown user)" \
  "$(sess_query B "SELECT source FROM recommend('u7', 1, 'm');")"
n=$(images "$P" | wc -l); new=$(images "$P")
[ "$n" = 1 ] && [ "$new" != "$img" ] && echo "$new" | grep -q "_2_" \
  && pass "shared: the retrain replaced the image" || fail "shared: the retrain replaced the image (have: $(images "$P" | tr '\n' ' '))"
check "shared: the other backend moves to the new version" "popularity (unknown user)" \
  "$(sess_query A "SELECT source FROM recommend('u7', 1, 'm');")"
[ "$(mapped_inode "$pa")" = "$(stat -c %i "$P/data/base/pgsql_tmp/$new")" ] \
  && pass "shared: ... and maps the new image" || fail "shared: ... and maps the new image"

# Drop: gone at the next call that refreshes the list.
q "$P" "$PPORT" -c "SELECT recsys_train('keep', 'ev', 'popularity')" >/dev/null
sess_query A "SELECT count(*) FROM recommend('u1', 1, 'keep');" >/dev/null
q "$P" "$PPORT" -c "SELECT recsys_drop_model('m')" >/dev/null
sess_query B "SELECT count(*) FROM recommend('u1', 1, 'keep');" >/dev/null
check "shared: a drop removes the model's image, others stay" "1" "$(images "$P" | wc -l)"
images "$P" | grep -q "_6b656570_" && pass "shared: ... the remaining image is the kept model's" \
  || fail "shared: ... the remaining image is the kept model's ($(images "$P"))"
sess_close A
sess_close B

# Four backends asking for a new version at once build it once (a flock on
# a per-version lock file): all map the one file that stayed in place.
q "$P" "$PPORT" -c "SELECT recsys_train('c', 'ev', 'als', '{\"factors\": 16, \"iterations\": 1, \"threads\": 1}')" >/dev/null
cp=()
for s in 1 2 3 4; do
  sess_open "C$s" "$P" "$PPORT"
  cp+=("$(sess_query "C$s" "SELECT pg_backend_pid();")")
done
waits=()
for s in 1 2 3 4; do
  ( sess_query "C$s" "SELECT count(*) FROM recommend('u1', 3, 'c');" >/dev/null ) &
  waits+=($!)
done
wait "${waits[@]}"
cimg=$(images "$P" | grep "_63_")
inodes=$(for p in "${cp[@]}"; do mapped_inode "$p"; done | sort -u)
check "shared: four backends starting together map one image" \
  "$(stat -c %i "$P/data/base/pgsql_tmp/$cimg" 2>/dev/null)" "$inodes"
check "shared: ... and left no temporary file" "0" \
  "$(ls "$P/data/base/pgsql_tmp" | grep -c '\.tmp$')"
for s in 1 2 3 4; do sess_close "C$s"; done
q "$P" "$PPORT" -c "SELECT recsys_drop_model('c')" >/dev/null

# A backend crash: PostgreSQL removes pgsql_tmp files while reinitializing;
# serving rebuilds the image.
q "$P" "$PPORT" -c "SELECT recsys_train('m', 'ev', 'popularity')" >/dev/null
q "$P" "$PPORT" -c "SELECT count(*) FROM recommend('u1', 1, 'm')" >/dev/null
check "shared: two images before the crash" "2" "$(images "$P" | wc -l)"
sess_open K "$P" "$PPORT"
pk=$(sess_query K "SELECT pg_backend_pid();")
kill -KILL "$pk"
sess_close K
for i in $(seq 1 100); do
  grep -q "all server processes terminated; reinitializing" "$P/server.log" && break
  sleep 0.1
done
for i in $(seq 1 100); do
  q "$P" "$PPORT" -c "SELECT 1" >/dev/null 2>&1 && break
  sleep 0.2
done
check "shared: no image after the crash" "0" "$(images "$P" | wc -l)"
check "shared: serving after the crash rebuilds the image" "1|1" \
  "$(q "$P" "$PPORT" -c "SELECT count(*) FROM recommend('u1', 1, 'm')")|$(images "$P" | wc -l)"
as_pg "$PGBIN/pg_ctl" -D "$P/data" -m immediate stop >/dev/null 2>&1
as_pg "$PGBIN/pg_ctl" -D "$P/data" -l "$P/server.log" -w -t 60 start >/dev/null \
  || fail "shared: restart after an immediate stop"
check "shared: no image after an immediate stop and restart" "0" "$(images "$P" | wc -l)"

# A hot standby builds its own image from the replicated blob.
q "$P" "$PPORT" -c "SELECT count(*) FROM recommend('u1', 1, 'm')" >/dev/null
[ "$(id -u)" -eq 0 ] && chown postgres "$S"
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PPORT" -U postgres -D "$S/data" \
  -R -X stream -c fast >"$S/basebackup.log" 2>&1 || { cat "$S/basebackup.log"; fail "shared: basebackup"; exit 1; }
check "shared: the base backup carries no image" "0" "$(images "$S" | wc -l)"
printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = ''\n" "$SPORT" "$S" \
  >>"$S/data/postgresql.conf"
e2e_start "$S" || { fail "shared: standby start"; exit 1; }
check "shared: the standby serves" "t|1" \
  "$(q "$S" "$SPORT" -c "SELECT pg_is_in_recovery(), count(*) FROM recommend('u1', 1, 'm')" | tr '\n' '|' | sed 's/|$//')"
check "shared: ... from its own image" "1" "$(images "$S" | wc -l)"
grep -q "WARNING.*recsys" "$P/server.log" "$S/server.log" \
  && fail "shared: no recsys warnings in the server logs" || pass "shared: no recsys warnings in the server logs"
exit $E2E_FAILED
