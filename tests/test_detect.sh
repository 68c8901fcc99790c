#!/bin/sh
# Detection, the short form of make bench BENCH_ONLY=detect: each gen scenario at one seed and
# the demo's rate is alerted on its scope within its target, and three steady days raise nothing.
. "${TT_SRCDIR:-.}/tests/lib.sh"
out=$(BUILD="$BUILD" TT_SRCDIR="$TT_SRCDIR" sh "$TT_SRCDIR/scripts/bench-detect.sh" --short 2>&1)
rc=$?
echo "$out"
if [ $rc -eq 0 ]; then echo "ok   every detection target met"; else echo "FAIL detection targets missed"; fi
exit $rc
