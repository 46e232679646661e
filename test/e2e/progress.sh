#!/usr/bin/env bash
# progress.sh - progress of long work in PostgreSQL: the option "progress"
# and the GUC recsys.progress give messages at the chosen level with the
# expected phases in order (names only: ticks and times depend on the
# machine), "off" gives none, bad values are clear errors; another session
# sees a running training's phase in pg_stat_activity, the statement's text
# comes back when the training ends or is cancelled, and a cancel still stops
# it.
set -u
. "$(dirname "$0")/lib.sh"
DIR=$(mktemp -d /tmp/recsys-e2e-progress.XXXXXX)
PORT=${PORT:-55447}
trap e2e_cleanup EXIT
e2e_init "$DIR" "$PORT" && e2e_start "$DIR" || { fail "progress: cluster start"; exit 1; }

q "$DIR" "$PORT" <<'SQL' >/dev/null || { fail "progress: setup"; exit 1; }
CREATE EXTENSION pg_recsys;
CREATE TABLE small AS SELECT (g % 50) AS user_id, ((g * 7 + g / 50) % 40) AS item_id
  FROM generate_series(1, 1500) g;
-- slow: quick to read, seconds to train at 256 factors and 200 iterations
CREATE TABLE slow AS SELECT (g % 5000) AS user_id, ((g::bigint * 7919) % 2000)::int AS item_id
  FROM generate_series(1, 300000) g;
SQL

# phases SQL [SET...]: the phases of the progress messages a statement gives,
# in order, repeats (ticks) folded: "reading building als done".
phases() {
  q "$DIR" "$PORT" "$@" 2>&1 >/dev/null |
    sed -n 's/^[A-Z]*:  recsys: [a-z]* "[^"]*": //p' |
    sed -E 's/^auto (candidate [0-9]+|winner) \([^)]*\): /auto \1: /; s/, [0-9.]+ s$//;
            s/, [0-9]+ rows read$//; s/ (iteration|step|user|epoch|power iteration) [0-9]+\/[0-9]+$//;
            s/^(auto candidate [0-9]+): (ndcg|skipped).*/\1 finished/' | uniq | tr '\n' ' ' | sed 's/ $//'
}
train() { echo "SELECT recsys_train('m', 'small', '$1', '$2') IS NOT NULL"; }

check "progress: als with \"progress\": \"notice\" reports its phases in order" \
  "reading building als done" "$(phases -c "$(train als '{"progress": "notice"}')")"
check "progress: ease phases" "reading building ease ease inverse ease weights done" \
  "$(phases -c "$(train ease '{"progress": "notice"}')")"
check "progress: evaluate phases" \
  "reading building splitting building als evaluating done" \
  "$(phases -c "SELECT precision FROM recsys_evaluate('small', 'als', '{\"progress\": \"notice\"}', 10)")"
check "progress: \"off\" gives no message" "" "$(phases -c "$(train als '{"progress": "off"}')")"
check "progress: no option and the default GUC give no message" "" "$(phases -c "$(train als '{}')")"
check "progress: GUC recsys.progress = info gives INFO lines" "1" \
  "$(q "$DIR" "$PORT" -c "SET recsys.progress = info" -c "$(train als '{}')" 2>&1 |
     grep -c '^INFO:  recsys: train "m": done, 1500 rows read')"
check "progress: option \"off\" wins over the GUC" "" \
  "$(phases -c "SET recsys.progress = notice" -c "$(train als '{"progress": "off"}')")"
q "$DIR" "$PORT" -c "$(train popularity '{"progress": "log"}')" >/dev/null 2>&1
sleep 0.5
check "progress: level log goes to the server log" "1" \
  "$(grep -c 'LOG:  recsys: train "m": done, 1500 rows read' "$DIR/server.log")"

# auto: its phases, then each candidate as it finishes, then the winner.
auto=$(phases -c "$(train auto '{"progress": "notice", "algorithms": ["popularity", "als", "itemknn"]}')")
case "$auto" in
  "reading building auto auto split auto candidate 1 finished auto candidate 2 finished"*"auto winner: "*" done")
    pass "progress: auto reports its split, each candidate as it finishes, the winner and the end" ;;
  *) fail "progress: auto phases (got '$auto')" ;;
esac
q "$DIR" "$PORT" -c "SELECT jsonb_array_length(recsys_train('m', 'small', 'auto',
  '{\"progress\": \"notice\", \"algorithms\": [\"popularity\", \"als\", \"itemknn\"]}')->'params'->'search')" \
  >"$DIR/auto.out" 2>"$DIR/auto.err"
nsearch=$(cat "$DIR/auto.out")
ncand=$(grep -cE '^NOTICE:  recsys: train "m": auto candidate [0-9]+ \([a-z0-9_ =.*()]+\): (ndcg@10 0\.[0-9]{4}|skipped) in [0-9.]+ s' \
  "$DIR/auto.err")
if [ -n "$nsearch" ] && [ "$ncand" -ge 2 ] && [ "$ncand" -eq "$nsearch" ]; then
  pass "progress: auto: one line per candidate with its options, ndcg@10 (or why skipped) and seconds ($ncand of $nsearch in the search)"
else
  fail "progress: auto candidate lines ($ncand lines, search of '$nsearch')"
fi

# Bad values: clear errors naming the option / parameter and the choices.
err=$(q "$DIR" "$PORT" -c "$(train als '{"progress": "loud"}')" 2>&1)
check "progress: a bad option value is an error naming it and the choices" \
  'ERROR:  option "progress" must be one of off|notice|info|log (got "loud")' "$(echo "$err" | head -1)"
err=$(q "$DIR" "$PORT" -c "$(train als '{"progress": true}')" 2>&1)
check "progress: a non-string option value is an error" \
  'ERROR:  option "progress" must be one of off|notice|info|log' "$(echo "$err" | head -1)"
err=$(q "$DIR" "$PORT" -c "LOAD 'pg_recsys'" -c "SET recsys.progress = loud" 2>&1)
case "$err" in
  *'invalid value for parameter "recsys.progress": "loud"'*'Available values: off, notice, info, log'*)
    pass "progress: a bad GUC value is an error listing the values" ;;
  *) fail "progress: bad GUC value (got '$err')" ;;
esac

check "progress: with track_activities off the messages still come (the activity is left alone)" "1" \
  "$(q "$DIR" "$PORT" -c "SET track_activities = off" -c "$(train als '{"progress": "notice"}')" 2>&1 |
     grep -c '^NOTICE:  recsys: train "m": done, 1500 rows read')"

# Another session sees the running training's phase; cancel still stops it
# and the statement's own text comes back (the trainer's session stays open
# and idle, so its last statement is what pg_stat_activity shows).
SLOW="SELECT recsys_train('big', 'slow', 'als', '{\"factors\": 256, \"iterations\": 200, \"threads\": 1}')"
sess_open T "$DIR" "$PORT"
pid=$(sess_query T "SELECT pg_backend_pid();")
eval "tfd=\$SESS_FD_T"
printf '%s;\n\\echo __SLOW_DONE__\n' "$SLOW" >&"$tfd"
seen=""
for i in $(seq 1 600); do
  seen=$(q "$DIR" "$PORT" -c "SELECT split_part(query, E'\n', 1) FROM pg_stat_activity
        WHERE pid = $pid AND query LIKE '-- recsys: train \"big\": als iteration %'")
  [ -n "$seen" ] && break
  sleep 0.1
done
case "$seen" in
  '-- recsys: train "big": als iteration '[0-9]*/200,\ [0-9]*.[0-9]\ s)
    pass "progress: another session sees the training's phase in pg_stat_activity ($seen)" ;;
  *) fail "progress: pg_stat_activity line (got '$seen')" ;;
esac
text=$(q "$DIR" "$PORT" -c "SELECT query FROM pg_stat_activity WHERE pid = $pid" | sed 1d)
check "progress: the statement's text follows the line" "$SLOW;" "$text"
q "$DIR" "$PORT" -c "SELECT pg_cancel_backend($pid)" >/dev/null
for i in $(seq 1 600); do
  grep -q '^__SLOW_DONE__$' "$DIR/sess_T.out" && break
  sleep 0.1
done
check "progress: cancel still stops the training" "1" \
  "$(grep -c 'canceling statement due to user request' "$DIR/sess_T.out")"
check "progress: after the cancel the idle session shows the statement again" "idle|$SLOW;" \
  "$(q "$DIR" "$PORT" -F '|' -c "SELECT state, query FROM pg_stat_activity WHERE pid = $pid")"
sess_close T

# The text comes back after a training that succeeds or fails, in the
# same statement (the activity is read after each).
own="SELECT split_part(query, E'\\n', 1) FROM pg_stat_activity WHERE pid = pg_backend_pid()"
q "$DIR" "$PORT" -c "CREATE TABLE empty_src (user_id int, item_id int)" >/dev/null
out=$(q "$DIR" "$PORT" <<SQL 2>&1
DO \$\$
DECLARE a text; b text;
BEGIN
  PERFORM recsys_train('m', 'small', 'als', '{}');
  PERFORM pg_stat_clear_snapshot();
  a := ($own);
  BEGIN
    PERFORM recsys_train('m', 'empty_src', 'als', '{}');
  EXCEPTION WHEN OTHERS THEN
    PERFORM pg_stat_clear_snapshot();
    b := ($own);
  END;
  RAISE NOTICE 'after success: %; after error: %', a, b;
END \$\$;
SQL
)
check "progress: the activity shows the statement again after a training and after a failed one" \
  'NOTICE:  after success: DO $$; after error: DO $$' "$out"

exit $E2E_FAILED
