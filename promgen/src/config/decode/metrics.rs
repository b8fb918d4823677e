//! `metrics:` entries: names, types, buckets and objectives, their series, labels and end
//! strategies.

use super::{
    Decoder, Fields,
    expand::Template,
    labels::{definition_template, has_template},
};
use crate::config::{
    MetricConfig, SeriesConfig,
    error::{KeyPath, closest},
    json,
    yaml::{Kind, Node, Position},
};
use crate::{
    Labels, MetricType,
    churn::{Churn, ChurnSlot},
    exposition::Family,
    labels::{is_valid_label_name, is_valid_metric_name},
    observe::{Buckets, List, Objectives, bound_problems},
    registry::Definition,
    shape::{EndStrategy, Value},
};
use std::collections::HashMap;

/// The keys of a `metrics[]` entry that the control API takes too (it has no `labels` list
/// and no `timeseries`: its body is one series, flattened).
pub(super) const METRIC_KEYS: [&str; 5] = ["name", "help", "type", "buckets", "objectives"];

/// The keys of a `timeseries[]` entry.
pub(super) const SERIES_KEYS: [&str; 9] = [
    "labels",
    "churn",
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
    /// The metric name (a placeholder when it is invalid): the first its template stands
    /// for.
    name: &'a str,
    /// Whether the name is a template (each series' definition then names its own).
    templated: bool,
    /// The other names the template stands for (their series are claimed too).
    other_names: &'a [String],
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
        let metrics: Vec<Option<Vec<MetricConfig>>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.metric(item, &path.index(i), &mut declared))
            .collect();
        let metrics: Vec<Vec<MetricConfig>> = metrics.into_iter().collect::<Option<_>>()?;
        Some(metrics.into_iter().flatten().collect())
    }

    /// A text that may be a template (`host-{0..9}`), or is read as written where templates
    /// are not taken.
    pub(super) fn template(&mut self, node: &Node, path: &KeyPath, text: &str) -> Option<Template> {
        if !self.templates {
            return Template::parse(&text.replace('{', "\u{0}"))
                .ok()
                .map(|_| Template::literal(text));
        }
        match Template::parse(text) {
            Ok(t) => Some(t),
            Err(e) => self.error(node, path, e),
        }
    }

    /// `n` more series from the entry at `node`: past [`Decoder::max_series`] in all, an
    /// error (once), so that a range with a typo expands to nothing.
    pub(super) fn expand(&mut self, node: &Node, path: &KeyPath, n: u128) -> Option<()> {
        self.expanded = self.expanded.saturating_add(n);
        if self.expanded <= u128::from(self.max_series) {
            return Some(());
        }
        if !self.over_limit {
            self.over_limit = true;
            let max = self.max_series;
            self.error(
                node,
                path,
                format!("the config expands to more than {max} series here (this entry: {n}): raise the limit (`--max-series`) if that is meant"),
            )?;
        }
        None
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
    ) -> Option<Vec<MetricConfig>> {
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
        // The name, or each name its template stands for.
        let names: Option<Vec<String>> = self.required(&f, path, "name").and_then(|n| {
            let npath = path.key("name");
            let text = self.string(n, &npath)?;
            let template = self.template(n, &npath, &text)?;
            // Each name has a series at least: past the limit with the series so far, the
            // names are not even built (a 5 KB config could ask for millions of them).
            if self.over_limit {
                return None;
            }
            if self.expanded.saturating_add(template.count()) > u128::from(self.max_series) {
                return self.expand(n, &npath, template.count()).map(|()| Vec::new());
            }
            let names: Vec<String> = (0..template.count()).map(|i| template.get(i)).collect();
            match names.iter().find(|name| !is_valid_metric_name(name)) {
                None => Some(names),
                Some(name) if template.is_plain() => self.error(
                    n,
                    &npath,
                    format!("invalid metric name {name:?}: must match [a-zA-Z_:][a-zA-Z0-9_:]*"),
                ),
                Some(name) => self.error(
                    n,
                    &npath,
                    format!("invalid metric name {name:?} (from {text:?}): must match [a-zA-Z_:][a-zA-Z0-9_:]*"),
                ),
            }
        });
        let name = names.as_ref().and_then(|n| n.first().cloned());
        for n in names.iter().flatten() {
            self.claim_name(declared, n, node.at, path);
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
        if let (Some(names), Some(t), Some(node)) = (&names, metric_type, f.get("name")) {
            for name in names {
                self.claim_family(
                    declared,
                    name,
                    t.unwrap_or_default(),
                    node.at,
                    &path.key("name"),
                );
            }
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
        let templated = self.templates
            && f.get("name").is_some_and(|n| {
                matches!(&n.kind, Kind::Scalar { text, .. } if Template::parse(text).is_ok_and(|t| !t.is_plain()))
            });
        let other_names: Vec<String> = names.iter().flatten().skip(1).cloned().collect();
        let header = Header {
            name: &series_name,
            templated,
            other_names: &other_names,
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
        let names_count = names.as_ref().map_or(1, |n| n.len().max(1));
        let mut claims = name.is_some().then_some(declared);
        let mut series = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let at = series_path.index(i);
            match self.series(item, &at, &header, claims.as_deref_mut(), names_count) {
                Some(s) => series.extend(s),
                None => ok = false,
            }
        }
        let (names, help, metric_type, label_names) = (
            names?,
            help?,
            metric_type?.unwrap_or_default(),
            label_names?,
        );
        let (buckets, objectives) = (buckets?, objectives?);
        if !ok {
            return None;
        }
        // The other names of a template take the same series, renamed.
        let mut metrics = Vec::with_capacity(names.len());
        for (k, name) in names.iter().enumerate() {
            let series = if k == 0 {
                std::mem::take(&mut series)
            } else {
                let mut renamed = Vec::with_capacity(
                    metrics.first().map_or(0, |m: &MetricConfig| m.series.len()),
                );
                for s in &metrics.first().expect("the first name's").series {
                    let s: &SeriesConfig = s;
                    let labels = Labels::new(name, s.labels.without_name()).ok()?;
                    // The definition is a template: it takes the name from the labels.
                    let mut copy = s.clone();
                    copy.labels = labels;
                    renamed.push(copy);
                }
                renamed
            };
            metrics.push(MetricConfig {
                name: name.clone(),
                help: help.clone(),
                metric_type,
                label_names: label_names.clone(),
                series,
                buckets: buckets.clone(),
                objectives: objectives.clone(),
            });
        }
        Some(metrics)
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

    /// A `timeseries[]` entry: one series, or one per combination of its labels' values
    /// (for each of the metric's `names` names, counted against the limit).
    fn series(
        &mut self,
        node: &Node,
        path: &KeyPath,
        header: &Header<'_, '_>,
        claims: Option<&mut Declared>,
        names: usize,
    ) -> Option<Vec<SeriesConfig>> {
        let f = self.map(node, path, &SERIES_KEYS)?;
        let family = Family::new(header.name, header.metric_type);
        let churn = self.churn(&f, path, family);
        let churn_label = churn.as_ref().and_then(|c| c.as_ref().map(Churn::label));
        let labels = self.series_labels(&f, path, family, header.label_names, names, churn_label);
        if let (Some(labels), Some(claims)) = (&labels, claims) {
            for l in labels {
                self.claim_series(claims, l, node.at, path);
                for other in header.other_names {
                    if let Ok(renamed) = Labels::new(other, l.without_name()) {
                        self.claim_series(claims, &renamed, node.at, path);
                    }
                }
            }
        }
        let one = self.one_series(node, &f, path, header)?;
        let labels = labels?;
        if let Some(churn) = churn? {
            return self.churning(node, path, &f, header, one, &labels, churn, names);
        }
        let templated = self.templates && f.get("labels").is_some_and(has_template);
        if labels.len() == 1 && !templated && !header.templated {
            let mut one = one;
            one.labels = labels.into_iter().next()?;
            return Some(vec![one]);
        }
        let definition = definition_template(header.fields, &f);
        Some(
            labels
                .into_iter()
                .map(|l| {
                    let mut s = one.clone();
                    s.definition = definition.clone();
                    s.labels = l;
                    s
                })
                .collect(),
        )
    }

    /// A churning entry's series: a slot for each label set (and for a spike, the extra
    /// slots, counted against the limit), each with its definition.
    #[allow(clippy::too_many_arguments)]
    fn churning(
        &mut self,
        node: &Node,
        path: &KeyPath,
        f: &Fields<'_>,
        header: &Header<'_, '_>,
        one: SeriesConfig,
        labels: &[Labels],
        churn: Churn,
        names: usize,
    ) -> Option<Vec<SeriesConfig>> {
        let sets = labels.len() as u64;
        let slots = churn.slots(sets);
        let extra = u128::from(slots - sets);
        self.expand(node, path, extra.saturating_mul(names as u128))?;
        let churn = std::sync::Arc::new(churn);
        let definition = definition_template(header.fields, f);
        Some(
            (0..slots)
                .map(|slot| {
                    let set = usize::try_from(slot % sets).unwrap_or(0);
                    let mut s = one.clone();
                    s.labels = labels[set].clone();
                    s.definition = definition.clone();
                    s.churn = Some(ChurnSlot::new(std::sync::Arc::clone(&churn), slot, slots));
                    s
                })
                .collect(),
        )
    }

    /// What a series entry says besides its labels (its labels are the metric name alone
    /// here: the caller sets them).
    fn one_series(
        &mut self,
        node: &Node,
        f: &Fields<'_>,
        path: &KeyPath,
        header: &Header<'_, '_>,
    ) -> Option<SeriesConfig> {
        let metric_type = header.metric_type;
        let definition = definition(header.fields, f);
        let labels = Labels::new(header.name, Vec::<(String, String)>::new()).ok();
        if matches!(metric_type, MetricType::Histogram | MetricType::Summary) {
            return self.observed_series(node, f, path, metric_type, labels, definition);
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
        let end = self.end_strategy(f, path, counter);
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
        let description = describe(f, given.first().copied().unwrap_or("data")).into();
        Some(SeriesConfig {
            description,
            definition,
            per_scrape: 1,
            labels: labels?,
            end: end?,
            shape: std::sync::Arc::new(shape?),
            line: node.at.line,
            churn: None,
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
        definition: Definition,
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
        let description = describe(f, "observations").into();
        Some(SeriesConfig {
            description,
            definition,
            labels: labels?,
            end: EndStrategy::Stop,
            shape: std::sync::Arc::new(observations?),
            per_scrape: per_scrape?.unwrap_or(1),
            line: node.at.line,
            churn: None,
        })
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
fn definition(metric: &Fields<'_>, series: &Fields<'_>) -> Definition {
    let header = metric
        .entries
        .iter()
        .filter(|(k, _)| METRIC_KEYS.contains(k));
    Definition::new(json::object(
        header.chain(&series.entries).map(|(k, v)| (*k, *v)),
    ))
}
