//! promtool's words: how `cmd/promtool/unittest.go` (2.42) prints what it compares, so that a
//! failure reads exactly as promtool's would (people recognise it, and the differential test
//! compares it byte for byte).

use crate::state::LabelMap;
use promgen::time::Duration as PromDuration;
use std::{cmp::Ordering, fmt::Write as _};

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Prometheus's `labels.Labels.String()`: `{a="1", b="2"}`.
pub(crate) fn labels_string(labels: &LabelMap) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&go_quote(v));
    }
    out.push('}');
    out
}

/// Prometheus's `labels.Compare`: label by label, name then value, then the shorter first.
pub(crate) fn compare_labels(a: &LabelMap, b: &LabelMap) -> Ordering {
    for ((an, av), (bn, bv)) in a.iter().zip(b) {
        match an.cmp(bn).then_with(|| av.cmp(bv)) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    a.len().cmp(&b.len())
}

/// Go's `strconv.FormatFloat(v, 'E', -1, 64)`: `1E+00`, `2.5E-01`, `NaN`, `+Inf`.
pub(crate) fn go_float_e(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    // Rust's `{:E}` is the shortest round trip too, with a bare exponent: `2.5E-1`.
    let rust = format!("{v:E}");
    let (mantissa, exponent) = rust.split_once('E').expect("{:E} has an exponent");
    let exponent: i32 = exponent.parse().expect("an integer exponent");
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}E{sign}{:02}", exponent.unsigned_abs())
}

/// Go's `time.Duration.String()` for whole milliseconds: `0s`, `500ms`, `1m0s`, `1h2m3.5s`.
pub(crate) fn go_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    if ms < 1000 {
        return format!("{sign}{ms}ms");
    }
    let (h, m) = (ms / 3_600_000, ms / 60_000 % 60);
    let (s, frac) = (ms / 1000 % 60, ms % 1000);
    let seconds = if frac == 0 {
        s.to_string()
    } else {
        format!("{s}.{frac:03}").trim_end_matches('0').to_owned()
    };
    match (h, m) {
        (0, 0) => format!("{sign}{seconds}s"),
        (0, m) => format!("{sign}{m}m{seconds}s"),
        (h, m) => format!("{sign}{h}h{m}m{seconds}s"),
    }
}

/// Prometheus's `model.Duration.String()`: `1m30s`, `0s`, `1d`.
pub(crate) fn model_duration(ms: i64) -> String {
    PromDuration(ms).to_string()
}

/// An alert as promtool lists it: its labels and annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedAlert {
    pub(crate) labels: LabelMap,
    pub(crate) annotations: LabelMap,
}

/// Sorts alerts as promtool does (labels, then annotations).
pub(crate) fn sort_alerts(alerts: &mut [ListedAlert]) {
    alerts.sort_by(|a, b| {
        compare_labels(&a.labels, &b.labels)
            .then_with(|| compare_labels(&a.annotations, &b.annotations))
    });
}

/// `labelsAndAnnotations.String()`.
fn alerts_string(alerts: &[ListedAlert]) -> String {
    if alerts.is_empty() {
        return "[]".into();
    }
    let one = |a: &ListedAlert| {
        format!(
            "Labels:{}\nAnnotations:{}",
            labels_string(&a.labels),
            labels_string(&a.annotations)
        )
    };
    let mut s = format!(
        "[\n0:{}",
        indent_lines(&format!("\n{}", one(&alerts[0])), "  ")
    );
    for (i, a) in alerts[1..].iter().enumerate() {
        let _ = write!(
            s,
            ",\n{}:{}",
            i + 1,
            indent_lines(&format!("\n{}", one(a)), "  ")
        );
    }
    s.push_str("\n]");
    s
}

/// promtool's `indentLines`: every line but the first prefixed with `indent`.
fn indent_lines(lines: &str, indent: &str) -> String {
    let parts: Vec<&str> = lines.split('\n').collect();
    let mut out = String::new();
    for (i, l) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(indent);
        }
        out.push_str(l);
        if i != parts.len() - 1 {
            out.push('\n');
        }
    }
    out
}

/// The line promtool starts an alert failure with when the test group has a name.
fn name_line(test_name: &str) -> String {
    if test_name.is_empty() {
        String::new()
    } else {
        format!("    name: {test_name},\n")
    }
}

/// The failure of an `alert_rule_test`: expected and got, both sorted.
pub(crate) fn alert_mismatch(
    test_name: &str,
    alertname: &str,
    eval_time_ms: i64,
    expected: &[ListedAlert],
    got: &[ListedAlert],
) -> String {
    let name = name_line(test_name);
    format!(
        "{name}    alertname: {alertname}, time: {}, \n        exp:{}, \n        got:{}",
        model_duration(eval_time_ms),
        indent_lines(&alerts_string(expected), "            "),
        indent_lines(&alerts_string(got), "            ")
    )
}

/// The failure of an `alert_rule_test` as a line diff of expected (`-`) and got (`+`), for
/// `--diff`: what differs stands out in long alert lists.
pub(crate) fn alert_diff(
    test_name: &str,
    alertname: &str,
    eval_time_ms: i64,
    expected: &[ListedAlert],
    got: &[ListedAlert],
) -> String {
    let name = name_line(test_name);
    let (exp, got) = (alerts_string(expected), alerts_string(got));
    let mut diff = String::new();
    for change in similar::TextDiff::from_lines(&exp, &got).iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
            similar::ChangeTag::Equal => ' ',
        };
        let _ = write!(
            diff,
            "\n            {sign} {}",
            change.value().trim_end_matches('\n')
        );
    }
    format!(
        "{name}    alertname: {alertname}, time: {}, \n        diff (- expected, + got):{diff}",
        model_duration(eval_time_ms)
    )
}

/// A sample as promtool prints it: `{__name__="up", job="a"} 1E+00`.
fn sample_string(labels: &LabelMap, value: f64) -> String {
    format!("{} {}", labels_string(labels), go_float_e(value))
}

/// `parsedSamplesString`: `nil`, or the samples joined with `, `.
pub(crate) fn samples_string(samples: &[(LabelMap, f64)]) -> String {
    if samples.is_empty() {
        return "nil".into();
    }
    samples
        .iter()
        .map(|(l, v)| sample_string(l, *v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The failure of a `promql_expr_test` whose result differs.
pub(crate) fn samples_mismatch(
    expr: &str,
    eval_time_ms: i64,
    expected: &[(LabelMap, f64)],
    got: &[(LabelMap, f64)],
) -> String {
    format!(
        "    expr: {}, time: {},\n        exp: {}\n        got: {}",
        go_quote(expr),
        model_duration(eval_time_ms),
        samples_string(expected),
        samples_string(got)
    )
}

/// The failure of a `promql_expr_test` that could not run (or whose expected labels do not
/// parse).
pub(crate) fn query_error(expr: &str, eval_time_ms: i64, error: &str) -> String {
    format!(
        "    expr: {}, time: {}, err: {error}",
        go_quote(expr),
        model_duration(eval_time_ms)
    )
}

/// A rule that failed at an evaluation: promtool stops the test there.
pub(crate) fn rule_error(rule: &str, ts_ms: i64, error: &str) -> String {
    format!(
        "    rule: {rule}, time: {}, err: {error}",
        go_duration(ts_ms)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn floats_print_as_go_formats_them_with_e() {
        for (v, want) in [
            (1.0, "1E+00"),
            (0.25, "2.5E-01"),
            (1234.5, "1.2345E+03"),
            (1e-300, "1E-300"),
            (-0.0, "-0E+00"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Inf"),
        ] {
            assert_eq!(go_float_e(v), want);
        }
    }

    #[test]
    fn durations_print_as_go_and_prometheus_do() {
        for (ms, want) in [
            (0, "0s"),
            (500, "500ms"),
            (60_000, "1m0s"),
            (90_500, "1m30.5s"),
            (7_200_000, "2h0m0s"),
        ] {
            assert_eq!(go_duration(ms), want);
        }
        assert_eq!(model_duration(90_000), "1m30s");
    }

    #[test]
    fn an_alert_mismatch_reads_as_promtools() {
        let exp = [ListedAlert {
            labels: labels(&[("alertname", "A"), ("sev", "low")]),
            annotations: LabelMap::new(),
        }];
        // What promtool 2.42 printed for this case.
        assert_eq!(
            alert_mismatch("", "A", 0, &exp, &[]),
            "    alertname: A, time: 0s, \n        exp:[\n            0:\n              Labels:{alertname=\"A\", sev=\"low\"}\n              Annotations:{}\n            ], \n        got:[]"
        );
        let got = [(labels(&[("__name__", "x")]), 1.0)];
        let exp = [(labels(&[("__name__", "x")]), 5.0)];
        assert_eq!(
            samples_mismatch("x", 180_000, &exp, &got),
            "    expr: \"x\", time: 3m,\n        exp: {__name__=\"x\"} 5E+00\n        got: {__name__=\"x\"} 1E+00"
        );
    }

    #[test]
    fn a_diff_shows_what_differs() {
        let alert = |sev: &str| ListedAlert {
            labels: labels(&[("alertname", "A"), ("sev", sev)]),
            annotations: LabelMap::new(),
        };
        let diff = alert_diff("t", "A", 60_000, &[alert("page")], &[alert("ticket")]);
        assert!(
            diff.starts_with("    name: t,\n    alertname: A, time: 1m, \n"),
            "{diff}"
        );
        assert!(
            diff.contains("\n            -   Labels:{alertname=\"A\", sev=\"page\"}"),
            "{diff}"
        );
        assert!(
            diff.contains("\n            +   Labels:{alertname=\"A\", sev=\"ticket\"}"),
            "{diff}"
        );
        assert!(diff.contains("\n                Annotations:{}"), "{diff}");
    }

    #[test]
    fn labels_compare_as_prometheus_compares_them() {
        let a = labels(&[("a", "1")]);
        let ab = labels(&[("a", "1"), ("b", "1")]);
        let b = labels(&[("b", "0")]);
        assert_eq!(compare_labels(&a, &ab), Ordering::Less);
        assert_eq!(compare_labels(&ab, &b), Ordering::Less);
        assert_eq!(go_quote("a\"b\n\u{1}é"), "\"a\\\"b\\n\\x01é\"");
    }
}
