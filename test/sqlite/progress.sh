#!/usr/bin/env bash
# progress.sh - builds test/sqlite/progress_log.c (an application with its
# own SQLITE_CONFIG_LOG callback, which must be set before
# sqlite3_initialize) and runs it against the extension: it sees the
# progress lines the option "progress" asks for, and none otherwise.
# Usage: progress.sh EXTENSION_PATH_WITHOUT_SO WORKDIR  ($SQLITE3: the sqlite3
# command, whose environment (the sanitizers' LD_PRELOAD) the program gets too)
set -u
ext=$1
work=$2
here=$(dirname "$0")
sqlite=${SQLITE3:-sqlite3}
mkdir -p "$work" || exit 1
if ! gcc -std=c11 -O1 -g -Wall -Wextra -Werror -o "$work/progress_log" "$here/progress_log.c" \
     -lsqlite3 -lpthread 2> "$work/progress_log.build"; then
	cat "$work/progress_log.build"
	echo "FAIL: sqlite progress build"
	exit 1
fi
prefix=${sqlite%sqlite3}
$prefix "$work/progress_log" "$ext"
