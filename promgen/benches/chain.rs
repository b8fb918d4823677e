//! Throughput of a composed shape chain, against a hand-written loop computing the same values.
//!
//! Two groups, each driven for [`N`] ticks and reported in samples/s:
//!
//! - `chain_noise`: "linear >> loop plus noise",
//!   `linear(0, 100, 101).forever() + uniform(-1, 1).seed(42)`;
//! - `chain_linear`: the same without the noise, `linear(0, 100, 101).forever()`, so the cost
//!   of the random numbers and the cost of the composition can be told apart.
//!
//! Each group has three benchmarks: `static` (the generic, statically composed shape),
//! `hand_written` (a plain loop: index modulo 101, `start + slope * i`, plus ChaCha8 noise
//! seeded as [`promgen::shape::Uniform`] seeds it) and `dynamic` (the same chain built from a
//! YAML config through `Config::parse` and `SeriesConfig::build_shape`, boxed shapes behind
//! `dyn Shape`). Before anything is timed, the setup asserts that all three yield bit-identical
//! values, and bit-identical sums over all `N` ticks.
//!
//! The YAML `Random` segment requires an `iterationCount` (it is `Take(n, Uniform)`), so the
//! dynamic chain uses `iterationCount: 18446744073709551615` (`u64::MAX`): it never ends within
//! `N` ticks, and the `Take` counter it adds is part of the dynamic form's real cost.
//!
//! Run with `cargo bench -p promgen --bench chain`.

mod common;
use common::drive;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use promgen::{
    config::Config,
    shape::{DynShape, SeedSeq, Shape, ShapeExt, linear, uniform},
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::{hint::black_box, time::Duration};

/// Ticks per benchmark iteration.
const N: u64 = 1_000_000;
/// Ticks whose values are compared one by one before timing.
const CHECK: u64 = 5_000;

const START: f64 = 0.0;
const END: f64 = 100.0;
const COUNT: u64 = 101;
const MIN: f64 = -1.0;
const MAX: f64 = 1.0;
const SEED: u64 = 42;

const NOISE_YAML: &str = "
metrics:
  - name: bench_chain
    timeseries:
      - data:
          Add:
            - Loop:
                data: {LinearSegment: {iterationCount: 101, amplitudeStart: 0, amplitudeEnd: 100}}
            - Random: {iterationCount: 18446744073709551615, min: -1, max: 1, seed: 42}
";

const LINEAR_YAML: &str = "
metrics:
  - name: bench_chain
    timeseries:
      - data:
          Loop:
            data: {LinearSegment: {iterationCount: 101, amplitudeStart: 0, amplitudeEnd: 100}}
";

fn static_noise() -> impl Shape {
    linear(START, END, COUNT).forever() + uniform(MIN, MAX).seed(SEED)
}

fn static_linear() -> impl Shape {
    linear(START, END, COUNT).forever()
}

fn dynamic(yaml: &str) -> DynShape {
    let config = Config::parse(yaml, "bench.yaml").expect("the bench config is valid");
    config.metrics[0].series[0].build_shape()
}

/// `linear(START, END, COUNT).forever() + uniform(MIN, MAX).seed(SEED)`, by hand.
#[inline(always)]
fn hand_noise(n: u64, mut sink: impl FnMut(f64)) {
    let slope = (END - START) / (COUNT - 1) as f64;
    let width = MAX - MIN;
    // `.seed(n)` seeds a shape with the first seed of `SeedSeq::explicit(n)`.
    let mut rng = ChaCha8Rng::seed_from_u64(SeedSeq::explicit(SEED).next_seed());
    for i in 0..n {
        let line = START + slope * (i % COUNT) as f64;
        let noise = MIN + width * rng.random::<f64>();
        sink(line + noise);
    }
}

/// `linear(START, END, COUNT).forever()`, by hand.
#[inline(always)]
fn hand_linear(n: u64, mut sink: impl FnMut(f64)) {
    let slope = (END - START) / (COUNT - 1) as f64;
    for i in 0..n {
        sink(START + slope * (i % COUNT) as f64);
    }
}

/// Apples to apples: see [`common::check`].
fn check<S: Shape>(
    name: &str,
    hand: fn(u64, &mut dyn FnMut(f64)),
    static_: impl Fn() -> S,
    yaml: &str,
) {
    common::check(
        name,
        ("static chain", "dynamic chain"),
        hand,
        static_,
        || dynamic(yaml),
        (CHECK, N),
    );
}

fn bench_noise(c: &mut Criterion) {
    check(
        "chain_noise",
        |n, sink| hand_noise(n, sink),
        static_noise,
        NOISE_YAML,
    );
    let mut group = c.benchmark_group("chain_noise");
    group.throughput(Throughput::Elements(N));
    group.bench_function("static", |b| {
        b.iter(|| {
            let mut shape = static_noise();
            let mut sum = 0.0;
            drive(&mut shape, black_box(N), |v| sum += v);
            black_box(sum)
        });
    });
    group.bench_function("hand_written", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            hand_noise(black_box(N), |v| sum += v);
            black_box(sum)
        });
    });
    group.bench_function("dynamic", |b| {
        b.iter_batched(
            || dynamic(NOISE_YAML),
            |mut shape| {
                let mut sum = 0.0;
                drive(&mut shape, black_box(N), |v| sum += v);
                black_box(sum)
            },
            criterion::BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn bench_linear(c: &mut Criterion) {
    check(
        "chain_linear",
        |n, sink| hand_linear(n, sink),
        static_linear,
        LINEAR_YAML,
    );
    let mut group = c.benchmark_group("chain_linear");
    group.throughput(Throughput::Elements(N));
    group.bench_function("static", |b| {
        b.iter(|| {
            let mut shape = static_linear();
            let mut sum = 0.0;
            drive(&mut shape, black_box(N), |v| sum += v);
            black_box(sum)
        });
    });
    group.bench_function("hand_written", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            hand_linear(black_box(N), |v| sum += v);
            black_box(sum)
        });
    });
    group.bench_function("dynamic", |b| {
        b.iter_batched(
            || dynamic(LINEAR_YAML),
            |mut shape| {
                let mut sum = 0.0;
                drive(&mut shape, black_box(N), |v| sum += v);
                black_box(sum)
            },
            criterion::BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(5))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_noise, bench_linear
}
criterion_main!(benches);
