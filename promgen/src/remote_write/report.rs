//! A running write's report, interval by interval: rates sent and acknowledged, request
//! latency, retries and failures, and how far behind schedule it is; as a line for people,
//! as JSON for tools, and as Prometheus metrics of promgen itself.

use super::stats::WriteStats;
use crate::latency::Latencies;
use std::fmt;
use std::time::{Duration, Instant};

/// What a write did over one interval (or, for the final one, over the whole run).
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// Since the write began.
    pub elapsed: Duration,
    /// The interval's length.
    pub length: Duration,
    /// Whether it covers the whole run (the closing report).
    pub whole_run: bool,
    /// Samples handed to the senders per second.
    pub sent_per_second: f64,
    /// Samples the receiver accepted per second.
    pub acknowledged_per_second: f64,
    /// Requests that got through per second.
    pub requests_per_second: f64,
    /// The median and 99th percentile time a request took to get through.
    pub latency_p50: Option<Duration>,
    /// See `latency_p50`.
    pub latency_p99: Option<Duration>,
    /// Totals since the start.
    pub sent: u64,
    /// See `sent`.
    pub acknowledged: u64,
    /// See `sent`.
    pub retries: u64,
    /// See `sent`.
    pub failed: u64,
    /// Ticks generated since the start.
    pub ticks: u64,
    /// How far behind schedule the latest live tick was made; `None` while writing history.
    pub behind: Option<Duration>,
}

/// Turns a write's [`WriteStats`] into [`Interval`]s.
///
/// ```
/// use promgen::remote_write::{Report, WriteStats};
/// let stats = WriteStats::default();
/// let mut report = Report::new(&stats);
/// let interval = report.next(&stats);
/// assert_eq!(interval.acknowledged, 0);
/// assert!(interval.to_string().contains("samples/s sent"));
/// assert_eq!(report.whole(&stats).to_json()["whole_run"], true);
/// ```
pub struct Report {
    started: Instant,
    last: Mark,
}

/// The counters at one moment.
struct Mark {
    at: Instant,
    sent: u64,
    acknowledged: u64,
    requests: u64,
    latencies: Vec<u64>,
}

impl Mark {
    fn of(stats: &WriteStats) -> Self {
        Self {
            at: Instant::now(),
            sent: stats.sent(),
            acknowledged: stats.samples(),
            requests: stats.requests(),
            latencies: stats.latencies().snapshot(),
        }
    }

    fn empty(at: Instant, buckets: usize) -> Self {
        Self {
            at,
            sent: 0,
            acknowledged: 0,
            requests: 0,
            latencies: vec![0; buckets],
        }
    }
}

impl Report {
    /// A report of `stats` from now.
    #[must_use]
    pub fn new(stats: &WriteStats) -> Self {
        Self {
            started: Instant::now(),
            last: Mark::of(stats),
        }
    }

    /// The interval since the last one (or the start).
    pub fn next(&mut self, stats: &WriteStats) -> Interval {
        let now = Mark::of(stats);
        let interval = self.between(&self.last, &now, stats, false);
        self.last = now;
        interval
    }

    /// The whole run so far.
    #[must_use]
    pub fn whole(&self, stats: &WriteStats) -> Interval {
        let now = Mark::of(stats);
        let start = Mark::empty(self.started, now.latencies.len());
        self.between(&start, &now, stats, true)
    }

    fn between(&self, from: &Mark, to: &Mark, stats: &WriteStats, whole_run: bool) -> Interval {
        let length = to.at.duration_since(from.at);
        let secs = length.as_secs_f64().max(1e-9);
        let rate = |a: u64, b: u64| b.saturating_sub(a) as f64 / secs;
        let latencies: Vec<u64> = to
            .latencies
            .iter()
            .zip(&from.latencies)
            .map(|(b, a)| b.saturating_sub(*a))
            .collect();
        Interval {
            elapsed: to.at.duration_since(self.started),
            length,
            whole_run,
            sent_per_second: rate(from.sent, to.sent),
            acknowledged_per_second: rate(from.acknowledged, to.acknowledged),
            requests_per_second: rate(from.requests, to.requests),
            latency_p50: Latencies::quantile(&latencies, 0.5),
            latency_p99: Latencies::quantile(&latencies, 0.99),
            sent: to.sent,
            acknowledged: to.acknowledged,
            retries: stats.retries(),
            failed: stats.failed(),
            ticks: stats.ticks(),
            behind: stats.behind(),
        }
    }
}

impl Interval {
    /// The interval as one JSON object (durations in seconds; `null` where there is none).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let secs = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        serde_json::json!({
            "elapsed_seconds": self.elapsed.as_secs_f64(),
            "interval_seconds": self.length.as_secs_f64(),
            "whole_run": self.whole_run,
            "samples_sent_per_second": self.sent_per_second,
            "samples_acknowledged_per_second": self.acknowledged_per_second,
            "requests_per_second": self.requests_per_second,
            "request_latency_p50_seconds": secs(self.latency_p50),
            "request_latency_p99_seconds": secs(self.latency_p99),
            "samples_sent": self.sent,
            "samples_acknowledged": self.acknowledged,
            "retries": self.retries,
            "failed_requests": self.failed,
            "ticks": self.ticks,
            "behind_schedule_seconds": secs(self.behind),
        })
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Option<Duration>| {
            d.map_or_else(
                || "-".to_owned(),
                |d| format!("{:.1} ms", d.as_secs_f64() * 1e3),
            )
        };
        let schedule = match self.behind {
            None => "history".to_owned(),
            Some(d) if d < Duration::from_secs(1) => "on schedule".to_owned(),
            Some(d) => format!("{:.1} s behind schedule", d.as_secs_f64()),
        };
        write!(
            f,
            "{} {:.0} samples/s sent, {:.0}/s acknowledged; {:.1} requests/s, p50 {}, p99 {}; {} retries, {} failed; {schedule}",
            if self.whole_run {
                format!("[whole run, {:.0}s]", self.elapsed.as_secs_f64())
            } else {
                format!("[{:>5.0}s]", self.elapsed.as_secs_f64())
            },
            self.sent_per_second,
            self.acknowledged_per_second,
            self.requests_per_second,
            ms(self.latency_p50),
            ms(self.latency_p99),
            self.retries,
            self.failed,
        )
    }
}

impl WriteStats {
    /// The counters as Prometheus text exposition, each name starting `prefix`
    /// (`promgen_write_`): for `--self-metrics`, so that a load generator can itself be
    /// watched.
    ///
    /// ```
    /// use promgen::remote_write::WriteStats;
    /// let text = WriteStats::default().to_exposition("promgen_write_");
    /// assert!(text.contains("# TYPE promgen_write_samples_acknowledged_total counter\npromgen_write_samples_acknowledged_total 0\n"));
    /// ```
    #[must_use]
    pub fn to_exposition(&self, prefix: &str) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, v: u64| {
            let _ = write!(
                out,
                "# HELP {prefix}{name}_total {help}\n# TYPE {prefix}{name}_total counter\n{prefix}{name}_total {v}\n"
            );
        };
        counter("ticks", "Ticks generated.", self.ticks());
        counter(
            "samples_sent",
            "Samples handed to the senders.",
            self.sent(),
        );
        counter(
            "samples_acknowledged",
            "Samples the receiver accepted.",
            self.samples(),
        );
        counter("requests", "Requests that got through.", self.requests());
        counter("retries", "Requests sent again.", self.retries());
        counter("failed_requests", "Requests given up on.", self.failed());
        counter("bytes", "Compressed bytes accepted.", self.bytes());
        let behind = self.behind().map_or(0.0, |d| d.as_secs_f64());
        let _ = write!(
            out,
            "# HELP {prefix}behind_schedule_seconds How far behind its time the latest live tick was made.\n# TYPE {prefix}behind_schedule_seconds gauge\n{prefix}behind_schedule_seconds {behind}\n"
        );
        self.latencies().write_histogram(
            &mut out,
            &format!("{prefix}request_duration_seconds"),
            "Time a request took to get through, retries included.",
        );
        out
    }
}
