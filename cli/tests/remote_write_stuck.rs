//! Ctrl-C and SIGTERM stop `promgen-cli write` within a second or two whatever the receiver
//! is stuck on (issue #12, item 4): a receiver that stops answering after 5 requests, 429s
//! (without `Retry-After`, with a short one, with one of an hour), a connection cut in the
//! middle of a response (the headers, then the socket closed; a body that never ends), and
//! a signal before the first answer (as soon as the first line is printed, too), which must
//! still be a clean stop with stale markers.
//!
//! The receivers are stubs on 127.0.0.1, for fault injection (a real receiver cannot be
//! told to misbehave like this): axum handlers, and for the cut responses a few lines of
//! raw HTTP/1.1 over a TCP socket. The CLI is the real binary, signalled with `kill`.

mod rw_common;

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
};
use rw_common::{
    Running, STOPPING, Server, Shared, Store, accepted, assert_stops, decode, read_request, reply,
    shared,
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::{io::AsyncWriteExt, net::TcpListener, sync::watch};

/// Waits until `count` reaches `n` (the stub got that far), failing after 20 s.
fn wait_for_requests(count: &AtomicUsize, n: usize, cli: &Running) {
    let started = Instant::now();
    while count.load(Ordering::SeqCst) < n {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the receiver got {} requests, not {n}: {}",
            count.load(Ordering::SeqCst),
            cli.stderr()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs the CLI against `url` off the runtime, waits for `n` requests, then signals it and
/// checks the clean stop.
async fn stops_after(url: String, requests: Arc<AtomicUsize>, n: usize, signal: &str, what: &str) {
    let (signal, what) = (signal.to_owned(), what.to_owned());
    tokio::task::spawn_blocking(move || {
        let name = format!("stuck-{}", what.replace([' ', ','], "-"));
        let cli = Running::backfill(&url, &name, &[]);
        wait_for_requests(&requests, n, &cli);
        // Let the writer settle into the wait (a request in flight, a backoff).
        std::thread::sleep(Duration::from_millis(300));
        assert_stops(cli, &signal, &what);
    })
    .await
    .unwrap();
}

/// A stub that answers `answered` requests (the 1.0 metadata one included) and then takes
/// requests without ever answering them; counts every request.
async fn answers_then_hangs(answered: usize) -> (Server, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&requests);
    let server = Server::start(move |headers: HeaderMap, body: Bytes| {
        let count = Arc::clone(&count);
        async move {
            if count.fetch_add(1, Ordering::SeqCst) >= answered {
                std::future::pending::<()>().await;
            }
            let samples = decode(&headers, &body).map_or(0, |s| s.iter().map(|x| x.1.len()).sum());
            accepted(&headers, samples)
        }
    })
    .await;
    (server, requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_stops_answering_after_5_requests() {
    for signal in ["INT", "TERM"] {
        let (server, requests) = answers_then_hangs(5).await;
        // Five answered, and the next ones (one per shard) in flight for good.
        let what = format!("no answer after 5, SIG{signal}");
        stops_after(server.url(), requests, 7, signal, &what).await;
        drop(server);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_as_soon_as_the_first_line_is_printed_is_a_clean_stop() {
    // The handlers are in before that line: the signal lands before any request is
    // answered (here: none ever is).
    let (server, _) = answers_then_hangs(0).await;
    let url = server.url();
    tokio::task::spawn_blocking(move || {
        let mut cli = Running::backfill(&url, "stuck-first-line", &[]);
        cli.wait_for("promgen-cli write: ");
        let stderr = assert_stops(cli, "INT", "Ctrl-C at the first line");
        assert!(
            stderr.contains("undelivered") && stderr.contains("the families' metadata"),
            "the metadata request was never answered: {stderr}"
        );
    })
    .await
    .unwrap();
    drop(server);
}

/// A stub answering 429 to every request, with `Retry-After: retry_after` when given.
async fn too_many_requests(retry_after: Option<&'static str>) -> (Server, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&requests);
    let server = Server::start(move |_headers: HeaderMap, _body: Bytes| {
        let count = Arc::clone(&count);
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            let headers: Vec<(&str, String)> = retry_after
                .map(|v| ("Retry-After", v.to_owned()))
                .into_iter()
                .collect();
            reply(StatusCode::TOO_MANY_REQUESTS, &headers, "slow down")
        }
    })
    .await;
    (server, requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_429_with_or_without_retry_after() {
    // Without Retry-After the writer backs off and retries; with one it waits as asked,
    // and an hour's wait must not hold up a stop.
    for (retry_after, signal, requests_before) in [
        (None, "INT", 4),
        (Some("1"), "TERM", 2),
        (Some("3600"), "INT", 1),
    ] {
        let (server, requests) = too_many_requests(retry_after).await;
        let what = format!("429, Retry-After {retry_after:?}, SIG{signal}");
        stops_after(server.url(), requests, requests_before, signal, &what).await;
        server.shutdown().await;
    }
}

/// How a raw stub cuts its answer.
#[derive(Debug, Clone, Copy)]
enum Cut {
    /// A 503's status line and headers (announcing a 1000-byte body), a few bytes of the
    /// body, then the socket closed.
    Closed,
    /// The same, then the connection kept open without another byte.
    Stalled,
}

/// A raw HTTP/1.1 stub on 127.0.0.1 that reads each request whole and answers it as `cut`
/// says; counts the requests.
async fn cut_receiver(cut: Cut) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1/write", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&requests);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                if read_request(&mut stream).await.is_none() {
                    return;
                }
                count.fetch_add(1, Ordering::SeqCst);
                let head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\
                            Content-Length: 1000\r\n\r\nthe body is cut";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                match cut {
                    Cut::Closed => drop(stream),
                    Cut::Stalled => {
                        std::future::pending::<()>().await;
                        drop(stream);
                    }
                }
            });
        }
    });
    (url, requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_in_the_middle_of_the_response() {
    for (cut, signal, requests_before) in [(Cut::Closed, "INT", 4), (Cut::Stalled, "TERM", 1)] {
        let (url, requests) = cut_receiver(cut).await;
        let what = format!("{cut:?} mid-response, SIG{signal}");
        stops_after(url, requests, requests_before, signal, &what).await;
    }
}

/// A stub that holds every request until `release` turns true, then takes it and every
/// later one; keeps what it took.
async fn held_receiver(
    release: watch::Receiver<bool>,
) -> (Server, Arc<AtomicUsize>, Shared<Store>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let store: Shared<Store> = shared();
    let (count, kept) = (Arc::clone(&requests), Arc::clone(&store));
    let server = Server::start(move |headers: HeaderMap, body: Bytes| {
        let (count, kept, mut release) = (Arc::clone(&count), Arc::clone(&kept), release.clone());
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = release.wait_for(|go| *go).await;
            let series = match decode(&headers, &body) {
                Ok(s) => s,
                Err(e) => return reply(StatusCode::BAD_REQUEST, &[], &e),
            };
            let samples = series.iter().map(|(_, s)| s.len()).sum();
            kept.lock().unwrap().add(series);
            accepted(&headers, samples)
        }
    })
    .await;
    (server, requests, store)
}

/// A write stopped before the receiver answered anything, by a receiver that then answers
/// promptly: a clean stop (not the default handler's death), the stopping message, the
/// summary, exit status 0 as everything got through. Returns the receiver's store.
async fn stopped_before_the_first_answer(protocol: &str) -> Shared<Store> {
    let (release, released) = watch::channel(false);
    let (server, requests, store) = held_receiver(released).await;
    let url = server.url();
    let protocol = protocol.to_owned();
    tokio::task::spawn_blocking(move || {
        let what = format!("{protocol}, Ctrl-C before the first answer");
        let name = format!("stuck-first-{protocol}");
        let mut cli = Running::backfill(&url, &name, &["--protocol", &protocol]);
        wait_for_requests(&requests, 1, &cli);
        cli.signal("INT");
        cli.wait_for(STOPPING);
        release.send_replace(true);
        let (status, _) = cli.exit_within(Duration::from_secs(5), &what);
        let stderr = cli.stderr();
        assert!(status.success(), "{what}: {status}: {stderr}");
        assert!(
            stderr.contains("\nstopped: "),
            "{what}: no stopped: summary: {stderr}"
        );
    })
    .await
    .unwrap();
    server.shutdown().await;
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_before_the_first_answer_stops_cleanly_and_marks_the_series_stale() {
    // 1.0: the first request is the families' metadata, sent before any sample is
    // generated, so there is nothing to mark stale: the stop ends the write there.
    let v1 = stopped_before_the_first_answer("v1").await;
    let v1 = v1.lock().unwrap().samples.clone();
    assert!(v1.is_empty(), "v1: no samples before the metadata: {v1:?}");

    // 2.0 carries the metadata on every series: samples were generated and queued before
    // the first answer, and every series must end with its stale marker.
    let store = stopped_before_the_first_answer("v2").await;
    let store = store.lock().unwrap();
    assert!(store.violations.is_empty(), "{:?}", store.violations);
    assert_eq!(
        store.samples.len(),
        3,
        "v2: every series: {:?}",
        store.samples
    );
    for (key, points) in &store.samples {
        let stale = points
            .iter()
            .filter(|(_, bits)| promgen::is_stale(f64::from_bits(*bits)))
            .count();
        let last = points.last().map(|(_, bits)| f64::from_bits(*bits));
        assert!(
            stale == 1 && last.is_some_and(promgen::is_stale),
            "v2: {key} must end with one stale marker: {points:?}"
        );
    }
}
