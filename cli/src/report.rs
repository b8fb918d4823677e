//! The report of a running write (`promgen::remote_write::Report`) or server
//! (`promgen::server::ScrapeReport`): a line every `--report-every` and at the end, the
//! same as JSON Lines in `--stats-json`, and promgen's own metrics on `--self-metrics`.

use anyhow::Context;
use clap::Args;
use indicatif::ProgressBar;
use promgen::remote_write::{Report, WriteStats};
use promgen::server::{ScrapeReport, ScrapeStats};
use std::{
    fs::File,
    io::Write,
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

/// How a write or a server reports.
#[derive(Debug, Args, Clone)]
pub struct ReportFlags {
    /// Print a report line this often; `0s` for the closing one only. A write reports
    /// samples/s sent and acknowledged, requests/s, request latency p50 and p99, retries,
    /// failed requests, and how far behind schedule it runs (`history` while it writes the
    /// past); a server, scrapes served, their render time p50 and p99, and their size.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub(crate) report_every: String,
    /// Also append each report to FILE as one JSON object per line (JSON Lines), the last
    /// one with "whole_run": true.
    #[arg(long, value_name = "FILE")]
    pub(crate) stats_json: Option<PathBuf>,
    /// Serve promgen's own metrics (promgen_write_* or promgen_serve_*) on
    /// http://ADDR/metrics while running.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) self_metrics: Option<String>,
}

impl Default for ReportFlags {
    fn default() -> Self {
        Self {
            report_every: "10s".to_owned(),
            stats_json: None,
            self_metrics: None,
        }
    }
}

/// What is reported on: a line and its JSON, per interval and for the whole run, and
/// promgen's own metrics.
pub trait Reported: Send + 'static {
    /// The interval since the last call.
    fn next(&mut self) -> (String, serde_json::Value);
    /// The whole run.
    fn whole(&self) -> (String, serde_json::Value);
    /// The counters as text exposition.
    fn exposition(&self) -> String;
}

/// A write's report.
pub struct Writing {
    stats: Arc<WriteStats>,
    report: Report,
}

impl Writing {
    pub fn new(stats: Arc<WriteStats>) -> Self {
        Self {
            report: Report::new(&stats),
            stats,
        }
    }
}

impl Reported for Writing {
    fn next(&mut self) -> (String, serde_json::Value) {
        let i = self.report.next(&self.stats);
        (i.to_string(), i.to_json())
    }
    fn whole(&self) -> (String, serde_json::Value) {
        let i = self.report.whole(&self.stats);
        (i.to_string(), i.to_json())
    }
    fn exposition(&self) -> String {
        self.stats.to_exposition("promgen_write_")
    }
}

/// A server's report.
pub struct Serving {
    stats: Arc<ScrapeStats>,
    report: ScrapeReport,
}

impl Serving {
    pub fn new(stats: Arc<ScrapeStats>) -> Self {
        Self {
            report: ScrapeReport::new(&stats),
            stats,
        }
    }
}

impl Reported for Serving {
    fn next(&mut self) -> (String, serde_json::Value) {
        let i = self.report.next(&self.stats);
        (i.to_string(), i.to_json())
    }
    fn whole(&self) -> (String, serde_json::Value) {
        let i = self.report.whole(&self.stats);
        (i.to_string(), i.to_json())
    }
    fn exposition(&self) -> String {
        self.stats.to_exposition("promgen_serve_")
    }
}

type Shared = Arc<Mutex<dyn Reported>>;

fn lock(source: &Mutex<dyn Reported>) -> MutexGuard<'_, dyn Reported> {
    source.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running report: call [`Reporting::finish`] when the work has ended.
pub struct Reporting {
    source: Shared,
    json: Option<File>,
    bar: Arc<ProgressBar>,
    every: Option<Duration>,
}

impl Reporting {
    /// Opens `--stats-json` and starts `--self-metrics` (inside a Tokio runtime).
    pub async fn start(
        flags: &ReportFlags,
        source: impl Reported,
        bar: Arc<ProgressBar>,
    ) -> anyhow::Result<Self> {
        let every = promgen::time::parse_duration(&flags.report_every)
            .with_context(|| format!("invalid --report-every {:?}", flags.report_every))?;
        let json = match &flags.stats_json {
            Some(path) => Some(
                File::create(path)
                    .with_context(|| format!("cannot create --stats-json {}", path.display()))?,
            ),
            None => None,
        };
        let source: Shared = Arc::new(Mutex::new(source));
        if let Some(addr) = &flags.self_metrics {
            let shown = Arc::clone(&source);
            let (bound, _task) = promgen::server::spawn_self_metrics(addr.as_str(), move || {
                lock(&shown).exposition()
            })
            .await
            .with_context(|| format!("cannot listen on --self-metrics {addr}"))?;
            eprintln!("promgen's own metrics: http://{bound}/metrics");
        }
        Ok(Self {
            source,
            json,
            bar,
            every: u64::try_from(every)
                .ok()
                .filter(|&ms| ms > 0)
                .map(Duration::from_millis),
        })
    }

    /// Reports every interval; never completes (race it against the work).
    pub async fn run(&mut self) {
        let Some(every) = self.every else {
            return std::future::pending().await;
        };
        let mut ticker = tokio::time::interval(every);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let interval = lock(&self.source).next();
            self.emit(&interval);
        }
    }

    /// The closing report, over the whole run.
    pub fn finish(&mut self) {
        let whole = lock(&self.source).whole();
        self.emit(&whole);
    }

    /// Prints a report, and appends it to `--stats-json`; a file that cannot be written is
    /// said once and left, not allowed to stop the work.
    fn emit(&mut self, (line, json): &(String, serde_json::Value)) {
        self.bar.suspend(|| eprintln!("{line}"));
        if let Some(file) = &mut self.json {
            let written = writeln!(file, "{json}").and_then(|()| file.flush());
            if let Err(e) = written {
                self.bar.suspend(|| {
                    eprintln!("warning: cannot write --stats-json ({e}): no more reports go there");
                });
                self.json = None;
            }
        }
    }
}
