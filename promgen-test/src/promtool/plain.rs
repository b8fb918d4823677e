//! A test file with promgen's additions written as a plain promtool file (`--export`), so a
//! team can keep `promtool test rules` in CI and author with promgen: shapes become the
//! values they draw, in promtool's notation; `match:` tests become the alerts that matched,
//! listed whole; every `alert_timeline_test` becomes an `alert_rule_test` at each evaluation,
//! listing the alerts firing there (the states promtool can see). The plain file passes
//! `promtool test rules` exactly when promtool agrees with the replay at every step.

use super::{
    file::{TestFile, TestGroup},
    words::ListedAlert,
};
use crate::{
    Feed, HarnessError, Timeline,
    export::{input_series, map, quote},
};
use promgen::{FormatValue, time::Duration as PromDuration};
use std::fmt::Write as _;

/// The alert names of the group's timeline tests, each once, in order.
pub(crate) fn alert_names(group: &TestGroup) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for t in &group.alert_timeline_tests {
        if !names.contains(&t.alertname) {
            names.push(t.alertname.clone());
        }
    }
    names
}

/// One group as a plain promtool test group (a `tests:` item): `steps` are the firing
/// alerts of each timeline test's alert name at every evaluation, `matched` those of each
/// `match:` alert test (by its `eval_time`, in the order of those tests).
pub(crate) fn group(
    group: &TestGroup,
    feed: &Feed,
    timeline: &Timeline,
    steps: &[(String, i64, Vec<ListedAlert>)],
    matched: &[(i64, Vec<ListedAlert>)],
) -> Result<String, HarnessError> {
    let mut y = String::from("  -");
    let mut first = true;
    let mut key = |y: &mut String, k: &str| {
        if first {
            first = false;
            let _ = write!(y, " {k}:");
        } else {
            let _ = write!(y, "    {k}:");
        }
    };
    if !group.name.is_empty() {
        key(&mut y, "name");
        let _ = writeln!(y, " {}", quote(&group.name));
    }
    key(&mut y, "interval");
    let _ = writeln!(y, " {}", PromDuration(feed.interval_ms()));
    if !group.external_labels.is_empty() {
        key(&mut y, "external_labels");
        pairs(&mut y, &group.external_labels, "      ");
    }
    if !group.external_url.is_empty() {
        key(&mut y, "external_url");
        let _ = writeln!(y, " {}", quote(&group.external_url));
    }
    key(&mut y, "input_series");
    let series = input_series(feed, timeline)?;
    if series.is_empty() {
        y.push_str(" []\n");
    } else {
        y.push('\n');
        for (labels, values) in series {
            let _ = writeln!(
                y,
                "      - series: {}\n        values: {}",
                quote(&labels),
                quote(&values)
            );
        }
    }
    let mut tests: Vec<(i64, &str, Vec<ListedAlert>, bool)> = Vec::new();
    let mut matched = matched.iter();
    for t in &group.alert_rule_tests {
        let alerts = if t.is_promtools() {
            t.exp_alerts
                .iter()
                .map(|e| ListedAlert {
                    labels: e.labels.clone(),
                    annotations: e.annotations.clone(),
                })
                .collect()
        } else {
            matched.next().map(|(_, a)| a.clone()).unwrap_or_default()
        };
        tests.push((t.eval_time_ms, &t.alertname, alerts, t.is_promtools()));
    }
    for (name, ts, alerts) in steps {
        tests.push((*ts, name, alerts.clone(), false));
    }
    if !tests.is_empty() {
        key(&mut y, "alert_rule_test");
        y.push('\n');
        for (eval_time, name, alerts, as_written) in tests {
            let _ = writeln!(
                y,
                "      - eval_time: {}\n        alertname: {}",
                PromDuration(eval_time),
                quote(name)
            );
            if alerts.is_empty() {
                y.push_str("        exp_alerts: []\n");
                continue;
            }
            y.push_str("        exp_alerts:\n");
            for a in alerts {
                let mut labels = a.labels.clone();
                if !as_written {
                    labels.remove("alertname");
                }
                y.push_str("          - exp_labels:");
                pairs(&mut y, &labels, "              ");
                y.push_str("            exp_annotations:");
                pairs(&mut y, &a.annotations, "              ");
            }
        }
    }
    if !group.promql_expr_tests.is_empty() {
        key(&mut y, "promql_expr_test");
        y.push('\n');
        for t in &group.promql_expr_tests {
            let _ = writeln!(
                y,
                "      - expr: {}\n        eval_time: {}",
                quote(&t.expr),
                PromDuration(t.eval_time_ms)
            );
            if t.exp_samples.is_empty() {
                y.push_str("        exp_samples: []\n");
                continue;
            }
            y.push_str("        exp_samples:\n");
            for (labels, value) in &t.exp_samples {
                let _ = writeln!(
                    y,
                    "          - labels: {}\n            value: {}",
                    quote(labels),
                    yaml_float(*value)
                );
            }
        }
    }
    Ok(y)
}

/// The whole plain file: `rule_files` as given (relative to where it is written), the
/// file's `evaluation_interval` and `group_eval_order`, and the groups.
pub(crate) fn file(source: &TestFile, rule_files: &[String], groups: &[String]) -> String {
    let mut y =
        String::from("# Written by `promgen-cli test --export`: a plain promtool test file.\n");
    y.push_str("rule_files:\n");
    for f in rule_files {
        let _ = writeln!(y, "  - {}", quote(f));
    }
    let _ = writeln!(
        y,
        "evaluation_interval: {}",
        PromDuration(source.evaluation_interval_ms)
    );
    if !source.group_eval_order.is_empty() {
        y.push_str("group_eval_order:\n");
        for g in &source.group_eval_order {
            let _ = writeln!(y, "  - {}", quote(g));
        }
    }
    y.push_str("tests:\n");
    for g in groups {
        y.push_str(g);
    }
    y
}

/// A mapping of names to values, block style (`{}` when empty).
fn pairs(y: &mut String, labels: &crate::state::LabelMap, indent: &str) {
    map(y, labels.iter().collect(), indent);
}

/// A float as YAML reads it back to the same float64.
fn yaml_float(v: f64) -> String {
    if v.is_nan() {
        ".nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { ".inf" } else { "-.inf" }.into()
    } else {
        FormatValue(v).to_string()
    }
}

/// What `--export` did with one test file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exported {
    /// Written here.
    Written(std::path::PathBuf),
    /// A plain promtool file already: nothing to write.
    AlreadyPlain,
    /// It did not pass, or could not run: its plain form would not say what it says.
    DidNotPass,
    /// No test group of it ran (`--run`): its plain form would test nothing.
    NothingRan,
}

/// Writes each report's file that uses promgen's additions as a plain promtool file into
/// `dir` (same file name; `rule_files` relative to `dir`): what happened to each, in order.
/// Two files of the same name are refused before anything is written.
///
/// # Errors
/// Two test files of one name, a file that would overwrite its own test file, or `dir`
/// that cannot be made or written.
pub fn write_plain_files(
    reports: &[super::FileReport],
    dir: &std::path::Path,
) -> std::io::Result<Vec<Exported>> {
    let mut names: Vec<(&std::ffi::OsStr, &str)> = Vec::new();
    for r in reports.iter().filter(|r| r.plain_groups().is_some()) {
        let name = file_name(r)?;
        if let Some((_, other)) = names.iter().find(|(n, _)| *n == name) {
            return Err(std::io::Error::other(format!(
                "{other} and {} would both be written as {}: export them into different directories",
                r.file,
                dir.join(name).display()
            )));
        }
        names.push((name, &r.file));
    }
    reports.iter().map(|r| r.write_plain(dir)).collect()
}

fn file_name(r: &super::FileReport) -> std::io::Result<&std::ffi::OsStr> {
    std::path::Path::new(&r.file)
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{}: not a file name", r.file)))
}

impl super::FileReport {
    /// The plain groups to write, when the file is to be exported.
    fn plain_groups(&self) -> Option<Vec<String>> {
        let source = self.source.as_ref()?;
        if !source.is_extended() || !self.passed() || self.tests.is_empty() {
            return None;
        }
        self.tests.iter().map(|t| t.plain.clone()).collect()
    }

    /// Writes the file as a plain promtool file into `dir` (same file name), its
    /// `rule_files` relative to `dir`, and says what it did: nothing for a plain promtool
    /// file already, one that did not pass (its plain form would not say what it says), or
    /// one of whose test groups none ran.
    ///
    /// # Errors
    /// `dir` cannot be made or written, the file would overwrite its own test file, or the
    /// file's name cannot be had.
    pub fn write_plain(&self, dir: &std::path::Path) -> std::io::Result<Exported> {
        let Some(source) = &self.source else {
            return Ok(Exported::DidNotPass);
        };
        if !source.is_extended() {
            return Ok(Exported::AlreadyPlain);
        }
        if self.passed() && self.tests.is_empty() {
            return Ok(Exported::NothingRan);
        }
        let Some(groups) = self.plain_groups() else {
            return Ok(Exported::DidNotPass);
        };
        std::fs::create_dir_all(dir)?;
        let rule_files: Vec<String> = self
            .rule_files
            .iter()
            .map(|f| relative(dir, f))
            .collect::<std::io::Result<_>>()?;
        let path = dir.join(file_name(self)?);
        let same = |a: &std::path::Path, b: &std::path::Path| matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b);
        if same(&path, std::path::Path::new(&self.file)) {
            return Err(std::io::Error::other(format!(
                "{} would overwrite the test file itself: export into another directory",
                path.display()
            )));
        }
        std::fs::write(&path, file(source, &rule_files, &groups))?;
        Ok(Exported::Written(path))
    }
}

/// `to` as a path relative to the directory `from` (both made absolute first).
fn relative(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<String> {
    use std::path::Component;
    let (from, to) = (std::fs::canonicalize(from)?, std::fs::canonicalize(to)?);
    let (a, b): (Vec<Component<'_>>, Vec<Component<'_>>) =
        (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = std::path::PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c.as_os_str());
    }
    Ok(out.to_string_lossy().into_owned())
}
