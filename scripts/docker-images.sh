#!/usr/bin/env bash
# Builds the two images the Docker tests use, from files on this machine, because the test
# machines reach no container registry:
#
#   promgen-local/prometheus:2.42  Debian's /usr/bin/prometheus (and promtool) on `scratch`,
#                                  with the C library they link (`ldd` lists it)
#   promgen-local/promgen-cli:dev  the promgen-cli that cargo built (release), likewise, with
#                                  the same prometheus beside it: `promgen-cli test` runs
#                                  promtool test files in it with no Rust toolchain
#   promgen-local/victoria-metrics:1.79
#                                  Debian's /usr/bin/victoria-metrics, likewise: the receiver
#                                  of the Docker Swarm test (cli/tests/swarm.rs)
#
# This is a local recipe, not what users run: test/docker-compose.yaml and the Docker backend
# of promgen-test name the official prom/prometheus image, and the root Dockerfile builds
# promgen-cli from source. The tests point them at these images through PROMETHEUS_IMAGE,
# PROMGEN_IMAGE and PROMGEN_PROMETHEUS_IMAGE.
#
# Usage: scripts/docker-images.sh [--prometheus-only]
# PROMGEN_PROFILE=debug packs the debug build (what `cargo test` already built) instead of a
# release build, which the test command uses to save minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

PROMETHEUS_IMAGE="${PROMETHEUS_IMAGE:-promgen-local/prometheus:2.42}"
PROMGEN_IMAGE="${PROMGEN_IMAGE:-promgen-local/promgen-cli:dev}"
VICTORIA_IMAGE="${VICTORIA_IMAGE:-promgen-local/victoria-metrics:1.79}"

# A build context holding `binaries` and every library `ldd` lists for them, at their paths.
context_for() {
  local dir=$1; shift
  rm -rf "$dir" && mkdir -p "$dir/rootfs/tmp" "$dir/rootfs/etc"
  # The test runner's Prometheus instances keep their data under /tmp, as any user.
  chmod 1777 "$dir/rootfs/tmp"
  for bin in "$@"; do
    install -D -m 0755 "$bin" "$dir/rootfs/usr/bin/$(basename "$bin")"
    # Lines like `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` and `/lib64/ld-linux-x86-64.so.2 (0x…)`.
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
      install -D -m 0755 "$lib" "$dir/rootfs$lib"
    done
  done
  # Name resolution through /etc/hosts (host.docker.internal, service names via DNS).
  printf 'hosts: files dns\n' > "$dir/rootfs/etc/nsswitch.conf"
  printf 'nobody:x:65534:65534:nobody:/:/usr/bin/prometheus\n' > "$dir/rootfs/etc/passwd"
}

build_prometheus() {
  command -v prometheus >/dev/null || { echo "no prometheus binary (apt-get install prometheus)" >&2; exit 1; }
  local dir=target/docker/prometheus
  context_for "$dir" "$(command -v prometheus)" "$(command -v promtool)"
  mkdir -p "$dir/rootfs/prometheus" "$dir/rootfs/etc/prometheus"
  printf 'global: {scrape_interval: 15s}\n' > "$dir/rootfs/etc/prometheus/prometheus.yml"
  cat > "$dir/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
DOCKERFILE
  docker build -q -t "$PROMETHEUS_IMAGE" "$dir" >/dev/null
  echo "built $PROMETHEUS_IMAGE"
}

build_promgen() {
  local profile="${PROMGEN_PROFILE:-release}"
  if [ "$profile" = release ]; then
    cargo build --release -p promgen-cli --locked --quiet
  else
    cargo build -p promgen-cli --locked --quiet
  fi
  command -v prometheus >/dev/null || { echo "no prometheus binary (apt-get install prometheus)" >&2; exit 1; }
  local dir=target/docker/promgen-cli
  context_for "$dir" "target/$profile/promgen-cli" "$(command -v prometheus)" "$(command -v promtool)"
  # The HTTP client loads the system's CA roots, for `write` to https receivers and before
  # any request at all (the test runner's, to its own Prometheus, included).
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$dir/rootfs/etc/ssl/certs/ca-certificates.crt"
  cat > "$dir/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
EXPOSE 9000
ENTRYPOINT ["/usr/bin/promgen-cli"]
CMD ["serve", "--listen", "0.0.0.0:9000"]
DOCKERFILE
  docker build -q -t "$PROMGEN_IMAGE" "$dir" >/dev/null
  echo "built $PROMGEN_IMAGE"
}

build_victoria() {
  command -v victoria-metrics >/dev/null || { echo "no victoria-metrics binary (apt-get install victoria-metrics)" >&2; exit 1; }
  local dir=target/docker/victoria-metrics
  context_for "$dir" "$(command -v victoria-metrics)"
  mkdir -p "$dir/rootfs/data"
  cat > "$dir/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
EXPOSE 8428
ENTRYPOINT ["/usr/bin/victoria-metrics"]
CMD ["-storageDataPath=/data", "-retentionPeriod=100y"]
DOCKERFILE
  docker build -q -t "$VICTORIA_IMAGE" "$dir" >/dev/null
  echo "built $VICTORIA_IMAGE"
}

build_prometheus
if [ "${1:-}" != "--prometheus-only" ]; then
  build_promgen
  build_victoria
fi
