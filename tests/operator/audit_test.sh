#!/usr/bin/env bash
# pws-apps audit against dynalite: a table seeded (raw PutItem, bypassing pws-apps) with every
# kind of difference between soketi's reading and this library's, each expected line checked,
# exit 1; the same output page by page; a table where both agree (and an empty one): exit 0; a
# missing table: exit 2; no secret in stdout or stderr.
# Usage: audit_test.sh PATH/TO/pws-apps   (PWS_DYNALITE_STATE: seeded fixture)
bin=$1
. "$(dirname "$0")/lib.sh"
# Only the table is set; every other variable the configuration reads is unset, in both spellings.
for v in APP_MANAGER_DYNAMODB_TABLE APP_MANAGER_DYNAMODB_REGION APP_MANAGER_DYNAMODB_ENDPOINT PRESENCE_MAX_MEMBERS \
         PRESENCE_MAX_MEMBER_SIZE CHANNEL_LIMITS_MAX_NAME_LENGTH EVENT_MAX_CHANNELS_AT_ONCE EVENT_MAX_NAME_LENGTH \
         EVENT_MAX_SIZE_IN_KB EVENT_MAX_BATCH_SIZE; do
  unset "SOKETI_$v"
  [[ $v == APP_MANAGER_DYNAMODB_ENDPOINT ]] || unset "$v"
done
unset AWS_USE_FIPS_ENDPOINT AWS_CA_BUNDLE
export APP_MANAGER_DYNAMODB_TABLE=audit
check "create-table audit" 0 "$bin" create-table

b64() { printf '%s' "$1" | base64; }
put() { # put ID SECRET-OR-EMPTY KEY [MORE-ATTRIBUTES]: one item, written raw
  local item="\"AppId\":{\"S\":\"$1\"},\"AppKey\":{\"S\":\"$3\"}"
  [[ -n $2 ]] && item+=",\"AppSecret\":{\"S\":\"$2\"}"
  [[ -n ${4:-} ]] && item+=",$4"
  local r
  r=$(raw PutItem "{\"TableName\":\"${TABLE:-audit}\",\"Item\":{$item}}")
  [[ $r == "{}" ]] || echo "seeding $1 failed: $r"
}
# soketi's own seed (tests/fixtures/dynamodb_schema.js in soketi), which both read the same.
seed_shape="\"MaxConnections\":{\"N\":\"-1\"},\"EnableClientMessages\":{\"B\":\"$(b64 false)\"},\"Enabled\":{\"B\":\"$(b64 true)\"},"
seed_shape+="\"MaxBackendEventsPerSecond\":{\"N\":\"-1\"},\"MaxClientEventsPerSecond\":{\"N\":\"-1\"},"
seed_shape+="\"MaxReadRequestsPerSecond\":{\"N\":\"-1\"},\"Webhooks\":{\"S\":\"[]\"}"

put b-false-enabled audit-s3cret-01 k-01 "\"Enabled\":{\"B\":\"$(b64 false)\"}"
put b-false-userauth audit-s3cret-02 k-02 "\"EnableUserAuthentication\":{\"B\":\"$(b64 false)\"}"
put b-yes-clientmsgs audit-s3cret-03 k-03 "\"EnableClientMessages\":{\"B\":\"$(b64 yes)\"}"
put corrupt-webhooks audit-s3cret-04 k-04 '"Webhooks":{"S":"[{not json"}'
put object-webhooks audit-s3cret-05 k-05 '"Webhooks":{"S":"{\"url\":\"http://h\",\"event_types\":[]}"}'
put no-event-types audit-s3cret-06 k-06 '"Webhooks":{"S":"[{\"url\":\"http://h\"}]"}'
put two-spellings audit-s3cret-07 k-07 '"MaxConnections":{"N":"5"},"max_connections":{"N":"7"}'
put empty-limit audit-s3cret-08 k-08 '"MaxEventBatchSize":{"S":""}'
put fraction-int audit-s3cret-09 k-09 '"MaxConnections":{"S":"1.5"}'
put abc-limit audit-s3cret-10 k-10 '"MaxClientEventsPerSecond":{"S":"abc"}'
put no-secret "" k-11
put twice-a audit-s3cret-12 audit-shared
put twice-b audit-s3cret-13 audit-shared
put agrees audit-s3cret-14 k-14 "$seed_shape"
# The secret stored where the audit would quote it: never printed.
leak=audit-s3cret-15-leaky
put secret-in-values "$leak" k-15 "\"MaxConnections\":{\"S\":\"$leak\"},\"Webhooks\":{\"S\":\"[{\\\"url\\\":\\\"http://$leak\\\",\\\"event_types\\\":[1]}]\"}"
# And an app written by pws-apps put: what audit says of it follows from how put stores flags.
check "put put-default" 0 "$bin" put --id put-default --key k-16 --secret audit-s3cret-16

block() { # block ID: the lines audit printed for app ID, its header and the indented ones under it
  printf '%s\n' "$out" | awk -v h="app \"$1\"" \
    'index($0, h) == 1 && (substr($0, length(h) + 1, 1) == ":" || substr($0, length(h) + 1, 2) == " (") { on = 1; print; next }
     on && /^  / { print; next } { on = 0 }'
}
has() { # has ID TEXT: the block of ID holds TEXT
  [[ $(block "$1") == *"$2"* ]]
}

check "audit: differences found: 1" 1 "$bin" audit
stdout_all=$out
full=$out
expect "B false Enabled: on in soketi, off here" \
  'has b-false-enabled "Enabled: soketi: true, from Enabled B \"false\": soketi keeps B as a Buffer, and a Buffer is truthy whatever it holds; pws: false; why: soketi accepts connections to this app, pws reports it disabled"'
expect "B false EnableUserAuthentication: on in soketi" \
  'has b-false-userauth "EnableUserAuthentication: soketi: true, from EnableUserAuthentication B \"false\"" && has b-false-userauth "; pws: false; why: soketi closes connections that do not sign in"'
expect "B yes EnableClientMessages: unreadable here, on in soketi (the boolean package)" \
  'has b-yes-clientmsgs "pws cannot read this item (EnableClientMessages: B holds \"yes\"" && has b-yes-clientmsgs "EnableClientMessages: soketi: true, from EnableClientMessages B \"yes\": the boolean package reads the bytes"'
expect "corrupt Webhooks JSON: no webhooks in soketi, unreadable here" \
  'has corrupt-webhooks "Webhooks: soketi: 0 webhooks, from Webhooks S of 10 bytes: not valid JSON: soketi'"'"'s reader takes [] (no webhooks); pws: cannot read (Webhooks: S is not valid JSON"'
expect "Webhooks JSON that is not an array" \
  'has object-webhooks "Webhooks: soketi: 0 webhooks" && has object-webhooks "an object where soketi wants an array: no webhooks; pws: cannot read (Webhooks: expected an array of webhooks)"'
expect "a webhook without event_types: soketi loads no app" \
  'has no-event-types "pws cannot read this item (Webhooks[0].event_types: missing); soketi: cannot load it either (Webhooks[0] has no event_types: App'"'"'s constructor calls event_types.includes()"'
expect "two spellings that differ: soketi takes the last" \
  'has two-spellings "MaxConnections, max_connections: soketi: 7, from max_connections N \"7\", the last of soketi'"'"'s spellings it finds (it ignores MaxConnections); pws: cannot read (MaxConnections: also set as max_connections"'
expect "an empty limit: soketi's default" \
  'has empty-limit "MaxEventBatchSize: soketi: 10, soketi'"'"'s default: it skips MaxEventBatchSize" && has empty-limit "pws: cannot read (MaxEventBatchSize: S \"\" is not an integer"'
expect "1.5 in an integer: parseInt's 1 in soketi" \
  'has fraction-int "MaxConnections: soketi: 1, from MaxConnections S \"1.5\"" && has fraction-int "pws: cannot read (MaxConnections: S \"1.5\""'
expect "abc in a rate: NaN, which rate-limiter-flexible makes 4 per second" \
  'has abc-limit "MaxClientEventsPerSecond: soketi: 4 per second, from MaxClientEventsPerSecond S \"abc\": parseInt gives NaN"'
expect "no AppSecret: soketi's built-in default secret" \
  'has no-secret "pws cannot read this item (AppSecret: missing" && has no-secret "AppSecret: soketi: its built-in default secret, which anyone can read in soketi'"'"'s source" && [[ $full != *app-secret* ]]'
expect "a key held twice: in both blocks and once for the table" \
  'has twice-a "AppKey: key \"audit-shared\" is held by 2 apps (\"twice-a\", \"twice-b\"); soketi: a lookup by this key answers one of them" && has twice-b "is held by 2 apps" && [[ $(printf "%s\n" "$full" | grep -c "^key \"audit-shared\" is held by 2 apps") == 1 ]]'
expect "soketi's seed shape: agrees" '[[ $(block agrees) == "app \"agrees\" (key \"k-14\"): soketi and pws read it the same" ]]'
expect "a secret stored in values is withheld, the rest still said" \
  'has secret-in-values "(withheld: the app secret)" && has secret-in-values "MaxConnections: soketi: unlimited"'
# put stores flags as B "true"/"false"; soketi holds a B EnableUserAuthentication as a (truthy) Buffer.
stored=$(raw_get audit put-default)
if [[ $stored == *"\"EnableUserAuthentication\":{\"B\":\"$(b64 false)\"}"* ]]; then
  expect "put's B false EnableUserAuthentication: on in soketi" 'has put-default "EnableUserAuthentication: soketi: true"'
  put_differs=1
else
  expect "put's item: agrees" '[[ $(block put-default) == *"soketi and pws read it the same" ]]'
  put_differs=0
fi
expect "the apps soketi serves and pws cannot read, listed" \
  '[[ $full == *$'"'"'\n'"'"'"soketi serves 9 apps pws cannot read: \"abc-limit\", \"b-yes-clientmsgs\", \"corrupt-webhooks\", \"empty-limit\", \"fraction-int\", \"no-secret\", \"object-webhooks\", \"secret-in-values\", \"two-spellings\""$'"'"'\n'"'"'* ]]'
want_summary="audited 16 apps: $((14 + put_differs)) with differences, 10 unreadable, 1 key held twice"
expect "summary line" '[[ $(printf "%s\n" "$full" | tail -1) == "$want_summary" ]]'
expect "one block per app, sorted by id" \
  '[[ $(printf "%s\n" "$full" | grep -o "^app \"[^\"]*\"" | tr "\n" " ") == "app \"abc-limit\" app \"agrees\" app \"b-false-enabled\" app \"b-false-userauth\" app \"b-yes-clientmsgs\" app \"corrupt-webhooks\" app \"empty-limit\" app \"fraction-int\" app \"no-event-types\" app \"no-secret\" app \"object-webhooks\" app \"put-default\" app \"secret-in-values\" app \"twice-a\" app \"twice-b\" app \"two-spellings\" " ]]'
expect "nothing on stderr" '[[ -z $err ]]'

check "audit --page-size 2: 1" 1 "$bin" audit --page-size 2
stdout_all+=$out
expect "page by page, the same report" '[[ $out == "$full" ]]'

# A table on which both readers agree: soketi's seed shape, native BOOL/N flags, put with every
# flag true (B "true" is truthy to both), limits and webhooks both read the same.
export APP_MANAGER_DYNAMODB_TABLE=audit-clean
check "create-table audit-clean" 0 "$bin" create-table
check "audit of an empty table: 0" 0 "$bin" audit
expect "says so" '[[ $out == "audited 0 apps: 0 with differences, 0 unreadable, 0 keys held twice" ]]'
TABLE=audit-clean put seed-shape audit-s3cret-20 k-20 "$seed_shape"
TABLE=audit-clean put native audit-s3cret-21 k-21 '"Enabled":{"BOOL":false},"EnableClientMessages":{"N":"1"},"MaxConnections":{"N":"10"},"max_event_batch_size":{"S":"20"},"Webhooks":{"S":"[{\"url\":\"https://h\",\"event_types\":[\"client_event\"]}]"}'
check "put put-all-on" 0 "$bin" put --id put-all-on --key k-22 --secret audit-s3cret-22 --enable-user-authentication \
  --enable-client-messages --max-connections 3 --webhooks '[{"url":"https://h","event_types":["member_added"]}]'
check "audit of agreeing apps: 0" 0 "$bin" audit --page-size 1
stdout_all+=$out
expect "every app agrees" '[[ $out == "app \"native\" (key \"k-21\"): soketi and pws read it the same"$'"'"'\n'"'"'"app \"put-all-on\" (key \"k-22\"): soketi and pws read it the same"$'"'"'\n'"'"'"app \"seed-shape\" (key \"k-20\"): soketi and pws read it the same"$'"'"'\n'"'"'"audited 3 apps: 0 with differences, 0 unreadable, 0 keys held twice" ]]'

check "audit of a missing table: 2" 2 env APP_MANAGER_DYNAMODB_TABLE=no-such-table "$bin" audit
stdout_all+=$out
expect "names the DynamoDB error, prints no report" '[[ $err == *ResourceNotFoundException* && -z $out ]]'
check "usage: --page-size 0: 2" 2 "$bin" audit --page-size 0
check "usage: unknown option: 2" 2 "$bin" audit --fix

expect "no secret on stdout" '[[ $stdout_all != *s3cret* && $stdout_all != *"$AWS_SECRET_ACCESS_KEY"* ]]'
finish audit-s3cret-01 audit-s3cret-04 audit-s3cret-10 "$leak" audit-s3cret-16 audit-s3cret-22
