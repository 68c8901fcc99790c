#!/bin/sh
# SLOs, budgets, forecasts, alerts and the overview from the command line: each scenario fires
# its alert, steady traffic fires none, the JSON carries the documented keys, the overview agrees
# with the views it is built from, config errors name file:line.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$BUILD/tokentop"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export TOKENTOP_RATECARD="$TT_SRCDIR/fixtures/ratecard.json"
export XDG_CONFIG_HOME="$dir/noconfig" # no user config file is read
fails=0
check() { # check DESCRIPTION COMMAND... ; the command's status must be 0
  d=$1; shift
  if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fails=$((fails + 1)); fi
}
status_is() { want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }
has() { grep -q -- "$2" "$1"; }
lacks() { ! grep -q -- "$2" "$1"; }

# Two days of traffic up to a Tuesday afternoon; each scenario starts four hours before the end.
start=2026-01-04T14:00:00Z
now=2026-01-06T14:00:00Z
gen() { # gen SCENARIO DB
  "$tt" gen --events 100000 --seed 3 --start $start --days 2 --scenario "$1@+44h" >"$dir/ev.jsonl" &&
    "$tt" ingest --db "$2" "$dir/ev.jsonl" >/dev/null
}
alerts() { db=$1; shift; TOKENTOP_NOW=$now "$tt" report --db "$db" --view alerts --format json "$@"; }
firing() { # firing FILE KIND: KIND is in the "alerts" array (not only among the resolved)
  sed -n '/"alerts": \[/,/"resolved": \[/p' "$1" | grep -q "\"kind\": \"$2\""
}

for sc in steady token-spike cache-miss-surge refusal-rise 429-storm provider-outage cost-runaway; do
  gen $sc "$dir/$sc.db" || { echo "FAIL generating $sc"; fails=$((fails + 1)); }
  alerts "$dir/$sc.db" >"$dir/$sc.json"
done
check "steady traffic: no alerts" has "$dir/steady.json" '"alerts": \[\]'
check "steady traffic: nothing resolved either" has "$dir/steady.json" '"resolved": \[\]'
check "token-spike fires token_spike" firing "$dir/token-spike.json" token_spike
check "token_spike scope is the prompt version" \
  has "$dir/token-spike.json" '"scope": "prompt=answer-with-citations@v7"'
check "cache-miss-surge fires cache_miss_surge" firing "$dir/cache-miss-surge.json" cache_miss_surge
check "refusal-rise fires refusal_rise" firing "$dir/refusal-rise.json" refusal_rise
check "429-storm fires 429_storm" firing "$dir/429-storm.json" 429_storm
check "429_storm scope is the provider" has "$dir/429-storm.json" '"scope": "provider=anthropic"'
check "provider-outage fires error_spike" firing "$dir/provider-outage.json" error_spike
check "provider-outage fires latency_regression" firing "$dir/provider-outage.json" latency_regression
check "cost-runaway fires cost_runaway" firing "$dir/cost-runaway.json" cost_runaway
check "cost_runaway on code-review" has "$dir/cost-runaway.json" '"scope": "use_case=code-review"'
for sc in token-spike cache-miss-surge refusal-rise 429-storm provider-outage cost-runaway; do
  check "$sc: no other kind of its own starts before the scenario" \
    sh -c "! grep '\"since\"' '$dir/$sc.json' | grep -q '2026-01-06T0'"
done
for k in kind severity scope value baseline since; do
  check "alert has $k" has "$dir/token-spike.json" "\"$k\": "
done
check "the spike is dated after the scenario began" \
  has "$dir/token-spike.json" '"since": "2026-01-06T1[0-3]:'
for f in text md csv; do
  check "alerts as $f" sh -c "TOKENTOP_NOW=$now '$tt' report --db '$dir/429-storm.db' --view alerts --format $f | grep -q 429_storm"
done

# SLOs: the outage burns support-bot's budget fast enough to page; steady traffic does not.
cat >"$dir/slo.ini" <<'EOF'
[slo support-availability]
use_case = support-bot
sli = availability
objective = 99
[slo support-latency]
use_case = support-bot
sli = latency
threshold_ms = 5000
objective = 98
[budget support]
scope = team=support
amount_usd = 20
period = week
[budget all]
scope = *
amount_usd = 100000
EOF
slo() { TOKENTOP_NOW=$now "$tt" report --db "$1" --view slo --config "$dir/slo.ini" --format json; }
slo "$dir/provider-outage.db" >"$dir/slo-out.json"
slo "$dir/steady.db" >"$dir/slo-steady.json"
for k in name use_case sli objective burn_rates budget_remaining alert exhausted_in_s; do
  check "slo has $k" has "$dir/slo-out.json" "\"$k\": "
done
for w in 5m 30m 1h 2h 6h 1d 3d; do
  check "burn rate over $w" has "$dir/slo-out.json" "\"$w\": [0-9]"
done
check "the outage pages" has "$dir/slo-out.json" '"alert": "page"'
check "the outage exhausts the budget" has "$dir/slo-out.json" '"exhausted_in_s": 0'
check "steady traffic does not page" lacks "$dir/slo-steady.json" '"alert": "page"'
check "steady traffic is not exhausting the budget" has "$dir/slo-steady.json" '"exhausted_in_s": null'
check "objective as configured" has "$dir/slo-out.json" '"objective": 99.0'
for f in text md csv; do
  check "slo as $f" sh -c "TOKENTOP_NOW=$now '$tt' report --db '$dir/steady.db' --view slo --config '$dir/slo.ini' --format $f | grep -q support-latency"
done

# A latency SLI counts from the sketches: exact below threshold/1.0202 and from the threshold
# up; within the 2% under it, a request may count as bad (docs/alerts.md).
: >"$dir/lat.jsonl"
i=0
for spec in 100:1000 25:1950 50:1999 50:3000; do
  n=${spec%%:*}; ms=${spec##*:}; k=0
  while [ $k -lt "$n" ]; do
    i=$((i + 1)); k=$((k + 1))
    printf '{"request_id":"lat-%d","ts":"2026-03-02T09:58:%02dZ","use_case":"api","provider":"p","model":"m","input_tokens":1,"output_tokens":1,"latency_ms":%d,"status":"ok"}\n' \
      $i $((i % 60)) "$ms" >>"$dir/lat.jsonl"
  done
done
"$tt" ingest --db "$dir/lat.db" "$dir/lat.jsonl" >/dev/null
printf '[slo api-latency]\nuse_case = api\nsli = latency\nthreshold_ms = 2000\nobjective = 90\n' >"$dir/lat.ini"
TOKENTOP_NOW=2026-03-02T10:00:00Z "$tt" report --db "$dir/lat.db" --view slo --config "$dir/lat.ini" \
  --format json >"$dir/lat.json"
check "latency SLI: 1999 ms shares the threshold's bucket, 1950 ms does not" \
  sh -c "tr -d ' \n' <'$dir/lat.json' | grep -q '\"5m\":{\"bad\":100,\"total\":225}'"
check "latency SLI burn: (100 / 225) / 10%" has "$dir/lat.json" '"5m": 4.4444'

# Budgets and forecasts.
budgets() { TOKENTOP_NOW=$now "$tt" report --db "$1" --view budgets --config "$dir/slo.ini" --format json; }
budgets "$dir/steady.db" >"$dir/budgets.json"
for k in name scope period amount_micros spent_micros used_pct state forecast_micros \
  forecast_low_micros forecast_high_micros forecast_mape; do
  check "budget has $k" has "$dir/budgets.json" "\"$k\": "
done
check "a \$20 weekly support budget is spent" has "$dir/budgets.json" '"state": "hard"'
check "the org budget is fine" has "$dir/budgets.json" '"state": "ok"'
check "scope written back" has "$dir/budgets.json" '"scope": "team=support"'
# The state follows the forecast too: the forecast's state, computed here from its figures;
# and a budget a little under the forecast, while little of it is spent, is heading hard.
check "forecast_state is the forecast's against the amount" python3 - "$dir/budgets.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["budgets"]
for b in rows:
    a, f = b["amount_micros"], b["forecast_micros"]
    want = None if not a else "hard" if f * 100 >= a * b["hard_pct"] else \
        "soft" if f * 100 >= a * b["soft_pct"] else "ok"
    assert b["forecast_state"] == want, (b["name"], b["forecast_state"], want)
PY
org=$(python3 -c 'import json,sys; b=[b for b in json.load(open(sys.argv[1]))["budgets"] if b["scope"]=="*"][0]; print(b["forecast_micros"], b["spent_micros"], b["period"])' "$dir/budgets.json")
set -- $org
printf '[budget heading]\nscope = *\nperiod = %s\namount_usd = %s\n' "$3" \
  "$(python3 -c "print('%.6f' % ($1 * 0.95 / 1e6))")" >"$dir/heading.ini"
if [ "$2" -lt $(($1 * 95 / 100 * 80 / 100)) ]; then
  TOKENTOP_NOW=$now "$tt" report --db "$dir/steady.db" --view budgets --config "$dir/heading.ini" >"$dir/heading.txt"
  check "a budget spent little but forecast over reads 'ok, forecast hard'" has "$dir/heading.txt" 'ok, forecast hard'
else
  check "the org budget's forecast is well above its spend (test premise)" false
fi
check "no full past period: no backtest error" has "$dir/budgets.json" '"forecast_mape": null'
for f in text md csv; do
  check "budgets as $f" sh -c "TOKENTOP_NOW=$now '$tt' report --db '$dir/steady.db' --view budgets --config '$dir/slo.ini' --format $f | grep -q team=support"
done
fc() { TOKENTOP_NOW=$now "$tt" forecast --db "$dir/steady.db" "$@"; }
check "forecast without budgets: the organisation's month" sh -c "TOKENTOP_NOW=$now '$tt' forecast --db '$dir/steady.db' --format json | grep -q '\"scope\": \"\\*\"'"
fc --config "$dir/slo.ini" --what-if traffic=support-bot:x2 --format json >"$dir/wi.json"
check "what-if: the changed forecast" has "$dir/wi.json" '"whatif": {'
check "what-if: echoed" has "$dir/wi.json" '"traffic=support-bot:x2"'
check "the support team is support-bot: doubling it doubles the rest" \
  has "$dir/wi.json" '"factor": 2.0'
check "support-bot is part of all spend: less than double" has "$dir/wi.json" '"factor": 1.0[0-9]'
fc --config "$dir/slo.ini" --what-if context=+20% --what-if price=claude-opus-4-1:+15% >"$dir/wi.txt"
check "what-ifs combine in text" has "$dir/wi.txt" 'what if: context=+20% price=claude-opus-4-1:+15%'
check "forecast --help exits 0" sh -c "'$tt' forecast --help | grep -q 'usage: tokentop forecast'"
check "forecast --bogus exits 2" status_is 2 "$tt" forecast --bogus
check "a bad what-if exits 2" status_is 2 "$tt" forecast --what-if price=+5%
"$tt" forecast --what-if traffic=x:y2 2>"$dir/err" >/dev/null
check "a bad what-if says why" has "$dir/err" "is not a change"

# The overview: the console's first screen from the same views; its figures agree with them.
ov() { TOKENTOP_NOW=$now "$tt" report --db "$dir/provider-outage.db" --view overview --config "$dir/slo.ini" "$@"; }
ov --format json >"$dir/ov.json"
check "overview json parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["view"] == "overview" and d["schema"] == 1' "$dir/ov.json"
TOKENTOP_NOW=$now "$tt" report --db "$dir/provider-outage.db" --since 2026-01-06 --format json >"$dir/ov-day.json"
TOKENTOP_NOW=$now "$tt" report --db "$dir/provider-outage.db" --since 2026-01-01 --format json >"$dir/ov-month.json"
slo "$dir/provider-outage.db" >"$dir/ov-slo.json"
alerts "$dir/provider-outage.db" --config "$dir/slo.ini" >"$dir/ov-alerts.json"
budgets "$dir/provider-outage.db" >"$dir/ov-budgets.json"
cat >"$dir/ov.py" <<'EOF'
import json, sys
ov, day, month, slo, al, bud = (json.load(open(f)) for f in sys.argv[2:8])
what = sys.argv[1]
if what == "today":
    assert ov["today_micros"] == day["total_cost_micros"] > 0, (ov["today_micros"], day["total_cost_micros"])
elif what == "month":
    assert ov["month_micros"] == month["total_cost_micros"] > ov["today_micros"]
    assert ov["month_usd"] == month["total_cost_usd"]
elif what == "alerts":
    levels = [s["alert"] for s in slo["slos"] if s["alert"]]
    # most urgent first: SLO pages, critical detectors, SLO tickets, warnings
    crit = [a for a in al["alerts"] if a["severity"] == "critical"]
    warn = [a for a in al["alerts"] if a["severity"] != "critical"]
    want = (["page"] * levels.count("page") + ["anomaly"] * len(crit) +
            ["ticket"] * levels.count("ticket") + ["anomaly"] * len(warn))
    assert [a["level"] for a in ov["alerts"]] == want, ([a["level"] for a in ov["alerts"]], want)
    assert ov["alert_counts"] == {"page": levels.count("page"), "ticket": levels.count("ticket"),
                                  "anomaly": len(al["alerts"])}
    assert [a["kind"] for a in ov["alerts"] if a["level"] == "anomaly"] == [a["kind"] for a in crit + warn]
    assert levels.count("page") > 0 and al["alerts"]
elif what == "budget":
    b = [b for b in bud["budgets"] if b["scope"] == "*"][0]
    o = ov["budget"]
    for k in ("name", "amount_micros", "spent_micros", "forecast_micros", "state"):
        assert o[k] == b[k], (k, o[k], b[k])
    assert o["spent_micros"] == ov["month_micros"]
elif what == "spark":
    sp = ov["spark_micros"]
    assert len(sp) == 60 and all(isinstance(x, int) and x >= 0 for x in sp)
    assert ov["spend_per_min_micros"] == (sum(sp[-5:]) * 2 + 5) // 10
    assert ov["sources"] == [] and ov["newest_minute"] and ov["data_age_s"] == 0
EOF
for w in today month alerts budget spark; do
  check "overview $w agrees with the other views" python3 "$dir/ov.py" $w "$dir/ov.json" \
    "$dir/ov-day.json" "$dir/ov-month.json" "$dir/ov-slo.json" "$dir/ov-alerts.json" "$dir/ov-budgets.json"
done
ov --format text >"$dir/ov.txt"
check "overview as text" has "$dir/ov.txt" '^tokentop overview  2026-01-06T14:00:00.000Z'
check "overview text shows dollars" has "$dir/ov.txt" '^  today  *\$[0-9]'
check "overview text lists the pages" has "$dir/ov.txt" '^  page  *support-availability'
ov --format md >"$dir/ov.md"
check "overview as md" has "$dir/ov.md" '^## Overview at '
check "overview md alerts table" has "$dir/ov.md" '^| anomaly | error_spike | provider=openai |'
ov --format csv >"$dir/ov.csv"
check "overview as csv" has "$dir/ov.csv" '^section,name,value,detail'
n_json=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["alerts"]))' "$dir/ov.json")
check "overview csv has every alert" sh -c "[ \$(grep -c '^alert,' '$dir/ov.csv') -eq $n_json ]"
check "overview csv today as in json" has "$dir/ov.csv" \
  "^figure,today_micros,$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["today_micros"])' "$dir/ov.json"),"
TOKENTOP_NOW=$now "$tt" report --db "$dir/steady.db" --view overview --config "$dir/lat.ini" --format json >"$dir/ov-none.json"
check "overview without a \"*\" budget: null" has "$dir/ov-none.json" '"budget": null'
check "report --help lists the overview" sh -c "'$tt' report --help | grep -q 'alerts|overview|'"

# Config errors name the file, the line and the key; a bad --config fails the command.
printf '[slo a]\nuse_case = x\nsli = availability\nobjective = 100.5\n' >"$dir/bad.ini"
"$tt" report --db "$dir/steady.db" --view slo --config "$dir/bad.ini" 2>"$dir/err" >/dev/null
check "bad config exits 1" status_is 1 "$tt" report --db "$dir/steady.db" --view slo --config "$dir/bad.ini"
check "bad value named by file:line and key" has "$dir/err" "bad.ini:4: \[slo a\] key 'objective'"
printf '[slo a]\nuse_case = x\nsli = availability\nobjective = 99\nwindow = 1h\n' >"$dir/bad.ini"
"$tt" forecast --db "$dir/steady.db" --config "$dir/bad.ini" 2>"$dir/err" >/dev/null
check "unknown key named by file:line" has "$dir/err" "bad.ini:5: \[slo a\]: unknown key 'window'"
check "missing --config file exits 1" status_is 1 "$tt" report --db "$dir/steady.db" --view slo --config "$dir/none.ini"
mkdir -p "$dir/xdg/tokentop"
printf '[budget mine]\nscope = *\namount_usd = 1\n' >"$dir/xdg/tokentop/tokentop.ini"
check "the default config file is read" sh -c "XDG_CONFIG_HOME='$dir/xdg' TOKENTOP_NOW=$now '$tt' report --db '$dir/steady.db' --view budgets | grep -q mine"

# gen --scenario on the command line.
check "unknown scenario exits 2" status_is 2 "$tt" gen --events 10 --scenario storm
check "bad scenario time exits 2" status_is 2 "$tt" gen --events 10 --scenario 429-storm@soon
check "a scenario at a time" status_is 0 "$tt" gen --events 10 --scenario 429-storm@2026-01-01T10:00Z
check "steady is the plain stream" sh -c \
  "[ \"\$('$tt' gen --events 500 --seed 5 --start 2026-11-01 | sha256sum)\" = \"\$('$tt' gen --events 500 --seed 5 --start 2026-11-01 --scenario steady | sha256sum)\" ]"
check "a scenario changes the stream after its start only" sh -c \
  "'$tt' gen --events 2000 --seed 5 --start 2026-11-01 --days 2 | head -n 500 >'$dir/a' &&
   '$tt' gen --events 2000 --seed 5 --start 2026-11-01 --days 2 --scenario provider-outage | head -n 500 >'$dir/b' &&
   '$tt' gen --events 2000 --seed 5 --start 2026-11-01 --days 2 --scenario provider-outage@+1h | head -n 500 >'$dir/c' &&
   cmp -s '$dir/a' '$dir/b' && ! cmp -s '$dir/a' '$dir/c'"

echo
[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
