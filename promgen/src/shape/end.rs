//! What a series does once its shape has ended.

use super::{Point, SeedSeq, Shape, Value};
use crate::Tick;

/// The seed's end strategies.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum EndStrategy {
    /// Simply end: no more samples (Prometheus marks the series stale after 5 minutes).
    #[default]
    Stop,
    /// Start again from the beginning, forever.
    Loop,
    /// Send the last value forever (nothing, if the shape never yielded a value).
    SendLastValue,
    /// Send this value forever: a number, a missing scrape, or a stale marker.
    SendCustomValue(Value),
    /// Send one stale marker, then nothing: the series disappears at once.
    RemoveTimeSeries,
}

/// A shape with an [`EndStrategy`], built by [`ShapeExt::end_with`](super::ShapeExt::end_with).
///
/// ```
/// use promgen::shape::{linear, EndStrategy, ShapeExt};
/// let text = |s: EndStrategy| -> Vec<String> {
///     linear(1.0, 2.0, 2).end_with(s).points().take(4).map(|p| p.to_string()).collect()
/// };
/// assert_eq!(text(EndStrategy::Stop), ["1", "2"]);
/// assert_eq!(text(EndStrategy::Loop), ["1", "2", "1", "2"]);
/// assert_eq!(text(EndStrategy::SendLastValue), ["1", "2", "2", "2"]);
/// assert_eq!(text(EndStrategy::RemoveTimeSeries), ["1", "2", "stale"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct End<S> {
    inner: S,
    strategy: EndStrategy,
    last_value: Option<f64>,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    /// The inner shape ended; the strategy decides each point from now on.
    Ended,
    /// `RemoveTimeSeries` has sent its stale marker.
    Removed,
}

impl<S> End<S> {
    /// `inner`, finished by `strategy`.
    pub const fn new(inner: S, strategy: EndStrategy) -> Self {
        Self {
            inner,
            strategy,
            last_value: None,
            state: State::Running,
        }
    }
}

impl<S: Shape> End<S> {
    fn after_end(&mut self, tick: Tick) -> Point {
        match self.strategy {
            EndStrategy::Stop => Point::End,
            EndStrategy::Loop => {
                // One restart per call: an empty shape ends here instead of spinning.
                self.inner.restart();
                self.state = State::Running;
                match self.inner.next_point(tick) {
                    Point::End => {
                        self.state = State::Ended;
                        Point::End
                    }
                    p => self.record(p),
                }
            }
            EndStrategy::SendLastValue => self.last_value.map_or(Point::End, Point::Value),
            EndStrategy::SendCustomValue(v) => v.point(),
            EndStrategy::RemoveTimeSeries => {
                if self.state == State::Removed {
                    Point::End
                } else {
                    self.state = State::Removed;
                    Point::Stale
                }
            }
        }
    }

    #[inline]
    fn record(&mut self, p: Point) -> Point {
        if let Point::Value(v) = p {
            self.last_value = Some(v);
        }
        p
    }
}

impl<S: Shape> Shape for End<S> {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        if self.state == State::Running {
            match self.inner.next_point(tick) {
                Point::End => self.state = State::Ended,
                p => return self.record(p),
            }
        }
        self.after_end(tick)
    }
    fn restart(&mut self) {
        self.inner.restart();
        self.last_value = None;
        self.state = State::Running;
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.inner.seed_from(seeds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{ShapeExt, gap, linear, test_util::render, values};

    fn run(shape: impl Shape, s: EndStrategy, n: usize) -> Vec<String> {
        render(shape.end_with(s), n)
    }

    #[test]
    fn every_strategy() {
        let seg = || linear(1.0, 3.0, 2);
        assert_eq!(run(seg(), EndStrategy::Stop, 3), ["1", "3", "end"]);
        assert_eq!(run(seg(), EndStrategy::Loop, 5), ["1", "3", "1", "3", "1"]);
        assert_eq!(
            run(seg(), EndStrategy::SendLastValue, 4),
            ["1", "3", "3", "3"]
        );
        let custom = |v| run(seg(), EndStrategy::SendCustomValue(v), 4);
        assert_eq!(custom(Value::Num(-1.0)), ["1", "3", "-1", "-1"]);
        assert_eq!(custom(Value::Missing), ["1", "3", "_", "_"]);
        assert_eq!(custom(Value::Stale), ["1", "3", "stale", "stale"]);
        assert_eq!(
            run(seg(), EndStrategy::RemoveTimeSeries, 5),
            ["1", "3", "stale", "end", "end"]
        );
    }

    #[test]
    fn last_value_skips_gaps_and_stale_markers() {
        let v = values(vec![Value::Num(4.0), Value::Missing, Value::Stale]);
        assert_eq!(
            run(v, EndStrategy::SendLastValue, 5),
            ["4", "_", "stale", "4", "4"]
        );
        assert_eq!(run(gap(1), EndStrategy::SendLastValue, 2), ["_", "end"]);
    }

    #[test]
    fn loop_of_an_empty_shape_ends() {
        assert_eq!(run(gap(0), EndStrategy::Loop, 2), ["end", "end"]);
        // A shape of gaps only has no value, but it does yield points: it loops.
        assert_eq!(run(gap(1), EndStrategy::Loop, 3), ["_", "_", "_"]);
    }

    #[test]
    fn restart_forgets_the_end() {
        let mut e = linear(1.0, 1.0, 1).end_with(EndStrategy::RemoveTimeSeries);
        render(&mut e, 3);
        e.restart();
        assert_eq!(render(e, 3), ["1", "stale", "end"]);
    }
}
