//! `promgen-cli load`: a load without a config (`promgen::config::LoadSet`), served or
//! written by the same code as `serve` and `write`; this only reads flags.

use crate::{serve, write};
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
    promgen-cli load --series 10000 --churn every=10m,fraction=0.1 --serve 127.0.0.1:9001\n  \
    promgen-cli load --series 1000 --churn every=1h,mode=spike,factor=3,for=10m --print-config\n  \
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
    #[arg(
        long,
        value_name = "I/N",
        env = "PROMGEN_SHARD",
        conflicts_with = "shard_slot"
    )]
    shard: Option<Shard>,
    /// The same, counted from 1: `S/N` is part S-1 of N (Docker Swarm's `{{.Task.Slot}}`).
    #[arg(long, value_name = "S/N", env = "PROMGEN_SHARD_SLOT", value_parser = crate::common::slot)]
    shard_slot: Option<Shard>,
    /// Time between samples when writing [default: 15s].
    #[arg(long, value_name = "DURATION")]
    interval: Option<String>,
    /// Replace series as time goes on, as `churn:` in a config does: `every=DURATION` and
    /// `fraction=F` (of the series, each period), `mode=step|gradual|rotate|spike`, and for
    /// a spike `factor=K,for=DURATION`. The label that moves on is `cycle_id`.
    #[arg(long, value_name = "KEY=VALUE,…")]
    churn: Option<String>,
    /// After Ctrl-C or SIGTERM, how long a write goes on sending what is pending and the
    /// stale markers (one per series) [default: 1s].
    #[arg(long, value_name = "DURATION", conflicts_with = "serve")]
    stop_grace: Option<String>,
    #[command(flatten)]
    report: crate::report::ReportFlags,
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
        churn: args.churn.as_deref().map(churn_items).transpose()?,
    };
    if args.print_config {
        print!("{}", set.yaml());
        return Ok(ExitCode::SUCCESS);
    }
    let mut config = match (set.config(), &args.churn) {
        (Ok(config), _) => config,
        // Every family has the same churn: its mistake once, in the flag's own terms.
        (Err(errors), Some(text))
            if errors
                .errors()
                .iter()
                .any(|e| e.path.as_str().contains("churn")) =>
        {
            // A misspelt key first: it is why another is missing.
            let about_churn = || {
                errors
                    .errors()
                    .iter()
                    .filter(|e| e.path.as_str().contains("churn"))
            };
            let e = about_churn()
                .find(|e| e.message.starts_with("unknown key"))
                .or_else(|| about_churn().next());
            let key = e.map(|e| {
                e.path
                    .as_str()
                    .rsplit_once("churn")
                    .map_or("", |(_, k)| k)
                    .trim_start_matches('.')
                    .to_owned()
            });
            let message = e.map(|e| e.message.clone()).unwrap_or_default();
            anyhow::bail!(
                "--churn {text:?}: {}{message}",
                key.filter(|k| !k.is_empty())
                    .map(|k| format!("{k}: "))
                    .unwrap_or_default()
            );
        }
        (Err(errors), _) => return Err(anyhow::Error::new(errors).context("the load set")),
    };
    let shard = args.shard.or(args.shard_slot);
    if let Some(shard) = shard {
        config.keep_shard(shard);
    }
    let source = format!(
        "a load of {} series over {} metrics{}",
        args.series,
        args.metrics,
        shard.map(|s| format!(" (part {s})")).unwrap_or_default()
    );
    if let Some(listen) = &args.serve {
        let serve_args = serve::ServeArgs {
            listen: listen.clone(),
            body_limit: promgen::server::DEFAULT_BODY_LIMIT,
            report: args.report.clone(),
            ..serve::ServeArgs::default()
        };
        return serve::serve(config, &source, &serve_args);
    }
    let write_args = write::WriteArgs {
        url: args.url.clone(),
        interval: args.interval.clone(),
        report: args.report.clone(),
        stop_grace: args.stop_grace.clone(),
        ..write::WriteArgs::default()
    };
    write::write(config, &source, &write_args)
}

/// `every=10m,fraction=0.1` as the items of a YAML flow map (`every: 10m, fraction: 0.1`);
/// the config's decoder checks the keys and values.
fn churn_items(text: &str) -> anyhow::Result<String> {
    let mut items = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let Some((key, value)) = item.split_once('=') else {
            anyhow::bail!(
                "--churn {text:?}: expected KEY=VALUE items, such as every=10m,fraction=0.1 (not {item:?})"
            );
        };
        let (key, value) = (key.trim(), value.trim());
        anyhow::ensure!(
            key != "label",
            "--churn: the load's churn label is cycle_id (for another, write a config: see --print-config)"
        );
        anyhow::ensure!(
            !key.is_empty()
                && !value.is_empty()
                && [key, value].iter().all(|t| t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))),
            "--churn {text:?}: {item:?} is not KEY=VALUE with a plain key and value"
        );
        items.push(format!("{key}: {value}"));
    }
    anyhow::ensure!(!items.is_empty(), "--churn needs at least every=DURATION");
    Ok(items.join(", "))
}
