//! Stale markers on the wire: exactly one where a series ends, however its shape ends, and
//! one for each running series when a write is stopped; never a second one.
//!
//! An in-process receiver on 127.0.0.1 takes every request and decodes it
//! (`rw_common::decode`). The expected samples are written out by hand here, not computed by
//! the library: the library's own account (`Registry::collect`) is what is being checked.

mod rw_common;

use axum::{body::Bytes, http::HeaderMap};
use promgen::{
    Scraper, Stop, is_stale,
    remote_write::{Protocol, RemoteWriter, WriteOptions},
    time::now_ms,
};
use rw_common::{
    Points, START_MS, Server, Shared, Store, accepted, decode, registry, scraper, series_key,
    shared,
};
use std::{sync::Arc, time::Duration};

/// Every way a shape ends, next to a series that runs on and a histogram (which never ends).
const ENDINGS: &str = r#"
metrics:
  - name: ends
    timeseries:
      - labels: {how: remove}
        values: '1 2 3'
        endStrategy: removeTimeSeries
      - labels: {how: dsl_end}
        series: '[1, 2] >> end'
      - labels: {how: stop}
        values: '5 4'
      - labels: {how: stale_last}
        values: '1 stale'
      - labels: {how: gap_last}
        values: '1 _'
      - labels: {how: never}
        values: '_x2'
  - name: runs
    timeseries:
      - values: '0+1x100'
"#;

const INTERVAL_MS: i64 = 15_000;

/// A receiver that takes everything and keeps what it got.
async fn receiver() -> (Server, Shared<Store>) {
    let store: Shared<Store> = shared();
    let state = Arc::clone(&store);
    let server = Server::start(move |headers: HeaderMap, body: Bytes| {
        let store = Arc::clone(&state);
        async move {
            let series = decode(&headers, &body).unwrap_or_else(|e| panic!("{e}"));
            let n = series.iter().map(|(_, s)| s.len()).sum();
            store.lock().unwrap().add(series);
            accepted(&headers, n)
        }
    })
    .await;
    (server, store)
}

fn options(url: String, protocol: Protocol) -> WriteOptions {
    let mut opts = WriteOptions::new(url);
    opts.protocol = protocol;
    opts.concurrency = 2;
    opts.max_samples_per_send = 3;
    opts
}

/// A series' samples as `tick:value`, ticks counted from [`START_MS`].
fn show(points: &Points) -> Vec<String> {
    points
        .iter()
        .map(|&(ts, bits)| {
            let v = f64::from_bits(bits);
            let v = if is_stale(v) {
                "stale".to_owned()
            } else {
                v.to_string()
            };
            format!("{}:{v}", (ts - START_MS) / INTERVAL_MS)
        })
        .collect()
}

fn key(how: &str) -> String {
    series_key([("__name__", "ends"), ("how", how)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_that_ends_gets_exactly_one_stale_marker() {
    for protocol in [Protocol::V1, Protocol::V2] {
        let (server, store) = receiver().await;
        let mut reg = registry(ENDINGS);
        let writer = RemoteWriter::new(&options(server.url(), protocol)).unwrap();
        writer
            .run(&mut reg, &scraper(8, INTERVAL_MS), std::future::pending())
            .await
            .unwrap_or_else(|e| panic!("{protocol}: {e}"));
        server.shutdown().await;
        let store = std::mem::take(&mut *store.lock().unwrap());
        assert!(
            store.violations.is_empty(),
            "{protocol}: {:?}",
            store.violations
        );
        let got = |how: &str| store.samples.get(&key(how)).map(show).unwrap_or_default();
        let want: [(&str, &[&str]); 6] = [
            // The end strategy's stale marker ends the series, and nothing follows it.
            ("remove", &["0:1", "1:2", "2:3", "3:stale"]),
            ("dsl_end", &["0:1", "1:2", "2:stale"]),
            // A value last: the end is marked stale, once.
            ("stop", &["0:5", "1:4", "2:stale"]),
            ("gap_last", &["0:1", "2:stale"]),
            // A stale marker last: that one ends it.
            ("stale_last", &["0:1", "1:stale"]),
            // Never a sample: no series at all.
            ("never", &[]),
        ];
        let problems: Vec<String> = want
            .iter()
            .filter(|(how, w)| got(how) != *w)
            .map(|(how, w)| format!("{how}: got {:?}, want {w:?}", got(how)))
            .collect();
        assert!(
            problems.is_empty(),
            "{protocol}:\n  {}",
            problems.join("\n  ")
        );
        let runs = &store.samples[&series_key([("__name__", "runs")])];
        assert_eq!(
            runs.len(),
            8,
            "{protocol}: the running series is sent to the end"
        );
        assert!(
            !runs.iter().any(|s| is_stale(f64::from_bits(s.1))),
            "{protocol}: a backfill that reaches its end marks nothing stale"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_write_marks_each_running_series_stale_once() {
    let config = r#"
metrics:
  - name: live
    timeseries:
      - labels: {a: runs}
        values: '0+1x100000'
      - labels: {a: removed}
        values: '1'
        endStrategy: removeTimeSeries
      - labels: {a: stale_now}
        values: '1 stale _x100000'
"#;
    for protocol in [Protocol::V1, Protocol::V2] {
        let (server, store) = receiver().await;
        let mut reg = registry(config);
        let writer = RemoteWriter::new(&options(server.url(), protocol)).unwrap();
        // Live: a second of history, then a tick every 50 ms until stopped.
        let clock = Scraper::new(now_ms() - 1000, 50, Stop::Count(0)).unwrap();
        let summary = writer
            .run(
                &mut reg,
                &clock,
                tokio::time::sleep(Duration::from_millis(700)),
            )
            .await
            .unwrap_or_else(|e| panic!("{protocol}: {e}"));
        server.shutdown().await;
        assert!(summary.stopped, "{protocol}");
        let store = std::mem::take(&mut *store.lock().unwrap());
        assert!(
            store.violations.is_empty(),
            "{protocol}: {:?}",
            store.violations
        );
        let stale = |a: &str| -> Vec<bool> {
            store.samples[&series_key([("__name__", "live"), ("a", a)])]
                .iter()
                .map(|s| is_stale(f64::from_bits(s.1)))
                .collect()
        };
        let runs = stale("runs");
        assert!(runs.len() > 20, "{protocol}: {} samples", runs.len());
        assert_eq!(
            runs.iter().filter(|s| **s).count(),
            1,
            "{protocol}: one stale marker for the running series"
        );
        assert_eq!(
            runs.last(),
            Some(&true),
            "{protocol}: and it is the last sample"
        );
        // Ended or stale already: the stop adds nothing.
        assert_eq!(stale("removed"), [false, true], "{protocol}");
        assert_eq!(stale("stale_now"), [false, true], "{protocol}");
    }
}
