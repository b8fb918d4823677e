#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, then checks
# formatting, lints and runs every test. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# The tests run the real Prometheus tools: promtool is the oracle for the series notation.
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  step "installing Prometheus and promtool (Debian package 'prometheus')"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
# cli/tests/cardinality.rs writes into a real VictoriaMetrics (Debian's package: 1.79).
if ! command -v victoria-metrics >/dev/null 2>&1; then
  step "installing VictoriaMetrics (Debian package 'victoria-metrics')"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends victoria-metrics >/dev/null
fi
# examples/dashboard-review/review.sh, run by cli/tests/dashboard_review.rs, needs curl and jq.
# scripts/docker-images.sh puts the system's CA roots into the promgen-cli image.
if ! command -v jq >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 || [ ! -f /etc/ssl/certs/ca-certificates.crt ]; then
  step "installing curl, jq (examples/dashboard-review/review.sh) and the CA certificates"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends curl jq ca-certificates >/dev/null
fi
# cli/tests/outputs_agree.rs reads scrapes back with the official Python client's parsers
# (PyPI's prometheus-client), cli/tests/junit_report.rs reads `promgen-cli test --junit`
# reports with junitparser, cli/tests/deploy.rs validates deploy/kubernetes/ with
# kubernetes-validate: installed into a virtualenv under target/ when python3 lacks them.
if [ -z "${PROMGEN_PYTHON:-}" ] && ! { python3 -c 'import prometheus_client, junitparser' >/dev/null 2>&1 && command -v kubernetes-validate >/dev/null 2>&1; }; then
  step "installing the Python client (PyPI prometheus-client), junitparser and kubernetes-validate into target/python"
  if ! python3 -m venv --help >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
  fi
  python3 -m venv target/python
  target/python/bin/pip install --quiet prometheus-client junitparser kubernetes-validate
  export PROMGEN_PYTHON="$PWD/target/python/bin/python3"
fi
step "$(promtool --version 2>&1 | head -n 1)"

# A fresh clone builds everything once: incremental state would only take disk (gigabytes).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "cargo test"
cargo test --workspace --locked

# The Docker backend against a real engine, when one answers. No registry is needed: the
# images are built here from the Debian prometheus and cargo's promgen-cli
# (scripts/docker-images.sh, a local recipe; what users run names the official images).
docker_reason=""
if ! command -v docker >/dev/null 2>&1; then
  docker_reason="no docker command"
elif ! docker_error=$(timeout 30 docker info --format '{{.ServerVersion}}' 2>&1 >/dev/null); then
  docker_reason="no Docker engine answers \`docker info\`: ${docker_error:-timed out}"
fi
if [ -n "$docker_reason" ]; then
  step "skipping the Docker tests: $docker_reason"
else
  step "Docker images (scripts/docker-images.sh)"
  # The debug promgen-cli that `cargo test` built: a release build would add minutes.
  PROMGEN_PROFILE=debug scripts/docker-images.sh

  step "Docker tests: the Docker backend, and the alert examples with PROMGEN_PROMETHEUS=docker"
  PROMGEN_DOCKER_TESTS=1 PROMGEN_PROMETHEUS=docker \
    PROMGEN_PROMETHEUS_IMAGE="${PROMETHEUS_IMAGE:-promgen-local/prometheus:2.42}" \
    cargo test -p promgen-test --locked --test docker \
      --test killed --test example_error_ratio --test example_absent --test example_latency_histogram

  step "Docker Swarm: deploy/swarm/stack.yml, four shards into one receiver (the engine joins a swarm and leaves it)"
  PROMGEN_DOCKER_TESTS=1 PROMGEN_IMAGE="${PROMGEN_IMAGE:-promgen-local/promgen-cli:dev}" \
    VICTORIA_IMAGE="${VICTORIA_IMAGE:-promgen-local/victoria-metrics:1.79}" \
    cargo test -p promgen-cli --locked --test swarm

  step "Docker tests: the promtool corpus with --prometheus docker, and in the promgen-cli image"
  PROMGEN_DOCKER_TESTS=1 PROMGEN_PROMETHEUS_IMAGE="${PROMETHEUS_IMAGE:-promgen-local/prometheus:2.42}" \
    PROMGEN_IMAGE="${PROMGEN_IMAGE:-promgen-local/promgen-cli:dev}" \
    cargo test -p promgen-cli --locked --test promtool_corpus -- corpus_passes

  if command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1; then
    step "Docker Compose: the playground's prometheus and promgen, from the local images"
    PROMGEN_DOCKER_TESTS=1 cargo test -p promgen-cli --locked --test compose
  else
    step "skipping the Compose test: neither docker-compose nor docker compose"
  fi

  step "no promgen-test container left"
  if [ -n "$(docker ps -a --filter name=promgen-test- -q)" ]; then
    docker ps -a --filter name=promgen-test-
    echo "the Docker tests left containers behind" >&2
    exit 1
  fi
fi
