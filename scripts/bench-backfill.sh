#!/usr/bin/env bash
# End to end: backfill 1 000 series × 24 h at 15 s into a local Prometheus with
# `promgen-cli write`, and compare what it costs us with what it costs Prometheus.
#
# For each run: start the Debian `prometheus` (2.42 here) on a free loopback port with
# --web.enable-remote-write-receiver, an empty config (it scrapes nothing) and a fresh data
# dir; run `promgen-cli write --config C --url U --from -24h --to now` with the default
# settings (protocol v1, concurrency 4, 2 000 samples a request); then check that Prometheus
# holds every sample, and stop it.
#
# The config (written to the temp dir) is 10 families × 100 label sets: 4 counters with
# `instance`, `job`, `region` and `method`, 6 gauges with the first three, every series a
# shape that never ends nor misses a scrape (lines that loop, waves with noise, promtool
# notation, a random walk, a constant). promgen/benches/remote_write.rs encodes the same
# config. --from and --to are inclusive, so a run is 24 h / 15 s + 1 = 5 761 ticks, and
# 5 761 000 samples.
#
# Measured per run:
#   wall      the promgen-cli process, start to exit (config, registry, writing, shutdown);
#   write     the writer's own elapsed time, from its summary line;
#   samples/s from the summary line (samples accepted ÷ write);
#   our CPU   user + sys of the promgen-cli process, from bash's `time` (getrusage of the
#             child, all threads);
#   Prometheus CPU  utime + stime of the Prometheus process (all threads) from
#             /proc/PID/stat, read just before promgen-cli starts and just after it exits,
#             divided by `getconf CLK_TCK`: the same interval as "wall";
#   after     Prometheus's CPU in the SETTLE seconds after the write (work it deferred, such
#             as compacting the head into blocks), before any query.
# Then it checks, and fails loudly otherwise, that the summary counts 1 000 × ticks samples,
# and that Prometheus holds them: its metric names are exactly the 10 families, and for each
# family, over a 25 h range ending at the query (the data spans 24 h and ended seconds ago),
# `count_over_time(NAME[25h])` is exactly `ticks` in each of its 100 series (count, min and
# max over the series) and sums to 100 × ticks; the sums add up to 1 000 × ticks. One family
# at a time, because count_over_time drops the name and the families share label sets, so
# `{__name__=~"bench_.+"}` fails with "vector cannot contain metrics with the same labelset".
# Stale markers would not count, and there are none: no shape ends.
#
# Usage: scripts/bench-backfill.sh
#        RUNS=3 PROTOCOLS="v1 v2" scripts/bench-backfill.sh
#        WRITE_ARGS="--concurrency 8" scripts/bench-backfill.sh      (extra `write` flags)
# PROTOCOLS: v2 asks for Remote Write 2.0; Prometheus 2.42 only speaks 1.0, answers a 2.0
# body with 204 and no X-Prometheus-Remote-Write-*-Written headers, and the writer falls back
# to 1.0 (the summary then says `protocol v1`). Each run gets a fresh Prometheus.
# Needs: cargo, curl, jq, /usr/bin/prometheus (Debian package `prometheus`) or PROMETHEUS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${RUNS:-1}
PROTOCOLS=${PROTOCOLS:-v1}
SETTLE=${SETTLE:-10}
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
WRITE_ARGS=${WRITE_ARGS:-}
FAMILIES=10
PER_FAMILY=100
SERIES=$((FAMILIES * PER_FAMILY))

die() {
  echo "bench-backfill: FAILED: $*" >&2
  exit 1
}
for tool in curl jq getconf; do
  command -v "$tool" >/dev/null || die "needs $tool"
done
[ -x "$PROMETHEUS" ] || die "no Prometheus at $PROMETHEUS (apt-get install prometheus, or set PROMETHEUS)"
CLK_TCK=$(getconf CLK_TCK)

echo "building promgen-cli (release)..." >&2
cargo build --release --quiet -p promgen-cli
CLI="${CARGO_TARGET_DIR:-$ROOT/target}/release/promgen-cli"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/promgen-bench-backfill.XXXXXX")
PROM_PID=""
stop_prometheus() {
  if [ -n "$PROM_PID" ]; then
    kill "$PROM_PID" 2>/dev/null || true
    wait "$PROM_PID" 2>/dev/null || true
    PROM_PID=""
  fi
}
cleanup() {
  stop_prometheus
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The config: see the header. Keep in step with `FAMILIES` in promgen/benches/remote_write.rs.
gen_config() {
  local jobs=(node api db cache) regions=(eu-west-1 us-east-1 ap-southeast-2) methods=(GET POST)
  local families=(
    'bench_http_requests_total|counter|Requests served.|linear(0..@K) >> loop'
    'bench_cpu_temperature_celsius|gauge|CPU temperature.|sin(period = @P, amplitude = 10, offset = 50) + normal(0, 1)'
    'bench_queue_depth|gauge|Jobs waiting.|"0+5x99 500-5x99" >> loop'
    'bench_bytes_sent_total|counter|Bytes sent.|uniform(0..1000).seed(@I).round().cumsum()'
    'bench_memory_usage_bytes|gauge|Resident memory.|walk(start = 1e9, step = 1e6)'
    'bench_cpu_utilisation_ratio|gauge|CPU busy ratio.|(sin(period = 240, amplitude = 0.2, offset = 0.25) + uniform(0..0.05)).clamp(0, 1)'
    'bench_up|gauge|Whether the target is up.|constant(1)'
    'bench_errors_total|counter|Requests failed.|"0+1x99" >> loop'
    'bench_load_average|gauge|Load average.|square(period = 240, amplitude = 1, offset = 2) + normal(0, 0.1)'
    'bench_disk_free_bytes|gauge|Free disk space.|linear(1e12..=5e11, 5761) >> hold'
  )
  [ ${#families[@]} -eq $FAMILIES ] || die "families"
  printf 'scraper:\n  scrapeInterval: 15s\nmetrics:\n'
  local f name kind help expr i method e
  for f in "${families[@]}"; do
    IFS='|' read -r name kind help expr <<<"$f"
    printf '  - name: %s\n    type: %s\n    help: %s\n    timeseries:\n' "$name" "$kind" "$help"
    for ((i = 0; i < PER_FAMILY; i++)); do
      method=""
      [ "$kind" = counter ] && method=", method: ${methods[i % 2]}"
      e=${expr//@K/$((1000 + i))}
      e=${e//@P/$((100 + i))}
      e=${e//@I/$i}
      printf '      - labels: {instance: "host-%02d:9100", job: %s, region: %s%s}\n        series: '"'"'%s'"'"'\n' \
        "$i" "${jobs[i % 4]}" "${regions[i % 3]}" "$method" "$e"
    done
  done
}
gen_config >"$WORK/bench.yaml"
# The family names, sorted as Prometheus lists them.
FAMILY_NAMES=$(sed -nE 's/^  - name: (.*)$/\1/p' "$WORK/bench.yaml" | LC_ALL=C sort | paste -sd' ')
"$CLI" check --config "$WORK/bench.yaml" >/dev/null || die "the generated config is invalid"
: >"$WORK/prometheus.yml"

# A loopback port nothing listens on.
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "no free port"
}

# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat; the name
# in parentheses may hold spaces, so count from the last ')').
cpu_ticks() {
  local stat rest
  stat=$(<"/proc/$1/stat")
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo $((${12} + ${13}))
}
seconds() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }'; }

# One instant query's single value ("none" for an empty result); dies on an error.
query() {
  local answer
  answer=$(curl -sS "http://127.0.0.1:$PORT/api/v1/query" --data-urlencode "query=$1") ||
    die "query $1: no answer"
  [ "$(jq -r .status <<<"$answer")" = success ] || die "query $1: $answer"
  jq -r '.data.result[0].value[1] // "none"' <<<"$answer"
}

REPORT="$WORK/report"
printf '%-3s %-8s %-6s %7s %7s %10s %10s %6s %6s %9s %9s %6s %7s\n' \
  run asked sent wall_s write_s samples samples/s reqs MiB our_cpu prom_cpu ratio after_s >"$REPORT"

run=0
for ((r = 1; r <= RUNS; r++)); do
  for protocol in $PROTOCOLS; do
    run=$((run + 1))
    PORT=$(free_port)
    DATA="$WORK/data-$run"
    "$PROMETHEUS" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$DATA" \
      --web.listen-address="127.0.0.1:$PORT" --web.enable-remote-write-receiver \
      --log.level=warn >"$WORK/prometheus-$run.log" 2>&1 &
    PROM_PID=$!
    for _ in $(seq 150); do
      curl -fs "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1 && break
      kill -0 "$PROM_PID" 2>/dev/null || { cat "$WORK/prometheus-$run.log" >&2; die "Prometheus exited"; }
      sleep 0.2
    done
    curl -fs "http://127.0.0.1:$PORT/-/ready" >/dev/null || die "Prometheus not ready on port $PORT"
    sleep 1

    prom_before=$(cpu_ticks "$PROM_PID")
    TIMEFORMAT='%3R %3U %3S'
    # shellcheck disable=SC2086
    { time "$CLI" write --config "$WORK/bench.yaml" --url "http://127.0.0.1:$PORT/api/v1/write" \
      --from -24h --to now --protocol "$protocol" $WRITE_ARGS 2>"$WORK/write-$run.log"; } \
      2>"$WORK/time-$run" || { cat "$WORK/write-$run.log" >&2; die "promgen-cli write failed"; }
    prom_after=$(cpu_ticks "$PROM_PID")
    sleep "$SETTLE"
    prom_settled=$(cpu_ticks "$PROM_PID")

    read -r wall user sys <"$WORK/time-$run"
    log=$(cat "$WORK/write-$run.log")
    summary=$(grep -E '^done: ' <<<"$log") || { echo "$log" >&2; die "no summary line"; }
    ticks=$(sed -nE 's/.* ([0-9]+) ticks$/\1/p' <<<"$log" | head -n 1)
    [ -n "$ticks" ] || die "no tick count in: $log"
    # done: 1000 series, 5761000 samples in 2884 requests (0 retries), 44.0 MiB, 8.1s, 711234 samples/s, protocol v1
    read -r s_series s_samples s_requests s_retries s_mib s_secs s_rate s_protocol < <(
      sed -E 's/^done: ([0-9]+) series, ([0-9]+) samples in ([0-9]+) requests \(([0-9]+) retries\), ([0-9.]+) MiB, ([0-9.]+)s, ([0-9]+) samples\/s, protocol (v[12])$/\1 \2 \3 \4 \5 \6 \7 \8/' <<<"$summary")
    [[ "$s_rate" =~ ^[0-9]+$ ]] || die "cannot read the summary line: $summary"
    expected=$((SERIES * ticks))
    [ "$s_series" -eq "$SERIES" ] || die "run $run: $s_series series written, expected $SERIES"
    [ "$s_samples" -eq "$expected" ] || die "run $run: the writer counts $s_samples samples, expected $SERIES × $ticks = $expected"
    [ "$s_retries" -eq 0 ] || echo "run $run: note: $s_retries retries" >&2

    # count_over_time drops the metric name, and families share label sets, so a selector
    # over all families would fail ("vector cannot contain metrics with the same labelset"):
    # one family at a time.
    names=$(curl -sS "http://127.0.0.1:$PORT/api/v1/label/__name__/values" | jq -r '.data[]' | paste -sd' ')
    [ "$names" = "$FAMILY_NAMES" ] || die "run $run: Prometheus holds the metrics [$names], expected [$FAMILY_NAMES]"
    held=0
    nseries=0
    for name in $names; do
      sel="count_over_time($name[25h])"
      n=$(query "sum($sel)")
      c=$(query "count($sel)")
      lo=$(query "min($sel)")
      hi=$(query "max($sel)")
      [ "$c" = "$PER_FAMILY" ] && [ "$lo" = "$ticks" ] && [ "$hi" = "$ticks" ] && [ "$n" = $((PER_FAMILY * ticks)) ] ||
        die "run $run: $name: Prometheus holds $n samples in $c series (per series $lo..$hi), expected $((PER_FAMILY * ticks)) in $PER_FAMILY (each $ticks)"
      held=$((held + n))
      nseries=$((nseries + c))
    done
    [ "$held" -eq "$expected" ] && [ "$nseries" -eq "$SERIES" ] ||
      die "run $run: Prometheus holds $held samples in $nseries series, expected $expected in $SERIES"
    stop_prometheus

    ours=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    prom=$(seconds $((prom_after - prom_before)))
    printf '%-3s %-8s %-6s %7.2f %7s %10s %10s %6s %6s %9s %9s %6s %7s\n' \
      "$run" "$protocol" "$s_protocol" "$wall" "$s_secs" "$s_samples" "$s_rate" "$s_requests" "$s_mib" \
      "$ours" "$prom" "$(awk -v a="$ours" -v b="$prom" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')" \
      "$(seconds $((prom_settled - prom_after)))" >>"$REPORT"
    echo "run $run ($protocol): $summary; verified: Prometheus holds $held samples in $nseries series" >&2
  done
done

echo
echo "promgen-cli write, $SERIES series × $ticks ticks (24 h at 15 s, both ends included) into $("$PROMETHEUS" --version 2>&1 | head -n 1 | cut -d' ' -f1-3), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "wall_s: promgen-cli process; write_s, samples/s, reqs, MiB: its summary; our_cpu: its user+sys;"
echo "prom_cpu: Prometheus utime+stime over the same interval; ratio = our_cpu / prom_cpu; after_s: Prometheus CPU in the next ${SETTLE}s"
cat "$REPORT"
