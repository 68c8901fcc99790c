# Sourced by every shell test first: the environment the tests assume, set here rather than
# inherited, so that they pass from an empty environment (env -i) as from a developer's shell.
set -u
BUILD=${BUILD:-build}
TT_SRCDIR=${TT_SRCDIR:-$(pwd)}
export BUILD TT_SRCDIR
PATH=${PATH:-/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin}
HOME=${HOME:-/root}
# UTF-8 text (braille charts, box lines), UTC times, files created 0644, a known terminal;
# a test that wants another value says so where it starts the program.
LANG=C.UTF-8
LC_ALL=C.UTF-8
TZ=UTC
TERM=xterm-256color
export PATH HOME LANG LC_ALL TZ TERM
unset NO_COLOR COLORTERM TOKENTOP_NOW TOKENTOP_AUDIT_KEY TOKENTOP_RATECARD TOKENTOP_FIRST_FRAME \
  LANGUAGE LC_CTYPE LC_MESSAGES LC_NUMERIC LC_TIME TMUX TMUX_PANE 2>/dev/null || true
umask 022
