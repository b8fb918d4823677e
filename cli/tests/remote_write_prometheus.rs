//! `promgen-cli write` into the real Prometheus (`--web.enable-remote-write-receiver`): every
//! sample it stores must be the one the library computes, to the millisecond and to the bit,
//! and every stale marker must end the series where the library says, as queries see it and
//! as `promtool tsdb dump` reads it from the TSDB.

mod support;

use promgen::{Scraper, Stop, time::now_ms};
use std::{
    collections::BTreeMap,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};
use support::{
    expect::{Expected, assert_stored, expected, expected_all, same, selector, visible_at},
    prometheus::{Prometheus, TempDir, require, seconds_to_ms},
};

/// Gauges, a counter, gaps, a stale marker in the middle, series that end, a histogram and a
/// summary; many series so that several shards and small batches split them.
const CONFIG: &str = r#"
scraper: {scrapeInterval: 15s}
metrics:
  - name: rw_temperature_celsius
    help: A gauge.
    labels: [room]
    timeseries:
      - labels: {room: a}
        series: 'sin(period = 10m, amplitude = 5, offset = 21) + normal(0, 0.2)'
      - labels: {room: b}
        values: '0.1+0.7x20'
        endStrategy: loop
      - labels: {room: "say \"hi\"\n\\"}
        values: '1 Inf -Inf -0.000001 1e300'
        endStrategy: loop
  - name: rw_requests_total
    help: A counter.
    type: counter
    labels: [code]
    timeseries:
      - labels: {code: "200"}
        series: 'uniform(0..5).cumsum()'
      - labels: {code: "500"}
        series: 'linear(0..=100, 40) >> loop'
  - name: rw_gaps
    help: Missing points and a stale marker.
    timeseries:
      - labels: {kind: custom}
        endStrategy: loop
        data:
          - CustomValues: {values: [1, null, 3, null, null, 6]}
      - labels: {kind: notation}
        values: '1 _ 2 stale 3 _x3 4'
        endStrategy: loop
  - name: rw_ends
    help: Series that end, each with a stale marker.
    timeseries:
      - labels: {how: stop}
        values: '5 4 3 2 1'
      - labels: {how: remove}
        values: '1 2 3'
        endStrategy: removeTimeSeries
  - name: rw_latency_seconds
    help: A histogram.
    type: histogram
    buckets: [0.1, 0.25, 0.5, 1]
    timeseries:
      - labels: {handler: /api}
        observations: 'normal(0.2, 0.05).clamp(0, 10)'
        perScrape: 10
  - name: rw_size_bytes
    help: A summary.
    type: summary
    objectives: [0.5, 0.9]
    timeseries:
      - observations: 'uniform(100..1000)'
        perScrape: 5
"#;

const INTERVAL_MS: i64 = 15_000;

/// A fresh Prometheus that takes remote write.
fn receiver(dir: &TempDir) -> Prometheus {
    Prometheus::builder(dir.path())
        .flag("--web.enable-remote-write-receiver")
        .start()
}

/// Runs `promgen-cli write <args>` and waits for it.
fn write(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .arg("write")
        .args(args)
        .output()
        .expect("run promgen-cli write")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A two-hour window ending an hour ago, on whole seconds, 15 s apart.
fn window() -> Scraper {
    let end_ms = (now_ms() / 1000 - 3600) * 1000;
    Scraper::new(end_ms - 2 * 3_600_000, INTERVAL_MS, Stop::Until(end_ms)).unwrap()
}

/// The window's last tick time.
fn end_ms(scraper: &Scraper) -> i64 {
    match scraper.stop() {
        Stop::Until(end) => end,
        Stop::Count(_) => unreachable!("the tests use a time window"),
    }
}

fn secs(ms: i64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// Every sample and every stale marker of `all` is what Prometheus holds: the raw samples
/// exactly, and, every 15 s across the window, exactly what an instant query sees.
fn assert_written(prometheus: &Prometheus, all: &Expected, scraper: &Scraper) {
    let end_ms = end_ms(scraper);
    let start_ms = scraper.start_ms();
    let range_s = ((end_ms - start_ms) / 1000 + 60) as u64;
    let stored = prometheus.raw_samples(r#"{__name__=~"rw_.*"}"#, range_s, end_ms as f64 / 1000.0);
    assert_stored(stored, &expected(CONFIG, scraper));

    let stale_markers: usize = all
        .values()
        .map(|s| s.iter().filter(|x| promgen::is_stale(x.1)).count())
        .sum();
    assert!(
        stale_markers >= 3,
        "the config yields stale markers to check ({stale_markers})"
    );
    for (labels, samples) in all {
        let result = prometheus.query_range(
            &selector(labels),
            start_ms as f64 / 1000.0,
            end_ms as f64 / 1000.0,
            (INTERVAL_MS / 1000) as f64,
        );
        let seen: BTreeMap<i64, f64> = result
            .first()
            .map(support::prometheus::samples)
            .unwrap_or_default()
            .into_iter()
            .map(|(t, v)| (seconds_to_ms(t), v))
            .collect();
        for tick in scraper.ticks() {
            let t = tick.timestamp_ms;
            let want = visible_at(samples, t, 300_000);
            let got = seen.get(&t).copied();
            let agree = match (want, got) {
                (Some(w), Some(g)) => same(w, g),
                (None, None) => true,
                _ => false,
            };
            assert!(
                agree,
                "{labels:?} at {t}: a query sees {got:?}, expected {want:?} (samples near: {:?})",
                samples
                    .iter()
                    .filter(|s| (s.0 - t).abs() <= 60_000)
                    .collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn every_sample_and_stale_marker_arrives_exactly() {
    require("prometheus");
    require("promtool");
    let dir = TempDir::new("rw-exact");
    let prometheus = receiver(&dir);
    let config = dir.write("promgen.yaml", CONFIG);
    let scraper = window();
    let url = format!("{}/api/v1/write", prometheus.url());
    let end = end_ms(&scraper);
    // Three shards and small batches: series are split across requests and shards.
    let out = write(&[
        "--config",
        config.to_str().unwrap(),
        "--url",
        &url,
        "--from",
        &secs(scraper.start_ms()),
        "--to",
        &secs(end),
        "--concurrency",
        "3",
        "--batch-size",
        "37",
    ]);
    let log = stderr(&out);
    assert!(out.status.success(), "write failed: {log}");
    let all = expected_all(CONFIG, &scraper);
    let total: usize = all.values().map(Vec::len).sum();
    assert!(
        log.contains(&format!(" {total} samples in ")) && log.contains("protocol v1"),
        "the summary counts every sample, stale markers included ({total}): {log}"
    );
    assert_written(&prometheus, &all, &scraper);

    // Independently of the library's own account: `5 4 3 2 1` ends after its fifth tick, and
    // its stale marker hides it at the sixth, although 1 is within the lookback.
    let at = |tick: i64| Some((scraper.start_ms() + tick * INTERVAL_MS) as f64 / 1000.0);
    let stop = r#"rw_ends{how="stop"}"#;
    let seen = |tick| support::prometheus::single_value(&prometheus.query(stop, at(tick)));
    assert_eq!((seen(4), seen(5), seen(6)), (Some(1.0), None, None));
    // `1 _ 2 stale 3`: the gap keeps showing 1 (lookback), the stale marker hides 2.
    let gaps = r#"rw_gaps{kind="notation"}"#;
    let seen = |tick| support::prometheus::single_value(&prometheus.query(gaps, at(tick)));
    assert_eq!(
        (seen(0), seen(1), seen(2), seen(3), seen(4)),
        (Some(1.0), Some(1.0), Some(2.0), None, Some(3.0))
    );

    // The stale markers themselves, as promtool reads them from the TSDB (queries never
    // return them), at the ticks worked out here by hand: one where a series ends, however
    // it ends, and never a second one a tick later.
    let stale_ticks = |labels: &str| -> Vec<i64> {
        prometheus
            .dumped_samples(labels)
            .into_iter()
            .filter(|(_, v)| v == "NaN")
            .map(|(ts, _)| (ts - scraper.start_ms()) / INTERVAL_MS)
            .collect()
    };
    // `1 2 3` then removeTimeSeries: its stale marker at tick 3, and nothing after.
    assert_eq!(stale_ticks(r#"{__name__="rw_ends", how="remove"}"#), [3]);
    // `5 4 3 2 1` stops after tick 4: the end is marked stale at tick 5.
    assert_eq!(stale_ticks(r#"{__name__="rw_ends", how="stop"}"#), [5]);
    // `1 _ 2 stale 3 _x3 4` looped: nine ticks a round, a `stale` fourth in each.
    let ticks = scraper.ticks().count() as i64;
    let rounds: Vec<i64> = (3..ticks).step_by(9).collect();
    assert_eq!(
        stale_ticks(r#"{__name__="rw_gaps", kind="notation"}"#),
        rounds
    );
}

#[test]
fn protocol_v2_falls_back_to_v1_on_prometheus_2_42_and_loses_nothing() {
    require("prometheus");
    let dir = TempDir::new("rw-v2");
    let prometheus = receiver(&dir);
    let config = dir.write("promgen.yaml", CONFIG);
    let scraper = window();
    let end = end_ms(&scraper);
    let out = write(&[
        "--config",
        config.to_str().unwrap(),
        "--url",
        &format!("{}/api/v1/write", prometheus.url()),
        "--protocol",
        "v2",
        "--from",
        &secs(scraper.start_ms()),
        "--to",
        &secs(end),
    ]);
    let log = stderr(&out);
    assert!(out.status.success(), "write failed: {log}");
    // Prometheus 2.42 reads a 2.0 body as an empty 1.0 request and answers 204 without the
    // written-count headers; the writer must notice, say so once (four shards may all see
    // it), and send the same batches as 1.0.
    assert!(log.contains("(v2)") && log.contains("protocol v1"), "{log}");
    let said: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Remote Write 2.0"))
        .collect();
    assert_eq!(
        said,
        [
            "the receiver does not speak Remote Write 2.0 (its 204 answer carries no \
             X-Prometheus-Remote-Write-Samples-Written header: it read the 2.0 request as an \
             empty 1.0 one and wrote nothing): sending 1.0 from now on"
        ],
        "{log}"
    );
    assert_written(&prometheus, &expected_all(CONFIG, &scraper), &scraper);
}

#[test]
fn a_prometheus_restarted_mid_backfill_loses_nothing() {
    require("prometheus");
    let dir = TempDir::new("rw-restart");
    let mut prometheus = receiver(&dir);
    let config = dir.write("promgen.yaml", CONFIG);
    let scraper = window();
    let end = end_ms(&scraper);
    // One shard, tiny batches: the backfill takes long enough to stop Prometheus under it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(["write", "--config", config.to_str().unwrap(), "--url"])
        .arg(format!("{}/api/v1/write", prometheus.url()))
        .args(["--from", &secs(scraper.start_ms()), "--to", &secs(end)])
        .args(["--concurrency", "1", "--batch-size", "5"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until part of the history is in, then stop Prometheus (SIGTERM) while the write
    // goes on, and start it again on the same port and data a second later.
    let started = Instant::now();
    let mut written = 0.0;
    while written < 40.0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the write finished before Prometheus could be stopped under it"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nothing arrived"
        );
        let result = prometheus.query(
            &format!(
                "count_over_time(rw_temperature_celsius{{room=\"a\"}}[{}s])",
                4 * 3600
            ),
            Some(end as f64 / 1000.0),
        );
        written = support::prometheus::single_value(&result).unwrap_or(0.0);
        std::thread::sleep(Duration::from_millis(20));
    }
    prometheus.stop();
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the write must still be retrying while Prometheus is down"
    );
    prometheus.restart();
    let out = child.wait_with_output().unwrap();
    let log = stderr(&out);
    assert!(out.status.success(), "write failed: {log}");
    let summary = log
        .lines()
        .find(|l| l.starts_with("done:"))
        .unwrap_or_else(|| panic!("no summary: {log}"));
    let retries: u64 = summary
        .split(" (")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no retry count in the summary: {log}"));
    assert!(retries > 0, "the outage was retried through: {log}");
    assert_written(&prometheus, &expected_all(CONFIG, &scraper), &scraper);
}

#[test]
fn a_live_write_marks_every_series_stale_when_stopped() {
    require("prometheus");
    let dir = TempDir::new("rw-live");
    let prometheus = receiver(&dir);
    let config = dir.write(
        "live.yaml",
        "scraper: {scrapeInterval: 200ms}\nmetrics:\n  - name: rw_live\n    timeseries:\n      - labels: {a: x}\n        series: 'linear(0..1000) >> loop'\n      - labels: {a: y}\n        values: '7x10000'\n",
    );
    let child = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(["write", "--config", config.to_str().unwrap(), "--url"])
        .arg(format!("{}/api/v1/write", prometheus.url()))
        .args(["--from", "-2s"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Live: the two seconds of history, then a sample every 200 ms as time passes.
    prometheus.wait_for("live samples", Duration::from_secs(20), || {
        let r = prometheus.query("count_over_time(rw_live[1m])", None);
        r.len() == 2 && support::prometheus::single_value(&r[..1]).unwrap_or(0.0) >= 20.0
    });
    let now_s = now_ms() as f64 / 1000.0;
    assert_eq!(
        prometheus.query("rw_live", Some(now_s)).len(),
        2,
        "both series are visible while the write runs"
    );
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let log = stderr(&out);
    assert!(out.status.success(), "write failed: {log}");
    assert!(log.contains("stopped: 2 series"), "{log}");
    // The stale markers end both series at once: nothing is visible a moment later, although
    // the last values are well within the 5 minute lookback.
    let after = now_ms() as f64 / 1000.0 + 0.5;
    let visible = prometheus.query("rw_live", Some(after));
    assert!(
        visible.is_empty(),
        "still visible after the stop: {visible:?}"
    );
    let raw = prometheus.raw_samples("rw_live", 60, after);
    assert_eq!(raw.len(), 2, "the samples themselves are stored");
    let x = &raw.iter().find(|s| s.labels["a"] == "x").unwrap().samples;
    let values: Vec<f64> = x.iter().map(|s| s.1).collect();
    let count = values.len();
    assert!(count >= 20, "{count} samples");
    assert_eq!(
        values,
        (0..count).map(|i| i as f64).collect::<Vec<_>>(),
        "the live ticks arrive in order, none lost"
    );
}
