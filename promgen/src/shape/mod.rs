//! Shapes: what a series does at each scrape.
//!
//! A shape is a small state machine. At each [`Tick`] it yields a [`Point`]: a value, a
//! missing scrape, a stale marker, or the end. Shapes compose by value into nested generic
//! types (`Repeat<Join<Linear, Values>>`), so a composed chain compiles to straight-line code
//! with no allocation and no dynamic dispatch. The dynamic form used by configs is the same
//! shapes behind [`DynShape`], a boxed trait object.
//!
//! *Discrete* shapes yield their next point on each call, whatever the tick's time.
//! *Continuous* shapes ([`ContinuousWave`], [`ContinuousLinear`]) compute the value at the
//! tick's timestamp.
//!
//! ```
//! use promgen::shape::{Shape, ShapeExt, linear, values, Value};
//!
//! // 0, 5, 10, then 1, a missing scrape, 2, and all that twice.
//! let shape = linear(0.0, 10.0, 3).then(values([Value::Num(1.0), Value::Missing, Value::Num(2.0)])).repeat(2);
//! let points: Vec<String> = shape.points().map(|p| p.to_string()).collect();
//! assert_eq!(points, ["0", "5", "10", "1", "_", "2", "0", "5", "10", "1", "_", "2"]);
//! ```

mod adapt;
mod arith;
mod chacha;
mod constant;
mod end;
mod linear;
mod random;
mod repeat;
mod seed;
mod sequence;
mod values;
mod wave;

pub use adapt::{Abs, Clamp, Cumsum, Hold, Map, Round, Take, ValueFn};
pub use arith::{ArithChain, ArithOp, BinaryOp, Combine, OpAdd, OpDiv, OpMul, OpSub};
pub use constant::{Constant, Gap, constant, gap};
pub use end::{End, EndStrategy};
pub use linear::{ContinuousLinear, Linear, continuous_linear, linear};
pub use random::{
    Blocked, Buffered, Compact, Normal, Stream, Uniform, Walk, Words, normal, uniform, walk,
};
pub use repeat::Repeat;
pub use seed::SeedSeq;
pub use sequence::{Chain, Join};
pub use values::{Value, Values, values};
pub use wave::{ContinuousWave, DiscreteWave, WaveKind, WaveParams, WavePeriod};

use crate::{Tick, sample::FormatValue, sample::is_stale};
use std::fmt;

/// `n as f64`, the same number, cheaper below 2^52.
///
/// Without AVX-512, `u64 as f64` takes about five instructions on x86-64, several percent of a
/// discrete sine wave's time. `i64 as f64` is one instruction (`cvtsi2sd`), but it writes only
/// the low half of its register, so it waits for whatever last wrote that register. Called
/// through `dyn Shape`, that was the caller's running sum: every point's wave waited for the
/// previous point, and the text form of `benches/dsl.rs`'s wave took 1.6 to 1.8 times as long.
/// Below 2^52 the integer goes into the mantissa of 2^52 instead: a full-register move and one
/// subtraction, both exact.
#[inline]
pub(crate) fn small_to_f64(n: u64) -> f64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    if n < 1 << 52 {
        f64::from_bits(TWO_52.to_bits() | n) - TWO_52
    } else {
        large_to_f64(n)
    }
}

/// Out of line, so that the compiler does not compute it ahead of the test for every point.
#[cold]
#[inline(never)]
fn large_to_f64(n: u64) -> f64 {
    n as f64
}

/// What a shape yields at one scrape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Point {
    /// A sample with this value.
    Value(f64),
    /// No sample at this scrape (the seed's "void").
    Missing,
    /// A stale marker: the series is gone, as far as queries are concerned.
    Stale,
    /// The shape is finished; it yields `End` from now on.
    End,
}

impl Point {
    /// A value point, turning the stale-marker NaN into [`Point::Stale`].
    #[inline]
    #[must_use]
    pub fn from_value(v: f64) -> Self {
        // The stale marker is a NaN: test for NaN first, a cheap and well-predicted branch.
        if v.is_nan() {
            Self::from_nan(v)
        } else {
            Self::Value(v)
        }
    }

    #[cold]
    #[inline(never)]
    fn from_nan(v: f64) -> Self {
        if is_stale(v) {
            Self::Stale
        } else {
            Self::Value(v)
        }
    }

    /// The value, if this is a value point.
    #[inline]
    #[must_use]
    pub const fn value(self) -> Option<f64> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Applies `f` to a value point; other points pass through.
    #[inline]
    #[must_use]
    pub fn map(self, f: impl FnOnce(f64) -> f64) -> Self {
        match self {
            Self::Value(v) => Self::Value(f(v)),
            other => other,
        }
    }
}

/// `_` for a missing scrape, `stale`, `end`, or the value as [`FormatValue`] prints it.
impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(v) => FormatValue(*v).fmt(f),
            Self::Missing => f.write_str("_"),
            Self::Stale => f.write_str("stale"),
            Self::End => f.write_str("end"),
        }
    }
}

/// A time series shape: yields one [`Point`] per scrape.
///
/// Implementations keep their own position; [`Shape::restart`] rewinds it (loops use that).
/// Random shapes keep their random stream across restarts, so a looped `uniform` draws new
/// numbers on every pass, while everything else repeats exactly.
pub trait Shape {
    /// The point at this scrape. After [`Point::End`] every later call yields `End`.
    fn next_point(&mut self, tick: Tick) -> Point;

    /// Rewinds to the first point.
    fn restart(&mut self);

    /// Gives every random shape that has no explicit seed the next seed from `seeds`, in
    /// the order the shapes appear in the chain. Series call this with a sequence derived
    /// from their labels, so the same config yields the same numbers everywhere.
    fn seed_from(&mut self, _seeds: &mut SeedSeq) {}
}

/// A shape behind a pointer: the dynamic form that configs and text build.
pub type DynShape = Box<dyn Shape + Send>;

impl<S: Shape + ?Sized> Shape for Box<S> {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        (**self).next_point(tick)
    }
    fn restart(&mut self) {
        (**self).restart();
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        (**self).seed_from(seeds);
    }
}

impl<S: Shape + ?Sized> Shape for &mut S {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        (**self).next_point(tick)
    }
    fn restart(&mut self) {
        (**self).restart();
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        (**self).seed_from(seeds);
    }
}

/// A plain number is a constant shape, so `shape + 1.0` and `combine(2.0, shape)` work.
impl Shape for f64 {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        Point::Value(*self)
    }
    fn restart(&mut self) {}
}

/// Combinators available on every shape.
pub trait ShapeExt: Shape + Sized {
    /// This shape, then `next` (the seed's Join).
    fn then<B: Shape>(self, next: B) -> Join<Self, B> {
        Join::new(self, next)
    }

    /// This shape `times` times in a row (the seed's Loop with a count).
    fn repeat(self, times: u64) -> Repeat<Self> {
        Repeat::times(self, times)
    }

    /// This shape over and over, forever.
    fn forever(self) -> Repeat<Self> {
        Repeat::forever(self)
    }

    /// What happens when this shape ends: loop, hold the last value, send a custom value, or
    /// remove the series.
    fn end_with(self, strategy: EndStrategy) -> End<Self> {
        End::new(self, strategy)
    }

    /// The first `n` points only.
    fn take(self, n: u64) -> Take<Self> {
        Take::new(self, n)
    }

    /// Values limited to `lo..=hi`.
    fn clamp(self, lo: f64, hi: f64) -> Map<Self, Clamp> {
        Map::new(self, Clamp { lo, hi })
    }

    /// Values rounded to the nearest integer (half away from zero).
    fn round(self) -> Map<Self, Round> {
        Map::new(self, Round)
    }

    /// Absolute values.
    fn abs(self) -> Map<Self, Abs> {
        Map::new(self, Abs)
    }

    /// The running total of the values: turns increments into a counter.
    fn cumsum(self) -> Cumsum<Self> {
        Cumsum::new(self)
    }

    /// Each point held for `n` scrapes.
    fn hold(self, n: u64) -> Hold<Self> {
        Hold::new(self, n)
    }

    /// Pointwise combination with another shape (or a number) by `op`.
    fn combine<B: Shape, O: BinaryOp>(self, other: B, op: O) -> Combine<Self, B, O> {
        Combine::new(self, other, op)
    }

    /// Gives the random shapes in this chain that have no seed yet default seeds derived from
    /// `seed`; a series (or a later `with_seed`) may still replace them.
    #[must_use]
    fn seeded(mut self, seed: u64) -> Self {
        self.seed_from(&mut SeedSeq::new(seed));
        self
    }

    /// Fixes the seeds of the random shapes in this chain that have none yet, derived from
    /// `seed` in order: the DSL's `.seed(n)`. Series labels no longer change them.
    ///
    /// ```
    /// use promgen::shape::{uniform, ShapeExt};
    /// let a: Vec<_> = (uniform(0.0, 1.0) + uniform(0.0, 1.0)).with_seed(3).take(3).points().collect();
    /// let b: Vec<_> = (uniform(0.0, 1.0) + uniform(0.0, 1.0)).with_seed(3).take(3).points().collect();
    /// assert_eq!(a, b);
    /// ```
    #[must_use]
    fn with_seed(mut self, seed: u64) -> Self {
        self.seed_from(&mut SeedSeq::explicit(seed));
        self
    }

    /// The first `n` points as text, space-separated, as [`Point`]'s `Display` writes them
    /// (`_` a missing scrape, `stale`); stops early where the shape ends.
    ///
    /// ```
    /// use promgen::shape::{linear, gap, ShapeExt};
    /// assert_eq!(linear(0.0, 1.0, 3).then(gap(1)).preview(10), "0 0.5 1 _");
    /// ```
    fn preview(self, n: usize) -> String {
        self.points()
            .take(n)
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The points this shape yields on consecutive ticks one second apart from time 0, up to
    /// (not including) the end. Infinite shapes need a `.take(n)` on the iterator.
    fn points(self) -> Points<Self> {
        Points {
            shape: self,
            index: 0,
        }
    }
}

impl<S: Shape> ShapeExt for S {}

/// Iterator over a shape's points, from [`ShapeExt::points`].
#[derive(Debug, Clone)]
pub struct Points<S> {
    shape: S,
    index: u64,
}

impl<S: Shape> Iterator for Points<S> {
    type Item = Point;

    fn next(&mut self) -> Option<Point> {
        let tick = Tick::new(self.index, (self.index as i64).saturating_mul(1000));
        self.index += 1;
        match self.shape.next_point(tick) {
            Point::End => None,
            p => Some(p),
        }
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// The first `n` points as text, `end` included when reached.
    pub fn render<S: Shape>(mut shape: S, n: usize) -> Vec<String> {
        (0..n as u64)
            .map(|i| shape.next_point(Tick::new(i, i as i64 * 1000)).to_string())
            .collect()
    }
}
