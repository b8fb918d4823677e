//! The series a registry puts on the wire: a plain series is one, a histogram its buckets,
//! sum and count, a summary its quantiles, sum and count.

use super::Registry;
use crate::{FormatValue, Labels, MetricType};

/// A series as it travels over the wire (remote write, a backfill file): a plain series, or
/// one bucket, the sum or the count of a histogram, one quantile, the sum or the count of a
/// summary.
#[derive(Debug, Clone, PartialEq)]
pub struct WireSeries {
    /// Its full labels: the family name with its suffix (`_bucket`, `_sum`, `_count`), and
    /// `le` or `quantile` where there is one.
    pub labels: Labels,
    /// The family it belongs to.
    pub family: String,
    /// The family's type.
    pub metric_type: MetricType,
    /// The family's HELP text.
    pub help: Option<String>,
    /// Which registry series it comes from, counted from 0 in registry order: the buckets,
    /// sum and count of one histogram share it.
    pub member: usize,
}

/// A wire series as [`Registry::each_wire_series`] lends it.
pub(crate) struct WireRef<'a> {
    pub(crate) labels: &'a Labels,
    pub(crate) family: &'a str,
    pub(crate) metric_type: MetricType,
    pub(crate) help: Option<&'a str>,
    pub(crate) member: usize,
}

impl Registry {
    /// Every series as it goes over the wire, in the order [`Registry::collect`] numbers
    /// them.
    ///
    /// ```
    /// use promgen::registry::{Registry, SeriesDef, Source};
    /// use promgen::{Labels, MetricType, observe::{Buckets, Histogram}, shape::constant};
    /// let mut registry = Registry::default();
    /// registry.add(SeriesDef {
    ///     labels: Labels::new("latency_seconds", [("job", "api")])?,
    ///     metric_type: MetricType::Histogram,
    ///     help: None,
    ///     source: Source::Histogram(Histogram::new(Box::new(constant(0.2)), 1, Buckets::new(vec![0.5])?)),
    ///     description: "".into(),
    ///     definition: None,
    ///     churn: None,
    /// })?;
    /// let names: Vec<String> = registry.wire_series().iter().map(|s| s.labels.to_string()).collect();
    /// assert_eq!(names, [
    ///     r#"latency_seconds_bucket{job="api",le="0.5"}"#,
    ///     r#"latency_seconds_bucket{job="api",le="+Inf"}"#,
    ///     r#"latency_seconds_sum{job="api"}"#,
    ///     r#"latency_seconds_count{job="api"}"#,
    /// ]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn wire_series(&self) -> Vec<WireSeries> {
        let mut out = Vec::new();
        self.each_wire_series(|w| {
            out.push(WireSeries {
                labels: w.labels.clone(),
                family: w.family.to_owned(),
                metric_type: w.metric_type,
                help: w.help.map(str::to_owned),
                member: w.member,
            });
        });
        out
    }

    /// Each wire series in [`Registry::wire_series`]'s order, without building that list: a
    /// plain series' labels are its member's own, and a bucket's, sum's or count's are built
    /// for the call and dropped after it.
    pub(crate) fn each_wire_series(&self, mut f: impl FnMut(WireRef<'_>)) {
        let members = self
            .families
            .iter()
            .flat_map(|f| f.members.iter().map(move |m| (f, m)));
        for (member, (family, m)) in members.enumerate() {
            for o in m.shared.outputs.iter() {
                let built;
                let labels = if o.suffix.is_empty() && o.extra.is_none() {
                    &m.labels
                } else {
                    let name = format!("{}{}", family.name, o.suffix);
                    let extra = o
                        .extra
                        .map(|(k, v)| (k.to_owned(), FormatValue(v).to_string()));
                    let pairs = m
                        .labels
                        .without_name()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .chain(extra);
                    // The member's labels were valid and `le`/`quantile` are reserved for
                    // these, so this cannot fail; fall back to the member's own labels.
                    built = Labels::new(&name, pairs).unwrap_or_else(|_| m.labels.clone());
                    &built
                };
                f(WireRef {
                    labels,
                    family: &family.name,
                    metric_type: family.metric_type,
                    help: family.help.as_deref(),
                    member,
                });
            }
        }
    }
}
