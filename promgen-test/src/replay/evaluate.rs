//! One rule's evaluations, as the rule manager makes them: the query's results at an
//! evaluation time become recorded series, or alerts through the state machine and their
//! `ALERTS` / `ALERTS_FOR_STATE` series, checked as Prometheus checks them (results that
//! collide, a group's `limit`). Templated alert labels are expanded per result, as
//! `rules/alerting.go` does, before the results become alerts.

use super::{
    rules::{ALERTS, ALERTS_FOR_STATE, Group, Rule},
    write_back::{Outputs, SeriesKey, Staleness},
};
use crate::{
    state::{self, AlertingRule, Episode, LabelMap, Machine},
    templates::TemplateData,
};
use promgen::time::Duration as PromDuration;
use std::collections::{BTreeMap, BTreeSet};

/// An evaluation the rule manager (and promtool) would fail, or one the replay cannot make.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EvalFailure {
    /// The evaluation's time, in ms.
    pub(crate) ts: i64,
    pub(crate) group: String,
    pub(crate) rule: String,
    /// In Prometheus's words (what promtool prints after `err:`).
    pub(crate) prometheus: String,
    /// In ours, explained.
    pub(crate) ours: String,
    /// Whether this is a limit of the replay, not a failure Prometheus would have.
    pub(crate) limit: bool,
}

/// What every rule of a replay shares: the data templates see, and the evaluation times at
/// which to keep each alerting rule's firing alerts (for promtool's `exp_alerts`).
#[derive(Debug, Default)]
pub(crate) struct Context {
    pub(crate) templates: TemplateData,
    pub(crate) capture: BTreeSet<i64>,
}

/// A firing alert at a kept evaluation: its labels, and the query result that made it
/// (what its annotations' `$labels` and `$value` are).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FiringAlert {
    pub(crate) labels: LabelMap,
    pub(crate) source: LabelMap,
    pub(crate) value: f64,
}

/// A rule being replayed: its alert state machine, and what it wrote last.
pub(crate) struct RuleRun<'g> {
    group: &'g Group,
    rule: &'g Rule,
    machine: Option<Machine<'g>>,
    staleness: Staleness,
    context: &'g Context,
    /// Firing alerts at the kept evaluation times.
    captured: BTreeMap<i64, Vec<FiringAlert>>,
    /// The replay's `0s`, for times in messages.
    origin: i64,
}

impl<'g> RuleRun<'g> {
    pub(crate) fn new(group: &'g Group, rule: &'g Rule, origin: i64, context: &'g Context) -> Self {
        let machine = match rule {
            Rule::Alerting(a) => Some(Machine::new(a)),
            Rule::Recording { .. } => None,
        };
        Self {
            group,
            rule,
            machine,
            staleness: Staleness::default(),
            context,
            captured: BTreeMap::new(),
            origin,
        }
    }

    /// One evaluation at `ts` whose query gave `results`: what it appends goes into `out`.
    ///
    /// # Errors
    /// An evaluation Prometheus's rule manager (and promtool) would fail: results that make
    /// the same series or alert, or more than the group's `limit`; or a label template the
    /// replay cannot expand.
    pub(crate) fn evaluation(
        &mut self,
        ts: i64,
        results: Vec<(LabelMap, f64)>,
        out: &mut Outputs,
    ) -> Result<(), EvalFailure> {
        let limit = self.group.limit;
        let outputs = match (self.rule, &mut self.machine) {
            (Rule::Recording { name, labels, .. }, _) => {
                if limit > 0 && results.len() > limit {
                    return Err(self.failed(
                        ts,
                        format!("exceeded limit of {limit} with {} series", results.len()),
                        format!(
                            "{} series, over the group's limit of {limit}: Prometheus fails that evaluation",
                            results.len()
                        ),
                    ));
                }
                let mut outputs: Vec<(SeriesKey, f64)> = Vec::with_capacity(results.len());
                for (mut key, value) in results {
                    key.remove("__name__");
                    state::set_labels(&mut key, labels);
                    key.insert("__name__".into(), name.clone());
                    outputs.push((key, value));
                }
                let mut keys: Vec<&SeriesKey> = outputs.iter().map(|(k, _)| k).collect();
                keys.sort();
                if keys.windows(2).any(|w| w[0] == w[1]) {
                    return Err(self.failed(
                        ts,
                        "vector contains metrics with the same labelset after applying rule labels".into(),
                        "two results make the same series: Prometheus fails that evaluation (vector contains metrics with the same labelset after applying rule labels)".into(),
                    ));
                }
                outputs
            }
            (Rule::Alerting(rule), Some(_)) => {
                let made = self.alerts_of(rule, ts, results)?;
                let mut seen = BTreeSet::new();
                if let Some((labels, _, _)) = made.iter().find(|(l, _, _)| !seen.insert(l)) {
                    return Err(self.failed(
                        ts,
                        "vector contains metrics with the same labelset after applying alert labels".into(),
                        format!(
                            "two results make the alert {labels:?}: Prometheus fails that evaluation (vector contains metrics with the same labelset after applying alert labels)"
                        ),
                    ));
                }
                let keep = self.context.capture.contains(&ts);
                let sources: BTreeMap<LabelMap, (LabelMap, f64)> = if keep {
                    made.iter()
                        .map(|(l, s, v)| (l.clone(), (s.clone(), *v)))
                        .collect()
                } else {
                    BTreeMap::new()
                };
                let machine = self
                    .machine
                    .as_mut()
                    .expect("an alerting rule has a machine");
                machine.step_alerts(ts, made.into_iter().map(|(l, _, v)| (l, v)).collect());
                let active = machine.active().count();
                if limit > 0 && active > limit {
                    return Err(self.failed(
                        ts,
                        format!("exceeded limit of {limit} with {active} alerts"),
                        format!(
                            "{active} alerts pending or firing, over the group's limit of {limit}: Prometheus fails that evaluation and drops them all"
                        ),
                    ));
                }
                if keep {
                    let firing = machine
                        .active()
                        .filter(|a| a.firing)
                        .filter_map(|a| {
                            let (source, value) = sources.get(a.labels)?;
                            Some(FiringAlert {
                                labels: a.labels.clone(),
                                source: source.clone(),
                                value: *value,
                            })
                        })
                        .collect();
                    self.captured.insert(ts, firing);
                }
                alert_series(machine)
            }
            (Rule::Alerting(_), None) => Vec::new(),
        };
        self.staleness.evaluation(ts, outputs, out);
        Ok(())
    }

    /// The alerts `results` make: labels (the result's without `__name__`, the rule's
    /// labels expanded for that result over them, `alertname`), the result's labels, and
    /// its value.
    fn alerts_of(
        &self,
        rule: &AlertingRule,
        ts: i64,
        results: Vec<(LabelMap, f64)>,
    ) -> Result<Vec<(LabelMap, LabelMap, f64)>, EvalFailure> {
        let mut made = Vec::with_capacity(results.len());
        for (source, value) in results {
            let labels = state::alert_labels_for(rule, &source, value, &self.context.templates)
                .map_err(|why| {
                    let mut f = self.failed(ts, why.clone(), why);
                    f.limit = true;
                    f
                })?;
            made.push((labels, source, value));
        }
        Ok(made)
    }

    fn failed(&self, ts: i64, prometheus: String, what: String) -> EvalFailure {
        EvalFailure {
            ts,
            group: self.group.name.clone(),
            rule: self.rule.name().to_owned(),
            ours: format!(
                "group {}, rule {}: at {}, {what}",
                self.group.name,
                self.rule.name(),
                PromDuration(ts - self.origin)
            ),
            prometheus,
            limit: false,
        }
    }

    /// Its alerts' episodes (none for a recording rule), and for an alerting rule its firing
    /// alerts at the kept evaluation times.
    pub(crate) fn finish(self) -> (Vec<Episode>, Option<Captured>) {
        let captured = match self.rule {
            Rule::Alerting(rule) if !self.context.capture.is_empty() => Some(Captured {
                rule: rule.clone(),
                at: self.captured,
            }),
            _ => None,
        };
        (
            self.machine.map(Machine::into_episodes).unwrap_or_default(),
            captured,
        )
    }
}

/// An alerting rule's firing alerts at the kept evaluation times.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    pub(crate) rule: AlertingRule,
    pub(crate) at: BTreeMap<i64, Vec<FiringAlert>>,
}

/// The series the rule manager appends for the alerts active after an evaluation:
/// `ALERTS{…, alertstate="pending"|"firing"} 1` and `ALERTS_FOR_STATE{…}` = when the alert
/// became active, in Unix seconds (`rules/alerting.go`).
fn alert_series(machine: &Machine<'_>) -> Vec<(SeriesKey, f64)> {
    let mut out = Vec::new();
    for alert in machine.active() {
        let mut alerts = alert.labels.clone();
        alerts.insert("__name__".into(), ALERTS.into());
        let state = if alert.firing { "firing" } else { "pending" };
        alerts.insert("alertstate".into(), state.into());
        out.push((alerts, 1.0));
        let mut for_state = alert.labels.clone();
        for_state.insert("__name__".into(), ALERTS_FOR_STATE.into());
        out.push((for_state, alert.active_at.div_euclid(1000) as f64));
    }
    out
}

/// Per evaluation from `from` to `to`, the series a query gave then and their values.
pub(crate) fn steps(
    results: Vec<(LabelMap, Vec<(i64, f64)>)>,
    from: i64,
    to: i64,
    step: i64,
) -> Vec<(i64, Vec<(LabelMap, f64)>)> {
    let mut out: Vec<(i64, Vec<(LabelMap, f64)>)> = (0..=(to - from) / step)
        .map(|i| (from + i * step, Vec::new()))
        .collect();
    for (labels, points) in results {
        for (t, v) in points {
            if let Some(slot) = out.get_mut(((t - from) / step) as usize) {
                slot.1.push((labels.clone(), v));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::AlertingRule;

    #[test]
    fn steps_put_each_point_in_its_evaluation() {
        let l: LabelMap = [("a".to_owned(), "1".to_owned())].into();
        let s = steps(vec![(l.clone(), vec![(10, 1.0), (30, 3.0)])], 10, 40, 10);
        assert_eq!(
            s,
            vec![
                (10, vec![(l.clone(), 1.0)]),
                (20, vec![]),
                (30, vec![(l, 3.0)]),
                (40, vec![])
            ]
        );
    }

    #[test]
    fn results_that_make_the_same_alert_fail_the_evaluation_in_prometheus_words() {
        let rule = Rule::Alerting(AlertingRule {
            name: "A".into(),
            query: "x".into(),
            for_ms: 0,
            keep_firing_for_ms: 0,
            labels: [("job".to_owned(), "all".to_owned())].into(),
            annotations: LabelMap::new(),
        });
        let group = Group {
            name: "g".into(),
            interval_ms: 1_000,
            limit: 0,
            rules: vec![rule.clone()],
        };
        let context = Context::default();
        let mut run = RuleRun::new(&group, &rule, 0, &context);
        let result = |job: &str| -> LabelMap { [("job".to_owned(), job.to_owned())].into() };
        let mut out = Outputs::default();
        let failure = run
            .evaluation(
                2_000,
                vec![(result("a"), 1.0), (result("b"), 1.0)],
                &mut out,
            )
            .unwrap_err();
        assert_eq!(failure.ts, 2_000);
        assert_eq!(
            failure.prometheus,
            "vector contains metrics with the same labelset after applying alert labels"
        );
        assert!(!failure.limit);
    }

    #[test]
    fn alerts_series_follow_the_state_and_go_stale_when_it_changes() {
        let rule = Rule::Alerting(AlertingRule {
            name: "A".into(),
            query: "x > 1".into(),
            for_ms: 2_000,
            keep_firing_for_ms: 0,
            labels: [("severity".to_owned(), "page".to_owned())].into(),
            annotations: LabelMap::new(),
        });
        let group = Group {
            name: "g".into(),
            interval_ms: 1_000,
            limit: 0,
            rules: vec![rule.clone()],
        };
        let context = Context::default();
        let mut run = RuleRun::new(&group, &rule, 0, &context);
        let result: LabelMap = [("__name__".to_owned(), "x".to_owned())].into();
        let mut out = Outputs::default();
        for (ts, present) in [(1_000, true), (2_000, true), (3_000, true), (4_000, false)] {
            let results = if present {
                vec![(result.clone(), 5.0)]
            } else {
                vec![]
            };
            run.evaluation(ts, results, &mut out).unwrap();
        }
        // Each series as its samples: the value, or `stale`.
        let got: Vec<(String, Vec<(i64, String)>)> = out
            .series
            .iter()
            .map(|(key, samples)| {
                let name = format!(
                    "{}{}",
                    key["__name__"],
                    key.get("alertstate")
                        .map_or(String::new(), |s| format!("/{s}"))
                );
                let samples = samples
                    .iter()
                    .map(|s| {
                        (
                            s.timestamp_ms,
                            if s.is_stale() {
                                "stale".to_owned()
                            } else {
                                s.value.to_string()
                            },
                        )
                    })
                    .collect();
                (name, samples)
            })
            .collect();
        let series = |name: &str, samples: &[(i64, &str)]| {
            (
                name.to_owned(),
                samples
                    .iter()
                    .map(|(t, v)| (*t, (*v).to_owned()))
                    .collect::<Vec<_>>(),
            )
        };
        // Pending at 1s and 2s, firing from 3s (for 2s): the pending series goes stale at
        // 3s, the firing one at 4s; ALERTS_FOR_STATE holds activeAt (1 s) until 4s.
        assert_eq!(
            got,
            [
                series("ALERTS/firing", &[(3_000, "1"), (4_000, "stale")]),
                series(
                    "ALERTS/pending",
                    &[(1_000, "1"), (2_000, "1"), (3_000, "stale")]
                ),
                series(
                    "ALERTS_FOR_STATE",
                    &[(1_000, "1"), (2_000, "1"), (3_000, "1"), (4_000, "stale")]
                ),
            ]
        );
        assert!(
            out.series
                .keys()
                .all(|k| k["severity"] == "page" && k["alertname"] == "A")
        );
        let (episodes, _) = run.finish();
        assert_eq!(
            (
                episodes[0].pending_at,
                episodes[0].firing_at,
                episodes[0].inactive_at
            ),
            (1_000, Some(3_000), Some(4_000))
        );
    }
}
