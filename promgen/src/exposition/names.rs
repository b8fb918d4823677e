//! The names a metric family takes once it is exposed, so that two families never write the
//! same one: what the config decoder and the registry (and so the control API) check before
//! they accept a family.
//!
//! A histogram `h` writes `h_bucket`, `h_sum` and `h_count`; in OpenMetrics a counter
//! `c_total` is the family `c` with samples `c_total`; OpenMetrics also reserves `_created`
//! for counters, histograms and summaries. A second family writing any of these names would
//! make the exposition ambiguous: promtool refuses a second `TYPE` line, OpenMetrics parsers
//! refuse the clashing name. The sets are OpenMetrics's (which hold every name the text
//! format writes too), as the official Python client's parser checks them.
//!
//! ```
//! use promgen::{MetricType, exposition::Family};
//! let histogram = Family::new("hcoll", MetricType::Histogram);
//! let gauge = Family::new("hcoll_bucket", MetricType::Gauge);
//! let clash = histogram.clash(&gauge).unwrap();
//! assert_eq!(clash.name, "hcoll_bucket");
//! assert_eq!(
//!     clash.to_string(),
//!     "`hcoll_bucket` is both the buckets of the histogram `hcoll` and the name of the gauge `hcoll_bucket`"
//! );
//! assert!(Family::new("hcoll", MetricType::Histogram).clash(&Family::new("hcoll_seconds", MetricType::Gauge)).is_none());
//! assert_eq!(histogram.reserved_label(), Some("le"));
//! ```

use crate::MetricType;
use std::fmt;

/// A metric family as an exposition writes it: its name and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family<'a> {
    /// The metric name, as configured.
    pub name: &'a str,
    /// Its type.
    pub metric_type: MetricType,
}

/// One name a family takes, and what it is for (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Taken<'a> {
    stem: &'a str,
    suffix: &'static str,
    role: &'static str,
}

impl Taken<'_> {
    fn is(&self, other: &Taken<'_>) -> bool {
        self.stem.len() + self.suffix.len() == other.stem.len() + other.suffix.len()
            && self
                .stem
                .bytes()
                .chain(self.suffix.bytes())
                .eq(other.stem.bytes().chain(other.suffix.bytes()))
    }
}

/// Two families that would write the same name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{name}` is both {first_role} the {first_type} `{first}` and {second_role} the {second_type} `{second}`"
)]
pub struct Clash {
    /// The name both would write.
    pub name: String,
    /// The family [`Family::clash`] was called on.
    pub first: String,
    /// Its type.
    pub first_type: MetricType,
    /// What the name is for in it ("the buckets of").
    pub first_role: &'static str,
    /// The other family.
    pub second: String,
    /// Its type.
    pub second_type: MetricType,
    /// What the name is for in it.
    pub second_role: &'static str,
}

/// A series carrying the label its family's samples carry themselves (`le` on a histogram,
/// `quantile` on a summary): exposed, it would have the label twice, and Prometheus refuses
/// the whole scrape of a target with such a line ("label name "le" is not unique").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "label `{label}` is reserved in a {metric_type}: its {what} carry `{label}` themselves, so the series would have it twice and Prometheus would refuse the whole scrape; rename the label"
)]
pub struct ReservedLabel {
    /// The label.
    pub label: &'static str,
    /// The family's type.
    pub metric_type: MetricType,
    /// What carries it ("buckets", "quantiles").
    what: &'static str,
}

impl<'a> Family<'a> {
    /// The family `name` of type `metric_type`.
    #[must_use]
    pub const fn new(name: &'a str, metric_type: MetricType) -> Self {
        Self { name, metric_type }
    }

    /// The name of its `# TYPE` and `# HELP` lines in OpenMetrics: a counter's name without
    /// `_total` (unless nothing would be left), any other family's name as it is. The text
    /// format writes the name as it is.
    ///
    /// ```
    /// use promgen::{MetricType, exposition::Family};
    /// assert_eq!(Family::new("requests_total", MetricType::Counter).openmetrics_name(), "requests");
    /// assert_eq!(Family::new("requests_total", MetricType::Gauge).openmetrics_name(), "requests_total");
    /// ```
    #[must_use]
    pub fn openmetrics_name(&self) -> &'a str {
        match self.metric_type {
            MetricType::Counter => match self.name.strip_suffix("_total") {
                Some(stem) if !stem.is_empty() => stem,
                _ => self.name,
            },
            _ => self.name,
        }
    }

    /// The label its own samples carry, which its series may therefore not have: `le` on a
    /// histogram's buckets, `quantile` on a summary's quantiles.
    #[must_use]
    pub const fn reserved_label(&self) -> Option<&'static str> {
        match self.metric_type {
            MetricType::Histogram => Some("le"),
            MetricType::Summary => Some("quantile"),
            _ => None,
        }
    }

    /// Whether a series of this family may carry a label `name`.
    ///
    /// ```
    /// use promgen::{MetricType, exposition::Family};
    /// let histogram = Family::new("latency_seconds", MetricType::Histogram);
    /// assert!(histogram.check_label("path").is_ok());
    /// assert!(histogram.check_label("le").unwrap_err().to_string().starts_with("label `le` is reserved in a histogram"));
    /// assert!(Family::new("temperature", MetricType::Gauge).check_label("le").is_ok());
    /// ```
    ///
    /// # Errors
    /// The label is [`Family::reserved_label`].
    pub fn check_label(&self, name: &str) -> Result<(), ReservedLabel> {
        match self.reserved_label() {
            Some(label) if label == name => Err(ReservedLabel {
                label,
                metric_type: self.metric_type,
                what: if self.metric_type == MetricType::Histogram {
                    "buckets"
                } else {
                    "quantiles"
                },
            }),
            _ => Ok(()),
        }
    }

    /// Every name it takes in either format: its own, its samples' (`_bucket`, `_sum`,
    /// `_count`, a counter's `_total` in OpenMetrics) and the ones OpenMetrics reserves for it
    /// (`_created`, a `_total` counter's family name). Two families of different names clash
    /// when these share one ([`Family::clash`]).
    ///
    /// ```
    /// use promgen::{MetricType, exposition::Family};
    /// let names: Vec<String> = Family::new("c_total", MetricType::Counter).exposed_names().collect();
    /// assert_eq!(names, ["c_total", "c", "c_created"]);
    /// ```
    pub fn exposed_names(&self) -> impl Iterator<Item = String> + use<'a> {
        let family = *self;
        family.taken().map(|t| format!("{}{}", t.stem, t.suffix))
    }

    /// Every name it takes, in either format.
    fn taken(self) -> impl Iterator<Item = Taken<'a>> {
        let (name, stem) = (self.name, self.openmetrics_name());
        let at = |stem, suffix, role| Taken { stem, suffix, role };
        let own = at(name, "", "the name of");
        let list: [Option<Taken<'a>>; 5] = match self.metric_type {
            MetricType::Gauge | MetricType::Untyped => [Some(own), None, None, None, None],
            MetricType::Counter => [
                Some(own),
                (stem != name).then(|| at(stem, "", "the OpenMetrics family name of")),
                (stem == name).then(|| at(stem, "_total", "the OpenMetrics samples of")),
                Some(at(stem, "_created", "the OpenMetrics created timestamp of")),
                None,
            ],
            MetricType::Histogram => [
                Some(own),
                Some(at(name, "_bucket", "the buckets of")),
                Some(at(name, "_sum", "the sum of")),
                Some(at(name, "_count", "the count of")),
                Some(at(name, "_created", "the OpenMetrics created timestamp of")),
            ],
            MetricType::Summary => [
                Some(at(name, "", "the quantiles of")),
                Some(at(name, "_sum", "the sum of")),
                Some(at(name, "_count", "the count of")),
                Some(at(name, "_created", "the OpenMetrics created timestamp of")),
                None,
            ],
        };
        list.into_iter().flatten()
    }

    /// The first name both families would write, or `None` when they write none in common.
    /// Families of the same name are one family, not a clash (whether their types agree is
    /// another question).
    #[must_use]
    pub fn clash(&self, other: &Family<'_>) -> Option<Clash> {
        if self.name == other.name {
            return None;
        }
        self.taken().find_map(|mine| {
            let theirs = other.taken().find(|t| t.is(&mine))?;
            Some(Clash {
                name: format!("{}{}", mine.stem, mine.suffix),
                first: self.name.to_owned(),
                first_type: self.metric_type,
                first_role: mine.role,
                second: other.name.to_owned(),
                second_type: other.metric_type,
                second_role: theirs.role,
            })
        })
    }
}

impl fmt::Display for Family<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} `{}`", self.metric_type, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MetricType::{Counter, Gauge, Histogram, Summary, Untyped};

    fn clash(a: (&str, MetricType), b: (&str, MetricType)) -> Option<String> {
        let (a, b) = (Family::new(a.0, a.1), Family::new(b.0, b.1));
        let there = a.clash(&b).map(|c| c.name);
        assert_eq!(there, b.clash(&a).map(|c| c.name), "symmetric");
        there
    }

    #[test]
    fn the_issue_cases_clash() {
        assert_eq!(
            clash(("hcoll", Histogram), ("hcoll_bucket", Gauge)).as_deref(),
            Some("hcoll_bucket")
        );
        let counters = Family::new("ccoll", Counter).clash(&Family::new("ccoll_total", Counter));
        assert_eq!(
            counters.unwrap().to_string(),
            "`ccoll` is both the name of the counter `ccoll` and the OpenMetrics family name of the counter `ccoll_total`"
        );
    }

    #[test]
    fn every_reserved_suffix_is_taken() {
        for suffix in ["_bucket", "_sum", "_count", "_created"] {
            let name = format!("h{suffix}");
            assert!(
                clash(("h", Histogram), (&name, Untyped)).is_some(),
                "{name}"
            );
        }
        for suffix in ["_sum", "_count", "_created"] {
            let name = format!("s{suffix}");
            assert!(clash(("s", Summary), (&name, Gauge)).is_some(), "{name}");
        }
        assert!(clash(("s", Summary), ("s_bucket", Gauge)).is_none());
        assert!(clash(("c", Counter), ("c_created", Gauge)).is_some());
        assert!(clash(("c_total", Counter), ("c_created", Gauge)).is_some());
        // In OpenMetrics `c_total` is the family `c`.
        assert_eq!(
            clash(("c_total", Counter), ("c", Gauge)).as_deref(),
            Some("c")
        );
        assert!(clash(("g", Gauge), ("g_total", Gauge)).is_none());
        assert!(clash(("g", Gauge), ("g_bucket", Gauge)).is_none());
        assert!(clash(("g_total", Gauge), ("g", Counter)).is_some());
    }

    #[test]
    fn a_counter_named_total_keeps_its_name() {
        assert_eq!(Family::new("_total", Counter).openmetrics_name(), "_total");
        assert_eq!(Family::new("x_total", Counter).openmetrics_name(), "x");
    }
}
