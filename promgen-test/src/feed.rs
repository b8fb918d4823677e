//! The series a test feeds Prometheus: a config, or series one by one in promtool notation,
//! the series DSL, or shapes built in Rust (`series!`).

use crate::HarnessError;
use promgen::{
    Labels, MetricType,
    config::Config,
    registry::{Registry, SeriesDef},
    shape::{DynShape, EndStrategy, Shape, ShapeExt, Value},
    time::parse_duration,
};
use std::sync::Arc;

type MakeShape = Arc<dyn Fn() -> DynShape + Send + Sync>;

#[derive(Clone)]
enum Item {
    Config(Box<Config>),
    Series {
        labels: Labels,
        metric_type: MetricType,
        make: MakeShape,
        description: String,
    },
}

/// Series for Prometheus, and the interval between their samples (15 s unless told).
///
/// ```
/// use promgen_test::Feed;
/// let feed = Feed::new()
///     .interval("1m")?
///     .notation(r#"http_requests_total{code="500"}"#, "0+10x30 0+0x30")?
///     .dsl(r#"queue_depth{queue="a"}"#, "linear(0..=100, 11) >> loop")?
///     .series(r#"cpu{host="a"}"#, promgen::series!(sin(period = 10, amplitude = 1, offset = 1)))?;
/// assert_eq!((feed.len(), feed.interval_ms()), (3, 60_000));
/// # Ok::<(), promgen_test::HarnessError>(())
/// ```
#[derive(Clone)]
pub struct Feed {
    interval_ms: i64,
    items: Vec<Item>,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed")
            .field("interval_ms", &self.interval_ms)
            .field("items", &self.items.len())
            .finish()
    }
}

impl Feed {
    /// No series yet; one sample every 15 s.
    #[must_use]
    pub fn new() -> Self {
        Self {
            interval_ms: 15_000,
            items: Vec::new(),
        }
    }

    /// The time between samples, a Prometheus duration (`15s`, `1m`).
    ///
    /// # Errors
    /// Not a positive duration.
    pub fn interval(mut self, interval: &str) -> Result<Self, HarnessError> {
        match parse_duration(interval) {
            Ok(ms) if ms > 0 => {
                self.interval_ms = ms;
                Ok(self)
            }
            _ => Err(HarnessError::Feed(format!(
                "interval {interval:?}: expected a positive duration such as 15s or 1m"
            ))),
        }
    }

    /// The time between samples, in milliseconds.
    #[must_use]
    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    /// How many entries (series, and configs).
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A series in promtool's notation, as in a `promtool test rules` file:
    /// `labels` is `name{label="value"}`, `values` is `0+10x30 _x5 stale`. As in promtool,
    /// the series has no more samples after its last value (which stays visible for the
    /// 5m lookback) rather than being marked stale as a shape that ends is.
    ///
    /// # Errors
    /// Bad labels or notation.
    pub fn notation(self, labels: &str, values: &str) -> Result<Self, HarnessError> {
        let notation = promgen::notation::Notation::parse(values)
            .map_err(|e| HarnessError::Feed(format!("{labels}: {e}")))?;
        let description = values.to_owned();
        self.with(labels, description, move || {
            Box::new(
                notation
                    .clone()
                    .end_with(EndStrategy::SendCustomValue(Value::Missing)),
            )
        })
    }

    /// A series in the series DSL: `linear(0..=100, 11) >> loop`.
    ///
    /// # Errors
    /// Bad labels or DSL.
    pub fn dsl(self, labels: &str, text: &str) -> Result<Self, HarnessError> {
        let spec =
            promgen::dsl::parse(text).map_err(|e| HarnessError::Feed(format!("{labels}: {e}")))?;
        self.with(labels, text.to_owned(), move || spec.build())
    }

    /// A series from a shape described as data (what the DSL and config segments decode
    /// into); `written` is how it was written, for messages.
    ///
    /// # Errors
    /// Bad labels.
    pub fn spec(
        self,
        labels: &str,
        spec: promgen::config::ShapeSpec,
        written: String,
    ) -> Result<Self, HarnessError> {
        self.with(labels, written, move || spec.build())
    }

    /// A series from a shape built in Rust, such as `series!(…)`.
    ///
    /// # Errors
    /// Bad labels.
    pub fn series<S>(self, labels: &str, shape: S) -> Result<Self, HarnessError>
    where
        S: Shape + Clone + Send + Sync + 'static,
    {
        self.with(labels, "a Rust shape".into(), move || {
            Box::new(shape.clone())
        })
    }

    /// Every series of a YAML config (its scraper block is not used: the feed's interval
    /// and the test's time range are).
    ///
    /// # Errors
    /// An invalid config, every error with its line.
    pub fn config(mut self, yaml: &str) -> Result<Self, HarnessError> {
        let config =
            Config::parse(yaml, "feed config").map_err(|e| HarnessError::Feed(e.to_string()))?;
        self.items.push(Item::Config(Box::new(config)));
        Ok(self)
    }

    fn with(
        mut self,
        labels: &str,
        description: String,
        make: impl Fn() -> DynShape + Send + Sync + 'static,
    ) -> Result<Self, HarnessError> {
        let labels: Labels = labels
            .parse()
            .map_err(|e: promgen::LabelError| HarnessError::Feed(e.to_string()))?;
        self.items.push(Item::Series {
            labels,
            metric_type: MetricType::Untyped,
            make: Arc::new(make),
            description,
        });
        Ok(self)
    }

    /// A fresh registry of every series, each starting at its first sample and seeded from
    /// its labels.
    pub(crate) fn registry(&self) -> Result<Registry, HarnessError> {
        let mut registry = Registry::default();
        for item in &self.items {
            let defs: Vec<SeriesDef> = match item {
                Item::Config(config) => config
                    .metrics
                    .iter()
                    .flat_map(|m| m.series.iter().map(|s| m.series_def(s)))
                    .collect(),
                Item::Series {
                    labels,
                    metric_type,
                    make,
                    description,
                } => vec![SeriesDef::new(
                    labels.clone(),
                    *metric_type,
                    make(),
                    description.clone(),
                )],
            };
            for def in defs {
                registry
                    .add(def)
                    .map_err(|e| HarnessError::Feed(e.to_string()))?;
            }
        }
        Ok(registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notation_stops_without_a_stale_marker_as_in_promtool() {
        let mut registry = Feed::new()
            .notation("x", "1 2 _ 3")
            .unwrap()
            .registry()
            .unwrap();
        let got: Vec<Option<f64>> = (0..7)
            .map(|t| {
                let mut got = None;
                registry.collect(t, |_, v| got = Some(v));
                got
            })
            .collect();
        assert_eq!(
            got,
            [Some(1.0), Some(2.0), None, Some(3.0), None, None, None]
        );
    }
}
