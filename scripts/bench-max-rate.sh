#!/usr/bin/env bash
# The highest rate a receiver takes from promgen on this machine (BENCHMARKS.md, "highest
# sustained rate"): N series written live at shorter and shorter intervals, each step a short
# soak of its own (scripts/soak-remote-write.sh: a fresh receiver, the same ten families),
# until a step falls behind schedule by more than one interval, or the receiver holds fewer
# values than were sent. Each step's line has the rate asked for, the rate acknowledged over
# the whole step, how far behind the worst minute ran, values held against sent, and both
# processes' CPU over the steady part (after the first report), so the one that limits shows.
# Usage: scripts/bench-max-rate.sh victoria|prometheus [N] [STEP] [INTERVAL ...]
#        (defaults: 1000000 series, 2m a step, intervals 15s 10s 5s 3s 2s 1s)
# PROMGEN_BIN=path/to/promgen-cli measures that build (scripts/soak-remote-write.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
receiver=${1:?usage: $0 victoria|prometheus [N] [STEP] [INTERVAL ...]}
n=${2:-1000000}
step=${3:-2m}
shift $(( $# < 3 ? $# : 3 ))
intervals=("$@")
[ ${#intervals[@]} -gt 0 ] || intervals=(15s 10s 5s 3s 2s 1s)

seconds_of() { case "$1" in *ms) echo "scale=3; ${1%ms} / 1000" | bc ;; *s) echo "${1%s}" ;; *m) echo $(( ${1%m} * 60 )) ;; esac; }
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

printf '%8s  %10s  %14s  %9s  %11s  %12s  %13s  %9s  %s\n' \
  interval asked/s acknowledged/s behind_s held/sent promgen_cpu receiver_cpu promgen_rss verdict
for interval in "${intervals[@]}"; do
  summary=$(./scripts/soak-remote-write.sh "$receiver" "$n" "$step" "$interval" | grep '^summary:')
  every=$(seconds_of "$interval")
  asked=$(echo "$n / $every" | bc)
  behind=$(field "$summary" worst_behind_s)
  held=$(field "$summary" held)
  values=$(field "$summary" values)
  steady=$(field "$summary" steady_s)
  promgen=$(field "$summary" steady_promgen_cpu_s)
  taken=$(field "$summary" steady_receiver_cpu_s)
  verdict=sustained
  if [ "$(echo "$behind > $every" | bc)" = 1 ]; then verdict="fell behind"; fi
  if [ "$held" != "$values" ]; then verdict="lost data"; fi
  printf '%8s  %10s  %14s  %9s  %11s  %12s  %13s  %9s  %s\n' "$interval" "$asked" \
    "$(printf '%.0f' "$(field "$summary" acknowledged_per_s)")" "$behind" "$held/$values" \
    "$promgen s/${steady}s" "$taken s/${steady}s" "$(field "$summary" promgen_peak_rss_mb) MB" "$verdict"
  [ "$verdict" = sustained ] || break
done
