//! Rule coverage (`--coverage`): for every rule of every rule file the tests load, what
//! the test groups that ran (of the test files that load that rule file) assert about it. An alerting rule is covered when a test says
//! it fires, goes pending, or does not fire (an `exp_alerts: []` or a timeline's
//! `never_fires` is an assertion too); a recording rule when an asserted expression reads
//! it: a `promql_expr_test`, or a covered rule (so a chain of recording rules under an
//! asserted alert is covered).

use super::FileReport;
use crate::{
    replay::words,
    timeline::{AlertState, Check},
};
use promgen::config::yaml::{self, Kind, Node};
use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    path::PathBuf,
};

/// What a test asserts about a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Asserted {
    /// That it fires (an `exp_alerts` with alerts, a timeline's firing state).
    Firing,
    /// That it goes pending (a timeline's `pending_at` or pending state).
    Pending,
    /// That it does not fire (an empty `exp_alerts`, `never_fires`, an inactive state).
    NotFiring,
    /// A recording rule: an asserted expression reads its series.
    Read,
}

impl fmt::Display for Asserted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Firing => "firing asserted",
            Self::Pending => "pending asserted",
            Self::NotFiring => "asserted not to fire",
            Self::Read => "read by an asserted expression",
        })
    }
}

/// A rule's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `alert:`.
    Alerting,
    /// `record:`.
    Recording,
}

/// One rule and what was asserted about it (empty: nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCoverage {
    /// `alert:` or `record:`.
    pub name: String,
    /// Which.
    pub kind: RuleKind,
    /// Its group's name.
    pub group: String,
    /// What the tests assert, sorted.
    pub asserted: Vec<Asserted>,
}

/// The rules of one rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFileCoverage {
    /// The file, as the test files reach it.
    pub file: String,
    /// Its rules in file order.
    pub rules: Vec<RuleCoverage>,
    /// Why it could not be read (its rules then count as none).
    pub error: Option<String>,
}

/// Coverage over every rule file the reports' test files load.
///
/// ```
/// use promgen_test::promtool::{Coverage, FileReport};
/// let coverage = Coverage::of(&[]);
/// assert_eq!((coverage.covered(), coverage.total(), coverage.percent()), (0, 0, 100.0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// Each rule file, in the order the test files name them.
    pub files: Vec<RuleFileCoverage>,
}

impl Coverage {
    /// The coverage of the test groups in `reports` (those that ran): what a test asserts
    /// counts for the rule files of its own test file only, and a test that would pass
    /// whatever the rules do ([`TestReport::vacuous`](super::TestReport::vacuous)) asserts
    /// nothing.
    #[must_use]
    pub fn of(reports: &[FileReport]) -> Self {
        // Each rule file once (by its canonical path), as first named; what each test file
        // asserts is applied to its own rule files together (their rules read one another),
        // and the results are joined.
        let mut files: Vec<(PathBuf, RuleFileCoverage, Vec<String>)> = Vec::new();
        for report in reports {
            let said = Said::of(report);
            let mut mine = Vec::new();
            for f in &report.rule_files {
                let key = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
                let at = match files.iter().position(|(k, ..)| *k == key) {
                    Some(at) => at,
                    None => {
                        let (coverage, queries) = read_rules(f);
                        files.push((key, coverage, queries));
                        files.len() - 1
                    }
                };
                if !mine.contains(&at) {
                    mine.push(at);
                }
            }
            let mut local: Vec<(RuleFileCoverage, &[String])> = Vec::new();
            for &at in &mine {
                let mut copy = files[at].1.clone();
                for r in &mut copy.rules {
                    r.asserted.clear();
                }
                local.push((copy, files[at].2.as_slice()));
            }
            said.apply(&mut local);
            let found: Vec<Vec<Vec<Asserted>>> = local
                .into_iter()
                .map(|(f, _)| f.rules.into_iter().map(|r| r.asserted).collect())
                .collect();
            for (&at, rules) in mine.iter().zip(found) {
                for (rule, asserted) in files[at].1.rules.iter_mut().zip(rules) {
                    let mut all: BTreeSet<Asserted> = rule.asserted.drain(..).collect();
                    all.extend(asserted);
                    rule.asserted = all.into_iter().collect();
                }
            }
        }
        let files = files.into_iter().map(|(_, f, _)| f).collect();
        Self { files }
    }

    /// How many rules something is asserted about.
    #[must_use]
    pub fn covered(&self) -> usize {
        self.rules().filter(|r| !r.asserted.is_empty()).count()
    }

    /// How many rules there are.
    #[must_use]
    pub fn total(&self) -> usize {
        self.rules().count()
    }

    /// Covered over total, in percent (100 when there are no rules).
    #[must_use]
    pub fn percent(&self) -> f64 {
        match self.total() {
            0 => 100.0,
            n => self.covered() as f64 * 100.0 / n as f64,
        }
    }

    fn rules(&self) -> impl Iterator<Item = &RuleCoverage> {
        self.files.iter().flat_map(|f| &f.rules)
    }
}

/// The table `--coverage` prints.
impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Rule coverage:")?;
        for file in &self.files {
            writeln!(f, "  {}", file.file)?;
            if let Some(e) = &file.error {
                writeln!(f, "    could not be read: {e}")?;
            }
            let width = file.rules.iter().map(|r| r.name.len()).max().unwrap_or(0);
            for r in &file.rules {
                let kind = match r.kind {
                    RuleKind::Alerting => "alert ",
                    RuleKind::Recording => "record",
                };
                let what = if r.asserted.is_empty() {
                    "NOT ASSERTED".to_owned()
                } else {
                    r.asserted
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                writeln!(f, "    {kind}  {:width$}  {what}", r.name)?;
            }
        }
        writeln!(
            f,
            "  {} of {} rules covered ({:.1}%)",
            self.covered(),
            self.total(),
            self.percent()
        )
    }
}

/// What the test groups of some test files assert: per alert name, and the expressions
/// their `promql_expr_test`s evaluate.
#[derive(Debug, Clone, Default)]
struct Said {
    alerts: BTreeMap<String, BTreeSet<Asserted>>,
    exprs: Vec<String>,
}

impl Said {
    fn of(report: &FileReport) -> Self {
        let mut said = Self::default();
        let Some(source) = &report.source else {
            return said;
        };
        for test in &report.tests {
            let Some(group) = source.tests.get(test.index) else {
                continue;
            };
            let counts = |what: String| !test.vacuous.contains(&what);
            for (i, t) in group.alert_rule_tests.iter().enumerate() {
                if !counts(format!("alert_rule_test[{i}]")) {
                    continue;
                }
                let what = if t.exp_alerts.is_empty() {
                    Asserted::NotFiring
                } else {
                    Asserted::Firing
                };
                said.alerts
                    .entry(t.alertname.clone())
                    .or_default()
                    .insert(what);
            }
            for t in &group.alert_timeline_tests {
                let entry = said.alerts.entry(t.alertname.clone()).or_default();
                for (_, check) in &t.checks {
                    entry.insert(match check {
                        Check::State(_, AlertState::Pending) => Asserted::Pending,
                        Check::State(_, AlertState::Firing)
                        | Check::StartsFiringBetween(..)
                        | Check::ResolvesBetween(..) => Asserted::Firing,
                        Check::State(_, AlertState::Inactive)
                        | Check::NeverFires
                        | Check::NeverFiresBefore(_) => Asserted::NotFiring,
                    });
                }
            }
            for (i, t) in group.promql_expr_tests.iter().enumerate() {
                if counts(format!("promql_expr_test[{i}]")) {
                    said.exprs.push(t.expr.clone());
                }
            }
        }
        said
    }

    /// Marks the rules of `files` (each with its rules' expressions) with what is said of
    /// them: alerting rules by name, then recording rules read by an asserted expression (a
    /// `promql_expr_test`, or a covered rule of these files), until nothing more is.
    fn apply(&self, files: &mut [(RuleFileCoverage, &[String])]) {
        for rule in files.iter_mut().flat_map(|(f, _)| f.rules.iter_mut()) {
            if rule.kind == RuleKind::Alerting
                && let Some(a) = self.alerts.get(&rule.name)
            {
                rule.asserted = a.iter().copied().collect();
            }
        }
        let mut read: Vec<String> = self.exprs.clone();
        loop {
            let mut grew = false;
            for (file, queries) in files.iter_mut() {
                for (rule, query) in file.rules.iter_mut().zip(queries.iter()) {
                    let reads = |q: &String| words(q).any(|w| w == rule.name);
                    if rule.kind == RuleKind::Recording
                        && rule.asserted.is_empty()
                        && read.iter().any(reads)
                    {
                        rule.asserted = vec![Asserted::Read];
                        grew = true;
                    }
                    if !rule.asserted.is_empty() && !read.contains(query) {
                        read.push(query.clone());
                        grew = true;
                    }
                }
            }
            if !grew {
                break;
            }
        }
    }
}

/// A rule file's rules, with their expressions (in the same order).
fn read_rules(path: &PathBuf) -> (RuleFileCoverage, Vec<String>) {
    let mut out = RuleFileCoverage {
        file: path.display().to_string(),
        rules: Vec::new(),
        error: None,
    };
    let mut queries = Vec::new();
    let root = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| {
            yaml::parse(&t).map_err(|e| format!("{}:{}: {}", e.at.line, e.at.column, e.message))
        }) {
        Ok(Some(root)) => root,
        Ok(None) => return (out, queries),
        Err(e) => {
            out.error = Some(e);
            return (out, queries);
        }
    };
    for group in items(get(&root, "groups")) {
        let group_name = scalar(get(group, "name")).unwrap_or_default();
        for rule in items(get(group, "rules")) {
            let (name, kind) = match (scalar(get(rule, "alert")), scalar(get(rule, "record"))) {
                (Some(a), _) => (a, RuleKind::Alerting),
                (None, Some(r)) => (r, RuleKind::Recording),
                _ => continue,
            };
            queries.push(scalar(get(rule, "expr")).unwrap_or_default());
            out.rules.push(RuleCoverage {
                name,
                kind,
                group: group_name.clone(),
                asserted: Vec::new(),
            });
        }
    }
    (out, queries)
}

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.kind {
        Kind::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(&k.kind, Kind::Scalar { text, .. } if text == key))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn items(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.kind) {
        Some(Kind::Seq(items)) => items,
        _ => &[],
    }
}

fn scalar(node: Option<&Node>) -> Option<String> {
    match node.map(|n| &n.kind) {
        Some(Kind::Scalar { text, .. }) => Some(text.clone()),
        _ => None,
    }
}
