//! The macro form and the text form of the same expression give identical samples.
//!
//! Each case is written once: `series!` compiles it, `stringify!` hands the same tokens to
//! the text parser. Both run as a series with the same labels (so default seeds match too)
//! over the same ticks, 2.5 s apart so that continuous shapes see real time.

use promgen::{Labels, MetricType, Series, Tick, dsl, shape::Shape};

const TICKS: u64 = 150;

fn run<S: Shape>(shape: S) -> Vec<String> {
    let labels = Labels::new("equivalence", [("case", "x")]).unwrap();
    let mut series = Series::new(labels, MetricType::Gauge, shape);
    (0..TICKS)
        .map(|i| {
            series
                .next_point(Tick::new(i, 1_700_000_000_000 + i as i64 * 2_500))
                .to_string()
        })
        .collect()
}

macro_rules! cases {
    ($({ $($tokens:tt)+ })+) => {{
        let mut checked = 0;
        $(
            let text = stringify!($($tokens)+);
            let from_macro = run(promgen::series!($($tokens)+));
            let spec = dsl::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let from_text = run(spec.build());
            assert_eq!(from_macro, from_text, "macro and text differ for {text}");
            assert!(from_macro.iter().any(|p| p != "end"), "{text} yields nothing");
            checked += 1;
        )+
        checked
    }};
}

#[test]
fn macro_and_text_agree() {
    let checked = cases! {
        { linear(0..100) }
        { linear(5..0) }
        { linear(0.5..3) }
        { linear(0..=10, 5) }
        { linear(10..=-10, 3) }
        { linear(0..100) >> loop }
        { constant(7) }
        { 42 }
        { -3.5 }
        { gap(3) >> [1] }
        { _ x 4 >> [2] }
        { [1, 2, _, stale, -4.5] }
        { "0+10x5 _x2 stale -1-1x3" }
        { "0.1+0.7x3" >> hold }
        { uniform(0..10) }
        { uniform(-1..1).seed(42) }
        { normal(100, 15) }
        { normal(0, 1).seed(3) }
        { walk(start = 100, step = 2) }
        { walk(start = 0, step = 0.5).seed(9) }
        { sin(period = 20, amplitude = 5, offset = 50) }
        { cos(period = 1m, amplitude = 2) }
        { square(period = 8, phase = 0.25) }
        { sawtooth(period = 30s, amplitude = 10, offset = 10) }
        { triangle(period = 12) }
        { pulse(period = 10, duty = 0.2, amplitude = 3) }
        { pulse(period = 1m30s) }
        { linear(0..=10, 5) x 2 >> [1, _, stale] }
        { ([1, 2] >> gap(1)) x 3 >> end }
        { [5, 6] >> const(0) }
        { (linear(0..=50, 10) >> [50] x 20) >> hold }
        { linear(0..10) + uniform(0..1) }
        { linear(0..10) - 2 * linear(10..0) }
        { (linear(0..10) + 1) / 4 }
        { -linear(0..5) }
        { -(linear(0..5) - 10) * -1 }
        { uniform(0..5).cumsum() }
        { (uniform(0..2) + 1).cumsum() >> loop }
        { normal(0, 3).clamp(-2, 2) }
        { normal(0, 10).round().abs() }
        { linear(0..4).every(3) >> loop }
        { (sin(period = 10m, amplitude = 5, offset = 50) + normal(0, 0.5)).seed(1) }
        { (uniform(0..1).seed(5) + uniform(0..1)).seed(6) }
        { (linear(0..3) >> loop) + normal(0, 1) }
        { [1.5, _, 2.5].every(2) x 2 }
        { "1 2 3" * [2, 2, 2] }
        { gap(2) + constant(1) }
        { [stale, 1] + 1 }
        { linear(0..10) + 1 - uniform(0..1) * 2 / linear(1..11) + normal(0, 1) }
        { [1, _, 2] x 2 x 3 >> [4] x 2 }
        { (uniform(0..1) x 2) x 3 }
        { 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13 + 14 + 15 + 16 + uniform(0..1) }
        { [1] >> [2] >> [3] >> [4] >> [5] >> [6] >> [7] >> [8] >> [9] >> [10] >> [11] >> [12] >> [13] >> [14] >> [15] >> [16] >> uniform(0..1) }
    };
    assert!(checked >= 30, "only {checked} cases");
}

#[test]
fn runtime_values_in_the_macro() {
    // Arguments are Rust expressions: the text form of the same numbers agrees.
    let (lo, hi, n, period) = (2.0_f64, 8.0_f64, 4_u32, std::time::Duration::from_secs(60));
    assert_eq!(
        run(promgen::series!(linear(lo..=hi, n) >> loop)),
        run(dsl::parse("linear(2..=8, 4) >> loop").unwrap().build())
    );
    assert_eq!(
        run(promgen::series!(sin(period = period, amplitude = hi))),
        run(dsl::parse("sin(period = 1m, amplitude = 8)")
            .unwrap()
            .build())
    );
    assert_eq!(
        run(promgen::series!(sin(period = n, amplitude = hi))),
        run(dsl::parse("sin(period = 4, amplitude = 8)")
            .unwrap()
            .build())
    );
    assert_eq!(
        run(promgen::series!(uniform(lo..hi).seed(n))),
        run(dsl::parse("uniform(2..8).seed(4)").unwrap().build())
    );
}
