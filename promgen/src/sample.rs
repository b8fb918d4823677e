//! One data point of a time series, the stale marker, and how values are printed.

use std::fmt;

/// The bit pattern Prometheus uses for a stale marker: a NaN that no arithmetic produces.
///
/// A stale marker tells Prometheus that a series has gone away, so queries stop returning
/// its last value at once instead of after the five-minute lookback.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// The stale marker as a float. Compare with [`is_stale`], never with `==` (it is a NaN).
///
/// ```
/// assert!(promgen::is_stale(promgen::stale_nan()));
/// assert!(!promgen::is_stale(f64::NAN));
/// ```
#[must_use]
pub const fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Whether `value` is exactly the stale marker (an ordinary NaN is not).
#[must_use]
pub const fn is_stale(value: f64) -> bool {
    value.to_bits() == STALE_NAN_BITS
}

/// A sample: a millisecond Unix timestamp and a value.
///
/// ```
/// use promgen::Sample;
/// let s = Sample::new(60_000, 1.5);
/// assert_eq!(s.to_string(), "1.5 @60000");
/// assert!(Sample::stale(0).is_stale());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The value; the stale marker is a NaN with [`STALE_NAN_BITS`].
    pub value: f64,
}

impl Sample {
    /// A sample with the given timestamp and value.
    #[must_use]
    pub const fn new(timestamp_ms: i64, value: f64) -> Self {
        Self {
            timestamp_ms,
            value,
        }
    }

    /// A stale marker at `timestamp_ms`.
    #[must_use]
    pub const fn stale(timestamp_ms: i64) -> Self {
        Self::new(timestamp_ms, stale_nan())
    }

    /// Whether this sample is a stale marker.
    #[must_use]
    pub const fn is_stale(&self) -> bool {
        is_stale(self.value)
    }
}

impl fmt::Display for Sample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} @{}", FormatValue(self.value), self.timestamp_ms)
    }
}

/// Prints a value as Prometheus tools do: the shortest text that reads back to the same
/// float, `+Inf`, `-Inf`, `NaN`, and `stale` for the stale marker.
///
/// Values from 1e-4 up to 1e21 print in positional notation, others with an exponent, as
/// Go's `strconv.FormatFloat(v, 'g', -1, 64)` does, so what we print reads like Prometheus.
///
/// This is the one function that turns a float into text: the preview (every format), both
/// exposition formats, backfill files, `le` and `quantile` labels, promtool test files and
/// error messages all print through it, so one value never reads two ways.
///
/// Negative zero prints as `-0`. It is what `strconv.FormatFloat(-0, 'g', -1, 64)` gives,
/// what Prometheus's HTTP API shows for a stored -0, and it reads back (Prometheus's and
/// promtool's parsers use `strconv.ParseFloat`) to the same bits that remote write sends.
/// Go's `client_golang` exposition writes `0` instead (its `writeFloat` tests `f == 0`,
/// true for -0), but then a scraped -0 and a remote-written one would differ in Prometheus.
///
/// ```
/// use promgen::FormatValue;
/// assert_eq!(FormatValue(0.1 + 0.7).to_string(), "0.7999999999999999");
/// assert_eq!(FormatValue(3.0).to_string(), "3");
/// assert_eq!(FormatValue(f64::INFINITY).to_string(), "+Inf");
/// assert_eq!(FormatValue(1e-7).to_string(), "1e-7");
/// assert_eq!(FormatValue(promgen::stale_nan()).to_string(), "stale");
/// assert_eq!(FormatValue(-0.0).to_string(), "-0");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FormatValue(pub f64);

impl fmt::Display for FormatValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if is_stale(v) {
            f.write_str("stale")
        } else if v.is_nan() {
            f.write_str("NaN")
        } else if v == f64::INFINITY {
            f.write_str("+Inf")
        } else if v == f64::NEG_INFINITY {
            f.write_str("-Inf")
        } else if v == 0.0 || (1e-4..1e21).contains(&v.abs()) {
            // Rust's `Display` for f64 is the shortest round-trip text.
            write!(f, "{v}")
        } else {
            write!(f, "{v:e}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_marker_is_a_distinct_nan() {
        assert!(stale_nan().is_nan());
        assert_eq!(stale_nan().to_bits(), STALE_NAN_BITS);
        assert!(!is_stale(f64::NAN));
        assert!(!is_stale(0.0));
        // Arithmetic on the marker quiets the NaN, which is no longer a stale marker.
        assert!(!is_stale(stale_nan() + 1.0));
    }

    #[test]
    fn values_print_as_shortest_round_trip() {
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (-0.5, "-0.5"),
            (1.5, "1.5"),
            (0.1 + 0.7, "0.7999999999999999"),
            (100.0, "100"),
            (1e20, "100000000000000000000"),
            (1e21, "1e21"),
            (0.0001, "0.0001"),
            (0.00001, "1e-5"),
            (-2.5e-9, "-2.5e-9"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for (value, text) in cases {
            assert_eq!(FormatValue(value).to_string(), text, "{value:?}");
            if value.is_finite() {
                let back = text.parse::<f64>().unwrap();
                assert_eq!(back.to_bits(), value.to_bits(), "round trip of {text}");
            }
        }
    }
}
