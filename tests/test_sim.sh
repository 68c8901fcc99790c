#!/bin/sh
# tokentop-sim over loopback HTTP: paging matches /v1/stats, controls change traffic, auth, faults.
. "${TT_SRCDIR:-.}/tests/lib.sh"
SRC=${TT_SRCDIR:-.}
sim="$BUILD/tokentop-sim"
tt="$BUILD/tokentop"
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
get() { curl -sS --max-time 15 "$@"; }
code() { curl -s -o /dev/null --max-time 15 -w '%{http_code}' "$@"; }
num() { # num KEY FILE: the first integer value of "KEY": in FILE
  grep -o "\"$1\":[0-9]*" "$2" | head -n 1 | cut -d: -f2
}

# start NAME ARGS...: runs a simulator on a free port; sets url and pid (empty url on failure)
start() {
  name=$1; shift
  "$sim" --listen 127.0.0.1:0 "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
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

# page_to_end URL CURSOR OUT: appends the events after CURSOR to OUT; sets cursor
page_to_end() {
  cursor=$2
  n=0
  while [ $n -lt 500 ]; do
    get "$1/v1/events?limit=5000&cursor=$cursor" >"$dir/page" || return 1
    grep '^{"request_id"' "$dir/page" | sed 's/,$//' >>"$3"
    cursor=$(sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' "$dir/page")
    [ -n "$cursor" ] || return 1
    grep -q '"has_more":false' "$dir/page" && return 0
    n=$((n + 1))
  done
  return 1
}

# events_of USE_CASE FILE: the lines of FILE for that use case
events_of() { grep "\"use_case\":\"$1\"" "$2"; }

# wait_events URL CURSOR OUT USE_CASE N: pages from CURSOR until OUT has N events of USE_CASE
wait_events() {
  : >"$3"
  c=$2
  i=0
  while [ $i -lt 60 ]; do
    page_to_end "$1" "$c" "$3" || return 1
    c=$cursor
    [ "$(events_of "$4" "$3" | wc -l)" -ge "$5" ] && return 0
    sleep 0.5
    i=$((i + 1))
  done
  return 1
}

check "--help exits 0" sh -c "'$sim' --help >/dev/null"
check "a bad --faults spec exits 2" sh -c "'$sim' --faults 5xx=2 2>/dev/null; [ \$? -eq 2 ]"
check "a bad --scenario exits 2" sh -c "'$sim' --scenario nope 2>/dev/null; [ \$? -eq 2 ]"

card="$SRC/fixtures/ratecard.json"
start main --history 20m --rate 60 --seed 7 --ratecard "$card" --scenario steady@+1h
check "prints its address first" [ -n "$url" ]
main_pid=$pid
base=$url

get "$base/v1/health" >"$dir/health"
check "health names the gateway" grep -q '"gateway":"tokentop-sim"' "$dir/health"
check "health gives the time" grep -q '"time":"20[0-9-]*T' "$dir/health"
check "health names the scenario" grep -q '"scenario":"steady"' "$dir/health"

# Page everything, then compare with the stats up to the same cursor.
: >"$dir/all.jsonl"
check "pages /v1/events to the end" page_to_end "$base" "" "$dir/all.jsonl"
end=$cursor
get "$base/v1/stats?cursor=$end" >"$dir/stats"
got=$(wc -l <"$dir/all.jsonl")
check "history was served (more than 70000 events)" [ "$got" -gt 70000 ]
check "paged events equal /v1/stats events ($got)" [ "$got" = "$(num events "$dir/stats")" ]
check "every request_id is distinct" sh -c \
  "[ \$(sed 's/\"ts\".*//' '$dir/all.jsonl' | sort -u | wc -l) -eq $got ]"
for uc in support-bot ticket-summary product-search product-descriptions code-assist code-review; do
  want=$(sed -n "s/.*\"$uc\":{\"events\":\([0-9]*\),.*/\1/p" "$dir/stats")
  check "per use case: $uc" [ "$(events_of "$uc" "$dir/all.jsonl" | wc -l)" = "$want" ]
done
check "history has no killed or throttled events" sh -c \
  "! grep -q '\"status\":\"killed\"\\|\"status\":\"throttled\"' '$dir/all.jsonl'"
"$tt" ingest --quiet --db "$dir/t.db" --ratecard "$card" "$dir/all.jsonl" >/dev/null 2>&1
"$tt" report --db "$dir/t.db" --since all --format json >"$dir/report" 2>/dev/null
want=$(num cost_micros "$dir/stats")
check "ingested cost equals /v1/stats cost_micros ($want)" \
  grep -q "\"total_cost_micros\": $want," "$dir/report"
get "$base/v1/stats" >"$dir/stats_now"
check "stats without a cursor cover at least as much" \
  [ "$(num events "$dir/stats_now")" -ge "$got" ]

check "a malformed cursor is a 400" [ "$(code "$base/v1/events?cursor=zzz")" = 400 ]
get "$base/v1/events?cursor=zzz" >"$dir/bad"
check "the 400 is a JSON error" grep -q '"error":{"code":"bad_cursor"' "$dir/bad"
check "a bad limit is a 400" [ "$(code "$base/v1/events?limit=0")" = 400 ]
check "limit caps a page" [ "$(get "$base/v1/events?limit=3" | grep -c '^{"request_id"')" = 3 ]
check "an unknown path is a 404" [ "$(code "$base/v1/nope")" = 404 ]
check "a wrong method is a 405" [ "$(code -X PUT "$base/v1/controls")" = 405 ]

# Kill switch on the busiest use case of the last minutes.
uc=$(tail -n 3000 "$dir/all.jsonl" | sed -n 's/.*"use_case":"\([^"]*\)".*/\1/p' |
  sort | uniq -c | sort -rn | head -n 1 | awk '{print $2}')
get -D "$dir/h0" "$base/v1/controls" >"$dir/c0"
etag0=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' "$dir/h0" | tr -d '\r')
check "controls answer with an ETag" [ -n "$etag0" ]
body="{\"kind\":\"kill_switch\",\"scope\":{\"use_case\":\"$uc\"},\"reason\":\"test: runaway\",\"actor\":\"ci\"}"
post() { # post KEY OUT [IF-MATCH]: POSTs body; prints the status
  if [ -n "${3:-}" ]; then
    curl -s --max-time 15 -D "$2.h" -o "$2" -w '%{http_code}' -H 'Content-Type: application/json' \
      -H "Idempotency-Key: $1" -H "If-Match: $3" --data "$body" "$base/v1/controls"
  else
    curl -s --max-time 15 -D "$2.h" -o "$2" -w '%{http_code}' -H 'Content-Type: application/json' \
      -H "Idempotency-Key: $1" --data "$body" "$base/v1/controls"
  fi
}
check "kill switch on $uc is created (201)" [ "$(post k-1 "$dir/p1" "$etag0")" = 201 ]
id=$(sed -n 's/.*"control":{"id":"\([^"]*\)".*/\1/p' "$dir/p1")
check "the answer names the control" [ -n "$id" ]
check "the answer lists it active" grep -q '"state":"active"' "$dir/p1"
check "a replay with the same key returns 201" [ "$(post k-1 "$dir/p2" "$etag0")" = 201 ]
check "the replay is the first answer, byte for byte" cmp -s "$dir/p1" "$dir/p2"
check "the replay says so" grep -qi '^Idempotent-Replayed: true' "$dir/p2.h"
check "one control is active" [ "$(get "$base/v1/controls" | grep -o '"id":"ctl-' | wc -l)" = 1 ]
body='{"kind":"throttle","scope":{"tenant":"acme"},"params":{"rps":1},"reason":"t","actor":"ci"}'
check "a stale If-Match is a 412" [ "$(post k-2 "$dir/p3" "$etag0")" = 412 ]
check "still one control" [ "$(get "$base/v1/controls" | grep -o '"id":"ctl-' | wc -l)" = 1 ]
body='{"kind":"kill_switch","scope":{"use_case":"x"},"reason":"t","actor":"ci","bogus":1}'
check "an unknown key is a 400" [ "$(post k-3 "$dir/p4")" = 400 ]
check "the 400 names the key" grep -q 'bogus: unknown key' "$dir/p4"

: >"$dir/skip.jsonl"
page_to_end "$base" "$end" "$dir/skip.jsonl"
after=$cursor
check "new $uc events come back killed" wait_events "$base" "$after" "$dir/killed.jsonl" "$uc" 20
check "... all of them" sh -c "! grep '\"use_case\":\"$uc\"' '$dir/killed.jsonl' | grep -qv '\"status\":\"killed\"'"
check "... with zero tokens" sh -c "! grep '\"use_case\":\"$uc\"' '$dir/killed.jsonl' | grep -qv '\"input_tokens\":0,\"output_tokens\":0,\"cached_tokens\":0'"
check "other use cases still flow" sh -c "grep -v '\"use_case\":\"$uc\"' '$dir/killed.jsonl' | grep -q '\"status\":\"ok\"'"
get "$base/v1/stats" >"$dir/stats_k"
check "stats count killed events" [ "$(num killed "$dir/stats_k")" -gt 0 ]

get -D "$dir/h1" "$base/v1/controls" >/dev/null
etag1=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' "$dir/h1" | tr -d '\r')
check "DELETE lifts the control (200)" [ "$(code -X DELETE -H "If-Match: $etag1" "$base/v1/controls/$id")" = 200 ]
check "a second DELETE is a 410" [ "$(code -X DELETE "$base/v1/controls/$id")" = 410 ]
check "an unknown id is a 404" [ "$(code -X DELETE "$base/v1/controls/ctl-999")" = 404 ]
check "the control shows as lifted" sh -c "curl -s '$base/v1/controls/$id' | grep -q '\"state\":\"lifted\"'"
: >"$dir/skip.jsonl"
page_to_end "$base" "$after" "$dir/skip.jsonl"
check "after DELETE $uc events flow again" wait_events "$base" "$cursor" "$dir/back.jsonl" "$uc" 3
check "... none killed" sh -c "! grep -q '\"status\":\"killed\"' '$dir/back.jsonl'"

get -D "$dir/mh" "$base/metrics" >"$dir/metrics"
check "metrics are text format 0.0.4" grep -qi '^Content-Type: text/plain; version=0.0.4' "$dir/mh"
for m in num_requests_running num_requests_waiting kv_cache_usage_perc prompt_tokens_total \
  generation_tokens_total time_to_first_token_seconds_bucket e2e_request_latency_seconds_bucket; do
  check "metrics have vllm:$m" grep -q "^vllm:$m{model_name=\"qwen2.5-coder-32b\"" "$dir/metrics"
done
check "metrics have the gateway's counters" grep -q '^gateway_requests_total{' "$dir/metrics"
inf=$(sed -n 's/^vllm:e2e_request_latency_seconds_bucket{model_name="qwen2.5-coder-32b",engine="0",le="+Inf"} //p' "$dir/metrics")
cnt=$(sed -n 's/^vllm:e2e_request_latency_seconds_count{model_name="qwen2.5-coder-32b",engine="0"} //p' "$dir/metrics")
check "the +Inf bucket equals the count ($cnt)" [ -n "$inf" ] && [ "$inf" = "$cnt" ]

if command -v promtool >/dev/null 2>&1; then # Debian's prometheus package has it
  promtool check metrics <"$dir/metrics" >"$dir/lint" 2>&1
  check "promtool parses /metrics" [ $? -ne 1 ]
  check "promtool's only complaint is vLLM's colons" \
    sh -c "! grep -v \"should not contain ':'\" '$dir/lint' | grep -q ."
fi

kill -TERM "$main_pid"
i=0
while kill -0 "$main_pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$main_pid" 2>/dev/null; then kill -KILL "$main_pid"; fi
wait "$main_pid"
check "SIGTERM stops it cleanly within 5 s (exit 0)" [ $? -eq 0 ]

printf 's3cret-token\n' >"$dir/token" && chmod 600 "$dir/token"
start auth --token-file "$dir/token" --rate 5
auth=$url
check "without a token: 401" [ "$(code "$auth/v1/health")" = 401 ]
get "$auth/v1/events" >"$dir/401"
check "the 401 is a JSON error" grep -q '"code":"unauthorized"' "$dir/401"
check "a wrong token: 401" [ "$(code -H 'Authorization: Bearer s3cret-tokem' "$auth/v1/health")" = 401 ]
check "a longer token: 401" [ "$(code -H 'Authorization: Bearer s3cret-token2' "$auth/v1/health")" = 401 ]
check "metrics need it too" [ "$(code "$auth/metrics")" = 401 ]
check "the right token: 200" [ "$(code -H 'Authorization: Bearer s3cret-token' "$auth/v1/health")" = 200 ]
check "a cursor of another run is a 400" \
  [ "$(code -H 'Authorization: Bearer s3cret-token' "$auth/v1/events?cursor=$end")" = 400 ]

start f5xx --faults 5xx=1 --rate 5
check "5xx fault: events answer 500" [ "$(code "$url/v1/events")" = 500 ]
check "5xx fault: stats are never faulted" [ "$(code "$url/v1/stats")" = 200 ]
start fdrop --faults drop=1 --rate 5
curl -s -o /dev/null --max-time 15 "$url/v1/health"
check "drop fault: the connection closes without an answer" [ $? -eq 52 ]
start ftrunc --faults truncate=1 --rate 5 --history 10m
get "$url/v1/events" >"$dir/trunc"
check "truncate fault: the JSON is cut" sh -c "! grep -q 'next_cursor' '$dir/trunc'"
start fbig --faults oversize=1 --rate 5
check "oversize fault: more than 8 MB" [ "$(get "$url/v1/health" | wc -c)" -gt 8000000 ]

echo
[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
