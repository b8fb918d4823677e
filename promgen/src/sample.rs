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
        f.write_str(ValueText::new(self.0).as_str())
    }
}

/// [`FormatValue`]'s text in a buffer on the stack, for writers that append bytes: the
/// exposition prints every sample through it, without `core::fmt`.
///
/// The shortest digits come from `zmij` (several times faster than the standard library's
/// float formatting, and the same digits: the shortest text that reads back to the same
/// float, the nearest of those; of two equally near, the even last digit, as Go's `strconv`
/// takes, where the standard library took the upper); the layout around them is ours.
pub(crate) struct ValueText {
    bytes: [u8; 32],
    len: usize,
}

impl ValueText {
    pub(crate) fn new(v: f64) -> Self {
        let mut text = Self {
            bytes: [0; 32],
            len: 0,
        };
        if is_stale(v) {
            text.push(b"stale");
        } else if v.is_nan() {
            text.push(b"NaN");
        } else if v == f64::INFINITY {
            text.push(b"+Inf");
        } else if v == f64::NEG_INFINITY {
            text.push(b"-Inf");
        } else {
            text.finite(v);
        }
        text
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII is ever pushed.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }

    fn push(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn push_zeros(&mut self, n: usize) {
        self.bytes[self.len..self.len + n].fill(b'0');
        self.len += n;
    }

    /// Positional notation from 1e-4 up to 1e21 (and for zero), else `d.ddde±x`.
    fn finite(&mut self, v: f64) {
        if (1e-4..1e16).contains(&v.abs()) {
            // zmij writes these positionally too (it does from 1e-5 to 1e16), our text but
            // for the ".0" it gives a whole number.
            let mut buffer = zmij::Buffer::new();
            let text = buffer.format_finite(v);
            self.push(text.strip_suffix(".0").unwrap_or(text).as_bytes());
            return;
        }
        if v.is_sign_negative() {
            self.push(b"-");
        }
        let (digits, count, exponent) = shortest_digits(v.abs());
        let digits = &digits[..count];
        if count == 0 {
            self.push(b"0");
        } else if (1e-4..1e21).contains(&v.abs()) {
            // The value is 0.DIGITS × 10^exponent, with exponent from -3 to 21.
            match usize::try_from(exponent) {
                Ok(0) | Err(_) => {
                    self.push(b"0.");
                    self.push_zeros(exponent.unsigned_abs() as usize);
                    self.push(digits);
                }
                Ok(whole) if whole < count => {
                    self.push(&digits[..whole]);
                    self.push(b".");
                    self.push(&digits[whole..]);
                }
                Ok(whole) => {
                    self.push(digits);
                    self.push_zeros(whole - count);
                }
            }
        } else {
            self.push(&digits[..1]);
            if count > 1 {
                self.push(b".");
                self.push(&digits[1..]);
            }
            self.push(b"e");
            let mut exponent_text = [0u8; 8];
            let n = write_exponent(exponent - 1, &mut exponent_text);
            self.push(&exponent_text[..n]);
        }
    }
}

/// The shortest decimal digits of a finite, non-negative `v` (no leading or trailing zeros;
/// none for zero) and the exponent `e` that makes the value 0.DIGITS × 10^e.
fn shortest_digits(v: f64) -> ([u8; 24], usize, i32) {
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(v).as_bytes();
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(at) => {
            let exponent = std::str::from_utf8(&text[at + 1..])
                .ok()
                .and_then(|e| e.trim_start_matches('+').parse::<i32>().ok())
                .unwrap_or(0);
            (&text[..at], exponent)
        }
        None => (text, 0),
    };
    let mut digits = [0u8; 24];
    let mut count = 0;
    // Digits before the point, less the leading zeros dropped.
    let mut point: i32 = 0;
    let mut before_point = true;
    for &b in mantissa {
        match b {
            b'.' => before_point = false,
            // A leading zero: after the point it moves the first digit one place down.
            b'0' if count == 0 && !before_point => point -= 1,
            b'0' if count == 0 => {}
            b'0'..=b'9' if count < digits.len() => {
                digits[count] = b;
                count += 1;
                if before_point {
                    point += 1;
                }
            }
            _ => {}
        }
    }
    while count > 0 && digits[count - 1] == b'0' {
        count -= 1;
    }
    (digits, count, point + exponent)
}

/// Writes `e` in decimal and returns its length.
fn write_exponent(e: i32, out: &mut [u8; 8]) -> usize {
    let text = e.to_string();
    out[..text.len()].copy_from_slice(text.as_bytes());
    text.len()
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

    /// What the standard library prints, the layout FormatValue had before `ValueText`.
    fn std_text(v: f64) -> String {
        if v == 0.0 || (1e-4..1e21).contains(&v.abs()) {
            format!("{v}")
        } else {
            format!("{v:e}")
        }
    }

    #[test]
    fn value_text_gives_the_standard_librarys_digits_and_layout() {
        // Random bit patterns (every exponent, subnormals), whole numbers and their
        // neighbours, powers of ten and the ends of the positional range.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut values: Vec<f64> = (0..400_000).map(|_| f64::from_bits(next())).collect();
        values.extend((0..200_000).map(|_| (next() % 2_000_000) as f64 / 1000.0 - 1000.0));
        for e in -325..=308 {
            let p = 10f64.powi(e);
            values.extend([
                p,
                -p,
                p * 1.5,
                f64::from_bits(p.to_bits() + 1),
                f64::from_bits(p.to_bits().saturating_sub(1)),
            ]);
        }
        values.extend([
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            1e-4,
            9.999_999_999_999_999e20,
            0.1 + 0.2,
        ]);
        let (mut checked, mut ties) = (0, 0);
        for v in values
            .into_iter()
            .filter(|v| v.is_finite() && !is_stale(*v))
        {
            let (ours, std) = (ValueText::new(v).as_str().to_owned(), std_text(v));
            checked += 1;
            if ours == std {
                continue;
            }
            // The one allowed difference: two shortest texts equally near the float. We take
            // the even last digit, as Go's strconv and Python's repr do; std takes the upper.
            let (a, b) = (ours.as_bytes(), std.as_bytes());
            let n = a.len();
            let tie = n == b.len()
                && a[..n - 1] == b[..n - 1]
                && a[n - 1] % 2 == 0
                && a[n - 1].abs_diff(b[n - 1]) == 1
                && ours.parse::<f64>().unwrap().to_bits() == v.to_bits()
                && std.parse::<f64>().unwrap().to_bits() == v.to_bits();
            assert!(tie, "{:#x}: ours {ours}, std {std}", v.to_bits());
            ties += 1;
        }
        assert!(checked > 500_000, "{checked}");
        assert!(ties < checked / 1000, "{ties} ties in {checked}");
        // 1658206780088562.25 exactly: .2 and .3 are equally near; Python's repr gives .2.
        let tie = f64::from_bits(0x4317_9085_685d_83c9);
        assert_eq!(ValueText::new(tie).as_str(), "1658206780088562.2");
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
