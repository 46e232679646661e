# lib.sh - helpers shared by the end-to-end scenarios (sourced, not run).
# Each scenario starts its own throw-away cluster under /tmp on its own port,
# removes it on exit (trap), and prints PASS:/FAIL: lines.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
E2E_CLUSTERS=()
E2E_FAILED=0

# Run a command as the postgres OS user (initdb and postgres refuse root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# e2e_init DIR PORT [conf lines...]: initdb a cluster in DIR, configure it.
e2e_init() {
  local dir=$1 port=$2; shift 2
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log"; return 1; }
  {
    echo "port = $port"
    echo "unix_socket_directories = '$dir'"
    echo "listen_addresses = ''"
    echo "fsync = off"
    for line in "$@"; do echo "$line"; done
  } >>"$dir/data/postgresql.conf"
}

# e2e_start DIR: start the cluster of DIR and remember it for cleanup.
e2e_start() {
  local dir=$1
  E2E_CLUSTERS+=("$dir")
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
    cat "$dir/server.log"; return 1; }
}

# e2e_cleanup: stop every started cluster and remove its directory.
e2e_cleanup() {
  local dir
  for dir in "${E2E_CLUSTERS[@]}"; do
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$dir"
  done
  E2E_CLUSTERS=()
}

# q DIR PORT SQL...: run SQL, print unaligned tuples only, stop on error.
q() {
  local dir=$1 port=$2; shift 2
  psql -X -q -At -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres "$@"
}

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; E2E_FAILED=1; }

# check NAME EXPECTED ACTUAL: PASS when equal, else FAIL with both values.
check() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}

# A long-lived psql session fed through a FIFO, so a test can interleave
# statements of several sessions. sess_open NAME DIR PORT; sess_query NAME SQL.
sess_open() {
  local name=$1 dir=$2 port=$3 fd
  mkfifo "$dir/sess_$name.in"
  psql -X -q -At -h "$dir" -p "$port" -U postgres -d postgres \
    <"$dir/sess_$name.in" >"$dir/sess_$name.out" 2>&1 &
  exec {fd}>"$dir/sess_$name.in"
  echo 0 >"$dir/sess_$name.n"
  eval "SESS_FD_$name=$fd SESS_DIR_$name=$dir"
}

# sess_query NAME SQL: send SQL, wait (up to 60 s) and print its output.
# The statement counter lives in a file: callers use $(sess_query ...).
sess_query() {
  local name=$1 sql=$2 fd n dir i
  eval "fd=\$SESS_FD_$name dir=\$SESS_DIR_$name"
  n=$(($(cat "$dir/sess_$name.n") + 1))
  echo $n >"$dir/sess_$name.n"
  printf '%s\n\\echo __END_%d__\n' "$sql" "$n" >&"$fd"
  for i in $(seq 1 600); do
    grep -q "^__END_${n}__\$" "$dir/sess_$name.out" && break
    sleep 0.1
  done
  awk -v a="__END_$((n - 1))__" -v b="__END_${n}__" \
    'BEGIN { on = (a == "__END_0__") } $0 == b { exit } on { print } $0 == a { on = 1 }' \
    "$dir/sess_$name.out"
}

# sess_close NAME: end the session.
sess_close() {
  local fd
  eval "fd=\$SESS_FD_$1"
  exec {fd}>&-
}
