//! `metrics:` entries: names, types, buckets and objectives, their series, labels and end
//! strategies.

use super::{Decoder, Fields};
use crate::config::{
    MetricConfig, SeriesConfig,
    error::{KeyPath, closest},
    json,
    yaml::{Kind, Node, Position},
};
use crate::{
    Labels, MetricType,
    exposition::Family,
    labels::{is_valid_label_name, is_valid_metric_name},
    observe::{Buckets, List, Objectives, bound_problems},
    shape::{EndStrategy, Value},
};
use std::collections::HashMap;

/// The keys of a `metrics[]` entry that the control API takes too (it has no `labels` list
/// and no `timeseries`: its body is one series, flattened).
pub(super) const METRIC_KEYS: [&str; 5] = ["name", "help", "type", "buckets", "objectives"];

/// The keys of a `timeseries[]` entry.
pub(super) const SERIES_KEYS: [&str; 8] = [
    "labels",
    "endStrategy",
    "customValue",
    "data",
    "values",
    "series",
    "observations",
    "perScrape",
];

/// The most observations a histogram or summary series draws per scrape: each scrape draws
/// them all (and a summary keeps them) while the registry is locked, so more would let one
/// config or control-API request stall or exhaust the server.
const MAX_PER_SCRAPE: u64 = 100_000;

/// What a metric's series take from its entry.
struct Header<'a, 'n> {
    /// The metric name (a placeholder when it is invalid).
    name: &'a str,
    /// The entry's keys.
    fields: &'a Fields<'n>,
    metric_type: MetricType,
    /// The declared label names, when given.
    label_names: Option<&'a [String]>,
}

/// The metric names and series declared so far in a document, so that a second declaration
/// is reported even when either copy has errors of its own.
#[derive(Default)]
pub(super) struct Declared {
    /// Each metric name, with the line of its entry.
    names: HashMap<String, usize>,
    /// Each series, with the line it starts on.
    series: HashMap<Labels, usize>,
    /// Every name a family takes once exposed ([`Family::exposed_names`]), with the family
    /// that took it first.
    exposed: HashMap<String, Owner>,
}

/// A family, where its name stands.
#[derive(Clone)]
struct Owner {
    name: String,
    metric_type: MetricType,
    at: Position,
    path: KeyPath,
}

impl Decoder<'_> {
    pub(super) fn metrics(&mut self, node: &Node, path: &KeyPath) -> Option<Vec<MetricConfig>> {
        let items = self.seq(node, path)?;
        let mut declared = Declared::default();
        let metrics: Vec<Option<MetricConfig>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.metric(item, &path.index(i), &mut declared))
            .collect();
        metrics.into_iter().collect()
    }

    /// Records a metric's name; a name seen before is an error here.
    fn claim_name(&mut self, declared: &mut Declared, name: &str, at: Position, path: &KeyPath) {
        if let Some(line) = declared.names.insert(name.to_owned(), at.line) {
            self.error_at(
                at,
                &path.key("name"),
                format!("metric `{name}` is already declared on line {line}; put all its series under one entry"),
            );
        }
    }

    /// Records the names a family takes once exposed; one that another family (of another
    /// name) took first is an error here, naming both.
    fn claim_family(
        &mut self,
        declared: &mut Declared,
        name: &str,
        metric_type: MetricType,
        at: Position,
        path: &KeyPath,
    ) {
        let family = Family::new(name, metric_type);
        let mut reported = false;
        for exposed in family.exposed_names() {
            match declared.exposed.get(&exposed) {
                Some(owner) if owner.name != name => {
                    let first = Family::new(&owner.name, owner.metric_type);
                    if let (false, Some(clash)) = (reported, first.clash(&family)) {
                        let message = format!(
                            "metric `{name}` clashes with metric `{}` at {}:{}:{} ({}): {clash}; rename one of them",
                            owner.name, self.file, owner.at.line, owner.at.column, owner.path
                        );
                        self.error_at(at, path, message);
                        reported = true;
                    }
                }
                Some(_) => {}
                None => {
                    let owner = Owner {
                        name: name.to_owned(),
                        metric_type,
                        at,
                        path: path.clone(),
                    };
                    declared.exposed.insert(exposed, owner);
                }
            }
        }
    }

    /// Records a series; one seen before (same name and labels) is an error here.
    fn claim_series(
        &mut self,
        declared: &mut Declared,
        labels: &Labels,
        at: Position,
        path: &KeyPath,
    ) {
        if let Some(line) = declared.series.insert(labels.clone(), at.line) {
            self.error_at(
                at,
                path,
                format!("duplicate series {labels}: already defined on line {line}"),
            );
        }
    }

    /// One `metrics[]` entry. Its name and the labels of its series are claimed in
    /// `declared` as soon as they are read, whatever else is wrong with the entry.
    pub(super) fn metric(
        &mut self,
        node: &Node,
        path: &KeyPath,
        declared: &mut Declared,
    ) -> Option<MetricConfig> {
        let f = self.map(
            node,
            path,
            &[
                "name",
                "help",
                "type",
                "labels",
                "timeseries",
                "buckets",
                "objectives",
            ],
        )?;
        let name = self.required(&f, path, "name").and_then(|n| {
            let name = self.string(n, &path.key("name"))?;
            if is_valid_metric_name(&name) {
                Some(name)
            } else {
                self.error(
                    n,
                    &path.key("name"),
                    format!("invalid metric name {name:?}: must match [a-zA-Z_:][a-zA-Z0-9_:]*"),
                )
            }
        });
        if let Some(name) = &name {
            self.claim_name(declared, name, node.at, path);
        }
        let help = self.optional(&f, path, "help", Self::string);
        let metric_type = self.optional(&f, path, "type", |d, n, p| {
            let text = d.scalar(n, p, "a metric type")?;
            match text.parse::<MetricType>() {
                Ok(t) => Some(t),
                Err(e) => d.error(n, p, e.to_string()),
            }
        });
        // Only a valid type tells which names the family takes.
        if let (Some(name), Some(t), Some(node)) = (&name, metric_type, f.get("name")) {
            self.claim_family(
                declared,
                name,
                t.unwrap_or_default(),
                node.at,
                &path.key("name"),
            );
        }
        let kind = metric_type.flatten().unwrap_or_default();
        let label_names = self.optional(&f, path, "labels", |d, n, p| d.label_names(n, p, kind));
        // Checked here, where each bound has its place in the file; a list that passes is
        // one the library takes.
        let buckets = self.optional(&f, path, "buckets", |d, n, p| {
            d.bounds(n, p, List::Buckets)
                .and_then(|b| Buckets::new(b).ok())
        });
        let objectives = self.optional(&f, path, "objectives", |d, n, p| {
            d.bounds(n, p, List::Objectives)
                .and_then(|o| Objectives::new(o).ok())
        });
        let metric_kind = metric_type.flatten().unwrap_or_default();
        for (key, given, wanted) in [
            (
                "buckets",
                matches!(buckets, Some(Some(_))),
                MetricType::Histogram,
            ),
            (
                "objectives",
                matches!(objectives, Some(Some(_))),
                MetricType::Summary,
            ),
        ] {
            if given && metric_kind != wanted {
                self.error_at(
                    f.get(key)?.at,
                    &path.key(key),
                    format!("`{key}` is for a {wanted}; this metric is a {metric_kind}"),
                );
            }
        }
        // Go on with the series even when the header has errors, so all errors show at once.
        let series_name = name.clone().unwrap_or_else(|| "invalid_name".to_owned());
        let series_labels = label_names.clone().flatten();
        let header = Header {
            name: &series_name,
            fields: &f,
            metric_type: metric_type.unwrap_or_default().unwrap_or_default(),
            label_names: series_labels.as_deref(),
        };
        let series_node = self.required(&f, path, "timeseries")?;
        let series_path = path.key("timeseries");
        let items = self.seq(series_node, &series_path)?;
        if items.is_empty() {
            return self.error(
                series_node,
                &series_path,
                "a metric needs at least one series",
            );
        }
        // Under a placeholder name, series would only look like duplicates of each other.
        let mut claims = name.is_some().then_some(declared);
        let mut series = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.series(item, &series_path.index(i), &header, claims.as_deref_mut()) {
                Some(s) => series.push(s),
                None => ok = false,
            }
        }
        let (name, help, metric_type, label_names) =
            (name?, help?, metric_type?.unwrap_or_default(), label_names?);
        let (buckets, objectives) = (buckets?, objectives?);
        ok.then_some(MetricConfig {
            name,
            help,
            metric_type,
            label_names,
            series,
            buckets,
            objectives,
        })
    }

    /// Histogram buckets or summary objectives: a non-empty list of numbers, each in range
    /// and above the one before it. Every bad item is reported, not only the first.
    fn bounds(&mut self, node: &Node, path: &KeyPath, list: List) -> Option<Vec<f64>> {
        let items = self.seq(node, path)?;
        if items.is_empty() {
            let what = match list {
                List::Buckets => "bucket",
                List::Objectives => "objective",
            };
            return self.error(node, path, format!("needs at least one {what}"));
        }
        let values: Vec<Option<f64>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.f64(item, &path.index(i)))
            .collect();
        let problems = bound_problems(list, values.iter().copied());
        for e in &problems {
            self.error_at(items[e.index].at, &path.index(e.index), e.reason());
        }
        if problems.is_empty() {
            values.into_iter().collect()
        } else {
            None
        }
    }

    fn label_names(
        &mut self,
        node: &Node,
        path: &KeyPath,
        metric_type: MetricType,
    ) -> Option<Vec<String>> {
        let family = Family::new("", metric_type);
        let mut names = Vec::new();
        let mut ok = true;
        for (i, item) in self.seq(node, path)?.iter().enumerate() {
            let p = path.index(i);
            let Some(n) = self.string(item, &p) else {
                ok = false;
                continue;
            };
            match family.check_label(&n) {
                _ if !is_valid_label_name(&n) || n.starts_with("__") => {
                    self.error_at(item.at, &p, format!("invalid label name {n:?}: must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __"));
                    ok = false;
                }
                Err(reserved) => {
                    self.error_at(item.at, &p, reserved.to_string());
                    ok = false;
                }
                Ok(()) if names.contains(&n) => {
                    self.error_at(item.at, &p, format!("label {n:?} declared twice"));
                    ok = false;
                }
                Ok(()) => names.push(n),
            }
        }
        ok.then_some(names)
    }

    fn series(
        &mut self,
        node: &Node,
        path: &KeyPath,
        header: &Header<'_, '_>,
        claims: Option<&mut Declared>,
    ) -> Option<SeriesConfig> {
        let metric_type = header.metric_type;
        let f = self.map(node, path, &SERIES_KEYS)?;
        let definition = definition(header.fields, &f);
        let family = Family::new(header.name, metric_type);
        let labels = self.series_labels(&f, path, family, header.label_names);
        if let (Some(labels), Some(claims)) = (&labels, claims) {
            self.claim_series(claims, labels, node.at, path);
        }
        if matches!(metric_type, MetricType::Histogram | MetricType::Summary) {
            return self.observed_series(node, &f, path, metric_type, labels, definition);
        }
        if let Some(key) = ["observations", "perScrape"]
            .into_iter()
            .find(|k| f.get(k).is_some())
        {
            return self.error(
                f.get(key)?,
                &path.key(key),
                format!("`{key}` is for histograms and summaries; this metric is a {metric_type}"),
            );
        }
        let counter = metric_type == MetricType::Counter;
        let end = self.end_strategy(&f, path, counter);
        let given: Vec<&str> = ["data", "values", "series"]
            .into_iter()
            .filter(|k| f.get(k).is_some())
            .collect();
        let shape = match given.as_slice() {
            ["data"] => self.data(f.get("data")?, &path.key("data"), counter),
            ["values"] => self.notation(f.get("values")?, &path.key("values"), counter),
            ["series"] => self.dsl(f.get("series")?, &path.key("series"), counter),
            [] => self.error(
                node,
                path,
                "missing the series' values: add `data` (a list of segments), `values` (promtool notation) or `series` (the series DSL)",
            ),
            keys => self.error(node, path, format!("give one of `data`, `values` or `series`, not {}", keys.join(" and "))),
        };
        let description = describe(&f, given.first().copied().unwrap_or("data"));
        Some(SeriesConfig {
            description,
            definition,
            per_scrape: 1,
            labels: labels?,
            end: end?,
            shape: shape?,
            line: node.at.line,
        })
    }

    /// A histogram's or summary's series: `observations` (a DSL string or segments) drawn
    /// `perScrape` times each scrape.
    fn observed_series(
        &mut self,
        node: &Node,
        f: &Fields<'_>,
        path: &KeyPath,
        metric_type: MetricType,
        labels: Option<Labels>,
        definition: String,
    ) -> Option<SeriesConfig> {
        if let Some(key) = ["data", "values", "series", "endStrategy", "customValue"]
            .into_iter()
            .find(|k| f.get(k).is_some())
        {
            return self.error(
                f.get(key)?,
                &path.key(key),
                format!(
                    "a {metric_type}'s series take `observations` and `perScrape`, not `{key}`"
                ),
            );
        }
        let per_scrape = self.optional(f, path, "perScrape", |d, node, p| {
            match d.positive(node, p)? {
                n if n <= MAX_PER_SCRAPE => Some(n),
                _ => d.error(node, p, format!("must be at most {MAX_PER_SCRAPE}")),
            }
        });
        let observations = match f.get("observations") {
            Some(n) if matches!(n.kind, Kind::Scalar { .. }) => self.dsl(n, &path.key("observations"), false),
            Some(n) => self.data(n, &path.key("observations"), false),
            None => self.error(node, path, format!("a {metric_type}'s series needs `observations`, e.g. observations: \"normal(0.2, 0.05)\"")),
        };
        let description = describe(f, "observations");
        Some(SeriesConfig {
            description,
            definition,
            labels: labels?,
            end: EndStrategy::Stop,
            shape: observations?,
            per_scrape: per_scrape?.unwrap_or(1),
            line: node.at.line,
        })
    }

    /// A series' labels. Those the family's samples carry themselves (`le`, `quantile`) are
    /// refused here, as they are in the metric's `labels` list.
    fn series_labels(
        &mut self,
        f: &Fields<'_>,
        path: &KeyPath,
        family: Family<'_>,
        declared: Option<&[String]>,
    ) -> Option<Labels> {
        let mut pairs = Vec::new();
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
                } else if declared.is_some_and(|d| !d.contains(&k)) {
                    let d = declared.unwrap_or_default().join(", ");
                    self.error_at(
                        key.at,
                        &p,
                        format!("label {k:?} is not declared in the metric's `labels` ({d})"),
                    );
                    ok = false;
                }
                match self.scalar(value, &p, "a label value") {
                    Some("") => {
                        self.error_at(
                            value.at,
                            &p,
                            "empty label value (leave the label out instead)",
                        );
                        pairs.push((k, String::new()));
                        ok = false;
                    }
                    Some(v) => pairs.push((k, v.to_owned())),
                    None => ok = false,
                }
            }
        }
        for missing in declared
            .unwrap_or_default()
            .iter()
            .filter(|d| !pairs.iter().any(|(k, _)| k == *d))
        {
            self.error_at(
                f.node.at,
                &path.key("labels"),
                format!("missing label {missing:?}, declared in the metric's `labels`"),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        match Labels::new(family.name, pairs) {
            Ok(l) => Some(l),
            Err(e) => self.error(f.node, &path.key("labels"), e.to_string()),
        }
    }

    fn end_strategy(
        &mut self,
        f: &Fields<'_>,
        path: &KeyPath,
        counter: bool,
    ) -> Option<EndStrategy> {
        let custom = f.get("customValue");
        let Some(node) = f.get("endStrategy") else {
            if let Some(c) = custom {
                return self.error(
                    c,
                    &path.key("customValue"),
                    "`customValue` goes with `endStrategy: sendCustomValue`",
                );
            }
            return Some(EndStrategy::Stop);
        };
        let p = path.key("endStrategy");
        let text = self.scalar(node, &p, "an end strategy")?;
        let names = [
            "loop",
            "sendLastValue",
            "sendCustomValue",
            "removeTimeSeries",
        ];
        match text {
            "loop" => Some(EndStrategy::Loop),
            "sendLastValue" => Some(EndStrategy::SendLastValue),
            "removeTimeSeries" => Some(EndStrategy::RemoveTimeSeries),
            "sendCustomValue" => {
                let Some(c) = custom else {
                    return self.error(node, &p, "`sendCustomValue` needs a `customValue` beside it (a number, or null for a missing scrape)");
                };
                let cp = path.key("customValue");
                let value = self.value(c, &cp)?;
                if counter && matches!(value, Value::Num(v) if v.is_nan() || v < 0.0) {
                    return self.error(c, &cp, "counter values must not be negative or NaN");
                }
                Some(EndStrategy::SendCustomValue(value))
            }
            other => {
                let hint = closest(other, &names)
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                self.error(
                    node,
                    &p,
                    format!(
                        "unknown end strategy {other:?}{hint}: expected one of {}",
                        names.join(", ")
                    ),
                )
            }
        }
    }

    /// One custom value: a number, null or `_` for a missing scrape, `stale` for a marker.
    pub(super) fn value(&mut self, node: &Node, path: &KeyPath) -> Option<Value> {
        if node.is_null() {
            return Some(Value::Missing);
        }
        match self.scalar(node, path, "a number, null or stale")? {
            "_" => Some(Value::Missing),
            "stale" => Some(Value::Stale),
            text => self
                .number(node, path, text, "a number, null (missing scrape) or stale")
                .map(Value::Num),
        }
    }
}

/// How a series' shape was written: the DSL or notation text itself, or the segments as
/// JSON (what the control API takes under the same key).
fn describe(f: &Fields<'_>, key: &str) -> String {
    match f.get(key) {
        Some(Node {
            kind: Kind::Scalar { text, .. },
            ..
        }) => text.clone(),
        Some(node) => json::to_json(node),
        None => String::new(),
    }
}

/// The control-API body that recreates a series: its metric's `name`, `help`, `type`,
/// `buckets` and `objectives`, and the series' own keys, each as written.
fn definition(metric: &Fields<'_>, series: &Fields<'_>) -> String {
    let header = metric
        .entries
        .iter()
        .filter(|(k, _)| METRIC_KEYS.contains(k));
    json::object(header.chain(&series.entries).map(|(k, v)| (*k, *v)))
}
