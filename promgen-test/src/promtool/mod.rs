//! `promtool test rules` files, run unchanged against a real Prometheus.
//!
//! Each test group of a file gets a Prometheus of its own (a local binary or Docker, as
//! [`BackendKind`] picks) loaded with the file's rule files; its input series are written
//! by remote write and every rule is evaluated through that Prometheus's PromQL engine by
//! replay, with promtool 2.42's semantics (see `run.rs`): the same verdicts, and failures
//! in promtool's own words.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use promgen_test::promtool::{Options, run_file};
//! let report = run_file("tests/promtool/error_ratio_test.yml", &Options::default()).await;
//! assert!(report.passed(), "{}", report.promtool_text().1);
//! # }
//! ```
//!
//! promgen's additions, in keys an unchanged promtool file never holds (see `file` for
//! each): `alert_timeline_test` (what an alert does over the whole replay), `match:` and
//! `=~regex` values in `exp_alerts`, `shape:` and `data:` instead of `values:`, a group's
//! `length`. Around the run: [`Coverage`] of the rules by what the tests assert, warnings
//! for tests that test nothing ([`TestReport::warnings`]), every group's timeline
//! ([`TestReport::timeline`]), and [`FileReport::write_plain`], which writes a file with
//! additions as a plain promtool file.
//!
//! What differs from promtool, and why:
//! - A rule that reads samples *after* its evaluation time (a negative `offset`, `@ end()`)
//!   sees the whole input here; promtool loads samples lazily, up to each evaluation.
//! - A template's `query` in an annotation sees the rule results of its evaluation time
//!   that promtool would write only after expanding it (rules later in the group, and the
//!   rule's own `ALERTS`); a `query` in a rule *label* is refused (the label decides which
//!   alert a result is, during the replay's evaluation, where no query can be made).
//! - Errors that promtool reports from its own YAML decoder or rule loader are reported in
//!   promgen's words (file, line, column, key path) or Prometheus's (rules it refuses).

mod coverage;
mod file;
mod junit;
mod matching;
mod metric;
mod plain;
mod run;
mod vacuous;
mod words;

pub use coverage::{Asserted, Coverage, RuleCoverage, RuleFileCoverage, RuleKind};
pub use file::{
    AlertTest, ExpectedAlert, FileError, InputSeries, InputShape, MatchMode, PromqlTest, TestFile,
    TestGroup, TimelineTest,
};
pub use junit::junit_xml;
pub use plain::{Exported, write_plain_files};

use crate::{BackendKind, HarnessError};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

/// How to run test files.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The Prometheus to use; `None`: as [`BackendKind::from_env`] says.
    pub backend: Option<BackendKind>,
    /// Only the test groups whose `name` this matches (promtool's `--run`).
    pub run: Option<regex::Regex>,
    /// How many test groups run at once, each with its own Prometheus (0: one per core).
    pub jobs: usize,
    /// Alert failures as a line diff of expected and got, instead of both lists (as newer
    /// promtool's `--diff`).
    pub diff: bool,
    /// Tests that test nothing are failures, not warnings.
    pub strict: bool,
    /// Also write each passing file that uses promgen's additions as a plain promtool file
    /// ([`FileReport::write_plain`]).
    pub export: bool,
}

/// What running one file found.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file, as named.
    pub file: String,
    /// Rule file patterns that matched nothing (promtool warns of them).
    pub unmatched: Vec<String>,
    /// Why the file could not be run at all: unreadable, unparsable, a repeated group in
    /// `group_eval_order`.
    pub error: Option<String>,
    /// Each test group run, in file order.
    pub tests: Vec<TestReport>,
    /// The rule files it loads (for coverage).
    pub rule_files: Vec<PathBuf>,
    /// The file as read (`None`: it could not be).
    pub source: Option<Arc<TestFile>>,
}

/// What running one test group found.
#[derive(Debug, Clone)]
pub struct TestReport {
    /// Its `name`, or `tests[N]` when it has none.
    pub name: String,
    /// Its failures, in promtool's words (empty: it passed).
    pub failures: Vec<String>,
    /// Why it could not run (a Prometheus that did not start, rules it refused, a limit of
    /// the replay): an error, not a verdict.
    pub error: Option<String>,
    /// Its tests that test nothing (with [`Options::strict`], they are failures instead).
    pub warnings: Vec<String>,
    /// The tests among them that would pass whatever the rules do (`alert_rule_test[1]`):
    /// coverage does not count what they assert.
    pub vacuous: Vec<String>,
    /// Its index in the file's `tests`.
    pub index: usize,
    /// Every alert's timeline over its replay (`None`: it did not replay).
    pub timeline: Option<crate::Timeline>,
    /// The group as a plain promtool test group, with [`Options::export`].
    pub plain: Option<String>,
    /// How long it took.
    pub duration: Duration,
}

impl TestReport {
    /// Whether it ran and every check passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.error.is_none()
    }
}

impl FileReport {
    /// Whether the file ran and every test in it passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.tests.iter().all(TestReport::passed)
    }

    /// What promtool prints for this file, in order, each piece with the stream it goes to:
    /// `Unit Testing:  FILE` (standard output), then `  SUCCESS`, or `  FAILED:` and every
    /// failure (standard error), each followed by an empty line (standard output).
    #[must_use]
    pub fn promtool_output(&self) -> Vec<(Stream, String)> {
        let mut out = vec![(Stream::Out, format!("Unit Testing:  {}\n", self.file))];
        for pattern in &self.unmatched {
            out.push((
                Stream::Err,
                format!("  WARNING: no file match pattern {pattern}\n"),
            ));
        }
        for warning in self.tests.iter().flat_map(|t| &t.warnings) {
            out.push((Stream::Err, format!("  WARNING: {warning}\n")));
        }
        let failures: Vec<&String> = self
            .error
            .iter()
            .chain(
                self.tests
                    .iter()
                    .flat_map(|t| t.error.iter().chain(&t.failures)),
            )
            .collect();
        if failures.is_empty() {
            out.push((Stream::Out, "  SUCCESS\n".into()));
        } else {
            out.push((Stream::Err, "  FAILED:\n".into()));
            for f in failures {
                out.push((Stream::Err, format!("{f}\n")));
                out.push((Stream::Out, "\n".into()));
            }
        }
        out.push((Stream::Out, "\n".into()));
        out
    }

    /// [`FileReport::promtool_output`] as the two streams' texts: standard output, and
    /// standard error.
    #[must_use]
    pub fn promtool_text(&self) -> (String, String) {
        let (mut out, mut err) = (String::new(), String::new());
        for (stream, text) in self.promtool_output() {
            match stream {
                Stream::Out => out.push_str(&text),
                Stream::Err => err.push_str(&text),
            }
        }
        (out, err)
    }
}

impl FileReport {
    /// Every test group's alert timeline, as `--timeline` prints them: a heading naming the
    /// file and group, then [`Timeline`](crate::Timeline)'s table.
    #[must_use]
    pub fn timelines_text(&self) -> String {
        let mut out = String::new();
        for t in &self.tests {
            if let Some(timeline) = &t.timeline {
                out.push_str(&format!("Timeline: {} {}\n", self.file, t.name));
                for line in timeline.to_string().lines() {
                    out.push_str(&format!("  {line}\n"));
                }
                out.push('\n');
            }
        }
        out
    }
}

/// Every test group's alert timeline as JSON, for tools: a list of `{file, test, index,
/// timeline}` ([`Timeline::to_json`](crate::Timeline::to_json)).
#[must_use]
pub fn timelines_json(reports: &[FileReport]) -> serde_json::Value {
    let mut out = Vec::new();
    for r in reports {
        for t in &r.tests {
            out.push(serde_json::json!({
                "file": r.file,
                "test": t.name,
                "index": t.index,
                "timeline": t.timeline.as_ref().map(crate::Timeline::to_json),
            }));
        }
    }
    serde_json::Value::Array(out)
}

/// Which of the standard streams a piece of promtool's output goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output: the verdict lines.
    Out,
    /// Standard error: failures and warnings.
    Err,
}

/// Runs one test file. Never fails: what goes wrong is in the report.
pub async fn run_file(path: impl AsRef<Path>, options: &Options) -> FileReport {
    run_files(&[path.as_ref().to_path_buf()], options)
        .await
        .pop()
        .expect("one report per file")
}

/// Runs test files, their test groups [`Options::jobs`] at a time, each on a Prometheus of
/// its own; a report per file, in the order given.
pub async fn run_files(paths: &[PathBuf], options: &Options) -> Vec<FileReport> {
    let jobs = match options.jobs {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let permits = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut reports = Vec::new();
    let mut tasks = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        let shown = path.display().to_string();
        let mut report = FileReport {
            file: shown.clone(),
            unmatched: Vec::new(),
            error: None,
            tests: Vec::new(),
            rule_files: Vec::new(),
            source: None,
        };
        let file = match TestFile::read(path) {
            Ok(file) => file,
            Err(errors) => {
                report.error = Some(
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                reports.push(report);
                continue;
            }
        };
        let mut seen = std::collections::BTreeSet::new();
        if let Some(g) = file.group_eval_order.iter().find(|g| !seen.insert(*g)) {
            report.error = Some(format!("group name repeated in evaluation order: {g}"));
            reports.push(report);
            continue;
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        let (rule_files, unmatched) = file.resolve_rule_files(dir);
        report.unmatched = unmatched;
        report.rule_files.clone_from(&rule_files);
        let file = Arc::new(file);
        report.source = Some(file.clone());
        let rule_files = Arc::new(rule_files);
        for (t, group) in file.tests.iter().enumerate() {
            if let Some(re) = &options.run
                && !re.is_match(&group.name)
            {
                continue;
            }
            let name = if group.name.is_empty() {
                format!("tests[{t}]")
            } else {
                group.name.clone()
            };
            let (file, rule_files, permits) = (file.clone(), rule_files.clone(), permits.clone());
            let group_options = run::GroupOptions {
                backend: options.backend,
                diff: options.diff,
                export: options.export && file.is_extended(),
            };
            let (strict, shown) = (options.strict, shown.clone());
            tasks.push((
                reports.len(),
                tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    let started = Instant::now();
                    let result = run::run_group(&file, &shown, &rule_files, t, group_options).await;
                    let (mut group, error) = match result {
                        Ok(group) => (group, None),
                        Err(e) => (run::GroupRun::default(), Some(harness_error(&e))),
                    };
                    if strict {
                        let warnings = std::mem::take(&mut group.warnings);
                        group.failures.extend(
                            warnings
                                .into_iter()
                                .map(|w| format!("    tests that test nothing (--strict): {w}")),
                        );
                    }
                    TestReport {
                        name,
                        failures: group.failures,
                        error,
                        warnings: group.warnings,
                        vacuous: group.vacuous,
                        index: t,
                        timeline: group.timeline,
                        plain: group.plain,
                        duration: started.elapsed(),
                    }
                }),
            ));
        }
        let _ = index;
        reports.push(report);
    }
    for (at, task) in tasks {
        let test = match task.await {
            Ok(test) => test,
            Err(e) => TestReport {
                name: String::from("?"),
                failures: Vec::new(),
                error: Some(format!("    the test's task failed: {e}")),
                warnings: Vec::new(),
                vacuous: Vec::new(),
                index: 0,
                timeline: None,
                plain: None,
                duration: Duration::ZERO,
            },
        };
        reports[at].tests.push(test);
    }
    reports
}

/// A harness error as a block of promtool's output: rules Prometheus refuses as promtool
/// prints them (its loader's message, naming the user's file), anything else indented as
/// promtool's errors are.
fn harness_error(e: &HarnessError) -> String {
    if let HarnessError::RefusedRules(message) = e {
        return message.clone();
    }
    e.to_string()
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
