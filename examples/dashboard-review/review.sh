#!/usr/bin/env bash
# A temporary Grafana dashboard, with predictable data behind it, for reviewing a dashboard
# change in a merge request (see README.md beside this file).
#
#   review.sh [up]     write the last HOURS of config.yaml's series into Prometheus, create
#                      (or replace) this review's dashboard, then delete expired review
#                      dashboards
#   review.sh cleanup  only delete expired review dashboards (a scheduled job)
#   review.sh delete   delete this review's dashboard (when the merge request is merged)
#
# Environment:
#   PROMETHEUS_URL  Prometheus with --web.enable-remote-write-receiver (up)
#   GRAFANA_URL     Grafana, e.g. https://grafana.example.com
#   GRAFANA_TOKEN   a service account token that may create and delete dashboards
#   REVIEW_NAME     the merge request or branch, in the title [default: "MR !$CI_MERGE_REQUEST_IID",
#                   else $CI_COMMIT_REF_NAME, else $GITHUB_HEAD_REF]
#   HOURS           hours of history to write [6]
#   EXPIRE_AFTER    how long the dashboard lives: 30m, 12h, 7d, 2w [7d]
#   INTERVAL        time between samples [15s]
#   CONFIG          the promgen config [config.yaml beside this script]
#   DASHBOARD       the dashboard JSON under review [dashboard.json beside this script]
#   GRAFANA_FOLDER_UID  the folder for review dashboards [Grafana's default]
#   PROMGEN_CLI     the promgen-cli binary [promgen-cli on PATH]
#
# Needs bash, curl, jq and promgen-cli. Exits non-zero, saying what failed, on any error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TAG=promgen-review

die() {
  printf 'review.sh: error: %s\n' "$*" >&2
  exit 1
}
say() { printf 'review.sh: %s\n' "$*" >&2; }
# A Unix time as RFC 3339 (GNU date, else BSD date).
utc() { date -u -d "@$1" +%FT%TZ 2>/dev/null || date -u -r "$1" +%FT%TZ; }

# Seconds in a duration such as 90s, 30m, 12h, 7d, 2w or 1d12h.
seconds() {
  local text=$1 rest=$1 total=0 n unit
  [[ $text =~ ^([0-9]+[smhdw])+$ ]] || die "invalid duration '$text' (expected e.g. 30m, 12h, 7d)"
  while [[ $rest =~ ^([0-9]+)([smhdw])(.*)$ ]]; do
    n=$((10#${BASH_REMATCH[1]})) unit=${BASH_REMATCH[2]} rest=${BASH_REMATCH[3]}
    case $unit in
      s) total=$((total + n)) ;;
      m) total=$((total + n * 60)) ;;
      h) total=$((total + n * 3600)) ;;
      d) total=$((total + n * 86400)) ;;
      w) total=$((total + n * 604800)) ;;
    esac
  done
  echo "$total"
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed${2:+ ($2)}"
}

need_env() {
  [ -n "${!1:-}" ] || die "$1 is not set${2:+: $2}"
}

# This review's name, uid and title.
review_identity() {
  if [ -z "${REVIEW_NAME:-}" ]; then
    if [ -n "${CI_MERGE_REQUEST_IID:-}" ]; then
      REVIEW_NAME="MR !$CI_MERGE_REQUEST_IID"
    else
      REVIEW_NAME=${CI_COMMIT_REF_NAME:-${GITHUB_HEAD_REF:-}}
    fi
  fi
  [ -n "$REVIEW_NAME" ] || die "REVIEW_NAME is not set: name the merge request or branch under review"
  # Grafana uids are at most 40 characters of [a-zA-Z0-9_-]: a slug of the name, and a
  # checksum of the whole name when the slug is too long.
  local slug
  slug=$(printf '%s' "$REVIEW_NAME" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9' '-' | tr -s '-')
  slug=${slug#-}
  slug=${slug%-}
  if [ ${#slug} -gt 24 ]; then
    slug="${slug:0:15}-$(printf '%08x' "$(printf '%s' "$REVIEW_NAME" | cksum | cut -d' ' -f1)")"
  fi
  REVIEW_UID="$TAG-$slug"
}

# grafana METHOD PATH [BODY_FILE]: the response body on stdout; dies on a status other than
# 2xx, or on 404 when ALLOW_404 is set (the status is then in LAST_STATUS).
grafana() {
  local method=$1 path=$2 body=${3:-} status
  local args=(-sS -o "$tmp/response" -w '%{http_code}' -X "$method" --max-time 60
    -H "@$tmp/auth" -H 'Accept: application/json')
  if [ -n "$body" ]; then
    args+=(-H 'Content-Type: application/json' --data-binary "@$body")
  fi
  status=$(curl "${args[@]}" "${GRAFANA_URL%/}$path") ||
    die "$method ${GRAFANA_URL%/}$path: could not reach Grafana"
  LAST_STATUS=$status
  case $status in
    2??) ;;
    404) [ -n "${ALLOW_404:-}" ] || die "$method $path: Grafana answered 404: $(cat "$tmp/response")" ;;
    401 | 403) die "$method $path: Grafana answered $status (is GRAFANA_TOKEN valid, and may it edit dashboards?): $(cat "$tmp/response")" ;;
    *) die "$method $path: Grafana answered $status: $(cat "$tmp/response")" ;;
  esac
  cat "$tmp/response"
}

# prometheus PATH [CURL ARGS...]: a GET on the Prometheus HTTP API; the body on stdout.
prometheus() {
  local path=$1 status
  shift
  status=$(curl -sS -o "$tmp/response" -w '%{http_code}' --max-time 60 -G "$@" "${PROMETHEUS_URL%/}$path") ||
    die "GET ${PROMETHEUS_URL%/}$path: could not reach Prometheus"
  [ "$status" = 200 ] || die "GET ${PROMETHEUS_URL%/}$path: Prometheus answered $status: $(cat "$tmp/response")"
  cat "$tmp/response"
}

# Writes the last HOURS of the config's series, on a grid of INTERVAL. Where Prometheus
# already holds them from an earlier run, only what comes after the newest sample is
# written: Prometheus refuses (or, with an out-of-order window, interleaves) a second copy.
backfill() {
  local hours=${HOURS:-6} interval_s now to from marker newest
  [[ $hours =~ ^[1-9][0-9]*$ ]] || die "HOURS must be a whole number of hours, got '$hours'"
  interval_s=$(seconds "${INTERVAL:-15s}")
  [ "$interval_s" -gt 0 ] || die "INTERVAL must be longer than 0"
  now=$(date +%s)
  to=$((now / interval_s * interval_s))
  from=$((to - hours * 3600))
  from=$((from / interval_s * interval_s))

  prometheus /-/ready >/dev/null
  # The config's first counter or gauge marks how far earlier runs got.
  marker=$("$PROMGEN_CLI" preview --config "$CONFIG" --count 1 --format json |
    jq -r '[.series[] | select(.type != "histogram" and .type != "summary")][0].series // empty') ||
    die "promgen-cli cannot read $CONFIG"
  if [ -n "$marker" ]; then
    newest=$(prometheus /api/v1/query --data-urlencode "query=${marker}[$((to - from + interval_s))s]" \
      --data-urlencode "time=$to" |
      jq -r '[.data.result[].values[-1][0] | floor] | max // empty')
    if [ -n "$newest" ] && [ "$newest" -ge "$from" ]; then
      from=$((newest + interval_s))
      if [ "$from" -gt "$to" ]; then
        say "Prometheus holds the data up to now already (written by an earlier run): nothing to write"
        return
      fi
      say "Prometheus holds the data up to $(utc "$newest") already: writing what comes after"
    fi
  fi
  say "writing $CONFIG from $(utc "$from") to $(utc "$to") into ${PROMETHEUS_URL%/}"
  "$PROMGEN_CLI" write --config "$CONFIG" --url "${PROMETHEUS_URL%/}/api/v1/write" \
    --from "$from" --to "$to" --interval "${interval_s}s" ||
    die "promgen-cli write into ${PROMETHEUS_URL%/}/api/v1/write failed (is Prometheus started with --web.enable-remote-write-receiver?)"
}

# Creates or replaces this review's dashboard, tagged to expire after EXPIRE_AFTER.
create_dashboard() {
  local expires title url
  expires=$(($(date +%s) + $(seconds "${EXPIRE_AFTER:-7d}")))
  jq -e '.title and (.panels | type == "array")' "$DASHBOARD" >/dev/null 2>&1 ||
    die "$DASHBOARD is not a Grafana dashboard (JSON with a title and panels)"
  title="[review $REVIEW_NAME] $(jq -r .title "$DASHBOARD")"
  jq --arg uid "$REVIEW_UID" --arg title "$title" --arg tag "$TAG" \
    --arg expires "expires-$expires" --arg folder "${GRAFANA_FOLDER_UID:-}" \
    --arg message "promgen review of $REVIEW_NAME" \
    '{dashboard: (. + {id: null, uid: $uid, title: $title, tags: [$tag, $expires]}),
      overwrite: true, message: $message}
     + (if $folder == "" then {} else {folderUid: $folder} end)' \
    "$DASHBOARD" >"$tmp/create.json"
  url=$(grafana POST /api/dashboards/db "$tmp/create.json" | jq -r '.url // empty')
  say "dashboard '$title' (uid $REVIEW_UID) expires $(utc "$expires"): ${GRAFANA_URL%/}${url:-/d/$REVIEW_UID}?from=now-${HOURS:-6}h&to=now"
}

# Deletes every review dashboard whose expires-<unix time> tag is in the past.
cleanup() {
  local now uid deleted=0
  now=$(date +%s)
  grafana GET "/api/search?tag=$TAG&type=dash-db&limit=5000" >"$tmp/search.json"
  jq -e 'type == "array"' "$tmp/search.json" >/dev/null 2>&1 ||
    die "GET /api/search: not a list of dashboards: $(cat "$tmp/search.json")"
  for uid in $(jq -r --argjson now "$now" '.[]
      | select([.tags[]? | select(startswith("expires-")) | ltrimstr("expires-") | tonumber? | select(. <= $now)] | length > 0)
      | .uid' "$tmp/search.json"); do
    ALLOW_404=1 grafana DELETE "/api/dashboards/uid/$uid" >/dev/null
    say "deleted expired review dashboard $uid"
    deleted=$((deleted + 1))
  done
  say "$deleted expired review dashboard(s) deleted"
}

delete_dashboard() {
  ALLOW_404=1 grafana DELETE "/api/dashboards/uid/$REVIEW_UID" >/dev/null
  if [ "$LAST_STATUS" = 404 ]; then
    say "no dashboard $REVIEW_UID (deleted already)"
  else
    say "deleted dashboard $REVIEW_UID"
  fi
}

command=${1:-up}
case $command in
  up | cleanup | delete) ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown command '$command' (up, cleanup or delete)" ;;
esac

need curl
need jq "https://jqlang.github.io/jq/"
need_env GRAFANA_URL
need_env GRAFANA_TOKEN "a Grafana service account token"
CONFIG=${CONFIG:-$here/config.yaml}
DASHBOARD=${DASHBOARD:-$here/dashboard.json}
PROMGEN_CLI=${PROMGEN_CLI:-promgen-cli}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The token goes to curl in a file, never on its command line.
(umask 077 && printf 'Authorization: Bearer %s\n' "$GRAFANA_TOKEN" >"$tmp/auth")

case $command in
  up)
    need "$PROMGEN_CLI" "cargo install --path cli, or set PROMGEN_CLI"
    need_env PROMETHEUS_URL "the Prometheus to write the data into"
    [ -f "$CONFIG" ] || die "no config $CONFIG"
    [ -f "$DASHBOARD" ] || die "no dashboard $DASHBOARD"
    seconds "${EXPIRE_AFTER:-7d}" >/dev/null
    review_identity
    backfill
    create_dashboard
    cleanup
    ;;
  cleanup) cleanup ;;
  delete)
    review_identity
    delete_dashboard
    ;;
esac
