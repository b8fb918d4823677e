//! What a running write has done, read from another task while it runs: counters, the
//! latency of its requests, and how far behind the wall clock it is.

use crate::latency::Latencies;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

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
