//! Loops: a shape a number of times, or forever.

use super::{Point, SeedSeq, Shape};
use crate::Tick;

/// A shape played again from the start each time it ends (the seed's Loop).
///
/// A shape that ends without yielding anything ends the loop too, so `gap(0).forever()` is
/// an empty shape rather than a hang.
///
/// ```
/// use promgen::shape::{linear, ShapeExt};
/// let v: Vec<f64> = linear(1.0, 2.0, 2).repeat(3).points().filter_map(|p| p.value()).collect();
/// assert_eq!(v, [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Repeat<S> {
    inner: S,
    /// `None` loops forever.
    times: Option<u64>,
    done: u64,
    yielded_this_pass: bool,
}

impl<S> Repeat<S> {
    /// `inner`, `times` times (0 yields nothing).
    pub const fn times(inner: S, times: u64) -> Self {
        Self {
            inner,
            times: Some(times),
            done: 0,
            yielded_this_pass: false,
        }
    }

    /// `inner` forever.
    pub const fn forever(inner: S) -> Self {
        Self {
            inner,
            times: None,
            done: 0,
            yielded_this_pass: false,
        }
    }
}

impl<S: Shape> Shape for Repeat<S> {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        loop {
            if self.times.is_some_and(|t| self.done >= t) {
                return Point::End;
            }
            match self.inner.next_point(tick) {
                Point::End => {
                    if !self.yielded_this_pass {
                        // An empty pass: every later pass would be empty too.
                        self.done = u64::MAX;
                        self.times = Some(0);
                        return Point::End;
                    }
                    self.done += 1;
                    self.inner.restart();
                    self.yielded_this_pass = false;
                }
                p => {
                    self.yielded_this_pass = true;
                    return p;
                }
            }
        }
    }
    fn restart(&mut self) {
        self.inner.restart();
        self.done = 0;
        self.yielded_this_pass = false;
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.inner.seed_from(seeds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{ShapeExt, gap, linear, test_util::render};

    #[test]
    fn counts_passes_and_restarts() {
        assert_eq!(
            render(linear(0.0, 1.0, 2).repeat(2), 5),
            ["0", "1", "0", "1", "end"]
        );
        assert_eq!(render(linear(0.0, 1.0, 2).repeat(0), 1), ["end"]);
        let mut r = gap(1).then(3.0.take(1)).repeat(2);
        assert_eq!(render(&mut r, 5), ["_", "3", "_", "3", "end"]);
        r.restart();
        assert_eq!(render(r, 2), ["_", "3"]);
    }

    #[test]
    fn forever_never_ends_and_empty_shapes_do_not_hang() {
        assert_eq!(
            render(linear(5.0, 6.0, 2).forever(), 5),
            ["5", "6", "5", "6", "5"]
        );
        assert_eq!(render(gap(0).forever(), 2), ["end", "end"]);
        // Loops of loops restart their inner loop on each pass.
        assert_eq!(
            render(linear(1.0, 1.0, 1).repeat(2).repeat(2), 5),
            ["1", "1", "1", "1", "end"]
        );
    }
}
