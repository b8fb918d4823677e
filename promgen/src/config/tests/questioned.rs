//! What `check` questions instead of accepting: bounds out of order or repeated, and a
//! duplicate series whose other copy has errors of its own (every error at once).

use super::{NOW, errors};
use crate::config::Config;

#[test]
fn bucket_bounds_out_of_order_or_repeated_are_errors() {
    let yaml = "metrics:\n  - name: h\n    type: histogram\n    buckets: [0.5, 0.1, 1, 1]\n    timeseries:\n      - observations: '0.2'\n";
    assert_eq!(
        errors(yaml),
        [
            "t.yaml:4:20: metrics[0].buckets[1]: 0.1 is below the bound before it (0.5): bounds must increase",
            "t.yaml:4:28: metrics[0].buckets[3]: 1 repeats buckets[2]",
        ]
    );
    // Every bad item, also after one that is no number at all.
    let yaml = "metrics:\n  - name: h\n    type: histogram\n    buckets: [x, 2, 1, .inf]\n    timeseries:\n      - observations: '0.2'\n";
    assert_eq!(
        errors(yaml),
        [
            "t.yaml:4:15: metrics[0].buckets[0]: expected a number, found \"x\"",
            "t.yaml:4:21: metrics[0].buckets[2]: 1 is below the bound before it (2): bounds must increase",
            "t.yaml:4:24: metrics[0].buckets[3]: a bucket must be a finite number (+Inf is always added)",
        ]
    );
}

#[test]
fn summary_objectives_out_of_order_or_repeated_are_errors() {
    let yaml = "metrics:\n  - name: s\n    type: summary\n    objectives: [0.9, 0.5, 0.5, 2]\n    timeseries:\n      - observations: '0.2'\n";
    assert_eq!(
        errors(yaml),
        [
            "t.yaml:4:23: metrics[0].objectives[1]: 0.5 is below the objective before it (0.9): objectives must increase",
            "t.yaml:4:28: metrics[0].objectives[2]: 0.5 repeats objectives[1]",
            "t.yaml:4:33: metrics[0].objectives[3]: an objective must be between 0 and 1",
        ]
    );
}

#[test]
fn the_control_api_refuses_the_same_bounds() {
    let body =
        r#"{"name": "h", "type": "histogram", "buckets": [0.5, 0.1, 1, 1], "observations": "0.2"}"#;
    let err = Config::parse_api_series(body).unwrap_err();
    let found: Vec<(&str, &str)> = err
        .errors()
        .iter()
        .map(|e| (e.path.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "buckets[1]",
                "0.1 is below the bound before it (0.5): bounds must increase"
            ),
            ("buckets[3]", "1 repeats buckets[2]"),
        ]
    );
    let body =
        r#"{"name": "s", "type": "summary", "objectives": [0.99, 0.5], "observations": "0.2"}"#;
    let err = Config::parse_api_series(body).unwrap_err();
    assert_eq!(err.errors()[0].path.as_str(), "objectives[1]");
}

#[test]
fn a_duplicate_series_is_reported_beside_the_errors_of_either_copy() {
    // The second copy has an error of its own.
    let yaml = "metrics:\n  - name: m\n    timeseries:\n      - labels: {a: b}\n        values: '1'\n      - labels: {a: b}\n        data: [{Void: {count: 0}}]\n";
    assert_eq!(
        errors(yaml),
        [
            "t.yaml:6:9: metrics[0].timeseries[1]: duplicate series m{a=\"b\"}: already defined on line 4",
            "t.yaml:7:31: metrics[0].timeseries[1].data[0].Void.count: must be > 0",
        ]
    );
    // The first copy has one.
    let yaml = "metrics:\n  - name: m\n    timeseries:\n      - labels: {a: b}\n        values: '1x'\n      - labels: {a: b}\n        values: '2'\n";
    assert_eq!(
        errors(yaml),
        [
            "t.yaml:5:20: metrics[0].timeseries[0].values: invalid promtool notation at column 3: expected a repetition count after `x`, found the end",
            "t.yaml:6:9: metrics[0].timeseries[1]: duplicate series m{a=\"b\"}: already defined on line 4",
        ]
    );
}

#[test]
fn a_metric_declared_twice_is_reported_beside_the_errors_of_either_entry() {
    let yaml = "metrics:\n  - name: m\n    type: bogus\n    timeseries:\n      - labels: {a: b}\n        values: '1'\n  - name: m\n    timeseries:\n      - labels: {a: b}\n        values: '2'\n";
    let found = errors(yaml);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].starts_with("t.yaml:3:11: metrics[0].type: "),
        "{found:#?}"
    );
    assert_eq!(
        found[1..],
        [
            "t.yaml:7:5: metrics[1].name: metric `m` is already declared on line 2; put all its series under one entry",
            "t.yaml:9:9: metrics[1].timeseries[0]: duplicate series m{a=\"b\"}: already defined on line 5",
        ]
    );
}

#[test]
fn an_invalid_metric_name_claims_no_series() {
    // Both entries fall back to a placeholder name while their other errors are collected;
    // that must not make their series look like duplicates of each other.
    let yaml = "metrics:\n  - name: 5m\n    timeseries: [{values: '1'}]\n  - name: 6m\n    timeseries: [{values: '1'}]\n";
    let found = errors(yaml);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().all(|e| e.contains("invalid metric name")));
    assert!(Config::parse_at(yaml, "t.yaml", NOW).is_err());
}
