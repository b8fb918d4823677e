//! `promgen-cli load`: a load without a config (`promgen::config::LoadSet`), served or
//! written by the same code as `serve` and `write`; this only reads flags.

use crate::{serve, write};
use anyhow::Context;
use clap::Args;
use promgen::config::{LoadSet, Shard};
use std::process::ExitCode;

/// Serve or write a load without a config: N series over M metric families of every type
/// (counters, gauges, classic histograms, summaries, in turn), each with K labels
/// (`series_id` and constant `label_1` …), drawing realistic shapes seeded from their labels.
///
/// `--print-config` prints the set as a config, to tune and run with `serve` or `write`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    promgen-cli load --series 10000 --metrics 100 --serve 127.0.0.1:9001\n  \
    promgen-cli load --series 100000 --url http://127.0.0.1:9090/api/v1/write --interval 15s\n  \
    promgen-cli load --series 1000000 --metrics 200 --shard 0/4 --url http://mimir/api/v1/push\n  \
    promgen-cli load --series 8 --metrics 4 --print-config")]
pub struct LoadArgs {
    /// Series in all (a histogram or summary counts once).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    series: u64,
    /// Metric families to spread them over.
    #[arg(long, value_name = "M", default_value_t = 10)]
    metrics: u64,
    /// Labels per series, `series_id` included.
    #[arg(long, value_name = "K", default_value_t = 3)]
    labels: u64,
    /// Serve them on /metrics at this address.
    #[arg(long, value_name = "HOST:PORT", required_unless_present_any = ["url", "print_config"], conflicts_with = "url")]
    serve: Option<String>,
    /// Write them live by Remote Write to this receiver.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Only this instance's part of the series, `I/N`.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Time between samples when writing [default: 15s].
    #[arg(long, value_name = "DURATION")]
    interval: Option<String>,
    /// Print the set as a config and exit.
    #[arg(long)]
    print_config: bool,
}

pub fn run(args: &LoadArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.series > 0, "--series must be at least 1");
    anyhow::ensure!(args.metrics > 0, "--metrics must be at least 1");
    anyhow::ensure!(args.labels > 0, "--labels must be at least 1 (series_id)");
    let set = LoadSet {
        series: args.series,
        metrics: args.metrics,
        labels: args.labels,
    };
    if args.print_config {
        print!("{}", set.yaml());
        return Ok(ExitCode::SUCCESS);
    }
    let mut config = set.config().context("the load set")?;
    if let Some(shard) = args.shard {
        config.keep_shard(shard);
    }
    let source = format!(
        "a load of {} series over {} metrics{}",
        args.series,
        args.metrics,
        args.shard
            .map(|s| format!(" (part {s})"))
            .unwrap_or_default()
    );
    if let Some(listen) = &args.serve {
        let serve_args = serve::ServeArgs {
            listen: listen.clone(),
            body_limit: promgen::server::DEFAULT_BODY_LIMIT,
            ..serve::ServeArgs::default()
        };
        return serve::serve(config, &source, &serve_args);
    }
    let write_args = write::WriteArgs {
        url: args.url.clone(),
        interval: args.interval.clone(),
        ..write::WriteArgs::default()
    };
    write::write(&config, &source, &write_args)
}
