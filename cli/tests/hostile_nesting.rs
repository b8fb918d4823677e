//! Issue #12 items 1 and 10 through the real binary: nesting that overflowed the stack (a
//! 825-byte POST killed `serve`; `check` and `preview --series` aborted) is a located error
//! and a non-zero exit, or a 400 from `serve`, which answers `/-/healthy` afterwards; values
//! that went silently wrong are refused.

mod support;

use serde_json::{Value, json};
use std::process::Output;
use support::{
    agent, call,
    cli::{TempConfig, cli},
    serve::serve,
};

const TOO_DEEP: &str = "nested deeper than 64 levels";
const TOO_MANY: &str = "more than 10000 shapes in one series";

/// Exit status 1 (not a signal, not success) and stderr, for a refused command.
fn refused(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    stderr
}

fn nested(open: &str, n: usize, inner: &str, close: &str) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

#[test]
fn preview_series_refuses_deep_nesting_with_its_place() {
    for (what, series) in [
        ("5 000 parentheses", nested("(", 5_000, "1", ")")),
        ("20 000 signs", format!("{}1", "-".repeat(20_000))),
        ("20 000 brackets", "[".repeat(20_000)),
        ("4 623 unclosed parentheses", "(".repeat(4_623)),
    ] {
        let stderr = refused(&cli(&["preview", "--series", &series]));
        assert!(
            stderr.contains(&format!(": 1:65: {TOO_DEEP}")),
            "{what}: {}",
            &stderr[stderr.len().saturating_sub(200)..]
        );
    }
    let too_many = vec!["1"; 11_770].join("+");
    let stderr = refused(&cli(&["preview", "--series", &too_many]));
    assert!(
        stderr.contains(&format!(": 1:20001: {TOO_MANY}")),
        "{stderr}"
    );
}

#[test]
fn preview_series_takes_64_levels_and_10000_shapes() {
    let deep = nested("-(", 63, "1", ")");
    let out = cli(&[
        "preview", "--format", "values", "--count", "2", "--series", &deep,
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "series  -1 -1\n");
    let long = vec!["1"; 10_000].join(" + ");
    let out = cli(&[
        "preview", "--format", "values", "--count", "2", "--series", &long,
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "series  10000 10000\n"
    );
}

#[test]
fn check_refuses_deep_nesting_in_config_files() {
    let deep = nested("(", 5_000, "1", ")");
    let minus = format!("{}1", "-".repeat(20_000));
    let brackets = "[".repeat(20_000);
    let segments = format!(
        "{}{{CustomValues: {{values: [1]}}}}{}",
        "{Abs: {data: ".repeat(65),
        "}}".repeat(65)
    );
    let yaml = format!(
        "metrics:\n  - name: g\n    labels: [i]\n    timeseries:\n      - labels: {{i: a}}\n        series: '{deep}'\n      - labels: {{i: b}}\n        series: '{minus}'\n      - labels: {{i: c}}\n        data: {segments}\n  - name: h\n    type: histogram\n    buckets: [1]\n    timeseries:\n      - observations: '{brackets}'\n"
    );
    let config = TempConfig::new("deep.yaml", &yaml);
    let stderr = refused(&cli(&["check", "--config", config.path()]));
    let lines: Vec<&str> = stderr.lines().collect();
    let file = config.path();
    assert_eq!(lines.len(), 5, "{stderr}");
    assert_eq!(
        lines[0],
        format!(
            "{file}:6:82: metrics[0].timeseries[0].series: invalid series expression at 1:65: {TOO_DEEP}"
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "{file}:8:82: metrics[0].timeseries[1].series: invalid series expression at 1:65: {TOO_DEEP}"
        )
    );
    // The 65th `Abs`, in flow style on one line: 13 columns a level after `data: ` at 15.
    assert!(
        lines[2].starts_with(&format!(
            "{file}:10:{}: metrics[0].timeseries[2].data.Abs.data.Abs.data.",
            15 + 64 * 13
        )),
        "{}",
        lines[2]
    );
    assert!(lines[2].ends_with(TOO_DEEP), "{}", lines[2]);
    assert_eq!(
        lines[3],
        format!(
            "{file}:15:88: metrics[1].timeseries[0].observations: invalid series expression at 1:65: {TOO_DEEP}"
        )
    );
    assert_eq!(lines[4], format!("{file}: 4 errors"));
}

#[test]
fn serve_answers_400_to_deep_bodies_and_stays_up() {
    let (_serve, url) = serve(&[]);
    let agent = agent();
    let series_url = format!("{url}/api/v1/series");
    let body = |i: usize, series: &str| {
        json!({"name": "hostile", "labels": {"i": i.to_string()}, "series": series}).to_string()
    };
    let deep = [
        nested("(", 412, "1", ")"),
        format!("{}1", "-".repeat(3_400)),
        nested("[", 4_622, "1", "]"),
        "(".repeat(4_623),
    ];
    for (i, series) in deep.iter().enumerate() {
        let r = call(&agent, "POST", &series_url, Some(&body(i, series)), None);
        assert_eq!(r.status, 400, "{}", r.body);
        let error = &r.json()["errors"][0];
        assert_eq!(error["field"], "series", "{error}");
        assert_eq!(
            error["message"],
            format!("invalid series expression at 1:65: {TOO_DEEP}"),
            "{error}"
        );
        // The place in the body: the 65th character of the series.
        let body = body(i, series);
        let column = body.find("\"series\":\"").unwrap() + 10 + 65;
        assert_eq!(
            (&error["line"], &error["column"]),
            (&json!(1), &json!(column)),
            "{error}"
        );
    }
    assert_eq!(deep[0].len(), 825, "the issue's body");
    for (i, op) in ["+", "*"].iter().enumerate() {
        let chain = vec!["1"; 11_770].join(op);
        let r = call(
            &agent,
            "POST",
            &series_url,
            Some(&body(10 + i, &chain)),
            None,
        );
        assert_eq!(r.status, 400, "{}", r.body);
        let error = &r.json()["errors"][0];
        assert_eq!(
            error["message"],
            format!("invalid series expression at 1:20001: {TOO_MANY}"),
            "{error}"
        );
    }
    // Segments as JSON, 65 levels deep; and a constant past the largest float.
    let mut data = json!({"CustomValues": {"values": [1]}});
    for _ in 0..64 {
        data = json!({"Abs": {"data": data}});
    }
    let segments = json!({"name": "hostile", "labels": {"i": "20"}, "data": data}).to_string();
    let r = call(&agent, "POST", &series_url, Some(&segments), None);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains(TOO_DEEP), "{}", r.body);
    let huge =
        json!({"name": "hostile", "labels": {"i": "21"}, "data": {"Constant": {"value": "1e400"}}})
            .to_string();
    let r = call(
        &agent,
        "POST",
        &series_url,
        Some(&huge.replace("\"1e400\"", "1e400")),
        None,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("the number 1e400 is out of range"),
        "{}",
        r.body
    );

    // Within the limits: 64 levels (of text, of segments) and 10 000 shapes are served, on
    // the server's own threads.
    let accepted = [
        nested("-(", 63, "1", ")"),
        vec!["1"; 10_000].join("+"),
        format!("[1]{}", " x 1".repeat(11_770)),
    ];
    for (i, series) in accepted.iter().enumerate() {
        let r = call(
            &agent,
            "POST",
            &series_url,
            Some(&body(30 + i, series)),
            None,
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let mut data = json!({"CustomValues": {"values": [2]}});
    for _ in 0..63 {
        data = json!({"Abs": {"data": data}});
    }
    let segments = json!({"name": "hostile", "labels": {"i": "33"}, "data": data}).to_string();
    let r = call(&agent, "POST", &series_url, Some(&segments), None);
    assert_eq!(r.status, 201, "{}", r.body);
    let r = call(&agent, "GET", &format!("{url}/-/healthy"), None, None);
    assert_eq!(r.status, 200, "{}", r.body);
    let listed: Value = call(&agent, "GET", &series_url, None, None).json();
    let hostile = listed["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "hostile")
        .count();
    assert_eq!(hostile, accepted.len() + 1);
    let metrics = call(&agent, "GET", &format!("{url}/metrics"), None, None).body;
    assert!(metrics.contains("hostile{i=\"30\"} -1\n"), "{metrics}");
    assert!(metrics.contains("hostile{i=\"31\"} 10000\n"), "{metrics}");
    assert!(metrics.contains("hostile{i=\"33\"} 2\n"), "{metrics}");
}

#[test]
fn silent_wrong_values_are_refused() {
    // Three values a 292-million-year interval apart: the third is past the largest timestamp.
    let apart = |extra: &[&str]| {
        let mut args = vec![
            "preview",
            "--values",
            "1 2 3",
            "--start",
            "0",
            "--interval",
            "9223372036854775807ms",
        ];
        args.extend(extra);
        cli(&args)
    };
    let stderr = refused(&apart(&[]));
    assert!(
        stderr.starts_with("error: invalid scraper settings (without --count, a preview looks 1000 scrapes ahead): 1000 scrapes every 292471208y")
            && stderr.contains("run past the largest timestamp"),
        "{stderr}"
    );
    let stderr = refused(&apart(&["--count", "3"]));
    assert!(
        stderr.starts_with("error: invalid scraper settings: 3 scrapes every 292471208y"),
        "{stderr}"
    );
    // Two fit: 0 and the largest timestamp.
    let out = apart(&["--count", "2", "--format", "csv"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "series,timestamp_ms,value\nseries,0,1\nseries,9223372036854775807,2\n"
    );
    let stderr = refused(&cli(&[
        "preview",
        "--values",
        "1",
        "--start",
        "2024-01-01T00:00:00+25:00",
    ]));
    assert!(
        stderr.contains("an RFC 3339 offset is Z or ±HH:MM"),
        "{stderr}"
    );
    let config = TempConfig::new(
        "huge.yaml",
        "metrics:\n  - name: g\n    timeseries:\n      - data: {Constant: {value: 1e400}}\n",
    );
    let stderr = refused(&cli(&["check", "--config", config.path()]));
    assert!(
        stderr.starts_with(&format!(
            "{}:4:34: metrics[0].timeseries[0].data.Constant.value: the number 1e400 is out of range",
            config.path()
        )),
        "{stderr}"
    );
    // A count is whole however written; past u64 it is too large.
    let out = cli(&[
        "preview",
        "--format",
        "values",
        "--series",
        "[1, 2].every(1e0) x 2e0",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "series  1 2 1 2\n");
    let stderr = refused(&cli(&[
        "preview",
        "--series",
        "[1].every(18446744073709551616)",
    ]));
    assert!(
        stderr.contains("1:11: every(n) is too large: at most 18446744073709551615"),
        "{stderr}"
    );
}
