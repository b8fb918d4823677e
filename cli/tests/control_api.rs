//! The control API lists each series in a form a user can read and post back (issue #11 item
//! 11): `shape` is the text the shape was created from (the DSL, the notation, or the
//! segments as JSON), and `definition` the body that recreates the series. Posting every
//! listed definition into an empty server gives the same scrapes, sample for sample.

mod support;

use promgen::{config::Config, server::Server};
use serde_json::{Value, json};
use support::{agent, call, runtime, scrape};

/// Series from a YAML file, in block style: segments, notation with an end strategy, a
/// histogram whose observations are segments.
const CONFIG: &str = r#"
metrics:
  - name: api_requests_total
    help: From the config, in segments.
    type: counter
    labels: [code]
    timeseries:
      - labels: {code: "200"}
        endStrategy: loop
        data:
          Cumsum:
            data:
              - Random: {iterationCount: 5, min: 0, max: 2}
      - labels: {code: "500"}
        values: '0+1x3 _ stale'
        endStrategy: sendCustomValue
        customValue: 9
  - name: api_latency_seconds
    type: histogram
    buckets: [0.1, 0.5]
    timeseries:
      - observations:
          - Normal: {mean: 0.2, stddev: 0.1}
        perScrape: 4
"#;

/// The listed series, in registry order.
fn list(agent: &ureq::Agent, url: &str) -> Vec<Value> {
    let r = call(agent, "GET", &format!("{url}/api/v1/series"), None, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["series"].as_array().unwrap().clone()
}

fn post(agent: &ureq::Agent, url: &str, body: &str) {
    let r = call(
        agent,
        "POST",
        &format!("{url}/api/v1/series"),
        Some(body),
        None,
    );
    assert_eq!(r.status, 201, "{body}: {}", r.body);
}

#[test]
fn every_listed_series_can_be_posted_back_and_gives_the_same_samples() {
    let rt = runtime();
    let registry = Config::parse(CONFIG, "config.yaml")
        .unwrap()
        .build_registry()
        .unwrap();
    let first = rt
        .block_on(Server::new(registry).spawn("127.0.0.1:0"))
        .unwrap();
    let empty = promgen::registry::Registry::default();
    let second = rt
        .block_on(Server::new(empty).spawn("127.0.0.1:0"))
        .unwrap();
    let agent = agent();
    let (a, b) = (first.url(), second.url());

    // The DSL, the notation and segments, posted as JSON; a summary.
    let segments = json!([
        {"CustomValues": {"values": [1, null, "stale", 2]}},
        {"Sin": {"period": 4, "amplitude": 2, "offset": 3}},
    ]);
    let posted = [
        json!({"name": "api_queue", "labels": {"q": "dsl"}, "series": "linear(0..=10, 3) >> loop"}),
        json!({"name": "api_queue", "labels": {"q": "notation"}, "values": "1 _ 3 stale 5", "endStrategy": "loop"}),
        json!({"name": "api_queue", "labels": {"q": "segments"}, "data": segments}),
        json!({"name": "api_size_bytes", "type": "summary", "objectives": [0.5, 0.9], "observations": "uniform(0..100)", "perScrape": 3}),
    ];
    for body in &posted {
        post(&agent, &a, &body.to_string());
    }

    let listed = list(&agent, &a);
    let shape = |series: &str| -> String {
        let s = listed
            .iter()
            .find(|s| s["series"] == series)
            .unwrap_or_else(|| panic!("{series} not listed: {listed:#?}"));
        s["shape"].as_str().unwrap().to_owned()
    };
    // The text each shape was created from.
    assert_eq!(shape(r#"api_queue{q="dsl"}"#), "linear(0..=10, 3) >> loop");
    assert_eq!(shape(r#"api_queue{q="notation"}"#), "1 _ 3 stale 5");
    let as_json = |text: String| -> Value {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    assert_eq!(as_json(shape(r#"api_queue{q="segments"}"#)), segments);
    assert_eq!(
        as_json(shape(r#"api_requests_total{code="200"}"#)),
        json!({"Cumsum": {"data": [{"Random": {"iterationCount": 5, "min": 0, "max": 2}}]}})
    );
    assert_eq!(shape(r#"api_requests_total{code="500"}"#), "0+1x3 _ stale");
    assert_eq!(
        as_json(shape("api_latency_seconds")),
        json!([{"Normal": {"mean": 0.2, "stddev": 0.1}}])
    );
    assert!(
        !listed
            .iter()
            .any(|s| s["shape"].as_str().unwrap().contains('…')),
        "{listed:#?}"
    );
    // A POSTed series is listed with the body it was posted with.
    for body in &posted {
        let found = listed.iter().find(|s| &s["definition"] == body);
        assert!(found.is_some(), "{body} not among {listed:#?}");
    }

    // Every listed definition, posted into an empty server, recreates its series.
    for s in &listed {
        assert!(s["definition"].is_object(), "{s}");
        post(&agent, &b, &s["definition"].to_string());
    }
    let relisted = list(&agent, &b);
    let definitions =
        |l: &[Value]| -> Vec<Value> { l.iter().map(|s| s["definition"].clone()).collect() };
    assert_eq!(definitions(&relisted), definitions(&listed));
    // Nothing has scraped either server: both start at the first sample of every series, so
    // each scrape of one is the same text as the same scrape of the other.
    for i in 0..12 {
        let accept = if i % 2 == 0 {
            "text/plain"
        } else {
            "application/openmetrics-text;version=1.0.0"
        };
        let (from_a, from_b) = (scrape(&agent, &a, accept), scrape(&agent, &b, accept));
        assert_eq!(from_a, from_b, "scrape {i}");
        assert!(
            from_a.contains("api_size_bytes{quantile=\"0.9\"}"),
            "{from_a}"
        );
    }
}

#[test]
fn the_control_api_refuses_bounds_that_do_not_increase() {
    let rt = runtime();
    let server = rt
        .block_on(Server::new(promgen::registry::Registry::default()).spawn("127.0.0.1:0"))
        .unwrap();
    let agent = agent();
    let body =
        r#"{"name": "h", "type": "histogram", "buckets": [0.5, 0.1, 1, 1], "observations": "0.2"}"#;
    let r = call(
        &agent,
        "POST",
        &format!("{}/api/v1/series", server.url()),
        Some(body),
        None,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let errors = r.json()["errors"].clone();
    let fields: Vec<(&str, &str)> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            (
                "buckets[1]",
                "0.1 is below the bound before it (0.5): bounds must increase"
            ),
            ("buckets[3]", "1 repeats buckets[2]"),
        ]
    );
    assert!(list(&agent, &server.url()).is_empty());
}
