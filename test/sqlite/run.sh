#!/usr/bin/env bash
# SQLite tests: every test/sqlite/NAME.sql runs in the real sqlite3 CLI on a
# fresh temporary database with the extension loaded; every NAME.sh runs with
# the extension path as $1. Output (stdout + stderr) must equal
# test/sqlite/expected/NAME.out. Errors do not stop a script (no -bail), so
# each error message is frozen in the expected output.
# The whole set runs twice: with sqlite_recsys/recsys.so ("sqlite NAME") and
# with build/sqlite-asan/recsys.so under AddressSanitizer with leak checks
# and UBSan ("sqlite-asan NAME"). Builds nothing: `make sqlite sqlite-asan` (or make check) does.
# Usage: test/sqlite/run.sh [--update]   (--update rewrites expected files)
set -u
cd "$(dirname "$0")/../.."
here=test/sqlite
update=0
[ "${1:-}" = "--update" ] && update=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
stdbuf_lib=
for f in /usr/libexec/coreutils/libstdbuf.so /usr/lib/coreutils/libstdbuf.so; do
	[ -f "$f" ] && stdbuf_lib=$f && break
done
if [ -z "$stdbuf_lib" ]; then
	echo "FAIL: sqlite (coreutils libstdbuf.so not found)"
	exit 1
fi

# Run one test file with extension $2 (path without .so); output to $3.
run_one() {
	local t=$1 ext=$2 out=$3 db="$work/test.db"
	rm -f "$db" "$db-journal" "$db-wal" "$db-shm"
	# unbuffered stdout keeps echoed statements, rows and errors in order
	local run="env _STDBUF_O=0 LD_PRELOAD=${preload:+$preload:}$stdbuf_lib sqlite3"
	case "$t" in
	*.sql) $run -echo -cmd ".load $ext" "$db" < "$t" > "$out" 2>&1 ;;
	*.sh) SQLITE3="$run" bash "$t" "$ext" "$work" > "$out" 2>&1 ;;
	esac
}

# Run every test with one build of the extension; label = sqlite | sqlite-asan.
run_suite() {
	local label=$1 ext=$2
	if [ ! -f "$ext.so" ]; then
		echo "FAIL: $label ($ext.so is missing: run make sqlite first)"
		failed=1
		return
	fi
	for t in "$here"/*.sql "$here"/*.sh; do
		local name
		name=$(basename "$t"); name=${name%.*}
		[ "$name" = run ] && continue
		local expected="$here/expected/$name.out" out="$work/$name.$label.out"
		run_one "$t" "$ext" "$out"
		if [ $update = 1 ] && [ "$label" = sqlite ]; then
			cp "$out" "$expected"
		fi
		if [ -f "$expected" ] && diff -u "$expected" "$out" > "$work/diff"; then
			echo "PASS: $label $name"
		else
			echo "FAIL: $label $name"
			[ -f "$expected" ] || echo "  (missing $expected)"
			cat "$work/diff" 2>/dev/null | head -80
			failed=1
		fi
	done
}

preload=
run_suite sqlite "$PWD/sqlite_recsys/recsys"
# only sqlite3 itself runs with the sanitizers preloaded (not diff, cat, ...);
# the build has UBSan too, fatal on the first finding
preload=$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)
export ASAN_OPTIONS=detect_leaks=1:exitcode=86
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite sqlite-asan "$PWD/build/sqlite-asan/recsys"
exit $failed
