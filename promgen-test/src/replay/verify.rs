//! The replay's guard against limits it does not know of: the samples Prometheus holds,
//! counted by PromQL (`count_over_time`), must be exactly those the replay wrote. Anything
//! that drops samples (retention, an out-of-order window, a limit of a later version) or a
//! Prometheus that held other samples of the same series, is an error that says where in
//! the replay the counts differ, never a quietly different timeline.

use super::write_back::SampleWriter;
use crate::{Feed, HarnessError, Prometheus};
use promgen::{Scraper, Stop, is_stale, time::Duration as PromDuration};
use std::collections::BTreeSet;

/// At most this many samples (by an upper bound) are counted by one evaluation of the count
/// query: Prometheus refuses queries that load more than 50 million.
const SAMPLES_PER_WINDOW: u64 = 10_000_000;

/// The most windows (the most points a range query gives).
const MAX_WINDOWS: u64 = 11_000;

/// What the feed writes, counted per window of time.
#[derive(Debug)]
pub(crate) struct Held {
    origin: i64,
    window_ms: i64,
    /// Samples (not stale markers) per window.
    feed: Vec<u64>,
    /// The feed's metric names.
    names: BTreeSet<String>,
}

impl Held {
    /// Counts the samples `feed` writes from `origin` over `length_ms`.
    pub(crate) fn count(feed: &Feed, origin: i64, length_ms: i64) -> Result<Self, HarnessError> {
        let mut registry = feed.registry()?;
        let wire = registry.wire_series();
        let scraper = Scraper::new(origin, feed.interval_ms(), Stop::Until(origin + length_ms))
            .map_err(|e| HarnessError::Feed(e.to_string()))?;
        let ticks = (length_ms / feed.interval_ms()) as u64 + 1;
        let bound = (wire.len() as u64).saturating_mul(ticks);
        let windows = bound.div_ceil(SAMPLES_PER_WINDOW).clamp(1, MAX_WINDOWS);
        // Windows of whole milliseconds that cover the replay, together ending at most
        // `windows` ms after it.
        // At least 2 ms: the count looks back W - 1 ms, and a zero range is no range (a
        // replay of length 0, one evaluation at `0s`, has a window of 1 ms otherwise).
        let window_ms = ((length_ms as u64 + 1).div_ceil(windows) as i64).max(2);
        let mut feed_counts = vec![0u64; windows as usize];
        for tick in scraper.ticks() {
            let ts = tick.timestamp_ms;
            let slot = &mut feed_counts[((ts - origin) / window_ms) as usize];
            let running = registry.collect(ts, |_, v| {
                if !is_stale(v) {
                    *slot += 1;
                }
            });
            if !running {
                break;
            }
        }
        Ok(Self {
            origin,
            window_ms,
            feed: feed_counts,
            names: wire.iter().map(|w| w.labels.name().to_owned()).collect(),
        })
    }

    /// Checks that Prometheus holds exactly the feed's samples, window by window, and with
    /// `rules`, exactly the feed's and the rule results written back, in all.
    pub(crate) async fn check(
        &self,
        prometheus: &Prometheus,
        rules: Option<&SampleWriter>,
    ) -> Result<(), HarnessError> {
        let mut names = self.names.clone();
        if let Some(w) = rules {
            names.extend(w.names.iter().cloned());
        }
        if names.is_empty() {
            return Ok(());
        }
        // By name: `count_over_time` drops the name, so series of two names with the same
        // labels would collide in one selector.
        // Closed at both ends in Prometheus 2: a window of W ms selects W - 1 ms back.
        let range = self.window_ms - 1;
        let terms: Vec<String> = names
            .iter()
            .map(|n| format!("(sum(count_over_time({n}[{range}ms])) or vector(0))"))
            .collect();
        let query = terms.join(" + ");
        let first = self.origin + self.window_ms - 1;
        let last = first + (self.feed.len() as i64 - 1) * self.window_ms;
        let mut held = vec![0u64; self.feed.len()];
        for (_, points) in prometheus
            .evaluate(&query, first, last, self.window_ms)
            .await?
        {
            for (t, v) in points {
                if let Some(slot) = held.get_mut(((t - first) / self.window_ms) as usize) {
                    *slot = v as u64;
                }
            }
        }
        match rules {
            None => {
                for (i, (&got, &want)) in held.iter().zip(&self.feed).enumerate() {
                    if got != want {
                        let from = i as i64 * self.window_ms;
                        return Err(self.mismatch(got, want, from, from + self.window_ms - 1));
                    }
                }
                Ok(())
            }
            Some(w) => {
                let got: u64 = held.iter().sum();
                let want = self.feed.iter().sum::<u64>() + w.written;
                if got == want {
                    return Ok(());
                }
                Err(self.mismatch(got, want, 0, self.feed.len() as i64 * self.window_ms - 1))
            }
        }
    }

    fn mismatch(&self, got: u64, want: u64, from: i64, to: i64) -> HarnessError {
        let (from, to) = (PromDuration(from), PromDuration(to));
        if got < want {
            HarnessError::Write(format!(
                "Prometheus holds {got} of the {want} samples the replay wrote between {from} and {to}: samples were lost (a retention or out-of-order limit?), so the replay cannot give a true answer"
            ))
        } else {
            HarnessError::Write(format!(
                "Prometheus holds {got} samples between {from} and {to}, more than the {want} the replay wrote: it held other samples of the same series"
            ))
        }
    }
}
