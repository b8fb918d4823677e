//! Prometheus's alert state machine (`rules/alerting.go`), step by step over an alerting
//! rule's query results: pending when a label set appears, firing once it has been there for
//! `for`, kept firing for `keep_firing_for` after it goes, inactive (resolved) after that.

use std::collections::BTreeMap;

/// Label names and values.
pub type LabelMap = BTreeMap<String, String>;

/// How long Prometheus keeps a resolved alert around (to tell Alertmanager).
const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

/// An alerting rule, as `/api/v1/rules` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertingRule {
    /// `alert:`, the `alertname` label of its alerts.
    pub name: String,
    /// Its PromQL expression.
    pub query: String,
    /// `for`, in milliseconds.
    pub for_ms: i64,
    /// `keep_firing_for`, in milliseconds.
    pub keep_firing_for_ms: i64,
    /// `labels:` added to every alert (over the query's own).
    pub labels: LabelMap,
    /// `annotations:`, as written (templates unexpanded).
    pub annotations: LabelMap,
}

/// One alert's life from pending to inactive: one row of a [`Timeline`](crate::Timeline).
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// Its labels: the query result's (without `__name__`), the rule's, and `alertname`.
    pub labels: LabelMap,
    /// The evaluation at which it became pending (Prometheus's `activeAt`).
    pub pending_at: i64,
    /// The evaluation at which it started firing, if it did.
    pub firing_at: Option<i64>,
    /// The evaluation at which it became inactive (resolved, or a pending alert that went
    /// away), if it did before the end.
    pub inactive_at: Option<i64>,
    /// The query's value at the last evaluation it was present.
    pub value: f64,
}

/// An alert in progress.
struct Active {
    episode: usize,
    firing: bool,
    inactive: bool,
    active_at: i64,
    resolved_at: Option<i64>,
    keep_firing_since: Option<i64>,
}

/// The labels of the alert that a query result with `labels` makes: without `__name__`,
/// with the rule's labels over its own, and `alertname`.
pub(crate) fn alert_labels(rule: &AlertingRule, mut labels: LabelMap) -> LabelMap {
    labels.remove("__name__");
    set_labels(&mut labels, &rule.labels);
    labels.insert("alertname".into(), rule.name.clone());
    labels
}

/// The labels of the alert that the query result `source` with `value` makes, the rule's
/// labels expanded as templates for it first (as `rules/alerting.go` does at each
/// evaluation).
///
/// # Errors
/// A label template the replay cannot expand ([`crate::templates::expand_label`]).
pub(crate) fn alert_labels_for(
    rule: &AlertingRule,
    source: &LabelMap,
    value: f64,
    data: &crate::templates::TemplateData,
) -> Result<LabelMap, String> {
    if !rule
        .labels
        .values()
        .any(|v| crate::templates::is_template(v))
    {
        return Ok(alert_labels(rule, source.clone()));
    }
    let mut expanded = LabelMap::new();
    for (k, text) in &rule.labels {
        let v = crate::templates::expand_label(text, &rule.name, source, value, data)?;
        expanded.insert(k.clone(), v);
    }
    let mut labels = source.clone();
    labels.remove("__name__");
    set_labels(&mut labels, &expanded);
    labels.insert("alertname".into(), rule.name.clone());
    Ok(labels)
}

/// Sets a rule's `labels:` over a result's, as Prometheus's label builder does: a label
/// set to the empty string is removed.
pub(crate) fn set_labels(labels: &mut LabelMap, rule_labels: &LabelMap) {
    for (k, v) in rule_labels {
        if v.is_empty() {
            labels.remove(k);
        } else {
            labels.insert(k.clone(), v.clone());
        }
    }
}

/// Runs `rule`'s state machine over its query results, evaluation by evaluation: each step
/// is `(timestamp in ms, [(result labels, value)])`, in time order.
///
/// ```
/// use promgen_test::state::{AlertingRule, run};
/// let rule = AlertingRule { name: "A".into(), query: String::new(), for_ms: 2, keep_firing_for_ms: 0,
///     labels: Default::default(), annotations: Default::default() };
/// let present = || vec![(Default::default(), 1.0)];
/// let steps = vec![(0, present()), (1, present()), (2, present()), (3, vec![])];
/// let episodes = run(&rule, steps);
/// assert_eq!((episodes[0].pending_at, episodes[0].firing_at, episodes[0].inactive_at), (0, Some(2), Some(3)));
/// ```
pub fn run(
    rule: &AlertingRule,
    steps: impl IntoIterator<Item = (i64, Vec<(LabelMap, f64)>)>,
) -> Vec<Episode> {
    let mut machine = Machine::new(rule);
    for (ts, results) in steps {
        machine.step(ts, results);
    }
    machine.into_episodes()
}

/// An alert that is pending or firing after an evaluation: what the rule manager writes as
/// `ALERTS` and `ALERTS_FOR_STATE`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ActiveAlert<'m> {
    pub(crate) labels: &'m LabelMap,
    pub(crate) firing: bool,
    /// When it became pending (`activeAt`), in ms.
    pub(crate) active_at: i64,
}

/// The state machine of one alerting rule, fed one evaluation at a time.
pub(crate) struct Machine<'r> {
    rule: &'r AlertingRule,
    episodes: Vec<Episode>,
    active: BTreeMap<LabelMap, Active>,
}

impl<'r> Machine<'r> {
    pub(crate) fn new(rule: &'r AlertingRule) -> Self {
        Self {
            rule,
            episodes: Vec::new(),
            active: BTreeMap::new(),
        }
    }

    /// One evaluation at `ts` whose query gave `results`.
    pub(crate) fn step(&mut self, ts: i64, results: Vec<(LabelMap, f64)>) {
        let rule = self.rule;
        let alerts = results
            .into_iter()
            .map(|(labels, value)| (alert_labels(rule, labels), value))
            .collect();
        self.step_alerts(ts, alerts);
    }

    /// One evaluation at `ts` whose results make `alerts` (their labels already made, as
    /// [`alert_labels`] makes them or with the rule's labels expanded as templates).
    pub(crate) fn step_alerts(&mut self, ts: i64, alerts: Vec<(LabelMap, f64)>) {
        let rule = self.rule;
        let episodes = &mut self.episodes;
        let present: BTreeMap<LabelMap, f64> = alerts.into_iter().collect();
        for (labels, &value) in &present {
            match self.active.get(labels) {
                Some(a) if !a.inactive => episodes[a.episode].value = value,
                // New, or back after being resolved: a new episode.
                _ => {
                    episodes.push(Episode {
                        labels: labels.clone(),
                        pending_at: ts,
                        firing_at: None,
                        inactive_at: None,
                        value,
                    });
                    self.active.insert(
                        labels.clone(),
                        Active {
                            episode: episodes.len() - 1,
                            firing: false,
                            inactive: false,
                            active_at: ts,
                            resolved_at: None,
                            keep_firing_since: None,
                        },
                    );
                }
            }
        }
        let mut gone = Vec::new();
        for (labels, a) in &mut self.active {
            if present.contains_key(labels) {
                a.keep_firing_since = None;
            } else {
                let mut keep_firing = false;
                if a.firing && !a.inactive && rule.keep_firing_for_ms > 0 {
                    let since = *a.keep_firing_since.get_or_insert(ts);
                    keep_firing = ts - since < rule.keep_firing_for_ms;
                }
                let pending = !a.firing && !a.inactive;
                if pending
                    || a.resolved_at
                        .is_some_and(|r| ts - r > RESOLVED_RETENTION_MS)
                {
                    gone.push(labels.clone());
                }
                if !a.inactive && !keep_firing {
                    a.inactive = true;
                    a.resolved_at = Some(ts);
                    episodes[a.episode].inactive_at = Some(ts);
                }
                if !keep_firing {
                    continue;
                }
            }
            if !a.firing && !a.inactive && ts - a.active_at >= rule.for_ms {
                a.firing = true;
                episodes[a.episode].firing_at = Some(ts);
            }
        }
        for labels in gone {
            self.active.remove(&labels);
        }
    }

    /// The alerts pending or firing after the last evaluation, by labels.
    pub(crate) fn active(&self) -> impl Iterator<Item = ActiveAlert<'_>> {
        self.active
            .iter()
            .filter(|(_, a)| !a.inactive)
            .map(|(labels, a)| ActiveAlert {
                labels,
                firing: a.firing,
                active_at: a.active_at,
            })
    }

    /// Every alert's episodes so far.
    pub(crate) fn into_episodes(self) -> Vec<Episode> {
        self.episodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(for_ms: i64, keep_ms: i64) -> AlertingRule {
        AlertingRule {
            name: "A".into(),
            query: String::new(),
            for_ms,
            keep_firing_for_ms: keep_ms,
            labels: [("severity".to_owned(), "page".to_owned())].into(),
            annotations: LabelMap::new(),
        }
    }

    /// Steps 0..n, the series present where `pattern` has `x`.
    fn steps(pattern: &str) -> Vec<(i64, Vec<(LabelMap, f64)>)> {
        pattern
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let l: LabelMap = [("job".to_owned(), "api".to_owned())].into();
                (i as i64, if c == 'x' { vec![(l, 1.0)] } else { vec![] })
            })
            .collect()
    }

    fn spans(e: &[Episode]) -> Vec<(i64, Option<i64>, Option<i64>)> {
        e.iter()
            .map(|e| (e.pending_at, e.firing_at, e.inactive_at))
            .collect()
    }

    #[test]
    fn for_zero_fires_at_once_and_resolves_when_gone() {
        let e = run(&rule(0, 0), steps("..xx.x"));
        assert_eq!(spans(&e), [(2, Some(2), Some(4)), (5, Some(5), None)]);
        assert_eq!(e[0].labels["alertname"], "A");
        assert_eq!(e[0].labels["severity"], "page");
    }

    #[test]
    fn for_holds_pending_and_a_gap_resets_it() {
        // Pending at 0, gone at 2 before `for` (3) passed; back at 3, fires at 6.
        let e = run(&rule(3, 0), steps("xx.xxxxx."));
        assert_eq!(spans(&e), [(0, None, Some(2)), (3, Some(6), Some(8))]);
    }

    #[test]
    fn a_rule_label_set_to_empty_removes_the_label() {
        let mut r = rule(0, 0);
        r.labels.insert("job".into(), String::new());
        r.labels.insert("team".into(), String::new());
        let e = run(&r, steps("x"));
        let names: Vec<&str> = e[0].labels.keys().map(String::as_str).collect();
        assert_eq!(names, ["alertname", "severity"]);
    }

    #[test]
    fn keep_firing_for_bridges_short_gaps() {
        // Fires at 1; gone at 3 and 4, kept firing (keep 2: 3-3=0, 4-3=1 < 2); back at 5,
        // so it never resolved; gone from 6: kept at 6 and 7, resolved at 8.
        let e = run(&rule(1, 2), steps("xxx..x..."));
        assert_eq!(spans(&e), [(0, Some(1), Some(8))]);
    }
}
