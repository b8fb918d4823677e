//! What the shape benchmarks share: the clock, a driver that sums or collects a shape's
//! values, the same for a hand-written loop, and the check that all forms agree.

use promgen::{
    Tick,
    shape::DynShape,
    shape::{Point, Shape},
};

/// The tick of scrape `i`, 15 s apart.
#[inline(always)]
pub fn tick(i: u64) -> Tick {
    Tick::new(i, i as i64 * 15_000)
}

/// Drives `shape` for `n` ticks, handing every value to `sink`. Panics on anything but a value:
/// these chains never miss a scrape nor end.
#[inline(always)]
pub fn drive<S: Shape>(shape: &mut S, n: u64, mut sink: impl FnMut(f64)) {
    for i in 0..n {
        match shape.next_point(tick(i)) {
            Point::Value(v) => sink(v),
            p => panic!("unexpected point {p} at tick {i}"),
        }
    }
}

pub fn collect_shape<S: Shape>(mut shape: S, n: u64) -> Vec<u64> {
    let mut v = Vec::with_capacity(n as usize);
    drive(&mut shape, n, |x| v.push(x.to_bits()));
    v
}

pub fn collect_hand(hand: fn(u64, &mut dyn FnMut(f64)), n: u64) -> Vec<u64> {
    let mut v = Vec::with_capacity(n as usize);
    hand(n, &mut |x| v.push(x.to_bits()));
    v
}

pub fn sum_shape<S: Shape>(mut shape: S, n: u64) -> f64 {
    let mut sum = 0.0;
    drive(&mut shape, n, |v| sum += v);
    sum
}

/// Apples to apples: the hand-written loop, the static form and the boxed form yield the same
/// values bit for bit for `check` ticks, and the same sums over `n`. `forms` names the two
/// shape forms in messages.
pub fn check<S: Shape>(
    name: &str,
    forms: (&str, &str),
    hand: fn(u64, &mut dyn FnMut(f64)),
    static_: impl Fn() -> S,
    boxed: impl Fn() -> DynShape,
    (check, n): (u64, u64),
) {
    let expected = collect_hand(hand, check);
    assert_eq!(
        collect_shape(static_(), check),
        expected,
        "{name}: {} != hand-written loop",
        forms.0
    );
    assert_eq!(
        collect_shape(boxed(), check),
        expected,
        "{name}: {} != hand-written loop",
        forms.1
    );
    let mut hand_sum = 0.0;
    hand(n, &mut |v| hand_sum += v);
    assert_eq!(
        sum_shape(static_(), n).to_bits(),
        hand_sum.to_bits(),
        "{name}: sums"
    );
    assert_eq!(
        sum_shape(boxed(), n).to_bits(),
        hand_sum.to_bits(),
        "{name}: sums"
    );
}
