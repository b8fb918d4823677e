//! Straight lines: discrete (a number of points) and continuous (a duration).

use super::{Point, Shape};
use crate::Tick;

/// `n` evenly spaced points from `start` to `end`, both included (the seed's Linear Segment).
///
/// The slope is `(end - start) / (n - 1)`; `n = 1` yields `start` alone. A segment holds at
/// most `i64::MAX` (2^63 − 1) points, so a larger `n` is that many: 292 years of points at one
/// a nanosecond.
///
/// ```
/// use promgen::shape::{linear, ShapeExt};
/// let v: Vec<f64> = linear(0.0, 10.0, 5).points().filter_map(|p| p.value()).collect();
/// assert_eq!(v, [0.0, 2.5, 5.0, 7.5, 10.0]);
/// ```
///
/// `BOXED` picks how the position becomes a float, for the same values: the default suits a
/// static chain; [`Linear::boxed`] suits a segment called through `dyn Shape`, as configs and
/// the text DSL build it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linear<const BOXED: bool = false> {
    start: f64,
    slope: f64,
    /// At most `i64::MAX`, so that `pos < len` converts to `f64` through `i64`: one instruction
    /// on x86-64 where the `u64` conversion takes several, and the same number.
    len: u64,
    pos: u64,
}

/// The most points a segment holds.
const MAX_LEN: u64 = i64::MAX as u64;

/// A linear segment of `n` points from `start` to `end` inclusive.
#[must_use]
pub fn linear(start: f64, end: f64, n: u64) -> Linear {
    Linear::new(start, end, n)
}

impl Linear {
    /// The same segment, for calls through `dyn Shape` (the same values, bit for bit).
    ///
    /// `i64 as f64` is one instruction (`cvtsi2sd`) but writes only the low half of its
    /// register, so it waits for whatever wrote that register last; through a virtual call
    /// that is the caller's running sum, and each point waits for the previous one. The boxed
    /// form builds the float from the mantissa of 2^52 instead; in a static chain the plain
    /// conversion is the faster one.
    #[must_use]
    pub const fn boxed(self) -> Linear<true> {
        Linear {
            start: self.start,
            slope: self.slope,
            len: self.len,
            pos: self.pos,
        }
    }

    /// See [`linear`].
    #[must_use]
    pub fn new(start: f64, end: f64, n: u64) -> Self {
        let slope = if n > 1 {
            (end - start) / (n - 1) as f64
        } else {
            0.0
        };
        Self {
            start,
            slope,
            len: if n > MAX_LEN { MAX_LEN } else { n },
            pos: 0,
        }
    }

    /// `start`, `start ± 1`, … up to but not including `end`: the DSL's `linear(a..b)`.
    ///
    /// ```
    /// use promgen::shape::{Linear, ShapeExt};
    /// let up: Vec<f64> = Linear::range(0.0, 3.0).points().filter_map(|p| p.value()).collect();
    /// assert_eq!(up, [0.0, 1.0, 2.0]);
    /// let down: Vec<f64> = Linear::range(2.5, 0.0).points().filter_map(|p| p.value()).collect();
    /// assert_eq!(down, [2.5, 1.5, 0.5]);
    /// ```
    #[must_use]
    pub fn range(start: f64, end: f64) -> Self {
        let span = end - start;
        let count = if span.is_finite() {
            span.abs().ceil() as u64
        } else {
            0
        };
        Self::with_step(start, if span < 0.0 { -1.0 } else { 1.0 }, count)
    }

    /// `n` points from `start`, each `step` above the last (a step may be negative).
    #[must_use]
    pub const fn with_step(start: f64, step: f64, n: u64) -> Self {
        Self {
            start,
            slope: step,
            len: if n > MAX_LEN { MAX_LEN } else { n },
            pos: 0,
        }
    }
}

impl<const BOXED: bool> Shape for Linear<BOXED> {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        if self.pos < self.len {
            let x = if BOXED {
                super::small_to_f64(self.pos)
            } else {
                // `pos < len <= i64::MAX`: the signed conversion gives the same number.
                (self.pos as i64) as f64
            };
            // Not `mul_add`: without the FMA target feature it is a slow libm call.
            let v = self.start + self.slope * x;
            self.pos += 1;
            Point::Value(v)
        } else {
            Point::End
        }
    }
    fn restart(&mut self) {
        self.pos = 0;
    }
}

/// A line from `start` to `end` over `duration_ms`, evaluated at each tick's timestamp.
///
/// The line begins at the first tick it sees and ends after the tick at (or past) the
/// duration, so a segment of 60 s scraped every 15 s yields five points: 0 s … 60 s.
///
/// ```
/// use promgen::shape::{continuous_linear, Shape, Point};
/// use promgen::Tick;
/// let mut line = continuous_linear(0.0, 100.0, 60_000);
/// assert_eq!(line.next_point(Tick::new(0, 1_000_000)), Point::Value(0.0));
/// assert_eq!(line.next_point(Tick::new(1, 1_030_000)), Point::Value(50.0));
/// assert_eq!(line.next_point(Tick::new(2, 1_090_000)), Point::End);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContinuousLinear {
    start: f64,
    end: f64,
    duration_ms: i64,
    began_at: Option<i64>,
}

/// A continuous line from `start` to `end` lasting `duration_ms`.
#[must_use]
pub const fn continuous_linear(start: f64, end: f64, duration_ms: i64) -> ContinuousLinear {
    ContinuousLinear {
        start,
        end,
        duration_ms,
        began_at: None,
    }
}

impl Shape for ContinuousLinear {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        let began = *self.began_at.get_or_insert(tick.timestamp_ms);
        let elapsed = tick.timestamp_ms.saturating_sub(began);
        if elapsed > self.duration_ms {
            return Point::End;
        }
        if self.duration_ms == 0 {
            return Point::Value(self.start);
        }
        let fraction = elapsed as f64 / self.duration_ms as f64;
        Point::Value(self.start + (self.end - self.start) * fraction)
    }
    fn restart(&mut self) {
        self.began_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::test_util::render;

    #[test]
    fn segment_includes_both_ends() {
        assert_eq!(
            render(linear(0.0, 10.0, 5), 6),
            ["0", "2.5", "5", "7.5", "10", "end"]
        );
        assert_eq!(render(linear(10.0, 0.0, 3), 3), ["10", "5", "0"]);
        assert_eq!(render(linear(4.0, 9.0, 1), 2), ["4", "end"]);
        assert_eq!(render(linear(4.0, 9.0, 0), 1), ["end"]);
        assert_eq!(
            render(Linear::with_step(1.0, -0.5, 3), 3),
            ["1", "0.5", "0"]
        );
    }

    #[test]
    fn huge_segments_hold_at_most_i64_max_points() {
        let mut l = Linear::new(0.0, 1.0, u64::MAX);
        assert_eq!(l.len, i64::MAX as u64);
        // The same slope as asked for: the cap is on the length only.
        assert_eq!(l.slope, 1.0 / (u64::MAX - 1) as f64);
        l.pos = l.len - 1;
        let last = l.next_point(Tick::new(0, 0));
        assert_eq!(last, Point::Value(l.slope * (i64::MAX as u64 - 1) as f64));
        assert_eq!(l.next_point(Tick::new(1, 0)), Point::End);
        assert_eq!(Linear::with_step(0.0, 1.0, u64::MAX).len, i64::MAX as u64);
    }

    #[test]
    fn segment_restarts() {
        let mut l = linear(0.0, 1.0, 2);
        render(&mut l, 3);
        l.restart();
        assert_eq!(render(l, 1), ["0"]);
    }

    #[test]
    fn continuous_line_reads_the_clock() {
        let mut line = continuous_linear(10.0, 20.0, 100);
        // Ticks need not be evenly spaced: the value follows the timestamp.
        let at = |l: &mut ContinuousLinear, t| l.next_point(Tick::new(0, t)).to_string();
        assert_eq!(at(&mut line, 1000), "10");
        assert_eq!(at(&mut line, 1025), "12.5");
        assert_eq!(at(&mut line, 1100), "20");
        assert_eq!(at(&mut line, 1101), "end");
        line.restart();
        assert_eq!(at(&mut line, 5000), "10");
        let mut instant = continuous_linear(3.0, 4.0, 0);
        assert_eq!(at(&mut instant, 7), "3");
        assert_eq!(at(&mut instant, 8), "end");
    }
}

#[cfg(test)]
mod boxed_tests {
    use super::*;
    use crate::shape::ShapeExt;

    #[test]
    fn the_boxed_form_yields_the_same_values_bit_for_bit() {
        for (start, end, n) in [
            (0.0, 100.0, 101),
            (-3.5, 7.25, 1000),
            (1e15, -1e15, 77),
            (0.1, 0.7, 3),
        ] {
            let plain: Vec<u64> = linear(start, end, n)
                .points()
                .filter_map(|p| p.value())
                .map(f64::to_bits)
                .collect();
            let boxed: Vec<u64> = linear(start, end, n)
                .boxed()
                .points()
                .filter_map(|p| p.value())
                .map(f64::to_bits)
                .collect();
            assert_eq!(plain, boxed, "linear({start}, {end}, {n})");
        }
        // Past 2^52 the boxed form falls back to the plain conversion.
        let mut far = Linear::with_step(0.0, 1.0, u64::MAX);
        far.pos = (1 << 52) + 3;
        let mut far_boxed = far.boxed();
        assert_eq!(
            far.next_point(Tick::new(0, 0)),
            far_boxed.next_point(Tick::new(0, 0))
        );
    }
}
