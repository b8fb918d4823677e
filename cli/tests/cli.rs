//! The `promgen-cli` binary, run as a user runs it.

mod support;

use std::process::Output;
use support::cli::{TempConfig, cli};

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn preview_notation_as_csv() {
    let out = cli(&[
        "preview",
        "--values",
        "0.1+0.7x3",
        "--start",
        "0",
        "--interval",
        "1m",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "series,timestamp_ms,value\nseries,0,0.1\nseries,60000,0.7999999999999999\nseries,120000,1.5\nseries,180000,2.2\n"
    );
}

#[test]
fn preview_dsl_expression_as_csv() {
    let out = cli(&[
        "preview",
        "--series",
        "linear(0..=10, 5) x 2 >> [1, _, stale]",
        "--start",
        "0",
        "--interval",
        "15s",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let values: Vec<String> = stdout(&out)
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        values,
        [
            "0", "2.5", "5", "7.5", "10", "0", "2.5", "5", "7.5", "10", "1", "stale"
        ]
    );
    let times: Vec<String> = stdout(&out)
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(
        times.last().map(String::as_str),
        Some("180000"),
        "the `_` at 165000 prints no row"
    );
    assert!(!times.contains(&"165000".to_owned()));

    let out = cli(&["preview", "--series", "linear(0..3) >> lienar(0..1)"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: invalid --series \"linear(0..3) >> lienar(0..1)\": 1:17: unknown function 'lienar', did you mean 'linear'?\n"
    );
}

#[test]
fn csv_skips_gaps_prints_stale_and_quotes_labels() {
    let config = TempConfig::new(
        "labels.yaml",
        "scraper: {startTime: 0, scrapeInterval: 30s}\nmetrics:\n  - name: up\n    timeseries:\n      - labels: {job: \"a,b\"}\n        values: 1 _ -Inf stale\n",
    );
    let out = cli(&["preview", "--config", config.path(), "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "series,timestamp_ms,value\n\"up{job=\"\"a,b\"\"}\",0,1\n\"up{job=\"\"a,b\"\"}\",60000,-Inf\n\"up{job=\"\"a,b\"\"}\",90000,stale\n"
    );
}

#[test]
fn count_defaults_to_the_whole_shape_or_ten() {
    let rows = |args: &[&str]| stdout(&cli(args)).lines().count() - 1;
    // A shape that ends shows whole; an endless one (or a very long one) shows 10 scrapes.
    assert_eq!(
        rows(&["preview", "--values", "1x100", "--format", "csv"]),
        101
    );
    assert_eq!(
        rows(&[
            "preview",
            "--series",
            "linear(0..5) >> loop",
            "--format",
            "csv"
        ]),
        10
    );
    assert_eq!(
        rows(&["preview", "--values", "1x2000", "--format", "csv"]),
        10
    );
    assert_eq!(
        rows(&[
            "preview", "--values", "1x100", "--format", "csv", "--count", "25"
        ]),
        25
    );
    // The shipped example sets scrapesCount: 20 for its four series.
    assert_eq!(
        rows(&[
            "preview",
            "--config",
            "../examples/demo.yaml",
            "--format",
            "csv"
        ]),
        4 * 20 - 3,
        "three missing scrapes in queue_depth"
    );
}

#[test]
fn table_json_and_chart() {
    let table = stdout(&cli(&[
        "preview", "--values", "1 _ 3", "--start", "0", "--name", "up",
    ]));
    assert_eq!(
        table,
        "time                  up\n1970-01-01T00:00:00Z   1\n1970-01-01T00:00:15Z\n1970-01-01T00:00:30Z   3\n"
    );

    let json = stdout(&cli(&[
        "preview",
        "--values",
        "1 _ NaN stale",
        "--start",
        "0",
        "--interval",
        "1s",
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(v["series"][0]["series"], "series");
    assert_eq!(
        v["series"][0]["samples"],
        serde_json::json!([[0, "1"], [2000, "NaN"], [3000, "stale"]])
    );

    let chart = stdout(&cli(&[
        "preview",
        "--config",
        "../examples/demo.yaml",
        "--format",
        "chart",
    ]));
    let lines: Vec<&str> = chart.lines().collect();
    assert_eq!(lines.len(), 5, "{chart}");
    assert!(
        lines[2].starts_with("queue_depth{queue=\"default\"}"),
        "{chart}"
    );
    assert!(lines[2].contains('×'), "the stale marker shows: {chart}");
    assert!(lines[4].starts_with("20 scrapes"), "{chart}");
}

#[test]
fn preview_refuses_bad_input_with_a_location() {
    let out = cli(&["preview", "--values", "3+3x4-4"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: invalid --values \"3+3x4-4\": column 6: expected a space between values, found '-'\n"
    );

    let out = cli(&["preview", "--values", "1", "--interval", "5"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("invalid --interval"),
        "{}",
        stderr(&out)
    );

    let out = cli(&["preview", "--config", "no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: cannot read no/such/file.yaml: "),
        "{}",
        stderr(&out)
    );

    let out = cli(&["preview", "--values", "1", "--count", "100000000000"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("more than a preview shows"),
        "{}",
        stderr(&out)
    );

    let out = cli(&["preview"]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn check_reports_every_error() {
    let ok = cli(&["check", "--config", "../examples/demo.yaml"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(
        stdout(&ok),
        "../examples/demo.yaml: ok (3 metrics, 4 series)\n"
    );

    let bad = TempConfig::new(
        "bad.yaml",
        "metrics:\n  - name: m\n    type: counter\n    timeseries:\n      - values: '5-1x10'\n      - labels: {a: b}\n        data: [{Void: {count: 0}}]\n",
    );
    let out = cli(&["check", "--config", bad.path()]);
    assert_eq!(out.status.code(), Some(1));
    let p = bad.path();
    assert_eq!(
        stderr(&out),
        format!(
            "{p}:5:17: metrics[0].timeseries[0].values: counter values must not be negative or NaN, and this can be negative (as low as -5); clamp it or make the metric a gauge\n\
             {p}:7:31: metrics[0].timeseries[1].data[0].Void.count: must be > 0\n\
             {p}: 2 errors\n"
        )
    );
    // preview refuses the same file with the same messages.
    let out = cli(&["preview", "--config", p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(":7:31: metrics[0].timeseries[1].data[0].Void.count: must be > 0")
    );
}

#[test]
fn help_shows_examples() {
    for args in [
        &["--help"][..],
        &["preview", "--help"],
        &["check", "--help"],
    ] {
        let out = cli(args);
        assert!(out.status.success());
        assert!(
            stdout(&out).contains("Example"),
            "{args:?}: {}",
            stdout(&out)
        );
    }
}

#[test]
fn serve_refuses_an_invalid_config_with_every_error_located() {
    let serve = cli(&["serve", "--config", "../examples/broken.yaml"]);
    let check = cli(&["check", "--config", "../examples/broken.yaml"]);
    assert_eq!(serve.status.code(), Some(1));
    assert_eq!(stdout(&serve), "");
    assert!(
        stderr(&serve).contains("../examples/broken.yaml:9:45: metrics[0].timeseries[0].data[0].LinearSegment.iterationCount: must be > 0\n"),
        "{}",
        stderr(&serve)
    );
    assert_eq!(stderr(&serve), stderr(&check));
}

#[test]
fn serve_help_says_changes_live_in_memory_and_shows_curl() {
    let out = cli(&["serve", "--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    assert!(help.contains("live in memory only"), "{help}");
    for needle in [
        "curl -s -X POST",
        "curl -s -X PUT",
        "curl -s -X DELETE",
        "--api-token",
        "--body-limit",
        "127.0.0.1:9000",
    ] {
        assert!(help.contains(needle), "{needle} missing from\n{help}");
    }
}

#[test]
fn serve_reports_an_address_it_cannot_listen_on() {
    let out = cli(&["serve", "--listen", "not-an-address"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: cannot listen on not-an-address"),
        "{}",
        stderr(&out)
    );
}

/// One float formatting everywhere (#11 item 10): -0 reads `-0` in every preview format, in
/// both exposition formats and in a backfill file, and the numbers in `check`'s messages are
/// printed the same way (`+Inf`, not Rust's `inf`).
#[test]
fn every_output_prints_a_float_the_same_way() {
    let config = TempConfig::new(
        "zero.yaml",
        "scraper: {startTime: 0, scrapeInterval: 15s}\nmetrics:\n  - name: zero\n    timeseries:\n      - values: '-0 1 -0'\n",
    );
    let preview = |format: &str| {
        let out = cli(&["preview", "--config", config.path(), "--format", format]);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(
        preview("table"),
        "time                  zero\n1970-01-01T00:00:00Z    -0\n1970-01-01T00:00:15Z     1\n1970-01-01T00:00:30Z    -0\n"
    );
    assert_eq!(
        preview("csv"),
        "series,timestamp_ms,value\nzero,0,-0\nzero,15000,1\nzero,30000,-0\n"
    );
    let json: serde_json::Value = serde_json::from_str(&preview("json")).unwrap();
    assert_eq!(
        json["series"][0]["samples"],
        serde_json::json!([[0, "-0"], [15000, "1"], [30000, "-0"]])
    );
    assert_eq!(preview("values"), "zero  -0 1 -0\n");
    assert!(
        preview("chart").contains("  -0 … 1\n"),
        "{}",
        preview("chart")
    );

    let out = cli(&[
        "backfill",
        "--config",
        config.path(),
        "--to",
        "30",
        "--out",
        "-",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "# TYPE zero gauge\nzero -0 0.000\nzero 1 15.000\nzero -0 30.000\n# EOF\n"
    );

    // What `serve` answers a scrape with, in both formats.
    let text = std::fs::read_to_string(config.path()).unwrap();
    for (format, want) in [
        (
            promgen::exposition::Format::Text,
            "# TYPE zero gauge\nzero -0\n",
        ),
        (
            promgen::exposition::Format::OpenMetrics,
            "# TYPE zero gauge\nzero -0\n# EOF\n",
        ),
    ] {
        let mut registry = promgen::config::Config::parse(&text, "zero.yaml")
            .unwrap()
            .build_registry()
            .unwrap();
        let mut body = Vec::new();
        registry.scrape_into(&mut body, format, 0);
        assert_eq!(String::from_utf8(body).unwrap(), want, "{format:?}");
    }

    let clamp = TempConfig::new(
        "clamp.yaml",
        "metrics:\n  - name: m\n    timeseries:\n      - data: {Clamp: {min: .inf, max: 1e21, data: {Constant: {value: 1}}}}\n",
    );
    let out = cli(&["check", "--config", clamp.path()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("metrics[0].timeseries[0].data.Clamp: min (+Inf) is above max (1e21)\n"),
        "{}",
        stderr(&out)
    );
}

/// `serve --anchor` (#15 item 5): a serve started 157 s after its anchor, at a 15 s interval,
/// starts at tick 11 (the first at or after now, 165 s in), as one left running since the
/// anchor and scraped every 15 s would be; without an anchor it starts at tick 0; an anchor
/// after the start is refused.
#[test]
fn serve_with_an_anchor_starts_at_the_tick_now_falls_in() {
    use support::{agent, scrape, serve::serve};
    let config = TempConfig::new(
        "anchored-serve.yaml",
        "scraper: {scrapeInterval: 15s}\nmetrics:\n  - name: ticks_total\n    type: counter\n    timeseries:\n      - values: 0+1x100000\n",
    );
    let first_value = |extra: &[&str]| {
        let mut args = vec!["--config", config.path()];
        args.extend_from_slice(extra);
        let (_guard, url) = serve(&args);
        let text = scrape(&agent(), &url, "text/plain");
        text.lines()
            .find_map(|l| l.strip_prefix("ticks_total "))
            .unwrap_or_else(|| panic!("no ticks_total in\n{text}"))
            .to_owned()
    };
    assert_eq!(first_value(&["--anchor", "-157s"]), "11");
    assert_eq!(first_value(&[]), "0");
    let future = cli(&["serve", "--config", config.path(), "--anchor", "+1h"]);
    assert_eq!(future.status.code(), Some(1));
    assert!(
        stderr(&future).contains("before the anchor"),
        "{}",
        stderr(&future)
    );
}
