#!/bin/sh
# The demo behind `make run`: the console on the built-in simulated gateway (tokentop --demo),
# which serves 8 days of history and live traffic over loopback HTTP. Without a terminal it
# syncs a short demo headless and prints the reports instead.
set -eu
BUILD=${BUILD:-build}
tt="$BUILD/tokentop"
# the audit log's key and the demo's cache stay inside the build directory
export XDG_CONFIG_HOME="${XDG_CONFIG_HOME:-$(pwd)/$BUILD/demo/config}"
mkdir -p "$BUILD/demo"
if [ -t 0 ] && [ -t 1 ]; then
  exec "$tt" --demo
fi
db="$BUILD/demo/demo.db"
rm -f "$db" "$db-wal" "$db-shm"
echo "no terminal: syncing one day of the demo gateway headless, then the reports" >&2
"$BUILD/tokentop-sim" --history 1d --rate 2 > "$BUILD/demo/sim.out" &
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
i=0
until grep -q listening "$BUILD/demo/sim.out" 2>/dev/null; do
  sleep 0.1; i=$((i + 1)); [ $i -lt 300 ] || { echo "demo: the simulator did not start" >&2; exit 1; }
done
url=$(head -1 "$BUILD/demo/sim.out" | awk '{print $3}')
"$tt" sync --db "$db" --gateway demo="$url" --scrape demo-vllm="$url/metrics,vllm" --once \
  --page-limit 5000
for view in summary prompts routing providers; do
  echo
  "$tt" report --db "$db" --since all --view "$view"
done
