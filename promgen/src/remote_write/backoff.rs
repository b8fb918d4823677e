//! How long to wait before sending a failed request again.
//!
//! Prometheus's sender waits `min_backoff` (30 ms), then twice as long after each failure,
//! up to `max_backoff` (5 s), or as long as a `Retry-After` asks. Here a `Retry-After` can
//! lengthen a wait but never shorten it: a receiver answering `Retry-After: 0` (or a date
//! in the past) to every request would otherwise be asked again at once, thousands of
//! times a second. A wait never goes below `min_backoff`, whatever the jitter or the
//! receiver says, and a `Retry-After` is honoured up to [`MAX_RETRY_AFTER`].

use std::time::Duration;

/// The longest wait a `Retry-After` gets: a receiver asking for more is asked again after
/// this long (and answers 429 or 503 again if it meant it), so a wrong or hostile header
/// cannot park a write, silent, for the whole `retry_for`. A stop is never delayed by any
/// wait: every wait races it.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The smallest floor, for a `min_backoff` of zero: doubling zero would retry at once for
/// ever.
const LEAST_FLOOR: Duration = Duration::from_millis(1);

/// The waits of one request's retries.
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    floor: Duration,
    ceiling: Duration,
    /// The wait the next failure gets before jitter.
    next: Duration,
}

impl Backoff {
    /// From `min` doubling up to `max`.
    pub(super) fn new(min: Duration, max: Duration) -> Self {
        let floor = min.max(LEAST_FLOOR);
        Self {
            floor,
            ceiling: max.max(floor),
            next: floor,
        }
    }

    /// The wait after a failure whose answer carried `retry_after` (if any), with `random`
    /// in `[0, 1)` for the jitter: between half the current backoff and all of it (so that
    /// shards that failed together do not come back together), never below the floor;
    /// longer if the receiver asked for longer, up to [`MAX_RETRY_AFTER`]. The next
    /// backoff doubles the longer of the two, as Prometheus's sender does.
    pub(super) fn wait(&mut self, retry_after: Option<Duration>, random: f64) -> Duration {
        let half = self.next / 2;
        let jittered = (half + half.mul_f64(random.clamp(0.0, 1.0))).max(self.floor);
        let asked = retry_after.map_or(Duration::ZERO, |d| d.min(MAX_RETRY_AFTER));
        let wait = jittered.max(asked);
        self.next = wait.max(self.next).saturating_mul(2).min(self.ceiling);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn waits(
        backoff: &mut Backoff,
        n: usize,
        retry_after: Option<Duration>,
        random: f64,
    ) -> Vec<u128> {
        (0..n)
            .map(|_| backoff.wait(retry_after, random).as_millis())
            .collect()
    }

    #[test]
    fn it_doubles_from_the_floor_to_the_ceiling_with_jitter_above_the_floor() {
        let (min, max) = (30 * MS, 5000 * MS);
        // The jitter at its lowest: half the backoff, but never under 30 ms.
        let low = waits(&mut Backoff::new(min, max), 10, None, 0.0);
        assert_eq!(low, [30, 30, 60, 120, 240, 480, 960, 1920, 2500, 2500]);
        // At its highest: the backoff itself, up to 5 s.
        let high = waits(&mut Backoff::new(min, max), 10, None, 0.999_999);
        assert_eq!(high, [30, 59, 119, 239, 479, 959, 1919, 3839, 4999, 4999]);
    }

    #[test]
    fn a_retry_after_of_zero_or_in_the_past_changes_nothing() {
        let (min, max) = (30 * MS, 5000 * MS);
        let zero = waits(&mut Backoff::new(min, max), 8, Some(Duration::ZERO), 0.0);
        let none = waits(&mut Backoff::new(min, max), 8, None, 0.0);
        assert_eq!(zero, none);
        assert!(zero.iter().all(|&w| w >= 30), "{zero:?}");
    }

    #[test]
    fn a_retry_after_lengthens_a_wait_up_to_a_minute() {
        let mut backoff = Backoff::new(30 * MS, 5000 * MS);
        assert_eq!(
            backoff.wait(Some(Duration::from_secs(1)), 0.0),
            Duration::from_secs(1)
        );
        // Doubled from the second it waited, as Prometheus's sender does.
        assert_eq!(backoff.wait(None, 0.999_999).as_millis(), 1999);
        assert_eq!(backoff.wait(Some(Duration::MAX), 0.0), MAX_RETRY_AFTER);
        assert_eq!(
            backoff.wait(Some(Duration::from_secs(3600)), 0.0),
            MAX_RETRY_AFTER
        );
        // A Retry-After shorter than the backoff does not shorten it.
        assert_eq!(
            backoff
                .wait(Some(Duration::from_millis(1)), 0.0)
                .as_millis(),
            2500
        );
    }

    #[test]
    fn a_zero_floor_still_backs_off() {
        let w = waits(
            &mut Backoff::new(Duration::ZERO, Duration::ZERO),
            3,
            Some(Duration::ZERO),
            0.0,
        );
        assert_eq!(w, [1, 1, 1]);
        let w = waits(&mut Backoff::new(Duration::ZERO, 100 * MS), 8, None, 0.0);
        assert_eq!(w, [1, 1, 2, 4, 8, 16, 32, 50]);
    }
}
