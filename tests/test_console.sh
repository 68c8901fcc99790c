#!/bin/sh
# The console in a real terminal (tmux): screens, help, resize, NO_COLOR, quitting restores;
# the colours each terminal type gets (256, 88, 16, 8, none) and the mouse (tabs, sort, rows,
# wheel) through SGR mouse reports; PRODUCTION and every source down; a crash and SIGTERM
# hand the terminal back; the range and theme from the palette and the command line; the
# row keys on a table longer than the screen.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$(pwd)/$BUILD/tokentop"
dir=$(mktemp -d)
sock="tokentop-console-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$dir"; }
base=$sock
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- screen:"; tmux -L "$sock" capture-pane -p 2>/dev/null; exit 1; }
screen() { tmux -L "$sock" capture-pane -p; }
# wait_for TEXT [SECONDS]: up to SECONDS (20) for TEXT on the screen; generous for loaded
# machines and sanitizer builds, it costs nothing when the text comes at once
wait_for() {
  i=0; n=$(( ${2:-20} * 10 ))
  while ! screen | grep -q -- "$1"; do
    sleep 0.1; i=$((i + 1)); [ $i -lt $n ] || fail "never saw '$1'"
  done
}
# braille: a braille cell with a dot (U+2801..U+28FF, UTF-8 E2 A0..A3 xx) is on the screen
braille() { screen | LC_ALL=C grep -q "$(printf '\342[\240\241\242\243]')"; }

start=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
"$tt" gen --events 20000 --seed 2 --days 1 --start "$start" > "$dir/ev.jsonl"
# a dozen more tenants in the last minutes: Spend by tenant is longer than an 80x24 screen
tail -n 12 "$dir/ev.jsonl" |
  awk '{ sub(/"tenant":"[^"]*"/, "\"tenant\":\"extra-" NR "\""); sub(/"request_id":"r-/, "\"request_id\":\"x-"); print }' \
  >> "$dir/ev.jsonl"
"$tt" ingest --quiet --db "$dir/c.db" "$dir/ev.jsonl" || fail "ingest"

# run_console ENV...: a fresh 120x40 console, on a new tmux server, with $conf (the fixture
# unless set) and $targs after the command; the terminal's modes before and after are kept
conf="$TT_SRCDIR/fixtures/tokentop.ini"
targs=""
run_console() {
  tmux -L "$sock" kill-server 2>/dev/null
  sock="$sock-x"
  rm -f "$dir/stty.before" "$dir/stty.after"
  tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
    "cd '$TT_SRCDIR' && stty -g > '$dir/stty.before'; env $* '$tt' --db '$dir/c.db' --config '$conf' $targs; echo EXIT=\$?; stty -g > '$dir/stty.after'; sleep 30"
}
# run_tt ARGS...: a fresh 120x40 console with those arguments, on a new tmux server
run_tt() {
  tmux -L "$sock" kill-server 2>/dev/null
  sock="$sock-r"
  tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
    "cd '$TT_SRCDIR' && '$tt' $*; echo EXIT=\$?; sleep 30"
}
esc=$(printf '\033')
# escapes LINES: the SGR escapes of the first LINES screen lines, without the text
escapes() { tmux -L "$sock" capture-pane -p -e | head -n "$1" | grep -o "$esc\[[0-9;:]*m" | tr -d '\n'; }

run_console TERM=xterm-256color
wait_for "Spend now"
escapes 1 > "$dir/hdr.plain"
escapes 2 > "$dir/top.dark"
screen | grep -q "1 Overview" || fail "no tabs"
screen | grep -q "Month to date" || fail "no month to date"
screen | grep -q '\$[0-9]' || fail "no money on the Overview"
echo "ok: the Overview shows spend"
wait_for "Spend \$/min"
braille || fail "no braille chart of the last hour at 120x40"
echo "ok: the Overview charts the last hour in braille at 120x40"

tmux -L "$sock" send-keys '?'
wait_for "Keys (also as :commands"
for a in quit help next overview spend prompts routing providers inference slos budgets alerts review checklist controls audit incident note range \
         down up sort reverse filter open back palette theme refresh; do
  screen | grep -q " $a " || fail "help does not list $a"
done
tmux -L "$sock" send-keys Escape
echo "ok: the help overlay lists every bound action"

tmux -L "$sock" send-keys '2'
wait_for "by use case"
wait_for "cost/success"
tmux -L "$sock" send-keys '3'
wait_for "cost/outcome"
# the trend: a sparkline of the range and the change, e.g. "▃▅▇█▆ +12%"
wait_for " trend"
wait_for "[▁▂▃▄▅▆▇█][▁▂▃▄▅▆▇█]* \([+-][0-9][0-9]*%\|new\|x[0-9][0-9]*\|-\)"
echo "ok: the Prompts screen shows each prompt's trend at 120x40"
tmux -L "$sock" send-keys '4'
wait_for "traffic share"
wait_for "no gateway reports its routes: config unknown"
tmux -L "$sock" send-keys '5'
wait_for "provider / model"
wait_for "openai"
tmux -L "$sock" send-keys '6'
wait_for "no inference servers scraped"
tmux -L "$sock" send-keys '7'
wait_for "support-availability"
tmux -L "$sock" send-keys '8'
wait_for "platform-weekly"
tmux -L "$sock" send-keys '9'
wait_for "baseline"
tmux -L "$sock" send-keys 'w'
wait_for "Week 20[0-9][0-9]-W[0-9]"
wait_for "spend by use case"
tmux -L "$sock" send-keys 'd'
wait_for "spend by team"
tmux -L "$sock" send-keys ':' 'c' 'h' 'e' 'c' 'k' 'l' 'i' 's' 't' ' ' 's' 'u' 'p' 'p' 'o' 'r' 't' '-' 'b' 'o' 't' Enter
wait_for "Launch readiness of support-bot"
wait_for "Prompt templates versioned"
screen | grep -q "pass .*carry a prompt version" || fail "the prompt-version item does not pass"
screen | grep -q "pending .*sign it with" || fail "sign-off items are not pending"
tmux -L "$sock" send-keys 'c'
wait_for "gateway  *id  *kind"
tmux -L "$sock" send-keys '0'
wait_for "no audit records yet"
tmux -L "$sock" send-keys Tab
wait_for "Spend now"
tmux -L "$sock" send-keys 't'
wait_for "range 6h"
echo "ok: every screen, Tab and the range key"

# Spend: drill down use case -> prompts -> versions, and back
tmux -L "$sock" send-keys '2' 'g'
wait_for "by use case"
first=$(screen | grep '^▶' | awk '{print $1}' | sed 's/^▶//')
[ -n "$first" ] || fail "no selected row on Spend"
tmux -L "$sock" send-keys Enter
wait_for "by use case > $first > prompts"
tmux -L "$sock" send-keys Enter
wait_for "> versions"
tmux -L "$sock" send-keys Escape Escape
wait_for "by use case  "
tmux -L "$sock" send-keys 'd'
wait_for "by team"
echo "ok: drill down into $first and back; breakdowns cycle"

# filter narrows and Esc clears; sort by a named column through the palette
tmux -L "$sock" send-keys '3' '/' 'r' 'e' 'v' 'i' 'e' 'w' Enter
wait_for "filter: review"
screen | grep -q "describe-product" && fail "the filter left rows that do not match"
screen | grep -q "review-pr" || fail "the filter hid the matching rows"
tmux -L "$sock" send-keys Escape
sleep 0.3
screen | grep -q "filter: review" && fail "Esc did not clear the filter"
tmux -L "$sock" send-keys ':' 's' 'o' 'r' 't' ' ' 'r' 'e' 'q' Tab Enter
wait_for "requests▼"
# the sorted column really is in descending order
screen | awk 'NR > 4 && $4 ~ /^[0-9]+$/ {print $4}' | head -8 > "$dir/req"
sort -rn "$dir/req" | cmp -s - "$dir/req" || { cat "$dir/req"; fail "requests are not in descending order"; }
tmux -L "$sock" send-keys 'S'
wait_for "requests▲"
echo "ok: filter and sort (palette completion, key reverse)"

# j/k and G move the selection; the footer shows where
tmux -L "$sock" send-keys 'g' 'j' 'j'
wait_for " 3/"
tmux -L "$sock" send-keys 'k'
wait_for " 2/"
echo "ok: row movement"

# palette: a screen by name, history recall, an unknown command is named
tmux -L "$sock" send-keys ':' 'a' 'l' 'e' 'r' 't' 's' Enter
wait_for "baseline"
tmux -L "$sock" send-keys ':' 'n' 'o' 's' 'u' 'c' 'h' Enter
wait_for "no command 'nosuch'"
tmux -L "$sock" send-keys ':' Up Up Enter
wait_for "baseline"
tmux -L "$sock" send-keys ':' 't' 'h' 'e' 'm' 'e' ' ' 'm' 'o' 'n' 'o' Enter
wait_for "theme mono"
echo "ok: palette commands, history, theme switch"
tmux -L "$sock" send-keys '1'

tmux -L "$sock" resize-window -x 80 -y 24
wait_for "Spend now"
wait_for "Spend now  *\$[0-9.,]*/min  *last minute  *5m mean \$[0-9.,]*/min"
wait_for "Last hour  *[▁▂▃▄▅▆▇█]\{60\}"
screen | grep -q 'Spend \$/min' && fail "the braille chart is drawn at 80x24"
screen | grep -q "Alerts (" || fail "no alerts at 80x24"
tmux -L "$sock" resize-window -x 60 -y 20
wait_for "needs at least 80x24"
tmux -L "$sock" resize-window -x 120 -y 40
wait_for "Spend now"
echo "ok: resize 120x40 -> 80x24 -> 60x20 -> back"

tmux -L "$sock" send-keys 'q'
wait_for "EXIT=0"
screen | grep -q "Spend now" && fail "the console is still on screen after quitting"
echo "ok: q quits and restores the terminal"

run_console TERM=xterm-256color NO_COLOR=1 LANG=C LC_ALL=C
wait_for "Spend now"
wait_for "Spend \$/min"
braille && fail "braille in the C locale"
screen | grep -q '^  \$0\.00  *[.:|#]' || fail "no ASCII chart in the C locale"
echo "ok: in the C locale the Overview's chart is ASCII"
# a colour is SGR 30-38, 40-48, 90-97 or 100-107; 39 and 49 (the defaults) are not colours
if tmux -L "$sock" capture-pane -p -e |
   grep -Eq "$esc\[([0-9]*;)*(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9]*)*m"; then
  fail "NO_COLOR output has colour escapes"
fi
tmux -L "$sock" send-keys C-c
wait_for "EXIT=0"
echo "ok: NO_COLOR has no colours; SIGINT quits cleanly"

# ---- a live source's refused and odd rows are said beside it on the Overview ----
python3 "$TT_SRCDIR/tests/litellm_stub.py" > "$dir/stub.out" 2>&1 &
stub=$!
i=0
while ! grep -q '^port:' "$dir/stub.out"; do
  sleep 0.1; i=$((i + 1)); [ $i -lt 100 ] || fail "the LiteLLM stub did not start"
done
sport=$(sed -n 's/^port://p' "$dir/stub.out")
cp "$TT_SRCDIR/fixtures/tokentop.ini" "$dir/lite.ini"
printf '\n[gateway lite]\nurl = http://127.0.0.1:%s\ndialect = litellm\n' "$sport" >> "$dir/lite.ini"
conf="$dir/lite.ini"
cp "$dir/c.db" "$dir/c.db.keep" # its rows stay out of the tests below
run_console TERM=xterm-256color
wait_for "Spend now"
wait_for "1 rows refused, 1 kept odd"
screen | grep "lite " | grep -q "1 rows refused, 1 kept odd" ||
  { screen; fail "the counts are not on the source's line"; }
tmux -L "$sock" send-keys 'q'
wait_for "EXIT=0"
kill "$stub" 2>/dev/null
rm -f "$dir/c.db-wal" "$dir/c.db-shm"
mv "$dir/c.db.keep" "$dir/c.db"
conf="$TT_SRCDIR/fixtures/tokentop.ini"
echo "ok: the Overview says a source's refused and odd rows beside it"

# ---- every source down, on a production gateway: the header says both, from the first frame ----
cp "$TT_SRCDIR/fixtures/tokentop.ini" "$dir/prod.ini"
printf '\n[gateway down]\nurl = http://127.0.0.1:1\nproduction = yes\n' >> "$dir/prod.ini"
conf="$dir/prod.ini"
run_console TERM=xterm-256color
# the first capture with the whole title line (ncurses writes a line left to right, the
# sources' state last): PRODUCTION is on it, before anything was read
i=0
while :; do
  screen > "$dir/first"
  head -n 1 "$dir/first" | grep -Eq "^ tokentop .*(starting|SOURCES DOWN|cache only)" && break
  sleep 0.02; i=$((i + 1)); [ $i -lt 1000 ] || fail "never saw the title line"
done
head -n 1 "$dir/first" | grep -q "PRODUCTION" || { cat "$dir/first"; fail "the first frame does not say PRODUCTION"; }
wait_for "ALL SOURCES DOWN: showing the cache" 60
screen | head -n 1 | grep -q "PRODUCTION" || fail "no PRODUCTION beside ALL SOURCES DOWN"
escapes 1 > "$dir/hdr.prod"
[ -s "$dir/hdr.prod" ] || fail "no escapes on the header"
cmp -s "$dir/hdr.plain" "$dir/hdr.prod" && fail "the production header looks like the normal one"
echo "ok: ALL SOURCES DOWN and PRODUCTION in the header, PRODUCTION from the first frame, in its own colour"
tmux -L "$sock" resize-window -x 60 -y 20
wait_for "needs at least 80x24"
screen | grep -q "PRODUCTION" || fail "the too-small message does not say PRODUCTION"
tmux -L "$sock" resize-window -x 120 -y 40
wait_for "Spend now"
tmux -L "$sock" send-keys 'q'
wait_for "EXIT=0"
conf="$TT_SRCDIR/fixtures/tokentop.ini"
echo "ok: at 60x20 the console still says PRODUCTION"

# ---- a crash and SIGTERM hand the terminal back ----
# console_pid: the console under the pane's shell (env execs it) into $pid
console_pid() {
  pp=$(tmux -L "$sock" list-panes -F '#{pane_pid}')
  i=0; pid=""
  while [ -z "$pid" ]; do
    pid=$(pgrep -P "$pp" | head -n 1)
    [ -n "$pid" ] && break
    sleep 0.1; i=$((i + 1)); [ $i -lt 200 ] || fail "no console process under the pane"
  done
}
# restored: the console's screen is gone, the modes are the ones before it, typing echoes
restored() {
  screen | grep -q "1 Overview" && fail "$1: the console is still on screen"
  i=0
  while [ ! -s "$dir/stty.after" ]; do
    sleep 0.1; i=$((i + 1)); [ $i -lt 200 ] || fail "$1: no terminal modes after the exit"
  done
  cmp -s "$dir/stty.before" "$dir/stty.after" ||
    fail "$1: terminal modes not restored: $(cat "$dir/stty.before") -> $(cat "$dir/stty.after")"
  tmux -L "$sock" send-keys -l "typed-after-$1"
  wait_for "typed-after-$1"
}
# the console's own handler is what is tested, whatever a sanitizer build's defaults for SIGSEGV
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0" run_console TERM=xterm-256color
wait_for "Spend now"
wait_for "Month to date"
console_pid
kill -SEGV "$pid"
wait_for "EXIT=139"
restored segv
echo "ok: a crash (SIGSEGV) exits 139 and restores the terminal"
run_console TERM=xterm-256color
wait_for "Spend now"
wait_for "Month to date"
console_pid
kill -TERM "$pid"
wait_for "EXIT=0"
restored term
echo "ok: SIGTERM exits 0 and restores the terminal"
for sig in HUP QUIT USR1; do
  run_console TERM=xterm-256color
  wait_for "Spend now"
  console_pid
  kill -$sig "$pid"
  wait_for "EXIT=0"
  restored "$sig"
done
echo "ok: SIGHUP, SIGQUIT and SIGUSR1 exit 0 and restore the terminal"

# Ctrl-Z hands the terminal back while stopped; SIGCONT takes it again and redraws
run_console TERM=xterm-256color
wait_for "Spend now"
console_pid
pane_pid=$(tmux -L "$sock" list-panes -F '#{pane_pid}')
tmux -L "$sock" send-keys C-z
# The keystroke becomes SIGTSTP in the terminal's line discipline, outside tokentop; under a
# loaded sanitizer run it was once not seen to stop the console. Say what the process looked
# like, then send SIGTSTP itself: the handler is what this test is about.
i=0
while [ "$(ps -o stat= -p "$pid" | cut -c1)" != T ]; do
  sleep 0.1; i=$((i + 1))
  if [ $i -eq 100 ]; then
    echo "note: Ctrl-Z did not stop the console in 10 s; its state:"
    ps -o pid,pgid,tpgid,stat,wchan:20 -p "$pid"
    grep -E '^(State|SigBlk|SigIgn|SigCgt|SigPnd|ShdPnd)' "/proc/$pid/status"
    kill -TSTP "$pid"
  fi
  [ $i -lt 200 ] || fail "neither Ctrl-Z nor SIGTSTP stopped the console"
done
i=0
while screen | grep -q "Spend now"; do
  sleep 0.1; i=$((i + 1)); [ $i -lt 100 ] || fail "the console kept the screen while stopped"
done
kill -CONT "$pane_pid" "$pid"
wait_for "Spend now"
tmux -L "$sock" send-keys q
wait_for "EXIT=0"
restored suspend
echo "ok: Ctrl-Z gives the terminal back, SIGCONT redraws, q still restores it"

# ---- the range from the palette; a theme from the command line; an unknown theme ----
targs="--theme light"
run_console TERM=xterm-256color
wait_for "Spend now"
wait_for "Month to date"
screen | head -n 1 | grep -q "range 1h" || fail "the range is not 1h at start"
escapes 2 > "$dir/top.light"
[ -s "$dir/top.light" ] || fail "no escapes with --theme light"
cmp -s "$dir/top.dark" "$dir/top.light" && fail "--theme light draws as the default theme"
echo "ok: --theme light changes the colours"
tmux -L "$sock" send-keys ':' 'r' 'a' 'n' 'g' 'e' ' ' '6' 'h' Enter
wait_for "UTC  range 6h "
echo "ok: :range 6h changes the header's range"
tmux -L "$sock" send-keys ':' 't' 'h' 'e' 'm' 'e' ' ' 'n' 'o' 's' 'u' 'c' 'h' Enter
wait_for "no theme 'nosuch'"
tmux -L "$sock" send-keys 'q'
wait_for "EXIT=0"
targs="--theme nosuch 2> '$dir/theme.err'"
run_console TERM=xterm-256color
wait_for "EXIT=1"
targs=""
grep -q "no theme 'nosuch'" "$dir/theme.err" || { cat "$dir/theme.err"; fail "the error does not name the theme"; }
grep -q "available: colorblind, dark, high-contrast, light, mono" "$dir/theme.err" ||
  { cat "$dir/theme.err"; fail "the error does not list the themes"; }
echo "ok: an unknown theme is named and the themes listed ($(cat "$dir/theme.err"))"

# ---- row keys on a table longer than an 80x24 screen; Shift-Tab ----
run_console TERM=xterm-256color
wait_for "Spend now"
tmux -L "$sock" resize-window -x 80 -y 24
tmux -L "$sock" send-keys '2' ':' 'b' 'y' ' ' 't' 'e' 'n' 'a' 'n' 't' Enter
wait_for "by tenant"
wait_for "extra-"
wait_for "^▶"
# marker: the screen line of the selection marker; pos: the footer's N of N/M
marker() { screen | grep -n '^▶' | cut -d: -f1; }
pos() { screen | tail -n 1 | grep -o '[0-9]*/[0-9]*$'; }
tmux -L "$sock" send-keys 'g'
wait_for " 1/[0-9]*$"
total=$(pos); total=${total#*/}
[ "$total" -gt 16 ] || fail "only $total tenants: the table fits the screen"
top=$(marker)
first=$(screen | sed -n "${top}p" | awk '{print $1}' | sed 's/^▶//')
tmux -L "$sock" send-keys Down Down
wait_for " 3/$total$"
[ "$(marker)" -eq $((top + 2)) ] || fail "Down Down: the marker is on line $(marker), not $((top + 2))"
tmux -L "$sock" send-keys Up
wait_for " 2/$total$"
[ "$(marker)" -eq $((top + 1)) ] || fail "Up: the marker is on line $(marker), not $((top + 1))"
echo "ok: Down and Up move the selection"
tmux -L "$sock" send-keys NPage
i=0
while p=$(pos); [ "${p%/*}" -le 2 ]; do
  sleep 0.1; i=$((i + 1)); [ $i -lt 200 ] || fail "PgDn did not move the selection"
done
down=${p%/*}
tmux -L "$sock" send-keys PPage
i=0
while p=$(pos); [ "${p%/*}" -ge "$down" ]; do
  sleep 0.1; i=$((i + 1)); [ $i -lt 200 ] || fail "PgUp did not move the selection back"
done
echo "ok: PgDn to row $down, PgUp back to row ${p%/*}"
tmux -L "$sock" send-keys 'G'
wait_for " $total/$total$"
[ -n "$(marker)" ] || fail "G: the selected row is not on screen"
screen | sed -n "${top}p" | grep -q "^ *$first " && fail "G: the table did not scroll"
tmux -L "$sock" send-keys 'g'
wait_for " 1/$total$"
[ "$(marker)" -eq "$top" ] || fail "g: the marker is on line $(marker), not $top"
screen | sed -n "${top}p" | grep -q "^▶$first " || fail "g: the first row is not $first"
echo "ok: G and g go to the last and first of $total rows"
tmux -L "$sock" send-keys BTab
wait_for "Spend now"
tmux -L "$sock" send-keys BTab
wait_for "no audit records yet"
tmux -L "$sock" send-keys 'q'
wait_for "EXIT=0"
echo "ok: Shift-Tab goes to the previous screen (and from the first to the last)"

# --present: tenants behind stable aliases, the real names nowhere on screen
run_tt --db "'$dir/c.db'" --present
wait_for "Spend now"
tmux -L "$sock" send-keys '2' ':' 'b' 'y' ' ' 't' 'e' 'n' 'a' 'n' 't' Enter
wait_for "by tenant"
wait_for "tenant-[0-9a-f]\{6\}"
screen | grep -q "PRESENT" || fail "the header does not say presentation mode"
for t in $(sqlite3 "$dir/c.db" "select distinct tenant from dims where tenant <> ''"); do
  screen | grep -qw -- "$t" && fail "tenant '$t' shown in presentation mode"
done
# a runbook action on a tenant's row names the tenant by its alias too
tmux -L "$sock" send-keys 'K'
wait_for "kill-switch  tenant=tenant-[0-9a-f]\{6\}"
for t in $(sqlite3 "$dir/c.db" "select distinct tenant from dims where tenant <> ''"); do
  screen | grep -qw -- "$t" && fail "tenant '$t' shown in the action panel in presentation mode"
done
tmux -L "$sock" send-keys Escape
tmux -L "$sock" send-keys 'q'
wait_for "EXIT=0"
echo "ok: --present aliases tenants, in the tables and the action panel"

# ---- the Alerts screen lists SLOs burning their budget first; Enter opens the SLO ----
printf '[slo strict]\nuse_case = *\nsli = availability\nobjective = 99.99\nbad = timeout,rate_limited,server_error\n' >"$dir/strict.ini"
run_tt --db "'$dir/c.db'" --config "'$dir/strict.ini'"
wait_for "Spend now"
tmux -L "$sock" send-keys '9'
wait_for "page *slo burn 1h *slo=strict"
tmux -L "$sock" send-keys 'g' Enter
wait_for "burn rate per window"
screen | grep -q "strict" || fail "Enter on an SLO alert did not open its SLO"
tmux -L "$sock" send-keys 'q'
wait_for "EXIT=0"
echo "ok: the Alerts screen lists a paging SLO first; Enter opens the SLOs screen"

# ---- stale data: its age in the header, on every screen ----
old=$(date -u -d '-1 day -3 hours' +%Y-%m-%dT%H:%M:%SZ)
"$tt" gen --events 2000 --seed 4 --days 1 --start "$old" > "$dir/old.jsonl"
"$tt" ingest --quiet --db "$dir/old.db" "$dir/old.jsonl" || fail "ingest old"
run_tt --db "'$dir/old.db'" --config "'$TT_SRCDIR/fixtures/tokentop.ini'"
wait_for "data [0-9]*[mh] old"
tmux -L "$sock" send-keys '5'
wait_for "provider / model"
screen | head -n 1 | grep -q "data [0-9]*[mh] old" || fail "the data's age is not in the header on the Providers screen"
tmux -L "$sock" send-keys 'q'
wait_for "EXIT=0"
echo "ok: stale data: its age in the header on every screen"

# ---- terminal types: each draws, with the colours its terminfo entry allows ----
# xterm-88color and xterm-16color come with ncurses-term, which may be absent: compile the
# missing ones into a private terminfo directory from xterm-256color with fewer colours
# (its setaf writes 3N, 9N or 38;5;N by the colour number, as the real entries do).
mkdir -p "$dir/terminfo"
for spec in xterm-88color:88:7744 xterm-16color:16:256; do
  name=${spec%%:*}; rest=${spec#*:}
  infocmp "$name" > /dev/null 2>&1 && continue
  printf '%s|xterm with %s colors,\n\tcolors#%s, pairs#%s, use=xterm-256color,\n' \
    "$name" "${rest%%:*}" "${rest%%:*}" "${rest#*:}" > "$dir/$name.src"
  tic -x -o "$dir/terminfo" "$dir/$name.src" 2> "$dir/tic.err" || { cat "$dir/tic.err"; fail "tic $name"; }
done
mono=vt100
infocmp "$mono" > /dev/null 2>&1 || fail "no terminfo entry for $mono"

run_term() { # run_term TERM: a fresh 120x40 console on a new tmux server with that TERM
  tmux -L "$sock" kill-server 2>/dev/null
  sock="$sock-t"
  ti=""
  [ -e "$dir/terminfo/${1%"${1#?}"}/$1" ] && ti="TERMINFO='$dir/terminfo'"
  rm -f "$dir/term"
  tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
    "cd '$TT_SRCDIR' && env -u NO_COLOR -u COLORTERM TERM='$1' $ti sh -c 'echo \"\$TERM \$(tput colors 2>/dev/null)\" > \"$dir/term\"; exec \"$tt\" --db \"$dir/c.db\"'; echo EXIT=\$?; sleep 30"
}

# colours_ok DEPTH: what tmux recorded for the pane (capture-pane -e) fits DEPTH colours
colours_ok() {
  tmux -L "$sock" capture-pane -p -e > "$dir/colours"
  python3 - "$1" "$dir/colours" <<'PY'
import re, sys
depth, text = int(sys.argv[1]), open(sys.argv[2], encoding="utf-8", errors="replace").read()
basic, indexed, rgb = set(), set(), 0  # basic: 0-15 from 3N/4N/9N/10N; indexed: 38;5;N / 48;5;N
for seq in re.findall(r"\x1b\[([0-9;:]*)m", text):
    p = [int(x) if x.isdigit() else 0 for x in re.split("[;:]", seq)]
    i = 0
    while i < len(p):
        v = p[i]
        if v in (38, 48) and i + 2 < len(p) and p[i + 1] == 5:
            indexed.add(p[i + 2]); i += 3; continue
        if v in (38, 48) and i + 1 < len(p) and p[i + 1] == 2:
            rgb += 1; i += 5; continue
        if 30 <= v <= 37 or 40 <= v <= 47:
            basic.add(v % 10)
        elif 90 <= v <= 97 or 100 <= v <= 107:
            basic.add(v % 10 + 8)
        i += 1
allc = basic | indexed
def bad(msg):
    print(f"{depth} colours: {msg}; basic {sorted(basic)}, indexed {sorted(indexed)}, rgb {rgb}")
    sys.exit(1)
if rgb:
    bad("direct RGB colours")
if depth == 0:
    if allc: bad("colours on a monochrome terminal")
    print("no colours")
    sys.exit(0)
if not allc:
    bad("no colour at all")
if depth <= 16 and indexed:
    bad("256-colour escapes (38;5;N) where only 3N/9N exist")
if depth == 8 and any(c >= 8 for c in basic):
    bad("bright colours (9N/10N) on an 8-colour terminal")
if depth == 88 and (any(c >= 88 for c in indexed) or not any(c >= 16 for c in indexed)):
    bad("indexed colours outside 16..87")
if depth == 256 and not any(c >= 16 for c in indexed):
    bad("no colour beyond the first 16")
print(f"{depth} colours: {len(allc)} distinct")
PY
}

for spec in xterm-256color:256 xterm-88color:88 xterm-16color:16 xterm:8 $mono:0; do
  t=${spec%%:*}; depth=${spec#*:}
  run_term "$t"
  wait_for "Spend now"
  wait_for "Month to date"
  screen | grep -q "1 Overview" || fail "$t: no tabs"
  screen | grep -q "^ tokentop " || fail "$t: no title"
  read -r seen colours < "$dir/term" || fail "$t: the pane did not say its TERM"
  [ "$seen" = "$t" ] || fail "the pane's TERM is $seen, not $t"
  [ "${colours:--1}" -eq "$depth" ] || [ "$depth" -eq 0 ] || fail "$t: tput says ${colours:-?} colours"
  # the data has arrived when the table screens have rows: draw one, then look at colours
  tmux -L "$sock" send-keys '2'
  wait_for "by use case"
  out=$(colours_ok "$depth") || { echo "$out"; fail "$t: colours"; }
  tmux -L "$sock" send-keys 'q'
  wait_for "EXIT=0"
  echo "ok: TERM=$t draws; $out"
done

# ---- the mouse: SGR reports (what xterm sends with mode 1006) written into the pane ----
# tmux passes literal input to the application when its own mouse option is off (the default
# with -f /dev/null); the console asks ncurses for the mouse, which decodes the reports.
run_term xterm-256color
[ "$(tmux -L "$sock" show -gv mouse)" = off ] || fail "tmux has the mouse"
wait_for "Spend now"
# col_of LINE TEXT: the 1-based column of TEXT on screen line LINE (characters, not bytes)
col_of() {
  screen | python3 -c 'import sys
l = sys.stdin.read().split("\n")[int(sys.argv[1]) - 1]
i = l.find(sys.argv[2])
print(i + 1 if i >= 0 else 0)' "$1" "$2"
}
click() { # click X Y (1-based): button 1 pressed, then released
  tmux -L "$sock" send-keys -l "$(printf '\033[<0;%d;%dM' "$1" "$2")"
  tmux -L "$sock" send-keys -l "$(printf '\033[<0;%d;%dm' "$1" "$2")"
}
wheel() { # wheel up|down X Y
  b=64; [ "$1" = down ] && b=65
  tmux -L "$sock" send-keys -l "$(printf '\033[<%d;%d;%dM' "$b" "$2" "$3")"
}
x=$(col_of 2 " 3 "); [ "$x" -gt 0 ] || fail "no tab 3"
click $((x + 1)) 2
wait_for "3 Prompts"
wait_for "cost/outcome"
echo "ok: a click on a tab opens its screen"
x=$(col_of 4 "requests"); [ "$x" -gt 0 ] || fail "no requests column"
click "$x" 4
wait_for "requests▼"
screen | awk 'NR > 4 && $4 ~ /^[0-9]+$/ {print $4}' | head -8 > "$dir/req"
sort -rn "$dir/req" | cmp -s - "$dir/req" || { cat "$dir/req"; fail "a header click did not sort by requests"; }
click "$x" 4
wait_for "requests▲"
echo "ok: a click on a header sorts by it, again reverses"
tmux -L "$sock" send-keys 'g'
wait_for " 1/"
click 10 8
wait_for " 4/"
screen | sed -n 8p | grep -q '^▶' || fail "the clicked row is not the selected one"
echo "ok: a click on a row selects it"
wheel down 10 10
wait_for " 7/"
wheel up 10 10
wait_for " 4/"
echo "ok: the wheel moves the selection"
tmux -L "$sock" send-keys 'q'
wait_for "EXIT=0"
