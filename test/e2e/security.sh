#!/usr/bin/env bash
# security.sh - two (three) roles on one server, as a DBA would set them up:
# alice and bob may train (EXECUTE on recsys_train), carol may only use what
# she is granted. Stored SQL never runs with the caller's rights, models are
# owned, the store cannot be reached around the functions, and a model shows
# only what its grants allow (issue 10, items 1-3).
set -u
. "$(dirname "$0")/lib.sh"
DIR=$(mktemp -d /tmp/recsys-e2e-sec.XXXXXX)
PORT=${PORT:-55446}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" && e2e_start "$DIR" || { fail "security: cluster start"; exit 1; }

# as ROLE SQL...: run SQL as a login role; errors go to stdout too.
as() {
  local role=$1; shift
  psql -X -q -At -h "$DIR" -p "$PORT" -U "$role" -d postgres "$@" 2>&1
}
# err_of ROLE SQL: the first ERROR line of a statement that must fail.
err_of() { as "$1" -c "$2" | grep -m1 '^ERROR:' ; }

q "$DIR" "$PORT" <<'SQL' >/dev/null || { fail "security: setup"; exit 1; }
CREATE EXTENSION pg_recsys;
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE carol LOGIN;
GRANT EXECUTE ON FUNCTION recsys_train(text, text, text, jsonb) TO alice, bob;
CREATE SCHEMA a AUTHORIZATION alice;
CREATE SCHEMA b AUTHORIZATION bob;
CREATE SCHEMA c AUTHORIZATION carol;
SQL

as alice >/dev/null <<'SQL'
SET search_path = a, public;
CREATE TABLE events AS SELECT 'u' || (g % 40) AS user_id, 'i' || ((g * 7 + g / 40) % 30) AS item_id,
  's' || (g % 12) AS session_id FROM generate_series(1, 1200) g;
CREATE TABLE secret AS SELECT 'u1' AS user_id, 'top-secret-item' AS item_id;
SELECT recsys_train('alice_m', 'events', 'als', '{"factors": 4, "iterations": 2, "seed": 1}');
SELECT recsys_train('alice_q', 'SELECT user_id, item_id, session_id FROM events UNION ALL SELECT user_id, item_id, ''s0'' FROM secret',
                    'itemknn', '{}');
SQL

# 1. The reproduction of issue 10: bob's source calls a function that makes
# bob superuser when it runs as a superuser.
as bob >/dev/null <<'SQL'
CREATE TABLE b.ev2 AS SELECT 'u' || g AS user_id, 'i' || (g % 7) AS item_id, 's' || (g % 3) AS session_id
  FROM generate_series(1, 50) g;
CREATE TABLE b.ran_as (who name, restricted text);
CREATE FUNCTION b.evil() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  INSERT INTO b.ran_as VALUES (current_user, NULL);
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE bob SUPERUSER';
  END IF;
  RETURN 1;
END $$;
SELECT recsys_train('shop', 'SELECT user_id, item_id, session_id FROM b.ev2 CROSS JOIN b.evil() AS e', 'als',
                    '{"factors": 4, "iterations": 2}');
SELECT recsys_grant('shop', 'public');
SQL
check "security: bob trained shop" "bob" "$(q "$DIR" "$PORT" -c "SELECT owner FROM recsys_models WHERE name = 'shop'")"
q "$DIR" "$PORT" -c "TRUNCATE b.ran_as" >/dev/null
out=$(q "$DIR" "$PORT" -c "SELECT count(*) FROM recommend('new_visitor', 3, 'shop')" 2>&1)
check "security: a superuser serves a fresh user of bob's model" "3" "$out"
out=$(q "$DIR" "$PORT" -c "SELECT count(*) FROM recommend_for_session('s1', 3, 'shop', '{\"exclude_items\": false}')" 2>&1)
check "security: a superuser serves a session of bob's model" "3" "$out"
check "security: bob is still not a superuser" "f" \
  "$(q "$DIR" "$PORT" -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'bob'")"
check "security: the stored source ran as its owner bob, never as the caller" "bob" \
  "$(q "$DIR" "$PORT" -c "SELECT string_agg(DISTINCT who::text, ',') FROM b.ran_as")"
out=$(as carol -c "SELECT count(*) FROM recommend('new_visitor', 3, 'shop')")
check "security: carol (public grant) serves it too, as bob" "3" "$out"

# Inside the read, the owner's code cannot change the session: it is a
# security-restricted operation (as REFRESH MATERIALIZED VIEW).
as bob >/dev/null <<'SQL'
CREATE FUNCTION b.sneaky() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
BEGIN CREATE TEMP TABLE sneaky_t (x int); RETURN 1; END $$;
SELECT recsys_train('shop2', 'SELECT user_id, item_id FROM b.ev2 CROSS JOIN b.sneaky() AS e', 'popularity');
SQL
as bob -c "DROP TABLE IF EXISTS pg_temp.sneaky_t" >/dev/null
as bob -c "SELECT recsys_grant('shop2', 'public')" >/dev/null
out=$(err_of carol "SELECT * FROM recommend('new_visitor', 3, 'shop2')")
check "security: the read is a security-restricted operation" \
  "ERROR:  cannot create temporary table within security-restricted operation" "$out"

# The read uses the search_path alice trained with, temporary schemas last:
# carol's own tables and search_path cannot redirect it.
as alice -c "SELECT recsys_grant('alice_q', 'carol')" >/dev/null
RECO="SELECT string_agg(item_id, ',' ORDER BY rank) FROM recommend('newbie-u1', 3, 'alice_q', '{\"fresh\": true}')"
SESS="SELECT string_agg(item_id, ',' ORDER BY rank) FROM recommend_for_session('s0', 3, 'alice_q', '{\"exclude_items\": false}')"
want=$(as alice -c "$SESS")
[ -n "$want" ] || fail "security: alice's own session read returned nothing"
got=$(as carol <<SQL
CREATE TABLE c.events AS SELECT 'x' AS user_id, 'decoy' AS item_id, 's0' AS session_id;
CREATE TEMP TABLE events AS SELECT 'x' AS user_id, 'decoy' AS item_id, 's0' AS session_id;
CREATE TEMP TABLE secret AS SELECT 'x' AS user_id, 'decoy' AS item_id;
SET search_path = c, public;
$SESS
SQL
)
check "security: a session read ignores the caller's search_path and temp tables" "$want" "$got"

# 2. Ownership: bob cannot retrain, drop, or reach around to alice's models.
check "security: bob cannot retrain alice's model" \
  'ERROR:  must be owner of model "alice_m" to train it' \
  "$(err_of bob "SELECT recsys_train('alice_m', 'b.ev2', 'popularity')")"
check "security: bob cannot drop alice's model" \
  'ERROR:  must be owner of model "alice_m" to drop it' \
  "$(err_of bob "SELECT recsys_drop_model('alice_m')")"
check "security: bob cannot grant alice's model" \
  'ERROR:  must be owner of model "alice_m" to grant it' \
  "$(err_of bob "SELECT recsys_grant('alice_m', 'bob')")"
check "security: no DELETE on the store" \
  'ERROR:  permission denied for table model_store' \
  "$(err_of bob "DELETE FROM recsys.model_store WHERE name = 'alice_m'")"
check "security: no UPDATE of owners" \
  'ERROR:  permission denied for table models' \
  "$(err_of bob "UPDATE recsys.models SET owner = 'bob'")"
check "security: carol cannot create models" \
  'ERROR:  permission denied for function recsys_train' \
  "$(err_of carol "SELECT recsys_train('carol_m', 'c.events')")"
check "security: alice's model still at version 1, still alice's" "1|alice" \
  "$(as alice -c "SELECT version || '|' || owner FROM recsys_models WHERE name = 'alice_m'")"

# 3. What a model reveals: nothing before a grant; after it, no source text.
check "security: no SELECT on the blob" \
  'ERROR:  permission denied for table model_store' \
  "$(err_of bob "SELECT blob FROM recsys.model_store")"
check "security: recsys_models lists only models bob may use" "shop,shop2" \
  "$(as bob -c "SELECT string_agg(name, ',' ORDER BY name) FROM recsys_models")"
check "security: recommend() on alice's model is refused" \
  'ERROR:  permission denied for model "alice_q"' \
  "$(err_of bob "SELECT * FROM recommend('u1', 3, 'alice_q')")"
check "security: recsys_explain on alice's model is refused" \
  'ERROR:  permission denied for model "alice_q"' \
  "$(err_of bob "SELECT * FROM recsys_explain('u1', 'i1', 'alice_q')")"
check "security: recsys_user_profile on alice's model is refused" \
  'ERROR:  permission denied for model "alice_q"' \
  "$(err_of bob "SELECT * FROM recsys_user_profile('u1', 'alice_q')")"
check "security: recsys_evaluate by name is the owner's" \
  'ERROR:  must be owner of model "alice_q" to evaluate it' \
  "$(err_of bob "SELECT * FROM recsys_evaluate('b.ev2', 'alice_q')")"
check "security: the error names no model bob may not use" \
  'HINT:  Existing models: shop, shop2.' \
  "$(as bob -c "SELECT * FROM recommend('u1', 3, 'nope')" | grep -m1 '^HINT:')"
as alice -c "SELECT recsys_grant('alice_m', 'bob')" >/dev/null
check "security: granted, bob sees the model but not its source" "alice_m|alice||{bob}" \
  "$(as bob -c "SELECT name || '|' || owner || '|' || coalesce(source, '') || '|' || granted_to::text FROM recsys_models WHERE name = 'alice_m'")"
as alice -c "SET search_path = a, public; SELECT recsys_train('alice_side', 'events', 'content', '{\"items\": \"SELECT item_id, item_id || '' secret words'' AS title FROM events\"}'); SELECT recsys_grant('alice_side', 'bob')" >/dev/null
check "security: side-table queries in options are the owner's to see" "f|t" \
  "$(as bob -c "SELECT options ? 'items' FROM recsys_models WHERE name = 'alice_side'")|$(as alice -c "SELECT options ? 'items' FROM recsys_models WHERE name = 'alice_side'")"
check "security: granted, bob is served, fresh users too (read as alice)" "3|3" \
  "$(as bob -c "SELECT (SELECT count(*) FROM recommend('u1', 3, 'alice_m', '{\"exclude_seen\": false}')) || '|' || count(*) FROM recommend('u1', 3, 'alice_m', '{\"fresh\": true, \"exclude_seen\": false}')")"
check "security: the owner sees the source" "a.events" \
  "$(as alice -c "SELECT source FROM recsys_models WHERE name = 'alice_m'")"
as alice -c "SELECT recsys_revoke('alice_m', 'bob')" >/dev/null
check "security: revoked, bob is refused again at once" \
  'ERROR:  permission denied for model "alice_m"' \
  "$(err_of bob "SELECT * FROM recommend('u1', 3, 'alice_m')")"

# Ownership moves as ALTER ... OWNER TO: only to a role one is a member of.
check "security: alice cannot give her model to bob" \
  'ERROR:  must be member of role "bob"' \
  "$(err_of alice "SELECT recsys_set_owner('alice_m', 'bob')")"
q "$DIR" "$PORT" -c "SELECT recsys_set_owner('alice_m', 'bob')" >/dev/null
check "security: given to bob by a superuser, bob may drop it" "t" \
  "$(as bob -c "SELECT recsys_drop_model('alice_m')")"

# Row-level security holds at training: the model sees the trainer's rows.
q "$DIR" "$PORT" >/dev/null <<'SQL'
CREATE TABLE public.shared_events (user_id text, item_id text, tenant name);
INSERT INTO public.shared_events SELECT 'u' || (g % 10), 'i' || (g % 9), CASE WHEN g % 3 = 0 THEN 'alice' ELSE 'bob' END
  FROM generate_series(1, 300) g;
ALTER TABLE public.shared_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON public.shared_events USING (tenant = current_user);
GRANT SELECT ON public.shared_events TO alice, bob;
SQL
want=$(as alice -c "SELECT count(DISTINCT (user_id, item_id)) || ' of ' || (SELECT count(DISTINCT (user_id, item_id)) FROM public.shared_events WHERE true) FROM public.shared_events")
check "security: RLS: alice's model holds alice's rows only" "$(q "$DIR" "$PORT" -c "SELECT count(DISTINCT (user_id, item_id)) FILTER (WHERE tenant = 'alice') || ' of ' || count(DISTINCT (user_id, item_id)) FILTER (WHERE tenant = 'alice') FROM public.shared_events")" \
  "$(as alice -c "SELECT (recsys_train('rls_a', 'public.shared_events', 'popularity')->>'interactions') || ' of ' || count(DISTINCT (user_id, item_id)) FROM public.shared_events")"

# A dropped owner: the fresh read says so instead of running as anyone else.
q "$DIR" "$PORT" >/dev/null <<'SQL'
CREATE ROLE dave LOGIN;
GRANT EXECUTE ON FUNCTION recsys_train(text, text, text, jsonb) TO dave;
GRANT SELECT ON b.ev2 TO dave;
GRANT USAGE ON SCHEMA b TO dave;
SQL
as dave -c "SELECT recsys_train('dave_m', 'b.ev2', 'als', '{\"factors\": 4, \"iterations\": 2}')" >/dev/null
q "$DIR" "$PORT" -c "REVOKE ALL ON b.ev2 FROM dave; REVOKE ALL ON SCHEMA b FROM dave; REVOKE ALL ON FUNCTION recsys_train(text, text, text, jsonb) FROM dave; DROP ROLE dave" >/dev/null
check "security: a model whose owner was dropped reads no source" \
  'ERROR:  the owner of model "dave_m" no longer exists' \
  "$(q "$DIR" "$PORT" -c "SELECT * FROM recommend('new', 3, 'dave_m')" 2>&1 | grep -m1 '^ERROR:')"

exit $E2E_FAILED
