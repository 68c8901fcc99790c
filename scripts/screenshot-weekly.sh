#!/bin/sh
# Renders the weekly review's HTML page with Debian's headless Chromium into a PNG
# (docs/report-json.md, "A screenshot of the HTML review"); installs chromium when missing.
set -eu

usage() {
  cat <<'EOF'
usage: scripts/screenshot-weekly.sh [--db FILE] [--week 2026-W48|this|last] [--present]
                                    [--config FILE] [-o FILE.png]

Writes `tokentop report --view weekly --format html` to a temporary file and takes a
screenshot of it with headless Chromium (the Debian package `chromium`, installed with
apt-get when missing). Without --db it reviews the fixture week (tests/data/weekly,
2026-W48) in a scratch database.

  --db FILE       database to review (default: the fixture week)
  --week W        the ISO week (default 2026-W48 with the fixture, else the last complete week)
  --present       presentation mode: tenant names aliased
  --config FILE   budgets to forecast (default with the fixture: its budgets.ini)
  -o FILE         the PNG to write (default $BUILD/weekly.png)

Environment: BUILD (default build), CHROMIUM (the browser binary), WINDOW (default
1280,2000), TT_NO_INSTALL=1 to fail rather than install chromium.
EOF
}

BUILD=${BUILD:-build}
tt="$BUILD/tokentop"
src=$(cd "$(dirname "$0")/.." && pwd)
db="" week="" present="" config="" out="$BUILD/weekly.png"
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db=$2; shift 2 ;;
    --week) week=$2; shift 2 ;;
    --present) present=--present; shift ;;
    --config) config=$2; shift 2 ;;
    -o|--output) out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "screenshot-weekly: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[ -x "$tt" ] || { echo "screenshot-weekly: $tt is not built (make)" >&2; exit 1; }

# The browser: $CHROMIUM, else Debian's chromium, installed as scripts/deps.sh installs.
browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
  if ! command -v chromium >/dev/null 2>&1; then
    if [ -n "${TT_NO_INSTALL:-}" ]; then
      echo "screenshot-weekly: chromium is not installed (apt-get install chromium)" >&2
      exit 1
    fi
    ./scripts/deps.sh --screenshot
  fi
  browser=chromium
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$db" ]; then
  db="$tmp/week.db"
  "$tt" ingest --quiet --db "$db" --ratecard "$src/fixtures/ratecard.json" \
    "$src/tests/data/weekly/events.jsonl"
  week=${week:-2026-W48}
  config=${config:-$src/tests/data/weekly/budgets.ini}
  export TOKENTOP_NOW="${TOKENTOP_NOW:-2026-12-02T08:00:00Z}"
fi
set -- --db "$db" --view weekly --week "${week:-last}" --format html
[ -z "$config" ] || set -- "$@" --config "$config"
[ -z "$present" ] || set -- "$@" --present
"$tt" report "$@" >"$tmp/weekly.html"

mkdir -p "$(dirname "$out")"
case "$out" in /*) png=$out ;; *) png="$(pwd)/$out" ;; esac
rm -f "$png"
# --no-sandbox: root (containers, CI) cannot use Chromium's sandbox; the page is our own file
# with no scripts. The profile is thrown away with $tmp.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$tmp/profile" --screenshot="$png" --window-size="${WINDOW:-1280,2000}" \
  "file://$tmp/weekly.html" >"$tmp/chromium.log" 2>&1 || true
if [ ! -s "$png" ]; then
  echo "screenshot-weekly: chromium wrote no screenshot:" >&2
  tail -n 20 "$tmp/chromium.log" >&2
  exit 1
fi
# PNG: the IHDR chunk holds the width and height at bytes 16..23, big-endian
size=$(od -An -tu1 -j16 -N8 "$png" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
echo "$png ${size} px"
