//! Throughput of the series DSL's two compiled forms, against a hand-written loop computing
//! the same values.
//!
//! Two groups, each driven for [`N`] ticks and reported in samples/s:
//!
//! - `dsl_linear_loop`: `linear(0..1000) >> loop`;
//! - `dsl_sin_noise`: `sin(period = 100, amplitude = 5, offset = 50) + normal(0, 1).seed(7)`.
//!
//! Each group has three benchmarks:
//!
//! - `macro`: the expression compiled by `promgen::series!`, a static chain of shapes;
//! - `hand_written`: a plain loop computing the same values. For the line, `START + STEP * k`
//!   with `k` the index modulo 1000. For the wave, the discrete wave's formula
//!   (`WaveParams::value_at(pos / period)`, `pos` cycling modulo the period) written out:
//!   `offset + amplitude * sin(TAU * (pos / period))`, plus `mean + sd * z` with `z` drawn
//!   from `StandardNormal` on a `ChaCha8Rng` seeded as `.seed(7)` seeds a shape
//!   (`seed_from_u64(SeedSeq::explicit(7).next_seed())`). `value_at` also reduces the phase
//!   with `rem_euclid(1.0)`; for a phase of 0 and `pos / period` in `[0, 1)` that is the
//!   identity, so the loop leaves it out, and the check below confirms the values are equal;
//! - `text`: the same expression as text, `dsl::parse(...).unwrap().build()`: boxed shapes
//!   behind `dyn Shape`. The text is parsed once, outside the timed part; the shape is built
//!   in criterion's untimed setup of each iteration.
//!
//! Before anything is timed, the setup asserts that all three yield bit-identical values for
//! the first [`CHECK`] ticks, and bit-identical sums over all `N` ticks.
//!
//! Run with `cargo bench -p promgen --bench dsl`.

mod common;
use common::drive;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use promgen::{
    dsl,
    shape::{DynShape, SeedSeq, Shape},
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::{f64::consts::TAU, hint::black_box, time::Duration};

/// Ticks per benchmark iteration.
const N: u64 = 1_000_000;
/// Ticks whose values are compared one by one before timing.
const CHECK: u64 = 5_000;

const LINEAR_START: f64 = 0.0;
const LINEAR_STEP: f64 = 1.0;
const LINEAR_LEN: u64 = 1000;

const PERIOD: u64 = 100;
const AMPLITUDE: f64 = 5.0;
const OFFSET: f64 = 50.0;
const MEAN: f64 = 0.0;
const SD: f64 = 1.0;
const SEED: u64 = 7;

/// Each expression written once: `series!` compiles its tokens, `stringify!` gives the same
/// tokens as text to `dsl::parse`.
macro_rules! expression {
    ($macro_:ident, $text:ident, $($tokens:tt)+) => {
        fn $macro_() -> impl Shape {
            promgen::series!($($tokens)+)
        }
        const $text: &str = stringify!($($tokens)+);
    };
}

expression!(macro_linear, LINEAR_TEXT, linear(0..1000) >> loop);
expression!(
    macro_sin,
    SIN_TEXT,
    sin(period = 100, amplitude = 5, offset = 50) + normal(0, 1).seed(7)
);

fn text(text: &str) -> DynShape {
    dsl::parse(text)
        .expect("the bench expression parses")
        .build()
}

/// `linear(0..1000) >> loop`, by hand.
#[inline(always)]
fn hand_linear(n: u64, mut sink: impl FnMut(f64)) {
    for i in 0..n {
        sink(LINEAR_START + LINEAR_STEP * (i % LINEAR_LEN) as f64);
    }
}

/// `sin(period = 100, amplitude = 5, offset = 50) + normal(0, 1).seed(7)`, by hand.
#[inline(always)]
fn hand_sin(n: u64, mut sink: impl FnMut(f64)) {
    // `.seed(n)` seeds a shape with the first seed of `SeedSeq::explicit(n)`.
    let mut rng = ChaCha8Rng::seed_from_u64(SeedSeq::explicit(SEED).next_seed());
    for i in 0..n {
        let cycles = (i % PERIOD) as f64 / PERIOD as f64;
        let wave = OFFSET + AMPLITUDE * (TAU * cycles).sin();
        let z: f64 = rng.sample(StandardNormal);
        sink(wave + (MEAN + SD * z));
    }
}

/// Apples to apples: see [`common::check`].
fn check<S: Shape>(
    name: &str,
    hand: fn(u64, &mut dyn FnMut(f64)),
    macro_: impl Fn() -> S,
    source: &str,
) {
    common::check(
        name,
        ("series!", "text-built"),
        hand,
        macro_,
        || text(source),
        (CHECK, N),
    );
}

/// One group: `macro`, `hand_written` and `text`. A macro rather than a generic function so
/// that each benchmark calls its form directly, as `chain.rs` does.
macro_rules! bench_group {
    ($c:expr, $name:expr, $hand:ident, $macro_:ident, $source:expr) => {{
        check($name, |n, sink| $hand(n, sink), $macro_, $source);
        let spec = dsl::parse($source).expect("the bench expression parses");
        let mut group = $c.benchmark_group($name);
        group.throughput(Throughput::Elements(N));
        group.bench_function("macro", |b| {
            b.iter(|| {
                let mut shape = $macro_();
                let mut sum = 0.0;
                drive(&mut shape, black_box(N), |v| sum += v);
                black_box(sum)
            });
        });
        group.bench_function("hand_written", |b| {
            b.iter(|| {
                let mut sum = 0.0;
                $hand(black_box(N), |v| sum += v);
                black_box(sum)
            });
        });
        group.bench_function("text", |b| {
            b.iter_batched(
                || spec.build(),
                |mut shape| {
                    let mut sum = 0.0;
                    drive(&mut shape, black_box(N), |v| sum += v);
                    black_box(sum)
                },
                BatchSize::PerIteration,
            );
        });
        group.finish();
    }};
}

fn bench_linear(c: &mut Criterion) {
    bench_group!(c, "dsl_linear_loop", hand_linear, macro_linear, LINEAR_TEXT);
}

fn bench_sin(c: &mut Criterion) {
    bench_group!(c, "dsl_sin_noise", hand_sin, macro_sin, SIN_TEXT);
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(5))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_linear, bench_sin
}
criterion_main!(benches);
