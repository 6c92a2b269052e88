#!/usr/bin/env bash
# A soketi deployment's environment and items, against dynalite, through pws-apps (issue 17):
# the SOKETI_-prefixed DynamoDB variables select the table and endpoint, two spellings that
# disagree stop the tool naming both, the server-wide limit variables fill what items leave out,
# and items written with soketi's other field spellings (camelCase, snake_case) read as the
# PascalCase ones, a conflicting pair being an error that names both, never "not found".
# Usage: soketi_test.sh PATH/TO/pws-apps   (PWS_DYNALITE_STATE: seeded fixture)
bin=$1
. "$(dirname "$0")/lib.sh"
unset SOKETI_APP_MANAGER_DYNAMODB_TABLE SOKETI_APP_MANAGER_DYNAMODB_REGION SOKETI_APP_MANAGER_DYNAMODB_ENDPOINT
export APP_MANAGER_DYNAMODB_TABLE=soketi_spellings
check "create-table soketi_spellings" 0 "$bin" create-table

put() { # put JSON-ITEM: PutItem straight into the table, as soketi's own tools would write it
  local r; r=$(raw PutItem "{\"TableName\":\"soketi_spellings\",\"Item\":$1}")
  [[ $r == "{}" ]] || echo "seeding failed: $r"
}
keys() { printf '"AppId":{"S":"%s"},"AppKey":{"S":"%s-key"},"AppSecret":{"S":"soketi-test-app-secret-%s"}' "$1" "$1" "$1"; }
put "{$(keys pascal),\"MaxConnections\":{\"N\":\"11\"},\"EnableClientMessages\":{\"B\":\"dHJ1ZQ==\"}}"
put "{$(keys camel),\"maxConnections\":{\"N\":\"12\"},\"enableClientMessages\":{\"BOOL\":true},\"maxEventPayloadInKb\":{\"N\":\"3.5\"}}"
put "{$(keys snake),\"max_connections\":{\"N\":\"13\"},\"enable_client_messages\":{\"S\":\"true\"},\"max_read_req_per_sec\":{\"N\":\"4\"}}"
put "{$(keys agree),\"MaxConnections\":{\"N\":\"14\"},\"max_connections\":{\"N\":\"14\"}}"
put "{$(keys clash),\"MaxConnections\":{\"N\":\"5\"},\"max_connections\":{\"N\":\"7\"}}"

# 1. soketi's spelling of the table variable alone finds the table.
check "SOKETI_APP_MANAGER_DYNAMODB_TABLE alone" 0 env -u APP_MANAGER_DYNAMODB_TABLE \
  SOKETI_APP_MANAGER_DYNAMODB_TABLE=soketi_spellings "$bin" get --id pascal
expect "read from that table" '[[ $out == *"\"maxConnections\":11"* ]]'
check "SOKETI_APP_MANAGER_DYNAMODB_ENDPOINT alone" 0 env -u APP_MANAGER_DYNAMODB_ENDPOINT \
  SOKETI_APP_MANAGER_DYNAMODB_ENDPOINT="$endpoint" "$bin" get --id pascal
check "without the table variable: the default table apps, where pascal is not" 1 \
  env -u APP_MANAGER_DYNAMODB_TABLE "$bin" get --id pascal
check "both spellings, different tables: refused" 2 env SOKETI_APP_MANAGER_DYNAMODB_TABLE=apps "$bin" get --id pascal
expect "naming both variables" '[[ $err == *"APP_MANAGER_DYNAMODB_TABLE and SOKETI_APP_MANAGER_DYNAMODB_TABLE"* ]]'
check "both spellings, the same table: fine" 0 env SOKETI_APP_MANAGER_DYNAMODB_TABLE=soketi_spellings "$bin" get --id pascal

# 2. Server-wide limits for what items leave out; an item's own value wins.
check "limits from SOKETI_EVENT_MAX_SIZE_IN_KB and PRESENCE_MAX_MEMBERS" 0 \
  env SOKETI_EVENT_MAX_SIZE_IN_KB=7 PRESENCE_MAX_MEMBERS=3 "$bin" get --id pascal
expect "absent limits take them" '[[ $out == *"\"maxEventPayloadInKb\":7"* && $out == *"\"maxPresenceMembersPerChannel\":3"* ]]'
check "an item's own limit wins" 0 env SOKETI_EVENT_MAX_SIZE_IN_KB=7 "$bin" get --id camel
expect "its 3.5, not 7" '[[ $out == *"\"maxEventPayloadInKb\":3.5"* ]]'
check "a limit variable it cannot read" 2 env SOKETI_EVENT_MAX_BATCH_SIZE=ten "$bin" get --id pascal
expect "names it" '[[ $err == *"SOKETI_EVENT_MAX_BATCH_SIZE"* ]]'

# 3. soketi's three spellings, by id and by key (the Query path decodes the same way).
for id in pascal camel snake agree; do
  check "get --id $id" 0 "$bin" get --id $id
  case $id in pascal) want=11 ;; camel) want=12 ;; snake) want=13 ;; agree) want=14 ;; esac
  expect "$id: maxConnections $want" "[[ \$out == *'\"maxConnections\":$want'* ]]"
  check "get --key $id-key" 0 "$bin" get --key $id-key
done
check "get --id snake, again" 0 "$bin" get --id snake
expect "snake: client messages on, max_read_req_per_sec 4" '[[ $out == *"\"enableClientMessages\":true"* && $out == *"\"maxReadRequestsPerSecond\":4"* ]]'
check "get --id clash: an error, not \"no such app\"" 2 "$bin" get --id clash
expect "naming both spellings" '[[ $err == *MaxConnections* && $err == *max_connections* ]]'
check "get --key clash-key: the same error" 2 "$bin" get --key clash-key

# 4. A global table's failover (issue 18): with the primary's endpoint refusing, pws-apps reads
#    and scans through the replica that APP_MANAGER_DYNAMODB_FAILOVER names (either spelling).
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
check "get through the failover replica" 0 env APP_MANAGER_DYNAMODB_ENDPOINT="http://127.0.0.1:$dead" \
  SOKETI_APP_MANAGER_DYNAMODB_FAILOVER="eu-west-1=$endpoint" "$bin" get --id pascal
expect "the replica's answer" '[[ $out == *"\"maxConnections\":11"* ]]'
check "list (a Scan) through the failover replica (exit 2: the clash item)" 2 env APP_MANAGER_DYNAMODB_ENDPOINT="http://127.0.0.1:$dead" \
  APP_MANAGER_DYNAMODB_FAILOVER="eu-west-1=$endpoint" "$bin" list
expect "every readable app" '[[ $out == *pascal* && $out == *snake* && $err == *clash* && $err != *refused* ]]'
check "no failover: the refusal is an error" 2 env APP_MANAGER_DYNAMODB_ENDPOINT="http://127.0.0.1:$dead" \
  "$bin" get --id pascal
check "a malformed failover list is refused, naming it" 2 env APP_MANAGER_DYNAMODB_FAILOVER="eu-west-1,," "$bin" get --id pascal
expect "naming the variable" '[[ $err == *APP_MANAGER_DYNAMODB_FAILOVER* ]]'

finish soketi-test-app-secret-pascal soketi-test-app-secret-clash
