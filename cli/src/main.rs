//! `promgen-cli`: synthetic Prometheus time series from YAML configs.

mod backfill;
mod check;
mod common;
mod format;
mod load;
mod preview;
mod report;
mod serve;
mod test;
mod write;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Synthetic Prometheus time series, on purpose.
///
/// Describe series in YAML (the original prometheus-metrics-generator format, plus more
/// shapes) or in promtool's expanding notation, see every sample they produce, serve them
/// for Prometheus to scrape, write them into it by Remote Write, or backfill their history;
/// and run `promtool test rules` files against a real Prometheus.
#[derive(Debug, Parser)]
#[command(name = "promgen-cli", version, propagate_version = true)]
#[command(
    after_help = "Examples:\n  promgen-cli preview --config examples/demo.yaml\n  promgen-cli preview --values '0+10x5 _x2 stale' --start 0 --interval 1m --format csv\n  promgen-cli check --config examples/demo.yaml\n  promgen-cli serve --config examples/demo.yaml --listen 127.0.0.1:9000\n  promgen-cli write --config examples/demo.yaml --url http://127.0.0.1:9090/api/v1/write --from -24h --to now\n  promgen-cli backfill --config examples/demo.yaml --from -24h --to now --out demo.om\n  promgen-cli load --series 10000 --metrics 100 --serve 127.0.0.1:9001\n  promgen-cli test tests/rules_test.yml"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Preview(preview::PreviewArgs),
    Check(check::CheckArgs),
    Serve(serve::ServeArgs),
    Write(write::WriteArgs),
    Backfill(backfill::BackfillArgs),
    Load(load::LoadArgs),
    Test(test::TestArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Test(args) = &cli.command {
        test::configure(args);
    }
    let result = match cli.command {
        Command::Preview(args) => preview::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Write(args) => write::run(&args),
        Command::Backfill(args) => backfill::run(&args),
        Command::Load(args) => load::run(&args),
        Command::Test(args) => test::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
