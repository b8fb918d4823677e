# promgen-cli in a container, with a Prometheus beside it: `serve` by default, or any
# subcommand; `test` runs promtool test files against that Prometheus, no Rust needed.
#
#   docker build -t promgen .
#   docker run --rm -p 127.0.0.1:9000:9000 promgen                    # the demo set on :9000
#   docker run --rm -v "$PWD/examples:/examples:ro" promgen preview --config /examples/demo.yaml
#   docker run --rm -v "$PWD:/w" -w /w promgen test rules_test.yml   # promtool test files
#
# PROMETHEUS_IMAGE picks the Prometheus version the tests run against (the one you run in
# production): docker build --build-arg PROMETHEUS_IMAGE=prom/prometheus:v2.45.0 -t promgen .
#
# test/docker-compose.yaml builds it for the playground's `promgen` service.
#
# It starts from the official `rust` and `debian` images, so it needs a registry to pull
# them from. The machines this project is tested on reach none, so this file is not built
# there: their Docker tests use the stand-in images that scripts/docker-images.sh assembles
# from local binaries (a local recipe, not a replacement for this file).

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm
ARG PROMETHEUS_IMAGE=prom/prometheus:v2.53.2

FROM ${PROMETHEUS_IMAGE} AS prometheus

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY . .
# No BuildKit-only syntax (cache mounts): docker-compose v1 builds with the classic builder.
RUN cargo build --release --locked -p promgen-cli \
    && cp target/release/promgen-cli /usr/local/bin/promgen-cli

FROM debian:${DEBIAN_RELEASE}-slim
# CA certificates: `promgen-cli write` to an https receiver verifies it against them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/promgen-cli /usr/local/bin/promgen-cli
# `promgen-cli test` starts this Prometheus (on PATH) for each test group.
COPY --from=prometheus /bin/prometheus /bin/promtool /usr/local/bin/
COPY examples/ /examples/
USER 65534:65534
EXPOSE 9000
ENTRYPOINT ["promgen-cli"]
CMD ["serve", "--listen", "0.0.0.0:9000"]
