//! `promgen-cli write`: a config's series into a receiver by Remote Write, as history
//! (backfill) or as time passes (live).

use crate::common::{RangeFlags, Selection, Signals, load_config, time_range};
use crate::report::{ReportFlags, Reporting, Writing};
use anyhow::{Context, anyhow, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use promgen::{
    config::{Config, Streams},
    remote_write::{Protocol, RemoteWriter, WriteError, WriteOptions, WriteSummary},
    time::now_ms,
};
use std::{path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

/// Write a config's series into Prometheus (or Mimir, Thanos, VictoriaMetrics, Grafana Cloud)
/// by Remote Write.
///
/// With --from and --to, the samples between them are written as fast as the receiver takes
/// them (a backfill), time by time: every series at t0, then t1, and so on, so a fresh
/// Prometheus accepts them without an out-of-order window. Ticks still in the future are
/// written when their time comes (live). Without --from/--to the config's scraper decides
/// (by default: from now, for ever). Ctrl-C or SIGTERM stops: every running series is marked
/// stale, and what is pending is sent for up to a second; if the receiver did not take it
/// all, that is said and the exit status is 1. A second Ctrl-C quits at once.
///
/// Protocol 1.0 is the default, as every receiver speaks it. With --protocol v2, a receiver
/// that turns out to speak only 1.0 (it answers 415, or 2xx without the
/// X-Prometheus-Remote-Write-*-Written headers) is written to with 1.0 instead, and a line
/// on stderr says so and why.
///
/// Prometheus receives remote write with --web.enable-remote-write-receiver. Samples older
/// than what it already holds for a series need its out-of-order window
/// (storage.tsdb.out_of_order_time_window, Prometheus 2.39+), and samples older than about
/// an hour before the newest sample it holds are refused without it.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  promgen-cli write --url http://127.0.0.1:9090/api/v1/write --from -24h --to now
  promgen-cli write --config examples/demo.yaml --from -2h      (history, then live)
  promgen-cli write --config examples/demo.yaml --protocol v2 --header 'X-Scope-OrgID: dev'

Receiver settings (headers, basic auth, bearer token, TLS, batching, retries) live in the
config's remoteWriter block; the flags override them.")]
#[derive(Default)]
pub struct WriteArgs {
    /// The YAML config whose series to write [default: the built-in demo set].
    #[arg(long, short, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) selection: Selection,
    /// The receiver [default: remoteWriter.url, or http://HOST/api/v1/write from
    /// remoteWriter.host].
    #[arg(long, value_name = "URL")]
    pub(crate) url: Option<String>,
    /// The Remote Write protocol [default: remoteWriter.protocol, else v1].
    #[arg(long, value_name = "v1|v2")]
    pub(crate) protocol: Option<Protocol>,
    /// The first sample's time: RFC 3339, Unix seconds, `now`, or relative (`-2h`).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub(crate) from: Option<String>,
    /// Where the series' tick 0 is (tick i at anchor + i × interval), so that runs over
    /// different ranges continue the same series: in the same forms as --from [default: the
    /// run's start]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub(crate) anchor: Option<String>,
    /// The last sample's time (inclusive), in the same forms as --from.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub(crate) to: Option<String>,
    /// Time between samples [default: the config's scrapeInterval].
    #[arg(long, value_name = "DURATION")]
    pub(crate) interval: Option<String>,
    /// An extra request header, `NAME: VALUE` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub(crate) headers: Vec<String>,
    /// Requests in flight at once [default: remoteWriter.concurrency, else 4].
    #[arg(long, value_name = "N")]
    pub(crate) concurrency: Option<usize>,
    /// The most samples per request [default: remoteWriter.maxSamplesPerSend, else 2000].
    #[arg(long, value_name = "N")]
    pub(crate) batch_size: Option<usize>,
    /// After Ctrl-C or SIGTERM, how long to go on sending what is pending and the stale
    /// markers (one per series) [default: 1s].
    #[arg(long, value_name = "DURATION")]
    pub(crate) stop_grace: Option<String>,
    #[command(flatten)]
    pub(crate) report: ReportFlags,
}

pub fn run(args: &WriteArgs) -> anyhow::Result<ExitCode> {
    let (config, source) = match load_config(args.config.as_deref(), &args.selection)? {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    write(config, &source, args)
}

/// Writes `config` (named `source` in messages) as `args` say, but for their config.
pub fn write(config: Config, source: &str, args: &WriteArgs) -> anyhow::Result<ExitCode> {
    let opts = options(args, &config)?;
    let flags = RangeFlags {
        from: args.from.as_deref(),
        to: args.to.as_deref(),
        interval: args.interval.as_deref(),
        anchor: args.anchor.as_deref(),
    };
    let range = time_range(&flags, &config.scraper, now_ms())?;
    let scraper = range.scraper;
    // The registry holds all it writes: the decoded config would only double the memory.
    // Every series draws every tick: its random streams keep their current block.
    let streams = Streams::for_writing(config.series_count());
    let mut registry = config
        .into_registry_with(streams)
        .context("cannot write the config")?;
    crate::common::release_freed_memory();
    range.join(&mut registry)?;
    let total_ticks = scraper.tick_count();
    let bar = progress_bar(total_ticks);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // The handlers go in before anything is announced or sent: from the first line on, a
    // Ctrl-C is a clean stop, never the default handler's exit.
    let stop = {
        let _inside = runtime.enter();
        stop_after_signal(Arc::clone(&bar), opts.stop_grace)?
    };
    let shown = Arc::clone(&bar);
    let writer = RemoteWriter::new(&opts)?.on_fallback(move |why| {
        shown.suspend(|| {
            eprintln!(
                "the receiver does not speak Remote Write 2.0 ({why}): sending 1.0 from now on"
            );
        });
    });
    eprintln!(
        "promgen-cli write: {} series from {source} to {} ({}), {scraper}{}",
        registry.len(),
        opts.url,
        opts.protocol,
        match total_ticks {
            Some(n) => format!(", {n} ticks"),
            None => ", until stopped".to_owned(),
        },
    );

    runtime.block_on(async {
        let mut reporting =
            Reporting::start(&args.report, Writing::new(writer.stats()), Arc::clone(&bar)).await?;
        let ticker = tokio::spawn(update(Arc::clone(&bar), writer.stats(), total_ticks));
        let result = {
            let write = writer.run(&mut registry, &scraper, stop);
            tokio::pin!(write);
            tokio::select! {
                result = &mut write => result,
                () = reporting.run() => unreachable!("the report never ends"),
            }
        };
        ticker.abort();
        bar.finish_and_clear();
        reporting.finish();
        match result {
            Ok(summary) => {
                eprintln!("{}", describe(&summary));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                if let WriteError::Interrupted { summary, .. } = &e {
                    eprintln!("{}", describe(summary));
                }
                Err(explain(e))
            }
        }
    })
}

/// The receiver options: the config's remoteWriter block with the flags on top.
fn options(args: &WriteArgs, config: &Config) -> anyhow::Result<WriteOptions> {
    let block = config.remote_writer.clone().unwrap_or_default();
    let mut opts = block.options(args.url.as_deref())?.ok_or_else(|| {
        anyhow!("no receiver: give --url, or remoteWriter.url or remoteWriter.host in the config")
    })?;
    if let Some(p) = args.protocol {
        opts.protocol = p;
    }
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| anyhow!("--header {header:?}: expected `NAME: VALUE`"))?;
        opts.headers
            .push((name.trim().to_owned(), value.trim().to_owned()));
    }
    if let Some(n) = args.concurrency {
        if n == 0 {
            bail!("--concurrency must be at least 1");
        }
        opts.concurrency = n;
    }
    if let Some(text) = &args.stop_grace {
        let ms = promgen::time::parse_duration(text)
            .with_context(|| format!("invalid --stop-grace {text:?}"))?;
        opts.stop_grace = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    }
    if let Some(n) = args.batch_size {
        if n == 0 {
            bail!("--batch-size must be at least 1");
        }
        opts.max_samples_per_send = n;
    }
    Ok(opts)
}

fn progress_bar(total_ticks: Option<u64>) -> Arc<ProgressBar> {
    let bar = match total_ticks {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "{bar:30} {percent:>3}% {pos}/{len} ticks, {msg} [{elapsed_precise}, eta {eta}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {pos} ticks, {msg} [{elapsed_precise}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    // Drawn only on a terminal: logs and pipes get the summary alone.
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    Arc::new(bar)
}

async fn update(
    bar: Arc<ProgressBar>,
    stats: Arc<promgen::remote_write::WriteStats>,
    total: Option<u64>,
) {
    loop {
        bar.set_position(stats.ticks());
        bar.set_message(format!(
            "{} samples, {} requests, {} retries",
            stats.samples(),
            stats.requests(),
            stats.retries()
        ));
        if total.is_none() {
            bar.tick();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The error, with what to do about the common refusals.
fn explain(e: WriteError) -> anyhow::Error {
    let hint = match &e {
        WriteError::Rejected { body, .. }
            if ["out of order", "out of bounds", "too old"]
                .iter()
                .any(|m| body.contains(m)) =>
        {
            "\nhint: the receiver holds newer samples than these (in Prometheus, anything more than \
             about an hour older than its newest sample); write into a fresh Prometheus, or give it \
             an out-of-order window (storage.tsdb.out_of_order_time_window, Prometheus 2.39+)"
        }
        WriteError::Interrupted { last: None, .. } => {
            "\nhint: the receiver was still taking them when the grace period ran out; a large \
             load has a stale marker per series to send: give it longer with --stop-grace"
        }
        _ => "",
    };
    anyhow!("{}{hint}", e.to_string().trim_end())
}

/// The closing line: what was written, how fast.
fn describe(s: &WriteSummary) -> String {
    format!(
        "{}: {} series, {} samples in {} requests ({} retries), {:.1} MiB, {:.1}s, {:.0} samples/s, protocol {}",
        if s.stopped { "stopped" } else { "done" },
        s.series,
        s.samples,
        s.requests,
        s.retries,
        s.bytes as f64 / 1_048_576.0,
        s.elapsed.as_secs_f64(),
        s.samples_per_second(),
        s.protocol,
    )
}

/// Completes on the first Ctrl-C or SIGTERM, saying so; after it, a second one quits at
/// once, with exit status 128 + its number (130 for Ctrl-C).
fn stop_after_signal(
    bar: Arc<ProgressBar>,
    grace: Duration,
) -> anyhow::Result<impl Future<Output = ()>> {
    let mut signals = Signals::new()?;
    Ok(async move {
        signals.next().await;
        bar.suspend(|| {
            eprintln!(
                "stopping: marking the series stale, sending what is pending for up to {:.1}s \
                 (Ctrl-C again quits now)",
                grace.as_secs_f64()
            );
        });
        tokio::spawn(async move {
            let signal = signals.next().await;
            std::process::exit(128 + signal);
        });
    })
}
