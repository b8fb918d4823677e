//! A load without a config, for people used to avalanche's flags: N series over M metric
//! families of every type, each series with K labels, drawing realistic shapes.

use super::{Config, ConfigErrors};
use std::fmt::Write as _;

/// N series over M families, K labels each: family i is a counter, a gauge, a classic
/// histogram or a summary in turn (`load_counter_0_total`, `load_gauge_1`,
/// `load_histogram_2_seconds`, `load_summary_3_seconds`, …), its series told apart by
/// `series_id` and carrying `label_1` … `label_{K-1}` besides.
///
/// ```
/// use promgen::config::LoadSet;
/// let config = LoadSet { series: 10, metrics: 4, labels: 3, churn: None }.config()?;
/// assert_eq!(config.series_count(), 10);
/// let first = &config.metrics[0];
/// assert_eq!(first.name, "load_counter_0_total");
/// assert_eq!(first.series[2].labels.to_string(), r#"load_counter_0_total{label_1="value_1",label_2="value_2",series_id="2"}"#);
/// # Ok::<(), promgen::config::ConfigErrors>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSet {
    /// Series in all (a histogram or summary counts once, though a scrape shows its
    /// buckets or quantiles, sum and count).
    pub series: u64,
    /// Metric families they are spread over (at most `series`).
    pub metrics: u64,
    /// Labels per series, `series_id` included (at least 1).
    pub labels: u64,
    /// The keys of every entry's `churn:` ([`crate::churn`]), as YAML flow-map items
    /// (`every: 10m, fraction: 0.1`); the churn label is `cycle_id`.
    ///
    /// ```
    /// use promgen::config::LoadSet;
    /// let set = LoadSet { series: 4, metrics: 1, labels: 1, churn: Some("every: 1m, mode: rotate".into()) };
    /// let mut registry = set.config()?.build_registry().unwrap();
    /// registry.churn_to(60_000, |_, _| {});
    /// assert_eq!(registry.wire_series()[3].labels.to_string(), r#"load_counter_0_total{cycle_id="7",series_id="3"}"#);
    /// # Ok::<(), promgen::config::ConfigErrors>(())
    /// ```
    pub churn: Option<String>,
}

impl LoadSet {
    /// The set as a config's text.
    #[must_use]
    pub fn yaml(&self) -> String {
        let metrics = self.metrics.clamp(1, self.series.max(1));
        let mut y = String::from("metrics:\n");
        for i in 0..metrics {
            let n = self.series / metrics + u64::from(i < self.series % metrics);
            if n == 0 {
                continue;
            }
            let mut labels = format!("series_id: \"{{0..{}}}\"", n - 1);
            for j in 1..self.labels.max(1) {
                let _ = write!(labels, ", label_{j}: value_{j}");
            }
            let (name, kind, body) = match i % 4 {
                0 => (
                    format!("load_counter_{i}_total"),
                    "counter",
                    "series: uniform(0..20).round().cumsum()".to_owned(),
                ),
                1 => (
                    format!("load_gauge_{i}"),
                    "gauge",
                    "series: (sin(period = 1h, amplitude = 25, offset = 50) + normal(0, 5)).clamp(0, 100)".to_owned(),
                ),
                2 => (
                    format!("load_histogram_{i}_seconds"),
                    "histogram",
                    "observations: normal(0.25, 0.1).clamp(0, 10)\n        perScrape: 10".to_owned(),
                ),
                _ => (
                    format!("load_summary_{i}_seconds"),
                    "summary",
                    "observations: normal(0.25, 0.1).clamp(0, 10)\n        perScrape: 10".to_owned(),
                ),
            };
            let _ = write!(
                y,
                "  - name: {name}\n    help: A promgen load {kind}.\n    type: {kind}\n    timeseries:\n      - labels: {{{labels}}}\n        {body}\n"
            );
            if let Some(churn) = &self.churn {
                let _ = writeln!(y, "        churn: {{label: cycle_id, {churn}}}");
            }
        }
        y
    }

    /// The set as a config.
    ///
    /// # Errors
    /// None for sets of up to `u64` series; the config's checks stand behind it.
    pub fn config(&self) -> Result<Config, ConfigErrors> {
        let peak = match &self.churn {
            // A spike multiplies the series for a while: the limit is the set's own peak.
            Some(_) => u64::MAX,
            None => self.series.max(1),
        };
        Config::parse_limited(&self.yaml(), "the load set", peak)
    }
}
