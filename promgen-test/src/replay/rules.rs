//! The rule groups Prometheus loaded, as `/api/v1/rules` describes them, and what each rule
//! writes back into the TSDB: its recorded series, or its `ALERTS` and `ALERTS_FOR_STATE`.

use crate::{
    HarnessError,
    state::{AlertingRule, LabelMap},
};
use serde_json::Value as Json;

/// The metric an alerting rule writes for each active alert: 1, with `alertstate`.
pub(crate) const ALERTS: &str = "ALERTS";
/// The metric an alerting rule writes for each active alert: when it became active, in
/// Unix seconds (what a restarted Prometheus restores `for` from).
pub(crate) const ALERTS_FOR_STATE: &str = "ALERTS_FOR_STATE";

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

impl Rule {
    /// `record:` or `alert:`.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Recording { name, .. } => name,
            Self::Alerting(a) => &a.name,
        }
    }

    /// Its PromQL expression.
    pub(crate) fn query(&self) -> &str {
        match self {
            Self::Recording { query, .. } => query,
            Self::Alerting(a) => &a.query,
        }
    }
}

/// A group from `/api/v1/rules`.
pub(crate) fn parse_group(g: &Json) -> Result<Group, HarnessError> {
    let name = g["name"].as_str().unwrap_or_default().to_owned();
    let interval_ms = (g["interval"].as_f64().unwrap_or(60.0) * 1000.0).round() as i64;
    let mut rules = Vec::new();
    for r in g["rules"].as_array().into_iter().flatten() {
        let rule_name = r["name"].as_str().unwrap_or_default().to_owned();
        let labels = label_map(&r["labels"]);
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
