//! `promgen-cli serve`, scraped by a real Prometheus and checked by a real promtool.
//!
//! Nothing here scrapes promgen's `/metrics` itself while Prometheus does: every scrape
//! advances every series one step, so a scrape of ours would shift what Prometheus sees.

mod support;

use serde_json::{Value, json};
use std::{
    process::Command,
    time::{Duration, Instant},
};
use support::prometheus::{Prometheus, TempDir, require, samples, single_value};
use support::{agent, call, oracle::promtool_check_metrics, scrape, serve::serve};

/// A real Prometheus scraping `target` (host:port) every second.
fn scraping(dir: &TempDir, target: &str) -> Prometheus {
    Prometheus::builder(dir.path())
        .config(&format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: promgen\n    static_configs:\n      - targets: ['{target}']\n"
        ))
        .start()
}

const CONFIG: &str = "\
metrics:
  - name: promgen_test_steps_total
    help: 0, 1, 2, … one per scrape.
    type: counter
    timeseries:
      - series: 'linear(0..1000) >> loop'
  - name: promgen_test_gaps
    help: 1 2 _ 4 5 _, again and again.
    timeseries:
      - labels: {kind: gaps}
        values: '1 2 _ 4 5 _'
        endStrategy: loop
";

/// The gaps series, scrape by scrape (`None`: missing from the response).
const GAPS: [Option<f64>; 6] = [Some(1.0), Some(2.0), None, Some(4.0), Some(5.0), None];

#[test]
fn prometheus_scrapes_exactly_what_the_series_produce_and_the_control_api_changes_it() {
    require("prometheus");
    let dir = TempDir::new("serve-scrape");
    let config = dir.write("promgen.yaml", CONFIG);
    let token = "test-token";
    let (_serve, url) = serve(&[
        "--config",
        config.to_str().unwrap(),
        "--api-token",
        token,
        "--body-limit",
        "4096",
    ]);
    let target = url.strip_prefix("http://").unwrap();
    let prometheus = scraping(&dir, target);
    let agent = agent();
    let api = format!("{url}/api/v1/series");

    // The control API, while Prometheus scrapes. Mutations need the token.
    let body =
        r#"{"name": "promgen_test_posted", "labels": {"via": "api"}, "series": "[7] >> hold"}"#;
    let r = call(&agent, "POST", &api, Some(body), None);
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.json()["error"].as_str().unwrap().contains("Bearer"));
    let r = call(&agent, "POST", &api, Some(body), Some("wrong"));
    assert_eq!(r.status, 401, "{}", r.body);
    let r = call(&agent, "POST", &api, Some(body), Some(token));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.content_type.starts_with("application/json"));
    let id = r.json()["id"].as_u64().expect("an id");
    let one = format!("{api}/{id}");

    let r = call(&agent, "GET", &api, None, None);
    assert_eq!(r.status, 200);
    let list = r.json();
    let posted: Vec<&Value> = list["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["id"] == id)
        .collect();
    assert_eq!(posted.len(), 1, "{list}");
    assert_eq!(posted[0]["name"], "promgen_test_posted");
    assert_eq!(posted[0]["labels"], json!({"via": "api"}));
    assert_eq!(posted[0]["shape"], "[7] >> hold");
    assert_eq!(posted[0]["type"], "gauge");
    assert_eq!(list["series"].as_array().unwrap().len(), 3, "{list}");

    // Invalid bodies: 400 naming the field, and nothing changes.
    let r = call(
        &agent,
        "POST",
        &api,
        Some(r#"{"name": "promgen_test_bad", "series": "lienar(0..1)"}"#),
        Some(token),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let err = r.json();
    assert_eq!(err["errors"][0]["field"], "series", "{err}");
    assert!(err["error"].as_str().unwrap().contains("lienar"), "{err}");
    let r = call(
        &agent,
        "PUT",
        &one,
        Some(r#"{"name": "x", "series": "1", "bogus": 2}"#),
        Some(token),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("bogus"), "{}", r.body);
    // Larger than --body-limit: 413.
    let huge = format!(r#"{{"name": "x", "series": "{}"}}"#, "1 ".repeat(4096));
    let r = call(&agent, "POST", &api, Some(&huge), Some(token));
    assert_eq!(r.status, 413, "{}", r.body);
    // Unknown ids: 404, with or without a number.
    for missing in [format!("{api}/999999"), format!("{api}/nope")] {
        let r = call(&agent, "GET", &missing, None, None);
        assert_eq!(r.status, 404, "{}", r.body);
        assert!(r.json()["error"].is_string());
        let r = call(&agent, "DELETE", &missing, None, Some(token));
        assert_eq!(r.status, 404, "{}", r.body);
        let r = call(&agent, "PUT", &missing, Some(body), Some(token));
        assert_eq!(r.status, 404, "{}", r.body);
    }

    // The POSTed series reaches Prometheus; a PUT changes it; a DELETE makes it go stale.
    let posted = r#"promgen_test_posted{via="api"}"#;
    let wait_value = |want: Option<f64>, what: &str| {
        prometheus.wait_for(what, Duration::from_secs(20), || {
            single_value(&prometheus.query(posted, None)) == want
        });
    };
    wait_value(Some(7.0), "the POSTed series in Prometheus");
    let changed =
        r#"{"name": "promgen_test_posted", "labels": {"via": "api"}, "series": "[8] >> hold"}"#;
    let r = call(&agent, "PUT", &one, Some(changed), None);
    assert_eq!(r.status, 401, "{}", r.body);
    let r = call(&agent, "PUT", &one, Some(changed), Some(token));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({"id": id}));
    let r = call(&agent, "GET", &one, None, None);
    assert_eq!(r.json()["shape"], "[8] >> hold");
    wait_value(Some(8.0), "the PUT value in Prometheus");
    let r = call(&agent, "DELETE", &one, None, None);
    assert_eq!(r.status, 401, "{}", r.body);
    let r = call(&agent, "DELETE", &one, None, Some(token));
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.body, "");
    assert_eq!(call(&agent, "GET", &one, None, None).status, 404);
    // Gone from the response, the series gets a stale marker: no value within the lookback.
    wait_value(None, "the DELETEd series to go stale in Prometheus");

    // Raw samples of the deterministic series, as Prometheus stored them. Both come from one
    // query, so they cover the same scrapes.
    prometheus.wait_for("12 scrapes", Duration::from_secs(30), || {
        single_value(&prometheus.query("count_over_time(promgen_test_steps_total[1h])", None))
            .is_some_and(|n| n >= 12.0)
    });
    let result = prometheus.query(r#"{__name__=~"promgen_test_(steps_total|gaps)"}[1h]"#, None);
    let by_name = |name: &str| {
        let found = result
            .iter()
            .find(|s| s["metric"]["__name__"] == name)
            .unwrap_or_else(|| panic!("no {name} in {result:?}"));
        samples(found)
    };
    let steps = by_name("promgen_test_steps_total");
    let gaps = by_name("promgen_test_gaps");
    assert_eq!(result.len(), 2, "{result:?}");

    // Prometheus was the only client of /metrics: its scrapes saw 0, 1, 2, … in order.
    let values: Vec<f64> = steps.iter().map(|s| s.1).collect();
    let expected: Vec<f64> = (0..steps.len()).map(|i| i as f64).collect();
    assert_eq!(values, expected, "promgen_test_steps_total");
    for pair in steps.windows(2) {
        let dt = pair[1].0 - pair[0].0;
        assert!((0.5..2.0).contains(&dt), "scrapes {dt}s apart: {steps:?}");
    }

    // The gaps series has a sample at exactly the scrapes where its shape has a value:
    // scrape i (the i-th sample of the steps series) carries GAPS[i % 6].
    let expected: Vec<(f64, f64)> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, &(t, _))| GAPS[i % GAPS.len()].map(|v| (t, v)))
        .collect();
    assert_eq!(gaps, expected, "promgen_test_gaps");

    // A series missing from a scrape is marked stale by Prometheus at that scrape: an instant
    // query there finds nothing, although the previous sample lies within the 5m lookback.
    // The range query above does not return stale markers, hence this check.
    for (i, &(t, _)) in steps.iter().enumerate() {
        let got = single_value(&prometheus.query(r#"promgen_test_gaps{kind="gaps"}"#, Some(t)));
        assert_eq!(
            got,
            GAPS[i % GAPS.len()],
            "promgen_test_gaps at scrape {i} ({t})"
        );
    }
}

#[test]
fn promtool_finds_nothing_to_lint_in_the_demo_set() {
    require("promtool");
    let (_serve, url) = serve(&[]);
    let agent = agent();
    for accept in ["text/plain", "text/plain;version=0.0.4"] {
        let r = scrape(&agent, &url, accept);
        assert!(
            r.contains("# TYPE http_request_duration_seconds histogram"),
            "{r}"
        );
        assert!(
            r.contains(r#"http_request_duration_seconds_bucket{handler="/api",le="0.25"}"#),
            "{r}"
        );
        let promtool = promtool_check_metrics(&r);
        let findings = promtool.output;
        assert!(
            promtool.code == Some(0),
            "promtool check metrics: {findings}\n---\n{r}"
        );
        assert_eq!(findings, "", "promtool check metrics findings\n---\n{r}");
    }
}

#[cfg(unix)]
#[test]
fn serve_stops_on_sigterm() {
    let (mut serve, url) = serve(&[]);
    let r = call(&agent(), "GET", &format!("{url}/-/healthy"), None, None);
    assert_eq!(r.status, 200);
    let pid = serve.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let start = Instant::now();
    loop {
        if let Some(status) = serve.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
