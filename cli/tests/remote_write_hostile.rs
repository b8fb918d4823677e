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
    body::{Body, Bytes},
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use rw_common::{Running, Server, Shared, TempConfig, assert_stops, cli_write, reply, shared};
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

/// The same series, 20 samples each, from a fixed past hour: a backfill that ends.
const SHORT: &str = r#"
scraper: {scrapeInterval: 15s, startTime: "2023-11-14T22:13:20Z", scrapesCount: 20}
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

// ---------------------------------------------------------------------------------------
// Item 6: a receiver's text reaches the terminal escaped and cut.
// ---------------------------------------------------------------------------------------

/// Sets the terminal's title and clears the screen, then NUL, a byte that is not UTF-8, a
/// newline that would forge a line of output, and a long tail.
fn hostile_body() -> Vec<u8> {
    let mut body = b"\x1b]0;TITLE\x07\x1b[2J\0\xff\nok: done ".to_vec();
    body.extend(std::iter::repeat_n(b'x', 2000));
    body
}

/// How the start of [`hostile_body`] must be shown: every control and the bad byte
/// written out.
const SHOWN_START: &str = r"\x1b]0;TITLE\x07\x1b[2J\0\xff\nok: done ";

/// A stub answering every request `status` with [`hostile_body`].
async fn hostile_receiver(status: StatusCode) -> Server {
    Server::start(move |_headers: HeaderMap, _body: Bytes| async move {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(hostile_body()))
            .unwrap()
    })
    .await
}

/// Fails unless `stderr` shows [`hostile_body`] escaped and cut, saying how many bytes
/// were left out.
fn assert_escaped_and_cut(stderr: &[u8], what: &str) {
    let text = String::from_utf8_lossy(stderr);
    for raw in [0x1b, 0x07, 0x00, 0xff] {
        assert!(
            !stderr.contains(&raw),
            "{what}: byte {raw:#04x} reached the terminal as it came: {text:?}"
        );
    }
    let Some(at) = text.find(SHOWN_START) else {
        panic!("{what}: the body is not shown escaped ({SHOWN_START}): {text}");
    };
    let tail = &text[at + SHOWN_START.len()..];
    let xs = tail.bytes().take_while(|&b| b == b'x').count();
    // Of the 2000 x that end the body, those not shown.
    let left_out = 2000 - xs;
    let cut = format!("… ({left_out} more bytes)");
    assert!(
        tail[xs..].starts_with(&cut),
        "{what}: the body is not cut with {cut:?} after {xs} x: {text}"
    );
    assert!(
        SHOWN_START.len() + xs <= 512 && xs > 400,
        "{what}: {} bytes of the body shown, not up to 512",
        SHOWN_START.len() + xs
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_body_is_shown_escaped_and_cut() {
    let server = hostile_receiver(StatusCode::BAD_REQUEST).await;
    let config = TempConfig::new("hostile-400", SHORT);
    let output = cli_write(&config, &["--url", &server.url()]).await;
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(1), "a 400 fails the write");
    assert_escaped_and_cut(&output.stderr, "400");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_failures_body_is_shown_escaped_and_cut_when_the_writer_gives_up() {
    let server = hostile_receiver(StatusCode::SERVICE_UNAVAILABLE).await;
    let yaml = format!("remoteWriter: {{retryFor: 300ms}}\n{SHORT}");
    let config = TempConfig::new("hostile-503", &yaml);
    let output = cli_write(&config, &["--url", &server.url()]).await;
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(1), "giving up fails the write");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("gave up after"), "{stderr}");
    assert_escaped_and_cut(&output.stderr, "503, given up");
}
