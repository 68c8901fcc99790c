#!/bin/sh
# tokentop checklist: each automatic check passes and fails on prepared data, sign-offs land in
# the audit log and survive audit verify, the exit status, the formats, the file's errors.
. "${TT_SRCDIR:-.}/tests/lib.sh"
sim="$BUILD/tokentop-sim"
tt="$BUILD/tokentop"
dir=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  if [ -n "${KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fails=0
check() { # check DESCRIPTION COMMAND... ; the command's status must be 0
  d=$1; shift
  if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fails=$((fails + 1)); fi
}
export XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data"
export TOKENTOP_AUDIT_KEY="$dir/audit.key"
unset TOKENTOP_NOW

# one CHECK [allow_models]: a checklist of that one automatic item
one() {
  f="$dir/$1.ini"
  { echo "[checklist]"; echo "title = one check"
    [ -n "${2:-}" ] && echo "allow_models = $2"
    printf '\n[item %s]\ntitle = the %s check\ncheck = %s\n' "$1" "$1" "$1"; } >"$f"
}
# run DB CONFIG CHECKLIST USE_CASE [more...]: the checklist's exit status, output in $dir/o
run() {
  db=$1 cfg=$2 cl=$3 uc=$4; shift 4
  "$tt" checklist "$cl" --use-case "$uc" --db "$db" --config "$cfg" \
    --ratecard fixtures/ratecard.json "$@" >"$dir/o" 2>&1
}
passes() { run "$@"; }
fails_() { run "$@"; [ $? -eq 1 ]; }

# --help names every check
"$tt" checklist --help >"$dir/help" 2>&1
check "--help exits 0" [ $? -eq 0 ]
for c in slo budget prompt_versions kill_switch_drill sources_healthy alerts models_allowed; do
  check "--help lists $c" grep -q "^  $c " "$dir/help"
done

# 1. generated events: support-bot (team support) and code-assist (team devex)
"$tt" gen --events 3000 --days 3 --seed 4 >"$dir/ev.jsonl"
"$tt" ingest --db "$dir/a.db" "$dir/ev.jsonl" >/dev/null 2>&1
# the same events with support-bot's prompt versions stripped
python3 - "$dir/ev.jsonl" >"$dir/bare.jsonl" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["use_case"] == "support-bot":
        e["prompt_version"] = ""
    print(json.dumps(e))
EOF
"$tt" ingest --db "$dir/bare.db" "$dir/bare.jsonl" >/dev/null 2>&1

cat >"$dir/full.ini" <<EOF
[slo support]
use_case = support-bot
sli = availability
objective = 99.5

[budget support-team]
scope = team=support
amount_usd = 5000
EOF
cat >"$dir/every.ini" <<EOF
[slo all]
use_case = *
sli = availability
objective = 99

[budget org]
scope = *
amount_usd = 9000
EOF
: >"$dir/empty.ini"

one slo
check "slo passes for the use case named" passes "$dir/a.db" "$dir/full.ini" "$dir/slo.ini" support-bot
check "... with the section as evidence" grep -q 'slo: \[slo support\] availability 99.5%' "$dir/o"
check "slo passes for use_case = *" passes "$dir/a.db" "$dir/every.ini" "$dir/slo.ini" code-assist
check "slo fails for another use case" fails_ "$dir/a.db" "$dir/full.ini" "$dir/slo.ini" code-assist
check "... saying why" grep -q 'no \[slo\] section in .*full.ini has use_case = code-assist or \*' "$dir/o"
check "slo fails without a config" fails_ "$dir/a.db" "$dir/empty.ini" "$dir/slo.ini" support-bot

one alerts
check "alerts pass when an SLO covers it" passes "$dir/a.db" "$dir/full.ini" "$dir/alerts.ini" support-bot
check "... with the burn-rate alerts as evidence" grep -q 'burn-rate alerts (page, ticket) from \[slo support\]' "$dir/o"
check "alerts fail without an SLO" fails_ "$dir/a.db" "$dir/full.ini" "$dir/alerts.ini" code-assist

one budget
check "budget passes by the use case's team" passes "$dir/a.db" "$dir/full.ini" "$dir/budget.ini" support-bot
check "... naming the team" grep -q '\[budget support-team\] team=support (its team), 5000.00 USD a month' "$dir/o"
check "budget passes by *" passes "$dir/a.db" "$dir/every.ini" "$dir/budget.ini" code-assist
check "budget fails for a use case of another team" fails_ "$dir/a.db" "$dir/full.ini" "$dir/budget.ini" code-assist
printf '[budget uc]\nscope = use_case=code-assist\namount_usd = 10\n' >"$dir/uc.ini"
check "budget passes by use_case=X" passes "$dir/a.db" "$dir/uc.ini" "$dir/budget.ini" code-assist

one prompt_versions
check "prompt_versions passes when every event has one" passes "$dir/a.db" "$dir/empty.ini" "$dir/prompt_versions.ini" support-bot
check "... counting them" grep -q 'prompt_versions: all [0-9]* events in 30 days carry a prompt version' "$dir/o"
check "prompt_versions fails when events lack one" fails_ "$dir/bare.db" "$dir/empty.ini" "$dir/prompt_versions.ini" support-bot
n=$(python3 -c "
import json,sys
print(sum(1 for l in open('$dir/ev.jsonl') if json.loads(l)['use_case']=='support-bot'))")
check "... counting the bare events ($n)" grep -q "prompt_versions: $n of $n events in 30 days carry no prompt version" "$dir/o"
check "prompt_versions fails for a use case with no events" fails_ "$dir/a.db" "$dir/empty.ini" "$dir/prompt_versions.ini" nothing-here

allowed="openai/gpt-4o-mini, anthropic/claude-sonnet-4-5, llama-3.1-8b-instruct"
one models_allowed "$allowed"
check "models_allowed passes: listed and priced" passes "$dir/a.db" "$dir/empty.ini" "$dir/models_allowed.ini" support-bot
check "... listing the models" grep -q 'openai/gpt-4o-mini' "$dir/o"
one models_allowed "openai/gpt-4o-mini, llama-3.1-8b-instruct"
check "models_allowed fails on a model not listed" fails_ "$dir/a.db" "$dir/empty.ini" "$dir/models_allowed.ini" support-bot
check "... naming it" grep -q 'anthropic/claude-sonnet-4-5 (not allowed)' "$dir/o"
sed 's/"claude-sonnet-4-5"/"claude-sonnet-4-5-x"/' fixtures/ratecard.json >"$dir/card.json"
one models_allowed "$allowed, anthropic/claude-sonnet-4-5-x"
"$tt" checklist "$dir/models_allowed.ini" --use-case support-bot --db "$dir/a.db" \
  --config "$dir/empty.ini" --ratecard "$dir/card.json" >"$dir/o" 2>&1
check "models_allowed fails on a model without a price" [ $? -eq 1 ]
check "... naming it" grep -q 'anthropic/claude-sonnet-4-5 (no price in the rate card)' "$dir/o"
one models_allowed
check "models_allowed fails without allow_models" fails_ "$dir/a.db" "$dir/empty.ini" "$dir/models_allowed.ini" support-bot
check "... saying where it goes" grep -q "has no allow_models: add 'allow_models = provider/model, ...' under \[checklist\]" "$dir/o"

# 2. a live gateway: health for sources_healthy, a kill-switch drill for kill_switch_drill
echo "s3cret-sim-token" >"$dir/token" && chmod 600 "$dir/token"
"$sim" --rate 5 --history 5m --seed 5 --token-file "$dir/token" >"$dir/sim.out" 2>"$dir/sim.err" &
pids="$pids $!"
url=""
i=0
while [ $i -lt 100 ] && [ -z "$url" ]; do
  line=$(head -n 1 "$dir/sim.out" 2>/dev/null)
  case "$line" in "listening on http://127.0.0.1:"[0-9]*) url=${line#listening on } ;; esac
  sleep 0.1
  i=$((i + 1))
done
[ -n "$url" ] || { cat "$dir/sim.err"; exit 1; }
cat >"$dir/gw.ini" <<EOF
[gateway sim]
url = $url
token_file = $dir/token
EOF
db="$dir/gw.db"
"$tt" ingest --db "$db" "$dir/ev.jsonl" >/dev/null 2>&1

one sources_healthy
check "sources_healthy fails before any health answer" fails_ "$db" "$dir/gw.ini" "$dir/sources_healthy.ini" support-bot
check "... saying so" grep -q 'sim: no /v1/health answer' "$dir/o"
"$tt" sync --db "$db" --config "$dir/gw.ini" --once >"$dir/sync" 2>&1
check "sync --once reads the gateway" [ $? -eq 0 ]
check "sources_healthy passes on a fresh answer" passes "$db" "$dir/gw.ini" "$dir/sources_healthy.ini" support-bot
check "... with its age" grep -q 'sim: health [0-9]*s old' "$dir/o"
later=$(python3 -c "import datetime as d; print((d.datetime.now(d.timezone.utc)+d.timedelta(minutes=6)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
TOKENTOP_NOW=$later run "$db" "$dir/gw.ini" "$dir/sources_healthy.ini" support-bot
check "sources_healthy fails on an answer over 5 minutes old" [ $? -eq 1 ]
check "... saying it is stale" grep -q 'stale: over 5 minutes' "$dir/o"
check "sources_healthy fails with no gateway configured" fails_ "$db" "$dir/empty.ini" "$dir/sources_healthy.ini" support-bot

one kill_switch_drill
check "kill_switch_drill fails with nothing in the audit log" fails_ "$db" "$dir/gw.ini" "$dir/kill_switch_drill.ini" support-bot
act() { "$tt" action "$@" --config "$dir/gw.ini" --db "$db" >"$dir/act" 2>&1; }
act kill-switch --gateway sim --scope use_case=support-bot --reason "launch drill" --yes
check "the drill's kill switch is applied" grep -q 'kill-switch ctl-1: HTTP 201, applied' "$dir/act"
check "kill_switch_drill fails while it is not lifted" fails_ "$db" "$dir/gw.ini" "$dir/kill_switch_drill.ini" support-bot
check "... naming the control to lift" grep -q 'kill-switch ctl-1 on use_case=support-bot was applied in the last 30 days but not lifted' "$dir/o"
act lift --gateway sim --id ctl-1 --reason "drill over" --yes
check "the drill's lift is applied" grep -q 'lift ctl-1: HTTP 200, lifted' "$dir/act"
check "kill_switch_drill passes once applied and lifted" passes "$db" "$dir/gw.ini" "$dir/kill_switch_drill.ini" support-bot
check "... with the times as evidence" grep -q 'kill-switch ctl-1 on use_case=support-bot applied 20.* and lifted 20.*' "$dir/o"
check "kill_switch_drill fails for another use case" fails_ "$db" "$dir/gw.ini" "$dir/kill_switch_drill.ini" code-assist
later=$(python3 -c "import datetime as d; print((d.datetime.now(d.timezone.utc)+d.timedelta(days=31)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
TOKENTOP_NOW=$later run "$db" "$dir/gw.ini" "$dir/kill_switch_drill.ini" support-bot
check "kill_switch_drill fails when the drill is over 30 days old" [ $? -eq 1 ]

# 3. sign-offs: recorded, shown on re-running, verified; the exit status follows the items
cat >"$dir/mixed.ini" <<EOF
[checklist]
title = Mixed

[item slos]
title = SLOs configured
check = slo

[item on-call]
title = On-call set
signoff = yes
EOF
run "$dir/a.db" "$dir/full.ini" "$dir/mixed.ini" support-bot
check "exit 1 while a sign-off is pending" [ $? -eq 1 ]
check "... shown as pending" grep -q '^\[pending\] on-call' "$dir/o"
"$tt" checklist "$dir/mixed.ini" --use-case support-bot --db "$dir/a.db" --sign on-call \
  --comment "rota set, runbook linked" --as "release manager" >"$dir/sign" 2>&1
check "--sign exits 0" [ $? -eq 0 ]
check "--sign says what it recorded" grep -q 'signed on-call for use_case=support-bot as release manager (audit #1)' "$dir/sign"
check "the sign-off is in the audit log" [ "$(sqlite3 "$dir/a.db" "SELECT kind||'|'||action||'|'||scope||'|'||reason||'|'||status||'|'||as_name FROM audit")" = "signoff|on-call|use_case=support-bot|rota set, runbook linked|recorded|release manager" ]
check "... with the role [access] gives (none: operator)" [ "$(sqlite3 "$dir/a.db" "SELECT role FROM audit")" = operator ]
"$tt" audit verify --db "$dir/a.db" >"$dir/v" 2>&1
check "audit verify passes after it" [ $? -eq 0 ]
run "$dir/a.db" "$dir/full.ini" "$dir/mixed.ini" support-bot
check "exit 0 once every item passes or is signed" [ $? -eq 0 ]
check "re-running shows the sign-off: name, time, comment" grep -q 'signed by release manager at 20[0-9-]*T[0-9:.]*Z: rota set, runbook linked' "$dir/o"
run "$dir/a.db" "$dir/full.ini" "$dir/mixed.ini" code-assist
check "a sign-off counts for its use case only" [ $? -eq 1 ]
printf '[access]\n%s = admin\n' "$(id -un)" >"$dir/access.ini"
"$tt" checklist "$dir/mixed.ini" --use-case code-assist --db "$dir/a.db" --config "$dir/access.ini" \
  --sign on-call --comment "rota set" >"$dir/o" 2>&1
check "a sign-off records the role [access] gives the OS user" [ "$(sqlite3 "$dir/a.db" "SELECT role FROM audit WHERE scope='use_case=code-assist'")" = admin ]
"$tt" checklist "$dir/mixed.ini" --use-case support-bot --db "$dir/a.db" --sign slos --comment x >"$dir/o" 2>&1
check "an automatic item cannot be signed" [ $? -eq 2 ] && grep -q 'mixed.ini:[0-9]*: the item is checked automatically' "$dir/o"
"$tt" checklist "$dir/mixed.ini" --use-case support-bot --db "$dir/a.db" --sign nope --comment x >"$dir/o" 2>&1
check "an unknown item is refused, listing the items" [ $? -eq 2 ] && grep -q 'its items are slos, on-call' "$dir/o"
"$tt" checklist "$dir/mixed.ini" --use-case support-bot --db "$dir/a.db" --sign on-call >"$dir/o" 2>&1
check "--sign needs --comment" [ $? -eq 2 ]

# 4. formats
run "$dir/a.db" "$dir/full.ini" "$dir/mixed.ini" support-bot --format json
check "json exits as text does" [ $? -eq 0 ]
check "json parses, with states and the sign-off" python3 -c "
import json, sys
d = json.load(open('$dir/o'))
assert d['ready'] is True and d['use_case'] == 'support-bot'
s = {i['id']: i for i in d['items']}
assert s['slos']['state'] == 'pass' and s['slos']['check'] == 'slo'
assert s['on-call']['state'] == 'signed'
assert s['on-call']['signoffs'][0]['name'] == 'release manager'
assert s['on-call']['signoffs'][0]['comment'] == 'rota set, runbook linked'
"
run "$dir/a.db" "$dir/full.ini" "$dir/mixed.ini" support-bot --format md
check "md is a table" grep -q '^| on-call | On-call set | \*\*signed\*\* |' "$dir/o"
run "$dir/a.db" "$dir/full.ini" fixtures/checklists/launch-readiness.ini support-bot --format json
check "the shipped checklist reads, 13 items" python3 -c "
import json; d = json.load(open('$dir/o')); assert len(d['items']) == 13, len(d['items'])"

# 5. the file's errors name the file, the line and the fix
printf '[item a]\ntitle = A\ncheck = sло\n' >"$dir/bad.ini"
run "$dir/a.db" "$dir/empty.ini" "$dir/bad.ini" support-bot
check "an unknown check: exit 2, file:line, the checks" sh -c "[ $? -eq 2 ] && grep -q 'bad.ini:3: \[item a\] key .check.: unknown check .*; the checks are slo, budget' '$dir/o'"
printf '[item a]\ntitle = A\n' >"$dir/bad.ini"
run "$dir/a.db" "$dir/empty.ini" "$dir/bad.ini" support-bot
check "an item with neither check nor signoff" grep -q "bad.ini:1: \[item a\]: give 'check = NAME' or 'signoff = yes'" "$dir/o"
printf '[item a]\ntitle = A\nsignoff = yes\n[other]\nx = 1\n' >"$dir/bad.ini"
run "$dir/a.db" "$dir/empty.ini" "$dir/bad.ini" support-bot
check "an unknown section" grep -q 'bad.ini:5: unknown section \[other\]' "$dir/o"
printf '[item a]\ntitle = A\nsignoff = yes\n\n[item a]\ntitle = again\n' >"$dir/bad.ini"
run "$dir/a.db" "$dir/empty.ini" "$dir/bad.ini" support-bot
check "an item given twice" grep -q "bad.ini:6: \[item a\] key 'title': given twice" "$dir/o"
"$tt" checklist "$dir/mixed.ini" --use-case support-bot --db "$dir/a.db" --sign slos --comment x >"$dir/o" 2>&1
check "the refusal names the item's section line" grep -q 'mixed.ini:4: the item is checked automatically (check = slo)' "$dir/o"
run "$dir/a.db" "$dir/empty.ini" "$dir/mixed.ini" support-bot --format yaml
check "an unknown format: exit 2" [ $? -eq 2 ]

echo "$fails failed"
[ "$fails" -eq 0 ]
