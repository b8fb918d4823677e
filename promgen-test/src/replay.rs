//! Replay mode: write a feed's whole history into Prometheus, evaluate every rule through its
//! PromQL engine at every evaluation step, and run the alert state machine: hours of alert
//! behaviour in well under a second.
//!
//! Rules come back from `/api/v1/rules`, so they are read exactly as Prometheus reads them.
//! Groups and their rules go in order; a recording rule's results are written back (with
//! stale markers where a series goes away, as the rule manager writes them) before the rules
//! after it are evaluated, so alerts on recorded series see what they would see live.
//! Every group is evaluated at the replay's start plus whole multiples of its interval.
//! Prometheus runs groups side by side, in no order: a group that reads series another
//! group records goes after it (`evaluation_order`).
//!
//! Not replayed: the `ALERTS` and `ALERTS_FOR_STATE` series (rules that query them),
//! templates in rule labels, a rule that reads a series recorded by a later rule of its
//! group (live, it sees the previous evaluation's), and groups that read each other's
//! recorded series (all refused with an error).

use crate::{
    Feed, HarnessError, Prometheus, Timeline,
    state::{self, AlertingRule, Episode, LabelMap},
};
use promgen::{
    Labels, MetricType, Scraper, Stop,
    registry::{Registry, SeriesDef, Source},
    remote_write::{RemoteWriter, WriteOptions},
    shape::{Value, values},
    time::{Duration as PromDuration, now_ms, parse_duration},
};
use serde_json::Value as Json;

/// The most points Prometheus returns per series from one range query.
const MAX_POINTS: i64 = 11_000;

/// A rule group, as `/api/v1/rules` gives it.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) interval_ms: i64,
    /// `limit:`, the most alerts or series a rule may give (0: no limit).
    pub(crate) limit: usize,
    pub(crate) rules: Vec<Rule>,
}

/// A rule of a group.
#[derive(Debug, Clone)]
pub(crate) enum Rule {
    Recording {
        name: String,
        query: String,
        labels: LabelMap,
    },
    Alerting(AlertingRule),
}

impl Prometheus {
    /// Replays `feed` over `length` (`"1h"`) and returns every alert's timeline. The replay's
    /// `0s` is `length` plus a few minutes before now.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), promgen_test::HarnessError> {
    /// use promgen_test::{Feed, Prometheus};
    /// let prometheus = Prometheus::builder()
    ///     .rules_yaml("groups: [{name: g, rules: [{alert: Errors, expr: 'errors > 5', for: 5m}]}]")
    ///     .start()
    ///     .await?;
    /// let feed = Feed::new().interval("1m")?.notation("errors", "0x10 10x30 0x20")?;
    /// let timeline = prometheus.replay(&feed, "1h").await?;
    /// timeline.expect("Errors").pending_at("10m").firing_at("15m").inactive_at("40m");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A bad length, a write Prometheus refuses, a query it refuses, a templated rule label,
    /// or an evaluation at which Prometheus's rule manager (and promtool) would fail the
    /// rule: two results that make the same alert or recorded series, or more alerts or
    /// series than the group's `limit`.
    pub async fn replay(&self, feed: &Feed, length: &str) -> Result<Timeline, HarnessError> {
        let length_ms = match parse_duration(length) {
            Ok(ms) if ms > 0 => ms,
            _ => {
                return Err(HarnessError::Feed(format!(
                    "replay length {length:?}: expected a positive duration such as 1h"
                )));
            }
        };
        // Whole seconds, so that times print and compare simply.
        let origin = (now_ms() - length_ms - 5 * 60_000) / 1000 * 1000;
        self.write_feed(feed, origin, length_ms).await?;
        let groups = evaluation_order(self.groups().await?)?;
        let mut episodes = Vec::new();
        for group in &groups {
            let end = origin + length_ms / group.interval_ms * group.interval_ms;
            for rule in &group.rules {
                match rule {
                    Rule::Recording {
                        name,
                        query,
                        labels,
                    } => {
                        let results = self
                            .evaluate(query, origin, end, group.interval_ms)
                            .await
                            .map_err(|e| in_rule(&group.name, name, e))?;
                        let counts = steps(&results, origin, end, group.interval_ms)
                            .into_iter()
                            .map(|(t, r)| (t, r.len()));
                        if let Some((ts, n)) = over_limit(group.limit, counts) {
                            return Err(HarnessError::Rules(format!(
                                "group {}, rule {name}: at {}, {n} series, over the group's limit of {}: Prometheus fails that evaluation",
                                group.name,
                                PromDuration(ts - origin),
                                group.limit
                            )));
                        }
                        self.write_back(name, labels, &results, origin, end, group.interval_ms)
                            .await?;
                    }
                    Rule::Alerting(rule) => {
                        let results = self
                            .evaluate(&rule.query, origin, end, group.interval_ms)
                            .await
                            .map_err(|e| in_rule(&group.name, &rule.name, e))?;
                        let steps = steps(&results, origin, end, group.interval_ms);
                        if let Some((ts, labels)) = state::first_duplicate(rule, &steps) {
                            return Err(HarnessError::Rules(format!(
                                "group {}, rule {}: at {}, two results make the alert {labels:?}: Prometheus fails that evaluation (vector contains metrics with the same labelset after applying alert labels)",
                                group.name,
                                rule.name,
                                PromDuration(ts - origin)
                            )));
                        }
                        let times: Vec<i64> = steps.iter().map(|(t, _)| *t).collect();
                        let found = state::run(rule, steps);
                        if let Some((ts, n)) =
                            over_limit(group.limit, active_counts(&found, &times))
                        {
                            return Err(HarnessError::Rules(format!(
                                "group {}, rule {}: at {}, {n} alerts pending or firing, over the group's limit of {}: Prometheus fails that evaluation and drops them all",
                                group.name,
                                rule.name,
                                PromDuration(ts - origin),
                                group.limit
                            )));
                        }
                        episodes.extend(found);
                    }
                }
            }
        }
        Ok(Timeline::new(origin, length_ms, episodes))
    }

    /// Writes the feed from `origin` over `length_ms`, time by time.
    async fn write_feed(
        &self,
        feed: &Feed,
        origin: i64,
        length_ms: i64,
    ) -> Result<(), HarnessError> {
        let mut registry = feed.registry()?;
        let scraper = Scraper::new(origin, feed.interval_ms(), Stop::Until(origin + length_ms))
            .map_err(|e| HarnessError::Feed(e.to_string()))?;
        self.write(&mut registry, &scraper).await
    }

    pub(crate) async fn write(
        &self,
        registry: &mut Registry,
        scraper: &Scraper,
    ) -> Result<(), HarnessError> {
        let mut opts = WriteOptions::new(self.remote_write_url());
        opts.concurrency = 2;
        let writer = RemoteWriter::new(&opts).map_err(|e| HarnessError::Write(e.to_string()))?;
        writer
            .run(registry, scraper, std::future::pending())
            .await
            .map_err(|e| HarnessError::Write(e.to_string()))?;
        Ok(())
    }

    /// The rule groups Prometheus loaded.
    pub(crate) async fn groups(&self) -> Result<Vec<Group>, HarnessError> {
        let raw = self.api.rule_groups().await?;
        raw.iter().map(parse_group).collect()
    }

    /// `query` at every step from `from` to `to`: per series, its labels and its points.
    pub(crate) async fn evaluate(
        &self,
        query: &str,
        from: i64,
        to: i64,
        step: i64,
    ) -> Result<Vec<(LabelMap, Vec<(i64, f64)>)>, HarnessError> {
        let mut series: std::collections::BTreeMap<LabelMap, Vec<(i64, f64)>> = Default::default();
        let mut start = from;
        while start <= to {
            let end = to.min(start + (MAX_POINTS - 1) * step);
            for s in self.api.query_range(query, start, end, step).await? {
                let labels = label_map(&s["metric"]);
                let points = s["values"].as_array().cloned().unwrap_or_default();
                let entry = series.entry(labels).or_default();
                for p in points {
                    entry.push((seconds_to_ms(&p[0]), number(&p[1])));
                }
            }
            start = end + step;
        }
        Ok(series.into_iter().collect())
    }

    /// A recording rule's results, written back as its output series over the same steps,
    /// with a stale marker where a series goes away.
    async fn write_back(
        &self,
        name: &str,
        rule_labels: &LabelMap,
        results: &[(LabelMap, Vec<(i64, f64)>)],
        from: i64,
        to: i64,
        step: i64,
    ) -> Result<(), HarnessError> {
        let mut registry = Registry::default();
        let ticks = ((to - from) / step + 1) as usize;
        // Results that the rule's labels make the same series share it, unless they are
        // present at the same time, which Prometheus refuses.
        let mut outputs: std::collections::BTreeMap<LabelMap, Vec<Value>> = Default::default();
        for (labels, points) in results {
            let mut l = labels.clone();
            l.remove("__name__");
            state::set_labels(&mut l, rule_labels);
            let shape = outputs
                .entry(l)
                .or_insert_with(|| vec![Value::Missing; ticks]);
            for &(t, v) in points {
                let slot = &mut shape[((t - from) / step) as usize];
                if matches!(slot, Value::Num(_)) {
                    return Err(HarnessError::Rules(format!(
                        "recording rule {name}: at {}, two results make the same series: Prometheus fails that evaluation (vector contains metrics with the same labelset after applying rule labels)",
                        PromDuration(t - from)
                    )));
                }
                *slot = Value::Num(v);
            }
        }
        for (l, mut shape) in outputs {
            let labels = Labels::new(name, l)
                .map_err(|e| HarnessError::Rules(format!("recording rule {name}: {e}")))?;
            for i in 1..ticks {
                if matches!(shape[i], Value::Missing) && matches!(shape[i - 1], Value::Num(_)) {
                    shape[i] = Value::Stale;
                }
            }
            registry
                .add(SeriesDef {
                    labels,
                    metric_type: MetricType::Untyped,
                    help: None,
                    source: Source::Series(Box::new(values(shape))),
                    description: String::new(),
                    definition: None,
                })
                .map_err(|e| HarnessError::Rules(format!("recording rule {name}: {e}")))?;
        }
        let scraper = Scraper::new(from, step, Stop::Until(to))
            .map_err(|e| HarnessError::Feed(e.to_string()))?;
        self.write(&mut registry, &scraper).await
    }
}

/// An error while evaluating a rule, naming it.
fn in_rule(group: &str, rule: &str, e: HarnessError) -> HarnessError {
    HarnessError::Rules(format!("group {group}, rule {rule}: {e}"))
}

/// The names a PromQL expression mentions (metric names among them), as words made of
/// the characters of metric names: enough to see which recorded series a rule reads.
fn words(query: &str) -> impl Iterator<Item = &str> {
    query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
}

/// The groups in the order the replay evaluates them. Each group's rules are evaluated in
/// order over the whole replay before the next group's, so a rule that reads a recorded
/// series must come after the rule that records it. Prometheus runs groups side by side,
/// so any order of groups is one it could take: the one from `/api/v1/rules` (by file,
/// then name), with a group that reads another's recorded series moved after it.
///
/// # Errors
/// A rule that reads a series recorded by itself or a later rule of its group (live, it
/// sees the previous evaluation's value, which a replay rule by rule cannot give), or
/// groups that read each other's recorded series.
pub(crate) fn evaluation_order(groups: Vec<Group>) -> Result<Vec<Group>, HarnessError> {
    let recorded = |g: &Group| -> Vec<String> {
        g.rules
            .iter()
            .filter_map(|r| match r {
                Rule::Recording { name, .. } => Some(name.clone()),
                Rule::Alerting(_) => None,
            })
            .collect()
    };
    let query = |r: &Rule| match r {
        Rule::Recording { query, .. } => query.clone(),
        Rule::Alerting(a) => a.query.clone(),
    };
    let rule_name = |r: &Rule| match r {
        Rule::Recording { name, .. } => name.clone(),
        Rule::Alerting(a) => a.name.clone(),
    };
    for g in &groups {
        for (i, rule) in g.rules.iter().enumerate() {
            let q = query(rule);
            let read: Vec<&str> = words(&q).collect();
            if let Some(later) = g.rules[i..].iter().find_map(|r| match r {
                Rule::Recording { name, .. } if read.contains(&name.as_str()) => Some(name),
                _ => None,
            }) {
                return Err(HarnessError::Rules(format!(
                    "group {}, rule {}: it reads {later}, recorded by itself or a later rule of the group; Prometheus gives it the previous evaluation's value, which the replay cannot (record it before the rules that read it)",
                    g.name,
                    rule_name(rule)
                )));
            }
        }
    }
    // Which groups each group reads from.
    let reads: Vec<Vec<usize>> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let text: Vec<String> = g.rules.iter().map(query).collect();
            let read: Vec<&str> = text.iter().flat_map(|q| words(q)).collect();
            groups
                .iter()
                .enumerate()
                .filter(|&(j, h)| j != i && recorded(h).iter().any(|n| read.contains(&n.as_str())))
                .map(|(j, _)| j)
                .collect()
        })
        .collect();
    // The first group (in the given order) whose sources have all gone, again and again.
    let mut order: Vec<usize> = Vec::with_capacity(groups.len());
    while order.len() < groups.len() {
        let next = (0..groups.len())
            .find(|i| !order.contains(i) && reads[*i].iter().all(|j| order.contains(j)));
        match next {
            Some(i) => order.push(i),
            None => {
                let left: Vec<&str> = (0..groups.len())
                    .filter(|i| !order.contains(i))
                    .map(|i| groups[i].name.as_str())
                    .collect();
                return Err(HarnessError::Rules(format!(
                    "groups {left:?} read each other's recorded series: each would see the other's previous evaluation, which the replay cannot give"
                )));
            }
        }
    }
    let mut groups: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| groups[i].take()).collect())
}

/// The first evaluation whose count is over `limit` (0: no limit), and that count.
fn over_limit(
    limit: usize,
    counts: impl IntoIterator<Item = (i64, usize)>,
) -> Option<(i64, usize)> {
    counts.into_iter().find(|&(_, n)| limit > 0 && n > limit)
}

/// At each of `times`, how many of `episodes` are pending or firing.
fn active_counts(episodes: &[Episode], times: &[i64]) -> Vec<(i64, usize)> {
    times
        .iter()
        .map(|&t| {
            let n = episodes
                .iter()
                .filter(|e| e.pending_at <= t && e.inactive_at.is_none_or(|i| t < i))
                .count();
            (t, n)
        })
        .collect()
}

/// Per step from `from` to `to`, the series present then and their values.
fn steps(
    results: &[(LabelMap, Vec<(i64, f64)>)],
    from: i64,
    to: i64,
    step: i64,
) -> Vec<(i64, Vec<(LabelMap, f64)>)> {
    let mut out: Vec<(i64, Vec<(LabelMap, f64)>)> = (0..=(to - from) / step)
        .map(|i| (from + i * step, Vec::new()))
        .collect();
    for (labels, points) in results {
        for &(t, v) in points {
            if let Some(slot) = out.get_mut(((t - from) / step) as usize) {
                slot.1.push((labels.clone(), v));
            }
        }
    }
    out
}

fn parse_group(g: &Json) -> Result<Group, HarnessError> {
    let name = g["name"].as_str().unwrap_or_default().to_owned();
    let interval_ms = (g["interval"].as_f64().unwrap_or(60.0) * 1000.0).round() as i64;
    let mut rules = Vec::new();
    for r in g["rules"].as_array().into_iter().flatten() {
        let rule_name = r["name"].as_str().unwrap_or_default().to_owned();
        let labels = label_map(&r["labels"]);
        if let Some((k, _)) = labels.iter().find(|(_, v)| v.contains("{{")) {
            return Err(HarnessError::Rules(format!(
                "rule {rule_name} in group {name}: label {k} is a template, which replays do not expand"
            )));
        }
        let query = r["query"].as_str().unwrap_or_default().to_owned();
        let rule = match r["type"].as_str() {
            Some("alerting") => Rule::Alerting(AlertingRule {
                name: rule_name,
                query,
                for_ms: (r["duration"].as_f64().unwrap_or(0.0) * 1000.0).round() as i64,
                keep_firing_for_ms: (r["keepFiringFor"].as_f64().unwrap_or(0.0) * 1000.0).round()
                    as i64,
                labels,
                annotations: label_map(&r["annotations"]),
            }),
            _ => Rule::Recording {
                name: rule_name,
                query,
                labels,
            },
        };
        rules.push(rule);
    }
    Ok(Group {
        name,
        interval_ms: interval_ms.max(1),
        limit: usize::try_from(g["limit"].as_u64().unwrap_or(0)).unwrap_or(usize::MAX),
        rules,
    })
}

/// A JSON object of strings as a map.
pub(crate) fn label_map(v: &Json) -> LabelMap {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The API's float seconds as milliseconds.
pub(crate) fn seconds_to_ms(v: &Json) -> i64 {
    (v.as_f64().unwrap_or(0.0) * 1000.0).round() as i64
}

/// The API's value strings: numbers, `NaN`, `+Inf`, `-Inf`.
pub(crate) fn number(v: &Json) -> f64 {
    match v.as_str().unwrap_or("NaN") {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        s => s.parse().unwrap_or(f64::NAN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, rules: &[(&str, &str)]) -> Group {
        let rules = rules
            .iter()
            .map(|&(name, query)| match name.strip_prefix("alert ") {
                Some(alert) => Rule::Alerting(AlertingRule {
                    name: alert.into(),
                    query: query.into(),
                    for_ms: 0,
                    keep_firing_for_ms: 0,
                    labels: LabelMap::new(),
                    annotations: LabelMap::new(),
                }),
                None => Rule::Recording {
                    name: name.into(),
                    query: query.into(),
                    labels: LabelMap::new(),
                },
            })
            .collect();
        Group {
            name: name.into(),
            interval_ms: 60_000,
            limit: 0,
            rules,
        }
    }

    fn names(groups: &[Group]) -> Vec<&str> {
        groups.iter().map(|g| g.name.as_str()).collect()
    }

    #[test]
    fn a_group_that_reads_recorded_series_goes_after_the_group_that_records_them() {
        let groups = vec![
            group("a-alerts", &[("alert High", "job:x:sum > 5")]),
            group("b-other", &[("alert Up", "up == 0")]),
            group("c-sum", &[("job:x:sum", "sum by (job) (job:x:max)")]),
            group("d-max", &[("job:x:max", "max by (job, i) (x)")]),
        ];
        let order = evaluation_order(groups).unwrap();
        assert_eq!(names(&order), ["b-other", "d-max", "c-sum", "a-alerts"]);
    }

    #[test]
    fn reading_a_later_rule_or_each_other_is_refused() {
        let later = group("g", &[("alert High", "rate(x:r[5m]) > 1"), ("x:r", "x")]);
        let err = evaluation_order(vec![later]).unwrap_err().to_string();
        assert!(err.contains("rule High: it reads x:r"), "{err}");
        let cycle = vec![
            group("one", &[("a:x", "b:x + 1")]),
            group("two", &[("b:x", "a:x")]),
        ];
        let err = evaluation_order(cycle).unwrap_err().to_string();
        assert!(err.contains(r#"["one", "two"]"#), "{err}");
        // A name inside another word is not a read.
        let fine = group("g", &[("x:r", "x"), ("alert A", "x:r > 1 or x:rr")]);
        assert_eq!(names(&evaluation_order(vec![fine]).unwrap()), ["g"]);
    }

    #[test]
    fn a_limit_counts_pending_and_firing_alerts() {
        let episode = |pending_at, inactive_at| Episode {
            labels: LabelMap::new(),
            pending_at,
            firing_at: None,
            inactive_at,
            value: 1.0,
        };
        let episodes = [
            episode(0, Some(20)),
            episode(10, None),
            episode(20, Some(30)),
        ];
        let counts = active_counts(&episodes, &[0, 10, 20, 30]);
        assert_eq!(counts, [(0, 1), (10, 2), (20, 2), (30, 1)]);
        assert_eq!(over_limit(0, counts.clone()), None);
        assert_eq!(over_limit(2, counts.clone()), None);
        assert_eq!(over_limit(1, counts), Some((10, 2)));
    }

    #[test]
    fn steps_put_each_point_in_its_evaluation() {
        let l: LabelMap = [("a".to_owned(), "1".to_owned())].into();
        let s = steps(&[(l.clone(), vec![(10, 1.0), (30, 3.0)])], 10, 40, 10);
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
}
