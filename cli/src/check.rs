//! `promgen-cli check`: validate a config and report every problem.

use crate::common::Selection;
use clap::Args;
use promgen::config::{ConfigErrors, LoadError};
use std::{path::PathBuf, process::ExitCode};

/// Validate a config file: exit 0 when it is valid, else print every error and exit 1.
///
/// Each error names the file, line, column and key path of the value it is about.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  promgen-cli check --config examples/demo.yaml")]
pub struct CheckArgs {
    /// The YAML config to validate.
    #[arg(long, short, value_name = "FILE")]
    config: PathBuf,
    #[command(flatten)]
    selection: Selection,
}

pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    match args.selection.load(&args.config) {
        Ok(config) => {
            let part = args
                .selection
                .part()
                .map(|s| format!(" in part {s}"))
                .unwrap_or_default();
            let churning = config
                .metrics
                .iter()
                .flat_map(|m| &m.series)
                .filter(|s| s.churn.is_some())
                .count();
            let churning = if churning > 0 {
                format!(", {churning} of them churning")
            } else {
                String::new()
            };
            println!(
                "{}: ok ({} metrics, {} series{churning}{part})",
                args.config.display(),
                config.metrics.len(),
                config.series_count()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(LoadError::Invalid(errors)) => {
            print_errors(&args.config.display().to_string(), &errors);
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// Prints every error of an invalid config, each with its location, then how many there were.
pub fn print_errors(file: &str, errors: &ConfigErrors) {
    for e in errors.errors() {
        eprintln!("{e}");
    }
    let n = errors.errors().len();
    eprintln!("{file}: {n} error{}", if n == 1 { "" } else { "s" });
}
