//! Turns the YAML node tree into a [`Config`], collecting every error with its location.
//!
//! Split by concern: the shared readers and the document's root here; the `scraper:` and
//! `remoteWriter:` blocks in [`settings`]; metrics, their series and labels in [`metrics`];
//! shape segments, the DSL and the notation in [`segments`].

mod churn;
mod expand;
mod labels;
mod metrics;
mod segments;
mod settings;

use super::{
    Config, MetricConfig,
    error::{ConfigError, KeyPath, closest},
    yaml::{Kind, Node, Position},
};
use crate::time::{parse_duration, parse_time};

pub(crate) struct Decoder<'f> {
    file: &'f str,
    now_ms: i64,
    errors: Vec<ConfigError>,
    /// Errors past [`MAX_ERRORS`]: counted, not kept, and where the first of them is.
    omitted: usize,
    first_omitted: Position,
    /// The shape being decoded: how many levels of segments deep it is here, how many shapes
    /// it holds so far, and whether it was refused for holding too many.
    depth: usize,
    shapes: usize,
    too_many: bool,
    /// Whether names and label values may be templates (a config's; not the control API's).
    pub(crate) templates: bool,
    /// The most series the document may expand to.
    pub(crate) max_series: u64,
    /// The series it expands to so far, and whether going past the limit was reported.
    pub(crate) expanded: u128,
    pub(crate) over_limit: bool,
}

/// The most errors kept for one document. Every one is reported up to this; beyond it they
/// are only counted, so that a hostile document (aliases can repeat a bad node up to the
/// alias budget) cannot make the error list and its rendering hold hundreds of megabytes.
pub(crate) const MAX_ERRORS: usize = 100;

/// The entries of a mapping, checked against the keys it may hold.
struct Fields<'n> {
    node: &'n Node,
    entries: Vec<(&'n str, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }
}

impl<'f> Decoder<'f> {
    pub fn new(file: &'f str, now_ms: i64) -> Self {
        Self {
            file,
            now_ms,
            errors: Vec::new(),
            omitted: 0,
            first_omitted: Position::default(),
            depth: 0,
            shapes: 0,
            too_many: false,
            templates: true,
            max_series: super::DEFAULT_MAX_SERIES,
            expanded: 0,
            over_limit: false,
        }
    }

    /// A `data:` value alone: segments, or a single segment (gauge values).
    pub fn shape_data(&mut self, node: &Node, path: &KeyPath) -> Option<super::ShapeSpec> {
        self.data(node, path, false)
    }

    /// Whether anything was wrong.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The errors in the order they stand in the document, and a last one saying how many
    /// more there were when there were more than [`MAX_ERRORS`].
    pub fn into_errors(self) -> Vec<ConfigError> {
        let mut errors = self.errors;
        errors.sort_by_key(|e| (e.line, e.column));
        errors.dedup();
        if self.omitted > 0 {
            let n = self.omitted;
            errors.push(ConfigError::new(
                self.file,
                self.first_omitted,
                &KeyPath::default(),
                format!(
                    "… and {n} more error{} (only the first {MAX_ERRORS} are listed)",
                    if n == 1 { "" } else { "s" }
                ),
            ));
        }
        errors
    }

    fn error_at(&mut self, at: Position, path: &KeyPath, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors
                .push(ConfigError::new(self.file, at, path, message));
        } else {
            if self.omitted == 0 {
                self.first_omitted = at;
            }
            self.omitted += 1;
        }
    }

    fn error<T>(&mut self, node: &Node, path: &KeyPath, message: impl Into<String>) -> Option<T> {
        self.error_at(node.at, path, message);
        None
    }

    fn map<'n>(&mut self, node: &'n Node, path: &KeyPath, known: &[&str]) -> Option<Fields<'n>> {
        let Kind::Map(entries) = &node.kind else {
            return self.error(
                node,
                path,
                format!("expected a mapping, found {}", node.describe()),
            );
        };
        let mut fields = Fields {
            node,
            entries: Vec::new(),
        };
        for (key, value) in entries {
            let Kind::Scalar { text, .. } = &key.kind else {
                self.error_at(key.at, path, "keys must be plain strings");
                continue;
            };
            if !known.contains(&text.as_str()) {
                let hint = closest(text, known).map_or_else(
                    || format!(" (expected one of: {})", known.join(", ")),
                    |k| format!(" (did you mean `{k}`?)"),
                );
                self.error_at(key.at, &path.key(text), format!("unknown key{hint}"));
            } else if fields.get(text).is_some() {
                self.error_at(key.at, &path.key(text), "key given twice");
            } else {
                fields.entries.push((text.as_str(), value));
            }
        }
        Some(fields)
    }

    fn required<'n>(&mut self, fields: &Fields<'n>, path: &KeyPath, key: &str) -> Option<&'n Node> {
        let found = fields.get(key);
        if found.is_none() {
            self.error_at(fields.node.at, path, format!("missing key `{key}`"));
        }
        found
    }

    /// A required key, read by `read`.
    fn field<T>(
        &mut self,
        fields: &Fields<'_>,
        path: &KeyPath,
        key: &str,
        read: impl FnOnce(&mut Self, &Node, &KeyPath) -> Option<T>,
    ) -> Option<T> {
        let node = self.required(fields, path, key)?;
        read(self, node, &path.key(key))
    }

    fn seq<'n>(&mut self, node: &'n Node, path: &KeyPath) -> Option<&'n [Node]> {
        match &node.kind {
            Kind::Seq(items) => Some(items),
            _ => self.error(
                node,
                path,
                format!("expected a list, found {}", node.describe()),
            ),
        }
    }

    fn scalar<'n>(&mut self, node: &'n Node, path: &KeyPath, what: &str) -> Option<&'n str> {
        match &node.kind {
            Kind::Scalar { text, .. } if !node.is_null() => Some(text),
            _ => self.error(
                node,
                path,
                format!("expected {what}, found {}", node.describe()),
            ),
        }
    }

    fn string(&mut self, node: &Node, path: &KeyPath) -> Option<String> {
        self.scalar(node, path, "a string").map(str::to_owned)
    }

    fn f64(&mut self, node: &Node, path: &KeyPath) -> Option<f64> {
        let text = self.scalar(node, path, "a number")?;
        self.number(node, path, text, "a number")
    }

    /// `text` as a number, or an error: out of range, or not `what` was expected.
    fn number(&mut self, node: &Node, path: &KeyPath, text: &str, what: &str) -> Option<f64> {
        match parse_number(text) {
            Ok(v) => Some(v),
            Err(NotANumber::OutOfRange) => self.error(
                node,
                path,
                format!(
                    "the number {text} is out of range: a value is a 64-bit float, at most about 1.8e308 (.inf is infinity)"
                ),
            ),
            Err(NotANumber::Syntax) => {
                self.error(node, path, format!("expected {what}, found {text:?}"))
            }
        }
    }

    fn finite(&mut self, node: &Node, path: &KeyPath) -> Option<f64> {
        let v = self.f64(node, path)?;
        if v.is_finite() {
            Some(v)
        } else {
            self.error(node, path, "must be a finite number")
        }
    }

    /// A whole number, however it is written (`3`, `3.0`, `1e3`), as the DSL reads counts.
    fn u64(&mut self, node: &Node, path: &KeyPath) -> Option<u64> {
        let text = self.scalar(node, path, "a whole number")?;
        let whole = text.parse().ok();
        whole
            .or_else(|| promgen_syntax::whole_number(text))
            .or_else(|| {
                self.error(
                    node,
                    path,
                    format!("expected a whole number >= 0, found {text:?}"),
                )
            })
    }

    fn positive(&mut self, node: &Node, path: &KeyPath) -> Option<u64> {
        match self.u64(node, path)? {
            0 => self.error(node, path, "must be > 0"),
            n => Some(n),
        }
    }

    fn duration(&mut self, node: &Node, path: &KeyPath) -> Option<i64> {
        let text = self.scalar(node, path, "a duration")?;
        match parse_duration(text) {
            Ok(ms) => Some(ms),
            Err(e) => self.error(node, path, e.to_string()),
        }
    }

    fn time(&mut self, node: &Node, path: &KeyPath) -> Option<String> {
        let text = self.scalar(node, path, "a time")?;
        match parse_time(text, self.now_ms) {
            Ok(_) => Some(text.to_owned()),
            Err(e) => self.error(node, path, e.to_string()),
        }
    }

    fn optional<T>(
        &mut self,
        fields: &Fields<'_>,
        path: &KeyPath,
        key: &str,
        read: impl FnOnce(&mut Self, &Node, &KeyPath) -> Option<T>,
    ) -> Option<Option<T>> {
        match fields.get(key) {
            None => Some(None),
            Some(node) => read(self, node, &path.key(key)).map(Some),
        }
    }

    pub fn config(&mut self, root: &Node) -> Option<Config> {
        let top = KeyPath::default();
        let fields = self.map(root, &top, &["scraper", "remoteWriter", "metrics"])?;
        let mut scraper = match fields.get("scraper") {
            Some(node) => self.scraper(node, &top.key("scraper")),
            None => Some(None),
        };
        let remote_writer = match fields.get("remoteWriter") {
            Some(node) => {
                let path = top.key("remoteWriter");
                let (writer, nested) = self.remote_writer(node, &path)?;
                if let Some((nested, at)) = nested {
                    if matches!(scraper, Some(Some(_))) {
                        self.error_at(
                            at,
                            &path.key("scraper"),
                            "the scraper is already given at the top level; keep one",
                        );
                    } else {
                        scraper = nested.map(Some);
                    }
                }
                Some(writer)
            }
            None => None,
        };
        let metrics = match self.required(&fields, &top, "metrics") {
            Some(node) => self.metrics(node, &top.key("metrics")),
            None => None,
        };
        Some(Config {
            scraper: scraper?.unwrap_or_default(),
            remote_writer,
            metrics: metrics?,
        })
    }

    /// One series as the control API takes it: a `metrics[]` entry with one time series,
    /// flattened (`{"name", "type", "labels": {…}, "series": "…"}`).
    pub fn api_series(&mut self, root: &Node) -> Option<MetricConfig> {
        use metrics::{METRIC_KEYS as METRIC, SERIES_KEYS as SERIES};
        let known: Vec<&str> = METRIC.iter().chain(&SERIES).copied().collect();
        let top = KeyPath::default();
        let fields = self.map(root, &top, &known)?;
        let pick = |keys: &[&str]| -> Vec<(Node, Node)> {
            fields
                .entries
                .iter()
                .filter(|(k, _)| keys.contains(k))
                .map(|(k, v)| {
                    (
                        Node {
                            kind: Kind::Scalar {
                                text: (*k).to_owned(),
                                plain: true,
                            },
                            at: v.at,
                        },
                        (*v).clone(),
                    )
                })
                .collect()
        };
        let series = Node {
            kind: Kind::Map(pick(&SERIES).into()),
            at: root.at,
        };
        let mut metric = pick(&METRIC);
        metric.push((
            Node {
                kind: Kind::Scalar {
                    text: "timeseries".into(),
                    plain: true,
                },
                at: root.at,
            },
            Node {
                kind: Kind::Seq(vec![series].into()),
                at: root.at,
            },
        ));
        let before = self.errors.len();
        // One series, as written: the control API expands nothing.
        self.templates = false;
        let decoded = self
            .metric(
                &Node {
                    kind: Kind::Map(metric.into()),
                    at: root.at,
                },
                &top,
                &mut metrics::Declared::default(),
            )
            .and_then(|mut metrics| metrics.pop());
        // The series' fields sit at the top of the request: name them so.
        for e in &mut self.errors[before..] {
            let path = e.path.as_str();
            let flat = path
                .strip_prefix("timeseries[0].")
                .or_else(|| path.strip_prefix("timeseries[0]"))
                .unwrap_or(path);
            e.path = KeyPath::default().key(flat);
        }
        decoded
    }
}

/// Why a scalar is not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotANumber {
    /// Not written as one.
    Syntax,
    /// Written as one past the largest float, like `1e400`: refused, not read as infinity.
    OutOfRange,
}

/// A number as YAML writes it (`1`, `-2.5e3`, `.inf`, `.nan`) or as Prometheus does (`+Inf`,
/// `-Inf`, `NaN`). Infinity is only ever written as such.
pub(crate) fn parse_number(text: &str) -> Result<f64, NotANumber> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        ".inf" | "+.inf" | "inf" | "+inf" => return Ok(f64::INFINITY),
        "-.inf" | "-inf" => return Ok(f64::NEG_INFINITY),
        ".nan" | "nan" => return Ok(f64::NAN),
        "infinity" | "+infinity" | "-infinity" | "+nan" | "-nan" => {
            return Err(NotANumber::Syntax);
        }
        _ => {}
    }
    // Rust's parser takes Go-like forms (1e3, .5, 1.); refuse anything with letters other
    // than an exponent so "0x10" or "1_000" are not silently misread.
    if t.chars()
        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return Err(NotANumber::Syntax);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_infinite() => Err(NotANumber::OutOfRange),
        Ok(v) => Ok(v),
        Err(_) => Err(NotANumber::Syntax),
    }
}
