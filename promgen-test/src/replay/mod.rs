//! Replay mode: write a feed's whole history into Prometheus, evaluate every rule through its
//! PromQL engine at every evaluation step, and run the alert state machine: hours of alert
//! behaviour in well under a second.
//!
//! Rules come back from `/api/v1/rules`, so they are read exactly as Prometheus reads them.
//! What a rule writes is written back as the rule manager appends it, before the rules after
//! it are evaluated: a recording rule's series, and an alerting rule's `ALERTS` and
//! `ALERTS_FOR_STATE`, with stale markers where a series goes away. Every group is evaluated
//! at the replay's start plus whole multiples of its interval. The order of groups and rules,
//! and when a group must be replayed evaluation by evaluation rather than rule by rule, is
//! [`plan`]'s.
//!
//! Before evaluating, and again at the end, the replay counts the samples Prometheus holds
//! against those it wrote: a limit that drops data (retention, an out-of-order window) is an
//! error, never a quietly different answer.
//!
//! Alerting rules' labels are Go templates, expanded for each result at each evaluation as
//! the rule manager does (`crate::templates`); one that runs `query` is refused.

mod evaluate;
mod plan;
pub(crate) mod rules;
mod verify;
mod write_back;

pub(crate) use evaluate::{Captured, Context, EvalFailure};
pub(crate) use plan::{Unit, plan, words};
pub(crate) use rules::{Group, Rule, label_map};

use crate::{
    Feed, HarnessError, Prometheus, Timeline,
    state::{AlertingRule, LabelMap},
};
use evaluate::{RuleRun, steps};
use promgen::{
    Scraper, Stop,
    registry::Registry,
    remote_write::{RemoteWriter, WriteOptions},
    time::{now_ms, parse_duration},
};
use rules::{number, parse_group, seconds_to_ms};
use std::sync::atomic::Ordering;
use write_back::{Outputs, SampleWriter};

/// The most points Prometheus returns per series from one range query.
const MAX_POINTS: i64 = 11_000;

/// The longest replay: the fixture's Prometheus keeps this much history and takes samples
/// this far out of order (`crate::fixture`).
pub const MAX_REPLAY: &str = "400d";
pub(crate) const MAX_REPLAY_MS: i64 = 400 * 24 * 3_600_000;

/// The series per step a query gave: labels, then `(time, value)` points.
type Results = Vec<(LabelMap, Vec<(i64, f64)>)>;

impl Prometheus {
    /// Replays `feed` over `length` (`"1h"`, at most [`MAX_REPLAY`]) and returns every
    /// alert's timeline. The replay's `0s` is `length` plus a few minutes before now. One
    /// Prometheus holds one replay: start another for the next.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), promgen_test::HarnessError> {
    /// use promgen_test::{Feed, Prometheus};
    /// let prometheus = Prometheus::builder()
    ///     .rules_yaml("groups: [{name: g, rules: [{alert: Errors, expr: 'errors > 5', for: 5m}]}]")
    ///     .start()
    ///     .await?;
    /// // 0 for 10 minutes (11 samples, 0s to 10m), 10 for 31 minutes (11m to 41m), then 0.
    /// let feed = Feed::new().interval("1m")?.notation("errors", "0x10 10x30 0x20")?;
    /// let timeline = prometheus.replay(&feed, "1h").await?;
    /// timeline
    ///     .expect("Errors")
    ///     .inactive_at("10m")
    ///     .pending_at("11m")
    ///     .firing_at("16m")
    ///     .firing_at("41m")
    ///     .inactive_at("42m");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A bad length, a second replay on this Prometheus, a write Prometheus refuses, a query
    /// it refuses, a rule label template that runs `query`, fewer (or more) samples held than
    /// written, or an evaluation at which Prometheus's rule manager (and promtool) would fail
    /// the rule: two results that make the same alert or recorded series, or more alerts or
    /// series than the group's `limit`.
    pub async fn replay(&self, feed: &Feed, length: &str) -> Result<Timeline, HarnessError> {
        let length_ms = match parse_duration(length) {
            Ok(ms) if ms > 0 && ms <= MAX_REPLAY_MS => ms,
            Ok(ms) if ms > MAX_REPLAY_MS => {
                return Err(HarnessError::Feed(format!(
                    "replay length {length:?}: at most {MAX_REPLAY} (the history the test's Prometheus keeps)"
                )));
            }
            _ => {
                return Err(HarnessError::Feed(format!(
                    "replay length {length:?}: expected a positive duration such as 1h"
                )));
            }
        };
        // Whole seconds, so that times print and compare simply.
        let origin = (now_ms() - length_ms - 5 * 60_000) / 1000 * 1000;
        let settings = Settings {
            origin,
            length_ms,
            ..Settings::default()
        };
        let run = self.replay_with(feed, &settings).await?;
        if let Some(failure) = run.failures.into_iter().next() {
            return Err(HarnessError::Rules(failure.ours));
        }
        Ok(run.timeline)
    }

    /// Replays `feed` with `settings`: what [`Prometheus::replay`] and the promtool runner
    /// share. An evaluation Prometheus would fail ends the replay there (the rules after
    /// it are still evaluated up to that time, to find every rule that fails first) and is
    /// in [`Run::failures`]; a limit of the replay is an error.
    pub(crate) async fn replay_with(
        &self,
        feed: &Feed,
        settings: &Settings,
    ) -> Result<Run, HarnessError> {
        if self.replayed.swap(true, Ordering::SeqCst) {
            return Err(HarnessError::Feed(
                "this Prometheus already holds a replay, whose series and rule results would mix with the next one's: start a Prometheus for each replay".into(),
            ));
        }
        let (origin, length_ms) = (settings.origin, settings.length_ms);
        let held = verify::Held::count(feed, origin, length_ms)?;
        self.write_feed(feed, origin, length_ms).await?;
        held.check(self, None).await?;

        let mut groups = self.groups().await?;
        if let Some(interval_ms) = settings.interval_ms {
            for g in &mut groups {
                g.interval_ms = interval_ms;
            }
        }
        let units = match &settings.group_order {
            None => plan(groups),
            Some(order) => plan::plan_in_order(ordered_as_promtool(groups, order)),
        };
        let alerting: Vec<AlertingRule> = units
            .iter()
            .flat_map(Unit::groups)
            .flat_map(|g| &g.rules)
            .filter_map(|r| match r {
                Rule::Alerting(a) => Some(a.clone()),
                Rule::Recording { .. } => None,
            })
            .collect();
        let mut writer = SampleWriter::new(
            self.remote_write_url(),
            units
                .iter()
                .flat_map(Unit::groups)
                .flat_map(|g| g.rules.iter().map(Rule::name)),
        )?;
        let mut state = RunState {
            context: &settings.context,
            origin,
            horizon: origin + length_ms,
            failures: Vec::new(),
            episodes: Vec::new(),
            captured: Vec::new(),
        };
        for unit in &units {
            match unit {
                Unit::Bulk(group) => self.replay_bulk(group, &mut state, &mut writer).await?,
                Unit::Lockstep(groups) => {
                    self.replay_lockstep(groups, &mut state, &mut writer)
                        .await?;
                }
            }
        }
        if state.failures.is_empty() {
            held.check(self, Some(&writer)).await?;
        }
        Ok(Run {
            timeline: Timeline::new(origin, length_ms, state.episodes).with_rules(&alerting),
            captured: state.captured,
            failures: state.failures,
        })
    }

    /// A group whose rules read only what rules before them write: each rule over every
    /// evaluation at once, its results written back before the next rule.
    async fn replay_bulk(
        &self,
        group: &Group,
        state: &mut RunState<'_>,
        writer: &mut SampleWriter,
    ) -> Result<(), HarnessError> {
        let origin = state.origin;
        for rule in &group.rules {
            let end = origin + (state.horizon - origin) / group.interval_ms * group.interval_ms;
            let (results, query_failure) = self.evaluate_rule(rule, origin, end, group).await?;
            let mut run = RuleRun::new(group, rule, origin, state.context);
            let mut out = Outputs::default();
            let mut failure = None;
            for (ts, step) in steps(results, origin, end, group.interval_ms) {
                if let Some(f) = query_failure.as_ref().filter(|f| f.ts == ts) {
                    failure = Some(f.clone());
                    break;
                }
                if let Err(f) = run.evaluation(ts, step, &mut out) {
                    failure = Some(f);
                    break;
                }
            }
            writer.write(&mut out).await?;
            state.finish(run);
            if let Some(f) = failure {
                state.failed(f)?;
            }
        }
        Ok(())
    }

    /// Groups that read back what they write (their own alerts, a later rule's series, each
    /// other's): evaluation time by evaluation time, every group due then in order, every
    /// rule in order, each rule's results written before the next is evaluated.
    async fn replay_lockstep(
        &self,
        groups: &[Group],
        state: &mut RunState<'_>,
        writer: &mut SampleWriter,
    ) -> Result<(), HarnessError> {
        let origin = state.origin;
        let context = state.context;
        let mut runs: Vec<Vec<RuleRun<'_>>> = groups
            .iter()
            .map(|g| {
                g.rules
                    .iter()
                    .map(|r| RuleRun::new(g, r, origin, context))
                    .collect()
            })
            .collect();
        let length_ms = state.horizon - origin;
        let mut times: Vec<i64> = groups
            .iter()
            .flat_map(|g| (0..=length_ms / g.interval_ms).map(|k| origin + k * g.interval_ms))
            .collect();
        times.sort_unstable();
        times.dedup();
        let mut out = Outputs::default();
        let mut failures = Vec::new();
        for ts in times {
            if ts > state.horizon {
                break;
            }
            for (group, runs) in groups.iter().zip(&mut runs) {
                if (ts - origin) % group.interval_ms != 0 {
                    continue;
                }
                for (rule, run) in group.rules.iter().zip(runs.iter_mut()) {
                    let (results, query_failure) = self.evaluate_rule(rule, ts, ts, group).await?;
                    if let Some(f) = query_failure {
                        failures.push(f);
                        continue;
                    }
                    let step = steps(results, ts, ts, group.interval_ms)
                        .pop()
                        .map(|(_, s)| s)
                        .unwrap_or_default();
                    if let Err(f) = run.evaluation(ts, step, &mut out) {
                        failures.push(f);
                        continue;
                    }
                    if !out.is_empty() {
                        writer.write(&mut out).await?;
                    }
                }
            }
            if !failures.is_empty() {
                break;
            }
        }
        for run in runs.into_iter().flatten() {
            state.finish(run);
        }
        for f in failures {
            state.failed(f)?;
        }
        Ok(())
    }

    /// A rule's query from `from` to `to`, or, when Prometheus refuses it, its results up
    /// to the first evaluation it fails at and that failure.
    async fn evaluate_rule(
        &self,
        rule: &Rule,
        from: i64,
        to: i64,
        group: &Group,
    ) -> Result<(Results, Option<EvalFailure>), HarnessError> {
        let refused = match self
            .evaluate(rule.query(), from, to, group.interval_ms)
            .await
        {
            Ok(results) => return Ok((results, None)),
            Err(e) => e,
        };
        // Which evaluation fails, and how: one at a time, as the rule manager runs them.
        let mut results: Results = Vec::new();
        let mut ts = from;
        while ts <= to {
            match self.api.query_checked(rule.query(), ts).await? {
                Ok(series) => {
                    for (labels, value) in series {
                        match results.iter_mut().find(|(l, _)| *l == labels) {
                            Some((_, points)) => points.push((ts, value)),
                            None => results.push((labels, vec![(ts, value)])),
                        }
                    }
                }
                Err(message) => {
                    let failure = EvalFailure {
                        ts,
                        group: group.name.clone(),
                        rule: rule.name().to_owned(),
                        ours: in_rule(&group.name, rule.name(), refused).to_string(),
                        prometheus: message,
                        limit: false,
                    };
                    return Ok((results, Some(failure)));
                }
            }
            ts += group.interval_ms;
        }
        // The range query failed but no evaluation does: not a failure of the rule's.
        Err(in_rule(&group.name, rule.name(), refused))
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
        // The fixture takes samples a century out of order: full requests, not a round
        // every 5 minutes of sample time (a 30-day feed at 1m was 8 640 rounds).
        opts.round_span = std::time::Duration::from_secs(24 * 3600);
        opts.max_samples_per_send = 10_000;
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
    ) -> Result<Results, HarnessError> {
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
}

/// How a replay runs: where [`Prometheus::replay`] and the promtool runner differ.
#[derive(Debug, Default)]
pub(crate) struct Settings {
    /// The replay's `0s`, in Unix ms.
    pub(crate) origin: i64,
    /// How long, in ms (0: one evaluation, at `0s`).
    pub(crate) length_ms: i64,
    /// Every group at this interval, whatever its own (promtool's `evaluation_interval`).
    pub(crate) interval_ms: Option<i64>,
    /// Groups in promtool's order: by their place in this list (`group_eval_order`), those
    /// not in it as if first; `None`: the replay's own order (by what they read).
    pub(crate) group_order: Option<Vec<String>>,
    /// Templates' data, and when to keep the firing alerts.
    pub(crate) context: Context,
}

/// What a replay found.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) timeline: Timeline,
    /// Each alerting rule's firing alerts at the times [`Settings::context`] asked for.
    pub(crate) captured: Vec<Captured>,
    /// The evaluations Prometheus fails first (every rule failing at that time); the
    /// replay's results after it are not meaningful.
    pub(crate) failures: Vec<EvalFailure>,
}

/// A replay in progress.
struct RunState<'s> {
    context: &'s Context,
    origin: i64,
    /// The last evaluation time still to make: the end, or the first failure.
    horizon: i64,
    failures: Vec<EvalFailure>,
    episodes: Vec<crate::state::Episode>,
    captured: Vec<Captured>,
}

impl RunState<'_> {
    fn finish(&mut self, run: RuleRun<'_>) {
        let (episodes, captured) = run.finish();
        self.episodes.extend(episodes);
        self.captured.extend(captured);
    }

    /// An evaluation that failed: the replay goes no further than its time.
    fn failed(&mut self, failure: EvalFailure) -> Result<(), HarnessError> {
        if failure.limit {
            return Err(HarnessError::Rules(failure.ours));
        }
        match self.failures.first() {
            Some(first) if first.ts < failure.ts => {}
            Some(first) if first.ts == failure.ts => self.failures.push(failure),
            _ => {
                self.horizon = failure.ts;
                self.failures = vec![failure];
            }
        }
        Ok(())
    }
}

/// `groups` in the order promtool evaluates them: by their place in `order`, a group not in
/// it as if it were first (promtool's order is partial, and random among equals: here
/// equals keep the replay's own order, by what they read).
fn ordered_as_promtool(groups: Vec<Group>, order: &[String]) -> Vec<Group> {
    let mut groups = evaluation_order(groups);
    let key = |g: &Group| order.iter().position(|n| *n == g.name).unwrap_or(0);
    groups.sort_by_key(key);
    groups
}

/// An error while evaluating a rule, naming it.
fn in_rule(group: &str, rule: &str, e: HarnessError) -> HarnessError {
    HarnessError::Rules(format!("group {group}, rule {rule}: {e}"))
}

/// The groups in the order a replay evaluates them (what `group_eval_order` tells promtool).
pub(crate) fn evaluation_order(groups: Vec<Group>) -> Vec<Group> {
    plan(groups)
        .into_iter()
        .flat_map(Unit::into_groups)
        .collect()
}
