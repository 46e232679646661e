#!/usr/bin/env bash
# Core unit tests, compiled with the core sources under AddressSanitizer and
# UBSan into their own object directory (no PostgreSQL flags involved).
set -u
cd "$(dirname "$0")/../.."
out=build/core-asan
mkdir -p "$out"
CFLAGS="-std=c11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer $(pkg-config --cflags openblas)"
if ! gcc $CFLAGS -Icore -o "$out/core_tests" core/*.c test/core/*.c \
     $(pkg-config --libs openblas) -llapacke -lpthread -lm 2> "$out/build.log"; then
  cat "$out/build.log"
  echo "FAIL: core build with sanitizers"
  exit 1
fi
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 "$out/core_tests"
rc=$?
# Again with every fixture-trained model served from a read-only mapped
# serving image (core/model_image.c): a write into a model would crash here.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 RS_TEST_MAPPED=1 \
  "$out/core_tests" | sed 's/^\(PASS\|FAIL\): core /\1: core mapped /'
[ "$rc" = 0 ] && [ "${PIPESTATUS[0]}" = 0 ]
