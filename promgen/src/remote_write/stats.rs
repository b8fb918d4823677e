//! What a running write has done, read from another task while it runs: counters, the
//! latency of its requests, and how far behind the wall clock it is.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Latency buckets: bucket `i` holds requests of up to `GROWTH^i` microseconds, 8% apart,
/// from 1 µs to over an hour; a quantile is read as its bucket's upper bound (at most 8%
/// high).
const BUCKETS: usize = 300;
const GROWTH: f64 = 1.08;

/// Request latencies, counted into fixed buckets by any task without a lock.
///
/// ```
/// use promgen::remote_write::Latencies;
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
}

/// Counters updated while a write runs; read them from another task for progress.
#[derive(Debug)]
pub struct WriteStats {
    pub(super) ticks: AtomicU64,
    pub(super) sent: AtomicU64,
    pub(super) samples: AtomicU64,
    pub(super) requests: AtomicU64,
    pub(super) retries: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) bytes: AtomicU64,
    pub(super) undelivered: AtomicU64,
    /// How far behind its time the latest live tick was made, in ms; -1 before any.
    pub(super) behind_ms: AtomicI64,
    pub(super) latencies: Latencies,
}

impl Default for WriteStats {
    fn default() -> Self {
        Self {
            ticks: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            samples: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            undelivered: AtomicU64::new(0),
            behind_ms: AtomicI64::new(-1),
            latencies: Latencies::default(),
        }
    }
}

impl WriteStats {
    /// Ticks generated so far (time steps, each covering every series).
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }

    /// Samples handed to the senders so far: in a request on its way, or delivered.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Samples the receiver has accepted so far.
    pub fn samples(&self) -> u64 {
        self.samples.load(Ordering::Relaxed)
    }

    /// Requests that got through so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests sent again so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Requests given up on: refused for good, or still failing when the write ended.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Compressed bytes accepted so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Samples dropped without being delivered because the write was stopped and the
    /// receiver did not take them within
    /// [`RemoteWriter::STOP_GRACE`](super::RemoteWriter::STOP_GRACE).
    pub fn undelivered(&self) -> u64 {
        self.undelivered.load(Ordering::Relaxed)
    }

    /// How far behind its time the latest tick that was due during the run was made: 0
    /// when the write keeps up; `None` while it has only written history (ticks before the
    /// run began), where there is no schedule to keep.
    pub fn behind(&self) -> Option<Duration> {
        let ms = self.behind_ms.load(Ordering::Relaxed);
        u64::try_from(ms).ok().map(Duration::from_millis)
    }

    /// The time each request took to get through (retries included).
    pub fn latencies(&self) -> &Latencies {
        &self.latencies
    }
}
