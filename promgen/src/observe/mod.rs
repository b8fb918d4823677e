//! Histograms and summaries driven by an observation shape: each scrape draws a number of
//! observations from the shape and folds them into cumulative buckets, or quantiles.

use crate::{
    Tick,
    shape::{DynShape, Point},
};

mod bounds;

pub(crate) use bounds::problems as bound_problems;
pub use bounds::{
    BoundError, BoundsError, Buckets, DEFAULT_BUCKETS, DEFAULT_OBJECTIVES, List, Objectives,
    Problem,
};

/// Draws `per_scrape` observations for one scrape; NaN and non-values are skipped, and a
/// shape that ends stops yielding observations (the metric keeps its last state).
fn draw(
    observations: &mut DynShape,
    per_scrape: u64,
    tick: Tick,
    done: &mut bool,
    mut f: impl FnMut(f64),
) {
    for i in 0..per_scrape {
        if *done {
            return;
        }
        // Each observation is its own tick of the shape, at the scrape's time.
        let t = Tick::new(
            tick.index.saturating_mul(per_scrape).saturating_add(i),
            tick.timestamp_ms,
        );
        match observations.next_point(t) {
            Point::Value(v) if !v.is_nan() => f(v),
            Point::End => *done = true,
            _ => {}
        }
    }
}

/// A classic histogram: cumulative bucket counters, a sum and a count, never decreasing.
///
/// ```
/// use promgen::observe::{Buckets, Histogram};
/// use promgen::{Tick, shape::{values, Value}};
/// let obs = values(vec![Value::Num(0.05), Value::Num(0.3), Value::Num(2.0)]);
/// let mut h = Histogram::new(Box::new(obs), 3, Buckets::new(vec![0.1, 0.5, 1.0])?);
/// h.scrape(Tick::new(0, 0));
/// assert_eq!(h.cumulative_counts(), vec![1, 2, 2, 3]); // le=0.1, 0.5, 1, +Inf
/// assert_eq!((h.sum(), h.count()), (2.35, 3));
/// # Ok::<(), promgen::observe::BoundsError>(())
/// ```
pub struct Histogram {
    observations: DynShape,
    per_scrape: u64,
    /// Upper bounds, increasing, without +Inf.
    bounds: Vec<f64>,
    /// Observations per bucket (not cumulative); the last is the +Inf bucket.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
    done: bool,
}

impl Histogram {
    /// A histogram of `observations`, `per_scrape` of them each scrape, into `buckets`
    /// (and `+Inf`).
    #[must_use]
    pub fn new(observations: DynShape, per_scrape: u64, buckets: Buckets) -> Self {
        let bounds = buckets.as_slice().to_vec();
        let counts = vec![0; bounds.len() + 1];
        Self {
            observations,
            per_scrape,
            bounds,
            counts,
            sum: 0.0,
            count: 0,
            done: false,
        }
    }

    /// Empty again, its observations from their first (`fresh` rewinds and reseeds them).
    pub(crate) fn reset(&mut self, fresh: impl FnOnce(&mut DynShape)) {
        fresh(&mut self.observations);
        self.counts.fill(0);
        self.sum = 0.0;
        self.count = 0;
        self.done = false;
    }

    /// Draws this scrape's observations.
    pub fn scrape(&mut self, tick: Tick) {
        let (bounds, counts, sum, count) = (
            &self.bounds,
            &mut self.counts,
            &mut self.sum,
            &mut self.count,
        );
        draw(
            &mut self.observations,
            self.per_scrape,
            tick,
            &mut self.done,
            |v| {
                let bucket = bounds.partition_point(|b| *b < v);
                counts[bucket] += 1;
                *sum += v;
                *count += 1;
            },
        );
    }

    /// The upper bounds, without `+Inf`.
    #[must_use]
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// Cumulative counts per bound, the last one for `+Inf` (equal to [`Histogram::count`]).
    #[must_use]
    pub fn cumulative_counts(&self) -> Vec<u64> {
        self.counts
            .iter()
            .scan(0, |acc, c| {
                *acc += c;
                Some(*acc)
            })
            .collect()
    }

    /// Visits each bucket's upper bound (`+Inf` last) and cumulative count, without allocating.
    pub fn for_each_bucket(&self, mut f: impl FnMut(f64, u64)) {
        let mut acc = 0;
        for (i, c) in self.counts.iter().enumerate() {
            acc += c;
            f(self.bounds.get(i).copied().unwrap_or(f64::INFINITY), acc);
        }
    }

    /// The sum of all observations.
    #[must_use]
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// How many observations.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// A summary: quantiles of the latest scrape's observations (its window is one scrape
/// interval), with a cumulative sum and count.
///
/// ```
/// use promgen::observe::{Objectives, Summary};
/// use promgen::{Tick, shape::{linear, ShapeExt}};
/// let mut s = Summary::new(Box::new(linear(1.0, 100.0, 100).forever()), 100, Objectives::new(vec![0.5, 0.9])?);
/// s.scrape(Tick::new(0, 0));
/// assert_eq!(s.quantiles(), vec![(0.5, 50.0), (0.9, 90.0)]);
/// assert_eq!((s.sum(), s.count()), (5050.0, 100));
/// # Ok::<(), promgen::observe::BoundsError>(())
/// ```
pub struct Summary {
    observations: DynShape,
    per_scrape: u64,
    objectives: Vec<f64>,
    window: Vec<f64>,
    sum: f64,
    count: u64,
    done: bool,
}

impl Summary {
    /// A summary of `observations`, `per_scrape` each scrape, reporting `objectives`.
    #[must_use]
    pub fn new(observations: DynShape, per_scrape: u64, objectives: Objectives) -> Self {
        Self {
            observations,
            per_scrape,
            objectives: objectives.as_slice().to_vec(),
            window: Vec::new(),
            sum: 0.0,
            count: 0,
            done: false,
        }
    }

    /// Empty again, its observations from their first (`fresh` rewinds and reseeds them).
    pub(crate) fn reset(&mut self, fresh: impl FnOnce(&mut DynShape)) {
        fresh(&mut self.observations);
        self.window.clear();
        self.sum = 0.0;
        self.count = 0;
        self.done = false;
    }

    /// Draws this scrape's observations; they replace the previous window.
    pub fn scrape(&mut self, tick: Tick) {
        self.window.clear();
        let (window, sum, count) = (&mut self.window, &mut self.sum, &mut self.count);
        draw(
            &mut self.observations,
            self.per_scrape,
            tick,
            &mut self.done,
            |v| {
                window.push(v);
                *sum += v;
                *count += 1;
            },
        );
        self.window.sort_by(f64::total_cmp);
    }

    /// Each objective with its value over the window (the nearest-rank quantile), NaN when
    /// the window is empty, as client libraries report it.
    #[must_use]
    pub fn quantiles(&self) -> Vec<(f64, f64)> {
        self.objectives
            .iter()
            .map(|q| (*q, self.quantile(*q)))
            .collect()
    }

    /// The value of quantile `q` over the window.
    #[must_use]
    pub fn quantile(&self, q: f64) -> f64 {
        if self.window.is_empty() {
            return f64::NAN;
        }
        let rank = (q * self.window.len() as f64).ceil() as usize;
        self.window[rank.clamp(1, self.window.len()) - 1]
    }

    /// The objectives.
    #[must_use]
    pub fn objectives(&self) -> &[f64] {
        &self.objectives
    }

    /// The sum of all observations.
    #[must_use]
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// How many observations.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{ShapeExt, Value, constant, gap, values};

    #[test]
    fn buckets_are_cumulative_and_never_decrease() {
        let obs = values(vec![
            Value::Num(0.1),
            Value::Num(0.1000001),
            Value::Missing,
            Value::Num(f64::NAN),
            Value::Num(7.0),
        ]);
        let buckets = Buckets::new(vec![0.1, 1.0]).unwrap();
        let mut h = Histogram::new(Box::new(obs.forever()), 5, buckets);
        assert_eq!(h.bounds(), [0.1, 1.0]);
        h.scrape(Tick::new(0, 0));
        assert_eq!(
            h.cumulative_counts(),
            [1, 2, 3],
            "le is inclusive: 0.1 falls in le=0.1"
        );
        let before = h.cumulative_counts();
        h.scrape(Tick::new(1, 15_000));
        assert!(
            h.cumulative_counts()
                .iter()
                .zip(&before)
                .all(|(a, b)| a >= b)
        );
        assert_eq!(h.cumulative_counts().last().copied(), Some(h.count()));
        let mut seen = Vec::new();
        h.for_each_bucket(|le, c| seen.push((le, c)));
        assert_eq!(seen.last(), Some(&(f64::INFINITY, 6)));
    }

    #[test]
    fn an_ended_shape_freezes_the_histogram() {
        let buckets = Buckets::new(vec![1.0]).unwrap();
        let mut h = Histogram::new(Box::new(constant(1.0).take(3)), 2, buckets);
        for i in 0..4 {
            h.scrape(Tick::new(i, 0));
        }
        assert_eq!((h.count(), h.sum()), (3, 3.0));
    }

    #[test]
    fn summary_windows_are_one_scrape() {
        let mut s = Summary::new(
            Box::new(gap(2).then(values(vec![Value::Num(4.0), Value::Num(2.0)]))),
            2,
            Objectives::new(vec![0.5, 1.0]).unwrap(),
        );
        s.scrape(Tick::new(0, 0));
        assert!(
            s.quantiles().iter().all(|(_, v)| v.is_nan()),
            "an empty window is NaN"
        );
        assert_eq!(s.objectives(), [0.5, 1.0]);
        s.scrape(Tick::new(1, 0));
        assert_eq!(s.quantiles(), [(0.5, 2.0), (1.0, 4.0)]);
        assert_eq!((s.sum(), s.count()), (6.0, 2));
    }
}
