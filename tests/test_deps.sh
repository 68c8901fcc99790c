#!/bin/sh
# Every program the Makefile, scripts/ and tests/ call comes from a minimal Debian (priority
# required, as debootstrap's minbase installs) or from a package scripts/deps.sh installs.
. "${TT_SRCDIR:-.}/tests/lib.sh"
cd "$TT_SRCDIR"

command -v dpkg-query >/dev/null || { echo "skip: not a Debian system"; exit 0; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Words in command position: at a line's start or after | ; & && || $( ` ( { then do else,
# and after the wrappers (env, exec, timeout, xargs, sudo, command -v). Messages in plain
# double quotes are dropped first, and words that are assignments or calls (code inside a
# heredoc) are not commands.
commands() {
  awk '
  here != "" { t = $0; sub(/^[ \t]+/, "", t); if (t == here) here = ""; next }
  {
    line = $0
    if (match(line, /<<-?[\047"]?[A-Z]+/)) {
      here = substr(line, RSTART, RLENGTH); sub(/^<<-?[\047"]?/, "", here)
    }
    sub(/^[ \t]*#.*/, "", line)
    sub(/[ \t]#[^"\047]*$/, "", line)
    gsub(/"[^"`$;&|]*"/, "\"\"", line)
    gsub(/\047[^\047]*\047/, "\047\047", line)
    gsub(/\$\(|`|\|\||&&|[|;&{}]|^\(| \(|\<then\>|\<do\>|\<else\>|\<exec\>|\<timeout [0-9.]+[smh]? |\<env( -[iu] ?[A-Za-z_]*)* |\<sudo\>|\<nohup\>|\<xargs( -[0-9A-Za-z]+)* |\<command -v\>/, "\n", line)
    n = split(line, parts, "\n")
    for (i = 1; i <= n; i++) {
      p = parts[i]
      sub(/^[ \t@-]+/, "", p)
      while (p ~ /^[A-Za-z_][A-Za-z0-9_]*=[^ ]* /) sub(/^[A-Za-z_][A-Za-z0-9_]*=[^ ]* +/, "", p)
      if (p ~ /^[A-Za-z_][A-Za-z0-9_]*(=| =|\()/) continue
      if (match(p, /^[A-Za-z0-9_.+\/-]+/)) print substr(p, 1, RLENGTH)
    }
  }' "$@"
}

# The Makefile's recipe lines are shell too: those of make test and make run must work with
# the base packages, those of bench, fuzz, screenshot, format and fresh-check with their own.
awk '/^[a-z][a-z-]*:/ { t = $1 } /^\t/ { sub(/^\t[@-]*/, ""); print > (t ~ /^(bench|screenshot|fuzz|format|fresh-check):/ ? x : b) }' \
  b="$dir/make-base.sh" x="$dir/make-extra.sh" Makefile
base_files="tests/*.sh scripts/run-tests.sh scripts/demo.sh scripts/deps.sh .ci/run $dir/make-base.sh"
extra_files="scripts/bench*.sh scripts/fuzz.sh scripts/screenshot-weekly.sh scripts/fresh-check.sh $dir/make-extra.sh"

# allowed FLAGS: the packages deps.sh FLAGS installs and everything they depend on
allowed() {
  # shellcheck disable=SC2086
  scripts/deps.sh $1 --list > "$dir/listed"
  # shellcheck disable=SC2046
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances $(cat "$dir/listed") 2>/dev/null |
    sed -n 's/^ *\(Pre\)\{0,1\}Depends: <\{0,1\}\([^>: ]*\).*/\2/p; s/^\([a-z0-9][^ :]*\)$/\1/p' |
    sort -u > "$dir/allowed"
  cat "$dir/listed" >> "$dir/allowed"
  echo apt >> "$dir/allowed"
}

bad=0
checked=0
# check WORDS: each command in the base system or an allowed package
check() {
while read -r w; do
  case "$w" in
  */*) [ -x "$w" ] || continue; path=$w ;; # absolute: /usr/bin/time
  *) path=$(command -v "$w" 2>/dev/null) || continue ;;
  esac
  case "$path" in /*) ;; *) continue ;; esac # a builtin or a function
  name=${path##*/}
  [ -n "$name" ] || continue
  real=$(readlink -f "$path")
  case "$path" in "$TT_SRCDIR"/*) continue ;; esac # the project's own binaries
  pkg=$(dpkg -S "/usr/bin/$name" "/bin/$name" "/usr/sbin/$name" "/sbin/$name" "$path" "$real" \
    "/usr/bin/${real##*/}" "/bin/${real##*/}" 2>/dev/null |
    sed -n 's/^\([^:]*\):.*/\1/p' | grep -v 'diversion' | head -n 1)
  checked=$((checked + 1))
  if [ -z "$pkg" ]; then
    echo "FAIL: '$w' ($path) is not from any Debian package"
    bad=$((bad + 1))
    continue
  fi
  prio=$(dpkg-query -W -f='${Priority} ${Essential}' "$pkg" 2>/dev/null)
  case "$prio" in required*|*yes) continue ;; esac
  if grep -qx "$pkg" "$dir/allowed"; then continue; fi
  where=$(grep -n -E "(^|[^A-Za-z0-9_-])$w([^A-Za-z0-9_-]|$)" scripts/*.sh tests/*.sh Makefile | head -n 1)
  echo "FAIL: '$w' comes from package $pkg ($prio), which a minimal Debian lacks and scripts/deps.sh does not install for it ($where)"
  bad=$((bad + 1))
done < "$1"
}
# shellcheck disable=SC2086
commands $base_files | sort -u > "$dir/words.base"
allowed ""
check "$dir/words.base"
# shellcheck disable=SC2086
commands $(ls $extra_files 2>/dev/null) | sort -u > "$dir/words.extra"
allowed --all
check "$dir/words.extra"

[ "$checked" -gt 20 ] || { echo "FAIL: only $checked commands found in the scripts"; exit 1; }
[ "$bad" -eq 0 ] || exit 1
echo "ok: $checked commands, each in the base system or installed by scripts/deps.sh"
