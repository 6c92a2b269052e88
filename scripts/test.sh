#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it needs (idempotently),
# builds with 2 jobs, runs every test through CTest and ends with CTest's summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
build=${PWS_BUILD_DIR:-build/tests}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j2
cd "$build"
ctest --output-on-failure -j2 --timeout 900
