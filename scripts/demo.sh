#!/bin/sh
# The demo behind `make run`: a week of generated traffic up to now, then the console on it
# (or, without a terminal, the reports).
set -eu
BUILD=${BUILD:-build}
tt="$BUILD/tokentop"
db="$BUILD/demo/demo.db"
mkdir -p "$BUILD/demo"
rm -f "$db" "$db-wal" "$db-shm"
start=$(date -u -d '-7 days' +%Y-%m-%dT%H:%M:%SZ)
echo "generating 200000 events over the last 7 days (seed 1)..." >&2
"$tt" gen --events 200000 --seed 1 --days 7 --start "$start" > "$BUILD/demo/events.jsonl"
"$tt" ingest --db "$db" "$BUILD/demo/events.jsonl"
if [ -t 0 ] && [ -t 1 ]; then
  exec "$tt" console --db "$db" --config fixtures/tokentop.ini
fi
echo
"$tt" report --db "$db" --since all
echo
"$tt" report --db "$db" --since all --view prompts --top 10
echo
"$tt" report --db "$db" --since all --view routing
echo
"$tt" report --db "$db" --since all --view providers
