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
    Router,
    body::{Body, Bytes},
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::Response,
};
use rw_common::{
    LONG_SERIES, Running, Server, Shared, Store, TempConfig, accepted, assert_stops, cli_write,
    count, decode, expected, reply, scraper, shared,
};
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::net::TcpListener;

/// [`LONG_SERIES`]' first 20 ticks in a fixed past (a backfill that ends), after
/// `remote_writer` (a config block, or nothing).
fn short(remote_writer: &str) -> String {
    let scraper =
        r#"scraper: {scrapeInterval: 15s, startTime: "2023-11-14T22:13:20Z", scrapesCount: 20}"#;
    format!("{remote_writer}{scraper}\n{LONG_SERIES}")
}

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
        let cli = Running::backfill(&url, "hostile-storm", &[]);
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
    let config = TempConfig::new("hostile-400", &short(""));
    let output = cli_write(&config, &["--url", &server.url()]).await;
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(1), "a 400 fails the write");
    assert_escaped_and_cut(&output.stderr, "400");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_failures_body_is_shown_escaped_and_cut_when_the_writer_gives_up() {
    let server = hostile_receiver(StatusCode::SERVICE_UNAVAILABLE).await;
    let yaml = short("remoteWriter: {retryFor: 300ms}\n");
    let config = TempConfig::new("hostile-503", &yaml);
    let output = cli_write(&config, &["--url", &server.url()]).await;
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(1), "giving up fails the write");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("gave up after"), "{stderr}");
    assert_escaped_and_cut(&output.stderr, "503, given up");
}

// ---------------------------------------------------------------------------------------
// Item 7: redirects.
// ---------------------------------------------------------------------------------------

/// The requests a redirecting stub got: method and path.
type Requests = Shared<Vec<(Method, String)>>;

/// A stub on every path: `/loop` redirects (307) to itself, `/chain/N` to `/chain/N+1`,
/// `/found` answers 302 to `/api/v1/push`, `/found-binary` 302 to a Location that is not
/// UTF-8, `/temporary` 307 to `/api/v1/write`, which takes Remote Write (POST only).
async fn redirecting_receiver() -> (SocketAddr, Requests, Shared<Store>) {
    let requests: Requests = shared();
    let store: Shared<Store> = shared();
    let (seen, kept) = (Arc::clone(&requests), Arc::clone(&store));
    let app = Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let (seen, kept) = (Arc::clone(&seen), Arc::clone(&kept));
            async move { redirect_answer(&seen, &kept, method, uri.path(), &headers, &body) }
        },
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, requests, store)
}

fn redirect_answer(
    seen: &Mutex<Vec<(Method, String)>>,
    kept: &Mutex<Store>,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    seen.lock().unwrap().push((method.clone(), path.to_owned()));
    let to = |status: StatusCode, location: &[u8]| {
        Response::builder()
            .status(status)
            .header(
                header::LOCATION,
                header::HeaderValue::from_bytes(location).unwrap(),
            )
            .body(Body::empty())
            .unwrap()
    };
    match path {
        "/loop" => to(StatusCode::TEMPORARY_REDIRECT, b"/loop"),
        "/found" => to(StatusCode::FOUND, b"/api/v1/push"),
        "/found-binary" => to(StatusCode::FOUND, b"/moved\xff"),
        "/temporary" => to(StatusCode::TEMPORARY_REDIRECT, b"/api/v1/write"),
        "/api/v1/write" if method == Method::POST => match decode(headers, body) {
            Ok(series) => {
                let n = series.iter().map(|(_, s)| s.len()).sum();
                kept.lock().unwrap().add(series);
                accepted(headers, n)
            }
            Err(e) => reply(StatusCode::BAD_REQUEST, &[], &e),
        },
        _ => match path
            .strip_prefix("/chain/")
            .and_then(|n| n.parse::<u32>().ok())
        {
            Some(n) => to(
                StatusCode::TEMPORARY_REDIRECT,
                format!("/chain/{}", n + 1).as_bytes(),
            ),
            None => reply(StatusCode::METHOD_NOT_ALLOWED, &[], "POST to /api/v1/write"),
        },
    }
}

/// `promgen-cli write` to `path` of the redirecting stub, which must fail within 3 s
/// (a `retryFor` of 20 s shows a retried redirect); its stderr and the stub's requests.
async fn refused_redirect(path: &str) -> (String, Vec<(Method, String)>, SocketAddr) {
    let (addr, requests, _) = redirecting_receiver().await;
    let url = format!("http://{addr}{path}");
    let yaml = short("remoteWriter: {retryFor: 20s}\n");
    let what = format!("a redirect from {path}");
    let name = format!("redirect{}", path.replace('/', "-"));
    let stderr = tokio::task::spawn_blocking(move || {
        let config = TempConfig::new(&name, &yaml);
        let mut cli = Running::start(config, &["--url", &url]);
        let (status, took) = cli.exit_within(Duration::from_secs(3), &what);
        assert_eq!(status.code(), Some(1), "{what}: {}", cli.stderr());
        assert!(took < Duration::from_secs(3), "{what}: {took:?}");
        cli.stderr()
    })
    .await
    .unwrap();
    let requests = requests.lock().unwrap().clone();
    (stderr, requests, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_is_an_error_at_once() {
    let (stderr, requests, addr) = refused_redirect("/loop").await;
    assert!(
        stderr.contains(&format!(
            "error: redirect loop: the receiver redirects (HTTP 307) to http://{addr}/loop"
        )),
        "{stderr}"
    );
    assert_eq!(requests.len(), 1, "one request, not retried: {requests:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_redirects_are_an_error_at_once() {
    let (stderr, requests, addr) = refused_redirect("/chain/0").await;
    assert!(
        stderr.contains(&format!(
            "error: too many redirects: more than 10, the last (HTTP 307) to http://{addr}/chain/11"
        )),
        "{stderr}"
    );
    // The first request and the 10 redirects followed, once.
    let paths: Vec<String> = (0..=10).map(|n| format!("/chain/{n}")).collect();
    let got: Vec<&str> = requests.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(got, paths, "not retried");
    assert!(
        requests.iter().all(|(m, _)| m == Method::POST),
        "{requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_302_is_not_followed_with_a_get_and_names_its_location() {
    let (stderr, requests, addr) = refused_redirect("/found").await;
    assert!(
        stderr.contains(&format!(
            "error: the receiver redirects the write (HTTP 302) to http://{addr}/api/v1/push: \
             not followed"
        )),
        "{stderr}"
    );
    assert_eq!(
        requests,
        [(Method::POST, "/found".to_owned())],
        "no GET to the Location, no retry"
    );

    // A Location that is not UTF-8 is shown escaped.
    let (stderr, requests, _) = refused_redirect("/found-binary").await;
    assert!(
        stderr.contains(r"(HTTP 302) to /moved\xff: not followed"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{fffd}'), "{stderr}");
    assert_eq!(requests.len(), 1, "{requests:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_307_is_followed_with_the_write_as_it_was() {
    let (addr, requests, store) = redirecting_receiver().await;
    let config = TempConfig::new("redirect-307", &short(""));
    let output = cli_write(&config, &["--url", &format!("http://{addr}/temporary")]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let store = store.lock().unwrap();
    assert!(store.violations.is_empty(), "{:?}", store.violations);
    let want = expected(&short(""), &scraper(20, 15_000));
    assert_eq!(
        count(&store.samples),
        count(&want),
        "every sample: {stderr}"
    );
    let requests = requests.lock().unwrap();
    assert!(
        requests.iter().all(|(m, _)| m == Method::POST),
        "{requests:?}"
    );
}
