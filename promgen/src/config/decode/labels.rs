//! A series' labels: each value a text, or (in a config) a template or a list of them, a
//! series entry standing for the product of its labels' values; and the definition each
//! expanded series lists.

use super::{
    Decoder, Fields,
    expand::{Choices, Template, count, product},
    metrics::METRIC_KEYS,
};
use crate::config::{
    error::KeyPath,
    json,
    yaml::{Kind, Node},
};
use crate::{
    Labels,
    exposition::Family,
    labels::is_valid_label_name,
    registry::{
        Definition,
        definition::{LABELS_HOLE, NAME_HOLE},
    },
};

impl Decoder<'_> {
    /// A series' labels. Those the family's samples carry themselves (`le`, `quantile`) are
    /// refused here, as they are in the metric's `labels` list; so is the entry's churn
    /// label, which the churn sets (and which is not missing when declared).
    pub(super) fn series_labels(
        &mut self,
        f: &Fields<'_>,
        path: &KeyPath,
        family: Family<'_>,
        declared: Option<&[String]>,
        names: usize,
        churn_label: Option<&str>,
    ) -> Option<Vec<Labels>> {
        let mut pairs: Vec<(String, Choices)> = Vec::new();
        let mut ok = true;
        if let Some(node) = f.get("labels") {
            let lpath = path.key("labels");
            let Kind::Map(entries) = &node.kind else {
                return self.error(
                    node,
                    &lpath,
                    format!(
                        "expected a mapping of label names to values, found {}",
                        node.describe()
                    ),
                );
            };
            for (key, value) in entries {
                let Some(k) = self.string(key, &lpath) else {
                    ok = false;
                    continue;
                };
                let p = lpath.key(&k);
                if !is_valid_label_name(&k) || k.starts_with("__") {
                    self.error_at(key.at, &p, format!("invalid label name {k:?}: must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __"));
                    ok = false;
                } else if let Err(e) = family.check_label(&k) {
                    self.error_at(key.at, &p, e.to_string());
                    ok = false;
                } else if churn_label == Some(k.as_str()) {
                    self.error_at(
                        key.at,
                        &p,
                        format!("label {k:?} is this entry's churn label: the churn sets its values (leave it out, or churn another `label:`)"),
                    );
                    ok = false;
                } else if declared.is_some_and(|d| !d.contains(&k)) {
                    let d = declared.unwrap_or_default().join(", ");
                    self.error_at(
                        key.at,
                        &p,
                        format!("label {k:?} is not declared in the metric's `labels` ({d})"),
                    );
                    ok = false;
                }
                match self.label_values(value, &p) {
                    Some(choices) => pairs.push((k, choices)),
                    None => {
                        pairs.push((k, Choices(vec![Template::literal("")])));
                        ok = false;
                    }
                }
            }
        }
        for missing in declared
            .unwrap_or_default()
            .iter()
            .filter(|d| !pairs.iter().any(|(k, _)| k == *d) && churn_label != Some(d.as_str()))
        {
            self.error_at(
                f.node.at,
                &path.key("labels"),
                format!("missing label {missing:?}, declared in the metric's `labels`"),
            );
            ok = false;
        }
        if let (Some(d), Some(label)) = (declared, churn_label)
            && !d.iter().any(|n| n == label)
        {
            self.error_at(
                f.get("churn").map_or(f.node.at, |n| n.at),
                &path.key("churn"),
                format!("the churn label {label:?} is not declared in the metric's `labels` ({}): its series carry it", d.join(", ")),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        let choices: Vec<Choices> = pairs.iter().map(|(_, c)| c.clone()).collect();
        let count: u128 = count(&choices);
        self.expand(f.node, path, count.saturating_mul(names as u128))?;
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        for row in product(&choices) {
            match Labels::new(family.name, keys.iter().copied().zip(row)) {
                Ok(l) => out.push(l),
                Err(e) => return self.error(f.node, &path.key("labels"), e.to_string()),
            }
        }
        Some(out)
    }

    /// A label's value: a text (a template where templates are taken), or a list of them.
    fn label_values(&mut self, node: &Node, path: &KeyPath) -> Option<Choices> {
        let items: Vec<&Node> = match &node.kind {
            Kind::Seq(items) if self.templates => {
                if items.is_empty() {
                    return self.error(node, path, "an empty list of values");
                }
                items.iter().collect()
            }
            _ => vec![node],
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = if matches!(node.kind, Kind::Seq(_)) {
                path.index(i)
            } else {
                path.clone()
            };
            match self.scalar(item, &p, "a label value") {
                Some("") => {
                    self.error_at(
                        item.at,
                        &p,
                        "empty label value (leave the label out instead)",
                    );
                    return None;
                }
                Some(v) => {
                    let v = v.to_owned();
                    out.push(self.template(item, &p, &v)?);
                }
                None => return None,
            }
        }
        Some(Choices(out))
    }
}

/// Whether a `labels:` mapping holds a template (a range, or a list of values).
pub(super) fn has_template(node: &Node) -> bool {
    let Kind::Map(entries) = &node.kind else {
        return false;
    };
    entries.iter().any(|(_, v)| match &v.kind {
        Kind::Seq(_) => true,
        Kind::Scalar { text, .. } => Template::parse(text).is_ok_and(|t| !t.is_plain()),
        _ => false,
    })
}

/// [`definition`](super::metrics) of the series of a templated entry: the entry as written,
/// with holes where each series puts its own name and labels.
pub(super) fn definition_template(metric: &Fields<'_>, series: &Fields<'_>) -> Definition {
    let header = metric
        .entries
        .iter()
        .filter(|(k, _)| METRIC_KEYS.contains(k));
    Definition::template(json::object_with(
        header.chain(&series.entries).map(|(k, v)| (*k, *v)),
        |key| match key {
            "name" => Some(NAME_HOLE.to_owned()),
            "labels" => Some(LABELS_HOLE.to_owned()),
            _ => None,
        },
    ))
}
