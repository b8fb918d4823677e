//! The Prometheus metric types.

use std::{fmt, str::FromStr};

/// The type of a metric family, as written on its `# TYPE` line.
///
/// ```
/// use promgen::MetricType;
/// assert_eq!("counter".parse::<MetricType>(), Ok(MetricType::Counter));
/// assert_eq!(MetricType::Gauge.to_string(), "gauge");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetricType {
    /// A value that only goes up, except when it resets.
    Counter,
    /// A value that goes up and down.
    #[default]
    Gauge,
    /// Observations counted into buckets.
    Histogram,
    /// Observations summarised as quantiles.
    Summary,
    /// No type information.
    Untyped,
}

impl MetricType {
    /// Every type, in the order they are documented.
    pub const ALL: [MetricType; 5] = [
        Self::Counter,
        Self::Gauge,
        Self::Histogram,
        Self::Summary,
        Self::Untyped,
    ];

    /// The lower-case name used in the exposition format and in configs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::Summary => "summary",
            Self::Untyped => "untyped",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of `counter`, `gauge`, `histogram`, `summary`, `untyped`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metric type {0:?}: expected counter, gauge, histogram, summary or untyped")]
pub struct UnknownMetricType(pub String);

impl FromStr for MetricType {
    type Err = UnknownMetricType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownMetricType(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() {
        for t in MetricType::ALL {
            assert_eq!(t.as_str().parse::<MetricType>(), Ok(t));
        }
        assert!("Counter".parse::<MetricType>().is_err());
    }
}
