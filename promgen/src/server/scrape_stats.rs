//! What a server's `/metrics` has served: scrapes, their render times and sizes, for the
//! serve report and promgen's own metrics.

use crate::latency::Latencies;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Scrapes served, counted by the handler.
#[derive(Debug, Default)]
pub struct ScrapeStats {
    scrapes: AtomicU64,
    bytes: AtomicU64,
    renders: Latencies,
}

impl ScrapeStats {
    /// Counts a scrape of `bytes` that took `took` to render (the registry's lock
    /// included).
    pub fn record(&self, took: Duration, bytes: usize) {
        self.scrapes.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.renders.record(took);
    }

    /// Scrapes so far.
    pub fn scrapes(&self) -> u64 {
        self.scrapes.load(Ordering::Relaxed)
    }

    /// Bytes served so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The render times.
    pub fn renders(&self) -> &Latencies {
        &self.renders
    }

    /// The counters as text exposition, names starting `prefix` (`promgen_serve_`).
    ///
    /// ```
    /// use promgen::server::ScrapeStats;
    /// let stats = ScrapeStats::default();
    /// stats.record(std::time::Duration::from_millis(3), 100);
    /// assert!(stats.to_exposition("promgen_serve_").contains("promgen_serve_scrapes_total 1\n"));
    /// ```
    #[must_use]
    pub fn to_exposition(&self, prefix: &str) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = write!(
            out,
            "# HELP {prefix}scrapes_total Scrapes of /metrics served.\n# TYPE {prefix}scrapes_total counter\n{prefix}scrapes_total {}\n\
             # HELP {prefix}bytes_total Bytes of /metrics served.\n# TYPE {prefix}bytes_total counter\n{prefix}bytes_total {}\n",
            self.scrapes(),
            self.bytes()
        );
        self.renders.write_histogram(
            &mut out,
            &format!("{prefix}render_duration_seconds"),
            "Time a scrape took to render, waiting for the registry included.",
        );
        out
    }
}

/// Scrapes over one interval (or the whole run).
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeInterval {
    /// Since the report began.
    pub elapsed: Duration,
    /// Whether it covers the whole run.
    pub whole_run: bool,
    /// Scrapes in the interval.
    pub scrapes: u64,
    /// Scrapes per second.
    pub scrapes_per_second: f64,
    /// The median and 99th percentile render time.
    pub render_p50: Option<Duration>,
    /// See `render_p50`.
    pub render_p99: Option<Duration>,
    /// Bytes per scrape, on average.
    pub bytes_per_scrape: f64,
}

/// Turns [`ScrapeStats`] into [`ScrapeInterval`]s.
///
/// ```
/// use promgen::server::{ScrapeReport, ScrapeStats};
/// let stats = ScrapeStats::default();
/// let mut report = ScrapeReport::new(&stats);
/// stats.record(std::time::Duration::from_millis(2), 1000);
/// let i = report.next(&stats);
/// assert_eq!((i.scrapes, i.bytes_per_scrape), (1, 1000.0));
/// assert!(i.to_string().contains("1 scrapes"));
/// ```
pub struct ScrapeReport {
    started: Instant,
    last: (Instant, u64, u64, Vec<u64>),
}

impl ScrapeReport {
    /// A report of `stats` from now.
    #[must_use]
    pub fn new(stats: &ScrapeStats) -> Self {
        Self {
            started: Instant::now(),
            last: Self::mark(stats),
        }
    }

    fn mark(stats: &ScrapeStats) -> (Instant, u64, u64, Vec<u64>) {
        (
            Instant::now(),
            stats.scrapes(),
            stats.bytes(),
            stats.renders().snapshot(),
        )
    }

    /// The interval since the last one (or the start).
    pub fn next(&mut self, stats: &ScrapeStats) -> ScrapeInterval {
        let now = Self::mark(stats);
        let interval = self.between(&self.last, &now, false);
        self.last = now;
        interval
    }

    /// The whole run so far.
    #[must_use]
    pub fn whole(&self, stats: &ScrapeStats) -> ScrapeInterval {
        let now = Self::mark(stats);
        let start = (self.started, 0, 0, vec![0; now.3.len()]);
        self.between(&start, &now, true)
    }

    fn between(
        &self,
        from: &(Instant, u64, u64, Vec<u64>),
        to: &(Instant, u64, u64, Vec<u64>),
        whole_run: bool,
    ) -> ScrapeInterval {
        let secs = to.0.duration_since(from.0).as_secs_f64().max(1e-9);
        let scrapes = to.1.saturating_sub(from.1);
        let bytes = to.2.saturating_sub(from.2);
        let counts: Vec<u64> = to.3.iter().zip(&from.3).map(|(b, a)| b - a).collect();
        ScrapeInterval {
            elapsed: to.0.duration_since(self.started),
            whole_run,
            scrapes,
            scrapes_per_second: scrapes as f64 / secs,
            render_p50: Latencies::quantile(&counts, 0.5),
            render_p99: Latencies::quantile(&counts, 0.99),
            bytes_per_scrape: if scrapes == 0 {
                0.0
            } else {
                bytes as f64 / scrapes as f64
            },
        }
    }
}

impl ScrapeInterval {
    /// As one JSON object (durations in seconds; `null` where there is none).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let secs = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        serde_json::json!({
            "elapsed_seconds": self.elapsed.as_secs_f64(),
            "whole_run": self.whole_run,
            "scrapes": self.scrapes,
            "scrapes_per_second": self.scrapes_per_second,
            "render_p50_seconds": secs(self.render_p50),
            "render_p99_seconds": secs(self.render_p99),
            "bytes_per_scrape": self.bytes_per_scrape,
        })
    }
}

impl fmt::Display for ScrapeInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Option<Duration>| {
            d.map_or_else(
                || "-".to_owned(),
                |d| format!("{:.1} ms", d.as_secs_f64() * 1e3),
            )
        };
        write!(
            f,
            "{} {} scrapes ({:.2}/s), render p50 {}, p99 {}, {:.1} KiB a scrape",
            if self.whole_run {
                format!("[whole run, {:.0}s]", self.elapsed.as_secs_f64())
            } else {
                format!("[{:>5.0}s]", self.elapsed.as_secs_f64())
            },
            self.scrapes,
            self.scrapes_per_second,
            ms(self.render_p50),
            ms(self.render_p99),
            self.bytes_per_scrape / 1024.0,
        )
    }
}
