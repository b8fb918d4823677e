//! Names a family takes once exposed: a second family writing one of them, and a series
//! label its family's samples carry themselves, are refused with both places named.

use super::{errors, parse};

#[test]
fn a_family_beside_a_histogram_s_buckets_is_refused_naming_both() {
    let yaml = "metrics:\n  - name: hcoll\n    type: histogram\n    timeseries:\n      - observations: '0.5'\n  - name: hcoll_bucket\n    timeseries:\n      - labels: {le: '1'}\n        values: '1'\n";
    assert_eq!(
        errors(yaml),
        [
            "t.yaml:6:11: metrics[1].name: metric `hcoll_bucket` clashes with metric `hcoll` at t.yaml:2:11 (metrics[0].name): `hcoll_bucket` is both the buckets of the histogram `hcoll` and the name of the gauge `hcoll_bucket`; rename one of them"
        ]
    );
}

#[test]
fn counters_that_are_one_openmetrics_family_are_refused() {
    let yaml = "metrics:\n  - name: ccoll_total\n    type: counter\n    timeseries:\n      - values: '1'\n  - name: ccoll\n    type: counter\n    timeseries:\n      - values: '1'\n";
    let e = errors(yaml);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].starts_with("t.yaml:6:11: metrics[1].name: metric `ccoll` clashes with metric `ccoll_total` at t.yaml:2:11 (metrics[0].name): "),
        "{e:#?}"
    );
    // Reserved in OpenMetrics only, refused all the same: every format is served.
    let created = "metrics:\n  - name: s\n    type: summary\n    timeseries:\n      - observations: '1'\n  - name: s_created\n    timeseries:\n      - values: '1'\n";
    assert!(errors(created)[0].contains("the OpenMetrics created timestamp of the summary `s`"));
}

#[test]
fn names_that_only_look_alike_load() {
    let yaml = "metrics:\n  - name: h\n    type: histogram\n    timeseries:\n      - observations: '0.5'\n  - name: h_seconds\n    timeseries:\n      - values: '1'\n  - name: g\n    timeseries:\n      - values: '1'\n  - name: g_bucket\n    timeseries:\n      - labels: {le: '1'}\n        values: '1'\n  - name: g_total\n    timeseries:\n      - values: '1'\n";
    assert_eq!(parse(yaml).metrics.len(), 5);
}

#[test]
fn le_on_a_histogram_and_quantile_on_a_summary_are_refused() {
    let yaml = "metrics:\n  - name: hle\n    type: histogram\n    timeseries:\n      - labels: {path: /a, le: '0.1'}\n        observations: '0.5'\n";
    assert_eq!(
        errors(yaml),
        [
            "t.yaml:5:28: metrics[0].timeseries[0].labels.le: label `le` is reserved in a histogram: its buckets carry `le` themselves, so the series would have it twice and Prometheus would refuse the whole scrape; rename the label"
        ]
    );
    let declared = "metrics:\n  - name: s\n    type: summary\n    labels: [quantile]\n    timeseries:\n      - labels: {quantile: '1'}\n        observations: '1'\n";
    let e = errors(declared);
    assert!(
        e[0].starts_with(
            "t.yaml:4:14: metrics[0].labels[0]: label `quantile` is reserved in a summary"
        ),
        "{e:#?}"
    );
    // A gauge may carry either.
    parse(
        "metrics:\n  - name: g\n    timeseries:\n      - labels: {le: '1', quantile: '2'}\n        values: '1'\n",
    );
}

#[test]
fn the_control_api_body_refuses_a_reserved_label_by_field() {
    let e = crate::config::Config::parse_api_series(
        r#"{"name": "hle", "type": "histogram", "labels": {"le": "0.1"}, "observations": "0.5"}"#,
    )
    .unwrap_err();
    assert_eq!(e.errors()[0].path.as_str(), "labels.le");
}
