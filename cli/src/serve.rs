//! `promgen-cli serve`: `/metrics` for Prometheus to scrape, and the control API.

use crate::common::{Selection, TimeRange, excerpt, load_config, stop_signal};
use crate::report::{ReportFlags, Reporting, Serving};
use anyhow::Context;
use clap::Args;
use promgen::{
    Scraper, Stop,
    server::{DEFAULT_BODY_LIMIT, Server},
    time::{now_ms, parse_time},
};
use std::{io::Write, path::PathBuf, process::ExitCode, time::Duration};
use tokio::{net::TcpListener, sync::oneshot};

/// How long requests in flight get to finish after Ctrl-C or SIGTERM.
const GRACE: Duration = Duration::from_secs(5);

/// Serve a config's series on /metrics for Prometheus to scrape, and change them at run time.
///
/// Every scrape of /metrics advances each series one step (continuous shapes, such as
/// `sin(period = 10m)`, read the clock instead). Without --config, a built-in demo set is
/// served: a counter, a gauge and a histogram (examples/demo-serve.yaml).
///
/// The control API under /api/v1/series lists, creates, replaces and deletes series while
/// the server runs. Its changes live in memory only: they are lost when the server stops,
/// and the config file is never written.
#[derive(Debug, Args)]
#[command(after_help = "\
Endpoints:
  GET            /metrics                for Prometheus (text or OpenMetrics, by Accept)
  GET            /-/healthy
  GET, POST      /api/v1/series          list (each with the body that recreates it); create (201 and the new id)
  GET, PUT, DEL  /api/v1/series/{id}     show; replace (the series restarts); delete (204)

Examples:
  promgen-cli serve
  promgen-cli serve --config examples/demo.yaml --listen 127.0.0.1:9100
  promgen-cli serve --listen 0.0.0.0:9000 --api-token s3cret
  promgen-cli serve --config load.yaml --anchor 2026-12-01T00:00:00Z   (a restart goes on where it was)

Control API (a body is one series as JSON, or YAML: a metrics[] entry with one time series,
flattened; changes live in memory only):
  curl -s http://127.0.0.1:9000/api/v1/series
  curl -s -X POST http://127.0.0.1:9000/api/v1/series \\
    -d '{\"name\": \"queue_depth\", \"labels\": {\"queue\": \"a\"}, \"series\": \"linear(0..=100, 11) >> loop\"}'
  curl -s -X PUT http://127.0.0.1:9000/api/v1/series/5 \\
    -d '{\"name\": \"queue_depth\", \"labels\": {\"queue\": \"a\"}, \"series\": \"[0] >> hold\"}'
  curl -s -X DELETE http://127.0.0.1:9000/api/v1/series/5
  With --api-token, POST, PUT and DELETE need -H 'Authorization: Bearer TOKEN'.")]
#[derive(Default)]
pub struct ServeArgs {
    /// The YAML config whose series to serve [default: the built-in demo set].
    #[arg(long, short, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) selection: Selection,
    /// The address to listen on; port 0 picks a free port (the URL is printed).
    #[arg(
        long,
        short,
        value_name = "HOST:PORT",
        default_value = "127.0.0.1:9000"
    )]
    pub(crate) listen: String,
    /// Require `Authorization: Bearer TOKEN` on the control API's POST, PUT and DELETE.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) api_token: Option<String>,
    /// The largest request body the control API accepts; larger gets 413.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_BODY_LIMIT)]
    pub(crate) body_limit: usize,
    /// Where the series' tick 0 is: at start, each series is brought to the tick that now
    /// falls in (tick i at TIME + i × the config's scrapeInterval), so a serve restarted
    /// mid-run goes on where one left running would be, if it was scraped at that interval.
    /// RFC 3339, Unix seconds or relative to now (`-1h`) [default: start from tick 0].
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub(crate) anchor: Option<String>,
    #[command(flatten)]
    pub(crate) report: ReportFlags,
}

/// Where `--anchor` puts a run starting now: the first tick at or after now.
fn anchored(anchor: &str, interval_ms: i64) -> anyhow::Result<TimeRange> {
    let now = now_ms();
    let anchor_ms =
        parse_time(anchor, now).with_context(|| format!("invalid --anchor {}", excerpt(anchor)))?;
    let (scraper, before) = Scraper::anchored(anchor_ms, now, interval_ms, Stop::Count(1))
        .context("invalid --anchor")?;
    Ok(TimeRange {
        scraper,
        anchor_ms,
        before,
    })
}

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let (config, source) = match load_config(args.config.as_deref(), &args.selection)? {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    serve(config, &source, args)
}

/// Serves `config` (named `source` in messages) as `args` say, but for their config.
pub fn serve(
    config: promgen::config::Config,
    source: &str,
    args: &ServeArgs,
) -> anyhow::Result<ExitCode> {
    let interval_ms = config.scraper.interval_ms;
    // The registry holds all it serves: the decoded config would only double the memory.
    let mut registry = config.into_registry().context("cannot serve the config")?;
    crate::common::release_freed_memory();
    if let Some(anchor) = &args.anchor {
        anchored(anchor, interval_ms)?.join(&mut registry)?;
    }
    let count = registry.len();
    let mut server = Server::new(registry).body_limit(args.body_limit);
    if let Some(token) = &args.api_token {
        server = server.api_token(token.clone());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        // Listen for signals before announcing the address, so that a stop sent as soon as
        // the URL is printed is never missed.
        let signal = stop_signal()?;
        let listener = TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        // Written, not println!: a closed stdout (`serve | head -1`) must not stop the server.
        let banner = format!(
            "promgen-cli serve: listening on {url}\n  \
             {url}/metrics        {count} series from {source}\n  \
             {url}/api/v1/series  the control API (changes live in memory only)\n  \
             {url}/-/healthy\n"
        );
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
        drop(out);
        if !addr.ip().is_loopback() && args.api_token.is_none() {
            eprintln!(
                "warning: listening beyond loopback without --api-token: anyone who can reach {addr} can change the series"
            );
        }
        eprintln!("Ctrl-C stops.");

        // No progress bar: the report lines go to stderr as they are.
        let hidden = std::sync::Arc::new(indicatif::ProgressBar::hidden());
        let mut reporting =
            Reporting::start(&args.report, Serving::new(server.scrape_stats()), hidden).await?;
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = server.serve(listener, async {
            let _ = stopped.await;
        });
        tokio::pin!(serving);
        tokio::select! {
            result = &mut serving => return result.context("the server failed").map(|()| ExitCode::SUCCESS),
            () = signal => {}
            () = reporting.run() => unreachable!("the report never ends"),
        }
        reporting.finish();
        eprintln!("shutting down");
        let _ = stop.send(());
        match tokio::time::timeout(GRACE, serving).await {
            Ok(result) => result.context("the server failed")?,
            Err(_) => eprintln!(
                "requests still in flight after {}s; stopping anyway",
                GRACE.as_secs()
            ),
        }
        Ok(ExitCode::SUCCESS)
    })
}
