//! The reports of a running write and of a server: a line per interval and a closing one,
//! the same as JSON Lines (`--stats-json`), and promgen's own metrics (`--self-metrics`),
//! read by the real promtool; a write's counts are checked against what a real
//! VictoriaMetrics holds, a server's against the scrapes the test made.

mod support;

use serde_json::Value;
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};
use support::{
    agent,
    oracle::promtool_check_metrics,
    prometheus::{TempDir, free_port},
    victoria::Victoria,
};

fn interrupt(child: std::process::Child) -> std::process::Output {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    child.wait_with_output().unwrap()
}

/// The JSON Lines of `--stats-json`.
fn reports(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn a_live_load_reports_each_second_and_its_own_metrics_while_it_runs() {
    let vm = Victoria::start();
    let dir = TempDir::new("report-live");
    let json = dir.join("stats.jsonl");
    let port = free_port();
    let from = promgen::time::now_ms() - 1000;
    let child = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args([
            "load",
            "--series",
            "200",
            "--metrics",
            "4",
            "--interval",
            "1s",
        ])
        .args(["--url", &format!("{}/api/v1/write", vm.url)])
        .args([
            "--report-every",
            "1s",
            "--stats-json",
            json.to_str().unwrap(),
        ])
        .args(["--self-metrics", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Its own metrics, while it runs: valid exposition, and counting.
    let agent = agent();
    let started = Instant::now();
    let own = loop {
        let text = agent
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok());
        if let Some(text) =
            text.filter(|t| !t.contains("promgen_write_samples_acknowledged_total 0\n"))
        {
            break text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no self-metrics with samples"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let check = promtool_check_metrics(&own);
    assert_eq!(
        check.code,
        Some(0),
        "promtool check metrics: {}\n{own}",
        check.output
    );
    assert!(
        own.contains("# TYPE promgen_write_request_duration_seconds histogram"),
        "{own}"
    );
    std::thread::sleep(Duration::from_millis(3500));
    let out = interrupt(child);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");

    // A line a second, then the whole run's.
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" samples/s sent, "))
        .collect();
    assert!(lines.len() >= 4, "{stderr}");
    assert!(
        lines.last().unwrap().starts_with("[whole run, "),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.contains("0 failed") && l.contains("on schedule")),
        "{stderr}"
    );

    let reports = reports(&json);
    assert_eq!(reports.len(), lines.len(), "the same reports in the file");
    let last = reports.last().unwrap();
    assert_eq!(last["whole_run"], true);
    assert!(
        reports[..reports.len() - 1]
            .iter()
            .all(|r| r["whole_run"] == false)
    );
    // Live: a schedule to keep, and kept.
    assert!(
        reports.iter().all(|r| r["behind_schedule_seconds"]
            .as_f64()
            .is_some_and(|b| b < 1.0)),
        "{reports:?}"
    );
    // Every sample acknowledged is one VictoriaMetrics holds (stale markers included), and
    // the closing summary line says the same number.
    let acknowledged = last["samples_acknowledged"].as_u64().unwrap();
    assert_eq!(last["samples_sent"].as_u64().unwrap(), acknowledged);
    let held: usize = vm
        .export_all("load_.*", from, promgen::time::now_ms() + 1000)
        .iter()
        .map(|(_, s)| s.len())
        .sum();
    assert_eq!(held as u64, acknowledged, "{stderr}");
    assert!(
        stderr.contains(&format!(" {acknowledged} samples in ")),
        "{stderr}"
    );
    let p99 = last["request_latency_p99_seconds"].as_f64().unwrap();
    let p50 = last["request_latency_p50_seconds"].as_f64().unwrap();
    assert!(0.0 < p50 && p50 <= p99 && p99 < 5.0, "{last}");
}

#[test]
fn history_is_reported_as_history_and_a_bad_interval_is_refused() {
    let vm = Victoria::start();
    let dir = TempDir::new("report-history");
    let json = dir.join("stats.jsonl");
    let config = dir.write(
        "c.yaml",
        "metrics:\n  - name: report_history\n    timeseries:\n      - labels: {k: 'v{1..50}'}\n        series: '1'\n",
    );
    let end = promgen::time::now_ms() / 1000 - 3600;
    let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(["write", "--config", config.to_str().unwrap()])
        .args(["--url", &format!("{}/api/v1/write", vm.url)])
        .args(["--from", &(end - 600).to_string(), "--to", &end.to_string()])
        .args([
            "--stats-json",
            json.to_str().unwrap(),
            "--report-every",
            "0s",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let reports = reports(&json);
    assert_eq!(reports.len(), 1, "the closing report only");
    assert_eq!(
        reports[0]["behind_schedule_seconds"],
        Value::Null,
        "history has no schedule"
    );
    assert_eq!(reports[0]["samples_acknowledged"], 50 * 41);
    assert!(stderr.contains("; history"), "{stderr}");

    let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(["write", "--config", config.to_str().unwrap()])
        .args(["--url", &format!("{}/api/v1/write", vm.url)])
        .args(["--report-every", "soon"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("invalid --report-every \"soon\""),
        "{stderr}"
    );
}

#[test]
fn serve_reports_the_scrapes_it_served_and_their_size() {
    let dir = TempDir::new("report-serve");
    let json = dir.join("stats.jsonl");
    let (port, own_port) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(["load", "--series", "300", "--metrics", "4"])
        .args(["--serve", &format!("127.0.0.1:{port}")])
        .args([
            "--report-every",
            "0s",
            "--stats-json",
            json.to_str().unwrap(),
        ])
        .args(["--self-metrics", &format!("127.0.0.1:{own_port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let agent = agent();
    let get = |url: String| {
        agent
            .get(url)
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
    };
    let started = Instant::now();
    let first = loop {
        if let Some(body) = get(format!("http://127.0.0.1:{port}/metrics")) {
            break body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "serve did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut bytes = vec![first.len()];
    for _ in 0..2 {
        bytes.push(
            get(format!("http://127.0.0.1:{port}/metrics"))
                .unwrap()
                .len(),
        );
    }
    // Its own metrics are on their own port: reading them is no scrape of the series.
    let own = get(format!("http://127.0.0.1:{own_port}/metrics")).unwrap();
    let check = promtool_check_metrics(&own);
    assert_eq!(check.code, Some(0), "{}\n{own}", check.output);
    assert!(own.contains("promgen_serve_scrapes_total 3\n"), "{own}");
    let total: usize = bytes.iter().sum();
    assert!(
        own.contains(&format!("promgen_serve_bytes_total {total}\n")),
        "{own}"
    );
    let out = interrupt(child);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let reports = reports(&json);
    assert_eq!(reports.len(), 1, "{reports:?}");
    let whole = &reports[0];
    assert_eq!(
        (whole["whole_run"].as_bool(), whole["scrapes"].as_u64()),
        (Some(true), Some(3))
    );
    assert_eq!(whole["bytes_per_scrape"].as_f64(), Some(total as f64 / 3.0));
    assert!(
        whole["render_p99_seconds"]
            .as_f64()
            .is_some_and(|s| s > 0.0 && s < 5.0),
        "{whole}"
    );
    assert!(
        stderr.contains("[whole run, ") && stderr.contains("3 scrapes"),
        "{stderr}"
    );
}
