//! Remote Write under faults: nothing lost, nothing doubled.
//!
//! In-process receivers on 127.0.0.1 fail on purpose: 5xx then 429 with `Retry-After`, a
//! 400 that must not be retried (library and `promgen-cli write`), a receiver restarted in
//! the middle of a backfill, and one that fails for ever. Requests are decoded with
//! promgen's own `prost` structs (`rw_common::decode`; the 2.0 wire format itself is checked
//! independently in remote_write_v2.rs). Spec rules: notes/rw-spec-digest.md (1.0 retry rules; 2.0 S19-S21).

mod rw_common;

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use promgen::{
    Scraper,
    remote_write::{Protocol, RemoteWriter, WriteError, WriteOptions, WriteSummary},
};
use rw_common::{
    Server, Shared, Store, TempConfig, accepted, assert_samples_eq, cli_write, count, decode,
    expected, header_str, registry, reply, scraper, shared,
};
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

/// A counter, a gauge that ends (a stale marker), one with a gap, and a histogram.
const CONFIG: &str = r#"
metrics:
  - name: jobs_total
    help: Jobs done.
    type: counter
    timeseries:
      - labels: {queue: a}
        series: 'uniform(0..3).cumsum()'
      - labels: {queue: b}
        values: "0+2x30"
  - name: level
    type: gauge
    timeseries:
      - labels: {tank: one}
        values: "5 4 _ _ 3 stale 2 1"
      - labels: {tank: two}
        endStrategy: loop
        values: "1 _ 2"
  - name: latency_seconds
    help: Latency.
    type: histogram
    buckets: [0.1, 0.5]
    timeseries:
      - labels: {path: /x}
        observations: 'normal(0.2, 0.1).clamp(0, 5)'
        perScrape: 4
"#;

const TICKS: i64 = 30;
const INTERVAL_MS: i64 = 15_000;

fn options(url: String, protocol: Protocol) -> WriteOptions {
    let mut opts = WriteOptions::new(url);
    opts.protocol = protocol;
    opts.concurrency = 3;
    opts.max_samples_per_send = 10;
    opts.min_backoff = Duration::from_millis(20);
    opts.max_backoff = Duration::from_millis(200);
    opts.retry_for = Duration::from_secs(8);
    opts.timeout = Duration::from_secs(5);
    opts
}

async fn run(opts: &WriteOptions, clock: &Scraper) -> Result<WriteSummary, WriteError> {
    let mut registry = registry(CONFIG);
    let writer = RemoteWriter::new(opts).unwrap();
    tokio::time::timeout(
        Duration::from_secs(15),
        writer.run(&mut registry, clock, std::future::pending()),
    )
    .await
    .expect("the write did not finish in 15 s")
}

// ---------------------------------------------------------------------------------------
// (a) 500, 500, then 429 with Retry-After: 1, then success.
// ---------------------------------------------------------------------------------------

/// What the flaky receiver saw.
#[derive(Debug, Default)]
struct FlakyLog {
    store: Store,
    /// Requests of the kind that is failed on purpose, counted to pick the failures.
    counted: usize,
    requests: usize,
    failed: usize,
    /// Uncompressed bodies answered 429, and when.
    limited: HashMap<Vec<u8>, Instant>,
    /// For a body answered 429: how long until it came again and was taken.
    retry_after_waits: Vec<Duration>,
}

/// A receiver failing the first three requests it counts (every request, or only those
/// carrying samples): 500, 500, then 429 with `Retry-After: 1`; after that it takes all.
async fn flaky_receiver(count_metadata_requests: bool) -> (Server, Shared<FlakyLog>) {
    let log: Shared<FlakyLog> = shared();
    let state = Arc::clone(&log);
    let server = Server::start(move |headers: HeaderMap, body: Bytes| {
        let log = Arc::clone(&state);
        async move {
            let mut log = log.lock().unwrap();
            log.requests += 1;
            let series = match decode(&headers, &body) {
                Ok(s) => s,
                Err(e) => return reply(StatusCode::BAD_REQUEST, &[], &e),
            };
            let raw = snap::raw::Decoder::new().decompress_vec(&body).unwrap();
            if count_metadata_requests || !series.is_empty() {
                log.counted += 1;
                match log.counted {
                    1 | 2 => {
                        log.failed += 1;
                        return reply(StatusCode::INTERNAL_SERVER_ERROR, &[], "try again");
                    }
                    3 => {
                        log.failed += 1;
                        log.limited.insert(raw, Instant::now());
                        return reply(
                            StatusCode::TOO_MANY_REQUESTS,
                            &[("Retry-After", "1".into())],
                            "slow down",
                        );
                    }
                    _ => {}
                }
            }
            if let Some(at) = log.limited.remove(&raw) {
                log.retry_after_waits.push(at.elapsed());
            }
            let n = series.iter().map(|(_, s)| s.len()).sum();
            log.store.add(series);
            accepted(&headers, n)
        }
    })
    .await;
    (server, log)
}

async fn retries_then_success(protocol: Protocol, count_metadata_requests: bool) {
    let clock = scraper(TICKS, INTERVAL_MS);
    let want = expected(CONFIG, &clock);
    let (server, log) = flaky_receiver(count_metadata_requests).await;
    let started = Instant::now();
    let summary = run(&options(server.url(), protocol), &clock)
        .await
        .unwrap_or_else(|e| panic!("{protocol}: the write failed: {e}"));
    let elapsed = started.elapsed();
    server.shutdown().await;
    let log = log.lock().unwrap();
    let what = format!("{protocol}, metadata counted: {count_metadata_requests}");
    assert!(
        log.store.violations.is_empty(),
        "{what}: {}",
        log.store.violations.join("\n")
    );
    // Every sample exactly once, in order per series, stale markers included.
    assert_samples_eq(&log.store.samples, &want, &what);
    assert_eq!(
        summary.samples as usize,
        count(&want),
        "{what}: summary.samples"
    );
    assert_eq!(log.failed, 3, "{what}: the receiver failed three requests");
    // The rest is gathered, so that one run shows every way the retries went wrong.
    let mut problems = Vec::new();
    // 1.0 spec / S21: 5xx retried with backoff; 429 retried too. Each failure is one retry.
    if summary.retries != 3 {
        problems.push(format!(
            "summary.retries is {}, but 3 requests failed and were sent again",
            summary.retries
        ));
    }
    // S21: Retry-After honoured: the 429'd request came back no sooner than 1 s later.
    match log.retry_after_waits[..] {
        [wait] if wait >= Duration::from_millis(990) => {}
        [wait] => problems.push(format!(
            "Retry-After: 1 not honoured: the 429'd request was resent after {wait:?}"
        )),
        ref waits => problems.push(format!(
            "the 429'd request was not resent once as it was: {waits:?}"
        )),
    }
    if elapsed < Duration::from_secs(1) {
        problems.push(format!(
            "the write took {elapsed:?}, less than the 1 s Retry-After"
        ));
    }
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
    assert!(elapsed < Duration::from_secs(5), "{what}: took {elapsed:?}");
}

/// (a) The first three requests carrying samples fail (500, 500, 429 + Retry-After: 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_5xx_then_429_with_retry_after_are_retried_and_every_sample_arrives_once() {
    retries_then_success(Protocol::V1, false).await;
    retries_then_success(Protocol::V2, false).await;
}

/// (a') The same faults on the very first requests, whatever they carry: with 1.0 that is
/// the metadata request the writer sends before any sample. It must be retried the same
/// way: Retry-After honoured, retries counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_the_1_0_metadata_request_is_retried_like_any_other() {
    retries_then_success(Protocol::V1, true).await;
}

// ---------------------------------------------------------------------------------------
// (b) 400: never retried, the body reported verbatim.
// ---------------------------------------------------------------------------------------

const BAD_LABEL: &str = r#"bad label "x""#;

async fn rejecting_receiver() -> (Server, Shared<usize>) {
    let hits: Shared<usize> = shared();
    let state = Arc::clone(&hits);
    let server = Server::start(move |_headers: HeaderMap, _body: Bytes| {
        let hits = Arc::clone(&state);
        async move {
            *hits.lock().unwrap() += 1;
            reply(StatusCode::BAD_REQUEST, &[], BAD_LABEL)
        }
    })
    .await;
    (server, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn b_a_400_is_not_retried_and_its_body_is_reported_verbatim() {
    let clock = scraper(TICKS, INTERVAL_MS);
    for protocol in [Protocol::V1, Protocol::V2] {
        let (server, hits) = rejecting_receiver().await;
        let mut opts = options(server.url(), protocol);
        // One shard, so that exactly one request can be in flight when the 400 comes.
        opts.concurrency = 1;
        let started = Instant::now();
        let result = run(&opts, &clock).await;
        server.shutdown().await;
        match result {
            Err(WriteError::Rejected { status, body }) => {
                assert_eq!(status, 400, "{protocol}");
                assert_eq!(body, BAD_LABEL, "{protocol}: S19: the body as it came");
            }
            other => panic!("{protocol}: expected Rejected(400), got {other:?}"),
        }
        // 1.0 spec / S20: a 4xx other than 429 is never retried.
        assert_eq!(*hits.lock().unwrap(), 1, "{protocol}: exactly one request");
        assert!(started.elapsed() < Duration::from_secs(2), "{protocol}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn b_the_cli_fails_on_a_400_and_prints_the_receivers_message() {
    let (server, hits) = rejecting_receiver().await;
    let config = TempConfig::new("faults", CONFIG);
    let url = server.url();
    let args = [
        "--url",
        &url,
        "--from",
        "2023-11-14T22:13:20Z",
        "--to",
        "2023-11-14T22:20:50Z",
    ];
    let started = Instant::now();
    let output = cli_write(&config, &args).await;
    server.shutdown().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "promgen-cli write succeeded against a 400: {stderr}"
    );
    assert!(
        stderr.contains(BAD_LABEL),
        "stderr lacks the receiver's message {BAD_LABEL:?} verbatim:\n{stderr}"
    );
    assert!(stderr.contains("400"), "stderr lacks the status:\n{stderr}");
    assert_eq!(*hits.lock().unwrap(), 1, "exactly one request, no retry");
    assert!(started.elapsed() < Duration::from_secs(5));
}

// ---------------------------------------------------------------------------------------
// (c) A receiver restarted in the middle of a backfill.
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct RestartLog {
    store: Store,
    /// Requests taken by the first and by the restarted receiver.
    before: usize,
    after: usize,
    restarted: bool,
}

/// Takes every request; the first receiver signals once it has taken `n`.
fn restart_handler(
    log: Shared<RestartLog>,
    n: usize,
    full: Arc<tokio::sync::Notify>,
) -> impl Fn(HeaderMap, Bytes) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    move |headers: HeaderMap, body: Bytes| {
        let (log, full) = (Arc::clone(&log), Arc::clone(&full));
        Box::pin(async move {
            let mut log = log.lock().unwrap();
            let series = match decode(&headers, &body) {
                Ok(s) => s,
                Err(e) => return reply(StatusCode::BAD_REQUEST, &[], &e),
            };
            if log.restarted {
                log.after += 1;
            } else {
                log.before += 1;
                if log.before == n {
                    full.notify_one();
                }
            }
            let count = series.iter().map(|(_, s)| s.len()).sum();
            log.store.add(series);
            accepted(&headers, count)
        })
    }
}

async fn restart_mid_backfill(protocol: Protocol) {
    // Enough ticks for many requests after the restart.
    let clock = scraper(120, INTERVAL_MS);
    let want = expected(CONFIG, &clock);
    let log: Shared<RestartLog> = shared();
    let full = Arc::new(tokio::sync::Notify::new());
    let handler = restart_handler(Arc::clone(&log), 5, Arc::clone(&full));
    let first = Server::start(handler.clone()).await;
    let addr = first.addr;
    let opts = options(first.url(), protocol);

    let started = Instant::now();
    let write = tokio::spawn(async move { run(&opts, &clock).await });
    full.notified().await;
    // Down: the listener is closed, so connections are refused; requests in flight still
    // get their answers (a receiver that took a request answers it).
    first.shutdown().await;
    log.lock().unwrap().restarted = true;
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let second = Server::start_at(addr, handler).await;
    let summary = write
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{protocol}: the write failed: {e}"));
    second.shutdown().await;

    let log = log.lock().unwrap();
    let what = format!("{protocol}, restarted receiver");
    assert!(
        log.store.violations.is_empty(),
        "{what}: {}",
        log.store.violations.join("\n")
    );
    assert_samples_eq(&log.store.samples, &want, &what);
    assert_eq!(summary.samples as usize, count(&want), "{what}");
    assert!(log.before >= 5, "{what}: {} before", log.before);
    assert!(
        log.after > 0,
        "{what}: nothing reached the restarted receiver"
    );
    assert!(
        summary.retries > 0,
        "{what}: refused connections must be retried"
    );
    assert!(
        down_at.elapsed() >= Duration::from_secs(1),
        "{what}: the write ended while the receiver was down"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{what}: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn c_a_receiver_restarted_mid_backfill_gets_every_sample_once() {
    restart_mid_backfill(Protocol::V1).await;
    restart_mid_backfill(Protocol::V2).await;
}

// ---------------------------------------------------------------------------------------
// (d) 500 for ever: give up in time, naming the last error.
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn d_a_receiver_failing_for_ever_makes_the_writer_give_up_in_time() {
    let clock = scraper(TICKS, INTERVAL_MS);
    for protocol in [Protocol::V1, Protocol::V2] {
        let hits: Shared<usize> = shared();
        let state = Arc::clone(&hits);
        let server = Server::start(move |_headers: HeaderMap, _body: Bytes| {
            let hits = Arc::clone(&state);
            async move {
                *hits.lock().unwrap() += 1;
                reply(StatusCode::SERVICE_UNAVAILABLE, &[], "disk full")
            }
        })
        .await;
        let mut opts = options(server.url(), protocol);
        opts.retry_for = Duration::from_millis(500);
        let started = Instant::now();
        let result = run(&opts, &clock).await;
        let elapsed = started.elapsed();
        server.shutdown().await;
        match result {
            Err(WriteError::GaveUp {
                attempts,
                elapsed: spent,
                last,
            }) => {
                assert!(
                    last.contains("503") && last.contains("disk full"),
                    "{protocol}: the last error must be named: {last:?}"
                );
                assert!(
                    attempts >= 2,
                    "{protocol}: retried before giving up: {attempts}"
                );
                assert!(
                    spent >= Duration::from_millis(500),
                    "{protocol}: gave up early: {spent:?}"
                );
            }
            other => panic!("{protocol}: expected GaveUp, got {other:?}"),
        }
        assert!(*hits.lock().unwrap() >= 2, "{protocol}");
        assert!(
            elapsed < Duration::from_secs(2),
            "{protocol}: giving up took {elapsed:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// (e) Credentials and tenant headers reach the receiver on every request.
// ---------------------------------------------------------------------------------------

/// Every request's `Authorization` and `X-Scope-OrgID`.
async fn credentials_seen(opts: &mut WriteOptions) -> Vec<(Option<String>, Option<String>)> {
    let seen: Shared<Vec<(Option<String>, Option<String>)>> = shared();
    let state = Arc::clone(&seen);
    let server = Server::start(move |headers: HeaderMap, body: Bytes| {
        let state = Arc::clone(&state);
        async move {
            let get = |name| header_str(&headers, name).map(str::to_owned);
            state
                .lock()
                .unwrap()
                .push((get("authorization"), get("x-scope-orgid")));
            let samples = decode(&headers, &body).map_or(0, |s| s.iter().map(|x| x.1.len()).sum());
            accepted(&headers, samples)
        }
    })
    .await;
    opts.url = server.url();
    run(opts, &scraper(TICKS, INTERVAL_MS)).await.unwrap();
    server.shutdown().await;
    seen.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn e_basic_auth_bearer_tokens_and_tenant_headers_go_with_every_request() {
    let mut opts = options(String::new(), Protocol::V1);
    opts.headers = vec![("X-Scope-OrgID".into(), "team-a".into())];
    opts.basic_auth = Some(("promgen".into(), "s3cret".into()));
    let seen = credentials_seen(&mut opts).await;
    assert!(seen.len() > 1, "{seen:?}");
    // base64("promgen:s3cret")
    let basic = (
        Some("Basic cHJvbWdlbjpzM2NyZXQ=".to_owned()),
        Some("team-a".to_owned()),
    );
    assert!(seen.iter().all(|s| *s == basic), "{seen:?}");

    opts.basic_auth = None;
    opts.bearer_token = Some("t0k3n".into());
    let seen = credentials_seen(&mut opts).await;
    let bearer = (Some("Bearer t0k3n".to_owned()), Some("team-a".to_owned()));
    assert!(
        !seen.is_empty() && seen.iter().all(|s| *s == bearer),
        "{seen:?}"
    );
}
