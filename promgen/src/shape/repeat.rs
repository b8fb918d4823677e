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
    state: State,
}

/// Where a loop is. In [`State::Running`], the fast path, a point from `inner` that is not
/// `End` goes straight out, with one test of the state and no store. Everything else (the
/// first point, the end of a pass, the end of the loop) goes through [`Repeat::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No point asked for since the loop was made or restarted.
    Fresh,
    /// The current pass has yielded at least one point.
    Running,
    /// The loop has ended: it yields `End` without calling `inner`.
    Finished,
}

impl<S> Repeat<S> {
    /// `inner`, `times` times (0 yields nothing).
    pub const fn times(inner: S, times: u64) -> Self {
        Self {
            inner,
            times: Some(times),
            done: 0,
            state: State::Fresh,
        }
    }

    /// `inner` forever.
    pub const fn forever(inner: S) -> Self {
        Self {
            inner,
            times: None,
            done: 0,
            state: State::Fresh,
        }
    }
}

impl<S: Shape> Repeat<S> {
    /// The first point of a pass, asked of `inner` after it was (re)started: `End` there means
    /// an empty pass, and every later pass would be empty too.
    #[inline]
    fn first_of_pass(&mut self, tick: Tick) -> Point {
        match self.inner.next_point(tick) {
            Point::End => {
                self.done = u64::MAX;
                self.times = Some(0);
                self.state = State::Finished;
                Point::End
            }
            p => {
                self.state = State::Running;
                p
            }
        }
    }

    /// Everything but a point in the middle of a pass: the loop's first point, the end of a
    /// pass (a running loop whose `inner` just yielded `End`), or a finished loop.
    #[cold]
    #[inline(never)]
    fn step(&mut self, tick: Tick) -> Point {
        match self.state {
            State::Finished => Point::End,
            State::Fresh => {
                if self.times == Some(0) {
                    self.state = State::Finished;
                    return Point::End;
                }
                self.first_of_pass(tick)
            }
            State::Running => {
                self.done += 1;
                if self.times.is_some_and(|t| self.done >= t) {
                    self.state = State::Finished;
                    return Point::End;
                }
                self.inner.restart();
                self.first_of_pass(tick)
            }
        }
    }
}

impl<S: Shape> Shape for Repeat<S> {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        if self.state != State::Running {
            return self.step(tick);
        }
        match self.inner.next_point(tick) {
            Point::End => self.step(tick),
            p => p,
        }
    }
    fn restart(&mut self) {
        self.inner.restart();
        self.done = 0;
        self.state = State::Fresh;
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

    /// One value, once: restarting does not bring it back.
    struct Once(bool);

    impl Shape for Once {
        fn next_point(&mut self, _tick: Tick) -> Point {
            if self.0 {
                Point::End
            } else {
                self.0 = true;
                Point::Value(1.0)
            }
        }
        fn restart(&mut self) {}
    }

    #[test]
    fn an_empty_pass_ends_the_loop_for_good() {
        assert_eq!(render(Once(false).forever(), 3), ["1", "end", "end"]);
        assert_eq!(render(Once(false).repeat(3), 3), ["1", "end", "end"]);
        assert_eq!(render(Once(true).forever(), 2), ["end", "end"]);
        let mut r = Once(false).forever();
        assert_eq!(render(&mut r, 2), ["1", "end"]);
        r.restart();
        assert_eq!(render(&mut r, 1), ["end"]);
        // A loop that ran out of passes starts again on restart.
        let mut r = linear(1.0, 2.0, 2).repeat(1);
        assert_eq!(render(&mut r, 3), ["1", "2", "end"]);
        r.restart();
        assert_eq!(render(r, 3), ["1", "2", "end"]);
    }
}
