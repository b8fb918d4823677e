//! A replay's result: every alert's episodes (pending, firing, inactive), with times counted
//! from the start of the replay, assertions that read like the question, and a compact
//! table for snapshots and failure messages.

use crate::{
    HarnessError,
    selector::{Selector, show},
    state::{AlertingRule, Episode, LabelMap},
};
use promgen::{time::Duration as PromDuration, time::parse_duration};
use std::{collections::BTreeMap, fmt};

/// An alert's state at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertState {
    /// Not active (never was, resolved, or a pending alert that went away).
    Inactive,
    /// Active, waiting for `for` to pass.
    Pending,
    /// Firing.
    Firing,
}

impl fmt::Display for AlertState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Inactive => "inactive",
            Self::Pending => "pending",
            Self::Firing => "firing",
        })
    }
}

/// Every alert of a replay, episode by episode; times are milliseconds from the replay's
/// start (its `0s`).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub(crate) origin_ms: i64,
    pub(crate) length_ms: i64,
    pub(crate) episodes: Vec<Episode>,
    /// The alerting rules assertions may name: each alert name with the `labels:` of its
    /// rules (one entry per rule).
    rules: BTreeMap<String, Vec<LabelMap>>,
}

/// A time in a replay: `"12m"`, or milliseconds.
pub trait At {
    /// Milliseconds from the replay's start.
    fn ms(&self) -> Result<i64, HarnessError>;
}

impl At for &str {
    fn ms(&self) -> Result<i64, HarnessError> {
        parse_duration(self).map_err(|e| HarnessError::Assertion(format!("time {self:?}: {e}")))
    }
}

impl At for i64 {
    fn ms(&self) -> Result<i64, HarnessError> {
        Ok(*self)
    }
}

impl At for std::time::Duration {
    fn ms(&self) -> Result<i64, HarnessError> {
        i64::try_from(self.as_millis())
            .map_err(|_| HarnessError::Assertion(format!("time {self:?} is too large")))
    }
}

impl Timeline {
    /// A timeline from episodes with absolute times, made relative to `origin_ms`. The
    /// alerts assertions may name are those of the episodes, unless
    /// [`Timeline::with_rules`] says which rules there are.
    #[must_use]
    pub fn new(origin_ms: i64, length_ms: i64, mut episodes: Vec<Episode>) -> Self {
        for e in &mut episodes {
            e.pending_at -= origin_ms;
            e.firing_at = e.firing_at.map(|t| t - origin_ms);
            e.inactive_at = e.inactive_at.map(|t| t - origin_ms);
        }
        episodes.sort_by(|a, b| (&a.labels, a.pending_at).cmp(&(&b.labels, b.pending_at)));
        let mut rules: BTreeMap<String, Vec<LabelMap>> = BTreeMap::new();
        for e in &episodes {
            if let Some(name) = e.labels.get("alertname") {
                rules.entry(name.clone()).or_default();
            }
        }
        Self {
            origin_ms,
            length_ms,
            episodes,
            rules,
        }
    }

    /// The alerting rules the timeline covers (a replay's are the rules Prometheus loaded):
    /// an assertion about another alert name is an error, and one whose labels contradict
    /// every rule's `labels:` too.
    #[must_use]
    pub fn with_rules<'r>(mut self, rules: impl IntoIterator<Item = &'r AlertingRule>) -> Self {
        self.rules.clear();
        for rule in rules {
            self.rules
                .entry(rule.name.clone())
                .or_default()
                .push(rule.labels.clone());
        }
        self
    }

    /// The alert names assertions may name, sorted.
    #[must_use]
    pub fn alert_names(&self) -> Vec<&str> {
        self.rules.keys().map(String::as_str).collect()
    }

    /// The episodes, by alert labels then time; times from the start.
    #[must_use]
    pub fn episodes(&self) -> &[Episode] {
        &self.episodes
    }

    /// The absolute time (ms since the epoch) of the replay's `0s`.
    #[must_use]
    pub fn origin_ms(&self) -> i64 {
        self.origin_ms
    }

    /// How long the replay covers.
    #[must_use]
    pub fn length_ms(&self) -> i64 {
        self.length_ms
    }

    /// The most active state among the alerts `selector` matches at `at`.
    ///
    /// # Errors
    /// A bad selector or time: an alert name no rule has, labels no alert had (and no rule
    /// gives), a time outside the replay.
    pub fn state_at(&self, selector: &str, at: impl At) -> Result<AlertState, HarnessError> {
        let (s, t) = (self.selector(selector)?, self.time(at)?);
        Ok(self.state(&s, t))
    }

    /// `text` as a selector that can match: see [`Selector::resolve`].
    fn selector(&self, text: &str) -> Result<Selector, HarnessError> {
        Selector::resolve(text, &self.rules, &self.episodes)
    }

    /// `at` in milliseconds from the start, checked to be within the replay.
    fn time(&self, at: impl At) -> Result<i64, HarnessError> {
        let t = at.ms()?;
        if (0..=self.length_ms).contains(&t) {
            Ok(t)
        } else {
            Err(HarnessError::Assertion(format!(
                "time {} is outside the replay, which covers 0s to {}",
                PromDuration(t),
                PromDuration(self.length_ms)
            )))
        }
    }

    fn state(&self, s: &Selector, t: i64) -> AlertState {
        self.episodes
            .iter()
            .filter(|e| s.matches(e))
            .map(|e| episode_state(e, t))
            .max()
            .unwrap_or(AlertState::Inactive)
    }

    /// The labels of every alert firing at `at`, sorted: what `promtool test rules` lists
    /// for an `eval_time`.
    ///
    /// # Errors
    /// A bad time, or one outside the replay.
    pub fn firing_at(&self, at: impl At) -> Result<Vec<&LabelMap>, HarnessError> {
        let t = self.time(at)?;
        let mut firing: Vec<_> = self
            .episodes
            .iter()
            .filter(|e| episode_state(e, t) == AlertState::Firing)
            .map(|e| &e.labels)
            .collect();
        firing.sort();
        Ok(firing)
    }

    /// Assertions about the alerts `selector` matches; each panics, showing the timeline,
    /// when it does not hold.
    ///
    /// ```
    /// # use promgen_test::{Timeline, state::Episode};
    /// # let labels = [("alertname".to_owned(), "HighErrorRate".to_owned()), ("service".to_owned(), "api".to_owned())].into();
    /// # let timeline = Timeline::new(0, 3_600_000, vec![Episode { labels, pending_at: 120_000, firing_at: Some(720_000), inactive_at: Some(1_860_000), value: 1.0 }]);
    /// timeline
    ///     .expect(r#"HighErrorRate{service="api"}"#)
    ///     .inactive_at("1m")
    ///     .pending_at("2m")
    ///     .never_fires_before("12m")
    ///     .firing_at("20m")
    ///     .inactive_at("31m");
    /// ```
    ///
    /// # Panics
    /// When the selector cannot match: an alert name no rule has (with a did-you-mean),
    /// labels that no alert of the replay had and no rule gives.
    #[track_caller]
    pub fn expect(&self, selector: &str) -> Expect<'_> {
        match self.selector(selector) {
            Ok(selector) => Expect {
                timeline: self,
                selector,
            },
            Err(e) => panic!("{e}"),
        }
    }
}

fn episode_state(e: &Episode, t: i64) -> AlertState {
    let ended = e.inactive_at.is_some_and(|end| t >= end);
    if t < e.pending_at || ended {
        AlertState::Inactive
    } else if e.firing_at.is_some_and(|f| t >= f) {
        AlertState::Firing
    } else {
        AlertState::Pending
    }
}

/// Assertions about some alerts of a [`Timeline`]; from [`Timeline::expect`].
pub struct Expect<'t> {
    timeline: &'t Timeline,
    selector: Selector,
}

impl Expect<'_> {
    /// `at`, checked to be within the replay.
    #[track_caller]
    fn time(&self, at: impl At) -> i64 {
        self.timeline
            .time(at)
            .unwrap_or_else(|e| panic!("{}: {e}", self.selector.text))
    }

    /// Panics, showing the timeline, when `check` does not hold.
    #[track_caller]
    fn holds(self, check: &Check) -> Self {
        if let Err(what) = self.timeline.verdict(&self.selector, check) {
            panic!(
                "expected {} {what}\n\n{}",
                self.selector.text, self.timeline
            );
        }
        self
    }

    /// It is inactive at `at` (it may fire before or after).
    #[track_caller]
    pub fn inactive_at(self, at: impl At) -> Self {
        let t = self.time(at);
        self.holds(&Check::State(t, AlertState::Inactive))
    }

    /// It is pending at `at`.
    #[track_caller]
    pub fn pending_at(self, at: impl At) -> Self {
        let t = self.time(at);
        self.holds(&Check::State(t, AlertState::Pending))
    }

    /// It is firing at `at`.
    #[track_caller]
    pub fn firing_at(self, at: impl At) -> Self {
        let t = self.time(at);
        self.holds(&Check::State(t, AlertState::Firing))
    }

    /// It does not fire before `at` (from the start up to, not including, `at`).
    #[track_caller]
    pub fn never_fires_before(self, at: impl At) -> Self {
        let t = self.time(at);
        self.holds(&Check::NeverFiresBefore(t))
    }

    /// It never fires.
    #[track_caller]
    pub fn never_fires(self) {
        self.holds(&Check::NeverFires);
    }

    /// It first fires at or after `from` and at or before `to`.
    #[track_caller]
    pub fn starts_firing_between(self, from: impl At, to: impl At) -> Self {
        let (a, b) = (self.time(from), self.time(to));
        self.holds(&Check::StartsFiringBetween(a, b))
    }

    /// A firing episode of it resolves at or after `from` and at or before `to` (say, "within
    /// 5m after the errors stop at 30m": `resolves_between("30m", "35m")`).
    #[track_caller]
    pub fn resolves_between(self, from: impl At, to: impl At) -> Self {
        let (a, b) = (self.time(from), self.time(to));
        self.holds(&Check::ResolvesBetween(a, b))
    }
}

/// One thing said about the alerts a selector matches; times in ms from the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The most active state among them at this time.
    State(i64, AlertState),
    /// None fires, from the start to the end.
    NeverFires,
    /// None fires before this time.
    NeverFiresBefore(i64),
    /// The first to fire fires within these times (both included).
    StartsFiringBetween(i64, i64),
    /// A firing one resolves within these times (both included).
    ResolvesBetween(i64, i64),
}

impl Check {
    /// The times it names.
    pub(crate) fn times(&self) -> Vec<i64> {
        match *self {
            Self::State(t, _) | Self::NeverFiresBefore(t) => vec![t],
            Self::NeverFires => Vec::new(),
            Self::StartsFiringBetween(a, b) | Self::ResolvesBetween(a, b) => vec![a, b],
        }
    }
}

impl Timeline {
    /// Whether `check` holds for the alerts `selector` matches: `Err` says what was
    /// expected and what is (`to be firing at 20m, but it is pending`).
    pub(crate) fn verdict(&self, selector: &Selector, check: &Check) -> Result<(), String> {
        let matching = || self.episodes.iter().filter(|e| selector.matches(e));
        let first_firing = matching().filter_map(|e| e.firing_at).min();
        let d = PromDuration;
        match *check {
            Check::State(t, want) => {
                let got = self.state(selector, t);
                if got == want {
                    return Ok(());
                }
                Err(format!("to be {want} at {}, but it is {got}", d(t)))
            }
            Check::NeverFires => match first_firing {
                None => Ok(()),
                Some(f) => Err(format!("never to fire, but it fires at {}", d(f))),
            },
            Check::NeverFiresBefore(t) => match first_firing.filter(|f| *f < t) {
                None => Ok(()),
                Some(f) => Err(format!(
                    "never to fire before {}, but it fires at {}",
                    d(t),
                    d(f)
                )),
            },
            Check::StartsFiringBetween(a, b) => match first_firing {
                Some(f) if (a..=b).contains(&f) => Ok(()),
                Some(f) => Err(format!(
                    "to start firing between {} and {}, but it starts at {}",
                    d(a),
                    d(b),
                    d(f)
                )),
                None => Err(format!(
                    "to start firing between {} and {}, but it never fires",
                    d(a),
                    d(b)
                )),
            },
            Check::ResolvesBetween(a, b) => {
                let resolved = matching().any(|e| {
                    e.firing_at.is_some() && e.inactive_at.is_some_and(|r| (a..=b).contains(&r))
                });
                if resolved {
                    return Ok(());
                }
                let when: Vec<String> = matching()
                    .filter(|e| e.firing_at.is_some())
                    .filter_map(|e| e.inactive_at)
                    .map(|r| d(r).to_string())
                    .collect();
                let got = if when.is_empty() {
                    "no firing episode of it resolves".to_owned()
                } else {
                    format!("it resolves at {}", when.join(", "))
                };
                Err(format!(
                    "to resolve between {} and {}, but {got}",
                    d(a),
                    d(b)
                ))
            }
        }
    }

    /// The table of the alerts named `alertname` alone.
    pub(crate) fn table_of(&self, alertname: &str) -> String {
        let mine = Self {
            episodes: self
                .episodes
                .iter()
                .filter(|e| e.labels.get("alertname").map(String::as_str) == Some(alertname))
                .cloned()
                .collect(),
            rules: BTreeMap::new(),
            ..*self
        };
        mine.to_string()
    }

    /// The selector of `alertname` with `labels`, checked to be able to match (see
    /// [`Timeline::expect`]).
    pub(crate) fn selector_of(
        &self,
        alertname: &str,
        labels: Vec<(String, crate::selector::LabelMatch)>,
    ) -> Result<Selector, HarnessError> {
        Selector::from_parts(alertname, labels).resolved(&self.rules, &self.episodes)
    }

    /// The `labels:` of each alerting rule named `alertname` (empty: no such rule).
    pub(crate) fn rule_labels(&self, alertname: &str) -> &[LabelMap] {
        self.rules.get(alertname).map_or(&[], Vec::as_slice)
    }
}

/// The table: one row per episode, times from the start, `-` for never.
///
/// ```text
/// alert                             pending  firing  inactive
/// HighErrorRate{service="api"}      2m       12m     31m
/// ```
impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |e: &Episode| show(&e.labels);
        let time =
            |t: Option<i64>| t.map_or_else(|| "-".to_owned(), |t| PromDuration(t).to_string());
        let rows: Vec<[String; 4]> = self
            .episodes
            .iter()
            .map(|e| {
                [
                    name(e),
                    time(Some(e.pending_at)),
                    time(e.firing_at),
                    time(e.inactive_at),
                ]
            })
            .collect();
        let header = ["alert", "pending", "firing", "inactive"].map(str::to_owned);
        let mut widths = [0; 4];
        for row in std::iter::once(&header).chain(&rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        writeln!(
            f,
            "timeline over {} ({} episodes)",
            PromDuration(self.length_ms),
            self.episodes.len()
        )?;
        for row in std::iter::once(&header).chain(&rows) {
            let line: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:w$}"))
                .collect();
            writeln!(f, "{}", line.join("  ").trim_end())?;
        }
        Ok(())
    }
}

impl Timeline {
    /// The timeline as JSON, for tools: the length and every episode with its labels and
    /// times (milliseconds from the start, and as Prometheus durations; `null` for never).
    ///
    /// ```
    /// # use promgen_test::{Timeline, state::Episode};
    /// # let labels = [("alertname".to_owned(), "Down".to_owned())].into();
    /// let timeline = Timeline::new(0, 600_000, vec![Episode { labels, pending_at: 60_000, firing_at: Some(120_000), inactive_at: None, value: 1.0 }]);
    /// let json = timeline.to_json();
    /// assert_eq!(json["episodes"][0]["firing_at"], "2m");
    /// assert_eq!(json["episodes"][0]["inactive_at_ms"], serde_json::Value::Null);
    /// ```
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let time = |t: Option<i64>| {
            (
                t.map_or(serde_json::Value::Null, Into::into),
                t.map_or(serde_json::Value::Null, |t| {
                    PromDuration(t).to_string().into()
                }),
            )
        };
        let episodes: Vec<serde_json::Value> = self
            .episodes
            .iter()
            .map(|e| {
                let (p_ms, p) = time(Some(e.pending_at));
                let (f_ms, f) = time(e.firing_at);
                let (i_ms, i) = time(e.inactive_at);
                serde_json::json!({
                    "alert": show(&e.labels),
                    "labels": e.labels,
                    "pending_at": p, "pending_at_ms": p_ms,
                    "firing_at": f, "firing_at_ms": f_ms,
                    "inactive_at": i, "inactive_at_ms": i_ms,
                })
            })
            .collect();
        serde_json::json!({
            "length": PromDuration(self.length_ms).to_string(),
            "length_ms": self.length_ms,
            "episodes": episodes,
        })
    }
}
