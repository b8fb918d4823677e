//! The report of a running write (`promgen::remote_write::Report`): a line every
//! `--report-every` and at the end, the same as JSON Lines in `--stats-json`, and
//! promgen's own metrics on `--self-metrics`.

use anyhow::Context;
use clap::Args;
use indicatif::ProgressBar;
use promgen::remote_write::{Interval, Report, WriteStats};
use std::{fs::File, io::Write, path::PathBuf, sync::Arc, time::Duration};

/// How a write reports.
#[derive(Debug, Args, Clone)]
pub struct ReportFlags {
    /// Print a report line this often: samples/s sent and acknowledged, requests/s, request
    /// latency p50 and p99, retries, failed requests, and how far behind schedule the write
    /// runs (`history` while it writes the past); `0s` for the closing one only.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub(crate) report_every: String,
    /// Also append each report to FILE as one JSON object per line (JSON Lines), the last
    /// one with "whole_run": true.
    #[arg(long, value_name = "FILE")]
    pub(crate) stats_json: Option<PathBuf>,
    /// Serve promgen's own metrics (promgen_write_*) on http://ADDR/metrics while writing.
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

/// A running report: call [`Reporting::finish`] when the write has ended.
pub struct Reporting {
    stats: Arc<WriteStats>,
    report: Report,
    json: Option<File>,
    bar: Arc<ProgressBar>,
    every: Option<Duration>,
}

impl Reporting {
    /// Opens `--stats-json` and starts `--self-metrics` (inside a Tokio runtime).
    pub async fn start(
        flags: &ReportFlags,
        stats: Arc<WriteStats>,
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
        if let Some(addr) = &flags.self_metrics {
            let shown = Arc::clone(&stats);
            let (bound, _task) = promgen::server::spawn_self_metrics(addr.as_str(), move || {
                shown.to_exposition("promgen_write_")
            })
            .await
            .with_context(|| format!("cannot listen on --self-metrics {addr}"))?;
            eprintln!("promgen's own metrics: http://{bound}/metrics");
        }
        Ok(Self {
            report: Report::new(&stats),
            stats,
            json,
            bar,
            every: u64::try_from(every)
                .ok()
                .filter(|&ms| ms > 0)
                .map(Duration::from_millis),
        })
    }

    /// Reports every interval; never completes (race it against the write).
    pub async fn run(&mut self) {
        let Some(every) = self.every else {
            return std::future::pending().await;
        };
        let mut ticker = tokio::time::interval(every);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let interval = self.report.next(&self.stats);
            self.emit(&interval);
        }
    }

    /// The closing report, over the whole run.
    pub fn finish(&mut self) {
        let whole = self.report.whole(&self.stats);
        self.emit(&whole);
    }

    /// Prints `interval`, and appends it to `--stats-json`; a file that cannot be written
    /// is said once and left, not allowed to stop the write.
    fn emit(&mut self, interval: &Interval) {
        self.bar.suspend(|| eprintln!("{interval}"));
        if let Some(file) = &mut self.json {
            let written = writeln!(file, "{}", interval.to_json()).and_then(|()| file.flush());
            if let Err(e) = written {
                self.bar.suspend(|| {
                    eprintln!("warning: cannot write --stats-json ({e}): no more reports go there")
                });
                self.json = None;
            }
        }
    }
}
