#!/usr/bin/env bash
# Installs what building and testing pws-app-manager needs on a Debian 12 machine: the compiler,
# CMake, Boost 1.81, OpenSSL, botocore (the SigV4 oracle of the unit tests), prometheus_client
# (the parser gate.metrics checks pws-gate's /metrics with), and Node.js with
# tools/node's packages (dynalite, the AWS SDK) for the integration tests' local DynamoDB.
# strace: benchmarks/run's floor stage counts the clients' syscalls with it. liburing-dev: the
# test suite's uring stage and the floor stage build the library on Asio's io_uring backend.
# Idempotent and non-interactive: a second run checks and does nothing. Runs as root, or through
# sudo when it exists.
#
#   scripts/install-deps.sh [--bench]
#
# --bench (benchmarks/run) also installs the Go benchmark peer's toolchain and SDK, Debian's
# golang-go and golang-github-aws-aws-sdk-go-v2-dev, each only when it is missing (a go on the
# PATH counts, wherever it came from; the SDK is looked for where Debian puts it, in
# /usr/share/gocode): the test suite (scripts/test.sh) needs neither.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_dir="$root/tools/node"

step() { echo "install-deps: $*"; }

bench=0
case "${1:-}" in
  "") ;;
  --bench) bench=1 ;;
  *) echo "usage: scripts/install-deps.sh [--bench]" >&2; exit 2 ;;
esac

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "install-deps: not root and no sudo: run as root" >&2
  exit 1
fi

packages=(cmake g++ make libboost1.81-dev libboost-json1.81-dev libboost-test1.81-dev libssl-dev openssl
          python3-botocore python3-prometheus-client ca-certificates libbenchmark-dev clang libclang-rt-14-dev
          strace liburing-dev)
# A node from elsewhere (NodeSource, nvm...) is fine as long as it is >= 18; Debian's nodejs
# would fight it over /usr/bin/node, so it is only installed when there is no node at all.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

# Installs those of the Debian packages "$@" that are not installed (apt-get update first, once
# per run, and only when one is missing); says so when all are.
apt_updated=0
apt_install_missing() {
  local missing=() p
  for p in "$@"; do
    # dpkg -s also succeeds for removed-but-configured packages: insist on "install ok installed".
    if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
      missing+=("$p")
    fi
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    step "Debian packages: all present"
    return
  fi
  if (( ! apt_updated )); then
    step "apt-get update (missing: ${missing[*]})"
    "${as_root[@]}" apt-get update -qq </dev/null
    apt_updated=1
  fi
  step "apt-get install ${missing[*]}"
  "${as_root[@]}" apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" </dev/null
}
apt_install_missing "${packages[@]}"

# The Go peer of benchmarks/run (benchmarks/peers/lookup_go), built in GOPATH mode against
# Debian's packaged SDK: no Go module is downloaded.
if (( bench )); then
  go_packages=()
  command -v go >/dev/null 2>&1 || go_packages+=(golang-go)
  [[ -d /usr/share/gocode/src/github.com/aws/aws-sdk-go-v2/service/dynamodb ]] \
    || go_packages+=(golang-github-aws-aws-sdk-go-v2-dev)
  if [[ ${#go_packages[@]} -gt 0 ]]; then
    apt_install_missing "${go_packages[@]}"
  else
    step "go $(go env GOVERSION) and aws-sdk-go-v2 (/usr/share/gocode): present"
  fi
fi

node_version="$(node --version)"
node_major="${node_version#v}"
node_major="${node_major%%.*}"
if (( node_major < 18 )); then
  echo "install-deps: node $node_version is too old (>= 18 needed, 20 tested): upgrade it" >&2
  exit 1
elif (( node_major < 20 )); then
  step "warning: node $node_version; dynalite 4 and the pinned AWS SDK declare node >= 20"
else
  step "node $node_version, npm $(npm --version)"
fi

# npm ci wipes and reinstalls node_modules, so only when the lock file is newer than the install.
# --ignore-scripts: the one package with an install script, classic-level (LevelDB, unused in
# memory), ships prebuilt binaries; package.json's allowScripts denies it too, for newer npm.
stamp="$node_dir/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$node_dir/package-lock.json" -nt "$stamp" ]]; then
  step "npm ci in tools/node"
  (cd "$node_dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null)
else
  step "tools/node/node_modules: up to date"
fi

# tests/gate: pusher-js and the `pusher` server SDK, for pws-gate's end-to-end tests; same rule.
# None of their packages has an install script; --ignore-scripts keeps it so.
gate_dir="$root/tests/gate"
stamp="$gate_dir/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$gate_dir/package-lock.json" -nt "$stamp" ]]; then
  step "npm ci in tests/gate"
  (cd "$gate_dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null)
else
  step "tests/gate/node_modules: up to date"
fi
step "done"
