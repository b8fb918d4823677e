#!/usr/bin/env bash
# promgen-cli test against promtool test rules, in one run (BENCHMARKS.md, "promtool test
# files"):
#   1. the whole corpus (promgen-test/tests/promtool/*_test.yml), promgen-cli test --jobs 2
#      against promtool test rules over the same files;
#   2. a 30-day multi-window multi-burn-rate SLO test (4 alerts, 1m evaluation, 2 series:
#      promgen-test/benches/promtool/slo_30d_test.yml) with both;
#   3. the SLO example with promgen's additions (examples/alert-tests/slo_test.yml: shapes,
#      timeline tests), against promtool on its plain export (`--export`), which checks the
#      firing alerts of both rules at every evaluation.
# Each is run RUNS times (default 3), alternating the two tools; the medians are printed.
# Usage: scripts/bench-promtool.sh        (needs prometheus and promtool on PATH)
#        ONLY=additions scripts/bench-promtool.sh   (the third alone)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"

cargo build --release -p promgen-cli --locked --quiet
bin="$PWD/target/release/promgen-cli"

# Wall seconds of a command, its output thrown away (both tools exit 1 on a failing test:
# the corpus holds failing tests on purpose, so the exit code is checked separately).
wall() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench() {
  local name=$1 dir=$2; shift 2
  local files=("$@")
  bench_two "$name" "$dir" "${files[*]}" "$dir" "${files[*]}"
}

# bench_two NAME OUR_DIR "OUR FILES" THEIR_DIR "THEIR FILES"
bench_two() {
  local name=$1 our_dir=$2 our_files=$3 their_dir=$4 their_files=$5
  local ours=() theirs=()
  for _ in $(seq "$RUNS"); do
    # shellcheck disable=SC2086 # the file lists are words
    theirs+=("$(cd "$their_dir" && wall promtool test rules $their_files)")
    # shellcheck disable=SC2086
    ours+=("$(cd "$our_dir" && wall "$bin" test --jobs 2 $our_files)")
  done
  local m_ours m_theirs
  m_ours=$(printf '%s\n' "${ours[@]}" | median)
  m_theirs=$(printf '%s\n' "${theirs[@]}" | median)
  printf '%s: promgen-cli test --jobs 2 %.2f s (runs: %s), promtool test rules %.2f s (runs: %s), ratio %.2f\n' \
    "$name" "$m_ours" "${ours[*]}" "$m_theirs" "${theirs[*]}" "$(echo "$m_ours / $m_theirs" | bc -l)"
}

if [ "${ONLY:-}" != additions ]; then
  # Both give the same verdicts (the test suite checks every file; this checks the SLO file).
  (cd promgen-test/benches/promtool && "$bin" test slo_30d_test.yml >/dev/null)

  corpus=(promgen-test/tests/promtool/*_test.yml)
  bench "corpus (${#corpus[@]} files)" promgen-test/tests/promtool "${corpus[@]##*/}"
  bench "30-day SLO test" promgen-test/benches/promtool slo_30d_test.yml
fi

plain=$(mktemp -d)
trap 'rm -rf "$plain"' EXIT
"$bin" test --export "$plain" examples/alert-tests/slo_test.yml >/dev/null 2>&1
promtool test rules "$plain/slo_test.yml" >/dev/null
bench_two "SLO example with additions (promtool: its export)" examples/alert-tests slo_test.yml "$plain" slo_test.yml
