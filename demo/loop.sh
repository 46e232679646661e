#!/usr/bin/env bash
# recsys feedback-loop demo (make demo-loop): a simulated week of traffic on
# the generated shop (demo/gen_shop.c) through a policy of two models, in a
# throw-away PostgreSQL cluster. Prints each arm's CTR day by day, the
# experiment's winner, and what replaying the log says each model alone
# would have earned. Needs pg_recsys installed for $PGBIN's server.
#
# The click rule (the ground truth the policy must discover): a shown
# product is clicked with probability 0.30 when its category is one the
# customer likes (customers.likes), else 0.03. The ALS model learned those
# tastes; the popularity model shows everyone the same bestsellers, so ALS
# is the better arm.
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN=${PGBIN:-$( (pg_config --bindir) 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
. test/e2e/lib.sh
DAYS=${DAYS:-7}
PER_DAY=${PER_DAY:-500}
DIR=$(mktemp -d /tmp/recsys-demo-loop.XXXXXX)
PORT=${PORT:-55499}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" >/dev/null && e2e_start "$DIR" || { echo "demo-loop: cannot start a cluster with $PGBIN" >&2; exit 1; }
mkdir -p build
cc -std=c11 -O2 -Wall -Wextra -Werror -o build/gen_shop demo/gen_shop.c
psql_q() { psql -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres "$@"; }

start=$(date +%s)
{
  echo "CREATE EXTENSION pg_recsys;"
  # gen_shop writes SQLite's datetime(n, 'unixepoch'): the same text here
  echo "CREATE FUNCTION datetime(bigint, text) RETURNS text LANGUAGE sql AS
        \$\$ SELECT to_char(to_timestamp(\$1) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') \$\$;"
  build/gen_shop
} | psql_q >/dev/null

echo "== The shop: $(psql_q -At -c "SELECT count(*) || ' customers, ' || (SELECT count(*) FROM products) || ' products, ' || (SELECT count(*) FROM events) || ' events' FROM customers")"
echo
echo "== Two models and a policy over them (epsilon-greedy, the default epsilon 0.1):"
setup=$(cat <<'SQL'
SELECT recsys_train('shop_als', 'SELECT user_id, item_id, event FROM events', 'als',
  '{"event_weights": {"purchase": 1.0, "cart": 0.5, "view": 0.1}, "seed": 42}');
SELECT recsys_train('shop_pop', 'SELECT user_id, item_id FROM events', 'popularity');
SELECT recsys_create_policy('homepage',
  '{"als": {"model": "shop_als"}, "popular": {"model": "shop_pop"}}',
  'epsilon_greedy', '{"seed": 42}');
SQL
)
echo "$setup"
echo "$setup" | psql_q >/dev/null

# One day of traffic: PER_DAY requests of random customers, one product each
# (the home page's featured slot), served and logged through the policy;
# clicks recorded and attributed by the request id, which rewards the arm
# that served it: an arm's rate (rewards / impressions) is its CTR.
psql_q >/dev/null <<'SQL'
CREATE TABLE likes AS
  SELECT user_id, trim(l) AS category FROM customers, unnest(string_to_array(likes, ',')) l;
CREATE FUNCTION simulate_day(day int, requests int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  u text;
  r record;
BEGIN
  FOR i IN 1..requests LOOP
    SELECT user_id INTO u FROM customers OFFSET floor(random() * 500) LIMIT 1;
    FOR r IN SELECT l.item_id, l.request_id, p.category FROM
        recommend_logged(u, 1, 'homepage', '{}', format('d%s-%s', day, i)) l
        JOIN products p USING (item_id) LOOP
      IF (random() < CASE WHEN EXISTS (SELECT 1 FROM likes WHERE user_id = u AND category = r.category)
                          THEN 0.30 ELSE 0.03 END) THEN
        PERFORM recsys_record_outcome(u, r.item_id, 'click', NULL, r.request_id);
      END IF;
    END LOOP;
  END LOOP;
END $$;
SELECT setseed(0.42);
SQL

echo
echo "== A simulated week, $PER_DAY requests a day (each arm's impressions and CTR so far)"
printf '%-5s %10s %10s %10s %10s %12s\n' day als_shown als_ctr pop_shown pop_ctr als_share
for d in $(seq 1 "$DAYS"); do
  psql_q -c "SELECT simulate_day($d, $PER_DAY)" >/dev/null
  psql_q -At -F ' ' -c "
    SELECT $d, sum(impressions) FILTER (WHERE arm = 'als'), round(sum(rate) FILTER (WHERE arm = 'als')::numeric, 4),
           sum(impressions) FILTER (WHERE arm = 'popular'), round(sum(rate) FILTER (WHERE arm = 'popular')::numeric, 4),
           round((sum(impressions) FILTER (WHERE arm = 'als') / sum(impressions))::numeric, 3)
    FROM recsys_policy_report('homepage')" |
    while read -r day al ac pl pc share; do
      printf '%-5s %10s %10s %10s %10s %12s\n' "$day" "$al" "$ac" "$pl" "$pc" "$share"
    done
done

echo
echo "== SELECT * FROM recsys_policy_report('homepage')  (rate = clicks / impressions: the CTR)"
psql_q -c "SELECT arm, model, impressions, rewards AS clicks,
  round(rate::numeric, 4) AS ctr, round(lower::numeric, 4) AS lower, round(upper::numeric, 4) AS upper,
  p_value, round(probability::numeric, 3) AS probability, winner
  FROM recsys_policy_report('homepage')"
winner=$(psql_q -At -c "SELECT coalesce((SELECT arm || ' (model ' || model || ')' FROM recsys_policy_report('homepage') WHERE winner), 'none yet')")
echo "Winner at 95% confidence: $winner"

echo
echo "== Offline replay of the week's log: the CTR each model would have had serving every request"
psql_q -c "SELECT m AS model, r.estimator, round(r.estimate::numeric, 4) AS estimate,
  round(r.lower::numeric, 4) AS lower, round(r.upper::numeric, 4) AS upper, r.lists, r.matched
  FROM unnest(ARRAY['shop_als', 'shop_pop']) m, LATERAL recsys_replay(m) r ORDER BY 1, 2"
echo "demo-loop: $(( $(date +%s) - start )) s"
