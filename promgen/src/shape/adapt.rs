//! Adapters that reshape another shape's points.

use super::{Point, SeedSeq, Shape};
use crate::Tick;

/// A function applied to each value by [`Map`].
pub trait ValueFn {
    /// The new value.
    fn apply(&self, v: f64) -> f64;
}

/// Values limited to `lo..=hi` (NaN passes through).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clamp {
    /// The lower bound.
    pub lo: f64,
    /// The upper bound.
    pub hi: f64,
}

impl ValueFn for Clamp {
    #[inline]
    fn apply(&self, v: f64) -> f64 {
        // Comparisons rather than `f64::clamp`, which panics on reversed or NaN bounds.
        if v < self.lo {
            self.lo
        } else if v > self.hi {
            self.hi
        } else {
            v
        }
    }
}

/// Values rounded to the nearest integer, halves away from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round;

impl ValueFn for Round {
    #[inline]
    fn apply(&self, v: f64) -> f64 {
        v.round()
    }
}

/// Absolute values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abs;

impl ValueFn for Abs {
    #[inline]
    fn apply(&self, v: f64) -> f64 {
        v.abs()
    }
}

/// A shape whose values go through `F`; gaps, stale markers and the end pass unchanged.
///
/// ```
/// use promgen::shape::{linear, ShapeExt};
/// let v: Vec<f64> = linear(-2.0, 2.0, 5).clamp(-1.0, 1.0).points().filter_map(|p| p.value()).collect();
/// assert_eq!(v, [-1.0, -1.0, 0.0, 1.0, 1.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Map<S, F> {
    inner: S,
    f: F,
}

impl<S, F> Map<S, F> {
    /// `inner` with `f` applied to each value.
    pub const fn new(inner: S, f: F) -> Self {
        Self { inner, f }
    }
}

impl<S: Shape, F: ValueFn> Shape for Map<S, F> {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        match self.inner.next_point(tick) {
            Point::Value(v) => Point::from_value(self.f.apply(v)),
            other => other,
        }
    }
    fn restart(&mut self) {
        self.inner.restart();
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.inner.seed_from(seeds);
    }
}

/// The running total of the values: increments in, a counter out.
///
/// The total starts at 0 and restarts at 0 when the shape restarts (a counter reset).
///
/// ```
/// use promgen::shape::{linear, ShapeExt};
/// let v: Vec<f64> = linear(1.0, 1.0, 4).cumsum().points().filter_map(|p| p.value()).collect();
/// assert_eq!(v, [1.0, 2.0, 3.0, 4.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Cumsum<S> {
    inner: S,
    total: f64,
}

impl<S> Cumsum<S> {
    /// The running total of `inner`.
    pub const fn new(inner: S) -> Self {
        Self { inner, total: 0.0 }
    }
}

impl<S: Shape> Shape for Cumsum<S> {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        match self.inner.next_point(tick) {
            Point::Value(v) => {
                self.total += v;
                Point::from_value(self.total)
            }
            other => other,
        }
    }
    fn restart(&mut self) {
        self.inner.restart();
        self.total = 0.0;
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.inner.seed_from(seeds);
    }
}

/// Each point of the inner shape held for `n` scrapes.
///
/// ```
/// use promgen::shape::{linear, ShapeExt};
/// let v: Vec<f64> = linear(1.0, 2.0, 2).hold(3).points().filter_map(|p| p.value()).collect();
/// assert_eq!(v, [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Hold<S> {
    inner: S,
    n: u64,
    /// The point being held and how many more scrapes it is held for.
    held: Point,
    left: u64,
}

impl<S> Hold<S> {
    /// Each point of `inner` held for `n` scrapes (`n = 0` is treated as 1).
    pub fn new(inner: S, n: u64) -> Self {
        Self {
            inner,
            n: n.max(1),
            held: Point::End,
            left: 0,
        }
    }
}

impl<S: Shape> Shape for Hold<S> {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        if self.left == 0 {
            self.held = self.inner.next_point(tick);
            self.left = self.n;
        }
        self.left -= 1;
        self.held
    }
    fn restart(&mut self) {
        self.inner.restart();
        self.left = 0;
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.inner.seed_from(seeds);
    }
}

/// The first `n` points of the inner shape, then the end.
///
/// ```
/// use promgen::shape::{constant, ShapeExt};
/// assert_eq!(constant(1.0).take(3).points().count(), 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Take<S> {
    inner: S,
    n: u64,
    pos: u64,
}

impl<S> Take<S> {
    /// The first `n` points of `inner`.
    pub const fn new(inner: S, n: u64) -> Self {
        Self { inner, n, pos: 0 }
    }
}

impl<S: Shape> Shape for Take<S> {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        if self.pos >= self.n {
            return Point::End;
        }
        self.pos += 1;
        self.inner.next_point(tick)
    }
    fn restart(&mut self) {
        self.inner.restart();
        self.pos = 0;
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.inner.seed_from(seeds);
    }
}

#[cfg(test)]
mod tests {
    use crate::shape::{ShapeExt, Value, gap, linear, test_util::render, values};

    #[test]
    fn value_adapters() {
        assert_eq!(render(linear(-1.5, 1.5, 3).abs(), 3), ["1.5", "0", "1.5"]);
        assert_eq!(render(linear(-1.5, 2.5, 3).round(), 3), ["-2", "1", "3"]);
        assert_eq!(
            render(linear(0.0, 10.0, 3).clamp(2.0, 8.0), 4),
            ["2", "5", "8", "end"]
        );
        assert_eq!(render((f64::NAN).take(1).clamp(0.0, 1.0), 1), ["NaN"]);
    }

    #[test]
    fn cumsum_keeps_gaps_and_resets_on_restart() {
        let v = values(vec![
            Value::Num(1.0),
            Value::Missing,
            Value::Num(2.5),
            Value::Stale,
        ]);
        let mut c = v.cumsum();
        assert_eq!(render(&mut c, 5), ["1", "_", "3.5", "stale", "end"]);
        crate::shape::Shape::restart(&mut c);
        assert_eq!(render(c, 1), ["1"]);
    }

    #[test]
    fn hold_repeats_every_kind_of_point() {
        assert_eq!(
            render(gap(1).then(3.0.take(1)).hold(2), 5),
            ["_", "_", "3", "3", "end"]
        );
        assert_eq!(render(linear(1.0, 2.0, 2).hold(0), 3), ["1", "2", "end"]);
    }

    #[test]
    fn take_limits_and_restarts() {
        let mut t = linear(0.0, 9.0, 10).take(2);
        assert_eq!(render(&mut t, 3), ["0", "1", "end"]);
        crate::shape::Shape::restart(&mut t);
        assert_eq!(render(t, 1), ["0"]);
        assert_eq!(render(linear(0.0, 1.0, 2).take(5), 3), ["0", "1", "end"]);
    }
}
