#!/usr/bin/env bash
# The long fuzzing run (tests/fuzz/README.md): builds the targets with clang and runs each for
# RUNS executions (default 10 million) or at most SECONDS (default 3 hours), JOBS targets at a
# time (default 2: CI's and the developers' machines have 2 cores), from the committed seeds.
# New inputs go to <build>/long/corpus/<target>, crashes to <build>/long/crashes/<target>/,
# each target's log to <build>/long/<target>.log; ends with a table of the figures.
#
#   tests/fuzz/run_long.sh [--build DIR] [--runs N] [--seconds S] [--jobs J] [target...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../../build/fuzz runs=10000000 seconds=10800 jobs=2 targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=(http_response dynamodb_body error_body sigv4_canonical webhooks_json credentials_file)

cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j2
long=$build/long
mkdir -p "$long"

run_one() {
  local t=$1 args=() rc
  mkdir -p "$long/corpus/$t" "$long/crashes/$t"
  [[ -f $here/dict/$t.dict ]] && args+=("-dict=$here/dict/$t.dict")
  case $t in http_response) args+=(-max_len=16384) ;; dynamodb_body) args+=(-max_len=8192) ;; esac
  # -timeout: an input that takes 25 s is a hang; -rss_limit_mb: a leak or a blow-up.
  "$build/fuzz_$t" -runs="$runs" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$long/crashes/$t/" "${args[@]}" \
    "$long/corpus/$t" "$here/corpus/$t" >"$long/$t.log" 2>&1 && rc=0 || rc=$?  # set -e: keep a crash's code
  echo "$rc" >"$long/$t.rc"
}

running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [[ $running -ge $jobs ]]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

printf '%-16s %12s %8s %8s %8s %8s %7s %8s %s\n' target execs exec/s seconds cov ft corpus crashes rc
for t in "${targets[@]}"; do
  log=$long/$t.log
  execs=$(grep -oE 'stat::number_of_executed_units: +[0-9]+' "$log" | awk '{print $2}')
  rate=$(grep -oE 'stat::average_exec_per_sec: +[0-9]+' "$log" | awk '{print $2}')
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  secs=$(( ${execs:-0} / (${rate:-1} > 0 ? ${rate:-1} : 1) ))
  crashes=$(find "$long/crashes/$t" -type f | wc -l)
  printf '%-16s %12s %8s %8s %8s %8s %7s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$secs" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$crashes" "$(cat "$long/$t.rc")"
done
