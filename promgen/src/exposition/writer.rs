//! Writing families and samples.

use crate::{
    Labels, MetricType,
    labels::{METRIC_NAME_LABEL, needs_escaping, write_escaped_label_value},
    sample::ValueText,
};

use super::{Family, Format};

/// A series' labels rendered once: `a="b",c="d"` (no braces, no `__name__`), written as they
/// are into every scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedLabels(Box<str>);

impl RenderedLabels {
    /// Renders the labels other than `__name__`, escaped.
    #[must_use]
    pub fn new(labels: &Labels) -> Self {
        let mut out = Vec::new();
        labels.write_to(&mut out);
        // Whole names and values with ASCII around them: UTF-8 still.
        Self(String::from_utf8_lossy(&out).into())
    }

    /// The rendered text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The labels of a sample line, written between its braces (no `__name__`): a
/// [`RenderedLabels`] as it is, or a [`Labels`] escaped as the line is written, which keeps
/// no second copy of each series' labels (a registry of millions writes them so).
///
/// ```
/// use promgen::{Labels, MetricType, exposition::{Format, RenderedLabels, Writer}};
/// let labels = Labels::new("up", [("job", "a\"b")])?;
/// let (mut one, mut other) = (Vec::new(), Vec::new());
/// Writer::new(&mut one, Format::Text).sample("up", MetricType::Gauge, "", &labels, None, 1.0);
/// let rendered = RenderedLabels::new(&labels);
/// Writer::new(&mut other, Format::Text).sample("up", MetricType::Gauge, "", &rendered, None, 1.0);
/// assert_eq!(one, other);
/// assert_eq!(String::from_utf8(one)?, "up{job=\"a\\\"b\"} 1\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait LineLabels {
    /// Whether there is nothing to write.
    fn is_empty(&self) -> bool;
    /// Appends `a="b",c="d"`, the values escaped.
    fn write_to(&self, out: &mut Vec<u8>);
}

impl LineLabels for RenderedLabels {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0.as_bytes());
    }
}

impl LineLabels for Labels {
    fn is_empty(&self) -> bool {
        self.iter().len() == 1
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        let mut first = true;
        for (k, v) in self.byte_pairs() {
            if k == METRIC_NAME_LABEL.as_bytes() {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(k);
            out.extend_from_slice(b"=\"");
            if needs_escaping(v) {
                // Rare: escaped as `Labels` displays them. A value is a whole `str` (its bytes
                // are cut at the lengths it was written with), so nothing here is lossy;
                // writing into a String cannot fail.
                let mut escaped = String::with_capacity(v.len() + 2);
                let _ = write_escaped_label_value(&mut escaped, &String::from_utf8_lossy(v));
                out.extend_from_slice(escaped.as_bytes());
            } else {
                out.extend_from_slice(v);
            }
            out.push(b'"');
        }
    }
}

/// Writes one scrape's worth of families into a buffer.
pub struct Writer<'a> {
    out: &'a mut Vec<u8>,
    format: Format,
}

impl<'a> Writer<'a> {
    /// A writer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>, format: Format) -> Self {
        Self { out, format }
    }

    /// The format being written.
    #[must_use]
    pub const fn format(&self) -> Format {
        self.format
    }

    /// The `# HELP` and `# TYPE` lines of a family.
    pub fn family(&mut self, name: &str, metric_type: MetricType, help: Option<&str>) {
        let family = self.family_name(name, metric_type);
        if let Some(help) = help {
            self.out.extend_from_slice(b"# HELP ");
            self.out.extend_from_slice(family.as_bytes());
            self.out.push(b' ');
            self.help_text(help);
            self.out.push(b'\n');
        }
        let type_name = match (self.format, metric_type) {
            (Format::OpenMetrics, MetricType::Untyped) => "unknown",
            (_, t) => t.as_str(),
        };
        self.out.extend_from_slice(b"# TYPE ");
        self.out.extend_from_slice(family.as_bytes());
        self.out.push(b' ');
        self.out.extend_from_slice(type_name.as_bytes());
        self.out.push(b'\n');
    }

    /// The family name: in OpenMetrics a counter's family has no `_total`.
    fn family_name<'n>(&self, name: &'n str, metric_type: MetricType) -> &'n str {
        match self.format {
            Format::OpenMetrics => Family::new(name, metric_type).openmetrics_name(),
            Format::Text => name,
        }
    }

    /// HELP text escaped: `\\` and newlines in both formats, `"` too in OpenMetrics.
    fn help_text(&mut self, help: &str) {
        for c in help.chars() {
            match c {
                '\\' => self.out.extend_from_slice(b"\\\\"),
                '\n' => self.out.extend_from_slice(b"\\n"),
                '"' if self.format == Format::OpenMetrics => self.out.extend_from_slice(b"\\\""),
                c => {
                    let mut buf = [0; 4];
                    self.out
                        .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
    }

    /// One sample line: `name{labels,extra} value`. `name` is the family's metric name;
    /// `suffix` is appended (`_bucket`, `_sum`, `_count`), and for an OpenMetrics counter
    /// the sample is named `…_total`. `extra` is an additional label (`le`, `quantile`).
    pub fn sample(
        &mut self,
        name: &str,
        metric_type: MetricType,
        suffix: &str,
        labels: &(impl LineLabels + ?Sized),
        extra: Option<(&str, f64)>,
        value: f64,
    ) {
        self.line(name, metric_type, suffix, labels, extra, value, None);
    }

    /// As [`Writer::sample`], with a timestamp after the value: milliseconds in the text
    /// format, seconds in OpenMetrics (see [`openmetrics_timestamp`]).
    #[allow(clippy::too_many_arguments)] // one line's parts, as `sample` takes them
    pub fn sample_at(
        &mut self,
        name: &str,
        metric_type: MetricType,
        suffix: &str,
        labels: &(impl LineLabels + ?Sized),
        extra: Option<(&str, f64)>,
        value: f64,
        timestamp_ms: i64,
    ) {
        self.line(
            name,
            metric_type,
            suffix,
            labels,
            extra,
            value,
            Some(timestamp_ms),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        name: &str,
        metric_type: MetricType,
        suffix: &str,
        labels: &(impl LineLabels + ?Sized),
        extra: Option<(&str, f64)>,
        value: f64,
        timestamp_ms: Option<i64>,
    ) {
        let family = self.family_name(name, metric_type);
        self.out.extend_from_slice(family.as_bytes());
        self.out.extend_from_slice(suffix.as_bytes());
        if self.format == Format::OpenMetrics
            && metric_type == MetricType::Counter
            && suffix.is_empty()
        {
            self.out.extend_from_slice(b"_total");
        }
        let has_labels = !labels.is_empty();
        if has_labels || extra.is_some() {
            self.out.push(b'{');
            labels.write_to(self.out);
            if let Some((key, bound)) = extra {
                if has_labels {
                    self.out.push(b',');
                }
                self.out.extend_from_slice(key.as_bytes());
                self.out.extend_from_slice(b"=\"");
                self.value(bound);
                self.out.push(b'"');
            }
            self.out.push(b'}');
        }
        self.out.push(b' ');
        self.value(value);
        if let Some(ms) = timestamp_ms {
            self.out.push(b' ');
            match self.format {
                Format::Text => self.out.extend_from_slice(ms.to_string().as_bytes()),
                Format::OpenMetrics => self
                    .out
                    .extend_from_slice(openmetrics_timestamp(ms).as_bytes()),
            }
        }
        self.out.push(b'\n');
    }

    fn value(&mut self, v: f64) {
        // A whole number (a counter's, most gauges', a bucket bound) is written as the integer
        // `FormatValue` writes for it, without the float formatting, which was most of a
        // sample's cost. Below 10^15 every integer is exact; -0 keeps its sign the slow way.
        // (`fract` would call libm's `trunc`: SSE2 has no rounding instruction.)
        if v.abs() < 1e15 && (v as i64) as f64 == v && !(v == 0.0 && v.is_sign_negative()) {
            // In range and whole: the conversion is exact.
            push_integer(self.out, v as i64);
            return;
        }
        self.out.extend_from_slice(ValueText::new(v).as_bytes());
    }

    /// Ends the exposition (`# EOF` in OpenMetrics).
    pub fn finish(self) {
        if self.format == Format::OpenMetrics {
            self.out.extend_from_slice(b"# EOF\n");
        }
    }
}

/// An OpenMetrics timestamp (seconds) that Prometheus's parser turns back into exactly
/// `ms`. It parses the seconds as a float and truncates `seconds * 1000`, which at some
/// magnitudes (seconds from 2^30 to about 1.0995e9, in 2004, and again from 2^31, in 2038)
/// loses a millisecond for some fractions; where the plain decimal would, the next float up
/// is written instead.
///
/// ```
/// use promgen::exposition::openmetrics_timestamp;
/// assert_eq!(openmetrics_timestamp(1_700_000_000_000), "1700000000.000");
/// assert_eq!(openmetrics_timestamp(-1), "-0.001");
/// for ms in [1_700_000_000_015_i64, 1_732_530_123_457, 9] {
///     let back = (openmetrics_timestamp(ms).parse::<f64>().unwrap() * 1000.0) as i64;
///     assert_eq!(back, ms);
/// }
/// ```
#[must_use]
pub fn openmetrics_timestamp(ms: i64) -> String {
    let (secs, frac) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let plain = if secs < 0 && frac != 0 {
        // -0.001 s is written as "-0.001", not "-1.999".
        let m = -ms;
        format!("-{}.{:03}", m / 1000, m % 1000)
    } else {
        format!("{secs}.{frac:03}")
    };
    let truncated = |x: f64| (x * 1000.0) as i64;
    let x: f64 = plain.parse().unwrap_or(0.0);
    if truncated(x) == ms {
        return plain;
    }
    // Truncation rounds toward zero, so step away from zero by one ulp.
    let nudged = f64::from_bits(x.to_bits() + 1);
    if truncated(nudged) == ms {
        format!("{nudged}")
    } else {
        plain
    }
}

/// Appends `n` in decimal.
fn push_integer(out: &mut Vec<u8>, n: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        // A digit: under 10.
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        at -= 1;
        digits[at] = b'-';
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FormatValue;

    fn render(format: Format, f: impl FnOnce(&mut Writer<'_>)) -> String {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, format);
        f(&mut w);
        w.finish();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn labels_are_escaped_as_their_display_escapes_them() {
        let values = [
            "plain",
            "a\\b",
            "say \"hi\"",
            "two\nlines",
            "ü\"€\\🙂\n",
            "\\\\\"\"\n\n",
        ];
        for v in values {
            let labels = Labels::new("m", [("k", v), ("a", "1")]).unwrap();
            let mut out = Vec::new();
            labels.write_to(&mut out);
            let shown = labels.to_string();
            let inside = &shown[shown.find('{').unwrap() + 1..shown.len() - 1];
            assert_eq!(String::from_utf8(out).unwrap(), inside, "{v:?}");
        }
    }

    #[test]
    fn whole_numbers_are_written_as_format_value_writes_them() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            7.0,
            10.0,
            42.0,
            -300.0,
            1e14,
            999_999_999_999_999.0,
            -999_999_999_999_999.0,
            1e15,
            -1e15,
            1e16,
            4_503_599_627_370_496.0,
            0.5,
            -2.5,
            1e-5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        // Whole numbers of every length, and their neighbours just off whole.
        let mut n = 1.0_f64;
        while n < 1e17 {
            for v in [n, n + 1.0, n * 3.0 - 1.0, -n, n + 0.25] {
                values.push(v);
            }
            n *= 7.0;
        }
        for v in values {
            let mut out = Vec::new();
            let mut w = Writer::new(&mut out, Format::Text);
            w.value(v);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                FormatValue(v).to_string(),
                "{v:?}"
            );
        }
    }

    #[test]
    fn openmetrics_timestamps_come_back_exact() {
        // Every millisecond over 200 s around now, and around the epoch, both signs.
        let spans = [1_764_000_000_000..1_764_000_200_000, -100_000..100_000];
        for ms in spans.into_iter().flatten() {
            let text = openmetrics_timestamp(ms);
            let back = (text.parse::<f64>().unwrap() * 1000.0) as i64;
            assert_eq!(back, ms, "{text}");
        }
    }

    #[test]
    fn text_and_openmetrics_counters() {
        let labels = RenderedLabels::new(
            &Labels::new("http_requests_total", [("path", "/a\"b\\c\nd")]).unwrap(),
        );
        let write = |w: &mut Writer<'_>| {
            w.family(
                "http_requests_total",
                MetricType::Counter,
                Some("Requests \"served\"\nback\\slash"),
            );
            w.sample(
                "http_requests_total",
                MetricType::Counter,
                "",
                &labels,
                None,
                1.5,
            );
        };
        assert_eq!(
            render(Format::Text, write),
            "# HELP http_requests_total Requests \"served\"\\nback\\\\slash\n# TYPE http_requests_total counter\nhttp_requests_total{path=\"/a\\\"b\\\\c\\nd\"} 1.5\n"
        );
        assert_eq!(
            render(Format::OpenMetrics, write),
            "# HELP http_requests Requests \\\"served\\\"\\nback\\\\slash\n# TYPE http_requests counter\nhttp_requests_total{path=\"/a\\\"b\\\\c\\nd\"} 1.5\n# EOF\n"
        );
    }

    #[test]
    fn histograms_special_values_and_untyped() {
        let none = RenderedLabels::default();
        let one = RenderedLabels::new(&Labels::new("h", [("a", "b")]).unwrap());
        let text = render(Format::Text, |w| {
            w.family("h", MetricType::Histogram, None);
            w.sample(
                "h",
                MetricType::Histogram,
                "_bucket",
                &none,
                Some(("le", 0.25)),
                3.0,
            );
            w.sample(
                "h",
                MetricType::Histogram,
                "_bucket",
                &one,
                Some(("le", f64::INFINITY)),
                4.0,
            );
            w.sample("h", MetricType::Histogram, "_sum", &one, None, f64::NAN);
            w.family("u", MetricType::Untyped, None);
            w.sample("u", MetricType::Untyped, "", &none, None, f64::NEG_INFINITY);
        });
        assert_eq!(
            text,
            "# TYPE h histogram\nh_bucket{le=\"0.25\"} 3\nh_bucket{a=\"b\",le=\"+Inf\"} 4\nh_sum{a=\"b\"} NaN\n# TYPE u untyped\nu -Inf\n"
        );
        let om = render(Format::OpenMetrics, |w| {
            w.family("u", MetricType::Untyped, None)
        });
        assert_eq!(om, "# TYPE u unknown\n# EOF\n");
    }
}
