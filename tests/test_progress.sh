#!/bin/sh
# On a terminal, a long ingest draws a progress bar, then leaves only its summary line.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$(pwd)/$BUILD/tokentop"
dir=$(mktemp -d)
sock="tokentop-test-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
"$tt" gen --events 400000 --seed 4 --days 2 > "$dir/ev.jsonl"
tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 10 \
  "'$tt' ingest --db '$dir/p.db' '$dir/ev.jsonl'; echo EXIT=\$?; sleep 30"
seen=0
i=0
while [ $i -lt 600 ]; do
  screen=$(tmux -L "$sock" capture-pane -p 2>/dev/null)
  if echo "$screen" | grep -q 'ev.jsonl \[#*[ ]*\] *[0-9]*%  [0-9]* events'; then seen=1; fi
  if echo "$screen" | grep -q 'EXIT='; then break; fi
  sleep 0.05
  i=$((i + 1))
done
screen=$(tmux -L "$sock" capture-pane -p)
echo "$screen"
[ $seen -eq 1 ] || { echo "FAIL: no progress bar seen while ingesting"; exit 1; }
echo "$screen" | grep -q 'EXIT=0' || { echo "FAIL: ingest did not finish cleanly"; exit 1; }
echo "$screen" | grep -q '^ingest: 400000 accepted' || { echo "FAIL: no summary line"; exit 1; }
if echo "$screen" | grep -q '%  [0-9]* events'; then echo "FAIL: progress bar left on screen"; exit 1; fi
echo "ok: progress bar drawn, then cleared for the summary"
