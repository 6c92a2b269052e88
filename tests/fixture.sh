#!/usr/bin/env bash
# CTest's side of a dynalite fixture (see fixtures.cmake):
#   fixture.sh start STATE_DIR [seed.mjs flags...]   start dynalite, then create and seed the table
#   fixture.sh stop  STATE_DIR                        stop it (idempotent)
# The node binary is $PWS_NODE (CMake's find_program result), or `node` from PATH.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/../tools/node"
node="${PWS_NODE:-node}"

if [[ $# -lt 2 ]]; then
  echo "usage: fixture.sh start|stop STATE_DIR [seed.mjs flags...]" >&2
  exit 2
fi
command="$1" state_dir="$2"
shift 2

case "$command" in
  start)
    if [[ ! -d "$tools/node_modules/dynalite" || ! -d "$tools/node_modules/@aws-sdk/client-dynamodb" ]]; then
      echo "fixture: $(cd "$tools" && pwd)/node_modules is missing or incomplete: run scripts/install-deps.sh" >&2
      exit 1
    fi
    "$node" "$tools/dynalite.mjs" start --state-dir "$state_dir"
    endpoint="$(cat "$state_dir/endpoint")"
    # A failed seed leaves no server behind, whether or not CTest gets to run the cleanup test.
    if ! "$node" "$tools/seed.mjs" --endpoint "$endpoint" "$@"; then
      "$node" "$tools/dynalite.mjs" stop --state-dir "$state_dir" || true
      exit 1
    fi
    ;;
  stop)
    "$node" "$tools/dynalite.mjs" stop --state-dir "$state_dir"
    ;;
  *)
    echo "fixture: unknown command $command (start or stop)" >&2
    exit 2
    ;;
esac
