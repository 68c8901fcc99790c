#!/bin/sh
# make fuzz: builds the libFuzzer harnesses in tests/fuzz and runs each for a while.
# Crashes are written to tests/fuzz/regress/NAME/, which tests/test_fuzz_regress.c replays
# in every `make test`: commit them once fixed.
set -eu
BUILD=${BUILD:-build-fuzz}
SECS=${1:-${FUZZ_SECONDS:-60}}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
make --no-print-directory BUILD="$BUILD" CC=clang \
  OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $SAN" "$BUILD/libtokentop.a"
LIBS=$(pkg-config --libs jansson sqlite3 libcrypto)
status=0
for h in tests/fuzz/fuzz_*.c; do
  name=$(basename "$h" .c); name=${name#fuzz_}
  bin="$BUILD/fuzz_$name"
  echo "  FUZZ    $name (${SECS}s)"
  clang -std=c11 -D_GNU_SOURCE -Iinclude -O1 -g -fsanitize=fuzzer $SAN "$h" \
    "$BUILD/libtokentop.a" $LIBS -lm -o "$bin"
  mkdir -p "$BUILD/corpus/$name" "tests/fuzz/regress/$name"
  seeds="tests/fuzz/corpus/$name"
  [ -d "$seeds" ] || seeds=""
  if ! "$bin" -max_total_time="$SECS" -max_len=1048576 -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="tests/fuzz/regress/$name/" -print_final_stats=1 \
       "$BUILD/corpus/$name" $seeds > "$BUILD/fuzz_$name.log" 2>&1; then
    echo "  CRASH   $name: see $BUILD/fuzz_$name.log and tests/fuzz/regress/$name/"
    status=1
  fi
  grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$BUILD/fuzz_$name.log" | sed 's/^/          /' || true
done
exit $status
