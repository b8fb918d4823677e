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
    file::{TestFile, TestGroup},
    metric::parse_metric,
    words::{self, ListedAlert},
};
use crate::{
    BackendKind, Feed, HarnessError, Prometheus,
    replay::{Context, Settings},
    templates::{self, TemplateData},
};
use promgen::{Labels, notation::Item, time::Duration as PromDuration};
use std::{collections::BTreeSet, path::PathBuf};

/// Runs `group` of `file` (its rule files resolved) on a Prometheus of its own: promtool's
/// error texts for what failed, none when everything passed.
///
/// # Errors
/// A Prometheus that does not start or refuses the rules, input it cannot take, or a limit
/// of the replay.
pub(crate) async fn run_group(
    file: &TestFile,
    rule_files: &[PathBuf],
    group: &TestGroup,
    backend: Option<BackendKind>,
    diff: bool,
) -> Result<Vec<String>, HarnessError> {
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
        return Ok(vec![format!(
            "an item under alert_rule_test misses required attribute alertname at eval_time {}{in_group}",
            words::model_duration(t.eval_time_ms)
        )]);
    }
    let interval = file.evaluation_interval_ms;
    let max_eval = group
        .alert_rule_tests
        .iter()
        .map(|t| t.eval_time_ms)
        .chain(group.promql_expr_tests.iter().map(|t| t.eval_time_ms))
        .max()
        .unwrap_or(0);
    let feed = match feed(group) {
        Ok(feed) => feed,
        // promtool cannot load the series: that test fails with the parse error alone.
        Err(Input::Refused(message)) => return Ok(vec![message]),
        Err(Input::Harness(e)) => return Err(e),
    };

    let mut builder = Prometheus::builder().evaluation_interval(PromDuration(interval).to_string());
    for f in rule_files {
        builder = builder.rule_file(f);
    }
    if let Some(kind) = backend {
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
            capture: group
                .alert_rule_tests
                .iter()
                .map(|t| checked_at(t.eval_time_ms))
                .collect(),
        },
    };
    let run = prometheus.replay_with(&feed, &settings).await?;
    let failed_at = run.failures.first().map(|f| f.ts);

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
            let mut got = Vec::new();
            for captured in run
                .captured
                .iter()
                .filter(|c| c.rule.name == test.alertname)
            {
                for alert in captured.at.get(&ts).into_iter().flatten() {
                    got.push(ListedAlert {
                        labels: alert.labels.clone(),
                        annotations: templates::expand_annotations(
                            &prometheus.api,
                            &captured.rule,
                            &alert.source,
                            alert.value,
                            ts,
                            &settings.context.templates,
                        )
                        .await?,
                    });
                }
            }
            let mut expected: Vec<ListedAlert> = test
                .exp_alerts
                .iter()
                .map(|(labels, annotations)| {
                    let mut labels = labels.clone();
                    labels.insert("alertname".into(), test.alertname.clone());
                    ListedAlert {
                        labels,
                        annotations: annotations.clone(),
                    }
                })
                .collect();
            words::sort_alerts(&mut got);
            words::sort_alerts(&mut expected);
            if expected != got {
                let show = if diff {
                    words::alert_diff
                } else {
                    words::alert_mismatch
                };
                errors.push(show(
                    &group.name,
                    &test.alertname,
                    test.eval_time_ms,
                    &expected,
                    &got,
                ));
            }
        }
    }
    if !run.failures.is_empty() {
        for f in &run.failures {
            errors.push(words::rule_error(&f.rule, f.ts, &f.prometheus));
        }
        return Ok(errors);
    }

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
    Ok(errors)
}

/// Why the input series could not be fed.
enum Input {
    /// promtool would refuse them too: its message.
    Refused(String),
    Harness(HarnessError),
}

/// The input series as a feed, as promtool loads them: a series given twice is the later
/// one; without an `interval`, every value falls at `0s`, where the first stays.
fn feed(group: &TestGroup) -> Result<Feed, Input> {
    let mut series: Vec<(Labels, String)> = Vec::new();
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
        let notation = promgen::notation::Notation::parse(&s.values)
            .map_err(|e| Input::Refused(notation_error(&s.series, &s.values, &e)))?;
        let values = if group.interval_ms == 0 {
            first_value(&notation)
        } else {
            s.values.clone()
        };
        series.retain(|(l, _)| *l != labels);
        series.push((labels, values));
    }
    let interval = if group.interval_ms == 0 {
        60_000
    } else {
        group.interval_ms
    };
    let mut feed = Feed::new()
        .interval(&PromDuration(interval).to_string())
        .map_err(Input::Harness)?;
    for (labels, values) in series {
        feed = feed
            .notation(&labels.to_string(), &values)
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
