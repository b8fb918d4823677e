//! Receivers that misbehave on purpose (issue #12, items 5 to 7), against the real
//! `promgen-cli write`: `Retry-After: 0` on every answer must not make a retry storm; a
//! body (or a `Location`) full of escape sequences, NUL and bytes that are not UTF-8 must
//! reach the terminal escaped and cut; redirect loops, too many redirects and redirects
//! that are not followed are errors said at once, not retried in silence.
//!
//! The receivers are in-process stubs on 127.0.0.1, for fault injection: no real receiver
//! answers like this on request.

mod rw_common;

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
};
use rw_common::{Running, Server, Shared, TempConfig, assert_stops, reply, shared};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

const CONFIG: &str = r#"
metrics:
  - name: jobs_total
    type: counter
    timeseries:
      - labels: {queue: a}
        values: "0+2x1000"
  - name: level
    timeseries:
      - values: "1x1000"
"#;

// ---------------------------------------------------------------------------------------
// Item 5: no retry storm.
// ---------------------------------------------------------------------------------------

/// How long the storm is watched.
const WATCHED: Duration = Duration::from_secs(2);

/// Prometheus's sender's first backoff, which no wait may go under.
const FLOOR: Duration = Duration::from_millis(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_0_on_every_answer_does_not_make_a_retry_storm() {
    let arrivals: Shared<Vec<Instant>> = shared();
    let seen = Arc::clone(&arrivals);
    let server = Server::start(move |_headers: HeaderMap, _body: Bytes| {
        let seen = Arc::clone(&seen);
        async move {
            seen.lock().unwrap().push(Instant::now());
            reply(
                StatusCode::SERVICE_UNAVAILABLE,
                &[("Retry-After", "0".into())],
                "overloaded",
            )
        }
    })
    .await;
    let url = server.url();
    let watched = Arc::clone(&arrivals);
    tokio::task::spawn_blocking(move || {
        let config = TempConfig::new("storm", CONFIG);
        let args = ["--url", &url, "--from", "-1h", "--to", "now"];
        let cli = Running::start(config, &args);
        let started = Instant::now();
        let first = loop {
            if let Some(&first) = watched.lock().unwrap().first() {
                break first;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "no request");
            std::thread::sleep(Duration::from_millis(5));
        };
        std::thread::sleep((first + WATCHED).saturating_duration_since(Instant::now()));
        assert_stops(cli, "TERM", "503 with Retry-After: 0");
    })
    .await
    .unwrap();
    server.shutdown().await;

    let arrivals = arrivals.lock().unwrap();
    let first = arrivals[0];
    let within: Vec<Duration> = arrivals
        .iter()
        .map(|t| t.duration_since(first))
        .filter(|d| *d < WATCHED)
        .collect();
    // The 1.0 metadata request, answered 503 every time, is the only one: one request
    // retried from 30 ms, doubling, is sent about log2(2000 ms / 30 ms) + 1 times in 2 s;
    // with the jitter (a wait may be half its backoff, never below 30 ms) a few more.
    let doublings = (WATCHED.as_secs_f64() / FLOOR.as_secs_f64()).log2().ceil() as usize;
    let most = doublings + 3;
    assert!(
        within.len() > 2 && within.len() <= most,
        "{} requests in {WATCHED:?} (at most {most} with a backoff from {FLOOR:?}), the first \
         at {:?}",
        within.len(),
        &within[..within.len().min(20)]
    );
    for pair in within.windows(2) {
        assert!(
            pair[1] - pair[0] >= FLOOR,
            "a retry {:?} after the one before, under the {FLOOR:?} floor: {within:?}",
            pair[1] - pair[0]
        );
    }
}
