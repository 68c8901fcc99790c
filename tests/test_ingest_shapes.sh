#!/bin/sh
# ingest reads every shape users have, stdin included: pretty-printed pages (jq .), streams of
# pretty objects (jq '.data[]'), concatenated values, cut lines among good ones, and a page far
# over 16 MiB read row by row. Expected figures are computed here with Python's Decimal.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$BUILD/tokentop"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
rows="$TT_SRCDIR/tests/data/parse/litellm/rows.jsonl"

# the page: the fixture's ten rows, each under its own request_id, N times over
mkpage() { # mkpage N FILE
  python3 - "$rows" "$1" "$2" <<'PY'
import json, sys
from decimal import Decimal
rows = [json.loads(l, parse_float=Decimal) for l in open(sys.argv[1]) if l.strip()]
n, out = int(sys.argv[2]), sys.argv[3]
with open(out, "w") as f:
    f.write('{"data": [')
    for k in range(n):
        for i, r in enumerate(rows):
            r = dict(r, request_id="%s-%d" % (r["request_id"], k))
            f.write(("," if k or i else "") + json.dumps(r, default=str))
    f.write('], "total": %d, "page": 1, "page_size": %d, "total_pages": 1}\n' % (n * len(rows), n * len(rows)))
PY
}
# expect FILE: "requests cost_micros" of the rows tokentop must keep (all but the ones whose
# tokens are negative), the spend summed exactly and rounded half up to micro-dollars per row
expect() {
  python3 - "$1" <<'PY'
import json, sys
from decimal import Decimal, ROUND_HALF_UP
page = json.load(open(sys.argv[1]), parse_float=Decimal)
kept = [r for r in page["data"] if int(r.get("prompt_tokens") or 0) >= 0
        and int(r.get("completion_tokens") or 0) >= 0]
micros = sum((Decimal(str(r.get("spend") or 0)) * 1000000).quantize(Decimal(1), ROUND_HALF_UP) for r in kept)
print(len(kept), micros)
PY
}
got() { # got DB: "requests cost_micros" as the report says
  "$tt" report --db "$1" --since all --format json |
    python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["requests"], t["total_cost_micros"])'
}

mkpage 3 "$dir/page.json"
want=$(expect "$dir/page.json")
jq . "$dir/page.json" | "$tt" ingest --db "$dir/pretty.db" - > "$dir/pretty.out" 2>&1 \
  || fail "a pretty-printed page on stdin: $(cat "$dir/pretty.out")"
[ "$(got "$dir/pretty.db")" = "$want" ] || fail "pretty page on stdin: $(got "$dir/pretty.db"), want $want"
echo "ok: jq . page.json | tokentop ingest -: $want"

jq '.data[]' "$dir/page.json" | "$tt" ingest --db "$dir/stream.db" - > "$dir/stream.out" 2>&1 \
  || fail "a stream of pretty rows: $(cat "$dir/stream.out")"
[ "$(got "$dir/stream.db")" = "$want" ] || fail "jq '.data[]' stream: $(got "$dir/stream.db"), want $want"
echo "ok: jq '.data[]' page.json | tokentop ingest -: $want"

jq -cj '.data[]' "$dir/page.json" > "$dir/concat.json"
"$tt" ingest --db "$dir/concat.db" "$dir/concat.json" > "$dir/concat.out" 2>&1 \
  || fail "concatenated values: $(cat "$dir/concat.out")"
[ "$(got "$dir/concat.db")" = "$want" ] || fail "concatenated: $(got "$dir/concat.db"), want $want"
echo "ok: concatenated values with nothing between them: $want"

# one record a line with a line cut short in the middle: that line alone is rejected, named
jq -c '.data[]' "$dir/page.json" > "$dir/lines.jsonl"
python3 - "$dir/lines.jsonl" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().splitlines(True)
lines.insert(5, lines[0][:57].replace('"chatcmpl-1-0"', '"cut-1"') + "\n")
open(p, "w").write("".join(lines))
PY
"$tt" ingest --db "$dir/lines.db" "$dir/lines.jsonl" > "$dir/lines.out" 2>&1
grep -q "rejected: 1$" "$dir/lines.out" || fail "the cut line: $(cat "$dir/lines.out")"
grep -q "lines.jsonl:6" "$dir/lines.out" || fail "the cut line is not named: $(cat "$dir/lines.out")"
[ "$(got "$dir/lines.db")" = "$want" ] || fail "around a cut line: $(got "$dir/lines.db"), want $want"
echo "ok: a line cut short costs only itself, named by its line"

# a page far over 16 MiB (a month of /spend/logs): every row, in bounded memory
mkpage 12000 "$dir/big.json"
size=$(wc -c < "$dir/big.json")
[ "$size" -gt 33554432 ] || fail "the big page is only $size bytes"
want=$(expect "$dir/big.json")
"$tt" ingest --db "$dir/big.db" "$dir/big.json" > "$dir/big.out" 2>&1 \
  || fail "the big page: $(cat "$dir/big.out")"
[ "$(got "$dir/big.db")" = "$want" ] || fail "big page: $(got "$dir/big.db"), want $want"
echo "ok: a $((size / 1048576)) MiB page read row by row: $want"

# /spend/logs?summarize=true (daily totals, LiteLLM's default with dates) is refused once per
# day with a message that says which query returns rows
printf '%s\n' '[{"startTime": "2026-12-01", "spend": 1.25, "models": {"gpt-4o": 1.25}, "users": {"u1": 1.25}, "88dc28d0": 1.25},' \
  '{"startTime": "2026-12-02", "spend": 0.0, "models": {}, "users": {}}]' > "$dir/summary.json"
"$tt" ingest --db "$dir/summary.db" "$dir/summary.json" > "$dir/summary.out" 2>&1
grep -q "2: a summarized /spend/logs answer, daily totals without rows: ask /spend/logs?summarize=false" \
  "$dir/summary.out" || fail "the summarized answer is not explained: $(cat "$dir/summary.out")"
echo "ok: a summarize=true answer is refused with the query that returns rows"
