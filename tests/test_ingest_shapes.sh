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
# expect FILE: "requests cost_usd" of the rows tokentop must keep (all but the ones whose
# tokens are negative), the spend summed exactly (each row rounded half up to the nano-dollar)
expect() {
  python3 - "$1" <<'PY'
import json, sys
from decimal import Decimal, ROUND_HALF_UP
page = json.load(open(sys.argv[1]), parse_float=Decimal)
kept = [r for r in page["data"] if int(r.get("prompt_tokens") or 0) >= 0
        and int(r.get("completion_tokens") or 0) >= 0]
nanos = sum((Decimal(str(r.get("spend") or 0)) * 1000000000).quantize(Decimal(1), ROUND_HALF_UP) for r in kept)
print(len(kept), (Decimal(nanos) / 1000000000).normalize())
PY
}
got() { # got DB: "requests cost_usd" as the report says, exactly
  "$tt" report --db "$1" --since all --format json |
    python3 -c 'import json,sys; from decimal import Decimal; t=json.load(sys.stdin); print(t["requests"], Decimal(t["total_cost_usd"]).normalize())'
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

# 2,000 embedding calls as LiteLLM logs them (text-embedding-3-small at 2e-08 USD a token: 25
# tokens cost 5e-07, 24 tokens 4.8e-07): exactly $0.00098 in all, the 24-token ones $0.00048.
# Money rounded per event to the micro-dollar made these $0.001000 and $0.
python3 - "$dir/embed.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(2000):
        n = 25 if i % 2 == 0 else 24
        f.write(json.dumps({"request_id": "emb-%d" % i, "call_type": "aembedding",
                            "spend": 5e-07 if n == 25 else 4.8e-07, "prompt_tokens": n,
                            "completion_tokens": 0, "total_tokens": n,
                            "startTime": "2026-11-20T10:%02d:%02d.%03dZ" % (i // 600, i // 10 % 60, i % 10),
                            "model": "text-embedding-3-small", "custom_llm_provider": "openai",
                            "model_group": "embed-24" if n == 24 else "embed-25",
                            "status": "success"}) + "\n")
PY
"$tt" ingest --db "$dir/embed.db" "$dir/embed.jsonl" > "$dir/embed.out" 2>&1 ||
  fail "embedding rows: $(cat "$dir/embed.out")"
[ "$(got "$dir/embed.db")" = "2000 0.00098" ] || fail "2,000 embedding calls: $(got "$dir/embed.db"), want 2000 0.00098"
"$tt" report --db "$dir/embed.db" --since all --format json --view routing > /dev/null ||
  fail "routing view of the embedding calls"
small=$("$tt" report --db "$dir/embed.db" --since all --format json --view providers |
  python3 -c 'import json,sys; print(sum(1 for p in json.load(sys.stdin)["providers"]))')
[ "$small" -ge 1 ] || fail "no provider row for the embedding calls"
"$tt" report --db "$dir/embed.db" --since all > "$dir/embed.txt"
grep -q 'spend *\$0.00098' "$dir/embed.txt" || { cat "$dir/embed.txt"; fail "the text report does not say \$0.00098"; }
grep -q '\$0\.00[^0-9]' "$dir/embed.txt" && { cat "$dir/embed.txt"; fail "the text report shows \$0.00 for non-zero spend"; }
echo "ok: 2,000 embedding calls at 5e-07 and 4.8e-07 USD total exactly \$0.00098 (json and text)"
grep '"prompt_tokens": 24' "$dir/embed.jsonl" | "$tt" ingest --db "$dir/embed24.db" - > /dev/null 2>&1
[ "$(got "$dir/embed24.db")" = "1000 0.00048" ] || fail "the 24-token calls: $(got "$dir/embed24.db"), want 1000 0.00048"
echo "ok: the 24-token calls alone: exactly \$0.00048"
