#!/bin/sh
# Crash consistency: an ingest killed with SIGKILL part-way, then re-run, stores exactly the
# events of the file: none lost, none doubled, rollups equal to a clean run's.
. "${TT_SRCDIR:-.}/tests/lib.sh"
set -e
tt="$BUILD/tokentop"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
N=300000
"$tt" gen --events $N --seed 3 --days 3 --start 2026-11-01 > "$dir/ev.jsonl"
# the same events again at the end: duplicates inside one file
head -n 1000 "$dir/ev.jsonl" >> "$dir/ev.jsonl"

"$tt" ingest --quiet --db "$dir/ref.db" "$dir/ev.jsonl"
"$tt" report --db "$dir/ref.db" --since 2026-11-01 --until 2026-11-05 --format json > "$dir/ref.json"

count() { sqlite3 "$1" "SELECT count(*) FROM events" 2>/dev/null || echo 0; }
partial=0
for attempt in 1 2 3 4 5; do
  rm -f "$dir/k.db" "$dir/k.db-wal" "$dir/k.db-shm"
  "$tt" ingest --quiet --batch 2000 --db "$dir/k.db" "$dir/ev.jsonl" &
  pid=$!
  i=0
  while [ "$(count "$dir/k.db")" -eq 0 ] && [ $i -lt 400 ]; do sleep 0.02; i=$((i + 1)); done
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  n=$(count "$dir/k.db")
  echo "attempt $attempt: $n of $N events committed when killed"
  if [ "$n" -gt 0 ] && [ "$n" -lt $N ]; then partial=1; break; fi
done
[ $partial -eq 1 ] || { echo "FAIL: could not kill the ingest part-way"; exit 1; }

"$tt" ingest --quiet --db "$dir/k.db" "$dir/ev.jsonl"
n=$(count "$dir/k.db")
[ "$n" -eq $N ] || { echo "FAIL: $n events after re-run, expected $N"; exit 1; }
for r in hour day; do
  s=$(sqlite3 "$dir/k.db" "SELECT sum(requests) FROM rollup_$r")
  [ "$s" -eq $N ] || { echo "FAIL: rollup_$r counts $s requests, expected $N"; exit 1; }
done
"$tt" report --db "$dir/k.db" --since 2026-11-01 --until 2026-11-05 --format json > "$dir/k.json"
if ! cmp -s "$dir/ref.json" "$dir/k.json"; then
  echo "FAIL: report after kill and re-run differs from a clean ingest:"
  diff "$dir/ref.json" "$dir/k.json" | head -20
  exit 1
fi
echo "ok: killed part-way, re-run: $N events, rollups and report identical to a clean run"
