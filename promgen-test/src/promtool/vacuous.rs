//! Tests that test nothing: they pass whatever the rules do. A warning each (an error with
//! `--strict`), naming the test and where it stands.
//!
//! - An `alert_rule_test` about an alert name no rule has: it can only pass by finding none.
//! - An expected label that the rule's own `labels:` always set to another value.
//! - An `eval_time` after every input series has ended and the rules' longest look back
//!   (5m, or their longest range or offset) has passed, where nothing is expected: the rules
//!   see no input there, so "nothing fires" is no finding. (Where something is expected,
//!   such as an alert on `absent(…)`, the test can fail, and is not flagged.)

use super::file::TestGroup;
use crate::{
    Feed, HarnessError, Timeline, replay::Rule, selector::LabelMatch, templates::is_template,
};
use promgen::{Scraper, Stop, is_stale, time::Duration as PromDuration};

/// Prometheus's default lookback: how long an instant selector still sees the last sample.
const LOOKBACK_MS: i64 = 5 * 60_000;

/// What is flagged in a group.
#[derive(Debug, Default)]
pub(crate) struct Flagged {
    /// A warning each.
    pub(crate) warnings: Vec<String>,
    /// The tests that would pass whatever the rules do (`alert_rule_test[1]`,
    /// `promql_expr_test[0]`): they assert nothing, so coverage does not count them.
    pub(crate) tests: Vec<String>,
}

/// The warnings for `group` (`tests[index]` of `file`) once replayed: `timeline` knows the
/// alerting rules, `rules` are every rule Prometheus loaded, `input_end` is the time of the
/// last input sample (`None`: there is none).
pub(crate) fn flag(
    file: &str,
    index: usize,
    group: &TestGroup,
    timeline: &Timeline,
    rules: &[Rule],
    input_end: Option<i64>,
) -> Flagged {
    let mut out = Vec::new();
    let mut tests = Vec::new();
    let place = |what: &str, at: promgen::config::yaml::Position| {
        format!("{file}:{}:{}: tests[{index}].{what}", at.line, at.column)
    };
    let reach = input_end.map(|end| end + look_back(rules));
    let ended = |t: i64| match (input_end, reach) {
        (None, _) => Some("there are no input samples".to_owned()),
        (Some(end), Some(reach)) if t > reach => Some(format!(
            "every input series has ended by {} and the rules look back {} at most",
            PromDuration(end),
            PromDuration(reach - end)
        )),
        _ => None,
    };
    for (i, test) in group.alert_rule_tests.iter().enumerate() {
        let here = place(&format!("alert_rule_test[{i}]"), test.at);
        if let Err(e) = timeline.selector_of(&test.alertname, Vec::new()) {
            let e = match e {
                HarnessError::Assertion(why) => why,
                other => other.to_string(),
            };
            out.push(format!(
                "{here}: {e}; this test can only pass by finding no alert"
            ));
            tests.push(format!("alert_rule_test[{i}]"));
            continue;
        }
        let rules = timeline.rule_labels(&test.alertname);
        for (j, expected) in test.exp_alerts.iter().enumerate() {
            for (k, v) in &expected.labels {
                let matcher = if test.is_promtools() {
                    LabelMatch::Exact(v.clone())
                } else {
                    LabelMatch::parse(v).unwrap_or(LabelMatch::Exact(v.clone()))
                };
                let never = !rules.is_empty()
                    && rules.iter().all(|rl| {
                        rl.get(k)
                            .is_some_and(|set| !is_template(set) && !matcher.matches(set))
                    });
                if never {
                    let set: Vec<String> =
                        rules.iter().map(|rl| format!("{k}={:?}", rl[k])).collect();
                    out.push(format!(
                        "{here}.exp_alerts[{j}].exp_labels.{k}: {} can never be {v:?}: its rule sets {}",
                        test.alertname,
                        set.join(" or ")
                    ));
                }
            }
        }
        if test.exp_alerts.is_empty()
            && let Some(why) = ended(test.eval_time_ms)
        {
            out.push(format!(
                "{here}: expects no alert at {}, where {why}: it would pass whatever the rules say",
                PromDuration(test.eval_time_ms)
            ));
            tests.push(format!("alert_rule_test[{i}]"));
        }
    }
    for (i, test) in group.promql_expr_tests.iter().enumerate() {
        if test.exp_samples.is_empty()
            && let Some(why) = ended(test.eval_time_ms)
        {
            out.push(format!(
                "{}: expects no sample at {}, where {why}: it would pass whatever the rules say",
                place(&format!("promql_expr_test[{i}]"), test.at),
                PromDuration(test.eval_time_ms)
            ));
            tests.push(format!("promql_expr_test[{i}]"));
        }
    }
    Flagged {
        warnings: out,
        tests,
    }
}

/// How far after the input's end a rule can still see it, at most: the lookback, plus each
/// rule's longest range and offset and `keep_firing_for`, all added up, since rules read one
/// another (a recording rule over `[1h]` read by an alert over `[1h]` reaches back 2h). An
/// overestimate only flags fewer tests.
fn look_back(rules: &[Rule]) -> i64 {
    let range =
        regex::Regex::new(r"\[\s*([0-9][0-9a-z]*)\s*(?::[^\]]*)?\]").expect("a valid regex");
    let offset = regex::Regex::new(r"offset\s+([0-9][0-9a-z]*)").expect("a valid regex");
    let longest = |re: &regex::Regex, q: &str| {
        re.captures_iter(q)
            .filter_map(|c| promgen::time::parse_duration(&c[1]).ok())
            .max()
            .unwrap_or(0)
    };
    let each: i64 = rules
        .iter()
        .map(|r| {
            let keep = match r {
                Rule::Alerting(a) => a.keep_firing_for_ms,
                Rule::Recording { .. } => 0,
            };
            longest(&range, r.query()) + longest(&offset, r.query()) + keep
        })
        .sum();
    LOOKBACK_MS + each
}

/// The time (ms from `0s`) of the feed's last sample up to `until`, stale markers aside.
pub(crate) fn last_sample(feed: &Feed, until: i64) -> Result<Option<i64>, HarnessError> {
    let mut registry = feed.registry()?;
    let scraper = Scraper::new(0, feed.interval_ms(), Stop::Until(until))
        .map_err(|e| HarnessError::Feed(e.to_string()))?;
    let mut last = None;
    for tick in scraper.ticks() {
        let mut any = false;
        let more = registry.collect(tick.timestamp_ms, |_, v| any |= !is_stale(v));
        if any {
            last = Some(tick.timestamp_ms);
        }
        if !more {
            break;
        }
    }
    Ok(last)
}
