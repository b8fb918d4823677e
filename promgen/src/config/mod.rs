//! YAML configs: a superset of the original Go project's format.
//!
//! ```yaml
//! scraper: {scrapeInterval: 15s, startTime: 2024-01-01T00:00:00Z, scrapesCount: 100}
//! metrics:
//!   - name: my_metric
//!     help: my_metric help string
//!     type: counter        # counter | gauge | histogram | summary | untyped
//!     labels: [label1, label2]
//!     timeseries:
//!       - labels: {label1: a, label2: b}
//!         endStrategy: loop   # loop | sendLastValue | sendCustomValue (+ customValue) | removeTimeSeries
//!         data:               # a list is an implicit join
//!           - LinearSegment: {iterationCount: 5, amplitudeStart: 0, amplitudeEnd: 10}
//!           - CustomValues: {values: [3, null, 5]}      # null = missing scrape
//!       - labels: {label1: c, label2: d}
//!         values: "0+10x100 _x5 stale"                  # promtool notation instead of data
//! ```
//!
//! Every error carries the file, line, column and key path of the value it is about, and all
//! of them are reported at once:
//!
//! ```
//! use promgen::config::Config;
//! let yaml = "metrics:\n  - name: up\n    timeseries:\n      - data:\n          - Void: {count: 0}\n";
//! let errors = Config::parse(yaml, "demo.yaml").unwrap_err();
//! assert_eq!(
//!     errors.to_string(),
//!     "demo.yaml:5:27: metrics[0].timeseries[0].data[0].Void.count: must be > 0"
//! );
//! ```

mod decode;
mod error;
mod input;
pub(crate) mod json;
mod load_set;
mod spec;
pub mod yaml;

pub use error::{ConfigError, ConfigErrors, KeyPath};
pub use input::{MAX_CONFIG_BYTES, utf8};
pub use load_set::LoadSet;
pub use spec::{ArithOp, Period, Range, ShapeSpec, Streams};

/// From this many series on, [`Config::into_registry`] builds random shapes with
/// [`Streams::Compact`] ([`Streams::for_serving`]), and a writer with [`Streams::Blocked`]
/// ([`Streams::for_writing`]): the same numbers, from 16 or 80 bytes a stream instead of 312,
/// the draws dearer. A million series draw once a scrape each, where memory matters more; a
/// few series written over a long history draw often, where speed does.
pub const COMPACT_STREAMS_FROM: usize = 10_000;
pub use yaml::Position;

use crate::{
    Labels, MetricType, Scraper, ScraperError, Stop,
    shape::{DynShape, EndStrategy, Shape, ShapeExt},
    time::parse_time,
};
use std::{collections::HashMap, path::Path};

/// A whole config file.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The clock.
    pub scraper: ScraperConfig,
    /// Where remote write sends (used by the write commands).
    pub remote_writer: Option<RemoteWriterConfig>,
    /// The metric families.
    pub metrics: Vec<MetricConfig>,
}

/// The `scraper:` block. Times are kept as written (`now` and `-2h` are relative) and
/// resolved by [`ScraperConfig::scraper`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScraperConfig {
    /// `scrapeInterval`, in milliseconds (default 15s).
    pub interval_ms: i64,
    /// `startTime` as written (default `now`).
    pub start: String,
    /// `scrapesCount`; 0 (the default) means no limit.
    pub count: u64,
    /// `endTime` as written, instead of a count.
    pub end: Option<String>,
}

impl Default for ScraperConfig {
    fn default() -> Self {
        Self {
            interval_ms: 15_000,
            start: "now".into(),
            count: 0,
            end: None,
        }
    }
}

impl ScraperConfig {
    /// The scraper, with relative times resolved against `now_ms`.
    ///
    /// # Errors
    /// An end before the start (possible when both are relative).
    pub fn scraper(&self, now_ms: i64) -> Result<Scraper, ScraperError> {
        // Both times were validated at load.
        let start = parse_time(&self.start, now_ms).unwrap_or(now_ms);
        let stop = match &self.end {
            Some(end) => Stop::Until(parse_time(end, now_ms).unwrap_or(now_ms)),
            None => Stop::Count(self.count),
        };
        Scraper::new(start, self.interval_ms, stop)
    }
}

/// The `remoteWriter:` block: the origin's `host`, and promgen's sender settings.
///
/// ```yaml
/// remoteWriter:
///   url: https://mimir.example.com/api/v1/push   # or `host: HOST:PORT`, as in the origin
///   protocol: v2                # v1 (default) or v2
///   headers: {X-Scope-OrgID: team-a}
///   basicAuth: {username: u, passwordFile: /run/secrets/pw}   # or password
///   bearerToken: t0k3n          # or bearerTokenFile
///   tls: {caFile: ca.pem, insecureSkipVerify: false}
///   timeout: 30s                # per request
///   maxSamplesPerSend: 2000
///   concurrency: 4              # requests in flight
///   retryFor: 5m                # give up on a request after retrying this long
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteWriterConfig {
    /// `host`: `HOST:PORT` of the receiver, written to at `http://HOST:PORT/api/v1/write`.
    pub host: Option<String>,
    /// `url`: the receiver's whole URL (instead of `host`).
    pub url: Option<String>,
    /// `protocol`.
    pub protocol: Option<crate::remote_write::Protocol>,
    /// `headers`, in the order given.
    pub headers: Vec<(String, String)>,
    /// `basicAuth`: the user name and where the password comes from.
    pub basic_auth: Option<(String, Secret)>,
    /// `bearerToken` or `bearerTokenFile`.
    pub bearer_token: Option<Secret>,
    /// `tls.caFile`.
    pub ca_file: Option<String>,
    /// `tls.insecureSkipVerify`.
    pub insecure_skip_verify: bool,
    /// `timeout`, in milliseconds.
    pub timeout_ms: Option<i64>,
    /// `maxSamplesPerSend`.
    pub max_samples_per_send: Option<u64>,
    /// `concurrency`.
    pub concurrency: Option<u64>,
    /// `retryFor`, in milliseconds.
    pub retry_for_ms: Option<i64>,
}

/// A password or token: given in the config, or read from a file when the writer starts.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// Written in the config.
    Value(String),
    /// The path of a file holding it (surrounding whitespace is trimmed).
    File(String),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value(_) => f.write_str("Value(<hidden>)"),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl Secret {
    /// The secret itself.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn read(&self) -> Result<String, LoadError> {
        match self {
            Self::Value(v) => Ok(v.clone()),
            Self::File(path) => std::fs::read_to_string(path)
                .map(|s| s.trim().to_owned())
                .map_err(|source| LoadError::Read {
                    path: path.clone(),
                    source,
                }),
        }
    }
}

impl RemoteWriterConfig {
    /// The sender's options: `url` wins over this block's `url`, which wins over `host`.
    /// `None` when no URL is known at all.
    ///
    /// ```
    /// use promgen::config::Config;
    /// let c = Config::parse("remoteWriter: {host: 'localhost:9090', concurrency: 2}\nmetrics: [{name: up, timeseries: [{values: '1'}]}]\n", "c.yaml")?;
    /// let opts = c.remote_writer.unwrap().options(None)?.unwrap();
    /// assert_eq!((opts.url.as_str(), opts.concurrency), ("http://localhost:9090/api/v1/write", 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A password or token file that cannot be read.
    pub fn options(
        &self,
        url: Option<&str>,
    ) -> Result<Option<crate::remote_write::WriteOptions>, LoadError> {
        use crate::remote_write::WriteOptions;
        let url = match (url, &self.url, &self.host) {
            (Some(u), _, _) => u.to_owned(),
            (None, Some(u), _) => u.clone(),
            (None, None, Some(host)) => WriteOptions::url_for_host(host),
            (None, None, None) => return Ok(None),
        };
        let mut o = WriteOptions::new(url);
        o.protocol = self.protocol.unwrap_or_default();
        o.headers.clone_from(&self.headers);
        if let Some((user, password)) = &self.basic_auth {
            o.basic_auth = Some((user.clone(), password.read()?));
        }
        if let Some(token) = &self.bearer_token {
            o.bearer_token = Some(token.read()?);
        }
        o.ca_file = self.ca_file.as_ref().map(Into::into);
        o.insecure_skip_verify = self.insecure_skip_verify;
        let ms = |v: i64| std::time::Duration::from_millis(v.unsigned_abs());
        if let Some(t) = self.timeout_ms {
            o.timeout = ms(t);
        }
        if let Some(n) = self.max_samples_per_send {
            o.max_samples_per_send = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = self.concurrency {
            o.concurrency = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(t) = self.retry_for_ms {
            o.retry_for = ms(t);
        }
        Ok(Some(o))
    }
}

/// The most series a config may expand to unless told otherwise
/// ([`Config::from_file_limited`]): enough for any hand-written config, and a guard against
/// a range with a digit too many (`host-{0..9999999}`).
pub const DEFAULT_MAX_SERIES: u64 = 100_000;

/// One part of a load spread over `count` instances (`--shard index/count`): each series
/// belongs to exactly one part, chosen from its labels alone (FNV-1a, then mixed), so every
/// instance computes the same parts, on every machine and every run.
///
/// ```
/// use promgen::{Labels, config::Shard};
/// let shards: Vec<Shard> = (0..4).map(|i| format!("{i}/4").parse().unwrap()).collect();
/// let series = Labels::new("up", [("instance", "host-7")]).unwrap();
/// assert_eq!(shards.iter().filter(|s| s.holds(&series)).count(), 1);
/// assert!("4/4".parse::<Shard>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This instance's part, from 0.
    pub index: u64,
    /// How many parts.
    pub count: u64,
}

impl Shard {
    /// Whether the series with `labels` is in this part.
    #[must_use]
    pub fn holds(&self, labels: &Labels) -> bool {
        // SplitMix64's finaliser: the seed of a random shape derives from the same FNV hash,
        // and a part should not share its low bits.
        let mut z = labels.stable_hash().wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        z % self.count == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parsed = text.split_once('/').and_then(|(i, n)| {
            Some((i.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?))
        });
        match parsed {
            Some((index, count)) if count > 0 && index < count => Ok(Self { index, count }),
            Some((_, 0)) => Err(format!(
                "{text:?}: there must be at least one part (I/N with N ≥ 1)"
            )),
            Some((index, count)) => Err(format!(
                "{text:?}: the part must be below the count (0/{count} to {}/{count}), not {index}",
                count.saturating_sub(1)
            )),
            None => Err(format!(
                "{text:?}: expected I/N, such as 0/4 (the first of four parts)"
            )),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One entry of `metrics:`: a metric family and its series.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricConfig {
    /// The metric name.
    pub name: String,
    /// The HELP text.
    pub help: Option<String>,
    /// The TYPE (gauge when not given).
    pub metric_type: MetricType,
    /// The declared label names; when given, every series carries exactly these.
    pub label_names: Option<Vec<String>>,
    /// The series.
    pub series: Vec<SeriesConfig>,
    /// A histogram's bucket upper bounds (default [`DEFAULT_BUCKETS`](crate::observe::DEFAULT_BUCKETS)).
    pub buckets: Option<crate::observe::Buckets>,
    /// A summary's quantiles (default [`DEFAULT_OBJECTIVES`](crate::observe::DEFAULT_OBJECTIVES)).
    pub objectives: Option<crate::observe::Objectives>,
}

impl MetricConfig {
    /// One of this metric's series, ready for a [`Registry`](crate::registry::Registry):
    /// seeded from its labels, and for histograms and summaries wrapped around its
    /// observations.
    #[must_use]
    pub fn series_def(&self, s: &SeriesConfig) -> crate::registry::SeriesDef {
        self.into_series_def(s.clone())
    }

    /// [`MetricConfig::series_def`], taking the series' config.
    #[must_use]
    pub fn into_series_def(&self, s: SeriesConfig) -> crate::registry::SeriesDef {
        self.series_def_with(s, Streams::Buffered)
    }

    /// [`MetricConfig::into_series_def`], the random shapes holding their numbers as
    /// `streams` says.
    fn series_def_with(&self, s: SeriesConfig, streams: Streams) -> crate::registry::SeriesDef {
        use crate::{observe, registry::Source};
        let mut shape = s.build_shape_with(streams);
        // Seeded from the labels, as `Series::new` does for plain series.
        shape.seed_from(&mut crate::shape::SeedSeq::new(s.labels.stable_hash()));
        let source = match self.metric_type {
            MetricType::Histogram => Source::Histogram(observe::Histogram::new(
                shape,
                s.per_scrape,
                self.buckets.clone().unwrap_or_default(),
            )),
            MetricType::Summary => Source::Summary(observe::Summary::new(
                shape,
                s.per_scrape,
                self.objectives.clone().unwrap_or_default(),
            )),
            _ => Source::Series(shape),
        };
        crate::registry::SeriesDef {
            labels: s.labels,
            metric_type: self.metric_type,
            help: self.help.clone(),
            source,
            description: s.description,
            definition: Some(s.definition),
            churn: s.churn,
        }
    }
}

/// One entry of `timeseries:`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesConfig {
    /// Its labels, `__name__` included.
    pub labels: Labels,
    /// What happens when its shape ends.
    pub end: EndStrategy,
    /// Its shape; for a histogram or summary, the shape of its observations (shared by the
    /// series of a templated entry).
    pub shape: std::sync::Arc<ShapeSpec>,
    /// Observations drawn per scrape (histograms and summaries).
    pub per_scrape: u64,
    /// How the shape was written: the DSL or notation text, or the segments as JSON.
    pub description: std::sync::Arc<str>,
    /// The control-API body (JSON) that recreates this series: its metric's name, help,
    /// type, buckets and objectives and its own keys, each as written.
    pub definition: crate::registry::Definition,
    /// The line it starts on, for messages.
    pub line: usize,
    /// Its slot, when its entry churns (`churn:`): its labels then leave out the churn
    /// label, which the registry sets.
    pub churn: Option<crate::churn::ChurnSlot>,
}

impl SeriesConfig {
    /// The running shape, end strategy included.
    #[must_use]
    pub fn build_shape(&self) -> DynShape {
        self.build_shape_with(Streams::Buffered)
    }

    /// [`SeriesConfig::build_shape`], the random shapes holding their numbers as `streams`
    /// says.
    #[must_use]
    pub fn build_shape_with(&self, streams: Streams) -> DynShape {
        match self.end {
            EndStrategy::Stop => self.shape.build_with(streams),
            end => Box::new(self.shape.build_with(streams).end_with(end)),
        }
    }
}

/// The document's root node, or the one error that stops decoding: a document larger than
/// [`MAX_CONFIG_BYTES`], an empty one (`empty` says so), or a syntax error. `what` names the
/// document ("the config") and `syntax` its language for the messages.
fn parse_root(
    text: &str,
    file: &str,
    what: &str,
    empty: &str,
    syntax: &str,
) -> Result<yaml::Node, ConfigErrors> {
    let error = |at, message: String| {
        ConfigErrors(vec![ConfigError::new(
            file,
            at,
            &KeyPath::default(),
            message,
        )])
    };
    let start = Position { line: 1, column: 1 };
    if text.len() > MAX_CONFIG_BYTES {
        return Err(error(
            start,
            format!("{what} is larger than {}", input::limit_text()),
        ));
    }
    match yaml::parse(text) {
        Ok(Some(root)) => Ok(root),
        Ok(None) => Err(error(start, empty.to_owned())),
        Err(e) if e.limit => Err(error(e.at, e.message)),
        Err(e) => Err(error(e.at, format!("invalid {syntax}: {}", e.message))),
    }
}

/// What a control-API body is written in, for messages: JSON when it starts like JSON (an
/// object's first key quoted), else YAML (the parser reads both).
fn body_syntax(text: &str) -> &'static str {
    let mut chars = text.chars().filter(|c| !c.is_whitespace());
    match (chars.next(), chars.next()) {
        (Some('{'), Some('"' | '}')) | (Some('[' | '"'), _) => "JSON",
        _ => "YAML",
    }
}

/// Why a config file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read. Displays as `cannot read PATH`; the cause is its
    /// [`source`](std::error::Error::source).
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than a config may be ([`MAX_CONFIG_BYTES`]); it was not read
    /// (or, for a stream, read only that far).
    #[error("{path}: the config is larger than {} MiB", limit >> 20)]
    TooLarge {
        /// The file.
        path: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The file was read but is not a valid config.
    #[error(transparent)]
    Invalid(#[from] ConfigErrors),
}

impl Config {
    /// Reads and validates a config file.
    ///
    /// # Errors
    /// [`LoadError::Read`] when the file cannot be read, [`LoadError::TooLarge`] past
    /// [`MAX_CONFIG_BYTES`] (read no further), [`LoadError::Invalid`] with every problem
    /// found otherwise (bytes that are not UTF-8 included, with their place).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        Self::from_file_limited(path, DEFAULT_MAX_SERIES)
    }

    /// As [`Config::from_file`], the config expanding to at most `max_series` series (names
    /// and label values may be templates: `host-{0..999}`, `[a, b, c]`).
    ///
    /// ```
    /// use promgen::config::Config;
    /// let yaml = "metrics:\n  - name: load_{0..1}\n    timeseries:\n      - labels: {instance: 'host-{1..3}', zone: [a, b]}\n        series: uniform(0..100)\n";
    /// let config = Config::parse_limited(yaml, "load.yaml", 12)?;
    /// assert_eq!(config.series_count(), 12);
    /// assert_eq!(config.metrics[1].series[5].labels.to_string(), r#"load_1{instance="host-3",zone="b"}"#);
    /// let err = Config::parse_limited(yaml, "load.yaml", 11).unwrap_err();
    /// assert!(err.to_string().contains("expands to more than 11 series"), "{err}");
    /// # Ok::<(), promgen::config::ConfigErrors>(())
    /// ```
    ///
    /// # Errors
    /// As [`Config::from_file`], and more series than `max_series`.
    pub fn from_file_limited(path: impl AsRef<Path>, max_series: u64) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = input::read_capped(path)?;
        Ok(Self::parse_limited(
            utf8(&bytes, &name)?,
            &name,
            max_series,
        )?)
    }

    /// As [`Config::parse`], expanding to at most `max_series` series.
    ///
    /// # Errors
    /// Every problem found, each with its location.
    pub fn parse_limited(text: &str, file: &str, max_series: u64) -> Result<Self, ConfigErrors> {
        Self::decode(text, file, crate::time::now_ms(), max_series)
    }

    /// Validates a config given as text; `file` names it in errors.
    ///
    /// # Errors
    /// Every problem found, each with its location.
    pub fn parse(text: &str, file: &str) -> Result<Self, ConfigErrors> {
        Self::parse_at(text, file, crate::time::now_ms())
    }

    /// As [`Config::parse`], with relative times checked against `now_ms`.
    ///
    /// # Errors
    /// Every problem found, each with its location.
    pub fn parse_at(text: &str, file: &str, now_ms: i64) -> Result<Self, ConfigErrors> {
        Self::decode(text, file, now_ms, DEFAULT_MAX_SERIES)
    }

    fn decode(text: &str, file: &str, now_ms: i64, max_series: u64) -> Result<Self, ConfigErrors> {
        let mut decoder = decode::Decoder::new(file, now_ms);
        decoder.max_series = max_series;
        let root = parse_root(
            text,
            file,
            "the config",
            "the config is empty: it needs at least `metrics:`",
            "YAML",
        )?;
        let config = decoder.config(&root);
        match config {
            Some(config) if !decoder.has_errors() => Ok(config),
            _ => Err(ConfigErrors(decoder.into_errors())),
        }
    }

    /// One series as the control API takes it (JSON, or YAML): a `metrics[]` entry with one
    /// time series, flattened. Errors name the field.
    ///
    /// ```
    /// use promgen::config::Config;
    /// let m = Config::parse_api_series(r#"{"name": "up", "labels": {"job": "a"}, "series": "[1, 0] >> loop"}"#)?;
    /// assert_eq!(m.series[0].labels.to_string(), r#"up{job="a"}"#);
    /// let err = Config::parse_api_series(r#"{"name": "up", "series": "lienar(0..1)"}"#).unwrap_err();
    /// assert_eq!(err.errors()[0].path.as_str(), "series");
    /// # Ok::<(), promgen::config::ConfigErrors>(())
    /// ```
    ///
    /// # Errors
    /// Every problem found, each naming its field.
    pub fn parse_api_series(text: &str) -> Result<MetricConfig, ConfigErrors> {
        let file = "request";
        let mut decoder = decode::Decoder::new(file, crate::time::now_ms());
        let root = parse_root(
            text,
            file,
            "the request body",
            "the request body is empty",
            body_syntax(text),
        )?;
        let metric = decoder.api_series(&root);
        match metric {
            Some(m) if !decoder.has_errors() => Ok(m),
            _ => Err(ConfigErrors(decoder.into_errors())),
        }
    }

    /// A `data:` value (segments, as a series of a config gives them) that stands in another
    /// YAML document: `file` names that document and `path` is where the value stands, for
    /// the errors' locations.
    ///
    /// ```
    /// use promgen::config::{Config, yaml};
    /// let doc = yaml::parse("data: [{Void: {count: 2}}, {Values: '1 2'}]\n").unwrap().unwrap();
    /// let yaml::Kind::Map(entries) = &doc.kind else { unreachable!() };
    /// let spec = Config::parse_data(&entries[0].1, "t.yml", "data").unwrap();
    /// assert!(matches!(spec, promgen::config::ShapeSpec::Join(_)));
    /// let doc = yaml::parse("data: {Void: {count: 0}}\n").unwrap().unwrap();
    /// let yaml::Kind::Map(entries) = &doc.kind else { unreachable!() };
    /// let err = Config::parse_data(&entries[0].1, "t.yml", "tests[0].data").unwrap_err();
    /// assert!(err.to_string().starts_with("t.yml:1:"), "{err}");
    /// ```
    ///
    /// # Errors
    /// Every problem found, each with its location.
    pub fn parse_data(
        node: &yaml::Node,
        file: &str,
        path: &str,
    ) -> Result<ShapeSpec, ConfigErrors> {
        let mut decoder = decode::Decoder::new(file, crate::time::now_ms());
        let spec = decoder.shape_data(node, &KeyPath::default().key(path));
        match spec {
            Some(spec) if !decoder.has_errors() => Ok(spec),
            _ => Err(ConfigErrors(decoder.into_errors())),
        }
    }

    /// Keeps only the series of `shard` (a metric left with none goes too).
    pub fn keep_shard(&mut self, shard: Shard) {
        for m in &mut self.metrics {
            m.series.retain(|s| shard.holds(&s.labels));
        }
        self.metrics.retain(|m| !m.series.is_empty());
    }

    /// How many series the config defines.
    #[must_use]
    pub fn series_count(&self) -> usize {
        self.metrics.iter().map(|m| m.series.len()).sum()
    }

    /// Every series in a [`Registry`](crate::registry::Registry), ready to serve.
    ///
    /// # Errors
    /// What the registry refuses; a valid config has nothing it would.
    pub fn build_registry(
        &self,
    ) -> Result<crate::registry::Registry, crate::registry::RegistryError> {
        // Each series' config is cloned to build its member either way; the clones are
        // shallow (shared shape, description and definition).
        self.clone().into_registry()
    }

    /// [`Config::build_registry`], taking the config: each series' config is freed as its
    /// member is made, so that a large load does not hold the decoded config and the
    /// registry at once (the memory freed is what the registry's members reuse).
    ///
    /// ```
    /// use promgen::config::Config;
    /// let config = Config::parse("metrics: [{name: up, timeseries: [{labels: {i: 'h{1..3}'}, values: '1'}]}]", "c.yaml")?;
    /// assert_eq!(config.into_registry()?.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// What the registry refuses; a valid config has nothing it would.
    pub fn into_registry(
        self,
    ) -> Result<crate::registry::Registry, crate::registry::RegistryError> {
        let streams = Streams::for_serving(self.series_count());
        self.into_registry_with(streams)
    }

    /// [`Config::into_registry`], its random shapes holding their numbers as `streams` says
    /// (the same numbers any way).
    ///
    /// ```
    /// use promgen::config::{Config, Streams};
    /// let yaml = "metrics: [{name: t, timeseries: [{labels: {i: 'h{1..3}'}, series: 'normal(0, 1)'}]}]";
    /// let values = |streams| {
    ///     let mut registry = Config::parse(yaml, "c.yaml").unwrap().into_registry_with(streams).unwrap();
    ///     let mut v = Vec::new();
    ///     for tick in 0..40 {
    ///         registry.collect(tick * 15_000, |i, x| v.push((i, x)));
    ///     }
    ///     v
    /// };
    /// assert_eq!(values(Streams::Buffered), values(Streams::Blocked));
    /// ```
    ///
    /// # Errors
    /// What the registry refuses; a valid config has nothing it would.
    pub fn into_registry_with(
        self,
        streams: Streams,
    ) -> Result<crate::registry::Registry, crate::registry::RegistryError> {
        // How many series each family gets, so that each is given its room once.
        let mut left: HashMap<String, usize> = HashMap::new();
        for s in self.metrics.iter().flat_map(|m| &m.series) {
            if let Some(n) = left.get_mut(s.labels.name()) {
                *n += 1;
            } else {
                left.insert(s.labels.name().to_owned(), 1);
            }
        }
        let mut registry = crate::registry::Registry::default();
        for mut m in self.metrics {
            for s in std::mem::take(&mut m.series) {
                let room = left.remove(s.labels.name());
                let name = room.map(|_| s.labels.name().to_owned());
                registry.add(m.series_def_with(s, streams))?;
                if let (Some(name), Some(n)) = (name, room) {
                    registry.reserve(&name, n - 1);
                }
            }
        }
        Ok(registry)
    }
}

#[cfg(test)]
mod tests;
