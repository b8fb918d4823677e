//! `promgen-cli test`: promtool test files, run against a real Prometheus
//! (`promgen_test::promtool`); this only reads flags and prints.

use anyhow::Context;
use clap::{Args, ValueEnum};
use promgen_test::{
    BackendKind,
    promtool::{
        Coverage, Exported, Options, Stream, junit_xml, run_files, timelines_json,
        write_plain_files,
    },
};
use std::{io::Write as _, path::PathBuf, process::ExitCode};

/// Run `promtool test rules` files unchanged against a real Prometheus.
///
/// Each test group gets a Prometheus of its own (a local binary, or a Docker image of the
/// version you run), loaded with the file's rule files; the input series are written into
/// it and every rule is evaluated by its own PromQL engine, with promtool's semantics.
/// Prints promtool's verdicts (`SUCCESS`, or `FAILED:` and each failure as promtool words
/// it) and exits as promtool does: 0 when everything passed, 1 otherwise.
///
/// The same files may also use promgen's additions, which an unchanged promtool file never
/// meets: `alert_timeline_test` (pending, firing, resolved, never fires), `match: subset`
/// and `=~regex` values in `exp_alerts`, `shape:` or `data:` instead of `values:` in
/// `input_series`, and a group's `length`. `--export` writes them as plain promtool files.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    promgen-cli test tests/rules_test.yml\n  \
    promgen-cli test --prometheus docker --prometheus-image prom/prometheus:v2.53.2 tests/*_test.yml\n  \
    promgen-cli test --run 'error ratio' --junit report.xml tests/*_test.yml\n  \
    promgen-cli test --coverage --min-coverage 90 --strict tests/*_test.yml\n  \
    promgen-cli test --timeline --timeline-format json tests/slo_test.yml | jq '.[0].timeline'\n  \
    promgen-cli test --export plain/ tests/*_test.yml && promtool test rules plain/*.yml")]
pub struct TestArgs {
    /// The test files (promtool's `test rules` format).
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Only the test groups whose `name` matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    run: Option<String>,
    /// Show a failing alert test as a line diff of the expected and the firing alerts.
    #[arg(long)]
    diff: bool,
    /// Also write a JUnit XML report here (a test suite per file, a test case per group).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Which Prometheus: a local binary, a Docker image, or the binary when there is one.
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    prometheus: Backend,
    /// The Prometheus binary [default: `prometheus` on PATH].
    #[arg(long, value_name = "PATH")]
    prometheus_bin: Option<PathBuf>,
    /// The Prometheus image for `--prometheus docker`.
    #[arg(long, value_name = "IMAGE", default_value = promgen_test::DEFAULT_IMAGE)]
    prometheus_image: String,
    /// Test groups run at once, each with its own Prometheus [default, or 0: the number of
    /// cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Print, per rule file, what the tests assert about each rule, and the share of rules
    /// they assert something about.
    #[arg(long)]
    coverage: bool,
    /// Exit 1 when the tests assert something about fewer than this percentage of the
    /// rules (implies computing coverage).
    #[arg(long, value_name = "PCT", value_parser = percent)]
    min_coverage: Option<f64>,
    /// Tests that test nothing (an eval_time after the input ended that expects nothing,
    /// an alert name no rule has, a label the rule never gives) fail instead of warning.
    #[arg(long)]
    strict: bool,
    /// Print every alert's timeline (pending, firing, inactive) for each test group.
    #[arg(long)]
    timeline: bool,
    /// How `--timeline` prints: tables, or one JSON document on stdout (the verdicts then
    /// go to stderr).
    #[arg(long, value_enum, default_value_t = TimelineFormat::Text, requires = "timeline")]
    timeline_format: TimelineFormat,
    /// Write each passing file that uses promgen's additions as a plain promtool file into
    /// this directory (shapes as values, timeline tests as exp_alerts at every evaluation;
    /// with --run, the groups that ran).
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TimelineFormat {
    Text,
    Json,
}

fn percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("{text:?} is not a percentage from 0 to 100")),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Backend {
    Auto,
    Binary,
    Docker,
}

/// The backend settings go where promgen-test reads them. Called before any thread starts
/// (`std::env::set_var` is only sound then).
pub fn configure(args: &TestArgs) {
    // SAFETY: `main` calls this first, while the process has one thread.
    unsafe {
        if let Some(bin) = &args.prometheus_bin {
            std::env::set_var("PROMGEN_PROMETHEUS_BIN", bin);
        }
        std::env::set_var("PROMGEN_PROMETHEUS_IMAGE", &args.prometheus_image);
    }
}

pub fn run(args: &TestArgs) -> anyhow::Result<ExitCode> {
    // As promtool: every path must be a file before anything runs.
    for file in &args.files {
        if file.is_dir() {
            anyhow::bail!(
                "{:?} is a directory, not a test file",
                file.display().to_string()
            );
        }
        if !file.exists() {
            anyhow::bail!("path {:?} does not exist", file.display().to_string());
        }
    }
    if let Some(junit) = &args.junit {
        let dir = junit.parent().filter(|d| !d.as_os_str().is_empty());
        if dir.is_some_and(|d| !d.is_dir()) {
            anyhow::bail!("--junit {}: its directory does not exist", junit.display());
        }
    }
    let run = match &args.run {
        Some(re) => Some(regex::Regex::new(re).with_context(|| format!("--run {re:?}"))?),
        None => None,
    };
    let options = Options {
        backend: Some(match args.prometheus {
            Backend::Auto => BackendKind::Auto,
            Backend::Binary => BackendKind::Binary,
            Backend::Docker => BackendKind::Docker,
        }),
        run,
        jobs: args.jobs.unwrap_or(0),
        diff: args.diff,
        strict: args.strict,
        export: args.export.is_some(),
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    let reports = runtime.block_on(run_files(&args.files, &options));
    let json = args.timeline && args.timeline_format == TimelineFormat::Json;
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr().lock());
    for report in &reports {
        // promtool prints its verdict lines on stdout and failures on stderr.
        for (stream, text) in report.promtool_output() {
            match stream {
                Stream::Out if !json => {
                    stdout.write_all(text.as_bytes())?;
                    stdout.flush()?;
                }
                Stream::Out | Stream::Err => stderr.write_all(text.as_bytes())?,
            }
        }
        if args.timeline && !json {
            stdout.write_all(report.timelines_text().as_bytes())?;
        }
    }
    if json {
        serde_json::to_writer_pretty(&mut stdout, &timelines_json(&reports))?;
        stdout.write_all(b"\n")?;
    }
    let coverage = (args.coverage || args.min_coverage.is_some()).then(|| Coverage::of(&reports));
    if let (Some(c), true) = (&coverage, args.coverage) {
        let mut out: Box<dyn std::io::Write> = if json {
            Box::new(&mut stderr)
        } else {
            Box::new(&mut stdout)
        };
        write!(out, "{c}")?;
    }
    if let Some(dir) = &args.export {
        let exported = write_plain_files(&reports, dir)
            .with_context(|| format!("--export {}", dir.display()))?;
        for (report, what) in reports.iter().zip(exported) {
            match what {
                Exported::Written(path) => {
                    eprintln!("exported {} to {}", report.file, path.display());
                }
                Exported::AlreadyPlain => {
                    eprintln!(
                        "{} is a plain promtool file already: not exported",
                        report.file
                    );
                }
                Exported::DidNotPass => eprintln!("{} did not pass: not exported", report.file),
                Exported::NothingRan => {
                    eprintln!("{}: no test group ran: not exported", report.file);
                }
            }
        }
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, junit_xml(&reports, coverage.as_ref()))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let (Some(c), Some(min)) = (&coverage, args.min_coverage)
        && c.percent() < min
    {
        eprintln!(
            "error: the tests assert something about {} of {} rules ({:.1}%), below --min-coverage {min}",
            c.covered(),
            c.total(),
            c.percent()
        );
        return Ok(ExitCode::FAILURE);
    }
    // A `--run` that picks nothing ran nothing: that is not a pass.
    if let Some(re) = &args.run
        && reports
            .iter()
            .all(|r| r.error.is_none() && r.tests.is_empty())
    {
        eprintln!("error: --run {re:?} matches no test group's name in these files");
        return Ok(ExitCode::FAILURE);
    }
    Ok(if reports.iter().all(|r| r.passed()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
