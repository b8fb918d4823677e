//! `promgen-cli check`: validate a config and report every problem.

use clap::Args;
use promgen::config::{Config, ConfigErrors, LoadError};
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
    /// The most series the config may expand to (names and label values may be templates
    /// such as `host-{0..999}`: a guard against a range with a digit too many).
    #[arg(long, value_name = "N", default_value_t = promgen::config::DEFAULT_MAX_SERIES)]
    max_series: u64,
}

pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    match Config::from_file_limited(&args.config, args.max_series) {
        Ok(config) => {
            println!(
                "{}: ok ({} metrics, {} series)",
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
