#!/bin/sh
# Installs the Debian packages tokentop builds, tests and runs with; quiet when all are present.
set -eu

# What `make`, `make run` and `make test` need: libraries, compiler, and every program the
# scripts and tests call that a minimal Debian (debootstrap minbase) lacks. tests/test_deps.sh
# checks that each command the scripts use is in the base system or in one of these lists.
PKGS="build-essential pkg-config libncurses-dev libcurl4-openssl-dev libjansson-dev
libsqlite3-dev sqlite3 libuv1-dev libcmocka-dev libinih-dev libmicrohttpd-dev libssl-dev
libjsmn-dev tmux prometheus curl python3 procps jq"
# make bench: htop is the console's baseline, time measures whole processes
BENCH_PKGS="htop time"
# make fuzz: libFuzzer comes with clang
FUZZ_PKGS="clang libclang-rt-dev"
# make screenshot: the weekly review's page in headless Chromium
SCREENSHOT_PKGS="chromium"
# make format
FORMAT_PKGS="clang-format git"
# make fresh-check: a minimal Debian to run the README's commands in
FRESH_PKGS="debootstrap"

usage() { echo "usage: scripts/deps.sh [--bench|--fuzz|--screenshot|--format|--fresh|--all] [--list]" >&2; exit 2; }
list=0
for a in "$@"; do
  case "$a" in
    --bench) PKGS="$PKGS $BENCH_PKGS" ;;
    --fuzz) PKGS="$PKGS $FUZZ_PKGS" ;;
    --screenshot) PKGS="$PKGS $SCREENSHOT_PKGS" ;;
    --format) PKGS="$FORMAT_PKGS" ;;
    --fresh) PKGS="$FRESH_PKGS" ;;
    --all) PKGS="$PKGS $BENCH_PKGS $FUZZ_PKGS $SCREENSHOT_PKGS $FORMAT_PKGS $FRESH_PKGS" ;;
    --list) list=1 ;;
    *) usage ;;
  esac
done
if [ $list -eq 1 ]; then
  # shellcheck disable=SC2086
  printf '%s\n' $PKGS
  exit 0
fi

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "deps: missing packages:$missing; run as root or install them" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
