//! Request and render times, counted into fixed buckets by any task without a lock, for
//! reports and for promgen's own metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Latency buckets: bucket `i` holds requests of up to `GROWTH^i` microseconds, 8% apart,
/// from 1 µs to over an hour; a quantile is read as its bucket's upper bound (at most 8%
/// high).
const BUCKETS: usize = 300;
const GROWTH: f64 = 1.08;

/// Request latencies, counted into fixed buckets by any task without a lock.
///
/// ```
/// use promgen::latency::Latencies;
/// use std::time::Duration;
/// let l = Latencies::default();
/// for ms in 1..=100 {
///     l.record(Duration::from_millis(ms));
/// }
/// let counts = l.snapshot();
/// let p50 = Latencies::quantile(&counts, 0.5).unwrap();
/// assert!(p50 >= Duration::from_millis(50) && p50 <= Duration::from_millis(54), "{p50:?}");
/// ```
#[derive(Debug)]
pub struct Latencies {
    counts: Box<[AtomicU64]>,
    /// Every request's time added up, in microseconds.
    sum_us: AtomicU64,
}

impl Default for Latencies {
    fn default() -> Self {
        Self {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            sum_us: AtomicU64::new(0),
        }
    }
}

impl Latencies {
    /// Counts one request that took `took`.
    pub fn record(&self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_us.fetch_add(micros, Ordering::Relaxed);
        let us = micros.max(1) as f64;
        let i = (us.ln() / GROWTH.ln()).ceil() as usize;
        self.counts[i.min(BUCKETS - 1)].fetch_add(1, Ordering::Relaxed);
    }

    /// Every request's time added up.
    #[must_use]
    pub fn sum(&self) -> Duration {
        Duration::from_micros(self.sum_us.load(Ordering::Relaxed))
    }

    /// The counts so far, per bucket: subtract an earlier snapshot for an interval's.
    #[must_use]
    pub fn snapshot(&self) -> Vec<u64> {
        self.counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }

    /// The `q` quantile (0 to 1) of `counts` (a snapshot, or the difference of two), as
    /// its bucket's upper bound; `None` when there is no request.
    #[must_use]
    pub fn quantile(counts: &[u64], q: f64) -> Option<Duration> {
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        // The rank of the q-th request, from 1.
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        let i = counts.iter().position(|&c| {
            seen += c;
            seen >= rank
        })?;
        Some(Duration::from_micros(GROWTH.powi(i as i32).round() as u64))
    }

    /// The upper bound of bucket `i`, in seconds (for a histogram of them).
    #[must_use]
    pub fn bucket_bound_seconds(i: usize) -> f64 {
        GROWTH.powi(i as i32) / 1e6
    }

    /// Appends the latencies to `out` as a classic histogram `name` in text exposition:
    /// every fifth bucket (about 1.47× apart) from 100 µs to 2 min, the sum and the count.
    pub fn write_histogram(&self, out: &mut String, name: &str, help: &str) {
        use std::fmt::Write as _;
        let counts = self.snapshot();
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} histogram\n");
        let mut cumulative = 0;
        for (i, c) in counts.iter().enumerate() {
            cumulative += c;
            let bound = Self::bucket_bound_seconds(i);
            if i % 5 == 0 && (1e-4..=120.0).contains(&bound) {
                let _ = writeln!(out, "{name}_bucket{{le=\"{bound:.6}\"}} {cumulative}");
            }
        }
        let sum = self.sum().as_secs_f64();
        let _ = write!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {cumulative}\n{name}_sum {sum}\n{name}_count {cumulative}\n"
        );
    }
}
