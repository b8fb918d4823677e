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
    templates::{self, TemplateData},
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
    /// one interval, and orders them by name), alerting rules that share a name and have
    /// templated or different annotations, a query Prometheus refuses, or files that cannot
    /// be written.
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
                    None => annotators.push((rule.name.clone(), Annotator::new(rule))),
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
                    let annotations = annotator
                        .render(self, labels, timeline.origin_ms() + t)
                        .await?;
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
pub(crate) fn input_series(
    feed: &Feed,
    timeline: &Timeline,
) -> Result<Vec<(String, String)>, HarnessError> {
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
pub(crate) fn map(yml: &mut String, pairs: Vec<(&String, &String)>, indent: &str) {
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
pub(crate) fn quote(s: &str) -> String {
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

/// The annotations of one alert name's rules, and what their templates need: per alert,
/// the query result (labels and value) at each evaluation it was present.
struct Annotator {
    rules: Vec<AlertingRule>,
    /// Alert labels → (evaluation time, result labels, value), in time order.
    samples: BTreeMap<LabelMap, Vec<(i64, LabelMap, f64)>>,
}

impl Annotator {
    fn new(rule: &AlertingRule) -> Self {
        Self {
            rules: vec![rule.clone()],
            samples: BTreeMap::new(),
        }
    }

    fn templated(&self) -> bool {
        self.rules[0]
            .annotations
            .values()
            .any(|t| templates::is_template(t))
    }

    /// Another rule with the same alert name: fine when the annotations cannot tell them
    /// apart (the same, without templates).
    fn add(&mut self, rule: &AlertingRule) -> Result<(), HarnessError> {
        if rule.annotations != self.rules[0].annotations || self.templated() {
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
        let data = TemplateData::default();
        for (labels, points) in results {
            for (t, v) in points {
                let alert = state::alert_labels_for(rule, &labels, v, &data)
                    .map_err(HarnessError::Rules)?;
                self.samples
                    .entry(alert)
                    .or_default()
                    .push((t, labels.clone(), v));
            }
        }
        for s in self.samples.values_mut() {
            s.sort_by_key(|(t, _, _)| *t);
        }
        Ok(())
    }

    /// The annotations of the alert with `labels` at `at` (absolute ms), as Prometheus
    /// expands them with the query result at the last evaluation, up to `at`, it was
    /// present. The test file sets no external labels or URL, and promtool gives its rule
    /// manager no URL: the templates see the same.
    async fn render(
        &self,
        prometheus: &Prometheus,
        labels: &LabelMap,
        at: i64,
    ) -> Result<LabelMap, HarnessError> {
        let rule = &self.rules[0];
        if !self.templated() {
            return Ok(rule.annotations.clone());
        }
        let found = self.samples.get(labels).and_then(|s| {
            let n = s.partition_point(|(t, _, _)| *t <= at);
            n.checked_sub(1).map(|i| &s[i])
        });
        let Some((t, source, value)) = found else {
            return Err(HarnessError::Rules(format!(
                "alert {labels:?}: its query gave no result to expand its annotations with"
            )));
        };
        templates::expand_annotations(
            &prometheus.api,
            rule,
            source,
            *value,
            *t,
            &TemplateData::default(),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_strings_are_double_quoted_and_escaped() {
        assert_eq!(quote(r#"a{b="c\d"}"#), r#""a{b=\"c\\d\"}""#);
        assert_eq!(quote("x\ny\u{1}"), r#""x\ny\u0001""#);
        assert_eq!(quote("yes"), r#""yes""#);
    }
}
