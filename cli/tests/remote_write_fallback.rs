//! Falling back from Remote Write 2.0 to 1.0 is said, not silent: the library tells why
//! (`FallbackReason`, once, at the moment it happens, and in the summary), and
//! `promgen-cli write --protocol v2` prints it once on stderr.
//!
//! The receivers are in-process stubs on 127.0.0.1, for fault injection: one answers 2.0
//! requests 415, one answers them 204 without the written-count headers (what Prometheus
//! 2.42 does; remote_write_prometheus.rs checks the real one), and one speaks 2.0. Every 1.0
//! request is decoded and kept (`rw_common::decode`), so nothing is lost in the switch. How
//! the 2.0 and 1.0 messages themselves are encoded is checked in remote_write_v2.rs.

mod rw_common;

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
};
use promgen::remote_write::{FallbackReason, Protocol, RemoteWriter, WriteOptions};
use rw_common::{
    Server, Shared, Store, TempConfig, V2_CONTENT_TYPE, accepted, assert_samples_eq, cli_write,
    decode, expected, header_str, registry, reply, scraper, shared,
};
use std::sync::{Arc, Mutex};

const CONFIG: &str = r#"
metrics:
  - name: jobs_total
    type: counter
    timeseries:
      - labels: {queue: a}
        values: "0+2x30"
      - labels: {queue: b}
        values: "0+1x30"
  - name: level
    timeseries:
      - labels: {tank: one}
        values: "5 4 _ _ 3 stale 2 1"
      - labels: {tank: two}
        values: "1x30"
"#;

const TICKS: i64 = 20;
const INTERVAL_MS: i64 = 15_000;

/// How a stub answers a 2.0 request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// 415 Unsupported Media Type.
    Unsupported,
    /// 204 without any X-Prometheus-Remote-Write-*-Written header, writing nothing.
    SilentlyEmpty,
    /// 204 with the written counts: a 2.0 receiver.
    Written,
}

/// A stub answering 2.0 requests as `answer` says and keeping every request it takes.
async fn receiver(answer: Answer) -> (Server, Shared<Store>) {
    let store: Shared<Store> = shared();
    let state = Arc::clone(&store);
    let server = Server::start(move |headers: HeaderMap, body: Bytes| {
        let store = Arc::clone(&state);
        async move {
            let v2 = header_str(&headers, "content-type") == Some(V2_CONTENT_TYPE);
            match answer {
                Answer::Unsupported if v2 => {
                    return reply(StatusCode::UNSUPPORTED_MEDIA_TYPE, &[], "not 2.0");
                }
                Answer::SilentlyEmpty if v2 => return reply(StatusCode::NO_CONTENT, &[], ""),
                _ => {}
            }
            let series = match decode(&headers, &body) {
                Ok(s) => s,
                Err(e) => return reply(StatusCode::BAD_REQUEST, &[], &e),
            };
            let n = series.iter().map(|(_, s)| s.len()).sum();
            store.lock().unwrap().add(series);
            accepted(&headers, n)
        }
    })
    .await;
    (server, store)
}

fn options(url: String) -> WriteOptions {
    let mut opts = WriteOptions::new(url);
    opts.protocol = Protocol::V2;
    // Several shards, so that more than one 2.0 request may be answered as 1.0.
    opts.concurrency = 3;
    opts.max_samples_per_send = 5;
    opts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_says_once_why_it_fell_back_to_1_0() {
    let clock = scraper(TICKS, INTERVAL_MS);
    let want = expected(CONFIG, &clock);
    let cases = [
        (
            Answer::Unsupported,
            Some(FallbackReason::UnsupportedMediaType),
        ),
        (
            Answer::SilentlyEmpty,
            Some(FallbackReason::NoWrittenHeaders { status: 204 }),
        ),
        (Answer::Written, None),
    ];
    for (answer, reason) in cases {
        let (server, store) = receiver(answer).await;
        let told: Arc<Mutex<Vec<FallbackReason>>> = Arc::default();
        let log = Arc::clone(&told);
        let writer = RemoteWriter::new(&options(server.url()))
            .unwrap()
            .on_fallback(move |why| log.lock().unwrap().push(why));
        let summary = writer
            .run(&mut registry(CONFIG), &clock, std::future::pending())
            .await
            .unwrap_or_else(|e| panic!("{answer:?}: {e}"));
        server.shutdown().await;
        let what = format!("{answer:?}");
        assert_eq!(
            *told.lock().unwrap(),
            Vec::from_iter(reason),
            "{what}: the notice"
        );
        assert_eq!(summary.fallback, reason, "{what}: summary.fallback");
        let protocol = if reason.is_some() {
            Protocol::V1
        } else {
            Protocol::V2
        };
        assert_eq!(summary.protocol, protocol, "{what}: summary.protocol");
        let store = store.lock().unwrap();
        assert!(
            store.violations.is_empty(),
            "{what}: {:?}",
            store.violations
        );
        assert_samples_eq(&store.samples, &want, &what);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_once_that_the_receiver_answered_415() {
    let (server, store) = receiver(Answer::Unsupported).await;
    let config = TempConfig::new("fallback", CONFIG);
    let url = server.url();
    let args = [
        "--url",
        &url,
        "--protocol",
        "v2",
        "--concurrency",
        "3",
        "--batch-size",
        "5",
        "--from",
        "2023-11-14T22:13:20Z",
        "--to",
        "2023-11-14T22:18:05Z",
    ];
    let output = cli_write(&config, &args).await;
    server.shutdown().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "promgen-cli write failed: {stderr}"
    );
    let said: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("Remote Write 2.0"))
        .collect();
    assert_eq!(
        said,
        [
            "the receiver does not speak Remote Write 2.0 (it answered 415 Unsupported Media Type): sending 1.0 from now on"
        ],
        "once, with the reason:\n{stderr}"
    );
    assert!(stderr.contains("protocol v1"), "{stderr}");
    // 20 ticks from 22:13:20 to 22:18:05, every 15 s, as the library computes them.
    let want = expected(CONFIG, &scraper(TICKS, INTERVAL_MS));
    assert_samples_eq(
        &store.lock().unwrap().samples,
        &want,
        "the CLI after the 415",
    );
}
