//! Turns the YAML node tree into a [`Config`], collecting every error with its location.

use super::{
    Config, MetricConfig, RemoteWriterConfig, ScraperConfig, Secret, SeriesConfig,
    error::{ConfigError, KeyPath, closest},
    spec::{ArithOp, Period, ShapeSpec},
    yaml::{Kind, Node, Position},
};
use crate::{
    Labels, MetricType,
    labels::{is_valid_label_name, is_valid_metric_name},
    notation::Notation,
    remote_write::options::RESERVED_HEADERS,
    shape::{EndStrategy, Value, WaveKind, WaveParams},
    time::{parse_duration, parse_time},
};
use std::collections::HashMap;

/// The most observations a histogram or summary series draws per scrape: each scrape draws
/// them all (and a summary keeps them) while the registry is locked, so more would let one
/// config or control-API request stall or exhaust the server.
const MAX_PER_SCRAPE: u64 = 100_000;

pub(crate) struct Decoder<'f> {
    file: &'f str,
    now_ms: i64,
    pub errors: Vec<ConfigError>,
}

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

const SHAPES: &[&str] = &[
    "LinearSegment",
    "CustomValues",
    "Random",
    "Void",
    "Loop",
    "Join",
    "Values",
    "Constant",
    "Normal",
    "RandomWalk",
    "Sin",
    "Cos",
    "Square",
    "Sawtooth",
    "Triangle",
    "Pulse",
    "ContinuousLinear",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Clamp",
    "Round",
    "Abs",
    "Cumsum",
    "Hold",
    "Take",
];

impl<'f> Decoder<'f> {
    pub fn new(file: &'f str, now_ms: i64) -> Self {
        Self {
            file,
            now_ms,
            errors: Vec::new(),
        }
    }

    fn error_at(&mut self, at: Position, path: &KeyPath, message: impl Into<String>) {
        self.errors
            .push(ConfigError::new(self.file, at, path, message));
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
        parse_number(text)
            .or_else(|| self.error(node, path, format!("expected a number, found {text:?}")))
    }

    fn finite(&mut self, node: &Node, path: &KeyPath) -> Option<f64> {
        let v = self.f64(node, path)?;
        if v.is_finite() {
            Some(v)
        } else {
            self.error(node, path, "must be a finite number")
        }
    }

    fn u64(&mut self, node: &Node, path: &KeyPath) -> Option<u64> {
        let text = self.scalar(node, path, "a whole number")?;
        text.parse().ok().or_else(|| {
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
        const METRIC: [&str; 5] = ["name", "help", "type", "buckets", "objectives"];
        const SERIES: [&str; 8] = [
            "labels",
            "endStrategy",
            "customValue",
            "data",
            "values",
            "series",
            "observations",
            "perScrape",
        ];
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
            kind: Kind::Map(pick(&SERIES)),
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
                kind: Kind::Seq(vec![series]),
                at: root.at,
            },
        ));
        let before = self.errors.len();
        let decoded = self.metric(
            &Node {
                kind: Kind::Map(metric),
                at: root.at,
            },
            &top,
        );
        // The series' fields sit at the top of the request: name them so.
        for e in &mut self.errors[before..] {
            let path = e.path.as_str();
            let flat = path
                .strip_prefix("timeseries[0].")
                .or_else(|| path.strip_prefix("timeseries[0]"))
                .unwrap_or(path);
            e.path = KeyPath::default().key(flat);
        }
        decoded.map(|(m, _)| m)
    }

    fn scraper(&mut self, node: &Node, path: &KeyPath) -> Option<Option<ScraperConfig>> {
        let f = self.map(
            node,
            path,
            &["scrapeInterval", "startTime", "scrapesCount", "endTime"],
        )?;
        let defaults = ScraperConfig::default();
        let interval_ms = self.optional(&f, path, "scrapeInterval", Self::duration);
        let interval_ms = match interval_ms {
            Some(Some(0)) => self.error(
                f.get("scrapeInterval")?,
                &path.key("scrapeInterval"),
                "must be longer than 0s",
            ),
            other => other.map(|i| i.unwrap_or(defaults.interval_ms)),
        };
        let start = self
            .optional(&f, path, "startTime", Self::time)
            .map(|s| s.unwrap_or(defaults.start));
        let count = self
            .optional(&f, path, "scrapesCount", Self::u64)
            .map(Option::unwrap_or_default);
        let end = self.optional(&f, path, "endTime", Self::time);
        if let (Some(c), Some(Some(_))) = (count, &end)
            && c > 0
        {
            self.error_at(
                f.node.at,
                path,
                "give `scrapesCount` or `endTime`, not both",
            );
            return None;
        }
        let config = ScraperConfig {
            interval_ms: interval_ms?,
            start: start?,
            count: count?,
            end: end?,
        };
        if let Err(e) = config.scraper(self.now_ms) {
            return self.error(node, path, e.to_string());
        }
        Some(Some(config))
    }

    #[allow(clippy::type_complexity)]
    fn remote_writer(
        &mut self,
        node: &Node,
        path: &KeyPath,
    ) -> Option<(
        RemoteWriterConfig,
        Option<(Option<ScraperConfig>, Position)>,
    )> {
        let f = self.map(
            node,
            path,
            &[
                "host",
                "scraper",
                "url",
                "protocol",
                "headers",
                "basicAuth",
                "bearerToken",
                "bearerTokenFile",
                "tls",
                "timeout",
                "maxSamplesPerSend",
                "concurrency",
                "retryFor",
            ],
        )?;
        let nested = f
            .get("scraper")
            .map(|n| (self.scraper(n, &path.key("scraper")).flatten(), n.at));
        let host = self.optional(&f, path, "host", Self::string);
        let url = self.optional(&f, path, "url", Self::url);
        let protocol = self.optional(&f, path, "protocol", |d, n, p| {
            let text = d.scalar(n, p, "v1 or v2")?;
            match text.parse::<crate::remote_write::Protocol>() {
                Ok(p) => Some(p),
                Err(e) => d.error(n, p, e.to_string()),
            }
        });
        let headers = self.optional(&f, path, "headers", Self::headers);
        let basic_auth = self.optional(&f, path, "basicAuth", Self::basic_auth);
        let token = self.optional(&f, path, "bearerToken", Self::string);
        let token_file = self.optional(&f, path, "bearerTokenFile", Self::string);
        let tls = self.optional(&f, path, "tls", Self::tls);
        let timeout = self.optional(&f, path, "timeout", Self::positive_duration);
        let batch = self.optional(&f, path, "maxSamplesPerSend", Self::positive);
        let concurrency = self.optional(&f, path, "concurrency", |d, n, p| {
            match d.positive(n, p)? {
                c if c <= 256 => Some(c),
                _ => d.error(n, p, "must be at most 256"),
            }
        });
        let retry_for = self.optional(&f, path, "retryFor", Self::positive_duration);
        let (token, token_file) = (token?, token_file?);
        if token.is_some() && token_file.is_some() {
            self.error_at(
                f.node.at,
                path,
                "give `bearerToken` or `bearerTokenFile`, not both",
            );
            return None;
        }
        let (tls_ca, insecure) = tls?.unwrap_or_default();
        let config = RemoteWriterConfig {
            host: host?,
            url: url?,
            protocol: protocol?,
            headers: headers?.unwrap_or_default(),
            basic_auth: basic_auth?,
            bearer_token: token.map(Secret::Value).or(token_file.map(Secret::File)),
            ca_file: tls_ca,
            insecure_skip_verify: insecure,
            timeout_ms: timeout?,
            max_samples_per_send: batch?,
            concurrency: concurrency?,
            retry_for_ms: retry_for?,
        };
        Some((config, nested))
    }

    fn url(&mut self, node: &Node, path: &KeyPath) -> Option<String> {
        let text = self.scalar(node, path, "a URL")?;
        let rest = text
            .strip_prefix("http://")
            .or_else(|| text.strip_prefix("https://"));
        match rest {
            Some(host) if !host.is_empty() && !host.starts_with('/') => Some(text.to_owned()),
            _ => self.error(
                node,
                path,
                format!("expected an http:// or https:// URL with a host, found {text:?}"),
            ),
        }
    }

    fn positive_duration(&mut self, node: &Node, path: &KeyPath) -> Option<i64> {
        match self.duration(node, path)? {
            ms if ms > 0 => Some(ms),
            _ => self.error(node, path, "must be longer than 0s"),
        }
    }

    fn headers(&mut self, node: &Node, path: &KeyPath) -> Option<Vec<(String, String)>> {
        let Kind::Map(entries) = &node.kind else {
            return self.error(
                node,
                path,
                format!(
                    "expected a mapping of header names to values, found {}",
                    node.describe()
                ),
            );
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (key, value) in entries {
            let (Some(k), Some(v)) = (
                self.string(key, path),
                self.string(value, &path.key("value")),
            ) else {
                ok = false;
                continue;
            };
            let p = path.key(&k);
            let token = !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token {
                self.error_at(key.at, &p, format!("{k:?} is not a valid HTTP header name"));
                ok = false;
            } else if RESERVED_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
                self.error_at(
                    key.at,
                    &p,
                    "set by the remote write protocol; it cannot be overridden",
                );
                ok = false;
            } else if v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                self.error_at(value.at, &p, "a header value cannot hold line breaks");
                ok = false;
            } else {
                out.push((k, v));
            }
        }
        ok.then_some(out)
    }

    fn basic_auth(&mut self, node: &Node, path: &KeyPath) -> Option<(String, Secret)> {
        let f = self.map(node, path, &["username", "password", "passwordFile"])?;
        let user = self.field(&f, path, "username", Self::string);
        let password = self.optional(&f, path, "password", Self::string)?;
        let file = self.optional(&f, path, "passwordFile", Self::string)?;
        let secret = match (password, file) {
            (Some(p), None) => Secret::Value(p),
            (None, Some(file)) => Secret::File(file),
            _ => {
                return self.error(
                    node,
                    path,
                    "give `password` or `passwordFile` (one of them)",
                );
            }
        };
        Some((user?, secret))
    }

    fn tls(&mut self, node: &Node, path: &KeyPath) -> Option<(Option<String>, bool)> {
        let f = self.map(node, path, &["caFile", "insecureSkipVerify"])?;
        let ca = self.optional(&f, path, "caFile", Self::string)?;
        let insecure = self.optional(&f, path, "insecureSkipVerify", |d, n, p| {
            match d.scalar(n, p, "true or false")? {
                "true" => Some(true),
                "false" => Some(false),
                other => d.error(n, p, format!("expected true or false, found {other:?}")),
            }
        })?;
        Some((ca, insecure.unwrap_or(false)))
    }

    fn metrics(&mut self, node: &Node, path: &KeyPath) -> Option<Vec<MetricConfig>> {
        let items = self.seq(node, path)?;
        let mut metrics = Vec::new();
        let mut ok = true;
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut series_seen: HashMap<Labels, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let path = path.index(i);
            let Some((metric, lines)) = self.metric(item, &path) else {
                ok = false;
                continue;
            };
            if let Some(line) = names.insert(metric.name.clone(), item.at.line) {
                self.error_at(item.at, &path.key("name"), format!("metric `{}` is already declared on line {line}; put all its series under one entry", metric.name));
                ok = false;
            }
            for (j, (series, at)) in metric.series.iter().zip(lines).enumerate() {
                if let Some(line) = series_seen.insert(series.labels.clone(), at.line) {
                    self.error_at(
                        at,
                        &path.key("timeseries").index(j),
                        format!(
                            "duplicate series {}: already defined on line {line}",
                            series.labels
                        ),
                    );
                    ok = false;
                }
            }
            metrics.push(metric);
        }
        ok.then_some(metrics)
    }

    fn metric(&mut self, node: &Node, path: &KeyPath) -> Option<(MetricConfig, Vec<Position>)> {
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
        let help = self.optional(&f, path, "help", Self::string);
        let metric_type = self.optional(&f, path, "type", |d, n, p| {
            let text = d.scalar(n, p, "a metric type")?;
            match text.parse::<MetricType>() {
                Ok(t) => Some(t),
                Err(e) => d.error(n, p, e.to_string()),
            }
        });
        let label_names = self.optional(&f, path, "labels", Self::label_names);
        let buckets = self.optional(&f, path, "buckets", |d, n, p| {
            d.bounds(n, p, "bucket", |v| v.is_finite())
        });
        let objectives = self.optional(&f, path, "objectives", |d, n, p| {
            d.bounds(n, p, "objective", |v| (0.0..=1.0).contains(&v))
        });
        let metric_kind = metric_type.flatten().unwrap_or_default();
        for (key, given, wanted) in [
            ("buckets", &buckets, MetricType::Histogram),
            ("objectives", &objectives, MetricType::Summary),
        ] {
            if matches!(given, Some(Some(_))) && metric_kind != wanted {
                self.error_at(
                    f.get(key)?.at,
                    &path.key(key),
                    format!("`{key}` is for a {wanted}; this metric is a {metric_kind}"),
                );
            }
        }
        // Go on with the series even when the header has errors, so all errors show at once.
        let series_name = name.clone().unwrap_or_else(|| "invalid_name".to_owned());
        let (series_type, series_labels) = (
            metric_type.unwrap_or_default().unwrap_or_default(),
            label_names.clone().flatten(),
        );
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
        let mut series = Vec::new();
        let mut positions = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.series(
                item,
                &series_path.index(i),
                &series_name,
                series_type,
                series_labels.as_deref(),
            ) {
                Some(s) => {
                    series.push(s);
                    positions.push(item.at);
                }
                None => ok = false,
            }
        }
        let (name, help, metric_type, label_names) =
            (name?, help?, metric_type?.unwrap_or_default(), label_names?);
        let (buckets, objectives) = (buckets?, objectives?);
        ok.then_some((
            MetricConfig {
                name,
                help,
                metric_type,
                label_names,
                series,
                buckets,
                objectives,
            },
            positions,
        ))
    }

    /// Histogram buckets or summary objectives: a non-empty list of numbers, each passing `ok`.
    fn bounds(
        &mut self,
        node: &Node,
        path: &KeyPath,
        what: &str,
        ok: fn(f64) -> bool,
    ) -> Option<Vec<f64>> {
        let items = self.seq(node, path)?;
        if items.is_empty() {
            return self.error(node, path, format!("needs at least one {what}"));
        }
        let mut values = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let v = self.f64(item, &path.index(i))?;
            if !ok(v) {
                let rule = if what == "bucket" {
                    "a bucket must be a finite number (+Inf is always added)"
                } else {
                    "an objective must be between 0 and 1"
                };
                return self.error(item, &path.index(i), rule);
            }
            values.push(v);
        }
        Some(values)
    }

    fn label_names(&mut self, node: &Node, path: &KeyPath) -> Option<Vec<String>> {
        let mut names = Vec::new();
        let mut ok = true;
        for (i, item) in self.seq(node, path)?.iter().enumerate() {
            let p = path.index(i);
            match self.string(item, &p) {
                Some(n) if !is_valid_label_name(&n) || n.starts_with("__") => {
                    self.error_at(item.at, &p, format!("invalid label name {n:?}: must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __"));
                    ok = false;
                }
                Some(n) if names.contains(&n) => {
                    self.error_at(item.at, &p, format!("label {n:?} declared twice"));
                    ok = false;
                }
                Some(n) => names.push(n),
                None => ok = false,
            }
        }
        ok.then_some(names)
    }

    fn series(
        &mut self,
        node: &Node,
        path: &KeyPath,
        name: &str,
        metric_type: MetricType,
        declared: Option<&[String]>,
    ) -> Option<SeriesConfig> {
        let f = self.map(
            node,
            path,
            &[
                "labels",
                "endStrategy",
                "customValue",
                "data",
                "values",
                "series",
                "observations",
                "perScrape",
            ],
        )?;
        let labels = self.series_labels(&f, path, name, declared);
        if matches!(metric_type, MetricType::Histogram | MetricType::Summary) {
            return self.observed_series(node, &f, path, metric_type, labels);
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
            labels: labels?,
            end: EndStrategy::Stop,
            shape: observations?,
            per_scrape: per_scrape?.unwrap_or(1),
            line: node.at.line,
        })
    }

    fn series_labels(
        &mut self,
        f: &Fields<'_>,
        path: &KeyPath,
        name: &str,
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
        match Labels::new(name, pairs) {
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
    fn value(&mut self, node: &Node, path: &KeyPath) -> Option<Value> {
        if node.is_null() {
            return Some(Value::Missing);
        }
        match self.scalar(node, path, "a number, null or stale")? {
            "_" => Some(Value::Missing),
            "stale" => Some(Value::Stale),
            text => match parse_number(text) {
                Some(v) => Some(Value::Num(v)),
                None => self.error(
                    node,
                    path,
                    format!("expected a number, null (missing scrape) or stale, found {text:?}"),
                ),
            },
        }
    }

    fn notation(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        let text = self.scalar(node, path, "promtool notation like \"0+10x100 _x5 stale\"")?;
        match Notation::parse(text) {
            Ok(n) => self.leaf(node, path, counter, ShapeSpec::Notation(n)),
            Err(e) => {
                // Point at the character itself when the scalar sits on one line.
                let quoted = matches!(&node.kind, Kind::Scalar { plain: false, .. });
                let at = Position {
                    line: node.at.line,
                    column: node.at.column + e.column - 1 + usize::from(quoted),
                };
                self.error_at(
                    at,
                    path,
                    format!(
                        "invalid promtool notation at column {}: {}",
                        e.column, e.message
                    ),
                );
                None
            }
        }
    }

    /// `series:` — a DSL expression, like `linear(0..100) >> loop`.
    fn dsl(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        let text = self.scalar(
            node,
            path,
            "a series expression like \"linear(0..100) >> loop\"",
        )?;
        match crate::dsl::parse(text) {
            Ok(spec) => self.leaf(node, path, counter, spec),
            Err(e) => {
                // Point at the character itself when the scalar sits on one line.
                let quoted = matches!(&node.kind, Kind::Scalar { plain: false, .. });
                let at = if e.line == 1 {
                    Position {
                        line: node.at.line,
                        column: node.at.column + e.column - 1 + usize::from(quoted),
                    }
                } else {
                    node.at
                };
                self.error_at(
                    at,
                    path,
                    format!(
                        "invalid series expression at {}:{}: {}",
                        e.line, e.column, e.message
                    ),
                );
                None
            }
        }
    }

    /// A leaf shape: checked against the counter rules when it feeds a counter.
    fn leaf(
        &mut self,
        node: &Node,
        path: &KeyPath,
        counter: bool,
        spec: ShapeSpec,
    ) -> Option<ShapeSpec> {
        if counter && !spec.range().fits_counter() {
            let r = spec.range();
            let why = if r.nan {
                "can be NaN".to_owned()
            } else if r.lo.is_infinite() {
                "can be negative (it is unbounded)".to_owned()
            } else {
                format!("can be negative (as low as {})", crate::FormatValue(r.lo))
            };
            return self.error(node, path, format!("counter values must not be negative or NaN, and this {why}; clamp it or make the metric a gauge"));
        }
        Some(spec)
    }

    /// `data:` — a list of segments (an implicit join) or a single segment.
    fn data(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        match &node.kind {
            Kind::Seq(_) => self.join(node, path, counter),
            _ => self.shape(node, path, counter),
        }
    }

    fn join(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        let items = self.seq(node, path)?;
        if items.is_empty() {
            return self.error(node, path, "an empty list of segments");
        }
        let parts: Vec<Option<ShapeSpec>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.shape(item, &path.index(i), counter))
            .collect();
        let mut parts: Vec<ShapeSpec> = parts.into_iter().collect::<Option<_>>()?;
        Some(if parts.len() == 1 {
            parts.remove(0)
        } else {
            ShapeSpec::Join(parts)
        })
    }

    /// One segment: a mapping with a single key naming its kind. `counter` asks that its
    /// values never be negative or NaN.
    fn shape(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        let Kind::Map(entries) = &node.kind else {
            return self.error(
                node,
                path,
                format!(
                    "expected a segment like `LinearSegment: {{...}}`, found {}",
                    node.describe()
                ),
            );
        };
        let [(key, body)] = entries.as_slice() else {
            return self.error(
                node,
                path,
                format!(
                    "a segment has exactly one key naming its kind, found {}",
                    entries.len()
                ),
            );
        };
        let kind = self.scalar(key, path, "a segment kind")?.to_owned();
        let p = path.key(&kind);
        let boxed = |s: ShapeSpec| Box::new(s);
        match kind.as_str() {
            "LinearSegment" => {
                let f = self.map(
                    body,
                    &p,
                    &["iterationCount", "amplitudeStart", "amplitudeEnd"],
                )?;
                let count = self.field(&f, &p, "iterationCount", Self::positive);
                let start = self.field(&f, &p, "amplitudeStart", Self::finite);
                let end = self.field(&f, &p, "amplitudeEnd", Self::finite);
                self.leaf(
                    node,
                    &p,
                    counter,
                    ShapeSpec::Linear {
                        start: start?,
                        end: end?,
                        count: count?,
                    },
                )
            }
            "ContinuousLinear" => {
                let f = self.map(body, &p, &["duration", "amplitudeStart", "amplitudeEnd"])?;
                let duration = self.field(&f, &p, "duration", Self::duration);
                let start = self.field(&f, &p, "amplitudeStart", Self::finite);
                let end = self.field(&f, &p, "amplitudeEnd", Self::finite);
                self.leaf(
                    node,
                    &p,
                    counter,
                    ShapeSpec::ContinuousLinear {
                        start: start?,
                        end: end?,
                        duration_ms: duration?,
                    },
                )
            }
            "CustomValues" => {
                let f = self.map(body, &p, &["values"])?;
                let list = self.required(&f, &p, "values")?;
                let vp = p.key("values");
                let items = self.seq(list, &vp)?;
                if items.is_empty() {
                    return self.error(list, &vp, "an empty list of values");
                }
                let values: Vec<Option<Value>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.value(v, &vp.index(i)))
                    .collect();
                let values: Vec<Value> = values.into_iter().collect::<Option<_>>()?;
                if counter
                    && let Some(i) = values
                        .iter()
                        .position(|v| matches!(v, Value::Num(x) if x.is_nan() || *x < 0.0))
                {
                    return self.error(
                        &items[i],
                        &vp.index(i),
                        "counter values must not be negative or NaN",
                    );
                }
                Some(ShapeSpec::Values(values))
            }
            "Values" => self.notation(body, &p, counter),
            "Random" => {
                let f = self.map(body, &p, &["iterationCount", "min", "max", "seed"])?;
                let count = self.field(&f, &p, "iterationCount", Self::positive);
                let (min, max) = self.min_max(&f, &p)?;
                let seed = self.optional(&f, &p, "seed", Self::u64)?;
                let spec = ShapeSpec::Take {
                    count: count?,
                    inner: boxed(ShapeSpec::Uniform { min, max, seed }),
                };
                self.leaf(node, &p, counter, spec)
            }
            "Void" => {
                let f = self.map(body, &p, &["count"])?;
                let count = self.field(&f, &p, "count", Self::positive)?;
                Some(ShapeSpec::Gap(count))
            }
            "Constant" => {
                let f = self.map(body, &p, &["value", "iterationCount"])?;
                let value = self.field(&f, &p, "value", Self::f64);
                let count = self.optional(&f, &p, "iterationCount", Self::positive)?;
                self.leaf(
                    node,
                    &p,
                    counter,
                    with_count(ShapeSpec::Constant(value?), count),
                )
            }
            "Normal" => {
                let f = self.map(body, &p, &["mean", "stddev", "iterationCount", "seed"])?;
                let mean = self.field(&f, &p, "mean", Self::finite);
                let stddev = self.required(&f, &p, "stddev").and_then(|n| {
                    let v = self.finite(n, &p.key("stddev"))?;
                    if v < 0.0 {
                        self.error(n, &p.key("stddev"), "must be >= 0")
                    } else {
                        Some(v)
                    }
                });
                let count = self.optional(&f, &p, "iterationCount", Self::positive);
                let seed = self.optional(&f, &p, "seed", Self::u64);
                let spec = ShapeSpec::Normal {
                    mean: mean?,
                    stddev: stddev?,
                    seed: seed?,
                };
                self.leaf(node, &p, counter, with_count(spec, count?))
            }
            "RandomWalk" => {
                let f = self.map(body, &p, &["start", "step", "iterationCount", "seed"])?;
                let start = self.field(&f, &p, "start", Self::finite);
                let step = self.field(&f, &p, "step", Self::finite);
                let count = self.optional(&f, &p, "iterationCount", Self::positive);
                let seed = self.optional(&f, &p, "seed", Self::u64);
                let spec = ShapeSpec::Walk {
                    start: start?,
                    step: step?,
                    seed: seed?,
                };
                self.leaf(node, &p, counter, with_count(spec, count?))
            }
            "Sin" | "Cos" | "Square" | "Sawtooth" | "Triangle" | "Pulse" => {
                let wave = WaveKind::ALL
                    .into_iter()
                    .find(|k| k.name().eq_ignore_ascii_case(&kind))
                    .unwrap_or(WaveKind::Sin);
                let spec = self.wave(body, &p, wave)?;
                self.leaf(node, &p, counter, spec)
            }
            "Loop" => {
                let f = self.map(body, &p, &["count", "data"])?;
                let count = self.optional(&f, &p, "count", |d, n, path| match d.u64(n, path)? {
                    0 => d.error(n, path, "must be > 0 (leave `count` out to loop forever)"),
                    c => Some(c),
                });
                let inner = self
                    .required(&f, &p, "data")
                    .and_then(|n| self.data(n, &p.key("data"), counter));
                Some(ShapeSpec::Loop {
                    count: count?,
                    body: boxed(inner?),
                })
            }
            "Join" => match &body.kind {
                Kind::Seq(_) => self.join(body, &p, counter),
                _ => {
                    let f = self.map(body, &p, &["data"])?;
                    let data = self.required(&f, &p, "data")?;
                    self.join(data, &p.key("data"), counter)
                }
            },
            "Add" | "Sub" | "Mul" | "Div" => {
                let op = match kind.as_str() {
                    "Add" => ArithOp::Add,
                    "Sub" => ArithOp::Sub,
                    "Mul" => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                let items = self.seq(body, &p)?;
                let [left, right] = items else {
                    return self.error(
                        body,
                        &p,
                        format!(
                            "expected two operands (segments or numbers), found {}",
                            items.len()
                        ),
                    );
                };
                // Sums and products of non-negative values stay non-negative, so a counter's
                // operands are checked one by one; differences and quotients are checked whole.
                let pass = counter && matches!(op, ArithOp::Add | ArithOp::Mul);
                let l = self.operand(left, &p.index(0), pass);
                let r = self.operand(right, &p.index(1), pass);
                let spec = ShapeSpec::Arith {
                    op,
                    left: boxed(l?),
                    right: boxed(r?),
                };
                self.leaf(node, &p, counter && !pass, spec)
            }
            "Clamp" => {
                let f = self.map(body, &p, &["min", "max", "data"])?;
                let min = self.optional(&f, &p, "min", Self::f64);
                let max = self.optional(&f, &p, "max", Self::f64);
                let (min, max) = (
                    min?.unwrap_or(f64::NEG_INFINITY),
                    max?.unwrap_or(f64::INFINITY),
                );
                if min > max {
                    return self.error(body, &p, format!("min ({min}) is above max ({max})"));
                }
                let inner = self
                    .required(&f, &p, "data")
                    .and_then(|n| self.data(n, &p.key("data"), counter && min < 0.0))?;
                self.leaf(
                    node,
                    &p,
                    counter,
                    ShapeSpec::Clamp {
                        min,
                        max,
                        inner: boxed(inner),
                    },
                )
            }
            "Round" | "Abs" | "Cumsum" => {
                let f = self.map(body, &p, &["data"])?;
                // The absolute value fixes negatives; rounding and summing keep them.
                let pass = counter && kind != "Abs";
                let inner = boxed(
                    self.required(&f, &p, "data")
                        .and_then(|n| self.data(n, &p.key("data"), pass))?,
                );
                let spec = match kind.as_str() {
                    "Round" => ShapeSpec::Round(inner),
                    "Abs" => ShapeSpec::Abs(inner),
                    _ => ShapeSpec::Cumsum(inner),
                };
                self.leaf(node, &p, counter && !pass, spec)
            }
            "Hold" | "Take" => {
                let f = self.map(body, &p, &["count", "data"])?;
                let count = self.field(&f, &p, "count", Self::positive);
                let inner = self
                    .required(&f, &p, "data")
                    .and_then(|n| self.data(n, &p.key("data"), counter));
                let (count, inner) = (count?, boxed(inner?));
                Some(if kind == "Hold" {
                    ShapeSpec::Hold { count, inner }
                } else {
                    ShapeSpec::Take { count, inner }
                })
            }
            other => {
                let hint = closest(other, SHAPES).map_or_else(
                    || format!("; known kinds: {}", SHAPES.join(", ")),
                    |k| format!(" (did you mean `{k}`?)"),
                );
                self.error_at(key.at, &p, format!("unknown segment kind{hint}"));
                None
            }
        }
    }

    fn operand(&mut self, node: &Node, path: &KeyPath, counter: bool) -> Option<ShapeSpec> {
        match &node.kind {
            Kind::Scalar { .. } => {
                let v = self.f64(node, path)?;
                self.leaf(node, path, counter, ShapeSpec::Constant(v))
            }
            Kind::Seq(_) => self.join(node, path, counter),
            Kind::Map(_) => self.shape(node, path, counter),
        }
    }

    fn min_max(&mut self, f: &Fields<'_>, p: &KeyPath) -> Option<(f64, f64)> {
        let min = self.field(f, p, "min", Self::finite);
        let max = self.field(f, p, "max", Self::finite);
        let (min, max) = (min?, max?);
        if min > max {
            return self.error(f.node, p, format!("min ({min}) is above max ({max})"));
        }
        Some((min, max))
    }

    fn wave(&mut self, body: &Node, p: &KeyPath, kind: WaveKind) -> Option<ShapeSpec> {
        let mut keys = vec!["period", "amplitude", "offset", "phase", "iterationCount"];
        if kind == WaveKind::Pulse {
            keys.push("duty");
        }
        let f = self.map(body, p, &keys)?;
        let period = self.required(&f, p, "period").and_then(|n| {
            let pp = p.key("period");
            let text = self.scalar(n, &pp, "a period")?;
            if let Ok(scrapes) = text.parse::<u64>() {
                if scrapes == 0 { self.error(n, &pp, "must be > 0") } else { Some(Period::Scrapes(scrapes)) }
            } else {
                match parse_duration(text) {
                    Ok(0) => self.error(n, &pp, "must be longer than 0s"),
                    Ok(ms) => Some(Period::Millis(ms)),
                    Err(_) => self.error(n, &pp, format!("expected a number of scrapes (like 20) or a duration (like 10m), found {text:?}")),
                }
            }
        });
        let amplitude = self.optional(&f, p, "amplitude", Self::finite);
        let offset = self.optional(&f, p, "offset", Self::finite);
        let phase = self.optional(&f, p, "phase", Self::finite);
        let duty = self.optional(&f, p, "duty", |d, n, path| {
            let v = d.finite(n, path)?;
            if (0.0..=1.0).contains(&v) {
                Some(v)
            } else {
                d.error(n, path, "must be between 0 and 1")
            }
        });
        let count = self.optional(&f, p, "iterationCount", Self::positive);
        let mut params = WaveParams::new(kind);
        params.amplitude = amplitude?.unwrap_or(params.amplitude);
        params.offset = offset?.unwrap_or(params.offset);
        params.phase = phase?.unwrap_or(params.phase);
        params.duty = duty?.unwrap_or(params.duty);
        Some(with_count(
            ShapeSpec::Wave {
                params,
                period: period?,
            },
            count?,
        ))
    }
}

/// How a series' shape was written: the DSL or notation text itself, else a note of the
/// segments' kinds.
fn describe(f: &Fields<'_>, key: &str) -> String {
    let Some(node) = f.get(key) else {
        return String::new();
    };
    match &node.kind {
        Kind::Scalar { text, .. } if key == "values" => format!("{text:?}"),
        Kind::Scalar { text, .. } => text.clone(),
        Kind::Seq(items) => {
            let kinds: Vec<String> = items.iter().map(segment_kind).collect();
            kinds.join(" >> ")
        }
        Kind::Map(_) => segment_kind(node),
    }
}

fn segment_kind(node: &Node) -> String {
    match &node.kind {
        Kind::Map(entries) => match entries.first() {
            Some((
                Node {
                    kind: Kind::Scalar { text, .. },
                    ..
                },
                _,
            )) => format!("{text}{{…}}"),
            _ => "…".to_owned(),
        },
        Kind::Scalar { text, .. } => text.clone(),
        Kind::Seq(_) => "[…]".to_owned(),
    }
}

fn with_count(spec: ShapeSpec, count: Option<u64>) -> ShapeSpec {
    match count {
        Some(count) => ShapeSpec::Take {
            count,
            inner: Box::new(spec),
        },
        None => spec,
    }
}

/// A number as YAML writes it (`1`, `-2.5e3`, `.inf`, `.nan`) or as Prometheus does (`+Inf`,
/// `-Inf`, `NaN`).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        ".inf" | "+.inf" | "inf" | "+inf" => return Some(f64::INFINITY),
        "-.inf" | "-inf" => return Some(f64::NEG_INFINITY),
        ".nan" | "nan" => return Some(f64::NAN),
        "infinity" | "+infinity" | "-infinity" | "+nan" | "-nan" => return None,
        _ => {}
    }
    // Rust's parser takes Go-like forms (1e3, .5, 1.); refuse anything with letters other
    // than an exponent so "0x10" or "1_000" are not silently misread.
    if t.chars()
        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return None;
    }
    t.parse().ok()
}
