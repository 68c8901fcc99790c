#!/bin/sh
# make fresh-check: the README's two commands in a minimal Debian bookworm chroot (debootstrap
# minbase plus git, make, ca-certificates), run as root with an empty environment and no TTY.
# Prints the times and the test summary; always unmounts and removes the chroot, and deletes
# nothing while a mount remains under it. Not part of CI: it downloads a base system.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
out="$src/${BUILD:-build}/fresh-check"
suite=${FRESH_SUITE:-bookworm}
[ "$(id -u)" -eq 0 ] || { echo "fresh-check: run as root (debootstrap, chroot and mount need it)" >&2; exit 1; }
"$src/scripts/deps.sh" --fresh

# The mirror apt already uses: the first deb URI of the system's sources.
mirror=${FRESH_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi

mkdir -p "$out"
root=$(mktemp -d /var/tmp/tokentop-fresh.XXXXXX)

# mounts_under: the mount points at or below the chroot, deepest first
mounts_under() { awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r; }
cleanup() {
  set +e
  # processes left inside (a tmux server, a Prometheus): their root is the chroot
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  sleep 0.5
  for m in $(mounts_under); do umount "$m" 2>/dev/null || umount -l "$m"; done
  if [ -n "$(mounts_under)" ]; then
    echo "fresh-check: mounts remain under $root; not deleting it:" >&2
    mounts_under >&2
    return
  fi
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

t0=$(date +%s)
echo "fresh-check: debootstrap $suite (minbase) from $mirror into $root"
debootstrap --variant=minbase --include=git,make,ca-certificates "$suite" "$root" "$mirror" \
  > "$out/debootstrap.log" 2>&1 || { tail -n 20 "$out/debootstrap.log"; exit 1; }
t1=$(date +%s)

# What the host's apt needs to reach its mirror (validity of snapshot indexes, proxies).
for f in /etc/apt/apt.conf.d/*; do
  grep -qE 'Acquire::(Check-Valid-Until|Check-Date|http::Proxy|https::Proxy)' "$f" 2>/dev/null && cp "$f" "$root/etc/apt/apt.conf.d/"
done
cp /etc/resolv.conf "$root/etc/resolv.conf"

# A /proc, and a private /dev: the chroot's own device nodes (bound one by one where mknod is
# not allowed) and a new devpts instance for tmux; the host's /dev is never mounted in.
mount -t proc proc "$root/proc"
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  n=${d%%:*}; mm=${d#*:}
  rm -f "$root/dev/$n"
  if ! mknod -m 666 "$root/dev/$n" c "${mm%:*}" "${mm#*:}" 2>/dev/null; then
    touch "$root/dev/$n" && mount --bind "/dev/$n" "$root/dev/$n"
  fi
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
rm -f "$root/dev/ptmx" && ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"

# The checkout as it is, uncommitted changes included, without build output.
mkdir -p "$root/root/tokentop"
tar -C "$src" --exclude=./build --exclude=./build-asan --exclude=./build-fuzz -cf - . |
  tar -C "$root/root/tokentop" -xf -

# in_chroot NAME COMMAND: runs COMMAND in the checkout, empty environment, no TTY; NAME.log
in_chroot() {
  s=$(date +%s)
  set +e
  setsid chroot "$root" /usr/bin/env -i HOME=/root \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    sh -c "cd /root/tokentop && $2" < /dev/null > "$out/$1.log" 2>&1
  rc=$?
  set -e
  echo "fresh-check: $2: exit $rc in $(( $(date +%s) - s )) s (log: $out/$1.log)"
  return $rc
}
status=0
in_chroot run "make run" || status=1
in_chroot test "make test" || status=1
t2=$(date +%s)

echo "fresh-check: debootstrap $((t1 - t0)) s, the README's commands $((t2 - t1)) s"
grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/test.log" || echo "fresh-check: make test printed no summary"
grep -E '^FAIL ' "$out/test.log" || true
[ $status -eq 0 ] || { echo "fresh-check: FAILED"; tail -n 30 "$out/test.log"; }
exit $status
