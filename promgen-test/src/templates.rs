//! Alert templates as Prometheus expands them: annotations and alerting rules' labels are Go
//! templates, expanded for each query result at each evaluation (`rules/alerting.go`), by
//! `promgen-template`.

use crate::{
    HarnessError,
    api::Api,
    state::{AlertingRule, LabelMap},
};
use promgen_template::{AlertData, Queries, Sample, expand_alert_template};

/// What templates see besides the result: `$externalLabels`, `$externalURL`, and the URL
/// the `externalURL` and `pathPrefix` functions read (promtool gives them none, so there
/// they fail as Go's nil pointer does).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TemplateData {
    pub(crate) external_labels: LabelMap,
    pub(crate) external_url: String,
    pub(crate) manager_url: Option<String>,
}

/// A template's `query`: a PromQL expression's samples at the evaluation's time, or
/// Prometheus's error.
pub(crate) type Query<'q> = dyn FnMut(&str) -> Result<Vec<(LabelMap, f64)>, String> + 'q;

/// Whether `text` is a template (holds an action); plain text expands to itself.
pub(crate) fn is_template(text: &str) -> bool {
    text.contains("{{")
}

fn alert_data(source: &LabelMap, value: f64, data: &TemplateData) -> AlertData {
    AlertData {
        labels: source.clone(),
        value,
        external_labels: data.external_labels.clone(),
        external_url: data.external_url.clone(),
        manager_url: data.manager_url.clone(),
    }
}

/// Refuses queries, and remembers that one was asked for.
struct Refused {
    asked: bool,
}

impl Queries for Refused {
    fn query(&mut self, expr: &str) -> Result<Vec<Sample>, String> {
        self.asked = true;
        Err(format!("no query in rule labels ({expr:?})"))
    }
}

/// A rule label's template expanded for the result `source` with `value`, as the rule
/// manager expands it.
///
/// # Errors
/// The template runs a `query`: a label's value decides which alert a result is, during the
/// replay's evaluation, where a query cannot be made (annotations can).
pub(crate) fn expand_label(
    text: &str,
    alert: &str,
    source: &LabelMap,
    value: f64,
    data: &TemplateData,
) -> Result<String, String> {
    if !is_template(text) {
        return Ok(text.to_owned());
    }
    let mut queries = Refused { asked: false };
    let expanded =
        expand_alert_template(alert, text, &alert_data(source, value, data), &mut queries);
    if queries.asked {
        return Err(format!(
            "alert {alert}: the label template {text:?} runs a query, which a replay cannot make while it evaluates (queries in annotations are made)"
        ));
    }
    Ok(expanded)
}

/// Runs a template's queries through a closure.
struct ByClosure<'c, 'q>(&'c mut Query<'q>);

impl Queries for ByClosure<'_, '_> {
    fn query(&mut self, expr: &str) -> Result<Vec<Sample>, String> {
        (self.0)(expr).map(|samples| {
            samples
                .into_iter()
                .map(|(labels, value)| Sample { labels, value })
                .collect()
        })
    }
}

/// An annotation's template expanded for the firing alert's result `source` with `value`,
/// as the rule manager expands it: errors become `<error expanding template: …>`. `query`
/// runs a template's `query` at the evaluation's time.
pub(crate) fn expand_annotation(
    text: &str,
    alert: &str,
    source: &LabelMap,
    value: f64,
    data: &TemplateData,
    query: &mut Query<'_>,
) -> String {
    if !is_template(text) {
        return text.to_owned();
    }
    expand_alert_template(
        alert,
        text,
        &alert_data(source, value, data),
        &mut ByClosure(query),
    )
}

/// An alerting rule's annotations for the firing alert that the result `source` with
/// `value` made at evaluation `ts` (absolute ms), as Prometheus expands them: `query` runs
/// against `api`'s Prometheus at that time.
///
/// # Errors
/// The blocking task that expands them failed.
pub(crate) async fn expand_annotations(
    api: &Api,
    rule: &AlertingRule,
    source: &LabelMap,
    value: f64,
    ts: i64,
    data: &TemplateData,
) -> Result<LabelMap, HarnessError> {
    let texts = &rule.annotations;
    if !texts.values().any(|t| is_template(t)) {
        return Ok(texts.clone());
    }
    let (api, texts, name) = (api.clone(), texts.clone(), rule.name.clone());
    let (source, data) = (source.clone(), data.clone());
    let handle = tokio::runtime::Handle::current();
    // Templates run synchronously; their queries are made from a blocking thread.
    tokio::task::spawn_blocking(move || {
        let mut query = |expr: &str| -> Result<Vec<(LabelMap, f64)>, String> {
            handle
                .block_on(api.query_checked(expr, ts))
                .map_err(|e| e.to_string())?
        };
        texts
            .iter()
            .map(|(k, text)| {
                let v = expand_annotation(text, &name, &source, value, &data, &mut query);
                (k.clone(), v)
            })
            .collect()
    })
    .await
    .map_err(|e| HarnessError::Io(format!("expanding annotations: {e}")))
}
