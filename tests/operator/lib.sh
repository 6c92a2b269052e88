# Shared by the operator shell tests (sourced): the environment pws-apps reads, check/expect
# helpers counting results, and `raw` for DynamoDB calls that bypass pws-apps entirely.
# Needs PWS_DYNALITE_STATE (set by ctest) and $bin (the pws-apps binary).
set -u
endpoint=$(cat "$PWS_DYNALITE_STATE/endpoint")
# The credentials are secrets as far as the tests go: no message may ever contain them.
export APP_MANAGER_DYNAMODB_ENDPOINT=$endpoint AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=operator-test-aws-secret AWS_SESSION_TOKEN=operator-test-session-token
unset APP_MANAGER_DYNAMODB_TABLE APP_MANAGER_DYNAMODB_REGION
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 checks=0

check() { # check NAME EXPECTED_RC COMMAND... ; stdout in $out, stderr in $err
  local name=$1 want=$2; shift 2
  out=$("$@" 2>"$tmp/err"); rc=$?; err=$(cat "$tmp/err")
  cat "$tmp/err" >> "$tmp/all_stderr"
  checks=$((checks+1))
  if [ "$rc" != "$want" ]; then
    echo "FAIL $name: exit $rc, want $want; stdout: $out; stderr: $err"; failures=$((failures+1)); return 1
  fi
  echo "ok   $name"
}

expect() { # expect NAME CONDITION-TEXT (evaluated; may use $out and $err)
  checks=$((checks+1))
  if ! eval "$2"; then echo "FAIL $1: $2 (stdout: $out; stderr: $err)"; failures=$((failures+1)); else echo "ok   $1"; fi
}

raw() { # raw OPERATION JSON-BODY: one DynamoDB call with curl; dynalite checks no signature
  curl -s --max-time 10 "$endpoint" -H "X-Amz-Target: DynamoDB_20120810.$1" \
    -H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Date: 20200101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=x/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d "$2"
}

raw_get() { # raw_get TABLE ID: GetItem's answer as dynalite sends it (compact; "{}" when absent)
  raw GetItem "{\"TableName\":\"$1\",\"Key\":{\"AppId\":{\"S\":\"$2\"}}}"
}

same_items() { # same_items JSON...: the items (GetItem answers or bare items) are equal, in any member order
  python3 -c '
import json, sys
items = [json.loads(a) for a in sys.argv[1:]]
items = [i.get("Item", i) for i in items]
sys.exit(0 if items and all(i == items[0] for i in items) and items[0] else 1)' "$@"
}

finish() { # finish SECRET...: no secret in any stderr seen, then the summary and exit status
  local s
  for s in "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$@"; do
    expect "no secret on stderr (${s:0:12}...)" "[ -s \"$tmp/all_stderr\" ] && ! grep -qF -- \"$s\" \"$tmp/all_stderr\""
  done
  echo "$(basename "$0"): $((checks-failures)) passed, $failures failed"
  [ "$failures" = 0 ]
}
