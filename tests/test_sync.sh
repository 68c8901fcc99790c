#!/bin/sh
# tokentop sync against tokentop-sim over loopback: exact against /v1/stats, through SIGKILLs,
# through transport faults, and refused with a wrong token.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$BUILD/tokentop"
sim="$BUILD/tokentop-sim"
dir=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
N=20000

# start_sim NAME ARGS...: starts a simulator, waits for its backfill, sets PORT
start_sim() {
  name=$1; shift
  "$sim" --listen 127.0.0.1:0 --seed 3 --rate 50 --history 400s --max-events $N "$@" \
    > "$dir/$name.out" 2> "$dir/$name.err" &
  pids="$pids $!"
  i=0
  while ! grep -q '^listening on' "$dir/$name.out" 2>/dev/null; do
    sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "$name did not start: $(cat "$dir/$name.err")"
  done
  PORT=$(head -n 1 "$dir/$name.out" | sed 's/.*://')
}

stat_of() { # stat_of PORT KEY [CURL ARGS]: a top-level number of /v1/stats
  port=$1; key=$2; shift 2
  curl -s "$@" "http://127.0.0.1:$port/v1/stats" | grep -o "\"$key\":[0-9]*" | head -n 1 | cut -d: -f2
}

db_count() { sqlite3 "$1" "SELECT count(*) FROM events" 2>/dev/null || echo 0; }
db_cost() { sqlite3 "$1" "SELECT coalesce(sum(cost_nanos), 0) FROM events" 2>/dev/null || echo 0; }

wait_backfill() { # wait_backfill PORT [CURL ARGS]: until the simulator has emitted all N events
  wport=$1; shift
  i=0
  while [ "$(stat_of "$wport" events "$@")" != "$N" ]; do
    sleep 0.1; i=$((i + 1)); [ $i -lt 300 ] || fail "backfill did not reach $N"
  done
}

# 1. a clean sync is exact
start_sim plain
P1=$PORT
wait_backfill $P1
want_cost=$(stat_of $P1 cost_nanos)
"$tt" sync --db "$dir/a.db" --gateway sim=http://127.0.0.1:$P1 --once > "$dir/a.out" 2>&1 \
  || fail "sync --once failed: $(cat "$dir/a.out")"
[ "$(db_count "$dir/a.db")" = "$N" ] || fail "stored $(db_count "$dir/a.db") events, sim emitted $N"
[ "$(db_cost "$dir/a.db")" = "$want_cost" ] || fail "stored cost $(db_cost "$dir/a.db"), sim says $want_cost"
for r in hour day; do
  s=$(sqlite3 "$dir/a.db" "SELECT sum(requests) FROM rollup_$r")
  [ "$s" = "$N" ] || fail "rollup_$r counts $s"
done
grep -q "sync: sim: $N new events stored ($N rows read)" "$dir/a.out" ||
  fail "sync does not say the new events: $(cat "$dir/a.out")"
echo "ok: clean sync stored $N events, $want_cost nano-dollars, as /v1/stats says"
# a second pass from scratch re-reads every row and stores none: the count says so
sqlite3 "$dir/a.db" "DELETE FROM cursors"
"$tt" sync --db "$dir/a.db" --gateway sim=http://127.0.0.1:$P1 --once > "$dir/a2.out" 2>&1 \
  || fail "second sync --once failed: $(cat "$dir/a2.out")"
grep -q "sync: sim: 0 new events stored ($N rows read)" "$dir/a2.out" ||
  fail "a re-read counts its duplicates as stored: $(cat "$dir/a2.out")"
echo "ok: a re-read of $N rows says 0 new events stored"
# credentials in a URL: sent, never shown; the command line warns they are in the process list
"$tt" sync --db "$dir/cred.db" --gateway "sim=http://admin:Pw-s3cret@127.0.0.1:$P1/" --once \
  > "$dir/cred.out" 2>&1 || fail "sync with credentials in the URL: $(cat "$dir/cred.out")"
grep -q "Pw-s3cret" "$dir/cred.out" "$dir/cred.db" && fail "the password was shown: $(cat "$dir/cred.out")"
grep -q "the URL carries credentials, which every user of this machine can read" "$dir/cred.out" ||
  fail "no process-list warning: $(cat "$dir/cred.out")"
"$tt" sync --db "$dir/cred.db" --gateway "sim=http://admin:Pw-s3cret@127.0.0.1:1/" --once \
  > "$dir/cred2.out" 2>&1
grep -q "Pw-s3cret" "$dir/cred2.out" && fail "a failing source shows the password: $(cat "$dir/cred2.out")"
grep -q "http://127.0.0.1:1" "$dir/cred2.out" || fail "the failing URL is not named: $(cat "$dir/cred2.out")"
echo "ok: a password in a URL is sent, never printed or stored"

# 2. killed ten times at random moments, resumed: still exact
mid=0
for k in 1 2 3 4 5 6 7 8 9 10; do
  "$tt" sync --db "$dir/k.db" --gateway sim=http://127.0.0.1:$P1 --page-limit 50 --once \
    > /dev/null 2>&1 &
  p=$!
  # kill once this run has stored something (a loaded machine may take a while to start),
  # a little after, so the kills land at different points of a page
  before=$(db_count "$dir/k.db")
  i=0
  while [ "$(db_count "$dir/k.db")" = "$before" ] && kill -0 $p 2>/dev/null && [ $i -lt 400 ]; do
    sleep 0.02; i=$((i + 1))
  done
  sleep "0.0$(( (k * 37) % 9 + 1 ))"
  kill -9 $p 2>/dev/null
  wait $p 2>/dev/null
  c=$(db_count "$dir/k.db")
  echo "kill $k: $c events stored"
  if [ "$c" -gt 0 ] && [ "$c" -lt $N ]; then mid=1; fi
done
[ $mid -eq 1 ] || fail "no kill landed in the middle of a sync"
"$tt" sync --db "$dir/k.db" --gateway sim=http://127.0.0.1:$P1 --once > "$dir/k.out" 2>&1 \
  || fail "resume failed: $(cat "$dir/k.out")"
[ "$(db_count "$dir/k.db")" = "$N" ] || fail "after kills and resume: $(db_count "$dir/k.db") events"
[ "$(db_cost "$dir/k.db")" = "$want_cost" ] || fail "after kills and resume: cost $(db_cost "$dir/k.db")"
echo "ok: ten SIGKILLs, resumed, exact"

# 3. transport faults: 500s, cut-off answers, dropped connections; retried until exact
start_sim faulty --faults 5xx=0.1,truncate=0.05,drop=0.05
P2=$PORT
wait_backfill $P2
ok=0
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if "$tt" sync --db "$dir/f.db" --gateway sim=http://127.0.0.1:$P2 --once > "$dir/f.out" 2>&1; then
    ok=1; break
  fi
done
[ $ok -eq 1 ] || fail "sync never completed against the faulty gateway: $(tail -3 "$dir/f.out")"
[ "$(db_count "$dir/f.db")" = "$N" ] || fail "with faults: $(db_count "$dir/f.db") events"
[ "$(db_cost "$dir/f.db")" = "$(stat_of "$P2" cost_nanos)" ] || fail "with faults: cost differs"
echo "ok: through faults, exact"

# 3b. another process holds the write lock longer than a write waits: the page is fetched
# again once it lets go; still exact
"$tt" ingest --quiet --db "$dir/l.db" /dev/null || fail "could not create l.db"
python3 -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('BEGIN IMMEDIATE')
open(sys.argv[2], 'w').close()
time.sleep(7)
c.execute('ROLLBACK')
" "$dir/l.db" "$dir/locked" &
lockpid=$!
i=0; while [ ! -e "$dir/locked" ]; do sleep 0.1; i=$((i + 1)); [ $i -lt 100 ] || fail "no lock"; done
"$tt" sync --db "$dir/l.db" --gateway sim=http://127.0.0.1:$P1 --once > "$dir/l.out" 2>&1 \
  || fail "sync under a held lock failed: $(cat "$dir/l.out")"
wait $lockpid
[ "$(db_count "$dir/l.db")" = "$N" ] || fail "under a held lock: $(db_count "$dir/l.db") events"
[ "$(db_cost "$dir/l.db")" = "$want_cost" ] || fail "under a held lock: cost differs"
echo "ok: a write lock held by another process: waited out, exact"

# 4. a wrong token is a clear error; the right one works
echo "s3cret-token" > "$dir/token" && chmod 600 "$dir/token"
echo "wrong-token" > "$dir/wrong" && chmod 600 "$dir/wrong"
start_sim authed --token-file "$dir/token"
P3=$PORT
wait_backfill $P3 -H "Authorization: Bearer s3cret-token"
"$tt" sync --db "$dir/t.db" --gateway sim=http://127.0.0.1:$P3 --token-file "$dir/wrong" --once \
  > "$dir/t.out" 2>&1 && fail "a wrong token did not fail"
grep -q "refused the token" "$dir/t.out" || fail "no clear message: $(cat "$dir/t.out")"
grep -q "wrong-token" "$dir/t.out" && fail "the token was printed"
"$tt" sync --db "$dir/t.db" --gateway sim=http://127.0.0.1:$P3 --token-file "$dir/token" --once \
  > "$dir/t2.out" 2>&1 || fail "the right token failed: $(cat "$dir/t2.out")"
[ "$(db_count "$dir/t.db")" = "$N" ] || fail "with the token: $(db_count "$dir/t.db") events"
echo "ok: wrong token refused with a clear message, right token exact"
cp "$dir/token" "$dir/open" && chmod 644 "$dir/open"
"$tt" sync --db "$dir/t.db" --gateway sim=http://127.0.0.1:$P3 --token-file "$dir/open" --once \
  > "$dir/t3.out" 2>&1 && fail "a token file others can read was used"
grep -q "the token file can be read or written by others (mode 0644); run: chmod 600 $dir/open" \
  "$dir/t3.out" || fail "no chmod advice: $(cat "$dir/t3.out")"
echo "ok: a token file others can read is refused with the chmod to run"

# 5. scrape the simulator's vLLM metrics into the inference view
"$tt" sync --db "$dir/a.db" --scrape vllm=http://127.0.0.1:$P1/metrics,vllm --once > /dev/null 2>&1 \
  || fail "scrape failed"
"$tt" report --db "$dir/a.db" --view inference --format json > "$dir/inf.json" 2>&1 || fail "report --view inference failed: $(cat "$dir/inf.json")"
grep -q '"model_name"' "$dir/inf.json" || fail "no servers in the inference view"
grep -q '"kv_cache_usage"' "$dir/inf.json" || fail "no kv cache usage"
echo "ok: scraped the simulator's vLLM metrics into the inference view"

# 5b. a scrape cut in transit is a failed scrape: not stored, the source degraded with the reason
start_sim cut --faults truncate=1 --rate 5 --history 60s
"$tt" sync --db "$dir/cut.db" --scrape vllm=http://127.0.0.1:$PORT/metrics,vllm --once \
  > "$dir/cut.out" 2>&1 && fail "a cut scrape was reported good: $(cat "$dir/cut.out")"
grep -q "vllm: degraded: .*scrape not whole (cut mid-line: line [0-9]* has no newline); not stored" \
  "$dir/cut.out" || fail "the cut is not named: $(cat "$dir/cut.out")"
n=$(sqlite3 "$dir/cut.db" "SELECT count(*) FROM inference_samples" 2>/dev/null || echo 0)
[ "$n" = 0 ] || fail "a cut scrape stored $n samples"
echo "ok: a scrape cut mid-line is not stored and the source says why"

# 6. sources from the configuration file; its mistakes named by file and line
cat > "$dir/tokentop.ini" <<INI
; sources for the test
[gateway authed]
url = http://127.0.0.1:$P3
dialect = tokentop
token_file = $dir/token
poll = 1s
production = yes

[scrape vllm]
url = http://127.0.0.1:$P1/metrics
kind = vllm
interval = 1s
INI
"$tt" sync --db "$dir/c.db" --config "$dir/tokentop.ini" --once > "$dir/c.out" 2>&1 \
  || fail "sync from the config failed: $(cat "$dir/c.out")"
[ "$(db_count "$dir/c.db")" = "$N" ] || fail "config sync: $(db_count "$dir/c.db") events"
grep -q "vllm: ok" "$dir/c.out" || fail "config scrape did not report ok: $(cat "$dir/c.out")"
printf '[gateway bad]\nurl = http://127.0.0.1:1\npoll = soon\n' > "$dir/bad.ini"
"$tt" sync --db "$dir/c.db" --config "$dir/bad.ini" --once > "$dir/bad.out" 2>&1 && fail "a bad config was accepted"
grep -q "bad.ini:3" "$dir/bad.out" || fail "the bad line is not named: $(cat "$dir/bad.out")"
grep -q "poll" "$dir/bad.out" || fail "the bad key is not named: $(cat "$dir/bad.out")"
echo "ok: sources from the config file; a bad value named by file, line and key"
