#!/bin/sh
# Runs every test program and script given, then prints one "N passed, N failed" line.
set -u
BUILD=${BUILD:-build}
export BUILD
TT_SRCDIR=$(pwd)
export TT_SRCDIR
passed=0
failed=0
failures=""
logdir="$BUILD/test-logs"
mkdir -p "$logdir"
for t in "$@"; do
  name=$(basename "$t")
  log="$logdir/$name.log"
  case "$t" in
    *.sh) sh "$t" >"$log" 2>&1 ;;
    *) "$t" >"$log" 2>&1 ;;
  esac
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    printf 'ok    %s\n' "$name"
  else
    failed=$((failed + 1))
    failures="$failures $name"
    printf 'FAIL  %s (exit %d)\n' "$name" "$rc"
    # the failing checks first: a long log's tail may not reach them
    grep -E '^(FAIL|not ok)|\[  (FAILED|ERROR) |ERROR: (Address|Leak)Sanitizer|runtime error' "$log" |
      head -n 20 | sed 's/^/    > /'
    sed 's/^/      /' "$log" | tail -n 40
  fi
done
echo
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
