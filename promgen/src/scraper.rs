//! The scraper: the clock that drives every series.

use crate::time::{Duration, Rfc3339};
use std::fmt;

/// One scrape: its position in the run and its timestamp.
///
/// Discrete shapes produce one point per tick whatever its time; continuous shapes read
/// `timestamp_ms` and compute the value at that instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// 0 for the first scrape, then 1, 2, …
    pub index: u64,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
}

impl Tick {
    /// A tick at `index` and `timestamp_ms`.
    #[must_use]
    pub const fn new(index: u64, timestamp_ms: i64) -> Self {
        Self {
            index,
            timestamp_ms,
        }
    }
}

/// When a scraper stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this many scrapes; 0 means never.
    Count(u64),
    /// After the last scrape at or before this timestamp (inclusive).
    Until(i64),
}

/// Why a scraper was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScraperError {
    /// The interval was zero or negative.
    #[error("scrape interval must be positive, got {0}")]
    Interval(Duration),
    /// The end came before the start.
    #[error("end time {end} is before start time {start}")]
    EndBeforeStart {
        /// The start.
        start: Rfc3339,
        /// The end.
        end: Rfc3339,
    },
    /// The last scrape would fall past the largest timestamp: refused rather than ending the
    /// run early without a word.
    #[error(
        "{count} scrapes every {interval} from {start} run past the largest timestamp ({} ms after the epoch): give fewer scrapes or a shorter interval",
        i64::MAX
    )]
    PastTheEndOfTime {
        /// How many scrapes were asked for.
        count: u64,
        /// Their interval.
        interval: Duration,
        /// The first one's time.
        start: Rfc3339,
    },
    /// A run that starts before the anchor its series count their ticks from.
    #[error(
        "the run starts at {start}, before the anchor {anchor} its series start at: start at the anchor or later, or anchor earlier"
    )]
    BeforeAnchor {
        /// The run's start.
        start: Rfc3339,
        /// The anchor.
        anchor: Rfc3339,
    },
}

/// The clock: a start, an interval and a stop. It yields [`Tick`]s.
///
/// ```
/// use promgen::{Scraper, Stop};
/// let scraper = Scraper::new(0, 15_000, Stop::Count(3))?;
/// let times: Vec<i64> = scraper.ticks().map(|t| t.timestamp_ms).collect();
/// assert_eq!(times, [0, 15_000, 30_000]);
///
/// let until = Scraper::new(0, 60_000, Stop::Until(150_000))?;
/// assert_eq!(until.ticks().count(), 3); // 0, 1m, 2m
/// # Ok::<(), promgen::ScraperError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scraper {
    start_ms: i64,
    interval_ms: i64,
    stop: Stop,
}

impl Scraper {
    /// A scraper starting at `start_ms`, one tick every `interval_ms`, stopping at `stop`.
    ///
    /// ```
    /// use promgen::{Scraper, Stop};
    /// let err = Scraper::new(0, i64::MAX, Stop::Count(3)).unwrap_err();
    /// assert!(err.to_string().starts_with("3 scrapes every 292471208y"), "{err}");
    /// ```
    ///
    /// # Errors
    /// A non-positive interval, an end before the start, or a count of scrapes whose last
    /// would fall past the largest timestamp. (A scraper that never stops ends there.)
    pub fn new(start_ms: i64, interval_ms: i64, stop: Stop) -> Result<Self, ScraperError> {
        if interval_ms <= 0 {
            return Err(ScraperError::Interval(Duration(interval_ms)));
        }
        match stop {
            Stop::Until(end) if end < start_ms => {
                return Err(ScraperError::EndBeforeStart {
                    start: Rfc3339(start_ms),
                    end: Rfc3339(end),
                });
            }
            Stop::Count(count @ 1..) => {
                let last = i128::from(start_ms) + i128::from(count - 1) * i128::from(interval_ms);
                if last > i128::from(i64::MAX) {
                    return Err(ScraperError::PastTheEndOfTime {
                        count,
                        interval: Duration(interval_ms),
                        start: Rfc3339(start_ms),
                    });
                }
            }
            _ => {}
        }
        Ok(Self {
            start_ms,
            interval_ms,
            stop,
        })
    }

    /// A run from `from_ms` of series whose tick 0 is at `anchor_ms` (tick i at anchor + i ×
    /// interval): its clock starts at the first tick of that grid at or after `from_ms`, and
    /// the second value is how many ticks the series have had before it (what
    /// [`Registry::fast_forward`](crate::registry::Registry::fast_forward) skips). Two runs
    /// with one anchor give a series the same value at the same time, whatever range each
    /// covers.
    ///
    /// ```
    /// use promgen::{Scraper, Stop};
    /// let (scraper, before) = Scraper::anchored(0, 40_000, 15_000, Stop::Count(2))?;
    /// assert_eq!((scraper.start_ms(), before), (45_000, 3));
    /// assert!(Scraper::anchored(60_000, 0, 15_000, Stop::Count(2)).is_err());
    /// # Ok::<(), promgen::ScraperError>(())
    /// ```
    ///
    /// # Errors
    /// `from_ms` before the anchor, and what [`Scraper::new`] refuses.
    pub fn anchored(
        anchor_ms: i64,
        from_ms: i64,
        interval_ms: i64,
        stop: Stop,
    ) -> Result<(Self, u64), ScraperError> {
        if interval_ms <= 0 {
            return Err(ScraperError::Interval(Duration(interval_ms)));
        }
        if from_ms < anchor_ms {
            return Err(ScraperError::BeforeAnchor {
                start: Rfc3339(from_ms),
                anchor: Rfc3339(anchor_ms),
            });
        }
        let before = (i128::from(from_ms) - i128::from(anchor_ms) + i128::from(interval_ms) - 1)
            / i128::from(interval_ms);
        let start = i128::from(anchor_ms) + before * i128::from(interval_ms);
        let start = i64::try_from(start).map_err(|_| ScraperError::PastTheEndOfTime {
            count: 1,
            interval: Duration(interval_ms),
            start: Rfc3339(from_ms),
        })?;
        let before = u64::try_from(before).expect("from is not before the anchor");
        Ok((Self::new(start, interval_ms, stop)?, before))
    }

    /// The first tick's timestamp.
    #[must_use]
    pub const fn start_ms(&self) -> i64 {
        self.start_ms
    }

    /// Milliseconds between ticks.
    #[must_use]
    pub const fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    /// When the scraper stops.
    #[must_use]
    pub const fn stop(&self) -> Stop {
        self.stop
    }

    /// The same scraper with another stop.
    ///
    /// # Errors
    /// As [`Scraper::new`].
    pub fn with_stop(self, stop: Stop) -> Result<Self, ScraperError> {
        Self::new(self.start_ms, self.interval_ms, stop)
    }

    /// How many ticks the scraper yields, or `None` when it never stops.
    #[must_use]
    pub fn tick_count(&self) -> Option<u64> {
        match self.stop {
            Stop::Count(0) => None,
            Stop::Count(n) => Some(n),
            // `new` guarantees end >= start; the distance may not fit an i64.
            // (Every millisecond of the whole range would be one more than a u64 holds: a
            // count no run reaches.)
            Stop::Until(end) => Some(
                (end.abs_diff(self.start_ms) / self.interval_ms.unsigned_abs()).saturating_add(1),
            ),
        }
    }

    /// The tick at `index`, or `None` past the end or past the timestamp range.
    #[must_use]
    pub fn tick(&self, index: u64) -> Option<Tick> {
        if self.tick_count().is_some_and(|n| index >= n) {
            return None;
        }
        let at = i128::from(self.start_ms) + i128::from(index) * i128::from(self.interval_ms);
        Some(Tick::new(index, i64::try_from(at).ok()?))
    }

    /// Every tick in order.
    pub fn ticks(&self) -> impl Iterator<Item = Tick> + use<> {
        let scraper = *self;
        (0..).map_while(move |i| scraper.tick(i))
    }
}

impl fmt::Display for Scraper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "every {} from {}",
            Duration(self.interval_ms),
            Rfc3339(self.start_ms)
        )?;
        match self.stop {
            Stop::Count(0) => f.write_str(", forever"),
            Stop::Count(n) => write!(f, ", {n} scrapes"),
            Stop::Until(end) => write!(f, " until {}", Rfc3339(end)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_end_times() {
        let s = Scraper::new(1000, 500, Stop::Count(0)).unwrap();
        assert_eq!(s.tick_count(), None);
        assert_eq!(
            s.ticks()
                .take(3)
                .map(|t| t.timestamp_ms)
                .collect::<Vec<_>>(),
            [1000, 1500, 2000]
        );
        let s = s.with_stop(Stop::Until(2000)).unwrap();
        assert_eq!(s.ticks().map(|t| t.index).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(
            Scraper::new(0, 10, Stop::Until(0)).unwrap().ticks().count(),
            1
        );
    }

    #[test]
    fn refuses_bad_settings() {
        assert_eq!(
            Scraper::new(0, 0, Stop::Count(1)),
            Err(ScraperError::Interval(Duration(0)))
        );
        assert!(Scraper::new(10, 1, Stop::Until(5)).is_err());
    }

    #[test]
    fn stops_at_the_end_of_time_instead_of_overflowing() {
        let s = Scraper::new(i64::MAX - 10, 5, Stop::Count(0)).unwrap();
        assert_eq!(s.ticks().count(), 3);
    }

    /// Issue #12 item 10: `preview --values '1 2 3' --interval 9223372036854775807ms` printed
    /// two rows. A count of scrapes whose last falls past the largest timestamp is refused.
    #[test]
    fn a_count_past_the_end_of_time_is_refused() {
        assert_eq!(
            Scraper::new(0, i64::MAX, Stop::Count(3)),
            Err(ScraperError::PastTheEndOfTime {
                count: 3,
                interval: Duration(i64::MAX),
                start: Rfc3339(0),
            })
        );
        // Two fit: 0 and i64::MAX.
        let two = Scraper::new(0, i64::MAX, Stop::Count(2)).unwrap();
        assert_eq!(two.ticks().count(), 2);
        let last = Scraper::new(i64::MAX - 10, 5, Stop::Count(3)).unwrap();
        assert_eq!(last.ticks().count(), 3);
        assert!(Scraper::new(i64::MAX - 10, 5, Stop::Count(4)).is_err());
        assert!(last.with_stop(Stop::Count(4)).is_err());
    }

    #[test]
    fn counts_ticks_across_the_whole_timestamp_range() {
        let s = Scraper::new(i64::MIN, i64::MAX, Stop::Until(i64::MAX)).unwrap();
        assert_eq!(s.tick_count(), Some(3));
        assert_eq!(s.ticks().count(), 3);
    }

    #[test]
    fn displays_its_settings() {
        let s = Scraper::new(0, 90_000, Stop::Count(4)).unwrap();
        assert_eq!(
            s.to_string(),
            "every 1m30s from 1970-01-01T00:00:00Z, 4 scrapes"
        );
    }
}
