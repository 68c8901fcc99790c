#!/bin/sh
# The console in a real terminal (tmux): screens, help, resize, NO_COLOR, quitting restores.
set -u
BUILD=${BUILD:-build}
tt="$(pwd)/$BUILD/tokentop"
dir=$(mktemp -d)
sock="tokentop-console-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$dir"; }
base=$sock
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- screen:"; tmux -L "$sock" capture-pane -p 2>/dev/null; exit 1; }
screen() { tmux -L "$sock" capture-pane -p; }
# wait_for TEXT: up to 5 s for TEXT on the screen
wait_for() {
  i=0
  while ! screen | grep -q -- "$1"; do
    sleep 0.1; i=$((i + 1)); [ $i -lt 50 ] || fail "never saw '$1'"
  done
}
# braille: a braille cell with a dot (U+2801..U+28FF, UTF-8 E2 A0..A3 xx) is on the screen
braille() { screen | LC_ALL=C grep -q "$(printf '\342[\240\241\242\243]')"; }

start=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
"$tt" gen --events 20000 --seed 2 --days 1 --start "$start" > "$dir/ev.jsonl"
"$tt" ingest --quiet --db "$dir/c.db" "$dir/ev.jsonl" || fail "ingest"

run_console() { # run_console ENV...: a fresh 120x40 console, on a new tmux server
  tmux -L "$sock" kill-server 2>/dev/null
  sock="$sock-x"
  tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
    "cd '$TT_SRCDIR' && env $* '$tt' --db '$dir/c.db' --config '$TT_SRCDIR/fixtures/tokentop.ini'; echo EXIT=\$?; sleep 30"
}

run_console TERM=xterm-256color
wait_for "Spend now"
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
tmux -L "$sock" send-keys '4'
wait_for "traffic share"
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
screen | awk 'NR > 4 && $5 ~ /^[0-9]+$/ {print $5}' | head -8 > "$dir/req"
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
wait_for "Spend now  *\$[0-9.,]*/min  *[▁▂▃▄▅▆▇█]"
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
esc=$(printf '\033')
if tmux -L "$sock" capture-pane -p -e |
   grep -Eq "$esc\[([0-9]*;)*(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9]*)*m"; then
  fail "NO_COLOR output has colour escapes"
fi
tmux -L "$sock" send-keys C-c
wait_for "EXIT=0"
echo "ok: NO_COLOR has no colours; SIGINT quits cleanly"

# --present: tenants behind stable aliases, the real names nowhere on screen
tmux -L "$sock" kill-server 2>/dev/null
sock="$sock-p"
tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
  "cd '$TT_SRCDIR' && '$tt' --db '$dir/c.db' --present; echo EXIT=\$?; sleep 30"
wait_for "Spend now"
tmux -L "$sock" send-keys '2' ':' 'b' 'y' ' ' 't' 'e' 'n' 'a' 'n' 't' Enter
wait_for "by tenant"
wait_for "tenant-[0-9a-f]\{6\}"
screen | grep -q "PRESENT" || fail "the header does not say presentation mode"
for t in $(sqlite3 "$dir/c.db" "select distinct tenant from dims where tenant <> ''"); do
  screen | grep -qw -- "$t" && fail "tenant '$t' shown in presentation mode"
done
tmux -L "$sock" send-keys 'q'
wait_for "EXIT=0"
echo "ok: --present aliases tenants"
