//! Constant values and gaps.

use super::{Point, Shape};
use crate::Tick;

/// The same value at every scrape, forever.
///
/// ```
/// use promgen::shape::{constant, ShapeExt};
/// assert_eq!(constant(3.0).take(2).points().count(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant(pub f64);

/// A shape that yields `value` forever.
#[must_use]
pub const fn constant(value: f64) -> Constant {
    Constant(value)
}

impl Shape for Constant {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        Point::from_value(self.0)
    }
    fn restart(&mut self) {}
}

/// `n` missing scrapes, then the end (the seed's Void).
///
/// ```
/// use promgen::shape::{gap, Point, ShapeExt};
/// assert_eq!(gap(2).points().collect::<Vec<_>>(), [Point::Missing, Point::Missing]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    len: u64,
    pos: u64,
}

/// `n` missing scrapes.
#[must_use]
pub const fn gap(n: u64) -> Gap {
    Gap { len: n, pos: 0 }
}

impl Shape for Gap {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        if self.pos < self.len {
            self.pos += 1;
            Point::Missing
        } else {
            Point::End
        }
    }
    fn restart(&mut self) {
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{shape::test_util::render, stale_nan};

    #[test]
    fn constant_is_endless_and_keeps_the_stale_marker() {
        assert_eq!(render(constant(1.5), 3), ["1.5", "1.5", "1.5"]);
        assert_eq!(render(constant(stale_nan()), 1), ["stale"]);
    }

    #[test]
    fn gap_yields_missing_scrapes_then_ends() {
        assert_eq!(render(gap(2), 4), ["_", "_", "end", "end"]);
        assert_eq!(render(gap(0), 1), ["end"]);
        let mut g = gap(1);
        render(&mut g, 2);
        g.restart();
        assert_eq!(render(g, 1), ["_"]);
    }
}
