//! Which alerts an assertion is about: `HighErrorRate`, or `HighErrorRate{service="api"}`
//! (the alerts with that name whose labels include these), checked against what the replay
//! can know, so that an assertion about a misspelt alert or label cannot pass.

use crate::{
    HarnessError,
    state::{Episode, LabelMap},
};
use promgen::Labels;
use std::collections::{BTreeMap, BTreeSet};

/// A parsed selector.
#[derive(Debug, Clone)]
pub(crate) struct Selector {
    pub(crate) alertname: String,
    pub(crate) labels: Vec<(String, LabelMatch)>,
    pub(crate) text: String,
}

/// What a label's value must be: this text, or (written `=~re`) a match of a regular
/// expression anchored at both ends, as PromQL's `=~`.
#[derive(Debug, Clone)]
pub enum LabelMatch {
    /// Exactly this value.
    Exact(String),
    /// A value the regular expression matches whole.
    Regex(regex::Regex),
}

impl PartialEq for LabelMatch {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Exact(a), Self::Exact(b)) => a == b,
            (Self::Regex(a), Self::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl LabelMatch {
    /// `=~re` as a regular expression, anything else as an exact value.
    ///
    /// ```
    /// use promgen_test::LabelMatch;
    /// let m = LabelMatch::parse("=~api|web").unwrap();
    /// assert!(m.matches("web") && !m.matches("webby"));
    /// assert!(LabelMatch::parse("=~(").is_err());
    /// assert!(LabelMatch::parse("page").unwrap().matches("page"));
    /// ```
    ///
    /// # Errors
    /// A regular expression that does not compile, in the regex crate's words.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.strip_prefix("=~") {
            Some(re) => regex::Regex::new(&format!("^(?:{re})$"))
                .map(Self::Regex)
                .map_err(|e| {
                    // The regex crate's message draws the anchored pattern over lines: its
                    // last line says what is wrong.
                    let text = e.to_string();
                    let why = text.lines().last().unwrap_or_default();
                    format!(
                        "{re:?} is not a regular expression: {}",
                        why.trim_start_matches("error: ")
                    )
                }),
            None => Ok(Self::Exact(text.to_owned())),
        }
    }

    /// Whether `value` is matched.
    #[must_use]
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(v) => v == value,
            Self::Regex(re) => re.is_match(value),
        }
    }

    /// As written: the value, or `=~re`.
    #[must_use]
    pub fn written(&self) -> String {
        match self {
            Self::Exact(v) => v.clone(),
            Self::Regex(re) => {
                let s = re.as_str();
                format!("=~{}", &s[4..s.len() - 2])
            }
        }
    }
}

impl Selector {
    pub(crate) fn parse(text: &str) -> Result<Self, HarnessError> {
        let labels: Labels = text
            .parse()
            .map_err(|e: promgen::LabelError| HarnessError::Assertion(format!("{text}: {e}")))?;
        Ok(Self {
            alertname: labels.name().to_owned(),
            labels: labels
                .without_name()
                .map(|(k, v)| (k.to_owned(), LabelMatch::Exact(v.to_owned())))
                .collect(),
            text: text.to_owned(),
        })
    }

    /// A selector from its parts: `alertname`, and matchers on other labels.
    pub(crate) fn from_parts(alertname: &str, labels: Vec<(String, LabelMatch)>) -> Self {
        let text = if labels.is_empty() {
            alertname.to_owned()
        } else {
            let shown: Vec<String> = labels
                .iter()
                .map(|(k, m)| match m {
                    LabelMatch::Exact(v) => format!("{k}={v:?}"),
                    LabelMatch::Regex(_) => format!("{k}=~{:?}", &m.written()[2..]),
                })
                .collect();
            format!("{alertname}{{{}}}", shown.join(","))
        };
        Self {
            alertname: alertname.to_owned(),
            labels,
            text,
        }
    }

    pub(crate) fn matches(&self, e: &Episode) -> bool {
        e.labels.get("alertname") == Some(&self.alertname)
            && self
                .labels
                .iter()
                .all(|(k, m)| e.labels.get(k).is_some_and(|v| m.matches(v)))
    }

    /// Parses `text` and checks that it can match an alert: its name is one of `rules`'
    /// (alert name → each rule's `labels:`), and its labels are those of an alert in
    /// `episodes` or given by a rule's own labels.
    pub(crate) fn resolve(
        text: &str,
        rules: &BTreeMap<String, Vec<LabelMap>>,
        episodes: &[Episode],
    ) -> Result<Self, HarnessError> {
        Self::parse(text)?.resolved(rules, episodes)
    }

    /// Checks that this selector can match: see [`Selector::resolve`].
    pub(crate) fn resolved(
        self,
        rules: &BTreeMap<String, Vec<LabelMap>>,
        episodes: &[Episode],
    ) -> Result<Self, HarnessError> {
        let selector = self;
        let text = selector.text.clone();
        let Some(rule_labels) = rules.get(&selector.alertname) else {
            let names: Vec<&str> = rules.keys().map(String::as_str).collect();
            let hint = closest(&selector.alertname, names.iter().copied())
                .map(|n| format!("did you mean {n}? "))
                .unwrap_or_default();
            let known = if names.is_empty() {
                "there are no alerting rules".to_owned()
            } else {
                format!("the alerting rules are {}", names.join(", "))
            };
            return Err(HarnessError::Assertion(format!(
                "{text}: no alerting rule is named {}: {hint}({known})",
                selector.alertname
            )));
        };
        if selector.labels.is_empty() || episodes.iter().any(|e| selector.matches(e)) {
            return Ok(selector);
        }
        // No alert of the replay has those labels: fine only when a rule's own `labels:`
        // give all of them (its alerts would carry them, had it fired).
        let given = rule_labels.iter().any(|rl| {
            selector
                .labels
                .iter()
                .all(|(k, m)| rl.get(k).is_some_and(|v| m.matches(v)))
        });
        if given {
            return Ok(selector);
        }
        Err(HarnessError::Assertion(
            selector.no_match(rule_labels, episodes),
        ))
    }

    /// Why no alert matches, with what the alerts and rules have instead.
    fn no_match(&self, rule_labels: &[LabelMap], episodes: &[Episode]) -> String {
        let name = &self.alertname;
        let mine: Vec<&LabelMap> = episodes
            .iter()
            .filter(|e| e.labels.get("alertname") == Some(name))
            .map(|e| &e.labels)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut hints = Vec::new();
        for (k, m) in &self.labels {
            let LabelMatch::Exact(v) = m else { continue };
            let mut values: BTreeSet<&str> = mine
                .iter()
                .filter_map(|l| l.get(k).map(String::as_str))
                .collect();
            values.extend(
                rule_labels
                    .iter()
                    .filter_map(|rl| rl.get(k).map(String::as_str)),
            );
            values.remove("");
            if let Some(other) = closest(v, values.iter().copied()) {
                hints.push(format!("did you mean {k}=\"{other}\"?"));
            }
        }
        let seen = if mine.is_empty() {
            format!(
                "{name} was never pending or firing in the replay, and its rules' own labels do not give those labels"
            )
        } else {
            let shown: Vec<String> = mine.iter().take(10).map(|l| show(l)).collect();
            let more = mine.len().saturating_sub(10);
            format!(
                "{name}'s alerts in the replay: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        };
        let hints = if hints.is_empty() {
            String::new()
        } else {
            format!(" {}", hints.join(" "))
        };
        format!(
            "{} matches no alert, so an assertion about it could not fail;{hints} ({seen})",
            self.text
        )
    }
}

/// `name{k="v", …}` for an alert's labels.
pub(crate) fn show(labels: &LabelMap) -> String {
    let name = labels.get("alertname").cloned().unwrap_or_default();
    let rest: Vec<String> = labels
        .iter()
        .filter(|(k, _)| *k != "alertname")
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    if rest.is_empty() {
        name
    } else {
        format!("{name}{{{}}}", rest.join(","))
    }
}

/// The candidate closest to `word` by edit distance, if close enough to be a likely typo.
fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .filter(|c| *c != word)
        .map(|c| (distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance, with a swap of two neighbours counting as one edit.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn episode(pairs: &[(&str, &str)]) -> Episode {
        Episode {
            labels: labels(pairs),
            pending_at: 0,
            firing_at: Some(0),
            inactive_at: None,
            value: 1.0,
        }
    }

    #[test]
    fn typos_are_near() {
        assert_eq!(distance("ErrorBudgetBurnFsat", "ErrorBudgetBurnFast"), 1);
        assert_eq!(distance("critcal", "critical"), 1);
        assert_eq!(
            closest("critcal", ["warning", "critical"].into_iter()),
            Some("critical")
        );
        assert_eq!(closest("page", ["ticket"].into_iter()), None);
    }

    #[test]
    fn a_selector_must_name_a_rule_and_match_an_alert_or_its_rule_labels() {
        let rules: BTreeMap<String, Vec<LabelMap>> = [
            (
                "ErrorBudgetBurnFast".to_owned(),
                vec![labels(&[("severity", "page")])],
            ),
            ("Real".to_owned(), vec![labels(&[("severity", "critical")])]),
            ("Quiet".to_owned(), vec![labels(&[("severity", "ticket")])]),
        ]
        .into();
        let episodes = [episode(&[
            ("alertname", "Real"),
            ("severity", "critical"),
            ("instance", "a"),
        ])];
        let err = |text: &str| {
            Selector::resolve(text, &rules, &episodes)
                .unwrap_err()
                .to_string()
        };
        let e = err("ErrorBudgetBurnFsat");
        assert!(
            e.contains(
                "no alerting rule is named ErrorBudgetBurnFsat: did you mean ErrorBudgetBurnFast?"
            ),
            "{e}"
        );
        assert!(e.contains("ErrorBudgetBurnFast, Quiet, Real"), "{e}");
        let e = err(r#"Real{severity="critcal"}"#);
        assert!(e.contains("matches no alert"), "{e}");
        assert!(e.contains(r#"did you mean severity="critical"?"#), "{e}");
        assert!(
            e.contains(r#"Real{instance="a",severity="critical"}"#),
            "{e}"
        );
        let e = err(r#"Real{instance="b"}"#);
        assert!(e.contains("matches no alert"), "{e}");
        let e = err(r#"Quiet{instance="a"}"#);
        assert!(e.contains("Quiet was never pending or firing"), "{e}");
        // What can match: an alert of the replay, or labels the rule itself gives.
        for fine in [
            "Real",
            r#"Real{instance="a"}"#,
            r#"Real{severity="critical",instance="a"}"#,
            "Quiet",
            r#"Quiet{severity="ticket"}"#,
        ] {
            assert!(Selector::resolve(fine, &rules, &episodes).is_ok(), "{fine}");
        }
    }
}
