#!/bin/sh
# make bench: ingest vs sqlite3's CSV import, the prompts view vs a raw GROUP BY, the console's
# views, the console against htop, fan-out, and detection. BENCH_ONLY=ingest|prompts|views|
# console|fanout|detect runs one part.
set -eu
BUILD=${BUILD:-build}
tt="$BUILD/tokentop"
dir="$BUILD/bench"
N=${BENCH_EVENTS:-1000000}
BIG=${BENCH_BIG_EVENTS:-10000000}
mkdir -p "$dir"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
command -v sqlite3 >/dev/null || { echo "bench: needs the sqlite3 command" >&2; exit 1; }
ONLY=${BENCH_ONLY:-}
case "$ONLY" in ""|ingest|prompts|views|console|fanout|detect) ;; *) echo "bench: BENCH_ONLY: ingest, prompts, views, console, fanout or detect" >&2; exit 2 ;; esac
part() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

if part ingest; then

echo "== ingest: $N events (tokentop gen --seed 42 --days 7), baseline: sqlite3 .import of the same rows as CSV"
"$tt" gen --events "$N" --seed 42 --days 7 --start 2026-11-01 > "$dir/events.jsonl"
"$tt" gen --events "$N" --seed 42 --days 7 --start 2026-11-01 --output csv > "$dir/events.csv"
ls -l "$dir/events.jsonl" "$dir/events.csv" | awk '{print "   " $5 " bytes  " $9}'

rm -f "$dir/import.db"*
t0=$(now)
sqlite3 "$dir/import.db" -cmd "PRAGMA journal_mode=WAL" -cmd ".mode csv" ".import $dir/events.csv raw_events" >/dev/null
t1=$(now)
base=$(secs "$t0" "$t1")

rm -f "$dir/ingest.db"*
t0=$(now)
"$tt" ingest --quiet --db "$dir/ingest.db" "$dir/events.jsonl"
t1=$(now)
ours=$(secs "$t0" "$t1")
stored=$(sqlite3 "$dir/ingest.db" "SELECT count(*) FROM events")
[ "$stored" -eq "$N" ] || { echo "bench: stored $stored events, expected $N" >&2; exit 1; }
printf '   sqlite3 .import   %8.2f s\n   tokentop ingest   %8.2f s  (parse JSON, price, dedupe, rollups)\n' "$base" "$ours"
printf '   ingest ratio      %8.2f  (target <= 1.00)\n' "$(awk -v a="$ours" -v b="$base" 'BEGIN { printf "%.3f", a / b }')"
fi

if part prompts; then
if [ -z "$ONLY" ]; then echo; fi
echo "== prompts view: $BIG events over 30 days, baseline: GROUP BY over a raw events table"
rm -f "$dir/big.db"* "$dir/big_raw.db"*
t0=$(now)
"$tt" gen --events "$BIG" --seed 7 --days 30 --start 2026-10-01 | "$tt" ingest --quiet --db "$dir/big.db" -
t1=$(now)
printf '   generated and ingested in %.1f s\n' "$(secs "$t0" "$t1")"
sqlite3 "$dir/big_raw.db" <<SQL
ATTACH '$dir/big.db' AS t;
CREATE TABLE raw_events AS
  SELECT e.request_id, e.ts_ms, d.use_case, d.team, d.tenant, d.prompt_id, d.prompt_version,
         d.provider, d.model, d.tier, d.status, d.cache, e.input_tokens, e.output_tokens,
         e.cached_tokens, e.latency_ms, e.cost_nanos
  FROM t.events e JOIN t.dims d ON d.id = e.dims_id;
SQL
"$BUILD/bench_prompts" "$dir/big.db" "$dir/big_raw.db" 2026-10-01T00:00:00Z 2026-10-31T00:00:00Z
fi

if part views; then
if [ -z "$ONLY" ]; then echo; fi
[ -s "$dir/big.db" ] || { echo "bench: views needs the prompts part's database first" >&2; exit 1; }
echo "== views: what the console reads for a frame, on the same events (fixtures/tokentop.ini); target: frame < 100 ms"
"$BUILD/bench_views" "$dir/big.db" fixtures/tokentop.ini 2026-10-30T23:41:17.250Z
fi

if part console; then
if [ -z "$ONLY" ]; then echo; fi
BUILD=$BUILD ./scripts/bench-console.sh
fi

if part fanout; then
if [ -z "$ONLY" ]; then echo; fi
FAN=${BENCH_FANOUT:-100}
SECS=${BENCH_FANOUT_SECONDS:-60}
RATE=${BENCH_FANOUT_RATE:-1}
echo "== fan-out: $FAN tokentop-sim gateways ($RATE requests/s each) polled at 1 Hz for ${SECS}s; target < 5% of one core"
fdir="$dir/fanout"
rm -rf "$fdir"; mkdir -p "$fdir"
simpids=""
args=""
i=0
while [ $i -lt "$FAN" ]; do
  "$BUILD/tokentop-sim" --listen 127.0.0.1:0 --seed $((i + 1)) --rate "$RATE" \
    > "$fdir/sim$i.out" 2>/dev/null &
  simpids="$simpids $!"
  i=$((i + 1))
done
trap 'kill $simpids 2>/dev/null || true' EXIT
i=0
while [ $i -lt "$FAN" ]; do
  n=0
  while ! grep -q '^listening on' "$fdir/sim$i.out" 2>/dev/null; do
    sleep 0.05; n=$((n + 1)); [ $n -lt 400 ] || { echo "bench: sim $i did not start" >&2; exit 1; }
  done
  args="$args --gateway gw$i=http://127.0.0.1:$(head -n 1 "$fdir/sim$i.out" | sed 's/.*://')"
  i=$((i + 1))
done
# shellcheck disable=SC2086
/usr/bin/time -f "%U %S" -o "$fdir/time" "$tt" sync --db "$fdir/f.db" --poll 1s --for "${SECS}s" $args \
  > "$fdir/sync.out" 2>&1
kill $simpids 2>/dev/null || true
stored=$(sqlite3 "$fdir/f.db" "SELECT count(*) FROM events")
awk -v secs="$SECS" -v n="$stored" '{ cpu = $1 + $2; printf "   tokentop CPU %.2f s over %d s: %.2f%% of one core (%d events stored)\n", cpu, secs, 100 * cpu / secs, n }' "$fdir/time"
fi

if part detect; then
if [ -z "$ONLY" ]; then echo; fi
BUILD="$BUILD" ./scripts/bench-detect.sh
fi
