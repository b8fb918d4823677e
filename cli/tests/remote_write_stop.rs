//! Stopping a write while the receiver is down, failing or hanging: Ctrl-C and SIGTERM are
//! obeyed within a second or two, not after `retryFor`; what could not be delivered is
//! reported, and the exit status is not 0; a second Ctrl-C quits at once.
//!
//! The receivers are in-process stubs on 127.0.0.1, for fault injection: one answers 503 to
//! every request that carries samples (it takes the 1.0 metadata request, so the writer is
//! past it with requests in flight and its queues full), one never answers, and a port
//! with nothing listening. The CLI tests run the real `promgen-cli write` and signal it with
//! `kill`.

mod rw_common;

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use promgen::remote_write::{Protocol, RemoteWriter, WriteError, WriteOptions};
use rw_common::{
    LONG_SERIES, Running, STOP_WITHIN, STOPPING, Server, Shared, assert_stops, decode, registry,
    reply, scraper, shared,
};
use std::{
    net::TcpListener,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// A stub answering 503 to every request with samples, counting them; a request without
/// (1.0 metadata) is taken.
async fn failing_receiver() -> (Server, Shared<usize>) {
    let failed: Shared<usize> = shared();
    let state = Arc::clone(&failed);
    let server = Server::start(move |headers: HeaderMap, body: Bytes| {
        let failed = Arc::clone(&state);
        async move {
            match decode(&headers, &body) {
                Ok(series) if series.is_empty() => reply(StatusCode::NO_CONTENT, &[], ""),
                Ok(_) => {
                    *failed.lock().unwrap() += 1;
                    reply(StatusCode::SERVICE_UNAVAILABLE, &[], "down for maintenance")
                }
                Err(e) => reply(StatusCode::BAD_REQUEST, &[], &e),
            }
        }
    })
    .await;
    (server, failed)
}

/// A stub that takes requests and never answers them.
async fn hanging_receiver() -> Server {
    Server::start(|_headers: HeaderMap, _body: Bytes| async {
        std::future::pending::<()>().await;
        Response::new(axum::body::Body::empty())
    })
    .await
}

/// A loopback URL on a port nothing listens on.
fn nothing_listening() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}/api/v1/write")
}

// ---------------------------------------------------------------------------------------
// The library: `RemoteWriter::run`'s stop future is raced against every wait.
// ---------------------------------------------------------------------------------------

fn options(url: String, protocol: Protocol) -> WriteOptions {
    let mut opts = WriteOptions::new(url);
    opts.protocol = protocol;
    opts.concurrency = 2;
    opts.max_samples_per_send = 10;
    opts.min_backoff = Duration::from_millis(20);
    opts.max_backoff = Duration::from_millis(200);
    // Far longer than the test: only the stop can end these writes in time.
    opts.retry_for = Duration::from_secs(300);
    opts.timeout = Duration::from_secs(60);
    opts
}

/// Runs a write to `url`, stopped after `after`; returns its result and how long the stop
/// took to be obeyed.
async fn stopped_write(
    url: String,
    protocol: Protocol,
    after: Duration,
) -> (
    Result<promgen::remote_write::WriteSummary, WriteError>,
    Duration,
) {
    let mut reg = registry(LONG_SERIES);
    let writer = RemoteWriter::new(&options(url, protocol)).unwrap();
    let stop_at = Arc::new(Mutex::new(None));
    let mark = Arc::clone(&stop_at);
    let stop = async move {
        tokio::time::sleep(after).await;
        *mark.lock().unwrap() = Some(Instant::now());
    };
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        writer.run(&mut reg, &scraper(600, 15_000), stop),
    )
    .await
    .expect("the stop was ignored: the write still ran 20 s later");
    let at = stop_at.lock().unwrap().expect("the stop future completed");
    (result, at.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_stops_in_time_and_says_what_was_not_delivered() {
    for protocol in [Protocol::V1, Protocol::V2] {
        // Requests with samples failing, queues full.
        let (server, failed) = failing_receiver().await;
        let (result, took) =
            stopped_write(server.url(), protocol, Duration::from_millis(600)).await;
        server.shutdown().await;
        let what = format!("{protocol}, 503");
        assert!(*failed.lock().unwrap() >= 2, "{what}: it was retrying");
        check_interrupted(
            &what,
            result,
            took,
            Lost::Samples,
            Some("down for maintenance"),
        );

        // A request in flight that is never answered: in 1.0 the metadata, sent first.
        let server = hanging_receiver().await;
        let (result, took) =
            stopped_write(server.url(), protocol, Duration::from_millis(300)).await;
        drop(server);
        let lost = match protocol {
            Protocol::V1 => Lost::Metadata,
            Protocol::V2 => Lost::Samples,
        };
        check_interrupted(&format!("{protocol}, no answer"), result, took, lost, None);
    }
    // Nothing listening: the 1.0 metadata request, before any sample, is retried.
    let (result, took) = stopped_write(
        nothing_listening(),
        Protocol::V1,
        Duration::from_millis(600),
    )
    .await;
    check_interrupted(
        "nothing listening",
        result,
        took,
        Lost::Metadata,
        Some("Connection refused"),
    );
}

/// What a stopped write could not deliver.
#[derive(Debug, PartialEq)]
enum Lost {
    /// The 1.0 metadata request, sent before any sample is generated.
    Metadata,
    /// Samples.
    Samples,
}

fn check_interrupted(
    what: &str,
    result: Result<promgen::remote_write::WriteSummary, WriteError>,
    took: Duration,
    lost: Lost,
    last_failure: Option<&str>,
) {
    match result {
        Err(WriteError::Interrupted {
            undelivered,
            metadata,
            last,
            summary,
        }) => {
            match lost {
                Lost::Metadata => assert!(
                    metadata && undelivered == 0,
                    "{what}: {metadata} {undelivered}"
                ),
                Lost::Samples => assert!(
                    !metadata && undelivered > 0,
                    "{what}: {metadata} {undelivered}"
                ),
            }
            assert!(summary.stopped, "{what}: summary.stopped");
            assert_eq!(summary.samples, 0, "{what}: nothing got through");
            match (last_failure, last) {
                (Some(want), Some(last)) => assert!(
                    last.contains(want),
                    "{what}: the receiver's last failure is named: {last:?}"
                ),
                (None, None) => {}
                (want, got) => panic!("{what}: last failure {got:?}, expected {want:?}"),
            }
        }
        other => panic!("{what}: expected Interrupted, got {other:?}"),
    }
    assert!(took < STOP_WITHIN, "{what}: the stop took {took:?}");
}

// ---------------------------------------------------------------------------------------
// The CLI: Ctrl-C (SIGINT) and SIGTERM.
// ---------------------------------------------------------------------------------------

#[test]
fn ctrl_c_stops_a_write_to_a_port_nothing_listens_on() {
    let url = nothing_listening();
    let mut cli = Running::backfill(&url, "stop-refused", &[]);
    cli.wait_for("promgen-cli write: ");
    // Connections are refused and retried with backoff from the start.
    std::thread::sleep(Duration::from_secs(1));
    assert_stops(cli, "INT", "nothing listening");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_and_sigterm_stop_a_write_to_a_receiver_answering_503() {
    for signal in ["INT", "TERM"] {
        let (server, failed) = failing_receiver().await;
        let url = server.url();
        let failures = Arc::clone(&failed);
        tokio::task::spawn_blocking(move || {
            let cli = Running::backfill(&url, &format!("stop-503-{signal}"), &[]);
            let started = Instant::now();
            // Retrying: several requests with samples answered 503 already.
            while *failures.lock().unwrap() < 4 {
                assert!(started.elapsed() < Duration::from_secs(20), "no retries");
                std::thread::sleep(Duration::from_millis(10));
            }
            assert_stops(cli, signal, &format!("503, SIG{signal}"));
        })
        .await
        .unwrap();
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_quits_at_once() {
    let server = hanging_receiver().await;
    let url = server.url();
    tokio::task::spawn_blocking(move || {
        let mut cli = Running::backfill(&url, "stop-twice", &[]);
        cli.wait_for("promgen-cli write: ");
        std::thread::sleep(Duration::from_millis(500));
        cli.signal("INT");
        cli.wait_for(STOPPING);
        cli.signal("INT");
        let (status, took) = cli.exit_within(Duration::from_secs(5), "second Ctrl-C");
        assert!(
            took < Duration::from_millis(500),
            "the second Ctrl-C took {took:?}: {}",
            cli.stderr()
        );
        // 128 + SIGINT: it quit there and then, without the first stop's grace period.
        assert_eq!(status.code(), Some(130), "{status}: {}", cli.stderr());
    })
    .await
    .unwrap();
    drop(server);
}

/// A stub that takes every request after `delay`, counting the samples it took.
async fn slow_receiver(delay: Duration) -> (Server, Shared<usize>) {
    let took: Shared<usize> = shared();
    let state = Arc::clone(&took);
    let server = Server::start(move |headers: HeaderMap, body: Bytes| {
        let took = Arc::clone(&state);
        async move {
            tokio::time::sleep(delay).await;
            let series = decode(&headers, &body).unwrap_or_else(|e| panic!("{e}"));
            let n = series.iter().map(|(_, s)| s.len()).sum();
            *took.lock().unwrap() += n;
            rw_common::accepted(&headers, n)
        }
    })
    .await;
    (server, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_longer_stop_grace_delivers_every_stale_marker_of_a_large_load() {
    // 300 series live: one tick, then a stop. Their 300 stale markers take 15 rounds of
    // two 150 ms requests of 10 samples, about 2.3 s: more than the default 1 s grace.
    let config = "metrics:\n  - name: g\n    timeseries:\n      - labels: {k: 'v{1..300}'}\n        series: '1'\n";
    for (grace, all) in [(None, false), (Some(Duration::from_secs(10)), true)] {
        let (server, took) = slow_receiver(Duration::from_millis(150)).await;
        let mut opts = options(server.url(), Protocol::V1);
        if let Some(g) = grace {
            opts.stop_grace = g;
        }
        let writer = RemoteWriter::new(&opts).unwrap();
        let mut reg = registry(config);
        let start = promgen::time::now_ms();
        let live = promgen::Scraper::new(start, 60_000, promgen::Stop::Count(100)).unwrap();
        let stats = writer.stats();
        let stop = async move {
            // Once the first tick is all delivered.
            while stats.samples() < 300 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let result = writer.run(&mut reg, &live, stop).await;
        server.shutdown().await;
        let took = *took.lock().unwrap();
        match (all, result) {
            (true, Ok(summary)) => {
                assert!(summary.stopped);
                assert_eq!(
                    (summary.samples, took),
                    (600, 600),
                    "every stale marker arrived"
                );
            }
            (false, Err(WriteError::Interrupted { undelivered, .. })) => {
                assert!(undelivered > 0, "some stale markers left undelivered");
                assert!(took < 600, "{took}");
            }
            (_, other) => panic!("grace {grace:?}: {other:?}"),
        }
    }
}
