#!/usr/bin/env bash
# upgrade.sh - every released version of pg_recsys upgrades to the current
# one: install the oldest script (CREATE EXTENSION ... VERSION), train, run
# ALTER EXTENSION pg_recsys UPDATE, and check that the database then holds
# exactly the objects of a fresh install (definitions, privileges, triggers,
# comments) and that recommend() returns the same rows as before.
# Needs `make install` first (as root).
set -u
cd "$(dirname "$0")/../.."
. test/e2e/lib.sh
DIR=$(mktemp -d /tmp/recsys-upgrade.XXXXXX)
PORT=${PORT:-55448}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" && e2e_start "$DIR" || { fail "upgrade: cluster start"; exit 1; }

current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" pg_recsys/pg_recsys.control)
# the released versions: every full install script but the current one
olds=$(ls pg_recsys/pg_recsys--*.sql | sed -n 's|.*/pg_recsys--\([0-9.]*\)\.sql$|\1|p' |
       grep -vx "$current" | sort -V)
[ -n "$olds" ] || { fail "upgrade: no released version to upgrade from"; exit 1; }

# One line per extension object, canonical: what it is and its full definition.
OBJECTS=$(cat <<'SQL'
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'pg_recsys'),
objs AS (
  SELECT d.classid, d.objid FROM pg_depend d, ext
  WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e')
SELECT pg_describe_object(o.classid, o.objid, 0) || ' | ' || coalesce(
  CASE o.classid
    WHEN 'pg_proc'::regclass THEN
      (SELECT pg_get_functiondef(p.oid) || ' acl=' || coalesce(p.proacl::text, 'default')
       FROM pg_proc p WHERE p.oid = o.objid AND p.prokind <> 'a')
    WHEN 'pg_class'::regclass THEN
      (SELECT c.relkind::text || ' acl=' || coalesce(c.relacl::text, 'default') || ' opts=' ||
              coalesce(c.reloptions::text, '') || ' rls=' || c.relrowsecurity::text ||
              ' cols=' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
                 CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || ' ' || a.attstorage::text ||
                 coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), ''), ', ' ORDER BY a.attnum)
                 FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') ||
              ' view=' || coalesce(pg_get_viewdef(c.oid), '') ||
              ' constraints=' || coalesce((SELECT string_agg(pg_get_constraintdef(k.oid), ', ' ORDER BY 1)
                 FROM pg_constraint k WHERE k.conrelid = c.oid), '') ||
              ' triggers=' || coalesce((SELECT string_agg(pg_get_triggerdef(t.oid), ', ' ORDER BY 1)
                 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '') ||
              ' indexes=' || coalesce((SELECT string_agg(pg_get_indexdef(i.indexrelid), ', ' ORDER BY 1)
                 FROM pg_index i WHERE i.indrelid = c.oid), '')
       FROM pg_class c WHERE c.oid = o.objid)
    WHEN 'pg_namespace'::regclass THEN
      (SELECT 'acl=' || coalesce(n.nspacl::text, 'default') FROM pg_namespace n WHERE n.oid = o.objid)
  END, '') || ' | comment=' || coalesce(obj_description(o.objid, (SELECT relname FROM pg_class WHERE oid = o.classid)), '')
FROM objs o
UNION ALL
SELECT 'config dump: ' || extconfig::regclass[]::text FROM pg_extension WHERE extname = 'pg_recsys'
ORDER BY 1
SQL
)
RECO="SELECT string_agg(item_id || ':' || round(score::numeric, 4) || ':' || source, ',' ORDER BY rank) FROM recommend('u7', 5, 'shop')"

q "$DIR" "$PORT" -c "CREATE DATABASE fresh" >/dev/null
q "$DIR" "$PORT" -d fresh -c "CREATE EXTENSION pg_recsys" >/dev/null ||
  { fail "upgrade: fresh install of $current"; exit 1; }
q "$DIR" "$PORT" -d fresh -c "$OBJECTS" >"$DIR/fresh.txt" ||
  { fail "upgrade: listing the objects of a fresh install"; exit 1; }
# a listing that cannot be empty: the tables, the view and every function
[ "$(wc -l <"$DIR/fresh.txt")" -ge 20 ] ||
  { fail "upgrade: a fresh install lists $(wc -l <"$DIR/fresh.txt") objects"; exit 1; }

for old in $olds; do
  db="from_${old//./_}"
  q "$DIR" "$PORT" -c "CREATE DATABASE $db" >/dev/null
  if ! q "$DIR" "$PORT" -d "$db" >/dev/null 2>"$DIR/$db.err" <<SQL
CREATE EXTENSION pg_recsys VERSION '$old';
CREATE TABLE events AS SELECT 'u' || (g % 40) AS user_id, 'i' || ((g * 7 + g / 40) % 30) AS item_id
  FROM generate_series(1, 1200) g;
SELECT recsys_train('shop', 'events', 'als', '{"threads": 1, "seed": 42, "factors": 8}');
SQL
  then
    fail "upgrade: install $old and train ($(head -3 "$DIR/$db.err"))"
    continue
  fi
  before=$(q "$DIR" "$PORT" -d "$db" -c "$RECO")
  if q "$DIR" "$PORT" -d "$db" -c "ALTER EXTENSION pg_recsys UPDATE" >/dev/null 2>"$DIR/$db.err"; then
    pass "upgrade: ALTER EXTENSION pg_recsys UPDATE from $old"
  else
    fail "upgrade: ALTER EXTENSION pg_recsys UPDATE from $old ($(head -3 "$DIR/$db.err"))"
    continue
  fi
  check "upgrade: $old upgraded to version $current" "$current" \
    "$(q "$DIR" "$PORT" -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_recsys'")"
  q "$DIR" "$PORT" -d "$db" -c "$OBJECTS" >"$DIR/$db.txt"
  if diff "$DIR/fresh.txt" "$DIR/$db.txt" >"$DIR/$db.diff"; then
    pass "upgrade: objects after upgrading from $old equal a fresh $current install ($(wc -l <"$DIR/fresh.txt") objects)"
  else
    fail "upgrade: objects after upgrading from $old differ from a fresh $current install"
    cut -c1-300 "$DIR/$db.diff" | head -40
  fi
  check "upgrade: recommend() serves the same rows after upgrading from $old" "$before" \
    "$(q "$DIR" "$PORT" -d "$db" -c "$RECO")"
  check "upgrade: the model trained under $old keeps its owner" "postgres" \
    "$(q "$DIR" "$PORT" -d "$db" -c "SELECT owner FROM recsys_models WHERE name = 'shop'")"
done
exit $E2E_FAILED
