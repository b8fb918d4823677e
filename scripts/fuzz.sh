#!/usr/bin/env bash
# Fuzzes promgen's parsers and its exposition writer with cargo fuzz (libFuzzer, with
# AddressSanitizer and its leak checker), SECONDS per target (default 600):
#
#   scripts/fuzz.sh [SECONDS]            every target, one after another
#   JOBS=2 scripts/fuzz.sh 600           two targets at a time
#   TARGETS="dsl_text notation" scripts/fuzz.sh 60
#
# Targets (fuzz/fuzz_targets/): dsl_text, notation, config_yaml, api_body, exposition. Each
# starts from the seeds in fuzz/seeds/TARGET (inputs of the tests) and keeps what it learns
# in fuzz/corpus/TARGET; a crash, hang (-timeout) or leak stops that target and leaves its
# input in fuzz/artifacts/TARGET/. A summary (runs, seconds, result) ends the output; the
# exit status is 1 if any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
targets="${TARGETS:-dsl_text notation config_yaml api_body exposition}"
jobs="${JOBS:-1}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz (crates.io)"
  cargo install cargo-fuzz --locked
fi
# libFuzzer's instrumentation needs a nightly compiler; without one, stable's may be told
# to allow it.
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi

echo "==> building the fuzz targets"
cargo "${toolchain[@]}" fuzz build

logs="fuzz/logs"
mkdir -p "$logs"
run_one() {
  local target="$1"
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
  local started=$SECONDS status=0
  cargo "${toolchain[@]}" fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 >"$logs/$target.log" 2>&1 || status=$?
  local runs
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$target.log" | grep -o '[0-9]*$' || echo "?")
  local result="ok"
  if [ "$status" -ne 0 ]; then
    result="FAILED (exit $status; see $logs/$target.log and fuzz/artifacts/$target/)"
  fi
  echo "$target: $runs runs in $((SECONDS - started)) s: $result" | tee "$logs/$target.summary"
  [ "$status" -eq 0 ]
}

failed=0
running=0
for target in $targets; do
  echo "==> fuzzing $target for ${seconds}s"
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done

echo "==> summary"
for target in $targets; do cat "$logs/$target.summary"; done
exit "$failed"
