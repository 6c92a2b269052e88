#!/usr/bin/env bash
# The demo: a local DynamoDB (dynalite on 127.0.0.1), the seed's table and app, and lookups by id
# and by key through the library's pws-apps command. Installs what it needs; leaves nothing running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
build=${PWS_BUILD_DIR:-build/demo}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPWS_BUILD_TESTS=OFF -DPWS_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j2 --target pws-apps
apps="$build/examples/pws_apps/pws-apps"

state=$(mktemp -d)
trap 'node tools/node/dynalite.mjs stop --state-dir "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT
node tools/node/dynalite.mjs start --state-dir "$state"
endpoint=$(cat "$state/endpoint")
echo "== dynalite listening at $endpoint"
node tools/node/seed.mjs --endpoint "$endpoint"
echo "== seeded table 'apps' (AppId hash key, AppKeyIndex on AppKey) with the app 'app-id'"

# dynalite accepts any credentials; the library still signs every request with SigV4.
export APP_MANAGER_DYNAMODB_ENDPOINT=$endpoint APP_MANAGER_DYNAMODB_TABLE=apps APP_MANAGER_DYNAMODB_REGION=us-east-1
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret
echo "== pws-apps get --id app-id"
"$apps" get --id app-id
echo "== pws-apps get --key app-key"
"$apps" get --key app-key
echo "== pws-apps get --key no-such-key (exit 1: not found)"
set +e
"$apps" get --key no-such-key
rc=$?
set -e
[ "$rc" = 1 ] || { echo "expected exit 1, got $rc"; exit 1; }
echo "== demo done"
