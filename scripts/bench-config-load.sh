#!/usr/bin/env bash
# How loading a config grows with its series (BENCHMARKS.md, "Loading a config"): configs of
# N gauge series (one metric, an `instance` label each, `uniform(0..100)`), each loaded and
# read once by `promgen-cli preview --count 1`; RUNS (default 3) runs each, the median
# printed. With BEFORE=path/to/an/older/promgen-cli, that binary is timed in the same run.
# Usage: scripts/bench-config-load.sh [N ...]     (default: 5000 10000 20000 40000)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(5000 10000 20000 40000)

cargo build --release -p promgen-cli --locked --quiet
bins=("$PWD/target/release/promgen-cli")
[ -n "${BEFORE:-}" ] && bins+=("$BEFORE")

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for n in "${sizes[@]}"; do
  python3 - "$n" "$dir/c$n.yml" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("metrics:\n  - name: load_metric\n    type: gauge\n    timeseries:\n")
    for i in range(n):
        f.write(f"      - labels: {{instance: host-{i}}}\n        series: uniform(0..100)\n")
PY
  for bin in "${bins[@]}"; do
    times=()
    for _ in $(seq "$RUNS"); do
      start=$(date +%s.%N)
      "$bin" preview --count 1 --config "$dir/c$n.yml" >/dev/null
      end=$(date +%s.%N)
      times+=("$(echo "$end - $start" | bc)")
    done
    printf '%7d series  %-40s %.3f s (runs: %s)\n' "$n" "$bin" \
      "$(printf '%s\n' "${times[@]}" | median)" "${times[*]}"
  done
done
