#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it needs (idempotently),
# builds with 2 jobs, runs every test through CTest and ends with CTest's summary.
#
# Stages, in this order (PWS_TEST_STAGES picks them; the default is all five,
# "fuzz asan tsan uring main"; PWS_TEST_STAGES=main runs the suite as users build it, alone):
#   fuzz  tests/fuzz built with clang + libFuzzer (ASan+UBSan), each target briefly from its
#         committed corpus                                                       -> build/fuzz
#   asan  the suite built with -fsanitize=address,undefined (any UB aborts, leaks fail), less
#         the consumer and standalone-header tests (they compile projects of their own,
#         without it)                                                            -> build/asan
#   tsan  the tests that run lookups on several threads or beside server threads (integration,
#         the transport's faults and pool, the credentials chain, sources and client, hardening),
#         built with -fsanitize=thread; tests/sanitizers/tsan.supp names the one false positive
#         it suppresses                                                           -> build/tsan
#   uring the I/O tests (integration, transport, credentials, hardening) with the library on
#         Asio's io_uring backend (PWS_ASIO_IO_URING=ON); skipped, saying why, where the kernel
#         refuses io_uring                                                        -> build/uring
#   main  the suite as users build it, last, so that its CTest summary ends the output
#                                                                  -> build/tests (PWS_BUILD_DIR)
# A failed stage does not stop the later ones; the script exits non-zero if any failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
# No test may reach the EC2 metadata address: the credential chain ends there otherwise.
export AWS_EC2_METADATA_DISABLED=true
stages=${PWS_TEST_STAGES:-fuzz asan tsan uring main}
failed=()

# Runs "$@" as stage $1 in a subshell that stops at its first failing command (not inside an
# `if`, where bash would ignore set -e), timing it; a failure is recorded, not fatal.
stage() {
  local name=$1 t0=$SECONDS rc
  shift
  echo "=== test.sh: stage $name"
  set +e
  (set -e; "$@")
  rc=$?
  set -e
  if [[ $rc -eq 0 ]]; then
    echo "=== test.sh: stage $name passed in $((SECONDS - t0)) s"
  else
    echo "=== test.sh: stage $name FAILED (exit $rc) after $((SECONDS - t0)) s"
    failed+=("$name")
  fi
}

fuzz_stage() {
  cmake -S tests/fuzz -B build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build/fuzz -j2
  (cd build/fuzz && ctest --output-on-failure -j2)
}

# Configures and builds the suite in build/$1 with sanitizer flags $2; more cmake args follow.
sanitized_build() {
  local dir=$1 flags=$2
  shift 2
  # -g1 (line tables, inlined frames included): symbolized stacks, and a third less compile time
  # than -g.
  cmake -S . -B "build/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DCMAKE_CXX_FLAGS="$flags -fno-omit-frame-pointer" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
    -DPWS_BUILD_BENCHMARKS=OFF "$@"
}

asan_stage() {
  local flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
  sanitized_build asan "$flags"
  cmake --build build/asan -j2
  (cd build/asan &&
    ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j2 --timeout 900 -E '^(consumer\.|standalone\.)')
}

# The executables of the tests that do I/O (lookups over the network, servers on threads of their
# own): the tsan and uring stages build only these.
io_test_targets=(pws_integration_tests pws_hardening_tests pws_transport_tests pws_credentials_tests)

# The concurrency subset: tests whose lookups run on several threads or whose servers run on
# their own thread. Only the executables they need are built.
tsan_stage() {
  sanitized_build tsan "-fsanitize=thread"
  local wanted=("${io_test_targets[@]}") have=() t
  local targets
  targets=$(cmake --build build/tsan --target help)
  for t in "${wanted[@]}"; do
    if grep -qw -- "$t" <<<"$targets"; then have+=("$t"); fi
  done
  cmake --build build/tsan -j2 --target "${have[@]}"
  # Without address randomization: TSan cannot map its shadow memory on kernels that randomize
  # mmap more widely (vm.mmap_rnd_bits > 28); setarch -R is inherited by every test.
  local no_aslr=()
  if command -v setarch >/dev/null 2>&1; then no_aslr=(setarch "$(uname -m)" -R); fi
  (cd build/tsan &&
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/sanitizers/tsan.supp" "${no_aslr[@]}" \
    ctest --output-on-failure -j2 --timeout 900 \
      -R '^(integration\.dynamodb|hardening\.(hostile_server|hostile_input|secrets|stalled_dns)|transport\.(faults|pool|deadline)|credentials\.credentials_(chain|sources|client))$')
}

# Whether this kernel lets a process set up an io_uring (a container runtime's seccomp profile,
# or kernel.io_uring_disabled, may forbid it); if not, says why on stderr.
io_uring_works() {
  local dir=build/uring-probe
  mkdir -p "$dir"
  cat >"$dir/probe.c" <<'PROBE'
#include <liburing.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    struct io_uring ring;
    int e = io_uring_queue_init(8, &ring, 0);
    if (e < 0) {
        fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-e));
        return 1;
    }
    io_uring_queue_exit(&ring);
    return 0;
}
PROBE
  gcc -o "$dir/probe" "$dir/probe.c" -luring && "$dir/probe"
}

# The tests whose lookups do I/O, with Asio on io_uring: every TU of each program on it.
uring_stage() {
  if ! io_uring_works; then
    echo "=== test.sh: stage uring: this kernel refuses io_uring (above): skipped"
    return 0
  fi
  cmake -S . -B build/uring -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g0" \
    -DPWS_ASIO_IO_URING=ON -DPWS_BUILD_BENCHMARKS=OFF
  cmake --build build/uring -j2 --target "${io_test_targets[@]}"
  (cd build/uring &&
    ctest --output-on-failure -j2 --timeout 900 -R '^(integration\.dynamodb|hardening\.|transport\.|credentials\.)' -E 'pws_apps')
}

# The benchmarks are not tests: benchmarks/run builds them (in Release), no stage does.
main_stage() {
  local build=${PWS_BUILD_DIR:-build/tests} t0=$SECONDS
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPWS_BUILD_BENCHMARKS=OFF
  cmake --build "$build" -j2
  echo "=== test.sh: stage main built in $((SECONDS - t0)) s"
  cd "$build"
  ctest --output-on-failure -j2 --timeout 900
}

for s in $stages; do
  case $s in
    fuzz) stage fuzz fuzz_stage ;;
    asan) stage asan asan_stage ;;
    tsan) stage tsan tsan_stage ;;
    uring) stage uring uring_stage ;;
    main) ;;
    *) echo "test.sh: unknown stage '$s' (fuzz, asan, tsan, uring, main)" >&2; exit 2 ;;
  esac
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "=== test.sh: FAILED stages: ${failed[*]} (the main suite runs all the same; the script will exit 1)"
fi
# The main suite last, without a line after its summary.
if [[ " $stages " == *" main "* ]]; then
  set +e
  (set -e; main_stage)
  rc=$?
  set -e
  [[ $rc -eq 0 ]] || failed+=(main)
fi
[[ ${#failed[@]} -eq 0 ]]
