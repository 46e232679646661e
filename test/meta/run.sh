#!/usr/bin/env bash
# Project-level checks: one version string everywhere, META.json valid for
# PGXN's required keys, no database header inside core/, bench programs compile.
set -u
cd "$(dirname "$0")/../.."
rc=0
ok()  { echo "PASS: meta $1"; }
bad() { echo "FAIL: meta $1"; rc=1; }

v_make=$(sed -n 's/^VERSION *:= *//p' Makefile)
v_core=$(sed -n 's/^#define RS_VERSION "\(.*\)"/\1/p' core/recsys.h)
v_ctl=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" pg_recsys/pg_recsys.control)
v_meta=$(sqlite3 :memory: "SELECT json_extract(readfile('META.json'), '\$.version')")
v_prov=$(sqlite3 :memory: "SELECT json_extract(readfile('META.json'), '\$.provides.pg_recsys.version')")
if [ -n "$v_make" ] && [ "$v_make" = "$v_core" ] && [ "$v_core" = "$v_ctl" ] &&
   [ "$v_ctl" = "$v_meta" ] && [ "$v_meta" = "$v_prov" ] &&
   [ -f "pg_recsys/pg_recsys--$v_ctl.sql" ]; then
  ok "one version string ($v_make)"
else
  bad "version strings differ: Makefile=$v_make core=$v_core control=$v_ctl META=$v_meta provides=$v_prov"
fi

valid=$(sqlite3 :memory: "SELECT json_valid(readfile('META.json'))
  AND json_extract(readfile('META.json'), '\$.name') IS NOT NULL
  AND json_extract(readfile('META.json'), '\$.abstract') IS NOT NULL
  AND json_extract(readfile('META.json'), '\$.maintainer') IS NOT NULL
  AND json_extract(readfile('META.json'), '\$.license') IS NOT NULL
  AND json_extract(readfile('META.json'), '\$.provides') IS NOT NULL
  AND json_extract(readfile('META.json'), '\$.\"meta-spec\".version') = '1.0.0'")
[ "$valid" = "1" ] && ok "META.json valid with PGXN's required keys" || bad "META.json invalid or lacks required keys"

if make -s lint >/dev/null 2>&1; then ok "core/ includes no database header"; else bad "core/ includes a database header"; fi

# bench programs against the core's current API (a signature change must not
# leave a benchmark that no longer builds)
broken=""
for f in bench/*.c; do
  gcc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -Icore -Isqlite_recsys -fsyntax-only "$f" \
    >/dev/null 2>&1 || broken="$broken $f"
done
[ -z "$broken" ] && ok "bench programs compile" || bad "bench programs do not compile:$broken"
exit $rc
