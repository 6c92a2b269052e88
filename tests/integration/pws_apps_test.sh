#!/usr/bin/env bash
# pws-apps against the dynalite fixture: output, exit codes (0 found, 1 not found, 2 error) and
# bounded failure time. Usage: pws_apps_test.sh PATH/TO/pws-apps   (PWS_DYNALITE_STATE set by ctest)
set -u
bin=$1
endpoint=$(cat "$PWS_DYNALITE_STATE/endpoint")
export APP_MANAGER_DYNAMODB_ENDPOINT=$endpoint AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=pws-apps-test-secret-value AWS_SESSION_TOKEN=pws-apps-test-session-token
unset APP_MANAGER_DYNAMODB_TABLE APP_MANAGER_DYNAMODB_REGION
failures=0 checks=0
check() { # check NAME EXPECTED_RC COMMAND... ; output in $out, stderr in $err
  local name=$1 want=$2; shift 2
  out=$("$@" 2>/tmp/pws_apps_err.$$); rc=$?; err=$(cat /tmp/pws_apps_err.$$)
  cat /tmp/pws_apps_err.$$ >> /tmp/pws_apps_all.$$
  checks=$((checks+1))
  if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want; stdout: $out; stderr: $err"; failures=$((failures+1)); return 1; fi
  echo "ok   $name"
}
expect() { # expect NAME CONDITION-TEXT
  checks=$((checks+1))
  if ! eval "$2"; then echo "FAIL $1: $2 (stdout: $out; stderr: $err)"; failures=$((failures+1)); else echo "ok   $1"; fi
}

check "get --id finds the seed app" 0 "$bin" get --id app-id
expect "prints the seed app as one JSON object" '[[ $(printf "%s\n" "$out" | wc -l) == 1 && $out == *"\"id\":\"app-id\""* && $out == *"\"key\":\"app-key\""* && $out == *"\"secret\":\"app-secret\""* && $out == *"\"enabled\":true"* && $out == *"\"enableClientMessages\":false"* && $out == *"\"maxConnections\":-1"* && $out == *"\"webhooks\":[]"* ]]'
check "get --key finds the seed app" 0 "$bin" get --key app-key
expect "same app by key" '[[ $out == *"\"id\":\"app-id\""* ]]'
check "unknown id: exit 1" 1 "$bin" get --id no-such-app
check "unknown key: exit 1" 1 "$bin" get --key no-such-key
check "missing table: exit 2" 2 env APP_MANAGER_DYNAMODB_TABLE=no-such-table "$bin" get --id app-id
expect "missing table: names the DynamoDB error" '[[ $err == *ResourceNotFoundException* ]]'
check "malformed item: exit 2" 2 "$bin" get --id corrupt-webhooks
expect "malformed item: names the attribute" '[[ $err == *Webhooks* && $err != *corrupt-secret* ]]'
check "bad usage: exit 2" 2 "$bin" get --id a --key b
check "bad region: exit 2" 2 env APP_MANAGER_DYNAMODB_REGION="bad region" APP_MANAGER_DYNAMODB_ENDPOINT= "$bin" get --id app-id
check "no credentials: exit 2" 2 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
  -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_WEB_IDENTITY_TOKEN_FILE \
  AWS_EC2_METADATA_DISABLED=true HOME="$(mktemp -d)" "$bin" get --id app-id
expect "no credentials: says so" '[[ $err == *"no AWS credentials"* ]]'

# Unreachable: a loopback port nothing listens on. Must end in bounded time (< 30 s).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s)
check "unreachable endpoint: exit 2" 2 env APP_MANAGER_DYNAMODB_ENDPOINT=http://127.0.0.1:$port "$bin" get --key app-key
expect "unreachable endpoint: within 30 s" '[[ $(( $(date +%s) - start )) -lt 30 ]]'
expect "unreachable endpoint: names the cause" '[[ $err == *"127.0.0.1:$port"* ]]'
# A server that accepts and never answers: the request deadline ends it.
python3 -c '
import socket, time, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True); held = []
end = time.time() + 40
s.settimeout(1)
while time.time() < end:
    try: held.append(s.accept()[0])
    except socket.timeout: pass
' > /tmp/pws_apps_silent.$$ &
silent=$!
for _ in $(seq 50); do [ -s /tmp/pws_apps_silent.$$ ] && break; sleep 0.1; done
sport=$(cat /tmp/pws_apps_silent.$$)
start=$(date +%s)
check "silent server: exit 2" 2 env APP_MANAGER_DYNAMODB_ENDPOINT=http://127.0.0.1:$sport "$bin" get --id app-id
expect "silent server: within 30 s" '[[ $(( $(date +%s) - start )) -lt 30 ]]'
expect "silent server: says it timed out" '[[ $err == *"timed out"* ]]'
kill $silent 2>/dev/null; wait $silent 2>/dev/null

for s in pws-apps-test-secret-value pws-apps-test-session-token; do
  expect "no secret in any message ($s)" "[ -s /tmp/pws_apps_all.$$ ] && ! grep -q $s /tmp/pws_apps_all.$$"
done
rm -f /tmp/pws_apps_err.$$ /tmp/pws_apps_all.$$ /tmp/pws_apps_silent.$$
echo "pws-apps: $((checks-failures)) passed, $failures failed"
[ "$failures" = 0 ]
