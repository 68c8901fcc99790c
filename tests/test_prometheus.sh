#!/bin/sh
# A real Prometheus (Debian's package) scrapes tokentop-sim; tokentop reads the spend rate back
# through its prometheus source.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$BUILD/tokentop"
sim="$BUILD/tokentop-sim"
dir=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$dir/prom.log" ] && tail -5 "$dir/prom.log"; exit 1; }
[ -x /usr/bin/prometheus ] || fail "/usr/bin/prometheus missing: scripts/deps.sh installs it"

"$sim" --listen 127.0.0.1:0 --rate 20 > "$dir/sim.out" 2> "$dir/sim.err" &
pids="$pids $!"
i=0
while ! grep -q '^listening on' "$dir/sim.out" 2>/dev/null; do
  sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "sim did not start"
done
SIM=$(head -n 1 "$dir/sim.out" | sed 's/.*://')

# a free port for Prometheus: ask the simulator's trick, port 0, then reuse its number
"$sim" --listen 127.0.0.1:0 --rate 0 > "$dir/probe.out" 2>/dev/null &
probe=$!
i=0
while ! grep -q '^listening on' "$dir/probe.out" 2>/dev/null; do sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "probe"; done
PROM=$(head -n 1 "$dir/probe.out" | sed 's/.*://')
kill $probe; wait $probe 2>/dev/null

cat > "$dir/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tokentop-sim
    static_configs:
      - targets: ['127.0.0.1:$SIM']
YML
/usr/bin/prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
  --web.listen-address=127.0.0.1:$PROM > "$dir/prom.log" 2>&1 &
pids="$pids $!"

Q='spend_usd_per_s=sum(irate(gateway_cost_usd_total[10s]))'
got=""
for attempt in $(seq 1 40); do
  sleep 0.5
  "$tt" sync --db "$dir/p.db" --prometheus prom=http://127.0.0.1:$PROM --query "$Q" --once \
    > "$dir/sync.out" 2>&1 || continue
  got=$(sqlite3 "$dir/p.db" "SELECT value FROM metric_samples WHERE series = 'spend_usd_per_s'
                              AND value > 0 ORDER BY ts_ms DESC LIMIT 1")
  [ -n "$got" ] && break
done
[ -n "$got" ] || fail "no spend rate read back: $(cat "$dir/sync.out")"
echo "ok: Prometheus scraped tokentop-sim; spend rate read back through the prometheus source: $got USD/s"

"$tt" report --db "$dir/p.db" --view metrics --format json > "$dir/metrics.json" 2>&1 \
  || fail "report --view metrics failed: $(cat "$dir/metrics.json")"
grep -q '"series": "spend_usd_per_s"' "$dir/metrics.json" || fail "no series in the metrics view: $(cat "$dir/metrics.json")"
grep -q '"age_s": ' "$dir/metrics.json" || fail "no age in the metrics view"
"$tt" report --db "$dir/p.db" --view metrics | grep -q "prom  *spend_usd_per_s" \
  || fail "the metrics text report lacks the series"
echo "ok: report --view metrics shows the series read back"

"$tt" sync --db "$dir/p.db" --prometheus prom=http://127.0.0.1:$PROM --query 'bad=rate(' --once \
  > "$dir/bad.out" 2>&1 && fail "a bad query did not fail"
grep -q "bad_data" "$dir/bad.out" || fail "no clear error for a bad query: $(cat "$dir/bad.out")"
echo "ok: a bad PromQL query is reported with Prometheus' own error"

# a string result (PromQL "text") holds no number: skipped, the source stays ok and the number
# query beside it is stored
"$tt" sync --db "$dir/s.db" --prometheus prom=http://127.0.0.1:$PROM --query 'note="hello"' \
  --query "$Q" --once > "$dir/str.out" 2>&1 || fail "a string result failed the source: $(cat "$dir/str.out")"
grep -q "prom: ok" "$dir/str.out" || fail "the source is not ok after a string result: $(cat "$dir/str.out")"
n=$(sqlite3 "$dir/s.db" "SELECT count(*) FROM metric_samples WHERE series = 'spend_usd_per_s'")
[ "$n" -ge 1 ] || fail "the number query beside a string result was not stored"
echo "ok: a string result of the query API is skipped, never fatal"
