#!/usr/bin/env bash
# pws-apps export and import against dynalite: 10,000 varied apps imported, exported and compared
# equal (and again through a second table), a JSON array of soketi's SQL rows (snake_case
# columns, null limits left to the reader), --dry-run writing nothing and reporting what a real
# run reports, every refusal (duplicate id or key in the input, a key held by another app, an
# existing id without --force, the mask as a secret, malformed and unknown input, over-cap input),
# export masking secrets and naming an unreadable item, progress on a terminal and off it; then
# against a scripted server: unprocessed items re-sent until done, a server that never processes
# anything ending in exit 2, and one answering items never sent. No secret on stderr.
# Usage: bulk_test.sh PATH/TO/pws-apps   (PWS_DYNALITE_STATE: seeded fixture)
bin=$1
. "$(dirname "$0")/lib.sh"
unset SOKETI_APP_MANAGER_DYNAMODB_TABLE SOKETI_APP_MANAGER_DYNAMODB_REGION SOKETI_APP_MANAGER_DYNAMODB_ENDPOINT

server_pid=
stop_server() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi; server_pid=; }
trap 'stop_server; rm -rf "$tmp"' EXIT

# soketi's defaults, for comparing what was imported with what export prints.
cat > "$tmp/compare.py" <<'PY'
import json, sys
DEFAULTS = {"enabled": True, "enableClientMessages": False, "enableUserAuthentication": False,
            "maxConnections": -1, "maxBackendEventsPerSecond": -1, "maxClientEventsPerSecond": -1,
            "maxReadRequestsPerSecond": -1, "maxPresenceMembersPerChannel": 100, "maxPresenceMemberSizeInKb": 2,
            "maxChannelNameLength": 200, "maxEventChannelsAtOnce": 100, "maxEventNameLength": 200,
            "maxEventPayloadInKb": 100, "maxEventBatchSize": 10, "webhooks": []}
def apps(path, fill):
    out = {}
    for line in open(path, encoding="utf-8"):
        if line.strip():
            a = json.loads(line)
            out[a["id"]] = {**DEFAULTS, **a} if fill else a
    return out
# compare.py A B [--fill]: the apps of A and of B (defaults filled in on both sides with --fill) are
# the same set.
a, b = apps(sys.argv[1], "--fill" in sys.argv), apps(sys.argv[2], "--fill" in sys.argv)
bad = [i for i in a if a[i] != b.get(i)] + [i for i in b if i not in a]
print(f"{len(a)} and {len(b)} apps, {len(bad)} differ" + (f", e.g. {bad[0]!r}: {a.get(bad[0])} != {b.get(bad[0])}" if bad else ""))
sys.exit(1 if bad or len(a) != len(b) or not a else 0)
PY
same_apps() { python3 "$tmp/compare.py" "$@"; }
count_lines() { if [ -s "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi; }
table_count() { # table_count TABLE: its items, counted by a paginated Scan that bypasses pws-apps
  python3 - "$endpoint" "$1" <<'PY'
import json, sys, urllib.request
endpoint, table, count, start = sys.argv[1], sys.argv[2], 0, None
while True:
    body = {"TableName": table, "Select": "COUNT", **({"ExclusiveStartKey": start} if start else {})}
    req = urllib.request.Request(endpoint, json.dumps(body).encode(), {
        "X-Amz-Target": "DynamoDB_20120810.Scan", "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Date": "20200101T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=x/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"})
    page = json.load(urllib.request.urlopen(req, timeout=10))
    count += page["Count"]
    start = page.get("LastEvaluatedKey")
    if not start:
        break
print(count)
PY
}

# 10,000 apps: every flag and limit varied, webhooks of both kinds, ids and keys with odd but
# valid characters (punctuation, quotes, backslash, spaces, non-ASCII, 2,048 bytes).
python3 - "$tmp/apps.jsonl" <<'PY'
import json, random, sys
random.seed(20240611)
odd = ["", ".", "-", "_", ":", "~", "é", "日本", " ", "/", "+", "=", "@", "#", "%", '"', "\\", "'", "|", "€"]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(10000):
        a = {"id": f"app{random.choice(odd)}{i}", "key": f"key{random.choice(odd)}{i}",
             "secret": f"s3cret-{i}-{random.getrandbits(64):016x}"}
        if i == 5: a["id"] = "i" * 2043 + "-5"          # DynamoDB's longest key value
        if i % 3 == 0: a["enabled"] = False
        if i % 4 == 1: a["enableClientMessages"] = True
        if i % 5 == 2: a["enableUserAuthentication"] = True
        if i % 2: a["maxConnections"] = random.randint(-1, 10**6)
        if i % 7 == 3: a["maxBackendEventsPerSecond"] = random.randint(1, 1000)
        if i % 8 == 4: a["maxClientEventsPerSecond"] = random.randint(1, 1000)
        if i % 9 == 5: a["maxReadRequestsPerSecond"] = random.randint(1, 1000)
        if i % 11 == 4: a["maxPresenceMemberSizeInKb"] = 0.5
        if i % 12 == 6: a["maxPresenceMembersPerChannel"] = random.randint(1, 500)
        if i % 13 == 5: a["maxEventPayloadInKb"] = 250.25
        if i % 14 == 7: a["maxChannelNameLength"] = 150
        if i % 15 == 8: a["maxEventChannelsAtOnce"] = 5
        if i % 16 == 9: a["maxEventNameLength"] = 99
        if i % 17 == 6: a["maxEventBatchSize"] = 3
        if i % 10 == 7:
            a["webhooks"] = [{"url": f"https://example.com/hook/{i}", "event_types": ["channel_occupied", "client_event"],
                              "headers": {"X-Token": f"t{i}"},
                              "filter": {"channel_name_starts_with": "private-", "channel_name_ends_with": "-x"}}]
        if i % 50 == 9:
            a["webhooks"] = [{"lambda_function": f"fn{i}", "event_types": ["member_added"],
                              "lambda": {"async": True, "region": "eu-west-1", "client_options": {"endpoint": "http://localhost:3001"}}}]
        f.write(json.dumps(a, ensure_ascii=i % 2 == 0) + "\n")
PY

# --- the round trip ------------------------------------------------------------------------------
export APP_MANAGER_DYNAMODB_TABLE=bulk_a
check "create-table bulk_a" 0 "$bin" create-table
t0=$(date +%s.%N)
check "import 10,000 apps" 0 "$bin" import --file "$tmp/apps.jsonl"
t1=$(date +%s.%N)
python3 -c "import sys; s = float(sys.argv[2]) - float(sys.argv[1]); print(f'figure: import of 10,000 apps into dynalite: {s:.1f} s, {10000 / s:.0f} apps/s')" "$t0" "$t1"
echo "figure: pws-apps says: $out"
expect "summary: imported 10000 apps (0 replaced) in T s, R apps/s" '[[ $out =~ ^imported\ 10000\ apps\ \(0\ replaced\)\ in\ [0-9]+\.[0-9]\ s,\ [0-9]+\ apps/s$ ]]'
expect "progress off a terminal: one line per 1,000 apps" '[[ $(printf "%s\n" "$err" | grep -c "^pws-apps: [0-9]*000/10000 apps written, [0-9]* apps/s$") == 10 && $(printf "%s\n" "$err" | wc -l) == 10 ]]'
expect "all in the table" '[[ $(table_count bulk_a) == 10000 ]]'
check "export --show-secrets" 0 sh -c "\"$bin\" export --show-secrets > \"$tmp/export_a.jsonl\""
expect "export says how many" '[[ $err == "pws-apps: exported 10000 apps" ]]'
expect "export = import (as parsed JSON, any order, soketi's defaults for what the input left out)" 'same_apps "$tmp/apps.jsonl" "$tmp/export_a.jsonl" --fill'
line=$(grep -m1 '"id":"app#\?[0-9]*"' "$tmp/export_a.jsonl"); id=$(printf '%s' "$line" | cut -d'"' -f4)
check "get of an exported app" 0 "$bin" get --id "$id"
expect "each line is what get prints, less the limits the item leaves to the server-wide settings" \
  'python3 -c "import json,sys; g=json.loads(sys.argv[1]); e=json.loads(sys.argv[2]); sys.exit(not (e.items() <= g.items() and set(g) - set(e) <= {\"maxPresenceMembersPerChannel\", \"maxPresenceMemberSizeInKb\", \"maxChannelNameLength\", \"maxEventChannelsAtOnce\", \"maxEventNameLength\", \"maxEventPayloadInKb\", \"maxEventBatchSize\"}))" "$out" "$line"'
expect "export leaves out exactly the server-wide limits the input left out (so re-importing pins nothing)" \
  'python3 - "$tmp/apps.jsonl" "$tmp/export_a.jsonl" <<'"'"'PY'"'"'
import json, sys
limits = {"maxPresenceMembersPerChannel", "maxPresenceMemberSizeInKb", "maxChannelNameLength",
          "maxEventChannelsAtOnce", "maxEventNameLength", "maxEventPayloadInKb", "maxEventBatchSize"}
given = {a["id"]: limits & {k for k, v in a.items() if v is not None} for a in map(json.loads, open(sys.argv[1], encoding="utf-8"))}
got = {a["id"]: limits & set(a) for a in map(json.loads, open(sys.argv[2], encoding="utf-8"))}
sys.exit(0 if given == got and any(given.values()) and not all(given.values()) else 1)
PY'

# What the input left out of the server-wide limits is left out of the item, as put does; the
# rest is written in full.
check "get of app 0 (no limits given)" 0 "$bin" get --key "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["key"])' "$tmp/apps.jsonl")"
id0=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
item0=$(raw_get bulk_a "$(printf '%s' "$id0" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read())[1:-1])')")
expect "the limits it left out are not written; its flags and rates are" '[[ $item0 == *"\"Enabled\":{\"BOOL\":false}"* && $item0 == *"\"MaxConnections\":{\"N\":\"-1\"}"* && $item0 != *MaxEventBatchSize* && $item0 != *MaxPresenceMembersPerChannel* && $item0 != *MaxEventPayloadInKb* ]]'

export APP_MANAGER_DYNAMODB_TABLE=bulk_b
check "create-table bulk_b" 0 "$bin" create-table
check "import the export into bulk_b (stdin)" 0 sh -c "\"$bin\" import --file - < \"$tmp/export_a.jsonl\""
expect "summary" '[[ $out == "imported 10000 apps (0 replaced) in "* ]]'
check "export bulk_b" 0 sh -c "\"$bin\" export --show-secrets --page-size 777 > \"$tmp/export_b.jsonl\""
expect "bulk_b's export = bulk_a's" 'same_apps "$tmp/export_a.jsonl" "$tmp/export_b.jsonl"'
expect "= the input" 'same_apps "$tmp/apps.jsonl" "$tmp/export_b.jsonl" --fill'

check "export without --show-secrets" 0 sh -c "\"$bin\" export > \"$tmp/masked.jsonl\""
expect "every secret masked" '[[ $(grep -c "\"secret\":\"\*\*\*\*\*\*\*\*\"" "$tmp/masked.jsonl") == 10000 && $(grep -c s3cret "$tmp/masked.jsonl") == 0 ]]'
check "importing a masked export: 2" 2 "$bin" import --force --file "$tmp/masked.jsonl"
expect "says why, line by line, capped" '[[ $err == *"): the secret is ********, the mask export prints (export --show-secrets prints secrets)"* && $err == *"pws-apps: ... and 9980 more problems"* && $(printf "%s\n" "$err" | tail -1) == "pws-apps: 10000 problems in the input; nothing written" && $(printf "%s\n" "$err" | wc -l) == 22 ]]'
check "the table still holds the secrets" 0 sh -c "\"$bin\" export --show-secrets > \"$tmp/export_b2.jsonl\""
expect "unchanged" 'same_apps "$tmp/export_a.jsonl" "$tmp/export_b2.jsonl"'
check "import of the same apps again: 2" 2 "$bin" import --file "$tmp/export_a.jsonl"
expect "every id named as taken" '[[ $err == *"): already in the table (--force replaces it)"* && $(printf "%s\n" "$err" | tail -1) == "pws-apps: 10000 problems in the input; nothing written" ]]'
check "and with --force" 0 "$bin" import --force --file "$tmp/export_a.jsonl"
expect "replaces every one" '[[ $out == "imported 10000 apps (10000 replaced) in "* ]]'

# --- soketi's SQL rows, as a JSON array ----------------------------------------------------------
# What `SELECT * FROM apps` gives as JSON from soketi's MySQL (flags 0/1, webhooks as JSON text,
# null limits) or PostgreSQL (booleans, webhooks as JSON) table.
cat > "$tmp/sql.json" <<'JSON'
[
 {"id":"sql-1","key":"sql-key-1","secret":"sql-1-s3cret","max_connections":100,"enable_client_messages":1,"enabled":1,
  "max_backend_events_per_sec":10,"max_client_events_per_sec":20,"max_read_req_per_sec":30,
  "webhooks":"[{\"url\":\"https://example.com/sql\",\"event_types\":[\"channel_vacated\"]}]",
  "max_presence_members_per_channel":null,"max_presence_member_size_in_kb":null,"max_channel_name_length":null,
  "max_event_channels_at_once":null,"max_event_name_length":null,"max_event_payload_in_kb":null,
  "max_event_batch_size":null,"enable_user_authentication":0},
 {"id":"sql-2","key":"sql-key-2","secret":"sql-2-s3cret","max_connections":-1,"enable_client_messages":false,"enabled":false,
  "max_backend_events_per_sec":-1,"max_client_events_per_sec":-1,"max_read_req_per_sec":-1,"webhooks":[],
  "max_presence_members_per_channel":7,"max_presence_member_size_in_kb":1.5,"max_channel_name_length":50,
  "max_event_channels_at_once":3,"max_event_name_length":40,"max_event_payload_in_kb":20,"max_event_batch_size":2,
  "enable_user_authentication":true}
]
JSON
export APP_MANAGER_DYNAMODB_TABLE=bulk_sql
check "create-table bulk_sql" 0 "$bin" create-table
check "import a JSON array of snake_case rows" 0 "$bin" import --file "$tmp/sql.json"
expect "summary" '[[ $out == "imported 2 apps (0 replaced) in "* ]]'
check "get sql-1" 0 "$bin" get --id sql-1
expect "every column read" '[[ $out == "{\"id\":\"sql-1\",\"key\":\"sql-key-1\",\"secret\":\"sql-1-s3cret\",\"enabled\":true,\"enableClientMessages\":true,\"enableUserAuthentication\":false,\"maxConnections\":100,\"maxBackendEventsPerSecond\":10,\"maxClientEventsPerSecond\":20,\"maxReadRequestsPerSecond\":30,\"maxPresenceMembersPerChannel\":100,\"maxChannelNameLength\":200,\"maxEventChannelsAtOnce\":100,\"maxEventNameLength\":200,\"maxEventBatchSize\":10,\"maxPresenceMemberSizeInKb\":2,\"maxEventPayloadInKb\":100,\"webhooks\":[{\"url\":\"https://example.com/sql\",\"event_types\":[\"channel_vacated\"]}]}" ]]'
sql1=$(raw_get bulk_sql sql-1)
expect "its null limits are not written (the reader applies the server-wide ones)" '[[ $sql1 == *"\"MaxConnections\":{\"N\":\"100\"}"* && $sql1 != *MaxPresence* && $sql1 != *MaxEvent* && $sql1 != *MaxChannelNameLength* ]]'
check "get sql-2" 0 "$bin" get --key sql-key-2
expect "every column read" '[[ $out == "{\"id\":\"sql-2\",\"key\":\"sql-key-2\",\"secret\":\"sql-2-s3cret\",\"enabled\":false,\"enableClientMessages\":false,\"enableUserAuthentication\":true,\"maxConnections\":-1,\"maxBackendEventsPerSecond\":-1,\"maxClientEventsPerSecond\":-1,\"maxReadRequestsPerSecond\":-1,\"maxPresenceMembersPerChannel\":7,\"maxChannelNameLength\":50,\"maxEventChannelsAtOnce\":3,\"maxEventNameLength\":40,\"maxEventBatchSize\":2,\"maxPresenceMemberSizeInKb\":1.5E0,\"maxEventPayloadInKb\":20,\"webhooks\":[]}" ]]'
printf '[{"id":"sql-3","key":"sql-key-3","secret":"sql-3-s3cret","max_connections":5,"maxConnections":6}]' > "$tmp/conflict.json"
check "two spellings of one field that differ: 2" 2 "$bin" import --file "$tmp/conflict.json"
expect "names both, by element" '[[ $err == "pws-apps: element 1 (app \"sql-3\"): maxConnections: also set as max_connections, to a different value"* ]]'
printf '[{"id":"sql-4","key":"sql-key-4","secret":"sql-4-s3cret","created_at":"2024-01-01"}]' > "$tmp/extra.json"
check "an unknown column: 2" 2 "$bin" import --file "$tmp/extra.json"
expect "named" '[[ $err == "pws-apps: element 1 (app \"sql-4\"): unknown field \"created_at\" (export prints the known ones; soketi'"'"'s SQL column names are accepted too)"* ]]'
expect "nothing written" '[[ $(table_count bulk_sql) == 2 ]]'

# --- refusals, and --dry-run reporting the same --------------------------------------------------
export APP_MANAGER_DYNAMODB_TABLE=bulk_refusals
check "create-table bulk_refusals" 0 "$bin" create-table
check "put ref-1" 0 "$bin" put --id ref-1 --key ref-key-1 --secret ref-1-s3cret
check "put ref-2" 0 "$bin" put --id ref-2 --key ref-key-2 --secret ref-2-s3cret --max-connections 2
raw PutItem '{"TableName":"bulk_refusals","Item":{"AppId":{"S":"ref-bad"},"AppKey":{"S":"ref-bad-key"},"AppSecret":{"S":"ref-bad-s3cret"},"Webhooks":{"S":"not json"}}}' >/dev/null
before=$(raw Scan '{"TableName":"bulk_refusals"}' | python3 -c 'import json,sys; print(json.dumps(sorted(json.load(sys.stdin)["Items"], key=lambda i: i["AppId"]["S"]), sort_keys=True))')
[[ $before == *'"S": "ref-bad"'* ]] || echo "FAIL: could not read bulk_refusals: $before"
unchanged() { [[ $(raw Scan '{"TableName":"bulk_refusals"}' | python3 -c 'import json,sys; print(json.dumps(sorted(json.load(sys.stdin)["Items"], key=lambda i: i["AppId"]["S"]), sort_keys=True))') == "$before" ]]; }

cat > "$tmp/bad.jsonl" <<'EOF'
{"id":"new-1","key":"new-key-1","secret":"new-1-s3cret"}
{"id":"new-1","key":"new-key-1b","secret":"new-1b-s3cret"}

{"id":"new-2","key":"new-key-1","secret":"new-2-s3cret"}
{"id":"new-3","key":"ref-key-2","secret":"new-3-s3cret"}
{"id":"ref-1","key":"ref-key-1","secret":"ref-1-new-s3cret"}
{"id":"new-4","key":"new-key-4","secret":"new-4-s3cret",
{"id":"new-5","key":"new-key-5","secret":"********"}
{"id":"new-6","key":"ref-bad-key","secret":"new-6-s3cret"}
["not an app"]
{"id":"new-7","key":"new-key-7","secret":"new-7-s3cret","maxConections":5}
{"id":"new-8","key":"new-key-8","secret":"new-8-s3cret","maxConnections":"many"}
{"id":"new-9","key":"new-key-9","secret":{"wrong":"new-9-s3cret"}}
{"id":"new-10","key":"","secret":"new-10-s3cret"}
{"id":"new-1","key":"ref-key-2","secret":"new-1c-s3cret"}
EOF
want=$(cat <<'EOF'
pws-apps: line 2 (app "new-1"): the same id as line 1 (app "new-1")
pws-apps: line 4 (app "new-2"): key "new-key-1" is also the key of line 1 (app "new-1")
pws-apps: line 5 (app "new-3"): key "ref-key-2" is already used by app "ref-2" in the table
pws-apps: line 6 (app "ref-1"): already in the table (--force replaces it)
pws-apps: line 7: invalid JSON (incomplete JSON)
pws-apps: line 8 (app "new-5"): the secret is ********, the mask export prints (export --show-secrets prints secrets)
pws-apps: line 9 (app "new-6"): key "ref-bad-key" is already used by app "ref-bad" in the table
pws-apps: line 10: expected a JSON object (one app)
pws-apps: line 11 (app "new-7"): unknown field "maxConections" (export prints the known ones; soketi's SQL column names are accepted too)
pws-apps: line 12 (app "new-8"): maxConnections: expected a 64-bit integer (a number or a string of digits), got "many"
pws-apps: line 13 (app "new-9"): secret: expected a string
pws-apps: line 14 (app "new-10"): key: must not be empty
pws-apps: line 15 (app "new-1"): the same id as line 1 (app "new-1")
pws-apps: line 15 (app "new-1"): key "ref-key-2" is also the key of line 5 (app "new-3")
pws-apps: line 15 (app "new-1"): key "ref-key-2" is already used by app "ref-2" in the table
pws-apps: 15 problems in the input; nothing written
EOF
)
check "import of a file with every kind of problem: 2" 2 "$bin" import --file "$tmp/bad.jsonl"
expect "every problem named by line (and id), in input order, then the count" '[[ $err == "$want" ]]'
expect "nothing written" 'unchanged'
real_err=$err
check "--dry-run of it: 2" 2 "$bin" import --dry-run --file "$tmp/bad.jsonl"
expect "reports exactly what the real run reported" '[[ -n $err && $err == "$real_err" ]]'
check "--force --dry-run: 2" 2 "$bin" import --force --dry-run --file "$tmp/bad.jsonl"
expect "the same but for the existing id" '[[ $err == "$(printf "%s\n" "$real_err" | grep -v "already in the table" | sed "s/^pws-apps: 15 problems/pws-apps: 14 problems/")" ]]'
expect "nothing written" 'unchanged'

printf '{"id":"ref-1","key":"ref-key-1","secret":"ref-1-s3cret","maxConnections":11}\n{"id":"new-1","key":"new-key-1","secret":"new-1-s3cret"}\n' > "$tmp/good.jsonl"
check "--dry-run of an importable file" 2 "$bin" import --dry-run --file "$tmp/good.jsonl"
expect "refuses the existing id like a real run" '[[ $err == "pws-apps: line 1 (app \"ref-1\"): already in the table (--force replaces it)"$'"'"'\n'"'"'"pws-apps: 1 problem in the input; nothing written" ]]'
check "--dry-run --force of it: 0" 0 "$bin" import --dry-run --force --file "$tmp/good.jsonl"
expect "says it checked, and writes nothing" '[[ $out == "checked 2 apps: all can be imported (1 would replace apps in the table); nothing written" ]] && unchanged'
check "import --force of it" 0 "$bin" import --force --file "$tmp/good.jsonl"
expect "says one was replaced" '[[ $out == "imported 2 apps (1 replaced) in "* ]]'
check "get ref-1" 0 "$bin" get --id ref-1
expect "replaced" '[[ $out == *"\"maxConnections\":11"* ]]'
check "get new-1" 0 "$bin" get --key new-key-1
printf '{"id":"ref-1","key":"ref-key-2","secret":"ref-1-s3cret"}\n' > "$tmp/steal.jsonl"
check "--force does not take another app's key: 2" 2 "$bin" import --force --file "$tmp/steal.jsonl"
expect "names the holder" '[[ $err == "pws-apps: line 1 (app \"ref-1\"): key \"ref-key-2\" is already used by app \"ref-2\" in the table"* ]]'

seq 25 | sed 's/.*/{"id":"dup","key":"dup-&","secret":"dup-s3cret"}/' > "$tmp/dups.jsonl"
check "25 duplicate ids: 2" 2 "$bin" import --file "$tmp/dups.jsonl"
expect "the first 20 problems, then how many more" '[[ $(printf "%s\n" "$err" | wc -l) == 22 && $(printf "%s\n" "$err" | sed -n 21p) == "pws-apps: ... and 4 more problems" && $(printf "%s\n" "$err" | tail -1) == "pws-apps: 24 problems in the input; nothing written" ]]'
printf '[{"id":"a","key":"a","secret":"a-s3cret"},' > "$tmp/broken.json"
check "a JSON array that does not parse: 2" 2 "$bin" import --file "$tmp/broken.json"
expect "says so" '[[ $err == "pws-apps: $tmp/broken.json: invalid JSON array ("* ]]'
printf '\n  \n' > "$tmp/empty.jsonl"
check "an input without apps: 2" 2 "$bin" import --file "$tmp/empty.jsonl"
expect "says so" '[[ $err == "pws-apps: $tmp/empty.jsonl: no apps in the input" ]]'
truncate -s 257M "$tmp/huge.jsonl"
check "an input over 256 MiB: 2" 2 "$bin" import --file "$tmp/huge.jsonl"
expect "says so" '[[ $err == "pws-apps: $tmp/huge.jsonl: larger than 256 MiB, the most import reads; split it into several imports" ]]'
rm -f "$tmp/huge.jsonl"
hooks=$(python3 -c 'import json; print(json.dumps(json.dumps([{"url": "https://example.com/" + "x" * 1000, "event_types": ["client_event"]}] * 420)))')
printf '{"id":"big","key":"big-key","secret":"big-s3cret","webhooks":%s}\n' "$hooks" > "$tmp/big.jsonl"
check "an item over DynamoDB's 400 KB: 2" 2 "$bin" import --file "$tmp/big.jsonl"
expect "refused before writing" '[[ $err == "pws-apps: line 1 (app \"big\"): the item would be "*" bytes, more than DynamoDB'"'"'s 400 KB per item"* ]]'
check "missing file: 2" 2 "$bin" import --file "$tmp/none.jsonl"
check "no --file: 2" 2 "$bin" import
check "unknown option: 2" 2 "$bin" import --file "$tmp/good.jsonl" --yes
check "import into a missing table: 2" 2 env APP_MANAGER_DYNAMODB_TABLE=no-such-table "$bin" import --file "$tmp/good.jsonl"
expect "names the DynamoDB error" '[[ $err == *ResourceNotFoundException* ]]'
expect "nothing else changed" '[[ $(table_count bulk_refusals) == 4 ]]'

# --- export of a table with an unreadable item ---------------------------------------------------
check "export with an unreadable item: 2" 2 sh -c "\"$bin\" export --show-secrets --page-size 1 > \"$tmp/partial.jsonl\""
expect "the item named by id and attribute, the others exported" '[[ $(printf "%s\n" "$err" | head -1) == "pws-apps: item \"ref-bad\": Webhooks"* && $(printf "%s\n" "$err" | tail -1) == "pws-apps: exported 3 apps; 1 item could not be read" && $(count_lines "$tmp/partial.jsonl") == 3 ]]'
check "export of a missing table: 2" 2 env APP_MANAGER_DYNAMODB_TABLE=no-such-table "$bin" export
check "export --page-size 0: 2" 2 "$bin" export --page-size 0

# --- --dry-run, and progress on a terminal -------------------------------------------------------
export APP_MANAGER_DYNAMODB_TABLE=bulk_tty
check "create-table bulk_tty" 0 "$bin" create-table
check "--dry-run of the 10,000 apps into an empty table: 0" 0 "$bin" import --dry-run --file "$tmp/apps.jsonl"
expect "says all can be imported" '[[ $out == "checked 10000 apps: all can be imported; nothing written" ]]'
expect "and wrote nothing" '[[ $(table_count bulk_tty) == 0 ]]'
head -3000 "$tmp/apps.jsonl" > "$tmp/3000.jsonl"
python3 - "$bin" "$tmp/3000.jsonl" "$tmp/tty_err" <<'PY'
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.Popen([sys.argv[1], "import", "--file", sys.argv[2]], stdout=subprocess.DEVNULL, stderr=slave)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
open(sys.argv[3], "wb").write(data)
sys.exit(p.wait())
PY
rc=$?
tty_err=$(cat "$tmp/tty_err"); cat "$tmp/tty_err" >> "$tmp/all_stderr"
expect "import on a terminal: 0" '[[ $rc == 0 ]]'
expect "one line rewritten with \\r, ending at 3000/3000 with a rate" '[[ $tty_err == $'"'"'\r'"'"'"pws-apps: "* && $tty_err == *"pws-apps: 3000/3000 apps written, "*" apps/s"* && $(tr -cd "\n" < "$tmp/tty_err" | wc -c) == 1 ]]'

# --- a scripted server: unprocessed items --------------------------------------------------------
cat > "$tmp/server.py" <<'PY'
# server.py MODE PORT_FILE LOG: answers Scan with an empty table and BatchWriteItem per MODE:
#   half    the first 6 calls leave the second half of their items unprocessed, then all done
#   never   every item unprocessed, forever
#   foreign an unprocessed item that was never sent
# LOG gets one line per item taken as written, and "call" per BatchWriteItem.
import http.server, json, os, sys, threading, time
mode, port_file, log = sys.argv[1:4]
lock, calls = threading.Lock(), [0]
parent = os.getppid()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        target = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
        if target == "Scan":
            out = {"Items": [], "Count": 0, "ScannedCount": 0}
        elif target == "BatchWriteItem":
            (table, requests), = body["RequestItems"].items()
            with lock:
                calls[0] += 1
                n = calls[0]
            if mode == "never":
                left = requests
            elif mode == "half":
                left = requests[len(requests) // 2:] if n <= 6 else []
            else:
                left = [{"PutRequest": {"Item": {"AppId": {"S": "never-sent"}, "AppKey": {"S": "k"}}}}]
            with lock, open(log, "a") as f:
                f.write("call\n")
                for r in requests:
                    if r not in left:
                        f.write(json.dumps(r["PutRequest"]["Item"]) + "\n")
            out = {"UnprocessedItems": {table: left} if left else {}}
        else:
            out = {"__type": "com.amazon.coral.service#UnknownOperationException"}
        data = json.dumps(out).encode()
        self.send_response(200 if "__type" not in out else 400)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "scripted")
        self.end_headers()
        self.wfile.write(data)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
def watchdog():  # gone with the test, even if its trap never runs; and never past 5 minutes
    start = time.time()
    while os.getppid() == parent and time.time() - start < 300:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=watchdog, daemon=True).start()
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
start_server() { # start_server MODE: the scripted server on a free port; sets $scripted
  rm -f "$tmp/port" "$tmp/log"
  python3 "$tmp/server.py" "$1" "$tmp/port" "$tmp/log" & server_pid=$!
  for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
  scripted="http://127.0.0.1:$(cat "$tmp/port")"
}
head -100 "$tmp/apps.jsonl" > "$tmp/100.jsonl"
cat > "$tmp/took_all.py" <<'PY'
# took_all.py INPUT LOG: the server took each app of INPUT exactly once, with its key and secret.
import json, sys
want = {}
for line in open(sys.argv[1], encoding="utf-8"):
    a = json.loads(line)
    want[a["id"]] = (a["key"], a["secret"])
items = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l != "call\n"]
seen = [(i["AppId"]["S"], (i["AppKey"]["S"], i["AppSecret"]["S"])) for i in items]
sys.exit(0 if len(seen) == len(want) and dict(seen) == want else 1)
PY

start_server half
check "import against a server leaving half unprocessed at first: 0" 0 \
  env APP_MANAGER_DYNAMODB_ENDPOINT="$scripted" APP_MANAGER_DYNAMODB_TABLE=scripted "$bin" import --file "$tmp/100.jsonl"
stop_server
expect "summary" '[[ $out == "imported 100 apps (0 replaced) in "* ]]'
expect "retried: more calls than the 4 batches" '[[ $(grep -c "^call$" "$tmp/log") -gt 4 ]]'
expect "the server took every item once, as the input has it" 'python3 "$tmp/took_all.py" "$tmp/100.jsonl" "$tmp/log"'

start_server never
t0=$(date +%s.%N)
check "import against a server that never processes anything: 2, in bounded time" 2 \
  timeout 120 env APP_MANAGER_DYNAMODB_ENDPOINT="$scripted" APP_MANAGER_DYNAMODB_TABLE=scripted "$bin" import --file "$tmp/100.jsonl"
t1=$(date +%s.%N)
stop_server
python3 -c "import sys; print(f'figure: gave up after {float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$t0" "$t1"
expect "says why, and how many were written" '[[ $err == "pws-apps: writing the batch starting at line "*": DynamoDB left all 25 apps unprocessed 8 times in a row (the table'"'"'s write capacity is exhausted?)"$'"'"'\n'"'"'"pws-apps: 0 of 100 apps were written; importing again with --force writes the rest" ]]'
expect "at most 8 rounds for each of the 4 batches" '(( $(grep -c "^call$" "$tmp/log") >= 8 && $(grep -c "^call$" "$tmp/log") <= 32 ))'

start_server foreign
check "a server answering an item never sent as unprocessed: 2" 2 \
  timeout 60 env APP_MANAGER_DYNAMODB_ENDPOINT="$scripted" APP_MANAGER_DYNAMODB_TABLE=scripted "$bin" import --file "$tmp/100.jsonl"
stop_server
expect "says so" '[[ $err == "pws-apps: writing the batch starting at line "*": the server answered an unprocessed item this batch did not send"* ]]'

finish s3cret- sql-1-s3cret ref-1-s3cret ref-1-new-s3cret new-1b-s3cret new-3-s3cret new-9-s3cret new-10-s3cret dup-s3cret
