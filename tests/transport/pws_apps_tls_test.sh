#!/usr/bin/env bash
# pws-apps over TLS honours AWS_CA_BUNDLE: a TLS front (node's tls module, on 127.0.0.1) with the
# certificate make_certs.sh made, before the transport dynalite fixture.
# Usage: pws_apps_tls_test.sh PATH/TO/pws-apps   (PWS_DYNALITE_STATE, PWS_TLS_DIR set by ctest)
set -u
bin=$1
node=${PWS_NODE:-node}
tls=$PWS_TLS_DIR
upstream=$(cat "$PWS_DYNALITE_STATE/endpoint")
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=pws-apps-tls-secret-value
unset APP_MANAGER_DYNAMODB_TABLE APP_MANAGER_DYNAMODB_REGION AWS_SESSION_TOKEN AWS_CA_BUNDLE
tmp=$(mktemp -d)
trap 'kill $front 2>/dev/null; wait $front 2>/dev/null; rm -rf "$tmp"' EXIT

# The front: terminates TLS, pipes bytes to dynalite; exits by itself after 2 minutes.
"$node" -e '
const tls = require("tls"), net = require("net"), fs = require("fs");
const [cert, key, port] = process.argv.slice(1);
const server = tls.createServer({cert: fs.readFileSync(cert), key: fs.readFileSync(key)}, (s) => {
  const up = net.connect(Number(port), "127.0.0.1");
  s.pipe(up).pipe(s);
  s.on("error", () => up.destroy());
  up.on("error", () => s.destroy());
});
server.on("tlsClientError", () => {});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
setTimeout(() => process.exit(0), 120000);
' "$tls/server.pem" "$tls/server.key" "${upstream##*:}" > "$tmp/port" &
front=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
[ -n "$port" ] || { echo "FAIL: the TLS front did not start"; exit 1; }

failures=0 checks=0
check() { # check NAME EXPECTED_RC COMMAND... ; stdout in $out, stderr in $err
  local name=$1 want=$2; shift 2
  out=$("$@" 2>"$tmp/err"); rc=$?; err=$(cat "$tmp/err"); cat "$tmp/err" >> "$tmp/all"
  checks=$((checks+1))
  if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want; stdout: $out; stderr: $err"; failures=$((failures+1)); return 1; fi
  echo "ok   $name"
}
expect() { # expect NAME CONDITION-TEXT
  checks=$((checks+1))
  if ! eval "$2"; then echo "FAIL $1: $2 (stdout: $out; stderr: $err)"; failures=$((failures+1)); else echo "ok   $1"; fi
}

check "AWS_CA_BUNDLE, https://localhost: found" 0 env AWS_CA_BUNDLE="$tls/ca.pem" APP_MANAGER_DYNAMODB_ENDPOINT="https://localhost:$port" "$bin" get --id app-id
expect "prints the seed app" '[[ $out == *"\"id\":\"app-id\""* ]]'
check "AWS_CA_BUNDLE, https://127.0.0.1: found" 0 env AWS_CA_BUNDLE="$tls/ca.pem" APP_MANAGER_DYNAMODB_ENDPOINT="https://127.0.0.1:$port" "$bin" get --key app-key
check "no AWS_CA_BUNDLE: exit 2" 2 env APP_MANAGER_DYNAMODB_ENDPOINT="https://localhost:$port" "$bin" get --id app-id
expect "no AWS_CA_BUNDLE: a certificate error that names the fix" '[[ $err == *certificate* && $err == *AWS_CA_BUNDLE* ]]'
check "unreadable AWS_CA_BUNDLE: exit 2" 2 env AWS_CA_BUNDLE="$tmp/none.pem" APP_MANAGER_DYNAMODB_ENDPOINT="https://localhost:$port" "$bin" get --id app-id
expect "unreadable AWS_CA_BUNDLE: names the file" '[[ $err == *none.pem* ]]'
expect "no secret in any message" '! grep -q pws-apps-tls-secret-value "$tmp/all"'
echo "pws-apps over TLS: $((checks-failures)) passed, $failures failed"
[ "$failures" = 0 ]
