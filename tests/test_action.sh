#!/bin/sh
# tokentop action against tokentop-sim and a LiteLLM stand-in over loopback: the closed loop,
# dry run, confirmation, replay, 412, read-only, roles, a crash reconciled, the audit chain.
. "${TT_SRCDIR:-.}/tests/lib.sh"
sim="$BUILD/tokentop-sim"
tt="$BUILD/tokentop"
fixture="$BUILD/tests/test_action"
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
# eventually SECONDS DESCRIPTION COMMAND...: the command must succeed within SECONDS (polled);
# a loaded machine or a sanitizer build runs the simulator's traffic late, never early
eventually() {
  secs=$1; d=$2; shift 2
  n=$((secs * 4))
  while ! "$@"; do
    n=$((n - 1))
    if [ $n -le 0 ]; then echo "FAIL $d"; fails=$((fails + 1)); return; fi
    sleep 0.25
  done
  echo "ok   $d"
}
get() { curl -sS --max-time 15 -H "Authorization: Bearer $(cat "$dir/token")" "$@"; }

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

echo "s3cret-sim-token" >"$dir/token" && chmod 600 "$dir/token"
start sim "$sim" --rate 20 --history 10m --seed 5 --token-file "$dir/token" || exit 1
base=$url
start slow "$sim" --rate 5 --history 2m --seed 6 --token-file "$dir/token" --faults slow=1 || exit 1
slow=$url
start lite "$fixture" --litellm-fixture "$dir/lite.log" || exit 1
lite=$url
me=$(id -un)

cat >"$dir/tokentop.ini" <<EOF
[gateway sim]
url = $base
token_file = $dir/token

[gateway slow]
url = $slow
token_file = $dir/token

[gateway prod]
url = $base
token_file = $dir/token
production = yes

[gateway lite]
url = $lite
dialect = litellm
token_env = LITE_MASTER_KEY
EOF
export XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data"
export TOKENTOP_AUDIT_KEY="$dir/audit.key"
export LITE_MASTER_KEY="sk-lite-master"
db="$dir/t.db"
act() { "$tt" action "$@" --config "$dir/tokentop.ini" --db "$db"; }
controls() { get "$1/v1/controls"; }
ncontrols() { controls "$1" | grep -o '"id":"ctl-' | wc -l; }
etag() { controls "$1" | sed -n 's/.*"etag":"\(\\"c[0-9]*\\"\)".*/\1/p'; }
uc_stat() { # uc_stat USE_CASE killed|throttled|cost_nanos: from /v1/stats
  get "$base/v1/stats" >"$dir/stats"
  if [ "$2" != cost_nanos ]; then
    sed -n "s/.*\"$1\":{[^}]*\"by_status\":{[^}]*\"$2\":\([0-9]*\).*/\1/p" "$dir/stats"
  else
    sed -n "s/.*\"$1\":{\"events\":[0-9]*,\"cost_nanos\":\([0-9]*\).*/\1/p" "$dir/stats"
  fi
}

"$tt" sync --db "$db" --gateway "sim=$base" --token-file "$dir/token" --once >/dev/null 2>&1
check "the cache has the simulator's traffic" [ "$(sqlite3 "$db" 'SELECT count(*) FROM events')" -gt 1000 ]

# 1. --help lists the kinds from the table
"$tt" action --help >"$dir/help"
for k in kill-switch throttle cache-ttl reroute degrade disable-tool lift list; do
  check "--help lists $k" grep -q "^  $k " "$dir/help"
done

# 2. a dry run prints the blast radius and the exact request, and sends nothing
e0=$(etag "$base")
act kill-switch --gateway sim --scope use_case=support-bot --reason "INC-1: refusal loop" \
  --dry-run >"$dir/dry" 2>&1
check "dry run exits 0" [ $? -eq 0 ]
check "dry run shows the blast radius" grep -q '^blast .*/min, .* requests/s, .*% of requests' "$dir/dry"
check "dry run shows the request line" grep -q "^POST $base/v1/controls" "$dir/dry"
check "dry run shows the Idempotency-Key" grep -q '^Idempotency-Key: [0-9a-f-]\{36\}$' "$dir/dry"
check "dry run shows If-Match" grep -q "^If-Match: \"c" "$dir/dry"
check "dry run redacts the token" grep -q '^Authorization: Bearer <redacted>$' "$dir/dry"
check "... and never prints it" sh -c "! grep -q s3cret '$dir/dry'"
check "dry run shows the body" grep -q '^{"kind":"kill_switch","scope":{"use_case":"support-bot"}' "$dir/dry"
check "dry run sent nothing" [ "$(etag "$base")" = "$e0" ] && [ "$(ncontrols "$base")" = 0 ]
check "dry run wrote no audit record" [ "$(sqlite3 "$db" 'SELECT count(*) FROM audit' 2>/dev/null || echo 0)" = 0 ]

# 3. checks before anything is sent
act kill-switch --gateway sim --scope use_case=support-bot >"$dir/o" 2>&1
check "no reason: refused" grep -q 'a reason is required' "$dir/o"
act kill-switch --gateway sim --scope use_case=support-bot --reason r </dev/null >"$dir/o" 2>&1
check "no terminal, no --yes: refused" [ $? -eq 1 ] && grep -q 'needs --yes' "$dir/o"
act throttle --gateway sim --scope usecase=x --rps 1 --reason r --yes >"$dir/o" 2>&1
check "a bad scope key is named" [ $? -eq 2 ] && grep -q "unknown key 'usecase'" "$dir/o"
act throttle --gateway sim --scope use_case=x --reason r --yes >"$dir/o" 2>&1
check "throttle without a rate is refused" grep -q 'throttle needs --rps and/or --tpm' "$dir/o"
act frobnicate --gateway sim >"$dir/o" 2>&1
check "an unknown kind lists the kinds" [ $? -eq 2 ] && grep -q 'kill-switch throttle' "$dir/o"
printf 'support\n' | script -qec "$tt action kill-switch --gateway sim --config $dir/tokentop.ini --db $db --scope use_case=support-bot --reason tty" /dev/null >"$dir/o" 2>&1
check "on a terminal, a wrong word cancels" grep -q 'cancelled; nothing was sent' "$dir/o"
check "... and nothing was sent" [ "$(ncontrols "$base")" = 0 ]
printf 'y\n' | script -qec "$tt action throttle --gateway prod --config $dir/tokentop.ini --db $db --scope use_case=support-bot --rps 5 --reason tty" /dev/null >"$dir/o" 2>&1
check "production: even a throttle asks for the scope typed" grep -q "type 'support-bot' to confirm" "$dir/o"
check "... and y is not it" [ "$(ncontrols "$base")" = 0 ]

# 4. the kill switch, closed loop: applied, listed, and the use case's requests are killed
printf 'support-bot\n' | script -qec "$tt action kill-switch --gateway sim --config $dir/tokentop.ini --db $db --scope use_case=support-bot --reason 'INC-1: refusal loop' --expires 30m" /dev/null >"$dir/kill" 2>&1
check "typed confirmation on a terminal applies it" grep -q 'kill-switch ctl-1: HTTP 201, applied' "$dir/kill"
check "the gateway lists it" sh -c "curl -s -H 'Authorization: Bearer s3cret-sim-token' '$base/v1/controls' | grep -q '\"kind\":\"kill_switch\",\"scope\":{\"use_case\":\"support-bot\"}'"
act list --gateway sim >"$dir/list"
check "action list shows id, kind, scope and expiry" grep -q '^ctl-1 *kill_switch *use_case=support-bot *20[0-9-]*T' "$dir/list"
sleep 1
k1=$(uc_stat support-bot killed); c1=$(uc_stat support-bot cost_nanos)
more_than() { [ "$(uc_stat support-bot "$1")" -gt "$2" ]; }
eventually 20 "support-bot requests come back killed (more than $k1)" more_than killed "$k1"
sleep 1
c2=$(uc_stat support-bot cost_nanos)
check "support-bot spend stopped ($c1 -> $c2)" [ "$c2" = "$c1" ]
check "the audit log has pending then applied" [ "$(sqlite3 "$db" "SELECT group_concat(status) FROM audit WHERE action='kill-switch'")" = "pending,applied" ]

# 5. a replay of the same Idempotency-Key applies nothing twice
key=$(sqlite3 "$db" "SELECT idem_key FROM audit WHERE action='kill-switch' AND status='applied'")
body='{"kind":"kill_switch","scope":{"use_case":"support-bot"},"params":{},"reason":"INC-1: refusal loop","actor":"'$me'","expires_at":'
exp=$(sqlite3 "$db" "SELECT state_after FROM audit WHERE action='kill-switch' AND status='applied'" | sed -n 's/.*"expires_at":\("[^"]*"\).*/\1/p')
code=$(curl -s -o "$dir/replay" -D "$dir/replay.h" -w '%{http_code}' -H 'Authorization: Bearer s3cret-sim-token' \
  -H 'Content-Type: application/json' -H "Idempotency-Key: $key" -H 'If-Match: "c0"' \
  --data "$body$exp}" "$base/v1/controls")
check "a replay with the recorded key answers 201" [ "$code" = 201 ]
check "... says it is a replay" grep -qi '^Idempotent-Replayed: true' "$dir/replay.h"
check "... and there is still one control" [ "$(ncontrols "$base")" = 1 ]

# 6. a stale ETag: 412, a clear message, a failed record
act throttle --gateway slow --scope use_case=code-assist --rps 2 --reason "INC-2" --yes \
  --timeout 20s >"$dir/stale" 2>&1 &
ap=$!
sleep 0.5
curl -s -o /dev/null --max-time 15 -H 'Authorization: Bearer s3cret-sim-token' -H 'Content-Type: application/json' \
  --data '{"kind":"cache_ttl","scope":{"use_case":"x"},"params":{"ttl_seconds":60},"reason":"race","actor":"ci"}' \
  "$slow/v1/controls"
wait $ap
check "a concurrent change gets the 412 message" grep -q 'controls changed since you looked (HTTP 412' "$dir/stale"
check "... says to refresh and retry" grep -q 'refresh and retry' "$dir/stale"
check "... records it failed" [ "$(sqlite3 "$db" "SELECT status FROM audit WHERE action='throttle' ORDER BY seq DESC LIMIT 1")" = failed ]
check "... with the gateway's answer" sqlite3 "$db" "SELECT response FROM audit WHERE action='throttle' ORDER BY seq DESC LIMIT 1" | grep -q precondition_failed

# 7. lift restores the traffic
act lift --gateway sim --id ctl-1 --reason "INC-1 resolved" --yes >"$dir/lift" 2>&1
check "lift is applied" grep -q 'lift ctl-1: HTTP 200, lifted' "$dir/lift"
check "no controls in force" [ "$(ncontrols "$base")" = 0 ]
check "the lift points at the record that applied it" [ "$(sqlite3 "$db" "SELECT ref_seq FROM audit WHERE action='lift' AND status='pending'")" = "$(sqlite3 "$db" "SELECT seq FROM audit WHERE action='kill-switch' AND status='applied'")" ]
sleep 1
k3=$(uc_stat support-bot killed); c3=$(uc_stat support-bot cost_nanos)
eventually 20 "support-bot spends again (more than $c3)" more_than cost_nanos "$c3"
k4=$(uc_stat support-bot killed)
check "support-bot is no longer killed ($k3 -> $k4)" [ "$k4" = "$k3" ]
act lift --gateway sim --id ctl-1 --reason again --yes >"$dir/o" 2>&1
check "lifting twice: the 410 verbatim" grep -q '"code":"gone"' "$dir/o"

# 8. the other controls change what the simulator does, as docs/sim.md says
t1=$(uc_stat support-bot throttled)
act throttle --gateway sim --scope use_case=support-bot --rps 0.5 --reason "INC-7" --yes >"$dir/o" 2>&1
check "throttle is applied" grep -q 'HTTP 201, applied' "$dir/o"
eventually 20 "support-bot requests over 0.5/s come back throttled" more_than throttled "$t1"
printf '\n[access]\n%s = admin\n' "$me" >"$dir/admin.part"
cat "$dir/tokentop.ini" "$dir/admin.part" >"$dir/admin.ini"
"$tt" action reroute --gateway sim --scope use_case=code-review --reason "INC-8: provider outage" \
  --targets anthropic/claude-haiku-4-5=1 --yes --config "$dir/admin.ini" --db "$db" >"$dir/o" 2>&1
check "an admin reroutes" grep -q 'HTTP 201, applied' "$dir/o"
rr=$(sed -n 's/^reroute \(ctl-[0-9]*\): .*/\1/p' "$dir/o")
act degrade --gateway sim --scope use_case=code-assist --tier good --reason "INC-9" --yes >"$dir/o" 2>&1
dg=$(sed -n 's/^degrade \(ctl-[0-9]*\): .*/\1/p' "$dir/o")
get "$base/v1/routing" | tr '{' '\n' >"$dir/routing"
check "the route is rerouted ($rr)" grep -q "\"controls\":\[\"$rr\"\]" "$dir/routing"
check "the other is degraded ($dg)" grep -q "\"controls\":\[\"$dg\"\]" "$dir/routing"
act list --gateway sim >"$dir/list"
check "list shows the three" [ "$(grep -c '^ctl-' "$dir/list")" = 3 ]
for id in $(grep -o '^ctl-[0-9]*' "$dir/list"); do
  act lift --gateway sim --id "$id" --reason "INC-7..9 over" --yes >/dev/null 2>&1
done
check "all lifted" [ "$(ncontrols "$base")" = 0 ]

# 9. read-only and roles: refused, nothing reaches the gateway
e1=$(etag "$base"); n1=$(sqlite3 "$db" 'SELECT count(*) FROM audit')
ctl_requests() { curl -s -H 'Authorization: Bearer s3cret-sim-token' "$base/v1/stats" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["control_requests"])'; }
r1=$(ctl_requests)
act kill-switch --gateway sim --scope use_case=support-bot --reason r --yes --readonly >"$dir/o" 2>&1
check "--readonly refuses" [ $? -eq 1 ] && grep -q 'read-only' "$dir/o"
cp "$dir/tokentop.ini" "$dir/ro.ini"
printf '\n[access]\nreadonly = yes\n' >>"$dir/ro.ini"
"$tt" action throttle --gateway sim --scope use_case=x --rps 1 --reason r --yes --config "$dir/ro.ini" --db "$db" >"$dir/o" 2>&1
check "readonly = yes refuses" [ $? -eq 1 ] && grep -q 'read-only' "$dir/o"
"$tt" action throttle --gateway sim --scope use_case=x --rps 1 --reason r --dry-run --config "$dir/ro.ini" --db "$db" >"$dir/o" 2>&1
check "a dry run still works read-only" [ $? -eq 0 ]
"$tt" action list --gateway sim --config "$dir/ro.ini" --db "$db" >"$dir/o" 2>&1
check "so does list" grep -q 'no controls in force' "$dir/o"
r2=$(ctl_requests)
check "read-only: no control request reached the gateway ($r1 -> $r2)" [ "$r1" = "$r2" ]
cp "$dir/tokentop.ini" "$dir/roles.ini"
printf '\n[access]\nsomeone-else = admin\n' >>"$dir/roles.ini"
"$tt" action kill-switch --gateway sim --scope use_case=x --reason r --yes --config "$dir/roles.ini" --db "$db" >"$dir/o" 2>&1
check "an unlisted user is a viewer" grep -q "kill-switch needs the role operator; $me is viewer" "$dir/o"
printf '\n[access]\n%s = operator\n' "$me" >"$dir/op.part"
cat "$dir/tokentop.ini" "$dir/op.part" >"$dir/roles.ini"
"$tt" action reroute --gateway sim --scope use_case=code-review --targets anthropic/claude-haiku-4-5=1 --reason r --yes --config "$dir/roles.ini" --db "$db" >"$dir/o" 2>&1
check "an operator may not reroute" grep -q "reroute needs the role admin; $me is operator" "$dir/o"
check "none of that reached the gateway" [ "$(etag "$base")" = "$e1" ]
check "... or the audit log" [ "$(sqlite3 "$db" 'SELECT count(*) FROM audit')" = "$n1" ]

# 10. SIGKILL between the pending record and the answer; the next run reconciles
# the slow gateway applies a control when it arrives and holds its answer 1 to 5 s: the
# request leaves right after the pending record, so 0.3 s later is between the two
want=$(( $(sqlite3 "$db" "SELECT count(*) FROM audit WHERE status='pending'") + 1 ))
"$tt" action kill-switch --gateway slow --scope use_case=code-assist --reason "INC-3" --yes \
  --timeout 20s --config "$dir/tokentop.ini" --db "$db" >"$dir/crash" 2>&1 &
ap=$!
i=0
while [ "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE status='pending'")" -lt $want ] && [ $i -lt 400 ]; do
  sleep 0.02; i=$((i + 1))
done
sleep 0.3
kill -9 $ap 2>/dev/null; wait $ap 2>/dev/null
pseq=$(sqlite3 "$db" "SELECT max(seq) FROM audit WHERE status='pending' AND action='kill-switch'")
check "killed after the pending record" [ -n "$pseq" ]
check "... before its answer" [ "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE ref_seq=$pseq")" = 0 ]
act list --gateway slow --timeout 20s >"$dir/recon" 2>&1
check "the next run reconciles it" grep -q 'reconciled 1 pending record a crash left: 1 applied, 0 failed' "$dir/recon"
check "... as a reconcile record pointing at it" [ "$(sqlite3 "$db" "SELECT kind || ':' || status FROM audit WHERE ref_seq=$pseq")" = "reconcile:applied" ]
check "... naming the control" [ "$(sqlite3 "$db" "SELECT control_id FROM audit WHERE ref_seq=$pseq")" = ctl-2 ]
check "the crashed process printed no outcome" sh -c "! grep -q 'HTTP 201' '$dir/crash'"

# 11. LiteLLM: the calls, their headers and bodies, as the stand-in received them
lite_has() { tail -n 1 "$dir/lite.log" | grep -qF -- "$1"; }
act kill-switch --gateway lite --scope team=team-support --reason "INC-4" --dry-run >"$dir/o" 2>&1
check "LiteLLM dry run: the block call" grep -q "^POST $lite/team/block" "$dir/o"
check "... with LiteLLM-Changed-By" grep -q "^LiteLLM-Changed-By: $me\$" "$dir/o"
check "... and the master key redacted" grep -q '^Authorization: Bearer <redacted>' "$dir/o"
check "... never printed" sh -c "! grep -q sk-lite-master '$dir/o'"
check "... sent nothing" sh -c "! grep -q '\"method\":\"POST\"' '$dir/lite.log'"
act kill-switch --gateway lite --scope team=team-support --reason "INC-4" --as ic-lead --yes >"$dir/o" 2>&1
check "LiteLLM kill switch is applied" grep -q 'kill-switch:team=team-support' "$dir/o"
check "... POST /team/block" lite_has '"method":"POST","path":"/team/block"'
check "... body {team_id}" lite_has '"body":"{\"team_id\":\"team-support\"}"'
check "... with the master key" lite_has '"Authorization":"Bearer sk-lite-master"'
check "... and LiteLLM-Changed-By naming both" lite_has "\"LiteLLM-Changed-By\":\"$me (as ic-lead)\""
act throttle --gateway lite --scope key=sk-abc --rps 2 --tpm 50000 --reason "INC-5" --yes >/dev/null 2>&1
check "LiteLLM throttle: POST /key/update" lite_has '"path":"/key/update"'
check "... with tpm_limit and rpm_limit" lite_has '"body":"{\"key\":\"sk-abc\",\"tpm_limit\":50000,\"rpm_limit\":120}"'
act list --gateway lite >"$dir/o" 2>&1
check "LiteLLM list: what the audit log says is applied" grep -q 'kill-switch:team=team-support' "$dir/o"
check "... both" grep -q 'throttle:key=sk-abc' "$dir/o"
act lift --gateway lite --id kill-switch:team=team-support --reason "resolved" --yes >/dev/null 2>&1
check "LiteLLM lift: POST /team/unblock" lite_has '"method":"POST","path":"/team/unblock"'
act lift --gateway lite --id throttle:key=sk-abc --reason "resolved" --yes >/dev/null 2>&1
check "... a throttle: the limits read before come back" lite_has '"body":"{\"key\":\"sk-abc\",\"tpm_limit\":null,\"rpm_limit\":100}"'
act degrade --gateway lite --scope use_case=x --reason r --yes >"$dir/o" 2>&1
check "LiteLLM degrade is refused, saying why" grep -q 'degrade has no LiteLLM equivalent' "$dir/o"
act kill-switch --gateway lite --scope key=sk-abc --reason "INC-6" --yes >/dev/null 2>&1
act lift --gateway lite --id kill-switch:key=sk-abc --reason r --yes >"$dir/o" 2>&1
check "a LiteLLM error is shown verbatim" grep -q 'token_not_found_in_db' "$dir/o"

# 12. the chain holds over all of it
"$tt" audit verify --db "$db" >"$dir/o" 2>&1
check "audit verify passes" grep -q 'the chain holds' "$dir/o"

echo "$fails failed"
[ $fails -eq 0 ]
