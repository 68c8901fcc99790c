#!/bin/sh
# The demo behind `make run`: a week of generated traffic, ingested and reported.
set -eu
BUILD=${BUILD:-build}
tt="$BUILD/tokentop"
db="$BUILD/demo/demo.db"
mkdir -p "$BUILD/demo"
rm -f "$db" "$db-wal" "$db-shm"
echo "generating 200000 events over 7 days (seed 1)..." >&2
"$tt" gen --events 200000 --seed 1 --days 7 > "$BUILD/demo/events.jsonl"
"$tt" ingest --db "$db" "$BUILD/demo/events.jsonl"
echo
"$tt" report --db "$db" --since all
echo
"$tt" report --db "$db" --since all --view prompts --top 10
echo
"$tt" report --db "$db" --since all --view routing
