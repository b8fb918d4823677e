#!/usr/bin/env bash
# How `serve` grows with its series (BENCHMARKS.md, "serve at scale"): a templated config of
# N gauge series (ten families, `uniform(0..100)`), served by the release build: seconds until
# it answers, its resident memory then, and the wall time of a full /metrics scrape (the
# median of 3, after one warm-up), and its resident memory again after those scrapes. The
# empty process is measured the same way (one series).
# Usage: scripts/bench-serve-scale.sh [N ...]     (default: 10000 100000 1000000)
# PROMGEN_BIN=path/to/promgen-cli measures that build instead (an earlier commit's, say).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)

if [ -z "${PROMGEN_BIN:-}" ]; then
  cargo build --release -p promgen-cli --locked --quiet
fi
bin="${PROMGEN_BIN:-$PWD/target/release/promgen-cli}"
dir=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
port=$((20000 + RANDOM % 20000))

printf '%10s  %8s  %10s  %12s  %10s  %12s\n' series ready_s rss_mib bytes/series scrape_s after_scrapes
for n in 1 "${sizes[@]}"; do
  per=$(( n / 10 )); [ "$per" -ge 1 ] || per=1
  families=$(( n >= 10 ? 9 : 0 ))
  cat > "$dir/c.yaml" <<YAML
metrics:
  - name: load_metric_{0..$families}
    timeseries:
      - labels: {instance: "host-{1..$per}"}
        series: uniform(0..100)
YAML
  start=$(date +%s.%N)
  "$bin" serve --config "$dir/c.yaml" --max-series "$n" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/-/healthy"; do sleep 0.05; done
  ready=$(echo "$(date +%s.%N) - $start" | bc)
  rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"
  times=()
  for _ in 1 2 3; do
    s=$(date +%s.%N)
    curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"
    times+=("$(echo "$(date +%s.%N) - $s" | bc)")
  done
  after_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  [ "$n" = 1 ] && empty_kb=$rss_kb && empty_after_kb=$after_kb
  printf '%10d  %8.2f  %10.1f  %12.0f  %10.3f  %12.0f\n' "$n" "$ready" "$(echo "$rss_kb / 1024" | bc -l)" \
    "$(echo "($rss_kb - $empty_kb) * 1024 / $n" | bc -l)" "$(printf '%s\n' "${times[@]}" | median)" \
    "$(echo "($after_kb - $empty_after_kb) * 1024 / $n" | bc -l)"
done
