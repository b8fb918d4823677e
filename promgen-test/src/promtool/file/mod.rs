//! A `promtool test rules` file, read as promtool 2.42 reads it (`cmd/promtool/unittest.go`,
//! `yaml.UnmarshalStrict`): unknown keys and values of the wrong kind are errors, each with
//! the file, line, column and key path.

mod additions;

pub use additions::{ExpectedAlert, InputShape, MatchMode, TimelineTest};

use crate::state::LabelMap;
use promgen::config::yaml::{self, Kind, Node, Position};
use std::path::{Path, PathBuf};

/// A test file.
#[derive(Debug, Clone, PartialEq)]
pub struct TestFile {
    /// `rule_files` as written (relative to the test file's directory, globs).
    pub rule_files: Vec<String>,
    /// `evaluation_interval` in ms (promtool's default: 1m).
    pub evaluation_interval_ms: i64,
    /// `group_eval_order`.
    pub group_eval_order: Vec<String>,
    /// `tests`.
    pub tests: Vec<TestGroup>,
}

/// One entry of `tests`: input series, and what to check.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestGroup {
    /// `name` (may be empty).
    pub name: String,
    /// `interval` in ms: the input series' step (0 when omitted: promtool then puts every
    /// value at `0s`, where only the first is kept).
    pub interval_ms: i64,
    /// `input_series`: labels as written, values in the expanding notation.
    pub input_series: Vec<InputSeries>,
    /// `alert_rule_test`.
    pub alert_rule_tests: Vec<AlertTest>,
    /// `promql_expr_test`.
    pub promql_expr_tests: Vec<PromqlTest>,
    /// `external_labels`: what templates see as `$externalLabels`.
    pub external_labels: LabelMap,
    /// `external_url`: what templates see as `$externalURL`.
    pub external_url: String,
    /// `alert_timeline_test` (promgen's): what alerts do over the whole replay.
    pub alert_timeline_tests: Vec<TimelineTest>,
    /// `length` (promgen's): evaluate from `0s` to this; by default, the latest time a test
    /// names.
    pub length_ms: Option<i64>,
    /// Where the entry starts, for messages.
    pub at: Position,
}

/// An input series.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSeries {
    /// `series`: `name{label="value"}`.
    pub series: String,
    /// `values`: `0+10x30 _x5 stale` (empty when `shape` gives them).
    pub values: String,
    /// `shape:` or `data:` (promgen's), instead of `values`.
    pub shape: Option<InputShape>,
    /// Where the entry starts.
    pub at: Position,
}

/// An `alert_rule_test` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertTest {
    /// `eval_time` in ms.
    pub eval_time_ms: i64,
    /// `alertname`.
    pub alertname: String,
    /// `exp_alerts`: labels (without `alertname`) and annotations of each firing alert.
    pub exp_alerts: Vec<ExpectedAlert>,
    /// `match:` (promgen's), for every expected alert that does not say.
    pub match_mode: Option<MatchMode>,
    /// Where the entry starts.
    pub at: Position,
}

impl AlertTest {
    /// Whether it is compared as promtool compares (no `match:` anywhere): every label and
    /// annotation, values as written.
    #[must_use]
    pub fn is_promtools(&self) -> bool {
        self.match_mode.is_none() && self.exp_alerts.iter().all(|e| e.match_mode.is_none())
    }
}

impl TestFile {
    /// Whether it uses anything promgen adds to promtool's format (and so needs promgen to
    /// run, or [`write_plain_files`](super::write_plain_files) to become a plain promtool file).
    #[must_use]
    pub fn is_extended(&self) -> bool {
        self.tests.iter().any(|g| {
            !g.alert_timeline_tests.is_empty()
                || g.length_ms.is_some()
                || g.input_series.iter().any(|s| s.shape.is_some())
                || g.alert_rule_tests.iter().any(|t| !t.is_promtools())
        })
    }
}

/// A `promql_expr_test` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PromqlTest {
    /// `expr`.
    pub expr: String,
    /// `eval_time` in ms.
    pub eval_time_ms: i64,
    /// `exp_samples`: labels as written (`name{…}` or `{…}`) and value.
    pub exp_samples: Vec<(String, f64)>,
    /// Where the entry starts.
    pub at: Position,
}

/// A mistake in a test file: where, and what.
///
/// Displays as `t.yml:5:5: tests[0].evaluation_time: unknown key (…)`, or `t.yml: …` for
/// a file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FileError {
    /// The file, as named.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Key path (`tests[0].alert_rule_test[1].eval_time`), empty for the document.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(": ")?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl TestFile {
    /// Parses a test file's text; `file` names it in errors.
    ///
    /// ```
    /// use promgen_test::promtool::TestFile;
    /// let text = "rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    input_series: []\n    evaluation_time: 5m\n";
    /// let errors = TestFile::parse(text, "t.yml").unwrap_err();
    /// assert_eq!(
    ///     errors[0].to_string(),
    ///     "t.yml:5:5: tests[0].evaluation_time: unknown key (a test group has: interval, input_series, alert_rule_test, promql_expr_test, external_labels, external_url, name, alert_timeline_test, length)"
    /// );
    /// ```
    ///
    /// # Errors
    /// Every mistake found: YAML syntax, unknown keys, values of the wrong kind, bad
    /// durations.
    pub fn parse(text: &str, file: &str) -> Result<Self, Vec<FileError>> {
        let mut r = Reader {
            file,
            errors: Vec::new(),
        };
        let root = match yaml::parse(text) {
            Ok(Some(root)) => root,
            Ok(None) => Node {
                kind: Kind::Map(Vec::new().into()),
                at: Position { line: 1, column: 1 },
            },
            Err(e) => {
                return Err(vec![FileError {
                    file: file.to_owned(),
                    line: e.at.line,
                    column: e.at.column,
                    path: String::new(),
                    message: e.message,
                }]);
            }
        };
        let parsed = r.file(&root);
        if r.errors.is_empty() {
            Ok(parsed)
        } else {
            // In the order they stand in the file, whatever order they were found in.
            r.errors.sort_by_key(|e| (e.line, e.column));
            Err(r.errors)
        }
    }

    /// Reads and parses the file at `path`.
    ///
    /// # Errors
    /// The file cannot be read, or [`TestFile::parse`]'s.
    pub fn read(path: &Path) -> Result<Self, Vec<FileError>> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![FileError {
                file: shown.clone(),
                line: 0,
                column: 0,
                path: String::new(),
                message: e.to_string(),
            }]
        })?;
        Self::parse(&text, &shown)
    }

    /// The rule files: each pattern joined to `dir` when relative, then globbed, as
    /// promtool does; the patterns that match nothing come second (promtool warns of them).
    pub fn resolve_rule_files(&self, dir: &Path) -> (Vec<PathBuf>, Vec<String>) {
        let mut files = Vec::new();
        let mut unmatched = Vec::new();
        for pattern in &self.rule_files {
            let joined = if pattern.is_empty() || Path::new(pattern).is_absolute() {
                PathBuf::from(pattern)
            } else {
                dir.join(pattern)
            };
            let text = joined.to_string_lossy().into_owned();
            let found: Vec<PathBuf> = match glob::glob(&text) {
                Ok(paths) => paths.filter_map(Result::ok).collect(),
                Err(_) => Vec::new(),
            };
            if found.is_empty() {
                unmatched.push(text);
            }
            files.extend(found);
        }
        (files, unmatched)
    }
}

const FILE_KEYS: &[&str] = &[
    "rule_files",
    "evaluation_interval",
    "group_eval_order",
    "tests",
];
const GROUP_KEYS: &[&str] = &[
    "interval",
    "input_series",
    "alert_rule_test",
    "promql_expr_test",
    "external_labels",
    "external_url",
    "name",
    "alert_timeline_test",
    "length",
];
const SERIES_KEYS: &[&str] = &["series", "values", "shape", "data"];
const ALERT_TEST_KEYS: &[&str] = &["eval_time", "alertname", "exp_alerts", "match"];
const ALERT_KEYS: &[&str] = &["exp_labels", "exp_annotations", "match"];
const PROMQL_KEYS: &[&str] = &["expr", "eval_time", "exp_samples"];
const SAMPLE_KEYS: &[&str] = &["labels", "value"];

struct Reader<'f> {
    file: &'f str,
    errors: Vec<FileError>,
}

impl Reader<'_> {
    fn error(&mut self, at: Position, path: &str, message: impl Into<String>) {
        self.errors.push(FileError {
            file: self.file.to_owned(),
            line: at.line,
            column: at.column,
            path: path.to_owned(),
            message: message.into(),
        });
    }

    /// A mapping's entries, each key checked against `known` (`what` names the mapping).
    fn map<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        known: &[&str],
        what: &str,
    ) -> Vec<(&'n str, &'n Node)> {
        let entries = match &node.kind {
            Kind::Map(entries) => entries,
            _ if node.is_null() => return Vec::new(),
            _ => {
                self.error(
                    node.at,
                    path,
                    format!("expected {what} (a mapping), found {}", node.describe()),
                );
                return Vec::new();
            }
        };
        let mut out: Vec<(&'n str, &'n Node)> = Vec::new();
        for (key, value) in entries {
            let Kind::Scalar { text, .. } = &key.kind else {
                self.error(key.at, path, "a key must be a string");
                continue;
            };
            let key_path = join(path, text);
            if !known.contains(&text.as_str()) {
                self.error(
                    key.at,
                    &key_path,
                    format!("unknown key ({what} has: {})", known.join(", ")),
                );
                continue;
            }
            if out.iter().any(|(k, _)| k == text) {
                self.error(key.at, &key_path, "repeated key");
                continue;
            }
            out.push((text.as_str(), value));
        }
        out
    }

    fn seq<'n>(&mut self, node: &'n Node, path: &str) -> &'n [Node] {
        match &node.kind {
            Kind::Seq(items) => items,
            _ if node.is_null() => &[],
            _ => {
                self.error(
                    node.at,
                    path,
                    format!("expected a list, found {}", node.describe()),
                );
                &[]
            }
        }
    }

    /// A scalar as a string, as yaml.v2 decodes into a Go string (null is "").
    fn string(&mut self, node: &Node, path: &str) -> String {
        match &node.kind {
            _ if node.is_null() => String::new(),
            Kind::Scalar { text, .. } => text.clone(),
            _ => {
                self.error(
                    node.at,
                    path,
                    format!("expected a string, found {}", node.describe()),
                );
                String::new()
            }
        }
    }

    fn duration(&mut self, node: &Node, path: &str) -> i64 {
        if node.is_null() {
            return 0;
        }
        let text = self.string(node, path);
        match promgen::time::parse_duration(&text) {
            Ok(ms) if ms >= 0 => ms,
            _ => {
                self.error(
                    node.at,
                    path,
                    format!("{text:?} is not a duration (such as 30s, 1m30s, 2h)"),
                );
                0
            }
        }
    }

    /// A YAML number as Go's float64 decoding takes it.
    fn float(&mut self, node: &Node, path: &str) -> f64 {
        match &node.kind {
            _ if node.is_null() => 0.0,
            Kind::Scalar { text, plain: true } => match yaml_float(text) {
                Some(v) => v,
                None => {
                    self.error(node.at, path, format!("{text:?} is not a number"));
                    0.0
                }
            },
            Kind::Scalar { text, .. } => {
                self.error(
                    node.at,
                    path,
                    format!("{text:?} is quoted: a value is a number (.inf, -.inf and .nan for the special ones)"),
                );
                0.0
            }
            _ => {
                self.error(
                    node.at,
                    path,
                    format!("expected a number, found {}", node.describe()),
                );
                0.0
            }
        }
    }

    fn string_map(&mut self, node: &Node, path: &str) -> LabelMap {
        let mut out = LabelMap::new();
        let entries = match &node.kind {
            Kind::Map(entries) => entries,
            _ if node.is_null() => return out,
            _ => {
                self.error(
                    node.at,
                    path,
                    format!(
                        "expected a mapping of names to values, found {}",
                        node.describe()
                    ),
                );
                return out;
            }
        };
        for (key, value) in entries {
            let name = self.string(key, path);
            let value = self.string(value, &join(path, &name));
            out.insert(name, value);
        }
        out
    }

    fn file(&mut self, root: &Node) -> TestFile {
        let mut file = TestFile {
            rule_files: Vec::new(),
            evaluation_interval_ms: 0,
            group_eval_order: Vec::new(),
            tests: Vec::new(),
        };
        for (key, value) in self.map(root, "", FILE_KEYS, "a test file") {
            match key {
                "rule_files" => {
                    for (i, item) in self.seq(value, key).iter().enumerate() {
                        let f = self.string(item, &format!("rule_files[{i}]"));
                        file.rule_files.push(f);
                    }
                }
                "evaluation_interval" => file.evaluation_interval_ms = self.duration(value, key),
                "group_eval_order" => {
                    for (i, item) in self.seq(value, key).iter().enumerate() {
                        let g = self.string(item, &format!("group_eval_order[{i}]"));
                        file.group_eval_order.push(g);
                    }
                }
                "tests" => {
                    for (i, item) in self.seq(value, key).iter().enumerate() {
                        let group = self.group(item, &format!("tests[{i}]"));
                        file.tests.push(group);
                    }
                }
                _ => unreachable!("keys are checked"),
            }
        }
        if file.evaluation_interval_ms == 0 {
            file.evaluation_interval_ms = 60_000;
        }
        file
    }

    fn group(&mut self, node: &Node, path: &str) -> TestGroup {
        let mut group = TestGroup {
            at: node.at,
            ..TestGroup::default()
        };
        for (key, value) in self.map(node, path, GROUP_KEYS, "a test group") {
            let key_path = join(path, key);
            match key {
                "interval" => group.interval_ms = self.duration(value, &key_path),
                "name" => group.name = self.string(value, &key_path),
                "external_url" => group.external_url = self.string(value, &key_path),
                "external_labels" => group.external_labels = self.string_map(value, &key_path),
                "length" => group.length_ms = Some(self.length(value, &key_path)),
                "alert_timeline_test" => {
                    for (i, item) in self.seq(value, &key_path).iter().enumerate() {
                        let test = self.timeline_test(item, &format!("{key_path}[{i}]"));
                        group.alert_timeline_tests.push(test);
                    }
                }
                "input_series" => {
                    for (i, item) in self.seq(value, &key_path).iter().enumerate() {
                        let series = self.input_series(item, &format!("{key_path}[{i}]"));
                        group.input_series.push(series);
                    }
                }
                "alert_rule_test" => {
                    for (i, item) in self.seq(value, &key_path).iter().enumerate() {
                        let test = self.alert_test(item, &format!("{key_path}[{i}]"));
                        group.alert_rule_tests.push(test);
                    }
                }
                "promql_expr_test" => {
                    for (i, item) in self.seq(value, &key_path).iter().enumerate() {
                        let test = self.promql_test(item, &format!("{key_path}[{i}]"));
                        group.promql_expr_tests.push(test);
                    }
                }
                _ => unreachable!("keys are checked"),
            }
        }
        // "Never" needs an end: the latest time another test names would make it end there
        // without a word.
        if group.length_ms.is_none() {
            for (i, t) in group.alert_timeline_tests.iter().enumerate() {
                if t.checks.iter().any(|(_, c)| *c == crate::Check::NeverFires) {
                    self.error(
                        t.at,
                        &format!("{path}.alert_timeline_test[{i}].never_fires"),
                        "never until when? give the group a `length:` (such as length: 6h): it is evaluated from 0s to that",
                    );
                }
            }
        }
        group
    }

    fn input_series(&mut self, node: &Node, path: &str) -> InputSeries {
        let mut series = InputSeries {
            series: String::new(),
            values: String::new(),
            shape: None,
            at: node.at,
        };
        let entries = self.map(node, path, SERIES_KEYS, "an input series");
        let given: Vec<&str> = entries
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| *k != "series")
            .collect();
        if given.len() > 1 {
            self.error(
                node.at,
                path,
                format!("{} both give the values: keep one", given.join(" and ")),
            );
        }
        for (k, v) in entries {
            let p = join(path, k);
            match k {
                "series" => series.series = self.string(v, &p),
                "values" => series.values = self.string(v, &p),
                "shape" => series.shape = self.shape(v, &p),
                _ => series.shape = self.data(v, &p),
            }
        }
        series
    }

    fn alert_test(&mut self, node: &Node, path: &str) -> AlertTest {
        let mut test = AlertTest {
            eval_time_ms: 0,
            alertname: String::new(),
            exp_alerts: Vec::new(),
            match_mode: None,
            at: node.at,
        };
        let mut maps = Vec::new();
        for (key, value) in self.map(node, path, ALERT_TEST_KEYS, "an alert test") {
            let key_path = join(path, key);
            match key {
                "eval_time" => test.eval_time_ms = self.duration(value, &key_path),
                "alertname" => test.alertname = self.string(value, &key_path),
                "match" => test.match_mode = self.match_mode(value, &key_path),
                "exp_alerts" => {
                    for (i, item) in self.seq(value, &key_path).iter().enumerate() {
                        let p = format!("{key_path}[{i}]");
                        let mut expected = ExpectedAlert {
                            labels: LabelMap::new(),
                            annotations: LabelMap::new(),
                            match_mode: None,
                        };
                        for (k, v) in self.map(item, &p, ALERT_KEYS, "an expected alert") {
                            let kp = join(&p, k);
                            match k {
                                "match" => expected.match_mode = self.match_mode(v, &kp),
                                "exp_labels" => {
                                    expected.labels = self.string_map(v, &kp);
                                    maps.push((v, kp, expected.labels.clone()));
                                }
                                _ => {
                                    expected.annotations = self.string_map(v, &kp);
                                    maps.push((v, kp, expected.annotations.clone()));
                                }
                            }
                        }
                        test.exp_alerts.push(expected);
                    }
                }
                _ => unreachable!("keys are checked"),
            }
        }
        // `=~re` is a regex only where `match:` says promgen compares: check they compile.
        if !test.is_promtools() {
            for (node, p, map) in maps {
                self.check_regexes(node, &p, &map);
            }
        }
        test
    }

    fn promql_test(&mut self, node: &Node, path: &str) -> PromqlTest {
        let mut test = PromqlTest {
            expr: String::new(),
            eval_time_ms: 0,
            exp_samples: Vec::new(),
            at: node.at,
        };
        for (key, value) in self.map(node, path, PROMQL_KEYS, "a PromQL test") {
            let key_path = join(path, key);
            match key {
                "expr" => test.expr = self.string(value, &key_path),
                "eval_time" => test.eval_time_ms = self.duration(value, &key_path),
                "exp_samples" => {
                    for (i, item) in self.seq(value, &key_path).iter().enumerate() {
                        let p = format!("{key_path}[{i}]");
                        let (mut labels, mut v) = (String::new(), 0.0);
                        for (k, val) in self.map(item, &p, SAMPLE_KEYS, "an expected sample") {
                            if k == "labels" {
                                labels = self.string(val, &join(&p, k));
                            } else {
                                v = self.float(val, &join(&p, k));
                            }
                        }
                        test.exp_samples.push((labels, v));
                    }
                }
                _ => unreachable!("keys are checked"),
            }
        }
        test
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A plain YAML scalar as yaml.v2 resolves it to a float64: decimal, hexadecimal, octal
/// and binary integers, decimal floats, `.inf`, `.nan`; underscores as digit separators.
fn yaml_float(text: &str) -> Option<f64> {
    let t = text.replace('_', "");
    match t.as_str() {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find_map(|(p, r)| digits.strip_prefix(p).map(|d| (d, *r)));
    if let Some((d, r)) = radix {
        let v = i64::from_str_radix(d, r).ok()? as f64;
        return Some(if negative { -v } else { v });
    }
    // Words Rust reads as floats but YAML does not.
    if !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let v: f64 = digits.parse().ok()?;
    Some(if negative { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_file_reads() {
        let text = r#"
rule_files: [rules/*.yml]
evaluation_interval: 30s
group_eval_order: [a, b]
tests:
  - name: errors
    interval: 1m
    external_labels: {cluster: eu}
    external_url: http://prom.example
    input_series:
      - series: 'up{job="api"}'
        values: 1x10
    alert_rule_test:
      - eval_time: 5m
        alertname: Down
        exp_alerts:
          - exp_labels: {severity: page, code: 500}
            exp_annotations: {summary: "api is down"}
    promql_expr_test:
      - expr: up
        eval_time: 1m
        exp_samples:
          - labels: 'up{job="api"}'
            value: 1
          - labels: '{}'
            value: .nan
"#;
        let f = TestFile::parse(text, "t.yml").unwrap();
        assert_eq!(f.evaluation_interval_ms, 30_000);
        assert_eq!(f.group_eval_order, ["a", "b"]);
        let t = &f.tests[0];
        assert_eq!((t.name.as_str(), t.interval_ms), ("errors", 60_000));
        assert_eq!(t.external_labels["cluster"], "eu");
        assert_eq!(t.alert_rule_tests[0].exp_alerts[0].labels["code"], "500");
        assert_eq!(t.promql_expr_tests[0].exp_samples[0].1, 1.0);
        assert!(t.promql_expr_tests[0].exp_samples[1].1.is_nan());
    }

    #[test]
    fn the_default_evaluation_interval_is_a_minute() {
        let f = TestFile::parse("tests: []", "t.yml").unwrap();
        assert_eq!(f.evaluation_interval_ms, 60_000);
    }

    #[test]
    fn every_mistake_is_reported_with_its_place() {
        let text = "tests:\n  - interval: soon\n    promql_expr_test:\n      - expr: up\n        exp_samples: [{labels: up, value: \"1\"}]\n        eval: 1m\n";
        let errors: Vec<String> = TestFile::parse(text, "t.yml")
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "t.yml:2:15: tests[0].interval: \"soon\" is not a duration (such as 30s, 1m30s, 2h)",
                "t.yml:5:43: tests[0].promql_expr_test[0].exp_samples[0].value: \"1\" is quoted: a value is a number (.inf, -.inf and .nan for the special ones)",
                "t.yml:6:9: tests[0].promql_expr_test[0].eval: unknown key (a PromQL test has: expr, eval_time, exp_samples)",
            ]
        );
    }

    #[test]
    fn yaml_numbers_read_as_go_reads_them() {
        for (text, want) in [
            ("1", 1.0),
            ("-2.5", -2.5),
            ("1e3", 1000.0),
            ("0x10", 16.0),
            ("1_000", 1000.0),
            ("-.inf", f64::NEG_INFINITY),
        ] {
            assert_eq!(yaml_float(text), Some(want), "{text}");
        }
        for text in ["inf", "NaN", "one", ""] {
            assert_eq!(yaml_float(text), None, "{text}");
        }
    }
}
