#!/usr/bin/env bash
# A live remote-write soak (BENCHMARKS.md, "remote write soak"): N templated series (counters
# and gauges, ten families) written live every 15 s for DURATION into a receiver of its own,
# VictoriaMetrics 1.79 or Prometheus 2.42 (--web.enable-remote-write-receiver), by the release
# build. It prints promgen's closing report, the figures of its --stats-json (the worst
# interval's delay behind schedule, the p99 latency), the samples the receiver holds against
# those acknowledged, and the CPU seconds promgen and the receiver used over the same run.
# Its last line, `summary: key=value …`, is for scripts (scripts/bench-max-rate.sh).
# Usage: scripts/soak-remote-write.sh victoria|prometheus [N] [DURATION] [INTERVAL]
#        (defaults: 1000000 series, 10m, 15s)
# PROMGEN_BIN=path/to/promgen-cli measures that build instead (an earlier commit's, say).
set -euo pipefail
cd "$(dirname "$0")/.."
receiver=${1:?usage: $0 victoria|prometheus [N] [DURATION] [INTERVAL]}
n=${2:-1000000}
duration=${3:-10m}
interval=${4:-15s}
case "$duration" in
  *m) seconds=$(( ${duration%m} * 60 )) ;;
  *s) seconds=${duration%s} ;;
  *) echo "DURATION is like 10m or 90s" >&2; exit 2 ;;
esac

if [ -z "${PROMGEN_BIN:-}" ]; then
  cargo build --release -p promgen-cli --locked --quiet
fi
bin="${PROMGEN_BIN:-$PWD/target/release/promgen-cli}"
dir=$(mktemp -d)
rpid=""
cleanup() { [ -n "$rpid" ] && kill "$rpid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
port=$((20000 + RANDOM % 20000))
per=$(( n / 10 ))

cat > "$dir/load.yaml" <<YAML
metrics:
  - name: soak_requests_{0..4}_total
    type: counter
    timeseries:
      - labels: {instance: "host-{1..$per}"}
        series: uniform(0..20).round().cumsum()
  - name: soak_temperature_{5..9}
    timeseries:
      - labels: {instance: "host-{1..$per}"}
        series: (sin(period = 1h, amplitude = 5, offset = 20) + normal(0, 0.5))
YAML

case "$receiver" in
  victoria)
    victoria-metrics -storageDataPath "$dir/data" -httpListenAddr "127.0.0.1:$port" \
      -loggerLevel ERROR -search.latencyOffset 0s >"$dir/receiver.log" 2>&1 &
    rpid=$!
    url="http://127.0.0.1:$port/api/v1/write"
    until curl -sf -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.2; done
    ;;
  prometheus)
    printf 'global: {scrape_interval: 1h}\n' > "$dir/prometheus.yml"
    prometheus --config.file "$dir/prometheus.yml" --storage.tsdb.path "$dir/data" \
      --web.listen-address "127.0.0.1:$port" --web.enable-remote-write-receiver \
      --log.level=warn >"$dir/receiver.log" 2>&1 &
    rpid=$!
    url="http://127.0.0.1:$port/api/v1/write"
    until curl -sf -o /dev/null "http://127.0.0.1:$port/-/ready"; do sleep 0.2; done
    ;;
  *) echo "the receiver is victoria or prometheus" >&2; exit 2 ;;
esac

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # user + system, in clock ticks
hz=$(getconf CLK_TCK)
echo "soak: $n series every $interval for $duration into $receiver ($(nproc) cores)"
"$bin" write --config "$dir/load.yaml" --max-series "$n" --url "$url" --interval "$interval" \
  --report-every 60s --stats-json "$dir/stats.jsonl" --stop-grace 60s 2>"$dir/promgen.log" &
ppid=$!
r0=$(cpu "$rpid")
started=$(date +%s)
# The steady state starts at the first report (a minute in): the config loaded, the first
# ticks sent, every series known to the receiver.
until [ -s "$dir/stats.jsonl" ] || ! kill -0 "$ppid" 2>/dev/null; do sleep 0.2; done
pm=$(cpu "$ppid"); rm_=$(cpu "$rpid"); steady_from=$(( $(date +%s) - started ))
sleep $(( seconds - steady_from ))
p1=$(cpu "$ppid"); r1=$(cpu "$rpid")
peak_rss_mb=$(awk '/^VmHWM/ {printf "%d", $2 / 1024}' "/proc/$ppid/status")
kill -INT "$ppid"
wait "$ppid" || true
cat "$dir/promgen.log"

acknowledged=$(tail -n 1 "$dir/stats.jsonl" | jq '.samples_acknowledged')
# The worst 60-second interval (the whole run when it was shorter).
worst=$(jq -s '([.[] | select(.whole_run | not) | .behind_schedule_seconds // 0] | max) // .[-1].behind_schedule_seconds // 0' "$dir/stats.jsonl")
p99=$(jq -s '([.[] | select(.whole_run | not) | .request_latency_p99_seconds // 0] | max) // .[-1].request_latency_p99_seconds // 0' "$dir/stats.jsonl")
sleep 2
if [ "$receiver" = victoria ]; then
  curl -sf -o /dev/null "http://127.0.0.1:$port/internal/force_flush"
  sleep 2
fi
# Family by family: count_over_time drops the name, and Prometheus refuses a vector of
# series that are then the same.
held=0
for family in soak_requests_{0..4}_total soak_temperature_{5..9}; do
  reply=$(curl -s "http://127.0.0.1:$port/api/v1/query" \
    --data-urlencode "query=sum(count_over_time(${family}[1h]))")
  count=$(echo "$reply" | jq -r '.data.result[0].value[1] // 0' 2>/dev/null) || { echo "$reply" >&2; count=0; }
  held=$(( held + count ))
done
promgen_cpu=$(echo "$p1 / $hz" | bc -l)
receiver_cpu=$(echo "($r1 - $r0) / $hz" | bc -l)
# The stop marks every series stale: those n markers are acknowledged but never counted.
printf 'acknowledged %s samples, %s of them values; the receiver holds %s values\n' \
  "$acknowledged" "$(( acknowledged - n ))" "$held"
printf 'worst interval: %.1f s behind schedule, request p99 %.3f s\n' "$worst" "$p99"
steady_promgen=$(echo "($p1 - $pm) / $hz" | bc -l)
steady_receiver=$(echo "($r1 - $rm_) / $hz" | bc -l)
printf 'CPU from the first report (%s s in) to the end: promgen %.1f s, %s %.1f s (promgen %.1f%% of it)\n' \
  "$steady_from" "$steady_promgen" "$receiver" "$steady_receiver" "$(echo "100 * $steady_promgen / $steady_receiver" | bc -l)"
printf 'CPU over the run: promgen %.1f s, %s %.1f s (promgen %.1f%% of it)\n' \
  "$promgen_cpu" "$receiver" "$receiver_cpu" "$(echo "100 * $promgen_cpu / $receiver_cpu" | bc -l)"
printf 'promgen peak resident memory: %s MB\n' "$peak_rss_mb"
rate=$(jq -s '.[-1].samples_acknowledged_per_second // 0' "$dir/stats.jsonl")
printf 'summary: interval=%s series=%s acknowledged=%s values=%s held=%s worst_behind_s=%.1f p99_s=%.3f acknowledged_per_s=%s steady_promgen_cpu_s=%.1f steady_receiver_cpu_s=%.1f steady_s=%s promgen_peak_rss_mb=%s\n' \
  "$interval" "$n" "$acknowledged" "$(( acknowledged - n ))" "$held" "$worst" "$p99" "$rate" \
  "$steady_promgen" "$steady_receiver" "$(( seconds - steady_from ))" "$peak_rss_mb"
