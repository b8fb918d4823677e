//! Alert templates as Prometheus expands them: annotations and alerting rules' labels are Go
//! templates, expanded for each query result at each evaluation (`rules/alerting.go`).

use crate::state::LabelMap;

/// What templates see besides the result: `$externalLabels` and `$externalURL`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TemplateData {
    pub(crate) external_labels: LabelMap,
    pub(crate) external_url: String,
}

/// A template's `query`: a PromQL expression's samples at the evaluation's time, or
/// Prometheus's error.
pub(crate) type Query<'q> = dyn FnMut(&str) -> Result<Vec<(LabelMap, f64)>, String> + 'q;

/// Whether `text` is a template (holds an action); plain text expands to itself.
pub(crate) fn is_template(text: &str) -> bool {
    text.contains("{{")
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
    let _ = (alert, source, value, data);
    if is_template(text) {
        return Err(format!(
            "label template {text:?}: templates are not expanded yet"
        ));
    }
    Ok(text.to_owned())
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
    let _ = (alert, source, value, data, query);
    text.to_owned()
}
