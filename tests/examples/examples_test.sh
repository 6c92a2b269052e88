#!/usr/bin/env bash
# Runs one example (examples/NAME.cpp) and checks its output and exit code: the found, not found
# and error outcomes each example shows. Usage: examples_test.sh NAME PATH/TO/BINARY
# The DynamoDB examples run against the dynalite fixture (PWS_DYNALITE_STATE, set by ctest),
# whose seed app is soketi's example (id app-id, key app-key).
set -u
name=$1 bin=$2
here=$(cd "$(dirname "$0")" && pwd)
if [[ -n ${PWS_DYNALITE_STATE:-} ]]; then
  export APP_MANAGER_DYNAMODB_ENDPOINT=$(cat "$PWS_DYNALITE_STATE/endpoint")
fi
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=examples-test-secret-value
unset AWS_SESSION_TOKEN APP_MANAGER_DYNAMODB_TABLE APP_MANAGER_DYNAMODB_REGION APP_MANAGER_CACHE_ENABLED
failures=0 checks=0
# check DESCRIPTION EXPECTED_RC EXPECTED_OUTPUT_REGEX COMMAND...
check() {
  local what=$1 want_rc=$2 want_out=$3 out rc
  shift 3
  checks=$((checks + 1))
  out=$(timeout 30 "$@" 2>&1)
  rc=$?
  if [[ $rc != "$want_rc" ]] || ! grep -Eq -- "$want_out" <<<"$out"; then
    echo "FAIL $what: exit $rc (want $want_rc), output:"
    printf '%s\n' "$out" | sed 's/^/  | /'
    echo "  (wanted a line matching: $want_out)"
    failures=$((failures + 1))
  else
    echo "ok   $what"
  fi
}

case $name in
  cpp20_dynamodb_lookup)
    check "finds the seed app by key" 0 '^app app-id enabled=1 max_connections=-1$' "$bin" app-key
    check "an unknown key is not found" 0 '^no app has key no-such-key$' "$bin" no-such-key
    check "a missing table is an error, not 'not found'" 0 '^lookup failed: ResourceNotFoundException: ' \
      env APP_MANAGER_DYNAMODB_TABLE=no-such-table "$bin" app-key ;;
  cpp20_static_apps)
    check "inline apps: found and not found" 0 '^key key-1: app app-1 max_connections=100 client_messages=0$' "$bin"
    check "inline apps: the unknown key" 0 '^key no-such-key: no such app$' "$bin"
    check "soketi's JSON file" 0 '^key no-such-key: no such app$' "$bin" "$here/../data/static_apps.json"
    check "a file that is not JSON is refused" 2 '^cannot load the apps: .*examples_test.sh: not valid JSON at offset 0' "$bin" "$here/examples_test.sh" ;;
  cpp20_cached_lookup)
    check "one DynamoDB request for three lookups" 0 '^cache: 2 hits, 0 negative hits, 1 misses, 1 DynamoDB requests$' "$bin" app-key
    check "the app came from the table" 0 '^lookup 1: app app-id$' "$bin" app-key
    check "not found is cached too" 0 '^cache: 0 hits, 2 negative hits, 1 misses, 1 DynamoDB requests$' "$bin" no-such-key ;;
  callback_lookup)
    check "the handler gets the app" 0 '^app app-id enabled=1$' "$bin" app-key
    check "the handler gets not found" 1 '^no app has key no-such-key$' "$bin" no-such-key
    check "an unreachable endpoint is an error" 2 '^lookup failed: ' \
      env APP_MANAGER_DYNAMODB_ENDPOINT=http://127.0.0.1:9 "$bin" app-key ;;
  future_lookup)
    check "get() returns the app" 0 '^app app-id has key app-key$' "$bin" app-id
    check "get() returns not found" 1 '^no app has id no-such-id$' "$bin" no-such-id ;;
  cpp20_custom_policy)
    check "finds an app in the text file" 0 '^app app-2$' "$bin" "$here/apps.txt" key-2
    check "an unknown key is not found" 1 '^no app has key key-9$' "$bin" "$here/apps.txt" key-9
    check "a missing file is an error" 2 '^lookup failed: cannot open ' "$bin" "$here/no-such-file.txt" key-1
    check "a malformed line is an error" 2 'lookup failed: .*apps_malformed.txt:2: expected `id key secret`' \
      "$bin" "$here/apps_malformed.txt" key-9 ;;
  *) echo "examples_test.sh: no checks for $name"; exit 2 ;;
esac
echo "$name: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
