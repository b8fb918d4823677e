//! What produces a registry member's samples, and how far a member has got.

use crate::{
    MetricType, Tick,
    observe::{Histogram, Summary},
    sample::{is_stale, stale_nan},
    shape::{DynShape, Point, SeedSeq},
};

/// What produces a member's samples.
pub enum Source {
    /// A plain series: one value per scrape.
    Series(DynShape),
    /// A histogram family member.
    Histogram(Histogram),
    /// A summary family member.
    Summary(Summary),
}

impl Source {
    /// The series this source puts on the wire, in the order [`Source::advance`] emits them.
    pub(super) fn outputs(&self) -> Vec<Output> {
        let plain = |suffix| Output {
            suffix,
            extra: None,
        };
        match self {
            Self::Series(_) => vec![plain("")],
            Self::Histogram(h) => h
                .bounds()
                .iter()
                .copied()
                .chain([f64::INFINITY])
                .map(|le| Output {
                    suffix: "_bucket",
                    extra: Some(("le", le)),
                })
                .chain([plain("_sum"), plain("_count")])
                .collect(),
            Self::Summary(s) => s
                .objectives()
                .iter()
                .map(|&q| Output {
                    suffix: "",
                    extra: Some(("quantile", q)),
                })
                .chain([plain("_sum"), plain("_count")])
                .collect(),
        }
    }

    pub(super) fn metric_type_fits(&self, t: MetricType) -> bool {
        match self {
            Self::Series(_) => !matches!(t, MetricType::Histogram | MetricType::Summary),
            Self::Histogram(_) => t == MetricType::Histogram,
            Self::Summary(_) => t == MetricType::Summary,
        }
    }
}

/// A source as a [`Cursor`] keeps it: a histogram or summary boxed, so that the cursor of
/// a plain series (most of a large load) is small.
enum Kept {
    Series(DynShape),
    Histogram(Box<Histogram>),
    Summary(Box<Summary>),
}

impl From<Source> for Kept {
    fn from(source: Source) -> Self {
        match source {
            Source::Series(shape) => Self::Series(shape),
            Source::Histogram(h) => Self::Histogram(Box::new(h)),
            Source::Summary(s) => Self::Summary(Box::new(s)),
        }
    }
}

impl Kept {
    /// Advances one tick and emits `(output index, value)` for each sample it yields; a
    /// stale marker is emitted as [`stale_nan`]. Returns false when the shape has ended.
    fn advance(&mut self, tick: Tick, mut emit: impl FnMut(usize, f64)) -> bool {
        match self {
            Self::Series(shape) => match shape.next_point(tick) {
                Point::Value(v) => emit(0, v),
                Point::Stale => emit(0, stale_nan()),
                Point::Missing => {}
                Point::End => return false,
            },
            Self::Histogram(h) => {
                h.scrape(tick);
                let mut k = 0;
                h.for_each_bucket(|_, c| {
                    emit(k, c as f64);
                    k += 1;
                });
                emit(k, h.sum());
                emit(k + 1, h.count() as f64);
            }
            Self::Summary(s) => {
                s.scrape(tick);
                let mut k = 0;
                for (_, v) in s.quantiles() {
                    emit(k, v);
                    k += 1;
                }
                emit(k, s.sum());
                emit(k + 1, s.count() as f64);
            }
        }
        true
    }

    /// Back to its first point, its random shapes seeded from `seed` (a new series in a
    /// churning slot: see [`crate::churn`]).
    fn reset(&mut self, seed: u64) {
        let fresh = |shape: &mut DynShape| {
            shape.restart();
            shape.seed_from(&mut SeedSeq::new(seed));
        };
        match self {
            Self::Series(shape) => fresh(shape),
            Self::Histogram(h) => h.reset(fresh),
            Self::Summary(s) => s.reset(fresh),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Output {
    pub(crate) suffix: &'static str,
    pub(crate) extra: Option<(&'static str, f64)>,
}

/// A member's running state: its source and how far it has got.
pub(crate) struct Cursor {
    source: Kept,
    /// How many ticks it has served, with [`ENDED`] and [`LIVE`] in the top bits: a member
    /// is 8 bytes smaller than with two flags of their own, at millions of members.
    state: u64,
}

/// Its shape has ended.
const ENDED: u64 = 1 << 63;
/// Its last sample was a value, so that a receiver shows it until a stale marker comes. All
/// of a member's outputs get a sample at the same ticks, so one flag holds for each.
const LIVE: u64 = 1 << 62;
/// The tick count, under the flags (2^62 ticks: no run gets near).
const TICKS: u64 = LIVE - 1;

/// What one tick of a member did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// It is running (and may have emitted samples).
    Running,
    /// Its shape ended at this tick: it emitted nothing, and never will again.
    EndedNow,
    /// It had ended before.
    Ended,
}

impl Cursor {
    /// A member that has served no tick yet.
    pub(crate) fn new(source: Source) -> Self {
        Self {
            source: source.into(),
            state: 0,
        }
    }

    /// How many ticks it has served.
    pub(crate) const fn ticks(&self) -> u64 {
        self.state & TICKS
    }

    /// Whether its shape has ended.
    pub(crate) const fn ended(&self) -> bool {
        self.state & ENDED != 0
    }

    /// Whether its last sample was a value (a receiver shows it until a stale marker).
    pub(crate) const fn live(&self) -> bool {
        self.state & LIVE != 0
    }

    /// Its last sample is taken back: a stale marker went out, or none is needed.
    pub(crate) const fn set_not_live(&mut self) {
        self.state &= !LIVE;
    }

    /// As new: the first tick next, its random shapes seeded from `seed`.
    pub(crate) fn reset(&mut self, seed: u64) {
        self.source.reset(seed);
        self.state = 0;
    }

    /// The next tick at `timestamp_ms`, emitting `(output index, value)` per sample.
    pub(crate) fn advance(&mut self, timestamp_ms: i64, mut emit: impl FnMut(usize, f64)) -> Step {
        if self.ended() {
            return Step::Ended;
        }
        let tick = Tick::new(self.ticks(), timestamp_ms);
        let mut state = self.state + 1;
        let running = self.source.advance(tick, |k, v| {
            state = if is_stale(v) {
                state & !LIVE
            } else {
                state | LIVE
            };
            emit(k, v);
        });
        if running {
            self.state = state;
            Step::Running
        } else {
            self.state = state | ENDED;
            Step::EndedNow
        }
    }
}
