#!/bin/sh
# The command line as a user meets it: help, errors that name the file and line, exit codes.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$BUILD/tokentop"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() { # check DESCRIPTION COMMAND... ; the command's status must be 0
  d=$1; shift
  if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fails=$((fails + 1)); fi
}
status_is() { want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }

check "tokentop --help exits 0" status_is 0 "$tt" --help
check "no command without a terminal exits 1" status_is 1 "$tt"
check "unknown command exits 2" status_is 2 "$tt" frobnicate
for c in gen ingest report; do
  check "$c --help exits 0" status_is 0 "$tt" $c --help
  check "$c --help prints usage" sh -c "'$tt' $c --help | grep -q 'usage: tokentop $c'"
  check "$c --bogus exits 2" status_is 2 "$tt" $c --bogus
done
check "gen without --events exits 2" status_is 2 "$tt" gen
check "gen is deterministic per seed" sh -c \
  "[ \"\$('$tt' gen --events 2000 --seed 5 --start 2026-11-01 | sha256sum)\" = \"\$('$tt' gen --events 2000 --seed 5 --start 2026-11-01 | sha256sum)\" ]"
check "gen seeds differ" sh -c \
  "[ \"\$('$tt' gen --events 200 --seed 5 --start 2026-11-01 | sha256sum)\" != \"\$('$tt' gen --events 200 --seed 6 --start 2026-11-01 | sha256sum)\" ]"
check "gen writes exactly N lines" sh -c "[ \$('$tt' gen --events 1234 --seed 1 | wc -l) -eq 1234 ]"
check "gen csv has a header and N rows" sh -c "[ \$('$tt' gen --events 50 --output csv | wc -l) -eq 51 ]"

small="$TT_SRCDIR/tests/data/ingest/small.jsonl"
db="$dir/t.db"
"$tt" ingest --db "$db" "$small" >"$dir/out" 2>"$dir/err"
check "ingest with rejects exits 0" [ $? -eq 0 ]
check "summary line counts" grep -q '^ingest: 10 accepted, 1 duplicate, 2 rejected' "$dir/out"
check "an unknown status is kept as other, counted once" grep -q '^  1: status "weird" kept as other (first at .*small.jsonl:11)$' "$dir/err"
check "truncated line named" grep -q 'small.jsonl:12' "$dir/err"
check "negative tokens named" grep -q '^  1: input_tokens: negative (first at .*small.jsonl:14)$' "$dir/err"
check "the summary comes once, after the counts" sh -c "[ \$(grep -c '^rejected: 2$' '$dir/err') -eq 1 ] && [ \$(grep -c '^kept with odd values: 1$' '$dir/err') -eq 1 ]"
check "without -v no line of its own" sh -c "! grep -q '^[^ ].*small.jsonl:1[24]: ' '$dir/err'"
"$tt" ingest -v --db "$dir/v.db" "$small" >/dev/null 2>"$dir/errv"
check "-v names every line" sh -c "grep -q 'small.jsonl:11: kept: status' '$dir/errv' && grep -q 'small.jsonl:14: input_tokens: negative (-' '$dir/errv'"
check "--strict exits 1 on rejects" status_is 1 "$tt" ingest --strict --db "$db" "$small"
check "missing file exits 1" status_is 1 "$tt" ingest --db "$db" "$dir/nope.jsonl"
"$tt" ingest --db "$db" "$dir/nope.jsonl" 2>"$dir/err2" >/dev/null
check "missing file is named" grep -q "nope.jsonl: cannot open" "$dir/err2"
check "bad --format exits 2" status_is 2 "$tt" ingest --format xml --db "$db" "$small"
check "a pretty-printed LiteLLM page is read whole" sh -c "'$tt' ingest --db '$dir/pg.db' '$TT_SRCDIR/tests/data/ingest/litellm_page_pretty.json' | grep -q '^ingest: 5 accepted, 0 duplicate, 0 rejected'"
check "its spend is exact" sh -c "'$tt' report --db '$dir/pg.db' --since 2026-11-20 --until 2026-11-21 --format json | grep -q '\"total_cost_micros\": 6000'"
check "stdin ingest" sh -c "'$tt' gen --events 100 --seed 9 | '$tt' ingest --db '$dir/s.db' - | grep -q '100 accepted'"

R="--db $db --since 2026-11-01 --until 2026-12-01"
check "report text total" sh -c "'$tt' report $R | grep -q 'spend *\\\$0.0384'"
check "report names unpriced model" sh -c "'$tt' report $R | grep -q 'mistral/ministral-8b-experimental'"
check "report json total" sh -c "'$tt' report $R --format json | grep -q '\"total_cost_usd\": \"0.03842916\"'"
check "report md has a table" sh -c "'$tt' report $R --format md | grep -q '^| use case |'"
check "report csv total row" sh -c "'$tt' report $R --format csv | grep -q '^total,,10,8109,1801,800,38429,0.03842916'"
check "prompts top 2" sh -c "[ \$('$tt' report $R --view prompts --top 2 --format csv | wc -l) -eq 3 ]"
check "routing json" sh -c "'$tt' report $R --view routing --format json | grep -q '\"elevation_rate\"'"
check "providers json" sh -c "'$tt' report $R --view providers --format json | grep -q '\"failing_error_rate\"'"
check "providers csv has a row per provider and model" sh -c \
  "'$tt' report $R --view providers --format csv | grep -q '^model,openai,gpt-4o-mini,'"
check "bad --since exits 2" status_is 2 "$tt" report --db "$db" --since yesterday
check "empty range hints at the data" sh -c "'$tt' report --db '$db' --since 2020-01-01 --until 2020-01-02 2>&1 >/dev/null | grep -q 'try --since all'"
check "report on missing db exits 1" status_is 1 "$tt" report --db "$dir/none.db"
check "--since all" sh -c "'$tt' report --db '$db' --since all --format json | grep -q '\"requests\": 10'"

echo
[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
