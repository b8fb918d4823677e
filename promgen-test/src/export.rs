//! Export a replay as a `promtool test rules` file: the feed's samples as `input_series`,
//! and the replay's firing alerts at every evaluation step as `alert_rule_test`, so that
//! `promtool test rules` passes exactly when promtool agrees with the replay at every step.
//!
//! The file follows promtool's semantics: every group is evaluated at `0s` and then every
//! `evaluation_interval` (a group's own `interval` plays no part in a promtool test, so
//! every group must have the same one); `eval_time` is checked against the evaluation at
//! that time; `exp_alerts` lists the firing alerts only, with their labels (but
//! `alertname`) and their annotations as Prometheus expands them.
//!
//! promtool's clock starts at the Unix epoch, the replay's a little over its length before
//! now: the samples are the same, but rules that read the clock (`time()`, `hour()`,
//! `timestamp()` compared with a constant, …) see other times and may disagree.

use crate::{
    Feed, HarnessError, Prometheus, Timeline,
    replay::{Group, Rule, evaluation_order},
    state::{self, AlertingRule, LabelMap},
};
use promgen::{FormatValue, Scraper, Stop, is_stale, time::Duration as PromDuration};
use std::{
    collections::BTreeMap,
    fmt::Write as _,
    path::{Path, PathBuf},
};

/// The name of the test file [`Prometheus::export_promtool`] writes.
pub const PROMTOOL_TEST_FILE: &str = "promtool-test.yml";

impl Prometheus {
    /// Writes a replay as a `promtool test rules` file in `dir`: a copy of each rule file,
    /// and [`PROMTOOL_TEST_FILE`] with the feed's samples tick by tick over the timeline's
    /// length, and, at every evaluation step and for every alerting rule, the alerts the
    /// timeline says are firing (labels and expanded annotations). Returns the test file's
    /// path. `feed` and `timeline` must be the ones given to and returned by
    /// [`Prometheus::replay`] on this Prometheus.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), promgen_test::HarnessError> {
    /// use promgen_test::{Feed, Prometheus};
    /// let prometheus = Prometheus::builder()
    ///     .rules_yaml("groups: [{name: g, rules: [{alert: Errors, expr: 'errors > 5', for: 5m}]}]")
    ///     .start()
    ///     .await?;
    /// let feed = Feed::new().interval("1m")?.notation("errors", "0x10 10x30 0x20")?;
    /// let timeline = prometheus.replay(&feed, "1h").await?;
    /// let dir = std::env::temp_dir().join(format!("errors-test-{}", std::process::id()));
    /// let file = prometheus.export_promtool(&feed, &timeline, &dir).await?;
    /// // promtool agrees with the replay at every evaluation step.
    /// let promtool = std::process::Command::new("promtool")
    ///     .args(["test", "rules"])
    ///     .arg(&file)
    ///     .output()
    ///     .unwrap();
    /// assert!(promtool.status.success());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Groups with different intervals or the same name (promtool evaluates every group at
    /// one interval, and orders them by name), an annotation template other than
    /// `{{ $labels.NAME }}` and `{{ $value }}`, a query Prometheus refuses, or files that
    /// cannot be written.
    pub async fn export_promtool(
        &self,
        feed: &Feed,
        timeline: &Timeline,
        dir: &Path,
    ) -> Result<PathBuf, HarnessError> {
        let groups = evaluation_order(self.groups().await?);
        let interval_ms = common_interval(&groups)?;
        let mut names: Vec<&str> = Vec::new();
        for g in &groups {
            if names.contains(&g.name.as_str()) {
                return Err(HarnessError::Rules(format!(
                    "two groups are named {:?}: a promtool test orders groups by name, so export needs the names to differ",
                    g.name
                )));
            }
            names.push(&g.name);
        }
        let mut annotators: Vec<(String, Annotator)> = Vec::new();
        for rule in groups.iter().flat_map(|g| &g.rules) {
            if let Rule::Alerting(rule) = rule {
                match annotators.iter_mut().find(|(n, _)| *n == rule.name) {
                    Some((_, a)) => a.add(rule)?,
                    None => annotators.push((rule.name.clone(), Annotator::new(rule)?)),
                }
            }
        }
        let end_ms = timeline.length_ms() / interval_ms * interval_ms;
        for (_, a) in &mut annotators {
            a.sample(self, timeline.origin_ms(), end_ms, interval_ms)
                .await?;
        }

        std::fs::create_dir_all(dir)
            .map_err(|e| HarnessError::Io(format!("creating {}: {e}", dir.display())))?;
        let mut yml = String::new();
        yml.push_str(
            "# A promtool test written by promgen-test from a replay: the replay's firing alerts\n\
             # at every evaluation step. Run: promtool test rules promtool-test.yml\n",
        );
        yml.push_str("rule_files:\n");
        for file in self.rule_files() {
            let name = file
                .file_name()
                .ok_or_else(|| HarnessError::Io(format!("rule file {}", file.display())))?;
            let to = dir.join(name);
            std::fs::copy(file, &to)
                .map_err(|e| HarnessError::Io(format!("copying {}: {e}", file.display())))?;
            let _ = writeln!(yml, "  - {}", quote(&name.to_string_lossy()));
        }
        let _ = writeln!(yml, "evaluation_interval: {}", PromDuration(interval_ms));
        // The replay's order of groups (promtool's own is random).
        yml.push_str("group_eval_order:\n");
        for g in &groups {
            let _ = writeln!(yml, "  - {}", quote(&g.name));
        }
        yml.push_str("tests:\n");
        let _ = writeln!(yml, "  - interval: {}", PromDuration(feed.interval_ms()));
        yml.push_str("    input_series:");
        let series = input_series(feed, timeline)?;
        if series.is_empty() {
            yml.push_str(" []");
        }
        yml.push('\n');
        for (labels, values) in &series {
            let _ = writeln!(yml, "      - series: {}", quote(labels));
            let _ = writeln!(yml, "        values: {}", quote(values));
        }
        if !annotators.is_empty() {
            yml.push_str("    alert_rule_test:\n");
        }
        for t in (0..=end_ms).step_by(interval_ms as usize) {
            let firing = timeline.firing_at(t)?;
            for (name, annotator) in &annotators {
                let _ = writeln!(yml, "      - eval_time: {}", PromDuration(t));
                let _ = writeln!(yml, "        alertname: {}", quote(name));
                let alerts: Vec<&LabelMap> = firing
                    .iter()
                    .copied()
                    .filter(|l| l.get("alertname") == Some(name))
                    .collect();
                if alerts.is_empty() {
                    yml.push_str("        exp_alerts: []\n");
                    continue;
                }
                yml.push_str("        exp_alerts:\n");
                for labels in alerts {
                    let labels_shown: Vec<(&String, &String)> =
                        labels.iter().filter(|(k, _)| *k != "alertname").collect();
                    yml.push_str("          - exp_labels:");
                    map(&mut yml, labels_shown, "              ");
                    let annotations = annotator.render(labels, timeline.origin_ms() + t)?;
                    if !annotations.is_empty() {
                        yml.push_str("            exp_annotations:");
                        map(&mut yml, annotations.iter().collect(), "              ");
                    }
                }
            }
        }
        let path = dir.join(PROMTOOL_TEST_FILE);
        std::fs::write(&path, yml)
            .map_err(|e| HarnessError::Io(format!("writing {}: {e}", path.display())))?;
        Ok(path)
    }
}

/// The interval every group has: a promtool test evaluates all of them at one.
fn common_interval(groups: &[Group]) -> Result<i64, HarnessError> {
    let Some(first) = groups.first() else {
        return Err(HarnessError::Rules(
            "no rule groups: nothing to export".into(),
        ));
    };
    if let Some(other) = groups.iter().find(|g| g.interval_ms != first.interval_ms) {
        return Err(HarnessError::Rules(format!(
            "group {:?} is evaluated every {} and group {:?} every {}: a promtool test evaluates every group at one evaluation_interval, so export needs them to be the same",
            first.name,
            PromDuration(first.interval_ms),
            other.name,
            PromDuration(other.interval_ms)
        )));
    }
    Ok(first.interval_ms)
}

/// Every wire series of the feed over the timeline's length, as promtool's notation writes
/// it: `labels`, and the values tick by tick (`_` for a missing sample, `stale` for a stale
/// marker; trailing missing ones left out). Series without a sample are left out.
fn input_series(feed: &Feed, timeline: &Timeline) -> Result<Vec<(String, String)>, HarnessError> {
    let mut registry = feed.registry()?;
    let wire = registry.wire_series();
    let origin = timeline.origin_ms();
    let scraper = Scraper::new(
        origin,
        feed.interval_ms(),
        Stop::Until(origin + timeline.length_ms()),
    )
    .map_err(|e| HarnessError::Feed(e.to_string()))?;
    let mut values: Vec<Vec<Option<f64>>> = vec![Vec::new(); wire.len()];
    for (n, tick) in scraper.ticks().enumerate() {
        for v in &mut values {
            v.push(None);
        }
        if !registry.collect(tick.timestamp_ms, |i, v| values[i][n] = Some(v)) {
            break;
        }
    }
    Ok(wire
        .iter()
        .zip(values)
        .filter_map(|(w, mut v)| {
            while v.last() == Some(&None) {
                v.pop();
            }
            if v.is_empty() {
                return None;
            }
            let text: Vec<String> = v
                .iter()
                .map(|v| match v {
                    None => "_".to_owned(),
                    Some(v) if is_stale(*v) => "stale".to_owned(),
                    Some(v) => FormatValue(*v).to_string(),
                })
                .collect();
            Some((w.labels.to_string(), text.join(" ")))
        })
        .collect())
}

/// Writes `pairs` as a YAML block mapping (`{}` when empty), keys and values quoted.
fn map(yml: &mut String, pairs: Vec<(&String, &String)>, indent: &str) {
    if pairs.is_empty() {
        yml.push_str(" {}\n");
        return;
    }
    yml.push('\n');
    for (k, v) in pairs {
        let _ = writeln!(yml, "{indent}{}: {}", quote(k), quote(v));
    }
}

/// A YAML double-quoted string: any text, escaped where YAML needs it.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{feff}' || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A piece of an annotation template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    /// `{{ $labels.NAME }}`: the query result's label (empty when it has none).
    Label(String),
    /// `{{ $value }}`: the query result's value, as Go's `%v` prints it.
    Value,
}

/// Splits an annotation into text and the two templates export can expand.
fn parse_template(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(format!("{:?} is not closed", &rest[open..]));
        };
        let inner = after[..close].trim_matches(' ');
        let label = inner.strip_prefix("$labels.").filter(|n| {
            !n.is_empty()
                && !n.starts_with(|c: char| c.is_ascii_digit())
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        match (inner, label) {
            ("$value", _) => pieces.push(Piece::Value),
            (_, Some(name)) => pieces.push(Piece::Label(name.to_owned())),
            _ => return Err(format!("{{{{{}}}}}", &after[..close])),
        }
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Ok(pieces)
}

/// A float as Go's `%v` prints it (what `{{ $value }}` gives): the shortest text that reads
/// back, positional for exponents from -4 to 5, else with a signed two-digit (or longer)
/// exponent: `123456`, `1e+06`, `0.0001`, `1e-05`.
fn go_value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` is the shortest round-trip digits: `1.234567e6`, `-5e-5`.
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        // Rust's `Display` is the shortest round-trip positional text.
        v.to_string()
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    }
}

/// The annotations of one alert name's rules, and what their templates need: per alert,
/// the query result (labels and value) at each evaluation it was present.
struct Annotator {
    rules: Vec<AlertingRule>,
    templates: Vec<(String, Vec<Piece>)>,
    /// Alert labels → (evaluation time, result labels, value), in time order.
    samples: BTreeMap<LabelMap, Vec<(i64, LabelMap, f64)>>,
}

impl Annotator {
    fn new(rule: &AlertingRule) -> Result<Self, HarnessError> {
        let mut templates = Vec::new();
        for (key, text) in &rule.annotations {
            let pieces = parse_template(text).map_err(|t| {
                HarnessError::Rules(format!(
                    "alert {}: annotation {key}: export cannot expand {t}; it expands {{{{ $labels.NAME }}}} and {{{{ $value }}}}",
                    rule.name
                ))
            })?;
            templates.push((key.clone(), pieces));
        }
        Ok(Self {
            rules: vec![rule.clone()],
            templates,
            samples: BTreeMap::new(),
        })
    }

    fn templated(&self) -> bool {
        self.templates
            .iter()
            .any(|(_, p)| p.iter().any(|p| !matches!(p, Piece::Text(_))))
    }

    /// Another rule with the same alert name: fine when the annotations cannot tell them
    /// apart (the same, without templates).
    fn add(&mut self, rule: &AlertingRule) -> Result<(), HarnessError> {
        let other = Self::new(rule)?;
        if other.templates != self.templates || self.templated() {
            return Err(HarnessError::Rules(format!(
                "several alerting rules are named {}, with annotations that are templates or differ: export cannot tell which rule an alert comes from",
                rule.name
            )));
        }
        self.rules.push(rule.clone());
        Ok(())
    }

    /// The query results the templates need, from `origin` to `origin + end_ms`.
    async fn sample(
        &mut self,
        prometheus: &Prometheus,
        origin: i64,
        end_ms: i64,
        interval_ms: i64,
    ) -> Result<(), HarnessError> {
        if !self.templated() {
            return Ok(());
        }
        let rule = &self.rules[0];
        let results = prometheus
            .evaluate(&rule.query, origin, origin + end_ms, interval_ms)
            .await?;
        for (labels, points) in results {
            let alert = state::alert_labels(rule, labels.clone());
            let entry = self.samples.entry(alert).or_default();
            entry.extend(points.into_iter().map(|(t, v)| (t, labels.clone(), v)));
        }
        for s in self.samples.values_mut() {
            s.sort_by_key(|(t, _, _)| *t);
        }
        Ok(())
    }

    /// The annotations of the alert with `labels` at `at` (absolute ms): the templates
    /// expanded with the query result at the last evaluation, up to `at`, it was present.
    fn render(&self, labels: &LabelMap, at: i64) -> Result<LabelMap, HarnessError> {
        let sample = if self.templated() {
            let found = self.samples.get(labels).and_then(|s| {
                let n = s.partition_point(|(t, _, _)| *t <= at);
                n.checked_sub(1).map(|i| &s[i])
            });
            match found {
                Some((_, l, v)) => Some((l, *v)),
                None => {
                    return Err(HarnessError::Rules(format!(
                        "alert {labels:?}: its query gave no result to expand its annotations with"
                    )));
                }
            }
        } else {
            None
        };
        Ok(self
            .templates
            .iter()
            .map(|(key, pieces)| {
                let text = pieces
                    .iter()
                    .map(|p| match (p, sample) {
                        (Piece::Text(t), _) => t.clone(),
                        (Piece::Label(n), Some((l, _))) => l.get(n).cloned().unwrap_or_default(),
                        (Piece::Value, Some((_, v))) => go_value(v),
                        (_, None) => String::new(),
                    })
                    .collect();
                (key.clone(), text)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_as_go_percent_v() {
        let cases = [
            (10.0, "10"),
            (0.5, "0.5"),
            (1e6, "1e+06"),
            (123_456.0, "123456"),
            (1_234_567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5e-9, "-2.5e-09"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.0, "0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (v, want) in cases {
            assert_eq!(go_value(v), want, "{v}");
        }
    }

    #[test]
    fn templates_split_into_text_labels_and_value() {
        assert_eq!(
            parse_template("{{ $labels.job }} at {{$value}}{{$labels.a_1}}!").unwrap(),
            [
                Piece::Label("job".into()),
                Piece::Text(" at ".into()),
                Piece::Value,
                Piece::Label("a_1".into()),
                Piece::Text("!".into()),
            ]
        );
        assert_eq!(
            parse_template("plain }} text").unwrap(),
            [Piece::Text("plain }} text".into())]
        );
        assert_eq!(
            parse_template("{{ $value | humanize }}").unwrap_err(),
            "{{ $value | humanize }}"
        );
        assert!(parse_template("{{ .Labels.job }}").is_err());
        assert!(parse_template("{{ $labels.job ").is_err());
    }

    #[test]
    fn yaml_strings_are_double_quoted_and_escaped() {
        assert_eq!(quote(r#"a{b="c\d"}"#), r#""a{b=\"c\\d\"}""#);
        assert_eq!(quote("x\ny\u{1}"), r#""x\ny\u0001""#);
        assert_eq!(quote("yes"), r#""yes""#);
    }
}
