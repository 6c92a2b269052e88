#!/usr/bin/env bash
# pws-apps create-table and check against dynalite: the created table is the seed's schema, check
# says OK on it and names each problem of tables that differ (seed.mjs --wrong-schema, and tables
# made here with raw CreateTable calls), exit codes 0/1/2.
# Usage: table_test.sh PATH/TO/pws-apps   (PWS_DYNALITE_STATE: seeded fixture; PWS_WRONG_STATE:
# the WRONG_SCHEMA fixture)
bin=$1
. "$(dirname "$0")/lib.sh"

same_schema() { # same_schema TABLE-A TABLE-B: same attributes, keys, billing and index (key, projection)
  python3 -c '
import json, sys
def schema(text):
    t = json.loads(text)["Table"]
    return (sorted((a["AttributeName"], a["AttributeType"]) for a in t["AttributeDefinitions"]), t["KeySchema"],
            t.get("BillingModeSummary", {}).get("BillingMode", t.get("BillingMode")),
            [(g["IndexName"], g["KeySchema"], g["Projection"]) for g in t.get("GlobalSecondaryIndexes", [])])
a, b = schema(sys.argv[1]), schema(sys.argv[2])
print(a if a == b else f"{a} != {b}")
sys.exit(a != b)' "$(raw DescribeTable "{\"TableName\":\"$1\"}")" "$(raw DescribeTable "{\"TableName\":\"$2\"}")"
}

check "check: the seed's table is OK" 0 "$bin" check
expect "check: says OK" '[[ $out == "table apps: OK"* ]]'

check "create-table (on demand)" 0 env APP_MANAGER_DYNAMODB_TABLE=fresh "$bin" create-table
expect "create-table: says what it made and that it is ACTIVE" '[[ $out == "created table fresh: hash key AppId (S), index AppKeyIndex on AppKey (S) projecting ALL, on demand; ACTIVE after "* ]]'
expect "create-table: exactly the seed's schema" 'same_schema fresh apps'
check "check on the created table: 0" 0 env APP_MANAGER_DYNAMODB_TABLE=fresh "$bin" check
check "create-table over an existing table: 2" 2 env APP_MANAGER_DYNAMODB_TABLE=fresh "$bin" create-table
expect "create-table over an existing table: says so" '[[ $err == "pws-apps: table fresh already exists (pws-apps check tells whether its schema is right)" ]]'

check "create-table --rcu 5 --wcu 3" 0 env APP_MANAGER_DYNAMODB_TABLE=prov "$bin" create-table --rcu 5 --wcu 3
prov=$(raw DescribeTable '{"TableName":"prov"}')
expect "provisioned: 5 RCU / 3 WCU on the table and on the index" '[[ $prov == *"\"BillingMode\":\"PROVISIONED\""* && $(grep -o "\"WriteCapacityUnits\":3,\"ReadCapacityUnits\":5" <<< "$prov" | wc -l) == 2 ]]'
check "check on the provisioned table: 0" 0 env APP_MANAGER_DYNAMODB_TABLE=prov "$bin" check

# A DynamoDB that takes its time to create tables, as the real one does: create-table waits for
# ACTIVE (table and index), and gives up after --wait-seconds with exit 2.
modules=$(cd "$(dirname "$0")/../../tools/node/node_modules" && pwd)
"${PWS_NODE:-node}" -e '
const s = require(process.argv[1] + "/dynalite")({ createTableMs: 3000 });
s.listen(0, "127.0.0.1", () => console.log(s.address().port));
setTimeout(() => process.exit(0), 60000);' "$modules" > "$tmp/slow_port" &
slow=$!
for _ in $(seq 100); do [ -s "$tmp/slow_port" ] && break; sleep 0.1; done
slow_endpoint=http://127.0.0.1:$(cat "$tmp/slow_port")
check "slow creation: create-table waits" 0 env APP_MANAGER_DYNAMODB_ENDPOINT=$slow_endpoint "$bin" create-table
expect "slow creation: ACTIVE after the server's 3 s" '[[ $out =~ ACTIVE\ after\ ([0-9.]+)\ s$ ]] && (( ${BASH_REMATCH[1]%%.*} >= 3 ))'
check "slow creation: check once ACTIVE" 0 env APP_MANAGER_DYNAMODB_ENDPOINT=$slow_endpoint "$bin" check
check "slow creation: --wait-seconds 1 gives up: 2" 2 env APP_MANAGER_DYNAMODB_ENDPOINT=$slow_endpoint APP_MANAGER_DYNAMODB_TABLE=later "$bin" create-table --wait-seconds 1
expect "slow creation: says what is not ready" '[[ $err == "pws-apps: table later was created but is not ready after 1 s (table is CREATING, not ACTIVE"* ]]'
check "slow creation: check meanwhile: 1, not ACTIVE" 1 env APP_MANAGER_DYNAMODB_ENDPOINT=$slow_endpoint APP_MANAGER_DYNAMODB_TABLE=later "$bin" check
expect "slow creation: check names the status" '[[ $out == "table later: table is CREATING, not ACTIVE"* ]]'
kill $slow 2>/dev/null; wait $slow 2>/dev/null

check "check on a missing table: 1" 1 env APP_MANAGER_DYNAMODB_TABLE=no-such-table "$bin" check
expect "check on a missing table: says so" '[[ $out == "table no-such-table: does not exist (pws-apps create-table makes it)" ]]'

# seed.mjs --wrong-schema: keyed on Id, no index.
check "check on the wrong-schema table: 1" 1 env APP_MANAGER_DYNAMODB_ENDPOINT="$(cat "$PWS_WRONG_STATE/endpoint")" "$bin" check
expect "wrong schema: names the key and the missing index, nothing else" '[[ $out == "table apps: table'"'"'s hash key is Id (S); expected AppId (S)
table apps: no global secondary index AppKeyIndex (on AppKey, projection ALL)" ]]'

# Other wrong tables, made with raw CreateTable calls.
gsi() { echo "{\"IndexName\":\"$1\",\"KeySchema\":[{\"AttributeName\":\"AppKey\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"$2\"}}"; }
raw CreateTable '{"TableName":"numid","BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"AppId","AttributeType":"N"},{"AttributeName":"AppKey","AttributeType":"S"}],"KeySchema":[{"AttributeName":"AppId","KeyType":"HASH"}],"GlobalSecondaryIndexes":['"$(gsi AppKeyIndex KEYS_ONLY)"']}' >/dev/null
check "numeric AppId and KEYS_ONLY index: 1" 1 env APP_MANAGER_DYNAMODB_TABLE=numid "$bin" check
expect "numeric AppId and KEYS_ONLY index: both named" '[[ $out == "table numid: table'"'"'s hash key AppId is of type N; it must be S (string)
table numid: index AppKeyIndex projects KEYS_ONLY; lookups by key read whole items from it, so it must project ALL" ]]'
raw CreateTable '{"TableName":"byname","BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"AppId","AttributeType":"S"},{"AttributeName":"AppKey","AttributeType":"S"}],"KeySchema":[{"AttributeName":"AppId","KeyType":"HASH"}],"GlobalSecondaryIndexes":['"$(gsi ByKey ALL)"']}' >/dev/null
check "index under another name: 1" 1 env APP_MANAGER_DYNAMODB_TABLE=byname "$bin" check
expect "index under another name: missing, with a hint" '[[ $out == "table byname: no global secondary index AppKeyIndex (on AppKey, projection ALL); index ByKey is on AppKey but lookups query AppKeyIndex" ]]'
raw CreateTable '{"TableName":"ranged","BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"AppId","AttributeType":"S"},{"AttributeName":"Version","AttributeType":"N"},{"AttributeName":"AppKey","AttributeType":"S"}],"KeySchema":[{"AttributeName":"AppId","KeyType":"HASH"},{"AttributeName":"Version","KeyType":"RANGE"}],"GlobalSecondaryIndexes":['"$(gsi AppKeyIndex ALL)"']}' >/dev/null
check "range key: 1" 1 env APP_MANAGER_DYNAMODB_TABLE=ranged "$bin" check
expect "range key: named with its type" '[[ $out == "table ranged: table has a range key Version (N); it must be keyed on AppId alone" ]]'

check "usage: --rcu without --wcu: 2" 2 "$bin" create-table --rcu 5
check "usage: --on-demand with units: 2" 2 "$bin" create-table --on-demand --rcu 1 --wcu 1
check "usage: --rcu 0: 2" 2 "$bin" create-table --rcu 0 --wcu 1
expect "usage: one reason line first" '[[ $err == "pws-apps: --rcu takes a positive integer"* ]]'
check "usage: check takes no argument: 2" 2 "$bin" check extra
check "no credentials: 2" 2 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
  -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_WEB_IDENTITY_TOKEN_FILE \
  AWS_EC2_METADATA_DISABLED=true HOME="$(mktemp -d)" "$bin" check
expect "no credentials: says so" '[[ $err == *"no AWS credentials"* ]]'
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s)
check "unreachable endpoint: 2" 2 env APP_MANAGER_DYNAMODB_ENDPOINT=http://127.0.0.1:$port APP_MANAGER_DYNAMODB_TABLE=x "$bin" create-table
expect "unreachable endpoint: one line, in bounded time" '[[ $(printf "%s\n" "$err" | wc -l) == 1 && $(( $(date +%s) - start )) -lt 30 ]]'

finish
