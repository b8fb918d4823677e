//! Churn: a series entry whose label sets are replaced as time goes on, the way pods,
//! containers and jobs come and go. Each of the entry's label sets is a *slot*; a slot's
//! series carries one more label (`series_id` unless named), whose value moves on when the
//! slot is replaced. The old series ends (a stale marker on remote write; gone from a
//! scrape) and a new one starts from its shape's first point.
//!
//! Which series exist at a time is a function of the time alone, counted in periods since
//! the Unix epoch: every instance of a sharded load, a restarted `serve` and a second
//! `write` of a later range agree on it without sharing any state.
//!
//! ```
//! use promgen::churn::{Churn, ChurnMode, ChurnSlot};
//! use std::sync::Arc;
//! // 10 slots, a tenth of them replaced every 10 minutes: slot 0 goes first.
//! let churn = Arc::new(Churn::new(600_000, ChurnMode::Step { fraction: 0.1 }).unwrap());
//! let slot = |i| ChurnSlot::new(Arc::clone(&churn), i, 10);
//! assert_eq!(slot(0).value_at(599_999), Some(0));
//! assert_eq!(slot(0).value_at(600_000), Some(10)); // replaced: a new series
//! assert_eq!(slot(1).value_at(600_000), Some(1)); // its turn is next
//! assert_eq!(slot(1).value_at(1_200_000), Some(11));
//! ```

use std::sync::Arc;

/// The label a churning series carries unless its entry names another.
pub const DEFAULT_CHURN_LABEL: &str = "series_id";

/// How an entry's series are replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Churn {
    /// The period, in milliseconds.
    every_ms: i64,
    /// What happens each period.
    mode: ChurnMode,
    /// The label whose value moves on.
    label: String,
}

/// What happens each period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChurnMode {
    /// At the start of each period, the next `fraction` of the slots (in turn, slot 0
    /// first) get new series; a fraction of less than one slot carries over, so 0.1 of 5
    /// slots replaces one every other period.
    Step {
        /// Of the slots, per period: above 0, at most 1.
        fraction: f64,
    },
    /// As [`ChurnMode::Step`], spread evenly over the period: a replacement every
    /// `every / (fraction × slots)`.
    Gradual {
        /// Of the slots, per period: above 0, at most 1.
        fraction: f64,
    },
    /// Every slot gets a new series at the start of each period.
    Rotate,
    /// For the first `for_ms` of each period there are `factor` times as many series; the
    /// extra ones are new each time and end when the spike does. The first `1 / factor`
    /// of the slots are the lasting series.
    Spike {
        /// How many times the lasting series there are during a spike: at least 2.
        factor: u32,
        /// How long a spike lasts, in milliseconds: above 0 and below the period.
        for_ms: i64,
    },
}

/// A churn that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChurnError {
    /// The period is not positive.
    #[error("the churn period must be above 0")]
    Period,
    /// A fraction outside (0, 1].
    #[error("the fraction must be above 0 and at most 1 (of the series, each period), not {0}")]
    Fraction(String),
    /// A spike factor below 2.
    #[error("a spike's factor must be at least 2 (times the lasting series), not {0}")]
    Factor(u32),
    /// A spike that does not fit in its period.
    #[error("a spike must last above 0 and less than the period")]
    SpikeLength,
}

/// Parts per billion: the fraction in whole numbers, so that every machine counts the same
/// replacements (`f64` products of epoch times would round differently past 2^53).
const PPB: i128 = 1_000_000_000;

impl Churn {
    /// A churn every `every_ms` of `mode`, on [`DEFAULT_CHURN_LABEL`].
    ///
    /// # Errors
    /// A period that is not positive, or a mode out of range ([`ChurnError`]).
    pub fn new(every_ms: i64, mode: ChurnMode) -> Result<Self, ChurnError> {
        if every_ms <= 0 {
            return Err(ChurnError::Period);
        }
        match mode {
            ChurnMode::Step { fraction } | ChurnMode::Gradual { fraction }
                if !(fraction > 0.0 && fraction <= 1.0) =>
            {
                return Err(ChurnError::Fraction(fraction.to_string()));
            }
            ChurnMode::Spike { factor, .. } if factor < 2 => {
                return Err(ChurnError::Factor(factor));
            }
            ChurnMode::Spike { for_ms, .. } if for_ms <= 0 || for_ms >= every_ms => {
                return Err(ChurnError::SpikeLength);
            }
            _ => {}
        }
        Ok(Self {
            every_ms,
            mode,
            label: DEFAULT_CHURN_LABEL.to_owned(),
        })
    }

    /// The same churn on another label.
    #[must_use]
    pub fn on_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The label whose value moves on.
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The period, in milliseconds.
    #[must_use]
    pub const fn every_ms(&self) -> i64 {
        self.every_ms
    }

    /// What happens each period.
    #[must_use]
    pub const fn mode(&self) -> ChurnMode {
        self.mode
    }

    /// How many slots an entry of `label_sets` label sets has: `factor` times as many for a
    /// spike (the extra ones exist only during spikes), as many otherwise.
    #[must_use]
    pub fn slots(&self, label_sets: u64) -> u64 {
        match self.mode {
            ChurnMode::Spike { factor, .. } => label_sets.saturating_mul(u64::from(factor)),
            _ => label_sets,
        }
    }
}

/// One series of a churning entry: its slot among the entry's `slots`, and the churn.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnSlot {
    churn: Arc<Churn>,
    slot: u64,
    slots: u64,
}

impl ChurnSlot {
    /// Slot `slot` of `slots` (as [`Churn::slots`] counts them).
    ///
    /// # Panics
    /// When `slot` is not below `slots`.
    #[must_use]
    pub fn new(churn: Arc<Churn>, slot: u64, slots: u64) -> Self {
        assert!(slot < slots, "slot {slot} of {slots}");
        Self { churn, slot, slots }
    }

    /// The churn.
    #[must_use]
    pub fn churn(&self) -> &Churn {
        &self.churn
    }

    /// Its slot.
    #[must_use]
    pub const fn slot(&self) -> u64 {
        self.slot
    }

    /// The churn label's value of this slot's series at `timestamp_ms`, or `None` when the
    /// slot has no series then (a spike's extra slot between spikes). Values are unique
    /// among the entry's series over all time (negative before 1970).
    #[must_use]
    pub fn value_at(&self, timestamp_ms: i64) -> Option<i128> {
        let every = self.churn.every_ms;
        let period = i128::from(timestamp_ms.div_euclid(every));
        let (n, i) = (i128::from(self.slots), i128::from(self.slot));
        let generation = match self.churn.mode {
            ChurnMode::Step { fraction } => {
                replaced((period * ppb(fraction) * n).div_euclid(PPB), i, n)
            }
            ChurnMode::Gradual { fraction } => {
                let scaled = i128::from(timestamp_ms) * ppb(fraction) * n;
                replaced(scaled.div_euclid(i128::from(every) * PPB), i, n)
            }
            ChurnMode::Rotate => period,
            ChurnMode::Spike { factor, for_ms } => {
                let lasting = n / i128::from(factor);
                if i < lasting {
                    0
                } else if timestamp_ms.rem_euclid(every) < for_ms {
                    period
                } else {
                    return None;
                }
            }
        };
        Some(generation * n + i)
    }
}

fn ppb(fraction: f64) -> i128 {
    // In (0, 1] (checked by `Churn::new`): at most 10^9, exactly representable.
    (fraction * PPB as f64).round() as i128
}

/// How many times slot `i` of `n` has been replaced after `total` replacements, which go
/// to the slots in turn from slot 0 (before 1970 `total` is negative, and so are the
/// generations: the same count, backwards).
fn replaced(total: i128, i: i128, n: i128) -> i128 {
    (total - i - 1).div_euclid(n) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(mode: ChurnMode, n: u64) -> Vec<ChurnSlot> {
        let churn = Arc::new(Churn::new(1_000, mode).unwrap());
        (0..churn.slots(n))
            .map(|i| ChurnSlot::new(Arc::clone(&churn), i, churn.slots(n)))
            .collect()
    }

    /// The values at `t`: the series that exist then.
    fn at(slots: &[ChurnSlot], t: i64) -> Vec<Option<i128>> {
        slots.iter().map(|s| s.value_at(t)).collect()
    }

    /// Replacements simulated one at a time, slot after slot: the model `replaced` must
    /// agree with.
    fn simulated(n: usize, replacements: usize) -> Vec<Option<i128>> {
        let mut generation = vec![0i128; n];
        for r in 0..replacements {
            generation[r % n] += 1;
        }
        (0..n)
            .map(|i| Some(generation[i] * n as i128 + i as i128))
            .collect()
    }

    #[test]
    fn step_replaces_the_fraction_in_turn_at_each_period() {
        let s = slots(ChurnMode::Step { fraction: 0.4 }, 5);
        // 0.4 of 5 = 2 replacements a period.
        for period in 0..12 {
            let t = period * 1_000;
            assert_eq!(
                at(&s, t),
                simulated(5, period as usize * 2),
                "period {period}"
            );
            assert_eq!(
                at(&s, t + 999),
                at(&s, t),
                "nothing changes within a period"
            );
        }
    }

    #[test]
    fn a_fraction_below_one_slot_carries_over() {
        let s = slots(ChurnMode::Step { fraction: 0.1 }, 5);
        // Half a replacement a period: one every other period.
        for period in 0..20 {
            assert_eq!(
                at(&s, period * 1_000),
                simulated(5, period as usize / 2),
                "period {period}"
            );
        }
    }

    #[test]
    fn gradual_spreads_the_replacements_over_the_period() {
        let s = slots(ChurnMode::Gradual { fraction: 1.0 }, 4);
        // 4 replacements a second: one every 250 ms.
        for ms in (0..3_000).step_by(50) {
            assert_eq!(at(&s, ms), simulated(4, ms as usize / 250), "at {ms} ms");
        }
    }

    #[test]
    fn rotate_replaces_every_slot_each_period() {
        let s = slots(ChurnMode::Rotate, 3);
        assert_eq!(at(&s, 0), [Some(0), Some(1), Some(2)]);
        assert_eq!(at(&s, 2_500), [Some(6), Some(7), Some(8)]);
    }

    #[test]
    fn a_spike_adds_new_series_for_a_while() {
        let s = slots(
            ChurnMode::Spike {
                factor: 3,
                for_ms: 200,
            },
            2,
        );
        assert_eq!(s.len(), 6);
        assert_eq!(
            at(&s, 0),
            [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)]
        );
        assert_eq!(at(&s, 199), at(&s, 0));
        assert_eq!(at(&s, 200), [Some(0), Some(1), None, None, None, None]);
        assert_eq!(
            at(&s, 1_000),
            [Some(0), Some(1), Some(8), Some(9), Some(10), Some(11)],
            "the next spike's series are new"
        );
    }

    #[test]
    fn values_are_unique_over_time_and_agree_at_epoch_times() {
        let s = slots(ChurnMode::Step { fraction: 0.3 }, 7);
        let mut seen = std::collections::HashMap::new();
        let base = 1_800_000_000_000; // 2027, in ms: the counts do not overflow.
        // Before 1970 too: the periods count back.
        for t in (0..50)
            .map(|p| base + p * 1_000)
            .chain((-20..0).map(|p| p * 1_000))
        {
            for (slot, v) in at(&s, t).into_iter().enumerate() {
                let v = v.unwrap();
                assert_eq!(*seen.entry(v).or_insert(slot), slot, "value {v} reused");
            }
        }
        assert!(seen.len() > 2 * 7 + 100, "{} values", seen.len());
        assert_eq!(at(&s, -1), at(&s, -1_000), "one period");
        assert_ne!(at(&s, -1), at(&s, 0));
    }

    #[test]
    fn mistakes_are_refused() {
        assert_eq!(
            Churn::new(0, ChurnMode::Rotate).unwrap_err(),
            ChurnError::Period
        );
        for fraction in [0.0, 1.5, f64::NAN] {
            assert!(matches!(
                Churn::new(1, ChurnMode::Step { fraction }),
                Err(ChurnError::Fraction(_))
            ));
        }
        let spike = |factor, for_ms| Churn::new(1_000, ChurnMode::Spike { factor, for_ms });
        assert_eq!(spike(1, 10).unwrap_err(), ChurnError::Factor(1));
        assert_eq!(spike(2, 1_000).unwrap_err(), ChurnError::SpikeLength);
    }
}
