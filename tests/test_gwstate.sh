#!/bin/sh
# Gateway state against tokentop-sim: health, routing and controls kept and refreshed (a control
# applied with curl shows up at the next read), malformed and oversized answers refused.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$BUILD/tokentop"
sim="$BUILD/tokentop-sim"
dir=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# start_sim NAME ARGS...: starts a simulator and sets PORT
start_sim() {
  name=$1; shift
  "$sim" --listen 127.0.0.1:0 --seed 5 --rate 20 --history 60s "$@" \
    > "$dir/$name.out" 2> "$dir/$name.err" &
  pids="$pids $!"
  i=0
  while ! grep -q '^listening on' "$dir/$name.out" 2>/dev/null; do
    sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "$name did not start: $(cat "$dir/$name.err")"
  done
  PORT=$(head -n 1 "$dir/$name.out" | sed 's/.*://')
}

q() { sqlite3 "$1" "$2" 2>/dev/null; }

# wait_for DB SQL WANT: until the query answers WANT (10 s at most)
wait_for() {
  i=0
  while [ "$(q "$1" "$2")" != "$3" ]; do
    sleep 0.1; i=$((i + 1)); [ $i -lt 100 ] || return 1
  done
}

# 1. one sync stores each state answer as the gateway sent it
start_sim plain
P=$PORT
db="$dir/a.db"
"$tt" sync --db "$db" --gateway sim=http://127.0.0.1:$P --once > "$dir/a.out" 2>&1 \
  || fail "sync --once failed: $(cat "$dir/a.out")"
[ "$(q "$db" "SELECT group_concat(kind) FROM (SELECT kind FROM gateway_state WHERE source = 'sim' ORDER BY kind)")" = "controls,health,routing" ] \
  || fail "state kinds stored: $(q "$db" "SELECT kind FROM gateway_state")"
[ "$(q "$db" "SELECT body FROM gateway_state WHERE kind = 'routing'")" = "$(curl -s http://127.0.0.1:$P/v1/routing)" ] \
  || fail "the routing answer was not kept verbatim"
[ "$(q "$db" "SELECT etag FROM gateway_state WHERE kind = 'controls'")" = '"c0"' ] \
  || fail "controls etag: $(q "$db" "SELECT etag FROM gateway_state WHERE kind = 'controls'")"
q "$db" "SELECT body FROM gateway_state WHERE kind = 'health'" | grep -q '"gateway":"tokentop-sim"' \
  || fail "health not stored"
echo "ok: health, routing and controls stored verbatim, with the controls ETag"

# 2. a running sync reads them again; an unchanged controls set is a 304 that only moves the
# time; a control applied with curl shows up at the next read, and the routing it changes too
"$tt" sync --db "$db" --gateway sim=http://127.0.0.1:$P --state-interval 1s --for 30s \
  > "$dir/run.out" 2>&1 &
syncpid=$!
pids="$pids $syncpid"
t0=$(q "$db" "SELECT fetched_ms FROM gateway_state WHERE kind = 'controls'")
i=0
while [ "$(q "$db" "SELECT fetched_ms > $t0 FROM gateway_state WHERE kind = 'controls'")" != 1 ]; do
  sleep 0.1; i=$((i + 1)); [ $i -lt 100 ] || fail "the controls were not read again"
done
[ "$(q "$db" "SELECT etag || body FROM gateway_state WHERE kind = 'controls'")" = '"c0"{"controls":[],"etag":"\"c0\""}' ] \
  || fail "an unchanged set changed the stored answer"
code=$(curl -s -o "$dir/post.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -H 'Idempotency-Key: test-gwstate-1' \
  -d '{"kind":"kill_switch","scope":{"use_case":"support-bot"},"reason":"INC-7: refusal loop","actor":"carol","expires_at":null}' \
  "http://127.0.0.1:$P/v1/controls")
[ "$code" = 201 ] || fail "POST /v1/controls answered $code: $(cat "$dir/post.json")"
code=$(curl -s -o "$dir/post2.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d '{"kind":"reroute","scope":{"use_case":"code-review"},"params":{"targets":[{"provider":"openai","model":"gpt-4o-mini","weight":1}]},"reason":"cheaper","actor":"carol","expires_at":null}' \
  "http://127.0.0.1:$P/v1/controls")
[ "$code" = 201 ] || fail "POST reroute answered $code: $(cat "$dir/post2.json")"
wait_for "$db" "SELECT etag FROM gateway_state WHERE kind = 'controls'" '"c2"' \
  || fail "the new controls were not stored: $(q "$db" "SELECT etag, body FROM gateway_state WHERE kind = 'controls'")"
q "$db" "SELECT body FROM gateway_state WHERE kind = 'controls'" | grep -q '"reason":"INC-7: refusal loop"' \
  || fail "the kill switch is not in the stored controls"
wait_for "$db" "SELECT body LIKE '%\"controls\":[\"ctl-2\"]%' FROM gateway_state WHERE kind = 'routing'" 1 \
  || fail "the reroute did not reach the stored routing"
kill "$syncpid" 2>/dev/null
wait "$syncpid" 2>/dev/null
echo "ok: state read again every second; a 304 kept the answer; controls applied with curl stored at the next read"

# 3. the report shows them, with their ages
"$tt" report --db "$db" --view gateways --format json > "$dir/gw.json" 2> "$dir/gw.err" \
  || fail "report --view gateways failed: $(cat "$dir/gw.err")"
for want in '"view": "gateways"' '"source": "sim"' '"kind": "kill_switch"' '"reason": "INC-7: refusal loop"' \
    '"etag": "\"c2\""' '"route": "code-review"' '"model": "gpt-4o-mini"' '"age_s": '; do
  grep -qF "$want" "$dir/gw.json" || fail "report JSON lacks $want: $(head -c 2000 "$dir/gw.json")"
done
"$tt" report --db "$db" --view gateways > "$dir/gw.txt" 2>&1 || fail "text report failed"
grep -q "controls in force: 2" "$dir/gw.txt" || fail "text report: $(cat "$dir/gw.txt")"
grep -q "sim (tokentop): tokentop-sim" "$dir/gw.txt" || fail "text report header: $(head -3 "$dir/gw.txt")"
echo "ok: report --view gateways shows routes, the controls in force and their ages"

# 4. answers cut off: refused, named in the source's state, never stored
start_sim cut --faults truncate=1
"$tt" sync --db "$dir/cut.db" --gateway cut=http://127.0.0.1:$PORT --state-interval 1s --for 3s \
  > "$dir/cut.out" 2>&1
grep -q "cut: degraded: http://127.0.0.1:$PORT/v1/health: answer refused: not JSON" "$dir/cut.out" \
  || fail "a cut-off health answer was not named: $(head -5 "$dir/cut.out")"
grep -q "cut: down: " "$dir/cut.out" || fail "failing health did not take the source down: $(cat "$dir/cut.out")"
[ "$(q "$dir/cut.db" "SELECT count(*) FROM gateway_state")" = 0 ] || fail "a cut-off answer was stored"
echo "ok: cut-off answers refused, the source degraded then down, nothing stored"

# 5. oversized answers: state answers over 2 MiB are refused; events (under 16 MiB) still flow
# once the round of refusals and its backoffs is over
start_sim big --faults oversize=1
"$tt" sync --db "$dir/big.db" --gateway big=http://127.0.0.1:$PORT --state-interval 1s --for 6s \
  > "$dir/big.out" 2>&1
grep -q "/v1/health: answer larger than 2097152 bytes, refused" "$dir/big.out" \
  || fail "an oversized answer was not refused by name: $(head -5 "$dir/big.out")"
[ "$(q "$dir/big.db" "SELECT count(*) FROM gateway_state")" = 0 ] || fail "an oversized answer was stored"
# on a loaded machine the backoffs may outlast one run: the next runs go on from the cursor
for again in 1 2 3; do
  [ "$(q "$dir/big.db" "SELECT count(*) FROM events")" -gt 0 ] && break
  "$tt" sync --db "$dir/big.db" --gateway big=http://127.0.0.1:$PORT --state-interval 1s --for 6s \
    >> "$dir/big.out" 2>&1
done
[ "$(q "$dir/big.db" "SELECT count(*) FROM events")" -gt 0 ] || fail "no events stored beside the refused state"
echo "ok: oversized state answers refused and not stored"
