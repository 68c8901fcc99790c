#!/bin/sh
# tokentop --demo in a real terminal: live data from the in-process gateway, a kill switch
# from the Spend screen with its blast radius and typed confirmation, the control on the
# Controls screen, lifted, both in the audit log; read-only shows actions as unavailable.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$(pwd)/$BUILD/tokentop"
dir=$(mktemp -d)
sock="tokentop-demo-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- screen:"; tmux -L "$sock" capture-pane -p 2>/dev/null; exit 1; }
screen() { tmux -L "$sock" capture-pane -p; }
keys() { tmux -L "$sock" send-keys "$@"; }
wait_for() { # wait_for TEXT [SECONDS]
  i=0; n=$(( ${2:-10} * 10 ))
  while ! screen | grep -q -- "$1"; do
    sleep 0.1; i=$((i + 1)); [ $i -lt $n ] || fail "never saw '$1'"
  done
}
# braille: a braille cell with a dot (U+2801..U+28FF, UTF-8 E2 A0..A3 xx) is on the screen
braille() { screen | LC_ALL=C grep -q "$(printf '\342[\240\241\242\243]')"; }
wait_braille() { # wait_braille SECONDS
  i=0; n=$(( $1 * 10 ))
  while ! braille; do
    sleep 0.1; i=$((i + 1)); [ $i -lt $n ] || fail "never saw a braille chart"
  done
}
export XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data"

tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
  "cd '$TT_SRCDIR' && '$tt' --demo --history 1d --rate 2 --scenario cost-runaway@-30m \
     --db '$dir/demo.db'; echo EXIT=\$?; sleep 60"
wait_for "Spend now" 20
wait_for "demo  *ok" 20
wait_for '\$[1-9][0-9]*\.[0-9][0-9]  *Month' 20
# the header says catching up while the history arrives, then live: poll for live
wait_for "UTC .* live$" 120
echo "ok: the demo shows spend from its live gateway"
wait_for "Alerts ([1-9]" 30
echo "ok: the cost runaway raises alerts"

# the Inference screen: each scraped server's history as braille charts
keys 6
wait_for "demo-vllm / .*, the last 1h" 20
wait_for "KV cache .*max" 10
wait_braille 20
echo "ok: the Inference screen charts the servers' history in braille"

# another process holds the cache's write lock (until told, 40 s at most): the sources'
# writes give up after a quarter of a second each (the pages are fetched again later), so
# the keys still answer
python3 -c "
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute('BEGIN IMMEDIATE')
open(sys.argv[2], 'w').close()
t = time.time()
while not os.path.exists(sys.argv[3]) and time.time() - t < 40:
    time.sleep(0.1)
c.execute('ROLLBACK')
" "$dir/demo.db" "$dir/locked" "$dir/unlock" &
lockpid=$!
i=0; while [ ! -e "$dir/locked" ]; do sleep 0.1; i=$((i + 1)); [ $i -lt 100 ] || fail "no lock"; done
# screens switched every half second for 6 s, each within 2 s: a write waiting out the lock
# (5 s, as a batch command's would) would hold one of them back
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
  if [ $((k % 2)) -eq 1 ]; then keys 5; wait_for "provider / model" 2; else keys 1; wait_for "Spend now" 2; fi
  sleep 0.5
done
kill -0 $lockpid 2>/dev/null || fail "the lock was gone before the keys were tried"
touch "$dir/unlock"
wait $lockpid
echo "ok: with another process holding the write lock, the console still answers keys"

# a kill switch on the costliest use case, from the Spend screen
keys 2 g
wait_for "by use case"
wait_for "^▶" 30 # the history may still be arriving: the last hour comes last
uc=$(screen | grep '^▶' | awk '{print $1}' | sed 's/^▶//')
[ -n "$uc" ] || fail "no selected use case"
keys K
wait_for "reason (required"
keys -l "demo drill"
keys Enter
wait_for "in scope now:" 10
screen | grep -q "type $uc and Enter to send" || fail "the kill switch does not ask for the scope name"
screen | grep -q "POST http://127.0.0.1:[0-9]*/v1/controls" || fail "the request is not shown"
# a wrong word cancels: nothing sent
keys -l "nope"
keys Enter
wait_for "kill-switch cancelled: nothing was sent"
keys K
wait_for "reason (required"
keys -l "demo drill"
keys Enter
wait_for "in scope now:" 10
keys -l "$uc"
keys Enter
wait_for "kill-switch applied" 10
echo "ok: kill switch on $uc: blast radius, typed confirmation (a wrong word cancels), applied"

keys c
wait_for "kill_switch  *use_case=$uc" 15
keys L
wait_for "reason (required"
keys -l "drill over"
keys Enter
wait_for "y and Enter sends" 10
keys y Enter
wait_for "lift applied" 10
echo "ok: the control is on the Controls screen and lifted from it"

# a degrade from the palette: the Routing screen shows it in force and among the changes,
# beside the configured shares the gateway reports
keys 4
wait_for "config"
wait_for "observed shares\|off the configured weights" 20
keys :
keys -l "degrade use_case=support-bot"
keys Enter
wait_for "parameters: "
keys -l "tier=good"
keys Enter
wait_for "reason (required"
keys -l "route drill"
keys Enter
wait_for "y and Enter sends" 10
keys y Enter
wait_for "degrade applied" 10
wait_for "in force  *support-bot  *degrade" 30
wait_for "support-bot  *degrade  *applied .*route drill" 30
echo "ok: the Routing screen shows configured shares, the degrade in force and in the changes"

keys 0
wait_for "applied *drill over"
n=$(screen | grep -c "applied")
[ "$n" -ge 3 ] || fail "the audit screen shows $n applied records"
keys q
wait_for "EXIT=0"
"$tt" audit verify --db "$dir/demo.db" > "$dir/verify" 2>&1 || { cat "$dir/verify"; fail "audit verify"; }
"$tt" audit list --db "$dir/demo.db" --format json > "$dir/list.json" || fail "audit list"
python3 - "$dir/list.json" "$uc" <<'PY' || fail "the audit records are not what was done"
import json, sys
recs = json.load(open(sys.argv[1]))
recs = recs.get("records", recs) if isinstance(recs, dict) else recs
acts = [(r["action"], r["status"]) for r in recs if r["kind"] == "action"]
assert ("kill-switch", "pending") in acts and ("kill-switch", "applied") in acts, acts
assert ("lift", "applied") in acts, acts
kill = [r for r in recs if r["action"] == "kill-switch" and r["status"] == "applied"][0]
assert kill["scope"] == "use_case=" + sys.argv[2], kill["scope"]
assert kill["reason"] == "demo drill"
PY
echo "ok: both actions are in the audit log and the chain verifies"

# read-only: the keys say why, nothing is sent
tmux -L "$sock" kill-server 2>/dev/null
sock="$sock-ro"
tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
  "cd '$TT_SRCDIR' && env LANG=C LC_ALL=C '$tt' --demo --history 2h --readonly; echo EXIT=\$?; sleep 60"
wait_for "Spend now" 20
keys 2 g
wait_for "by use case"
keys K
wait_for "kill-switch is unavailable"
keys '?'
wait_for "unavailable"
keys Escape
echo "ok: --readonly: actions unavailable, with the reason"
# that console runs in the C locale: its charts are ASCII
keys 6
wait_for "demo-vllm / .*, the last 1h" 20
wait_for "KV cache .*max" 10
wait_for '^  *[.:|#][.:|# ]*$' 20
braille && fail "braille on the screen in the C locale"
keys 1
wait_for "Spend \$/min" 10
wait_for '^  \$0\.00  *[.:|#]' 10
braille && fail "braille on the Overview in the C locale"
keys q
wait_for "EXIT=0"
echo "ok: in the C locale the charts are ASCII, without braille"

# incidents from the console: open, a note, close; all in the audit log
tmux -L "$sock" kill-server 2>/dev/null
sock="$sock-inc"
tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
  "cd '$TT_SRCDIR' && '$tt' --demo --history 2h --db '$dir/inc.db'; echo EXIT=\$?; sleep 60"
wait_for "Spend now" 20
keys I
wait_for "incident: KIND TITLE"
keys -l "cost code-review runaway"
keys Enter
wait_for "incident [0-9]* opened"
wait_for "INCIDENT [0-9]"
keys N
wait_for "note on incident"
keys -l "throttled the copilot first"
keys Enter
wait_for "note recorded"
keys :
keys -l "incident close spend back to normal"
keys Enter
wait_for "close recorded"
keys 0
wait_for "throttled the copilot"
keys q
wait_for "EXIT=0"
"$tt" incident list --db "$dir/inc.db" > "$dir/inc.out" 2>&1 || { cat "$dir/inc.out"; fail "incident list"; }
grep -q "code-review runaway" "$dir/inc.out" || { cat "$dir/inc.out"; fail "the incident is not listed"; }
"$tt" audit verify --db "$dir/inc.db" > /dev/null 2>&1 || fail "audit verify after the incident"
echo "ok: an incident opened, noted and closed from the console, in the audit log"
