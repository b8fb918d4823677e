//! Issue #12 in configs: a series nested deeper than 64 levels or holding more than 10 000
//! shapes is refused where it goes past, in `series:` and `observations:` text as in segments,
//! never by the stack; a number past the largest float is refused everywhere, not read as
//! infinity.

use super::{NOW, errors, parse, values};
use crate::config::Config;

/// A config with one series whose shape key is `key: value` (block style).
fn series(metric_type: &str, key: &str, value: &str) -> String {
    let extra = if metric_type == "histogram" {
        "    buckets: [1]\n"
    } else {
        ""
    };
    format!(
        "metrics:\n  - name: m\n    type: {metric_type}\n{extra}    timeseries:\n      - {key}: {value}\n"
    )
}

/// `levels` segments, each a `Loop` (or an `Abs`) holding the next as a mapping, around one
/// `CustomValues`, in block style: one line a level.
fn nested_segments(levels: usize) -> String {
    let mut yaml = String::from("metrics:\n  - name: m\n    timeseries:\n      - data:\n");
    let mut indent = 10;
    for i in 0..levels - 1 {
        let pad = " ".repeat(indent);
        if i % 2 == 0 {
            yaml.push_str(&format!("{pad}Loop:\n{pad}  count: 1\n{pad}  data:\n"));
        } else {
            yaml.push_str(&format!("{pad}Abs:\n{pad}  data:\n"));
        }
        indent += 4;
    }
    let pad = " ".repeat(indent);
    yaml.push_str(&format!("{pad}CustomValues: {{values: [1, 2]}}\n"));
    yaml
}

#[test]
fn deep_series_text_is_a_located_error() {
    // 412 parentheses killed `serve`; 5 000 killed `check`.
    for n in [412, 5_000] {
        let text = format!("'{}1{}'", "(".repeat(n), ")".repeat(n));
        assert_eq!(
            errors(&series("gauge", "series", &text)),
            // the value starts at column 17: its 65th character, past the quote, is at 82
            [
                "t.yaml:5:82: metrics[0].timeseries[0].series: invalid series expression at 1:65: nested deeper than 64 levels"
            ]
        );
        assert_eq!(
            errors(&series("histogram", "observations", &text)),
            [
                "t.yaml:6:88: metrics[0].timeseries[0].observations: invalid series expression at 1:65: nested deeper than 64 levels"
            ]
        );
    }
    let minus = format!("'{}1'", "-".repeat(20_000));
    assert_eq!(
        errors(&series("gauge", "series", &minus)),
        [
            "t.yaml:5:82: metrics[0].timeseries[0].series: invalid series expression at 1:65: nested deeper than 64 levels"
        ]
    );
    let within = format!("'{}1{}'", "(".repeat(64), ")".repeat(64));
    assert_eq!(
        values(&parse(&series("gauge", "series", &within)), 2),
        ["1", "1"]
    );
}

#[test]
fn long_series_text_works_up_to_the_size_limit() {
    let sum = format!("'{}'", vec!["1"; 10_000].join(" + "));
    assert_eq!(
        values(&parse(&series("counter", "series", &sum)), 2),
        ["10000", "10000"]
    );
    let too_long = format!("'{}'", vec!["1"; 10_001].join(" + "));
    assert_eq!(
        errors(&series("gauge", "series", &too_long)),
        [
            "t.yaml:5:40018: metrics[0].timeseries[0].series: invalid series expression at 1:40001: more than 10000 shapes in one series"
        ]
    );
    // A chain is checked whole against the counter rules, in a loop.
    let negative = format!("'{} - 10000'", vec!["1"; 9_999].join(" + "));
    assert_eq!(
        errors(&series("counter", "series", &negative)),
        [
            "t.yaml:5:17: metrics[0].timeseries[0].series: counter values must not be negative or NaN, and this can be negative (as low as -1); clamp it or make the metric a gauge"
        ]
    );
}

#[test]
fn segments_nest_64_levels_deep_at_most() {
    let config = parse(&nested_segments(64));
    assert_eq!(values(&config, 3), ["1", "2"]);
    let errs = errors(&nested_segments(65));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    // The 65th level, where it stands: the innermost segment, after four lines of header and
    // 32 `Loop`s of three lines and 32 `Abs` of two, indented four columns a level.
    let (line, column) = (4 + 32 * 3 + 32 * 2 + 1, 10 + 64 * 4 + 1);
    assert!(
        errs[0].starts_with(&format!(
            "t.yaml:{line}:{column}: metrics[0].timeseries[0].data.Loop.data.Abs.data."
        )),
        "{}",
        errs[0]
    );
    assert!(
        errs[0].ends_with(": nested deeper than 64 levels"),
        "{}",
        errs[0]
    );
    // Lists are levels too, as `>>` is in the DSL.
    let mut listed = String::from("metrics:\n  - name: m\n    timeseries:\n      - data: ");
    listed.push_str(&"[{Abs: {data: ".repeat(33));
    listed.push_str("{CustomValues: {values: [1]}}");
    listed.push_str(&"}}]".repeat(33));
    listed.push('\n');
    assert!(
        errors(&listed)[0].ends_with("nested deeper than 64 levels"),
        "{:?}",
        errors(&listed)
    );
}

#[test]
fn segments_hold_10000_shapes_at_most_per_series() {
    let list = |n: usize| format!("[{}]", vec!["{Void: {count: 1}}"; n].join(", "));
    let two = format!(
        "metrics:\n  - name: m\n    labels: [i]\n    timeseries:\n      - labels: {{i: a}}\n        data: {}\n      - labels: {{i: b}}\n        data: {}\n",
        list(10_000),
        list(10_000)
    );
    assert!(
        Config::parse_at(&two, "t.yaml", NOW).is_ok(),
        "each series counts its own"
    );
    let errs = errors(&series("gauge", "data", &list(10_003)));
    assert_eq!(
        errs,
        [format!(
            "t.yaml:5:{}: metrics[0].timeseries[0].data[10000]: more than 10000 shapes in one series",
            16 + 20 * 10_000
        )]
    );
    // Operands that are numbers count too.
    let sums = format!("[{}]", vec!["{Add: [1, 2]}"; 3_334].join(", "));
    assert!(
        errors(&series("gauge", "data", &sums))[0]
            .ends_with("more than 10000 shapes in one series")
    );
}

#[test]
fn numbers_past_a_float_are_refused_everywhere() {
    let refused = "the number 1e400 is out of range: a value is a 64-bit float, at most about 1.8e308 (.inf is infinity)";
    assert_eq!(
        errors(&series("gauge", "data", "{Constant: {value: 1e400}}")),
        [format!(
            "t.yaml:5:34: metrics[0].timeseries[0].data.Constant.value: {refused}"
        )]
    );
    assert_eq!(
        errors(&series(
            "gauge",
            "data",
            "{CustomValues: {values: [1, -1e400]}}"
        )),
        [format!(
            "t.yaml:5:43: metrics[0].timeseries[0].data.CustomValues.values[1]: {}",
            refused.replace("1e400", "-1e400")
        )]
    );
    assert_eq!(
        errors(&series("gauge", "data", "{Add: [1e400, 1]}")),
        [format!(
            "t.yaml:5:22: metrics[0].timeseries[0].data.Add[0]: {refused}"
        )]
    );
    assert_eq!(
        errors(&series("gauge", "values", "'1 1e400'")),
        [
            "t.yaml:5:20: metrics[0].timeseries[0].values: invalid promtool notation at column 3: bad number \"1e400\": value out of range"
        ]
    );
    assert_eq!(
        errors(&series("gauge", "series", "'[1e400]'")),
        [
            "t.yaml:5:19: metrics[0].timeseries[0].series: invalid series expression at 1:2: the number 1e400 is out of range: a value is a 64-bit float, at most about 1.8e308"
        ]
    );
    // Infinity written as such is a value, and a count is whole however it is written.
    let config = parse(&series(
        "gauge",
        "data",
        "[{Constant: {value: .inf, iterationCount: 1}}, {Hold: {count: 2e0, data: {CustomValues: {values: [1]}}}}]",
    ));
    assert_eq!(values(&config, 4), ["+Inf", "1", "1"]);
}
