#!/bin/sh
# The audit log and incidents from the command line: list, verify (and tampering with the
# sqlite3 CLI), export re-verified by docs/audit.md's script, the key file, incident bundles.
. "${TT_SRCDIR:-.}/tests/lib.sh"
tt="$BUILD/tokentop"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export XDG_CONFIG_HOME="$dir/cfg" # the default key lands here, never in the user's home
unset TOKENTOP_AUDIT_KEY TOKENTOP_NOW
fails=0
check() { # check DESCRIPTION COMMAND... ; the command's status must be 0
  d=$1; shift
  if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fails=$((fails + 1)); fi
}
status_is() { want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }
has() { grep -q -- "$2" "$1"; }
py() { python3 -c "$@"; }

# ---- help and usage ----
check "audit --help exits 0" status_is 0 "$tt" audit --help
check "incident --help exits 0" status_is 0 "$tt" incident --help
check "tokentop help audit" sh -c "'$tt' help audit | grep -q 'usage: tokentop audit list'"
check "the command list names audit and incident" sh -c \
  "'$tt' --help | grep -q '^  audit ' && '$tt' --help | grep -q '^  incident '"
for v in list verify export; do
  check "audit $v --help" sh -c "'$tt' audit $v --help | grep -q 'usage: tokentop audit $v'"
  check "audit $v --bogus exits 2" status_is 2 "$tt" audit $v --bogus
done
for v in open note close list export; do
  check "incident $v --help" sh -c "'$tt' incident $v --help | grep -q 'usage: tokentop incident $v'"
  check "incident $v --bogus exits 2" status_is 2 "$tt" incident $v --bogus
done
check "audit without a verb exits 2" status_is 2 "$tt" audit
check "audit frob exits 2" status_is 2 "$tt" audit frob
check "incident frob exits 2" status_is 2 "$tt" incident frob
check "audit list on a missing db exits 1" status_is 1 "$tt" audit list --db "$dir/none.db"

# ---- incidents write the log; the key is made on first use ----
db="$dir/a.db"
key="$dir/cfg/tokentop/audit.key"
id=$("$tt" incident open --db "$db" --kind cost --title "support-bot spend x3" 2>"$dir/err")
check "incident open prints the id" [ "$id" = 1 ]
check "the key file was created" [ -f "$key" ]
check "the key file is 0600" [ "$(stat -c %a "$key")" = 600 ]
check "its directory is 0700" [ "$(stat -c %a "$dir/cfg/tokentop")" = 700 ]
check "the key is 64 hex digits" grep -qE '^[0-9a-f]{64}$' "$key"
"$tt" incident note --db "$db" 1 throttled, '"support-bot"' to 5 rps --as bob >"$dir/out"
check "note" has "$dir/out" "incident 1: note 2"
nl='first line
second line'
check "note with a line break" status_is 0 "$tt" incident note --db "$db" 1 "$nl"
id2=$("$tt" incident open --db "$db" --kind outage --title "anthropic 5xx")
check "a second incident" [ "$id2" = 4 ]
check "close" sh -c "'$tt' incident close --db '$db' 1 --reason 'mitigated, then resolved' | grep -q 'incident 1: closed (seq 5)'"
check "closing twice exits 1" status_is 1 "$tt" incident close --db "$db" 1
"$tt" incident close --db "$db" 1 2>"$dir/err"
check "closing twice says so" has "$dir/err" "incident 1 is already closed (seq 5)"
check "a note on no incident exits 1" status_is 1 "$tt" incident note --db "$db" 99 hello
check "a note on a note exits 1" status_is 1 "$tt" incident note --db "$db" 2 hello
check "an id that is not a number exits 2" status_is 2 "$tt" incident close --db "$db" x
check "unknown --kind exits 2" status_is 2 "$tt" incident open --db "$db" --kind money --title t
check "missing --kind exits 2" status_is 2 "$tt" incident open --db "$db" --title t
check "missing --title exits 2" status_is 2 "$tt" incident open --db "$db" --kind cost
check "note without text exits 2" status_is 2 "$tt" incident note --db "$db" 4
"$tt" incident list --db "$db" >"$dir/list"
check "incident list shows the closed one" sh -c "grep -E '^ +1 +closed +cost' '$dir/list' | grep -q 'support-bot spend x3'"
check "incident list shows the open one" sh -c "grep -E '^ +4 +open +outage' '$dir/list' | grep -q 'anthropic 5xx'"
"$tt" incident list --db "$db" --format json >"$dir/list.json"
check "incident list json" py "
import json
d=json.load(open('$dir/list.json'))
i={x['id']:x for x in d['incidents']}
assert i[1]['state']=='closed' and i[1]['notes']==2, i[1]
assert i[1]['close_reason']=='mitigated, then resolved', i[1]
assert i[4]['state']=='open' and i[4]['closed'] is None and i[4]['kind']=='outage', i[4]
"

# ---- the role comes from the config's [access] section ----
me=$(id -un)
rdb="$dir/r.db"
printf '[access]\n%s = admin\n' "$me" >"$dir/admin.ini"
printf '[access]\nsomeone-else = admin\n' >"$dir/others.ini"
"$tt" incident open --db "$rdb" --kind cost --title roles --config "$dir/admin.ini" >/dev/null
"$tt" incident note --db "$rdb" 1 by an admin --as bob --config "$dir/admin.ini" >/dev/null
"$tt" incident note --db "$rdb" 1 by nobody listed --config "$dir/others.ini" >/dev/null
"$tt" incident close --db "$rdb" 1 --config "$dir/others.ini" >/dev/null
"$tt" incident open --db "$rdb" --kind cost --title "no config" >/dev/null
check "roles: [access] names the user admin; an unlisted user is a viewer; no config, operator" py "
import json,subprocess
d=json.loads(subprocess.check_output(['$tt','audit','list','--db','$rdb','--format','json']))
assert [r['role'] for r in d['records']]==['admin','admin','viewer','viewer','operator'], d['records']
assert d['records'][1]['as_name']=='bob' and d['records'][1]['actor']=='$me'
"
check "a missing --config exits 1" status_is 1 "$tt" incident note --db "$rdb" 1 x --config "$dir/none.ini"

# ---- list, verify, export ----
"$tt" audit list --db "$db" >"$dir/alist"
check "audit list has the 5 records" [ "$(grep -cE '^ +[0-9]+  20' "$dir/alist")" -eq 5 ]
check "audit list shows --as" has "$dir/alist" "(as bob)"
check "audit list shows params" has "$dir/alist" '{"text":"first line\\nsecond line"}'
check "audit list --since in the future is empty" sh -c "'$tt' audit list --db '$db' --since 2999-01-01 | grep -q 'no records'"
check "audit list --since 1h has all" [ "$("$tt" audit list --db "$db" --since 1h | grep -cE '^ +[0-9]+  20')" -eq 5 ]
check "audit list bad --since exits 2" status_is 2 "$tt" audit list --db "$db" --since yesterday
check "audit list bad --format exits 2" status_is 2 "$tt" audit list --db "$db" --format xml
check "audit list json" py "
import json,subprocess
d=json.loads(subprocess.check_output(['$tt','audit','list','--db','$db','--format','json']))
assert [r['seq'] for r in d['records']]==[1,2,3,4,5]
assert d['records'][1]['as_name']=='bob'
"
"$tt" audit verify --db "$db" >"$dir/v" 2>&1
check "verify exits 0" [ $? -eq 0 ]
check "verify counts the records" has "$dir/v" "5 records checked, the chain holds"
check "verify prints the last mac" grep -qE '^last: seq 5 mac [0-9a-f]{64}$' "$dir/v"
export_fields='seq,ts,ts_ms,actor,as_name,role,host,kind,action,gateway,scope,params,reason,state_before,state_after,status,ref_seq,control_id,response,idem_key,prev_mac,mac'
"$tt" audit export --db "$db" >"$dir/x.jsonl"
check "export jsonl: a line a record" [ "$(wc -l <"$dir/x.jsonl")" -eq 5 ]
check "export jsonl: every field in every object" py "
import json
for l in open('$dir/x.jsonl'):
    r=json.loads(l)
    assert list(r)=='$export_fields'.split(','), list(r)
"
check "export: the note's text" py "
import json
r=[json.loads(l) for l in open('$dir/x.jsonl')]
assert json.loads(r[1]['params'])=={'text':'throttled, \"support-bot\" to 5 rps'}, r[1]
assert json.loads(r[2]['params'])['text']=='first line\nsecond line'
assert r[4]['reason']=='mitigated, then resolved' and r[4]['ref_seq']==1
"
"$tt" audit export --db "$db" --format csv >"$dir/x.csv"
check "export csv: the header" [ "$(head -1 "$dir/x.csv")" = "$export_fields" ]
check "export csv: quoting round-trips to the same fields as jsonl" py "
import csv,json
rows=list(csv.DictReader(open('$dir/x.csv',newline='')))
js=[json.loads(l) for l in open('$dir/x.jsonl')]
assert len(rows)==5
for c,j in zip(rows,js):
    for k,v in j.items():
        assert c[k]==str(v), (k,c[k],v)
"
check "export --since in the future is empty" [ "$("$tt" audit export --db "$db" --since 2999-01-01 | wc -l)" -eq 0 ]
check "export bad --format exits 2" status_is 2 "$tt" audit export --db "$db" --format xml

# docs/audit.md's reimplementation, from the export and the key alone
awk '/^```python$/{f=1;next} /^```$/{if(f)exit} f' "${TT_SRCDIR:-.}/docs/audit.md" >"$dir/verify.py"
check "the documented verifier accepts the export" sh -c "python3 '$dir/verify.py' '$key' <'$dir/x.jsonl' | grep -q '5 records checked, the chain holds'"

# ---- the key ----
check "verify with another key exits 1" status_is 1 "$tt" audit verify --db "$db" --secret "$dir/other.key"
check "verify does not create a key" [ ! -e "$dir/other.key" ]
"$tt" audit verify --db "$db" --secret "$dir/other.key" 2>"$dir/err"
check "a missing key is named" has "$dir/err" "$dir/other.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/other.key"
chmod 600 "$dir/other.key"
"$tt" audit verify --db "$db" --secret "$dir/other.key" >/dev/null 2>"$dir/err"
check "verify with the wrong key exits 1" [ $? -eq 1 ]
check "the wrong key fails at seq 1" has "$dir/err" "seq 1: mac does not match its fields"
TOKENTOP_AUDIT_KEY="$dir/other.key" "$tt" audit verify --db "$db" >/dev/null 2>&1
check "\$TOKENTOP_AUDIT_KEY is the key" [ $? -eq 1 ]
check "--secret beats \$TOKENTOP_AUDIT_KEY" sh -c "TOKENTOP_AUDIT_KEY='$dir/other.key' '$tt' audit verify --db '$db' --secret '$key' >/dev/null"
chmod 644 "$key"
"$tt" incident note --db "$db" 4 hello 2>"$dir/err"
check "a 0644 key is refused" [ $? -eq 1 ]
check "the refusal says how to fix it" has "$dir/err" "chmod 600 $key"
check "verify refuses it too" status_is 1 "$tt" audit verify --db "$db"
chmod 600 "$key"
check "after chmod 600 it works" status_is 0 "$tt" incident note --db "$db" 4 hello

# ---- tampering with the sqlite3 CLI ----
tampered() { # tampered NAME SQL: a copy of the log with SQL applied, triggers dropped
  cp "$db" "$dir/$1.db"
  sqlite3 "$dir/$1.db" "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; $2"
}
check "the triggers refuse an UPDATE" sh -c "! sqlite3 '$db' \"UPDATE audit SET reason='x' WHERE seq=5\" 2>/dev/null"
check "the triggers refuse a DELETE" sh -c "! sqlite3 '$db' 'DELETE FROM audit WHERE seq=5' 2>/dev/null"
check "the log still verifies" status_is 0 "$tt" audit verify --db "$db"
tampered edit "UPDATE audit SET reason = 'resolved' WHERE seq = 5"
"$tt" audit verify --db "$dir/edit.db" >"$dir/out" 2>"$dir/err"
check "an edited reason: exit 1" [ $? -eq 1 ]
check "an edited reason: named" has "$dir/err" "seq 5: mac does not match its fields"
check "an edited reason: records checked" has "$dir/out" "5 records checked, the chain is broken"
tampered actor "UPDATE audit SET actor = 'mallory' WHERE seq = 2"
check "an edited actor is named" sh -c "'$tt' audit verify --db '$dir/actor.db' 2>&1 | grep -q 'seq 2: mac does not match its fields'"
tampered del "DELETE FROM audit WHERE seq = 3"
check "a deleted record is named" sh -c "'$tt' audit verify --db '$dir/del.db' 2>&1 | grep -q 'seq 3 missing (after 2)'"
tampered swap "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = -1"
check "a swapped pair is named" sh -c "'$tt' audit verify --db '$dir/swap.db' 2>&1 | grep -q 'seq 2: mac does not match its fields'"
check "the documented verifier catches the edit too" sh -c "'$tt' audit export --db '$dir/edit.db' | python3 '$dir/verify.py' '$key' 2>&1 | grep -q 'seq 5: mac does not match its fields'"

# ---- incident bundles ----
"$tt" incident export --db "$db" 1 >"$dir/b1.json"
check "export of a closed incident exits 0" [ $? -eq 0 ]
check "the bundle" py "
import json
b=json.load(open('$dir/b1.json'))
assert b['bundle']=='tokentop incident' and b['schema']==1
i=b['incident']
assert (i['id'],i['kind'],i['title'],i['state'],i['closed_seq'])==(1,'cost','support-bot spend x3','closed',5), i
assert [n['text'] for n in b['notes']]==['throttled, \"support-bot\" to 5 rps','first line\nsecond line'], b['notes']
assert b['notes'][0]['as_name']=='bob'
assert [r['seq'] for r in b['records']]==[1,2,3,4,5], [r['seq'] for r in b['records']]
assert b['actions']==[] and b['alerts']==[]
assert b['window']['since']==b['records'][0]['ts'] and b['window']['until']==b['records'][4]['ts']
assert b['summary']['requests']==0
"
"$tt" incident export --db "$db" 4 -o "$dir/b4.json"
check "export -o writes the file" py "
import json
b=json.load(open('$dir/b4.json'))
i=b['incident']
assert i['state']=='open' and i['closed'] is None
assert [n['text'] for n in b['notes']]==['hello']
assert [r['seq'] for r in b['records']][0]==4
"
check "export of no incident exits 1" status_is 1 "$tt" incident export --db "$db" 2
check "export to an unwritable file exits 1" status_is 1 "$tt" incident export --db "$db" 1 -o "$dir/no/such/dir/b.json"

# An incident over generated traffic, its records dated in the past by docs/audit.md's
# encoding (which verify then accepts): the alerts of its window are replayed in two passes,
# and the 429 storm that spans them is one alert from when it began.
gdb="$dir/g.db"
"$tt" gen --events 100000 --seed 3 --start 2026-01-04T14:00:00Z --days 2 \
  --scenario "429-storm@+44h" >"$dir/ev.jsonl" && "$tt" ingest --db "$gdb" "$dir/ev.jsonl" >/dev/null
check "generated traffic ingested" [ $? -eq 0 ]
cat >"$dir/append.py" <<'EOF'
import hashlib, hmac, json, sqlite3, struct, sys
FIELDS = ["seq", "ts_ms", "actor", "as_name", "role", "host", "kind", "action",
          "gateway", "scope", "params", "reason", "state_before", "state_after",
          "status", "ref_seq", "control_id", "response", "idem_key", "prev_mac"]
key = bytes.fromhex(open(sys.argv[2]).read().strip())
db = sqlite3.connect(sys.argv[1])
prev = ""
for seq, (ts, kind, action, params, reason, ref) in enumerate(json.loads(sys.argv[3]), 1):
    r = dict.fromkeys(FIELDS, "")
    r.update(seq=seq, ts_ms=ts, actor="oncall", role="operator", host="h", kind=kind,
             action=action, params=params, reason=reason, status="recorded", ref_seq=ref,
             prev_mac=prev)
    msg = b"".join(struct.pack(">I", len(b)) + b for b in
                   (str(v).encode() for v in ["tokentop-audit-v1"] + [r[f] for f in FIELDS]))
    r["mac"] = prev = hmac.new(key, msg, hashlib.sha256).hexdigest()
    db.execute("INSERT INTO audit (%s) VALUES (%s)" % (", ".join(r), ", ".join("?" * len(r))),
               list(r.values()))
db.commit()
EOF
open_ms=1767679200000  # 2026-01-06T06:00:00Z
close_ms=1767718800000 # 2026-01-06T17:00:00Z
python3 "$dir/append.py" "$gdb" "$key" "[
  [$open_ms, \"incident\", \"open\", \"{\\\"kind\\\":\\\"outage\\\",\\\"title\\\":\\\"anthropic 429s\\\"}\", \"\", 0],
  [$((open_ms + 3600000)), \"note\", \"note\", \"{\\\"text\\\":\\\"watching\\\"}\", \"\", 1],
  [$close_ms, \"incident\", \"close\", \"{}\", \"storm over\", 1]]"
check "records written by the documented encoding verify" status_is 0 "$tt" audit verify --db "$gdb"
"$tt" incident export --db "$gdb" 1 >"$dir/g.json"
check "the generated incident's bundle" py "
import json
b=json.load(open('$dir/g.json'))
assert b['incident']['title']=='anthropic 429s' and b['incident']['close_reason']=='storm over'
assert b['window']=={'since':'2026-01-06T06:00:00.000Z','until':'2026-01-06T17:00:00.000Z'}, b['window']
assert b['alerts_evaluated']['from']<='2026-01-06T06:00:00.000Z', b['alerts_evaluated']
storms=[a for a in b['alerts'] if a['kind']=='429_storm']
assert len(storms)==1, b['alerts']
s=storms[0]
assert s['scope']=='provider=anthropic' and s['resolved'] is None, s
assert '2026-01-06T10:00' <= s['since'] < '2026-01-06T11:00', s
assert s['unit']=='share' and s['window_s'] in (300, 1800) and s['reason'].startswith('anthropic '), s
assert b['summary']['requests']>0 and b['summary']['cost_micros']>0, b['summary']
assert any(u['use_case'] for u in b['summary']['by_use_case'])
assert [n['text'] for n in b['notes']]==['watching']
"
check "a later note appends to the python-written chain" sh -c "'$tt' incident note --db '$gdb' 1 review done >/dev/null && '$tt' audit verify --db '$gdb' | grep -q '4 records checked, the chain holds'"

# The controls of an incident's window, from the audit log and from the gateway's last read:
# kill switches applied and lifted with tokentop action against tokentop-sim.
sim="$BUILD/tokentop-sim"
"$sim" --listen 127.0.0.1:0 --seed 5 --rate 20 --history 2m --token-file "$dir/token" \
  >"$dir/sim.out" 2>"$dir/sim.err" &
simpid=$!
trap 'kill $simpid 2>/dev/null; wait $simpid 2>/dev/null; rm -rf "$dir"' EXIT
echo "sim-token" >"$dir/token" && chmod 600 "$dir/token"
i=0
while ! grep -q '^listening on' "$dir/sim.out" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.1; i=$((i + 1))
done
printf '[gateway sim]\nurl = %s\ntoken_file = %s\n' \
  "$(head -n 1 "$dir/sim.out" | sed 's/^listening on //')" "$dir/token" >"$dir/sim.ini"
cdb="$dir/c.db"
act() { "$tt" action "$@" --gateway sim --yes --config "$dir/sim.ini" --db "$cdb" >>"$dir/act.out" 2>&1; }
act kill-switch --scope use_case=code-assist --reason "before, lifted before"
act lift --id ctl-1 --reason "over before the incident"
act kill-switch --scope use_case=support-bot --reason "INC: refusal loop"
cid=$("$tt" incident open --db "$cdb" --kind safety --title "refusal loop")
act kill-switch --scope use_case=code-review --reason "INC: spreading"
act throttle --scope team=team-support --rps 2 --expires 30m --reason "INC: slow down"
act lift --id ctl-2 --reason "support-bot fixed"
check "kill switches applied and lifted against tokentop-sim" \
  [ "$(grep -c 'applied\|lifted' "$dir/act.out")" -ge 5 ]
check "sync reads the gateway's controls" status_is 0 "$tt" sync --config "$dir/sim.ini" --db "$cdb" --once
check "the incident closes" status_is 0 "$tt" incident close --db "$cdb" "$cid"
act kill-switch --scope use_case=x --reason "after the incident"
"$tt" incident export --db "$cdb" "$cid" >"$dir/c.json"
check "the bundle's controls" py "
import json
b=json.load(open('$dir/c.json'))
c=b['controls']
ap={x['id']:x for x in c['applied']}
assert list(ap)==['ctl-2','ctl-3','ctl-4'], c['applied']
s=ap['ctl-2']
assert (s['kind'],s['gateway'],s['scope'],s['reason'])==('kill-switch','sim','use_case=support-bot','INC: refusal loop'), s
assert s['applied']<b['window']['since']<=s['lifted']<=b['window']['until'], s
assert s['lifted_seq']>b['incident']['id'] and s['lifted_by'] and s['applied_by'], s
assert list(s)==['id','kind','gateway','scope','params','reason','applied','applied_seq','applied_by','expires','lifted','lifted_seq','lifted_by'], list(s)
t=ap['ctl-3']
assert t['scope']=='use_case=code-review' and t['lifted'] is None and t['lifted_seq'] is None and t['lifted_by'] is None, t
assert b['window']['since']<=t['applied']<=b['window']['until'] and t['expires'] is None, t
u=ap['ctl-4']
assert (u['kind'],u['scope'],u['params'])==('throttle','team=team-support',{'rps':2}), u
assert u['expires']>u['applied'] and u['lifted'] is None, u
assert [a['control_id'] for a in b['actions'] if a['status']=='applied']==['ctl-3','ctl-4','ctl-2']
l=c['listed']
assert [g['gateway'] for g in l]==['sim'], l
g=l[0]
assert g['read']<=b['window']['until'] and g['etag'], g
assert [x['id'] for x in g['controls']]==['ctl-3','ctl-4'], g['controls']
x=g['controls'][0]
assert x['kind']=='kill_switch' and x['scope']=={'use_case':'code-review'} and x['reason']=='INC: spreading', x
assert x['created'] and x['expires'] is None, x
assert g['controls'][1]['expires']==u['expires'], g['controls']
"
check "a bundle without controls has empty lists" py "
import json
b=json.load(open('$dir/b1.json'))
assert b['controls']=={'applied':[],'listed':[]}, b['controls']
"

# control characters in a field never reach the terminal
esc=$(printf 'red\033[31mtext')
"$tt" incident open --db "$dir/esc.db" --kind safety --title t >/dev/null
"$tt" incident close --db "$dir/esc.db" 1 --reason "$esc" >/dev/null
"$tt" audit list --db "$dir/esc.db" >"$dir/esc"
check "audit list shows an escape as ?" has "$dir/esc" 'red?\[31mtext'
check "audit list writes no escape" sh -c "! grep -q \"$(printf '\033')\" '$dir/esc'"

echo
[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
