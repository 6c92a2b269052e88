#!/usr/bin/env bash
# pws-apps put and delete against dynalite: put -> get round trips every field (file and
# command-line forms), the seed's own example app written by put is stored exactly as seed.mjs
# stores it (attribute types and B bytes, read back raw), an existing id is refused unless
# --force (and then replaced), a key held by another app is refused, delete, exit codes, and no
# secret on stderr. Usage: put_test.sh PATH/TO/pws-apps   (PWS_DYNALITE_STATE: seeded fixture)
bin=$1
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
export APP_MANAGER_DYNAMODB_TABLE=puts
check "create-table puts" 0 "$bin" create-table

# soketi's documented example app, field for field, in get's camelCase shape.
cat > "$tmp/seed.json" <<'JSON'
{"id":"app-id","key":"app-key","secret":"app-secret","maxConnections":-1,"enableClientMessages":false,
 "enabled":true,"maxBackendEventsPerSecond":-1,"maxClientEventsPerSecond":-1,"maxReadRequestsPerSecond":-1,
 "webhooks":[],"enableUserAuthentication":false}
JSON
check "put --file the seed's app" 0 "$bin" put --file "$tmp/seed.json"
expect "put: says it created it" '[[ $out == "created app \"app-id\"" ]]'
written=$(raw_get puts app-id)
# The seed stores EnableUserAuthentication as B "false", which soketi reads as on (it keeps any B
# but EnableClientMessages' as a truthy Buffer): put writes BOOL false there, and the rest as the seed.
seed_fixed=$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1])); i["EnableUserAuthentication"]={"BOOL":False}; print(json.dumps(i))' "$data/seed_item.json")
expect "seed.mjs (SDK v3) stores tests/data/seed_item.json" 'same_items "$(raw_get apps app-id)" "$(cat "$data/seed_item.json")"'
expect "stored as seed.mjs (SDK v3) stores it and as tests/data/seed_item.json, but for EnableUserAuthentication" \
  'same_items "$written" "$seed_fixed"'
expect "flags: Enabled B true, EnableClientMessages B false, EnableUserAuthentication BOOL false; Webhooks S, numbers N" '[[ $written == *"\"Enabled\":{\"B\":\"dHJ1ZQ==\"}"* && $written == *"\"EnableClientMessages\":{\"B\":\"ZmFsc2U=\"}"* && $written == *"\"EnableUserAuthentication\":{\"BOOL\":false}"* && $written == *"\"Webhooks\":{\"S\":\"[]\"}"* && $written == *"\"MaxConnections\":{\"N\":\"-1\"}"* ]]'
check "audit of the table put wrote: soketi reads it as this library does" 0 "$bin" audit
check "get of the written seed app" 0 "$bin" get --id app-id
seed_get=$out
check "get of the seed's own item" 0 env APP_MANAGER_DYNAMODB_TABLE=apps "$bin" get --id app-id
expect "both read back identically" '[[ $out == "$seed_get" ]]'

# Every field away from its default, webhooks with every member; written exactly as get prints
# it, so the round trip is compared byte for byte.
hooks='[{"url":"https://example.com/hook","event_types":["channel_occupied","client_event"],"headers":{"X-Token":"t"},'
hooks+='"filter":{"channel_name_starts_with":"private-","channel_name_ends_with":"-x"}},{"lambda_function":"fn",'
hooks+='"event_types":["member_added"],"lambda":{"async":true,"region":"eu-west-1","client_options":{"endpoint":"http://localhost:3001"}}}]'
full='{"id":"full-app","key":"full-key","secret":"full-app-s3cret","enabled":false,"enableClientMessages":true,'
full+='"enableUserAuthentication":true,"maxConnections":1000,"maxBackendEventsPerSecond":50,"maxClientEventsPerSecond":20,'
full+='"maxReadRequestsPerSecond":30,"maxPresenceMembersPerChannel":60,"maxChannelNameLength":150,"maxEventChannelsAtOnce":5,'
full+='"maxEventNameLength":99,"maxEventBatchSize":3,"maxPresenceMemberSizeInKb":5E-1,"maxEventPayloadInKb":2.5025E2,'
full+="\"webhooks\":$hooks}"
printf '%s' "$full" > "$tmp/full.json"
check "put --file with every field" 0 "$bin" put --file "$tmp/full.json"
check "get --id of it" 0 "$bin" get --id full-app
expect "round trip identical for every field" '[[ $out == "$full" ]]'
check "get --key of it" 0 "$bin" get --key full-key
expect "same by key" '[[ $out == "$full" ]]'
stored=$(raw_get puts full-app)
expect "stored types: Enabled BOOL false, Webhooks S, decimals N" '[[ $stored == *"\"Enabled\":{\"BOOL\":false}"* && $stored == *"\"Webhooks\":{\"S\":\"[{"* && $stored == *"\"MaxEventPayloadInKb\":{\"N\":\"250.25\"}"* && $stored == *"\"MaxPresenceMemberSizeInKb\":{\"N\":\"0.5\"}"* ]]'

# The command-line form, every option.
check "put with every option" 0 "$bin" put --id flag-app --key flag-key --secret flag-app-s3cret --disabled \
  --enable-client-messages --enable-user-authentication --max-connections 1000 --max-backend-events-per-second 50 \
  --max-client-events-per-second 20 --max-read-requests-per-second 30 --max-presence-members-per-channel 60 \
  --max-presence-member-size-in-kb 0.5 --max-channel-name-length 150 --max-event-channels-at-once 5 \
  --max-event-name-length 99 --max-event-payload-in-kb 250.25 --max-event-batch-size 3 --webhooks "$hooks"
check "get of it" 0 "$bin" get --id flag-app
expect "same app as the file form, but for id, key and secret" '[[ $out == "${full//full-/flag-}" ]]'
check "put with only --id --key --secret" 0 "$bin" put --id min-app --key min-key --secret min-app-s3cret
attrs=$(raw_get puts min-app | grep -o '"[A-Za-z]*":{"\(S\|N\|B\|BOOL\)":' | cut -d'"' -f2 | sort | tr '\n' ' ')
expect "writes the seed's eleven attributes, the server-wide limits left to the reader" '[[ $attrs == "AppId AppKey AppSecret EnableClientMessages EnableUserAuthentication Enabled MaxBackendEventsPerSecond MaxClientEventsPerSecond MaxConnections MaxReadRequestsPerSecond Webhooks " ]]'
printf '{"id":"null-app","key":"null-key","secret":"null-app-s3cret","maxEventBatchSize":null,"maxChannelNameLength":7}' > "$tmp/null.json"
check "put --file with a null limit and a given one" 0 "$bin" put --file "$tmp/null.json"
stored=$(raw_get puts null-app)
expect "the given limit is written, the null one is not" '[[ $stored == *"\"MaxChannelNameLength\":{\"N\":\"7\"}"* && $stored != *MaxEventBatchSize* ]]'
check "get of it: soketi's defaults" 0 "$bin" get --id min-app
expect "defaults" '[[ $out == *"\"enabled\":true"* && $out == *"\"maxConnections\":-1"* && $out == *"\"maxPresenceMembersPerChannel\":100"* && $out == *"\"webhooks\":[]"* ]]'
min_get=$out
check "put --file - (stdin, as get prints it)" 0 sh -c "\"$bin\" get --id min-app | sed -e 's/min-/pipe-/g' | \"$bin\" put --file -"
check "get of the piped app" 0 "$bin" get --id pipe-app
expect "the same app under the new names" '[[ $out == "${min_get//min-/pipe-}" ]]'

# An existing id: refused without --force (the item untouched), replaced with it.
before=$(raw_get puts min-app)
check "put over an existing id: 2" 2 "$bin" put --id min-app --key min-key --secret other-s3cret
expect "says it exists and how to replace" '[[ $err == "pws-apps: app \"min-app\" already exists (--force replaces it)" ]]'
expect "the item is untouched" '[[ $(raw_get puts min-app) == "$before" ]]'
check "put --force over it" 0 "$bin" put --force --id min-app --key min-key --secret min-app-s3cret --max-connections 7
expect "says it replaced it" '[[ $out == "replaced app \"min-app\"" ]]'
check "get shows the new item" 0 "$bin" get --id min-app
expect "new value" '[[ $out == *"\"maxConnections\":7"* ]]'
check "put --force of a new id" 0 "$bin" put --force --id new-app --key new-key --secret new-app-s3cret
expect "says it created it" '[[ $out == "created app \"new-app\"" ]]'

# A key held by another app: refused, with or without --force, nothing written.
check "put with another app's key: 2" 2 "$bin" put --id thief --key full-key --secret thief-s3cret
expect "names the holder" '[[ $err == "pws-apps: key \"full-key\" is already used by app \"full-app\"" ]]'
expect "nothing written" '[[ $(raw_get puts thief) == "{}" ]]'
check "--force does not take a key either: 2" 2 "$bin" put --force --id min-app --key full-key --secret thief-s3cret
expect "min-app keeps its key" '[[ $(raw_get puts min-app) == *"\"AppKey\":{\"S\":\"min-key\"}"* ]]'

check "delete --id" 0 "$bin" delete --id new-app
expect "says so" '[[ $out == "deleted app \"new-app\"" ]]'
check "get after delete: 1" 1 "$bin" get --id new-app
check "delete a missing app: 1" 1 "$bin" delete --id new-app
expect "says no such app" '[[ $err == "pws-apps: no such app" ]]'
check "its key is free again" 0 "$bin" put --id new-app-2 --key new-key --secret new-app-s3cret

# Refusals before any request; none may quote a secret.
printf '{"id":"x","key":"x","secret":"x","maxConection":5}' > "$tmp/typo.json"
check "unknown field in --file: 2" 2 "$bin" put --file "$tmp/typo.json"
expect "names it" '[[ $err == "pws-apps: $tmp/typo.json: unknown field \"maxConection\" (get prints the known ones)" ]]'
printf '{"id":"x","key":"x","secret":12345678}' > "$tmp/badsecret.json"
check "a secret of the wrong type: 2" 2 "$bin" put --file "$tmp/badsecret.json"
expect "without quoting it" '[[ $err == *"secret: expected a string" && $err != *12345678* ]]'
printf '{"id":' > "$tmp/broken.json"
check "invalid JSON: 2" 2 "$bin" put --file "$tmp/broken.json"
check "missing file: 2" 2 "$bin" put --file "$tmp/none.json"
check "--file with other options: 2" 2 "$bin" put --file "$tmp/seed.json" --disabled
check "the mask list prints, as a secret: 2" 2 sh -c "\"$bin\" list | grep '\"id\":\"min-app\"' | \"$bin\" put --force --file -"
expect "says why" '[[ $err == "pws-apps: the secret is ********, the mask list prints (list --show-secrets prints secrets)" ]]'
check "a bad number: 2" 2 "$bin" put --id x --key x --secret bad-number-s3cret --max-connections many
expect "names the option" '[[ $err == "pws-apps: --max-connections: expected a 64-bit integer (a number or a string of digits), got \"many\"" ]]'
check "bad --webhooks: 2" 2 "$bin" put --id x --key x --secret bad-hooks-s3cret --webhooks '[{"url":"u"}]'
expect "names the option and the member" '[[ $err == "pws-apps: --webhooks[0].event_types: missing" ]]'
check "no --secret: 2" 2 "$bin" put --id x --key x
check "a stray word (a misplaced secret?): 2" 2 "$bin" put --id x --key x stray-s3cret-word
expect "not repeated" '[[ $err == "pws-apps: unexpected argument #6 (values follow their option)"* ]]'
check "delete without --id: 2" 2 "$bin" delete
check "put into a missing table: 2" 2 env APP_MANAGER_DYNAMODB_TABLE=no-such-table "$bin" put --file "$tmp/full.json"
expect "names the DynamoDB error" '[[ $err == *ResourceNotFoundException* ]]'
check "delete from a missing table: 2" 2 env APP_MANAGER_DYNAMODB_TABLE=no-such-table "$bin" delete --id x

finish app-secret null-app-s3cret full-app-s3cret flag-app-s3cret min-app-s3cret other-s3cret thief-s3cret 12345678 \
  bad-number-s3cret bad-hooks-s3cret stray-s3cret-word
