#!/bin/sh
# Installs the Debian packages tokentop builds, tests and runs with; quiet when all are present.
set -eu

PKGS="build-essential pkg-config libncurses-dev libcurl4-openssl-dev libjansson-dev
libsqlite3-dev sqlite3 libuv1-dev libcmocka-dev libinih-dev libmicrohttpd-dev libssl-dev
libjsmn-dev tmux prometheus curl python3"

case "${1:-}" in
  --fuzz) PKGS="$PKGS clang libclang-rt-dev" ;;
  "") ;;
  *) echo "usage: scripts/deps.sh [--fuzz]" >&2; exit 2 ;;
esac

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
