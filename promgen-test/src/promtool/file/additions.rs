//! What promgen adds to a promtool test file, in keys an unchanged promtool file never
//! holds: `alert_timeline_test`, `match:` in `alert_rule_test` and `exp_alerts`, `shape:`
//! and `data:` in `input_series`, and a group's `length`. Read with the same strictness as
//! the rest of the file (every mistake with its line, column and key path).

use super::{Reader, join};
use crate::{
    selector::LabelMatch,
    state::LabelMap,
    timeline::{AlertState, Check},
};
use promgen::config::{
    Config, ShapeSpec,
    yaml::{Kind, Node, Position},
};

/// How an expected alert is compared with the alerts that fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    /// Every label and annotation, as listed (promtool's way); `=~re` values are regexes.
    Exact,
    /// Only the labels and annotations listed; `=~re` values are regexes.
    Subset,
}

/// An `exp_alerts` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedAlert {
    /// `exp_labels` (without `alertname`).
    pub labels: LabelMap,
    /// `exp_annotations`.
    pub annotations: LabelMap,
    /// Its own `match:`, if it has one.
    pub match_mode: Option<MatchMode>,
}

/// Values given as a shape instead of promtool's notation.
#[derive(Debug, Clone, PartialEq)]
pub struct InputShape {
    /// What to draw values from, one per `interval`, seeded from the series' labels.
    pub spec: ShapeSpec,
    /// How it was written: the DSL text, or the segments' JSON.
    pub written: String,
}

/// An `alert_timeline_test` entry: what the alerts of one rule (some of them, with `labels`)
/// do over the replay.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineTest {
    /// `alertname`.
    pub alertname: String,
    /// `labels`: the alerts whose labels include these (values may be `=~re`).
    pub labels: Vec<(String, LabelMatch)>,
    /// Each assertion, with the key path it stands at.
    pub checks: Vec<(String, Check)>,
    /// Where the entry starts.
    pub at: Position,
}

const TIMELINE_KEYS: &[&str] = &[
    "alertname",
    "labels",
    "pending_at",
    "firing_at",
    "inactive_at",
    "never_fires",
    "never_fires_before",
    "starts_firing_between",
    "resolves_between",
    "states",
];

impl Reader<'_> {
    /// `match: exact` or `match: subset`.
    pub(super) fn match_mode(&mut self, node: &Node, path: &str) -> Option<MatchMode> {
        match self.string(node, path).as_str() {
            "exact" => Some(MatchMode::Exact),
            "subset" => Some(MatchMode::Subset),
            other => {
                self.error(
                    node.at,
                    path,
                    format!("{other:?}: expected exact (every label and annotation, as promtool) or subset (only those listed)"),
                );
                None
            }
        }
    }

    /// `shape:` (the series DSL) as an input shape.
    pub(super) fn shape(&mut self, node: &Node, path: &str) -> Option<InputShape> {
        let text = self.string(node, path);
        match promgen::dsl::parse(&text) {
            Ok(spec) => Some(InputShape {
                spec,
                written: text,
            }),
            Err(e) => {
                // The DSL's column, counted from the start of the value when it is on one line.
                let at = match &node.kind {
                    Kind::Scalar { plain: true, .. } if e.line == 1 => Position {
                        line: node.at.line,
                        column: node.at.column + e.column - 1,
                    },
                    _ => node.at,
                };
                self.error(at, path, e.message);
                None
            }
        }
    }

    /// `data:` (config segments) as an input shape.
    pub(super) fn data(&mut self, node: &Node, path: &str) -> Option<InputShape> {
        match Config::parse_data(node, self.file, path) {
            Ok(spec) => Some(InputShape {
                spec,
                written: node.to_json(),
            }),
            Err(errors) => {
                for e in errors.errors() {
                    let at = Position {
                        line: e.line,
                        column: e.column,
                    };
                    self.error(at, e.path.as_str(), e.message.clone());
                }
                None
            }
        }
    }

    /// Label matchers: `{severity: page, service: "=~api|web"}`.
    pub(super) fn label_matchers(&mut self, node: &Node, path: &str) -> Vec<(String, LabelMatch)> {
        let map = self.string_map(node, path);
        let mut out = Vec::new();
        for (name, value) in map {
            match LabelMatch::parse(&value) {
                Ok(m) => out.push((name, m)),
                Err(e) => {
                    let at = value_at(node, &name);
                    self.error(at, &join(path, &name), e);
                }
            }
        }
        out
    }

    /// The values of a mapping in `match:` mode: each `=~re` checked to compile.
    pub(super) fn check_regexes(&mut self, node: &Node, path: &str, map: &LabelMap) {
        for (name, value) in map {
            if let Err(e) = LabelMatch::parse(value) {
                self.error(value_at(node, name), &join(path, name), e);
            }
        }
    }

    /// A group's `length`: a duration no longer than the longest replay.
    pub(super) fn length(&mut self, node: &Node, path: &str) -> i64 {
        let ms = self.duration(node, path);
        if ms > crate::replay::MAX_REPLAY_MS {
            self.error(
                node.at,
                path,
                format!(
                    "at most {} (the history the test's Prometheus keeps)",
                    crate::MAX_REPLAY
                ),
            );
        }
        ms
    }

    /// An `alert_timeline_test` entry.
    pub(super) fn timeline_test(&mut self, node: &Node, path: &str) -> TimelineTest {
        let mut test = TimelineTest {
            alertname: String::new(),
            labels: Vec::new(),
            checks: Vec::new(),
            at: node.at,
        };
        for (key, value) in self.map(node, path, TIMELINE_KEYS, "an alert timeline test") {
            let p = join(path, key);
            match key {
                "alertname" => test.alertname = self.string(value, &p),
                "labels" => test.labels = self.label_matchers(value, &p),
                "pending_at" | "firing_at" | "inactive_at" => {
                    let state = match key {
                        "pending_at" => AlertState::Pending,
                        "firing_at" => AlertState::Firing,
                        _ => AlertState::Inactive,
                    };
                    for t in self.durations(value, &p) {
                        test.checks.push((p.clone(), Check::State(t, state)));
                    }
                }
                "never_fires" => match &value.kind {
                    Kind::Scalar { text, plain: true } if text == "true" => {
                        test.checks.push((p, Check::NeverFires));
                    }
                    _ => self.error(
                        value.at,
                        &p,
                        "expected true (leave the key out to say nothing about it)",
                    ),
                },
                "never_fires_before" => {
                    let t = self.duration(value, &p);
                    test.checks.push((p, Check::NeverFiresBefore(t)));
                }
                "starts_firing_between" | "resolves_between" => {
                    if let Some((a, b)) = self.between(value, &p) {
                        let check = if key == "resolves_between" {
                            Check::ResolvesBetween(a, b)
                        } else {
                            Check::StartsFiringBetween(a, b)
                        };
                        test.checks.push((p, check));
                    }
                }
                "states" => self.states(value, &p, &mut test.checks),
                _ => unreachable!("keys are checked"),
            }
        }
        if test.alertname.is_empty() {
            self.error(
                node.at,
                &join(path, "alertname"),
                "missing: which alert is this about?",
            );
        }
        if test.checks.is_empty() && !self.errors.iter().any(|e| e.path.starts_with(path)) {
            self.error(
                node.at,
                path,
                "asserts nothing: give pending_at, firing_at, inactive_at, never_fires, never_fires_before, starts_firing_between, resolves_between or states",
            );
        }
        test
    }

    /// A duration, or a list of them.
    fn durations(&mut self, node: &Node, path: &str) -> Vec<i64> {
        match &node.kind {
            Kind::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| self.duration(item, &format!("{path}[{i}]")))
                .collect(),
            _ => vec![self.duration(node, path)],
        }
    }

    /// `[from, to]`, `from` not after `to`.
    fn between(&mut self, node: &Node, path: &str) -> Option<(i64, i64)> {
        let items = self.seq(node, path);
        if items.len() != 2 {
            self.error(node.at, path, "expected two times, [from, to]");
            return None;
        }
        let (a, b) = (
            self.duration(&items[0], &format!("{path}[0]")),
            self.duration(&items[1], &format!("{path}[1]")),
        );
        if a > b {
            self.error(node.at, path, "from is after to");
            return None;
        }
        Some((a, b))
    }

    /// `states: {10m: pending, 20m: firing, 40m: inactive}`.
    fn states(&mut self, node: &Node, path: &str, checks: &mut Vec<(String, Check)>) {
        let Kind::Map(entries) = &node.kind else {
            self.error(
                node.at,
                path,
                format!(
                    "expected a mapping of times to states, found {}",
                    node.describe()
                ),
            );
            return;
        };
        for (key, value) in entries {
            let p = join(path, &self.string(key, path));
            let t = self.duration(key, &p);
            let state = match self.string(value, &p).as_str() {
                "pending" => AlertState::Pending,
                "firing" => AlertState::Firing,
                "inactive" => AlertState::Inactive,
                other => {
                    self.error(
                        value.at,
                        &p,
                        format!("{other:?}: expected pending, firing or inactive"),
                    );
                    continue;
                }
            };
            checks.push((p, Check::State(t, state)));
        }
    }
}

/// Where the value of `key` stands in the mapping `node` (the mapping's place if not found).
fn value_at(node: &Node, key: &str) -> Position {
    match &node.kind {
        Kind::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(&k.kind, Kind::Scalar { text, .. } if text == key))
            .map_or(node.at, |(_, v)| v.at),
        _ => node.at,
    }
}
