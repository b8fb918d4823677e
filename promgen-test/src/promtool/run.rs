//! One test group of a promtool test file, run as promtool 2.42 runs it
//! (`cmd/promtool/unittest.go`), by replay on a Prometheus of its own.
//!
//! promtool's semantics, kept here: its clock starts at the Unix epoch; every group is
//! evaluated at `0s` and then every `evaluation_interval` up to the latest `eval_time`,
//! whatever the group's own interval, in `group_eval_order`; an `alert_rule_test` at
//! `eval_time` is checked against the evaluation at or just before it, and lists the firing
//! alerts only; the first evaluation at which a rule fails ends the test (the checks before
//! it stand); `promql_expr_test`s run after every evaluation, on everything the rules wrote.

use super::{
    file::{MatchMode, TestFile, TestGroup},
    matching::alerts_match,
    metric::parse_metric,
    plain, vacuous,
    words::{self, ListedAlert},
};
use crate::{
    BackendKind, Feed, HarnessError, Prometheus, Timeline,
    replay::{Context, Run, Settings},
    templates::{self, TemplateData},
};
use promgen::{Labels, notation::Item, time::Duration as PromDuration};
use std::{collections::BTreeSet, path::PathBuf};

/// How to run a group.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GroupOptions {
    pub(crate) backend: Option<BackendKind>,
    /// Alert failures as a diff.
    pub(crate) diff: bool,
    /// Also write the group as a plain promtool test group.
    pub(crate) export: bool,
}

/// What running a group found.
#[derive(Debug, Default)]
pub(crate) struct GroupRun {
    /// promtool's texts (and promgen's, for its additions) of what failed.
    pub(crate) failures: Vec<String>,
    /// Tests that test nothing.
    pub(crate) warnings: Vec<String>,
    /// The tests among them that could pass whatever the rules do (`alert_rule_test[1]`).
    pub(crate) vacuous: Vec<String>,
    /// Every alert's timeline over the replay (none when the group did not replay).
    pub(crate) timeline: Option<Timeline>,
    /// The group as a plain promtool test group (YAML), when asked for and it passed.
    pub(crate) plain: Option<String>,
}

impl GroupRun {
    fn failed(failures: Vec<String>) -> Self {
        Self {
            failures,
            ..Self::default()
        }
    }
}

/// Runs `tests[index]` of `file` (named `file_name`, its rule files resolved) on a
/// Prometheus of its own: promtool's error texts for what failed, none when everything
/// passed.
///
/// # Errors
/// A Prometheus that does not start or refuses the rules, input it cannot take, or a limit
/// of the replay.
pub(crate) async fn run_group(
    file: &TestFile,
    file_name: &str,
    rule_files: &[PathBuf],
    index: usize,
    options: GroupOptions,
) -> Result<GroupRun, HarnessError> {
    let group = &file.tests[index];
    if let Some(t) = group
        .alert_rule_tests
        .iter()
        .find(|t| t.alertname.is_empty())
    {
        let in_group = if group.name.is_empty() {
            String::new()
        } else {
            format!(" (in TestGroup {})", group.name)
        };
        return Ok(GroupRun::failed(vec![format!(
            "an item under alert_rule_test misses required attribute alertname at eval_time {}{in_group}",
            words::model_duration(t.eval_time_ms)
        )]));
    }
    let interval = file.evaluation_interval_ms;
    let max_eval = match length(group) {
        Ok(ms) if ms > crate::replay::MAX_REPLAY_MS => {
            return Err(HarnessError::Feed(format!(
                "tests[{index}]: evaluating it to {} takes a replay longer than the longest, {} (the history the test's Prometheus keeps)",
                PromDuration(ms),
                crate::MAX_REPLAY
            )));
        }
        Ok(ms) => ms,
        Err(message) => return Err(HarnessError::Feed(format!("tests[{index}]: {message}"))),
    };
    let feed = match feed(group, interval) {
        Ok(feed) => feed,
        // promtool cannot load the series: that test fails with the parse error alone.
        Err(Input::Refused(message)) => return Ok(GroupRun::failed(vec![message])),
        Err(Input::Harness(e)) => return Err(e),
    };

    let mut builder = Prometheus::builder().evaluation_interval(PromDuration(interval).to_string());
    for f in rule_files {
        builder = builder.rule_file(f);
    }
    if let Some(kind) = options.backend {
        builder = builder.backend(kind);
    }
    let prometheus = builder.start().await?;

    // The evaluation each alert test is checked against.
    let checked_at = |eval_time: i64| eval_time / interval * interval;
    let settings = Settings {
        origin: 0,
        length_ms: max_eval,
        interval_ms: Some(interval),
        group_order: Some(file.group_eval_order.clone()),
        context: Context {
            templates: TemplateData {
                external_labels: group.external_labels.clone(),
                external_url: group.external_url.clone(),
                // promtool gives the rule manager no URL: `externalURL` and `pathPrefix`
                // fail there as a nil pointer.
                manager_url: None,
            },
            capture: if options.export {
                (0..=max_eval / interval).map(|k| k * interval).collect()
            } else {
                group
                    .alert_rule_tests
                    .iter()
                    .map(|t| checked_at(t.eval_time_ms))
                    .collect()
            },
        },
    };
    let run = prometheus.replay_with(&feed, &settings).await?;
    let failed_at = run.failures.first().map(|f| f.ts);
    let templates = &settings.context.templates;

    let mut errors = Vec::new();
    let mut times: Vec<i64> = group
        .alert_rule_tests
        .iter()
        .map(|t| t.eval_time_ms)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    times.sort_unstable();
    for eval_time in times {
        let ts = checked_at(eval_time);
        if failed_at.is_some_and(|f| ts >= f) {
            break;
        }
        for test in group
            .alert_rule_tests
            .iter()
            .filter(|t| t.eval_time_ms == eval_time)
        {
            let mut got = firing_alerts(&prometheus, &run, templates, &test.alertname, ts).await?;
            let mut expected: Vec<ListedAlert> = test
                .exp_alerts
                .iter()
                .map(|e| {
                    let mut labels = e.labels.clone();
                    labels.insert("alertname".into(), test.alertname.clone());
                    ListedAlert {
                        labels,
                        annotations: e.annotations.clone(),
                    }
                })
                .collect();
            words::sort_alerts(&mut got);
            words::sort_alerts(&mut expected);
            let same = if test.is_promtools() {
                expected == got
            } else {
                let default = test.match_mode.unwrap_or(MatchMode::Exact);
                alerts_match(&test.exp_alerts, default, &test.alertname, &got)
            };
            if !same {
                let show = if options.diff {
                    words::alert_diff
                } else {
                    words::alert_mismatch
                };
                let mut shown = show(
                    &group.name,
                    &test.alertname,
                    test.eval_time_ms,
                    &expected,
                    &got,
                );
                if !test.is_promtools() {
                    let name = |m: Option<MatchMode>| match m {
                        Some(MatchMode::Subset) => "subset",
                        _ => "exact",
                    };
                    let mut modes: BTreeSet<&str> = test
                        .exp_alerts
                        .iter()
                        .map(|e| name(e.match_mode.or(test.match_mode)))
                        .collect();
                    if modes.is_empty() {
                        modes.insert(name(test.match_mode));
                    }
                    let modes: Vec<&str> = modes.into_iter().collect();
                    shown.push_str(&format!(
                        "\n        (compared with match: {}: each expected alert is one firing alert, and every firing alert is expected; =~ values are regular expressions)",
                        modes.join(" and ")
                    ));
                }
                errors.push(shown);
            }
        }
    }
    if !run.failures.is_empty() {
        for f in &run.failures {
            errors.push(words::rule_error(&f.rule, f.ts, &f.prometheus));
        }
        return Ok(GroupRun {
            failures: errors,
            timeline: Some(run.timeline),
            ..GroupRun::default()
        });
    }
    errors.extend(timeline_failures(file_name, index, group, &run.timeline));

    'tests: for test in &group.promql_expr_tests {
        let got = match prometheus
            .api
            .query_checked(&test.expr, test.eval_time_ms)
            .await?
        {
            Ok(got) => got,
            Err(e) => {
                errors.push(words::query_error(&test.expr, test.eval_time_ms, &e));
                continue;
            }
        };
        let mut expected = Vec::new();
        for (labels, value) in &test.exp_samples {
            match parse_metric(labels) {
                Ok(l) => expected.push((l, *value)),
                Err(e) => {
                    let e = format!("labels {}: {e}", words::go_quote(labels));
                    errors.push(words::query_error(&test.expr, test.eval_time_ms, &e));
                    continue 'tests;
                }
            }
        }
        let mut got = got;
        expected.sort_by(|a, b| words::compare_labels(&a.0, &b.0));
        got.sort_by(|a, b| words::compare_labels(&a.0, &b.0));
        // Go's `reflect.DeepEqual`: values by `==` (NaN is never equal, -0 is 0).
        let same = expected.len() == got.len()
            && expected
                .iter()
                .zip(&got)
                .all(|(e, g)| e.0 == g.0 && e.1 == g.1);
        if !same {
            errors.push(words::samples_mismatch(
                &test.expr,
                test.eval_time_ms,
                &expected,
                &got,
            ));
        }
    }

    let rules: Vec<crate::replay::Rule> = prometheus
        .groups()
        .await?
        .into_iter()
        .flat_map(|g| g.rules)
        .collect();
    let input_end = vacuous::last_sample(&feed, max_eval)?;
    let flagged = vacuous::flag(file_name, index, group, &run.timeline, &rules, input_end);

    let plain = if options.export && errors.is_empty() {
        let mut steps = Vec::new();
        for name in plain::alert_names(group) {
            for k in 0..=max_eval / interval {
                let ts = k * interval;
                steps.push((
                    name.clone(),
                    ts,
                    firing_alerts(&prometheus, &run, templates, &name, ts).await?,
                ));
            }
        }
        let mut matched = Vec::new();
        for test in group.alert_rule_tests.iter().filter(|t| !t.is_promtools()) {
            let ts = checked_at(test.eval_time_ms);
            matched.push((
                test.eval_time_ms,
                firing_alerts(&prometheus, &run, templates, &test.alertname, ts).await?,
            ));
        }
        Some(plain::group(group, &feed, &run.timeline, &steps, &matched)?)
    } else {
        None
    };
    Ok(GroupRun {
        failures: errors,
        warnings: flagged.warnings,
        vacuous: flagged.tests,
        timeline: Some(run.timeline),
        plain,
    })
}

/// The alerts of the rules named `alertname` firing at `ts` (a captured time), with their
/// annotations expanded, as promtool lists them.
async fn firing_alerts(
    prometheus: &Prometheus,
    run: &Run,
    data: &TemplateData,
    alertname: &str,
    ts: i64,
) -> Result<Vec<ListedAlert>, HarnessError> {
    let mut got = Vec::new();
    for captured in run.captured.iter().filter(|c| c.rule.name == alertname) {
        for alert in captured.at.get(&ts).into_iter().flatten() {
            got.push(ListedAlert {
                labels: alert.labels.clone(),
                annotations: templates::expand_annotations(
                    &prometheus.api,
                    &captured.rule,
                    &alert.source,
                    alert.value,
                    ts,
                    data,
                )
                .await?,
            });
        }
    }
    Ok(got)
}

/// How long the group is evaluated: its `length`, or the latest time a test names.
fn length(group: &TestGroup) -> Result<i64, String> {
    let latest = group
        .alert_rule_tests
        .iter()
        .map(|t| t.eval_time_ms)
        .chain(group.promql_expr_tests.iter().map(|t| t.eval_time_ms))
        .chain(
            group
                .alert_timeline_tests
                .iter()
                .flat_map(|t| t.checks.iter().flat_map(|(_, c)| c.times())),
        )
        .max()
        .unwrap_or(0);
    match group.length_ms {
        Some(l) if l < latest => Err(format!(
            "length {} is shorter than the latest time a test names, {}",
            PromDuration(l),
            PromDuration(latest)
        )),
        Some(l) => Ok(l),
        None if latest == 0 && !group.alert_timeline_tests.is_empty() => Err(
            "its alert timeline tests name no time after 0s: say how long to evaluate with `length:` (such as length: 6h)".into(),
        ),
        None => Ok(latest),
    }
}

/// What the `alert_timeline_test`s of the group find wrong: each failed assertion, with
/// where it stands, and the timeline of that alert.
fn timeline_failures(
    file_name: &str,
    index: usize,
    group: &TestGroup,
    timeline: &Timeline,
) -> Vec<String> {
    let mut out = Vec::new();
    let in_group = if group.name.is_empty() {
        String::new()
    } else {
        format!(" (in TestGroup {})", group.name)
    };
    for (i, test) in group.alert_timeline_tests.iter().enumerate() {
        let place = format!(
            "{file_name}:{}:{}: tests[{index}].alert_timeline_test[{i}]",
            test.at.line, test.at.column
        );
        let table = indent(&timeline.table_of(&test.alertname), "        ");
        let selector = match timeline.selector_of(&test.alertname, test.labels.clone()) {
            Ok(s) => s,
            Err(e) => {
                let e = match e {
                    HarnessError::Assertion(why) => why,
                    other => other.to_string(),
                };
                out.push(format!("    {place}{in_group}: {e}\n{table}"));
                continue;
            }
        };
        for (path, check) in &test.checks {
            if let Err(what) = timeline.verdict(&selector, check) {
                out.push(format!(
                    "    {place}.{}{in_group}: expected {} {what}\n{table}",
                    path.strip_prefix(&format!("tests[{index}].alert_timeline_test[{i}]."))
                        .unwrap_or(path),
                    selector.text
                ));
            }
        }
    }
    out
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Why the input series could not be fed.
enum Input {
    /// promtool would refuse them too: its message.
    Refused(String),
    Harness(HarnessError),
}

/// An input series' values: promtool's notation, or a shape.
enum Values {
    Notation(String),
    Shape(promgen::config::ShapeSpec, String),
}

/// The input series as a feed, as promtool loads them: a series given twice is the later
/// one; without an `interval`, every value falls at `0s`, where the first stays (a shape is
/// drawn every `evaluation_interval` then).
fn feed(group: &TestGroup, evaluation_interval: i64) -> Result<Feed, Input> {
    let mut series: Vec<(Labels, Values)> = Vec::new();
    for s in &group.input_series {
        // An empty value is no label, as in Prometheus.
        let labels = parse_metric(&s.series)
            .and_then(|m| {
                Labels::from_pairs(m.into_iter().filter(|(_, v)| !v.is_empty()))
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| {
                Input::Refused(format!("input series {}: {e}", words::go_quote(&s.series)))
            })?;
        let values = if let Some(shape) = &s.shape {
            Values::Shape(shape.spec.clone(), shape.written.clone())
        } else {
            let notation = promgen::notation::Notation::parse(&s.values)
                .map_err(|e| Input::Refused(notation_error(&s.series, &s.values, &e)))?;
            Values::Notation(if group.interval_ms == 0 {
                first_value(&notation)
            } else {
                s.values.clone()
            })
        };
        series.retain(|(l, _)| *l != labels);
        series.push((labels, values));
    }
    let interval = if group.interval_ms == 0 {
        evaluation_interval
    } else {
        group.interval_ms
    };
    let mut feed = Feed::new()
        .interval(&PromDuration(interval).to_string())
        .map_err(Input::Harness)?;
    for (labels, values) in series {
        feed = match values {
            Values::Notation(text) => feed.notation(&labels.to_string(), &text),
            Values::Shape(spec, written) => feed.spec(&labels.to_string(), spec, written),
        }
        .map_err(Input::Harness)?;
    }
    Ok(feed)
}

/// A notation error as PromQL's series parser words it, where the two agree on what is
/// wrong: the column counts from the start of `series values`, as promtool loads them.
fn notation_error(series: &str, values: &str, e: &promgen::notation::NotationError) -> String {
    let column = series.chars().count() + 1 + e.column;
    let rest: String = values.chars().skip(e.column - 1).collect();
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let what = if rest.trim().is_empty() || e.message.contains("found the end") {
        "unexpected end of input in series values".to_owned()
    } else if word.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!(
            "unexpected identifier {} in series values, expected number or \"stale\"",
            words::go_quote(&word)
        )
    } else {
        e.message.clone()
    };
    format!("1:{column}: parse error: {what}")
}

/// The notation of a series' first value alone (nothing when it has none).
fn first_value(notation: &promgen::notation::Notation) -> String {
    let first = notation.items().iter().find_map(|item| match item {
        Item::Run { start, count, .. } if *count > 0 => Some(*start),
        _ => None,
    });
    match first {
        None => String::new(),
        Some(v) if promgen::is_stale(v) => "stale".into(),
        Some(v) if v.is_nan() => "NaN".into(),
        Some(v) if v.is_infinite() => if v > 0.0 { "Inf" } else { "-Inf" }.into(),
        Some(v) => format!("{v:?}"),
    }
}
