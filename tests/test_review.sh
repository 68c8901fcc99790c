#!/bin/sh
# The weekly review, chargeback and FOCUS export against figures worked out by hand on a fixture
# week, the FOCUS file's columns and total on generated traffic, and the review's incidents and
# actions taken, recorded against tokentop-sim.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$BUILD/tokentop"
src=${TT_SRCDIR:-.}
dir=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fails=0
check() { # check DESCRIPTION COMMAND... ; the command's status must be 0
  d=$1; shift
  if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fails=$((fails + 1)); fi
}
status_is() { want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }
# json FILE EXPR: prints the Python expression EXPR over the document d
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(($2))" "$1"; }
is() { [ "$1" = "$2" ] || { echo "     got '$1', want '$2'"; return 1; }; }

card="$src/fixtures/ratecard.json"
db="$dir/week.db"
"$tt" ingest --quiet --db "$db" --ratecard "$card" "$src/tests/data/weekly/events.jsonl"
export TOKENTOP_NOW=2026-12-02T08:00:00Z
W="--db $db --view weekly --week 2026-W48 --config $src/tests/data/weekly/budgets.ini"
"$tt" report $W --format json >"$dir/w.json"
check "weekly json" [ -s "$dir/w.json" ]

# 2026-W48 (Mon 23 .. Sun 29 Nov): w48-1 0.01 + w48-2 0.05 + w48-3 0 (a cache hit) + w48-4 0.3
# + w48-5 0.02 + w48-6 0.004 = 0.384; 2026-W47: 0.008 + 0.1 + 0.003 = 0.111.
check "week name" is "$(json "$dir/w.json" "d['week'], d['previous']['week'], d['complete']")" "('2026-W48', '2026-W47', True)"
check "spend this week and last" is "$(json "$dir/w.json" "d['totals']['cost_micros'], d['totals']['prev_cost_micros'], d['totals']['delta_micros']")" "(384000, 111000, 273000)"
check "change in percent" is "$(json "$dir/w.json" "d['totals']['change_pct']")" "245.9"
# 5 successes this week (w48-4 failed), 3 last: 384000 / 5, 111000 / 3
check "cost per success" is "$(json "$dir/w.json" "d['totals']['cost_per_success_micros'], d['totals']['prev_cost_per_success_micros']")" "(76800, 37000)"
check "by use case" is "$(json "$dir/w.json" "[(r['use_case'], r['cost_micros'], r['prev_cost_micros'], r['change_pct']) for r in d['by_use_case']]")" \
  "[('code-assist', 304000, 100000, 204.0), ('support-bot', 80000, 8000, 900.0), ('product-search', 0, 3000, -100.0)]"
check "by team" is "$(json "$dir/w.json" "[(r['team'], r['cost_micros'], r['prev_cost_micros']) for r in d['by_team']]")" \
  "[('devex', 304000, 100000), ('support', 80000, 8000), ('search', 0, 3000)]"
check "by tenant" is "$(json "$dir/w.json" "[(r['tenant'], r['delta_micros']) for r in d['by_tenant']]")" \
  "[('initech', 204000), ('acme', 72000), ('globex', -3000)]"
# Mon: 0.06 over 2 successes; Tue: the hit, $0 over 1; Wed: 0.3 and no success; Thu 0.02 / 1;
# Fri 0.004 / 1; last week Mon 0.008 / 1, Wed 0.1 / 1, Fri 0.003 / 1.
check "cost per success per day" is "$(json "$dir/w.json" "[(x['date'], x['cost_micros'], x['cost_per_success_micros'], x['prev_cost_per_success_micros']) for x in d['days']]")" \
  "[('2026-11-23', 60000, 30000, 8000), ('2026-11-24', 0, 0, None), ('2026-11-25', 300000, None, 100000), ('2026-11-26', 20000, 20000, None), ('2026-11-27', 4000, 4000, 3000), ('2026-11-28', 0, None, None), ('2026-11-29', 0, None, None)]"
check "top prompts by spend" is "$(json "$dir/w.json" "[(r['prompt_id'], r['prompt_version'], r['cost_micros']) for r in d['top_prompts']]")" \
  "[('explain-diff', 'v4', 304000), ('answer', 'v7', 80000)]"
check "top prompts by growth" is "$(json "$dir/w.json" "[(r['prompt_id'], r['delta_micros']) for r in d['prompt_growth']]")" \
  "[('explain-diff', 204000), ('answer', 72000)]"
# misses: w48-1, -2, -5 (support-bot) = 0.08; last week w47-1 and w47-3 = 0.011. The hit
# w48-3 saved the card price of 1000 input + 100 output tokens of gemini-2.5-flash
# (0.30 / 2.50 per Mtok): 300,000,000 + 250,000,000 pico = 550 micro-USD.
check "cache misses and saving" is "$(json "$dir/w.json" "(lambda t: (t['hits'], t['misses'], t['miss_cost_micros'], t['prev_miss_cost_micros'], t['hit_saved_micros']))(d['cache']['total'])")" \
  "(1, 3, 80000, 11000, 550)"
check "cache by use case" is "$(json "$dir/w.json" "[(c['use_case'], c['misses'], c['miss_cost_micros'], c['prev_miss_cost_micros']) for c in d['cache']['by_use_case']]")" \
  "[('support-bot', 3, 80000, 8000), ('product-search', 0, 0, 3000)]"
# elevated: w48-2 (support-bot, 0.05) and w48-4 (code-assist, 0.3); last week w47-2 (0.1)
check "routing elevations" is "$(json "$dir/w.json" "[(r['use_case'], r['requests'], r['elevated'], r['elevated_cost_micros'], r['prev_elevated_cost_micros']) for r in d['routing']]")" \
  "[('code-assist', 2, 1, 300000, 100000), ('product-search', 1, 0, 0, 0), ('support-bot', 3, 1, 50000, 0)]"
check "routing shares" is "$(json "$dir/w.json" "[(t['model'], t['share']) for t in d['routing'][2]['targets']]")" \
  "[('gpt-4o-mini', 0.6667), ('claude-sonnet-4-5', 0.3333)]"
# November up to the end of the week: 0.111 + 0.384
check "budget at the end of the week" is "$(json "$dir/w.json" "[(b['name'], b['spent_micros'], b['state']) for b in d['budgets']]")" "[('org', 495000, 'ok')]"
# no detector can judge nine events, but w48-4's $0.30 at 15:00 is 3% of the $10 month in a
# minute: over 1h and 5m both past 14.4x the pace ($0.20 and $0.0167 of a 30-day month), a page
check "nine events: only the budget burn of w48-4" is "$(json "$dir/w.json" "[(a['kind'], a['scope'], a['severity'], a['since']) for a in d['anomalies']]")" \
  "[('budget_burn', 'budget=org', 'critical', '2026-11-25T15:01:00.000Z')]"
# with its evidence: $0.30 over the 5m window is $0.06/min against $10 / 43,200 min = 259.2x
check "the anomaly's unit, window and reason" is "$(json "$dir/w.json" "[(a['unit'], a['window_s'], a['reason']) for a in d['anomalies']]")" \
  "[('usd_per_minute', 300, \"org \$0.0600/min over 5m, 259.2x its budget's pace (\$0.00023/min), since 15:01 UTC\")]"
check "no incidents or actions in the fixture week" is "$(json "$dir/w.json" "d['incidents'], d['actions']")" \
  "({'opened': 0, 'closed': 0, 'items': []}, {'applied': 0, 'failed': 0, 'lifts': 0, 'items': []})"

"$tt" report $W >"$dir/w.txt"
check "text names the week" grep -q '^tokentop weekly review  2026-W48  (2026-11-23 .. 2026-11-29)  against 2026-W47' "$dir/w.txt"
check "text spend line" grep -Eq '^  spend +\$0\.3840 +\$0\.1110 +\+\$0\.2730 +\+245\.9%' "$dir/w.txt"
check "text anomalies in their unit, with the reason" grep -Eq 'budget_burn +budget=org +critical +\$0\.0600/min +\$0\.00023/min .*org \$0\.0600/min over 5m' "$dir/w.txt"
check "text has every section" sh -c "for s in 'Spend by use case' 'Spend by team' 'Cost per successful outcome, per day' 'Top prompts by spend' 'Top prompts by growth' 'Cache misses and what they cost' 'Routing elevations and their cost' 'Forecast against budget' 'Anomalies this week' 'Incidents this week' 'Actions taken'; do grep -q \"^\$s\" '$dir/w.txt' || exit 1; done"
"$tt" report $W --format md >"$dir/w.md"
check "markdown tables" grep -q '^| use case | this week | last week | change | % | share |' "$dir/w.md"

"$tt" report $W --format html >"$dir/w.html"
check "html parses as XML" python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$dir/w.html"
check "html has the three charts" python3 -c 'import xml.dom.minidom,sys; d=xml.dom.minidom.parse(sys.argv[1]); sys.exit(len(d.getElementsByTagName("svg")) < 3)' "$dir/w.html"
check "html has no script and fetches nothing" sh -c "! grep -Eiq '<script|<link|<img|src=|@import|url\\(' '$dir/w.html'"
check "html shows the spend" grep -q '\$0.3840' "$dir/w.html"

for f in text json html; do
  "$tt" report $W --present --format $f >"$dir/p.$f"
  check "--present hides tenant names ($f)" sh -c "! grep -Eq 'acme|globex|initech' '$dir/p.$f'"
  check "--present shows aliases ($f)" grep -q 'tenant-[0-9a-f]\{6\}' "$dir/p.$f"
done

# A week in progress is read up to now and compared with the same span a week earlier:
# on Wed 25 Nov 12:00, W48 holds w48-1..3 (0.06) against W47's 16 Nov 00:00 .. 18 Nov 12:00 (0.008).
TOKENTOP_NOW=2026-11-25T12:00:00Z "$tt" report --db "$db" --view weekly --week this --format json >"$dir/now.json"
# by default, the last complete week
TOKENTOP_NOW=2026-11-25T12:00:00Z "$tt" report --db "$db" --view weekly --format json >"$dir/default.json"
check "the default week is the last complete one" is "$(json "$dir/default.json" "d['week'], d['complete']")" "('2026-W47', True)"
# the fixture begins on Mon 16 Nov 09:00: W47 is covered from then (159 of 168 hours), W46 not at all
check "a week with partial data says so" is "$(json "$dir/default.json" "round(d['coverage']['week'], 4), d['coverage']['previous'], d['coverage']['partial'], d['coverage']['previous_partial']")" "($(python3 -c 'print(round(159/168, 4))'), 0.0, True, True)"
TOKENTOP_NOW=2026-11-25T12:00:00Z "$tt" report --db "$db" --view weekly >"$dir/default.txt"
check "and the text names it" grep -q "Partial data: events from 2026-11-16T09:00 .* cover 95% of this week and 0% of the week before; changes compare partial spans" "$dir/default.txt"
check "this week so far" is "$(json "$dir/now.json" "d['week'], d['complete'], d['totals']['cost_micros'], d['totals']['prev_cost_micros']")" "('2026-W48', False, 60000, 8000)"
TOKENTOP_NOW=2026-11-25T12:00:00Z "$tt" report --db "$db" --view weekly --week last --format json >"$dir/last.json"
check "--week last" is "$(json "$dir/last.json" "d['week'], d['totals']['cost_micros']")" "('2026-W47', 111000)"

check "bad --week exits 2" status_is 2 "$tt" report --db "$db" --view weekly --week 2026-48
check "a week 53 that does not exist exits 2" status_is 2 "$tt" report --db "$db" --view weekly --week 2025-W53
check "2020-W53 exists" status_is 0 "$tt" report --db "$db" --view weekly --week 2020-W53
check "weekly refuses --since" status_is 2 "$tt" report --db "$db" --view weekly --since 7d
check "weekly has no csv" status_is 2 "$tt" report --db "$db" --view weekly --format csv
check "a week to come exits 1" status_is 1 "$tt" report --db "$db" --view weekly --week 2027-W10
check "weekly --help" sh -c "'$tt' report --view weekly --help | grep -q 'usage: tokentop report --view weekly'"
check "report --help names the views" sh -c "'$tt' report --help | grep -q 'weekly, chargeback'"

# Chargeback over W48 with the fixture card (overhead 8%; good 0%, better 5%, best 10%):
#   good   0.01 + 0 + 0.02 = 30000   x 1.08 = 32400   (support 30000, search 0)
#   better 0.05 + 0.004   = 54000    x 1.13 = 61020   (support 50000: 56500; devex 4000: 4520)
#   best   0.3            = 300000   x 1.18 = 354000  (devex)
C="--db $db --view chargeback --since 2026-11-23 --until 2026-11-30 --ratecard $card"
"$tt" report $C --format json >"$dir/cb.json"
check "chargeback total" is "$(json "$dir/cb.json" "(lambda t: (t['cost_micros'], t['overhead_micros'], t['markup_micros'], t['chargeback_micros']))(d['total'])")" \
  "(384000, 30720, 32700, 447420)"
check "chargeback per team" is "$(json "$dir/cb.json" "[(t['team'], t['cost_micros'], t['chargeback_micros']) for t in d['teams']]")" \
  "[('devex', 304000, 358520), ('support', 80000, 88900), ('search', 0, 0)]"
check "chargeback per team and tier" is "$(json "$dir/cb.json" "[(t['tier'], t['markup_bp'], t['overhead_micros'], t['markup_micros'], t['chargeback_micros']) for t in d['teams'][1]['tiers']]")" \
  "[('better', 500, 4000, 2500, 56500), ('good', 0, 2400, 0, 32400)]"
check "the card beside it" is "$(json "$dir/cb.json" "d['rate_card']['overhead_bp'], [(t['tier'], t['markup_bp']) for t in d['rate_card']['tiers']], len(d['rate_card']['models'])")" \
  "(800, [('good', 0), ('better', 500), ('best', 1000)], 10)"
"$tt" report --db "$db" --since 2026-11-23 --until 2026-11-30 --ratecard "$card" --format json >"$dir/sum.json"
check "chargeback equals the summary's" is "$(json "$dir/sum.json" "d['chargeback_micros']")" "447420"
"$tt" report $C >"$dir/cb.txt"
check "chargeback text prints the card" sh -c "grep -q '^Rate card' '$dir/cb.txt' && grep -Eq 'openai +gpt-4o-mini +good +2026-01-01 +0.15 +0.6 +0.075' '$dir/cb.txt'"
check "chargeback csv adds up" sh -c "'$tt' report $C --format csv | awk -F, 'NR>1 {s+=\$8} END {exit s != 447420}'"
check "chargeback refuses --week" status_is 2 "$tt" report $C --week 2026-W48
check "chargeback has no html" status_is 2 "$tt" report $C --format html

# FOCUS: the mandatory columns, no empty mandatory cell, BilledCost adding up to the report.
cat >"$dir/focus_check.py" <<'EOF'
import csv, decimal, sys
path, want = sys.argv[1], int(sys.argv[2])
mandatory = ["BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
             "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
             "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
             "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit",
             "ProviderName", "PublisherName", "ServiceCategory", "ServiceName"]
nullable = {"BillingAccountName", "ChargeClass", "ChargeDescription", "PricingQuantity",
            "PricingUnit"}
rows = list(csv.DictReader(open(path, newline="")))
head = list(rows[0].keys()) if rows else []
missing = [c for c in mandatory if c not in head]
assert not missing, "missing columns %s" % missing
custom = [i for i, c in enumerate(head) if c.startswith("x_")]
assert custom and custom == list(range(custom[0], len(head))), "x_ columns must come last"
total = decimal.Decimal(0)
groups = {}
for n, r in enumerate(rows, 2):
    for c in mandatory:
        assert c in nullable or r[c] != "", "line %d: %s is empty" % (n, c)
    assert r["ChargeCategory"] == "Usage" and r["BillingCurrency"] == "USD"
    assert r["PricingUnit"] == "1000000 Tokens" and r["ConsumedUnit"] == "Tokens"
    assert r["ServiceCategory"] == "AI and Machine Learning"
    assert decimal.Decimal(r["PricingQuantity"]) * 1000000 == int(r["ConsumedQuantity"])
    assert r["BilledCost"] == r["ListCost"] == r["EffectiveCost"] == r["ContractedCost"]
    assert decimal.Decimal(r["BilledCost"]) * 1000000000 == int(r["x_CostNanos"])
    assert r["ChargePeriodStart"] < r["ChargePeriodEnd"]
    assert r["BillingPeriodStart"] <= r["ChargePeriodStart"] < r["BillingPeriodEnd"]
    total += decimal.Decimal(r["BilledCost"])
got = int(total * 1000000)
assert got == want, "BilledCost adds up to %d micro-USD, the report to %d" % (got, want)
print(len(rows))
EOF
"$tt" export focus --db "$db" --since 2026-11-16 --until 2026-11-30 --ratecard "$card" -o "$dir/f.csv" 2>"$dir/f.err"
check "export focus writes the file" [ -s "$dir/f.csv" ]
check "export focus says its total" grep -q 'BilledCost total 0.495 USD' "$dir/f.err"
check "fixture FOCUS file" sh -c "python3 '$dir/focus_check.py' '$dir/f.csv' 495000 >/dev/null"
# w48-2: sonnet-4-5 on 23 Nov (2.70 / 13.50 per Mtok from 20 Nov): 1500 in, 400 out ->
# weights 4,050,000,000 and 5,400,000,000 pico of 9,450,000,000; its 50,000,000 nano-USD split
# 21428571.43 / 28571428.57: floors 21428571 + 28571428 = 49999999, the larger remainder
# (output's) gets 1.
check "a cost split by the card" sh -c "python3 -c \"
import csv,sys
r=[x for x in csv.DictReader(open(sys.argv[1])) if x['ServiceName']=='claude-sonnet-4-5']
print(sorted((x['x_TokenType'], x['x_CostNanos'], x['ConsumedQuantity'], x['x_CostSplitBasis']) for x in r))
\" '$dir/f.csv' | grep -qF \"[('input', '21428571', '1500', 'card'), ('output', '28571429', '400', 'card')]\""
check "tags carry team, tenant, use case" grep -qF '"{""team"":""support"",""tenant"":""acme"",""use_case"":""support-bot""}"' "$dir/f.csv"

gen="$dir/gen.db"
"$tt" gen --events 20000 --seed 4 --days 5 --start 2026-11-02 >"$dir/gen.jsonl"
"$tt" ingest --quiet --db "$gen" --ratecard "$card" "$dir/gen.jsonl"
R="--db $gen --since 2026-11-02T07:13:00Z --until 2026-11-06T18:41:00Z"
want=$("$tt" report $R --ratecard "$card" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_cost_micros"])')
"$tt" export focus $R --ratecard "$card" >"$dir/g.csv" 2>/dev/null
check "generated FOCUS file adds up to the report" sh -c "python3 '$dir/focus_check.py' '$dir/g.csv' '$want' >/dev/null"
check "export focus --help" sh -c "'$tt' export focus --help | grep -q 'usage: tokentop export focus'"
check "export without a format exits 2" status_is 2 "$tt" export
check "export of an unknown format exits 2" status_is 2 "$tt" export xml
check "export --bogus exits 2" status_is 2 "$tt" export focus --bogus
check "export to a missing directory names it" sh -c "'$tt' export focus --db '$db' -o '$dir/no/such/f.csv' 2>&1 | grep -q 'no/such/f.csv: cannot write beside it; check the directory exists'"
# -o never replaces what is not a regular file, and follows a link to the file it names
if mknod "$dir/null" c 1 3 2>/dev/null; then
  "$tt" export focus --db "$db" --since 2026-11-16 --until 2026-11-30 -o "$dir/null" 2>/dev/null
  check "export -o to a device writes to it, leaves the device" test -c "$dir/null"
fi
mkfifo "$dir/fifo"
(timeout 30 cat "$dir/fifo" > "$dir/fifo.out") &
"$tt" export focus --db "$db" --since 2026-11-16 --until 2026-11-30 -o "$dir/fifo" 2>/dev/null
wait
check "export -o to a FIFO writes through it" sh -c "test -p '$dir/fifo' && cmp -s '$dir/fifo.out' '$dir/f.csv'"
chmod 0640 "$dir/f.csv" && ln -s "$dir/f.csv" "$dir/f.link"
"$tt" export focus --db "$db" --since 2026-11-16 --until 2026-11-30 -o "$dir/f.link" 2>/dev/null
check "export -o through a symlink replaces its target, keeps the link and the mode" \
  sh -c "test -L '$dir/f.link' && [ \"\$(stat -c %a '$dir/f.csv')\" = 640 ] && [ -s '$dir/f.csv' ]"

# The week's incidents and actions taken, from the audit log. Its records carry the wall
# clock's time, so this part reviews the week holding the real now.
unset TOKENTOP_NOW
export XDG_CONFIG_HOME="$dir/config" TOKENTOP_AUDIT_KEY="$dir/audit.key"
adb="$dir/audit.db"
"$tt" ingest --quiet --db "$adb" --ratecard "$card" "$src/tests/data/weekly/events.jsonl"
inc() { "$tt" incident "$@" --db "$adb"; }
i1=$(inc open --kind cost --title "Spend spike on code-assist")
inc note "$i1" "explain-diff v4 doubled its output" >/dev/null
inc note "$i1" "degraded code-assist to the good tier" >/dev/null
inc close "$i1" --reason mitigated >/dev/null
i2=$(inc open --kind latency --title "p95 over the SLO on support-bot" --as oncall-bob)
check "incidents recorded" [ -n "$i1" ] && [ -n "$i2" ]

# start NAME PROGRAM ARGS...: runs a server on a free port; sets url (empty on failure)
start() {
  name=$1; shift
  "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  pid=$!
  pids="$pids $pid"
  url=""
  i=0
  while [ $i -lt 100 ]; do
    line=$(head -n 1 "$dir/$name.out" 2>/dev/null)
    case "$line" in
      "listening on http://127.0.0.1:"[0-9]*) url=${line#listening on }; return 0 ;;
    esac
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
  done
  cat "$dir/$name.err"
  return 1
}
echo "review-sim-token" >"$dir/token" && chmod 600 "$dir/token"
if start sim "$BUILD/tokentop-sim" --rate 5 --history 2m --seed 3 --token-file "$dir/token"; then
  printf '[gateway sim]\nurl = %s\ntoken_file = %s\n' "$url" "$dir/token" >"$dir/gw.ini"
  act() { "$tt" action "$@" --gateway sim --config "$dir/gw.ini" --db "$adb" --yes; }
  act kill-switch --scope use_case=support-bot --reason "INC: refusal loop" >"$dir/a1" 2>&1
  check "kill switch applied" grep -q 'kill-switch ctl-1: HTTP 201, applied' "$dir/a1"
  act throttle --scope tenant=acme --rps 5 --reason "acme over its quota" >"$dir/a2" 2>&1
  check "throttle applied" grep -q 'applied' "$dir/a2"
  act lift --id ctl-1 --reason "INC resolved" >"$dir/a3" 2>&1
  check "kill switch lifted" grep -q 'lift ctl-1: HTTP 200, lifted' "$dir/a3"
  act lift --id ctl-1 --reason "again" >"$dir/a4" 2>&1
  check "lifting twice fails" [ $? -ne 0 ]
else
  check "tokentop-sim starts" false
fi

"$tt" report --db "$adb" --view weekly --week this --format json >"$dir/a.json"
check "incidents opened and closed this week" is "$(json "$dir/a.json" "d['incidents']['opened'], d['incidents']['closed']")" "(2, 1)"
check "incidents with titles, notes, state" is "$(json "$dir/a.json" "[(x['id'], x['kind'], x['title'], x['notes'], x['state'], x['close_reason'], x['opened_by'].endswith('(as oncall-bob)')) for x in d['incidents']['items']]")" \
  "[($i1, 'cost', 'Spend spike on code-assist', 2, 'closed', 'mitigated', False), ($i2, 'latency', 'p95 over the SLO on support-bot', 0, 'open', None, True)]"
check "actions applied, failed, lifts" is "$(json "$dir/a.json" "d['actions']['applied'], d['actions']['failed'], d['actions']['lifts']")" "(3, 1, 1)"
# a lift carries the scope of the control it lifted; the failed one (410: gone) has none
check "actions with scope, reason, status" is "$(json "$dir/a.json" "[(a['action'], a['scope'], a['control_id'], a['reason'], a['status'], a['lift']) for a in d['actions']['items']]")" \
  "[('kill-switch', 'use_case=support-bot', 'ctl-1', 'INC: refusal loop', 'applied', False), ('throttle', 'tenant=acme', 'ctl-2', 'acme over its quota', 'applied', False), ('lift', 'use_case=support-bot', 'ctl-1', 'INC resolved', 'applied', True), ('lift', '', 'ctl-1', 'again', 'failed', True)]"
check "actions carry the actor and the time" is "$(json "$dir/a.json" "all(a['actor'] and a['time'] >= d['range']['since'] and a['gateway'] == 'sim' for a in d['actions']['items'])")" "True"
"$tt" report --db "$adb" --view weekly --week this >"$dir/a.txt"
check "text lists the incidents" grep -Eq "^ +$i1 +cost +[0-9-]+ [0-9:]+ +[0-9-]+ [0-9:]+ +2  Spend spike on code-assist\$" "$dir/a.txt"
check "text counts the actions" grep -q '^  3 applied (1 of them lifts), 1 failed' "$dir/a.txt"
check "text names a lift's control without a scope" grep -Eq '^  [0-9-]+ [0-9:]+ +lift +ctl-1 +.* +failed +again$' "$dir/a.txt"
check "text lists the actions" grep -Eq '^  [0-9-]+ [0-9:]+ +throttle +tenant=acme +.* +applied +acme over its quota$' "$dir/a.txt"
"$tt" report --db "$adb" --view weekly --week this --format md >"$dir/a.md"
check "markdown actions table" grep -q '^| time | action | scope | actor | status | reason |' "$dir/a.md"
"$tt" report --db "$adb" --view weekly --week this --format html >"$dir/a.html"
check "html with incidents and actions parses" python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$dir/a.html"
check "html lists both" sh -c "grep -q '<h2>Actions taken</h2>' '$dir/a.html' && grep -q 'Spend spike on code-assist' '$dir/a.html' && grep -q 'INC resolved' '$dir/a.html'"
"$tt" report --db "$adb" --view weekly --week this --present --format json >"$dir/ap.json"
check "--present aliases the tenant in an action's scope" is "$(json "$dir/ap.json" "d['actions']['items'][1]['scope'].startswith('tenant=tenant-')")" "True"
"$tt" report --db "$adb" --view weekly --week last --format json >"$dir/al.json"
check "last week has none of them" is "$(json "$dir/al.json" "len(d['incidents']['items']), len(d['actions']['items'])")" "(0, 0)"

echo
[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
