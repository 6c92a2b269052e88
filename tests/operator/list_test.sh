#!/usr/bin/env bash
# pws-apps list against dynalite: a paginated Scan (more items than a page) printing every app
# once in get's shape, secrets masked unless --show-secrets, --table, an unreadable item reported
# without hiding the others, exit codes, no secret on stderr.
# Usage: list_test.sh PATH/TO/pws-apps   (PWS_DYNALITE_STATE: seeded fixture)
bin=$1
. "$(dirname "$0")/lib.sh"
export APP_MANAGER_DYNAMODB_TABLE=listing
check "create-table listing" 0 "$bin" create-table
check "list of an empty table: 0, nothing" 0 "$bin" list
expect "nothing printed" '[[ -z $out ]]'
n=7
for i in $(seq $n); do
  check "put list-$i" 0 "$bin" put --id "list-$i" --key "list-key-$i" --secret "list-s3cret-$i" --max-connections "$i"
done

# The ids of get-shaped lines (get prints the id first), sorted, space-separated.
ids() { printf "%s\n" "$1" | grep -o '^{"id":"[^"]*"' | cut -d'"' -f4 | sort | tr '\n' ' ' | sed 's/ $//'; }
want_ids=$(for i in $(seq $n); do echo "list-$i"; done | sort | tr '\n' ' ' | sed 's/ $//')

check "list --page-size 2 (4 pages)" 0 "$bin" list --page-size 2
expect "every app once, one JSON object per line" '[[ $(printf "%s\n" "$out" | wc -l) == $n && $(ids "$out") == "$want_ids" ]]'
expect "secrets masked" '[[ $(printf "%s\n" "$out" | grep -c "\"secret\":\"\*\*\*\*\*\*\*\*\"") == $n && $out != *list-s3cret* ]]'
check "list --page-size 3 --show-secrets" 0 "$bin" list --page-size 3 --show-secrets
expect "every app once" '[[ $(printf "%s\n" "$out" | wc -l) == $n && $(ids "$out") == "$want_ids" ]]'
listed=$out
same_as_get=1
while IFS= read -r line; do
  id=$(ids "$line")
  [[ $("$bin" get --id "$id") == "$line" ]] || { same_as_get=0; echo "differs from get: $line"; }
done <<< "$listed"
expect "each line is exactly what get prints" '[[ $same_as_get == 1 ]]'
check "list (DynamoDB's own pages)" 0 "$bin" list
expect "every app once" '[[ $(ids "$out") == "$want_ids" ]]'

check "list --table" 0 "$bin" list --table --page-size 2
expect "header, rows sorted by id, count" '[[ $(printf "%s\n" "$out" | head -1) == "ID      KEY         SECRET    ENABLED  CLIENT-MSGS  USER-AUTH  MAX-CONNECTIONS  WEBHOOKS" && $(printf "%s\n" "$out" | sed -n 2p) == "list-1  list-key-1  ********  yes      no           no         1                0" && $(printf "%s\n" "$out" | tail -1) == "7 apps" && $(printf "%s\n" "$out" | wc -l) == $((n+2)) && $out != *list-s3cret* ]]'
check "list --table --show-secrets" 0 "$bin" list --table --show-secrets
expect "secrets shown" '[[ $(printf "%s\n" "$out" | sed -n 2p) == "list-1  list-key-1  list-s3cret-1  yes"* ]]'

# An item no reader can use: reported by id and attribute, the others still listed, exit 2.
raw PutItem '{"TableName":"listing","Item":{"AppId":{"S":"list-bad"},"AppKey":{"S":"k"},"AppSecret":{"S":"list-bad-s3cret"},"Webhooks":{"S":"not json"}}}' >/dev/null
check "list with an unreadable item: 2" 2 "$bin" list --page-size 2
expect "the others still listed" '[[ $(ids "$out") == "$want_ids" ]]'
expect "one line naming the item and the attribute" '[[ $err == "pws-apps: item \"list-bad\": Webhooks"* && $(printf "%s\n" "$err" | wc -l) == 1 ]]'

check "usage: --page-size 0: 2" 2 "$bin" list --page-size 0
check "usage: unknown option: 2" 2 "$bin" list --secrets
check "list of a missing table: 2" 2 env APP_MANAGER_DYNAMODB_TABLE=no-such-table "$bin" list
expect "names the DynamoDB error" '[[ $err == *ResourceNotFoundException* ]]'

finish list-s3cret list-bad-s3cret
