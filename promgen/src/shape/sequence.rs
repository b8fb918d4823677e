//! Joining shapes one after another.

use super::{DynShape, Point, SeedSeq, Shape};
use crate::Tick;

/// `A`, then `B` once `A` has ended (the seed's Join). Built by [`ShapeExt::then`](super::ShapeExt::then).
///
/// The tick on which `A` ends goes to `B`, so no scrape is lost at the seam.
#[derive(Debug, Clone, PartialEq)]
pub struct Join<A, B> {
    first: A,
    second: B,
    first_done: bool,
}

impl<A, B> Join<A, B> {
    /// `first`, then `second`.
    pub const fn new(first: A, second: B) -> Self {
        Self {
            first,
            second,
            first_done: false,
        }
    }
}

impl<A: Shape, B: Shape> Shape for Join<A, B> {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        if !self.first_done {
            match self.first.next_point(tick) {
                Point::End => self.first_done = true,
                p => return p,
            }
        }
        self.second.next_point(tick)
    }
    fn restart(&mut self) {
        self.first.restart();
        self.second.restart();
        self.first_done = false;
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.first.seed_from(seeds);
        self.second.seed_from(seeds);
    }
}

/// Any number of shapes one after another: the dynamic form of [`Join`], for configs.
///
/// ```
/// use promgen::shape::{Chain, linear, gap, ShapeExt};
/// let chain = Chain::new(vec![Box::new(linear(1.0, 2.0, 2)), Box::new(gap(1))]);
/// assert_eq!(chain.points().map(|p| p.to_string()).collect::<Vec<_>>(), ["1", "2", "_"]);
/// ```
pub struct Chain {
    parts: Vec<DynShape>,
    current: usize,
}

impl Chain {
    /// The parts, in order.
    #[must_use]
    pub fn new(parts: Vec<DynShape>) -> Self {
        Self { parts, current: 0 }
    }
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chain({} parts, at {})", self.parts.len(), self.current)
    }
}

impl Shape for Chain {
    fn next_point(&mut self, tick: Tick) -> Point {
        while let Some(part) = self.parts.get_mut(self.current) {
            match part.next_point(tick) {
                Point::End => self.current += 1,
                p => return p,
            }
        }
        Point::End
    }
    fn restart(&mut self) {
        self.parts.iter_mut().for_each(|p| p.restart());
        self.current = 0;
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.parts.iter_mut().for_each(|p| p.seed_from(seeds));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{ShapeExt, gap, linear, test_util::render};

    #[test]
    fn join_hands_over_without_losing_a_tick() {
        assert_eq!(
            render(linear(1.0, 2.0, 2).then(gap(1)).then(3.0), 5),
            ["1", "2", "_", "3", "3"]
        );
        let mut j = gap(1).then(linear(5.0, 5.0, 1));
        assert_eq!(render(&mut j, 3), ["_", "5", "end"]);
        j.restart();
        assert_eq!(render(j, 2), ["_", "5"]);
    }

    #[test]
    fn chain_skips_empty_parts() {
        let parts: Vec<DynShape> = vec![
            Box::new(gap(0)),
            Box::new(linear(7.0, 7.0, 1)),
            Box::new(gap(0)),
        ];
        let mut c = Chain::new(parts);
        assert_eq!(render(&mut c, 2), ["7", "end"]);
        c.restart();
        assert_eq!(render(c, 1), ["7"]);
        assert_eq!(render(Chain::new(vec![]), 1), ["end"]);
    }
}
