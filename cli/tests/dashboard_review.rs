//! `examples/dashboard-review/review.sh`, the merge-request pipeline step, run as a CI job
//! would run it.
//!
//! The Prometheus half is real: a `prometheus` process with the remote write receiver (and
//! an out-of-order window, as a long-lived review Prometheus has) receives the backfill, and
//! the test checks every stored sample against what the library computes for
//! `config.yaml`, then runs each panel query of `dashboard.json` and checks the numbers the
//! config promises (10 and 5 req/s, a 1% error ratio stepping to 5% from :00 to :15, …).
//!
//! **Grafana is stubbed**: no Grafana is available on the machines these tests run on (no
//! image can be pulled, and Debian does not package it). An in-process HTTP server stands
//! in for Grafana's API — `POST /api/dashboards/db`, `GET /api/search`, `DELETE
//! /api/dashboards/uid/{uid}` — records every request, and answers as Grafana does; its
//! search returns one expired and one fresh review dashboard. The tests check the requests:
//! the dashboard created with the right title, tags and JSON, and exactly the expired one
//! deleted. That the requests are what Grafana accepts is taken from Grafana's HTTP API
//! documentation, not tested here.

mod support;

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use promgen::{Scraper, Stop};
use serde_json::{Value, json};
use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use support::{
    expect::{assert_stored, expected},
    prometheus::{Prometheus, TempDir, labels, require},
};

const TOKEN: &str = "test-token";
const HOUR_MS: i64 = 3_600_000;
const INTERVAL_MS: i64 = 15_000;

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/dashboard-review")
}

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Fails the test, saying what to install, when the script's tools are missing.
fn require_tools() {
    for tool in ["bash", "curl", "jq"] {
        let found = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "`{tool}` is not on PATH: review.sh needs bash, curl and jq (Debian packages of those names)"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The Grafana stub

/// One request as the stub received it.
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    /// The path and query.
    path: String,
    authorization: Option<String>,
    body: String,
}

#[derive(Default)]
struct StubState {
    requests: Vec<Recorded>,
    /// What `GET /api/search` answers.
    search: Value,
    /// The uids that exist: `DELETE` answers 200 for these (and forgets them), else 404.
    dashboards: BTreeSet<String>,
}

/// A stand-in for Grafana's HTTP API on a free loopback port; stops when dropped.
struct GrafanaStub {
    url: String,
    state: Arc<Mutex<StubState>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl GrafanaStub {
    fn start(search: Value) -> Self {
        let dashboards = search
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["uid"].as_str().map(str::to_owned))
            .collect();
        let state = Arc::new(Mutex::new(StubState {
            requests: Vec::new(),
            search,
            dashboards,
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&state));
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Self {
            url,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The recorded requests with this method.
    fn calls(&self, method: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method)
            .collect()
    }
}

impl Drop for GrafanaStub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Records the request and answers as Grafana's API does.
async fn handle(
    State(state): State<Arc<Mutex<StubState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut state = state.lock().unwrap();
    state.requests.push(Recorded {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.to_string()),
        authorization: authorization.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"message": "invalid API key", "statusCode": 401}),
        );
    }
    let path = uri.path();
    match (method.as_str(), path) {
        ("POST", "/api/dashboards/db") => {
            let Ok(request) = serde_json::from_slice::<Value>(&body) else {
                return reply(
                    StatusCode::BAD_REQUEST,
                    json!({"message": "bad request data"}),
                );
            };
            let Some(uid) = request["dashboard"]["uid"].as_str().map(str::to_owned) else {
                return reply(StatusCode::BAD_REQUEST, json!({"message": "no uid"}));
            };
            state.dashboards.insert(uid.clone());
            reply(
                StatusCode::OK,
                json!({
                    "id": 7, "uid": uid, "url": format!("/d/{uid}/review"),
                    "status": "success", "version": 1, "slug": "review"
                }),
            )
        }
        ("GET", "/api/search") => reply(StatusCode::OK, state.search.clone()),
        ("DELETE", _) if path.starts_with("/api/dashboards/uid/") => {
            let uid = &path["/api/dashboards/uid/".len()..];
            if state.dashboards.remove(uid) {
                reply(
                    StatusCode::OK,
                    json!({"title": uid, "message": format!("Dashboard {uid} deleted"), "id": 3}),
                )
            } else {
                reply(
                    StatusCode::NOT_FOUND,
                    json!({"message": "Dashboard not found"}),
                )
            }
        }
        _ => reply(StatusCode::NOT_FOUND, json!({"message": "Not found"})),
    }
}

// ---------------------------------------------------------------------------------------
// Running the script

/// `review.sh args` with `env` on top of a clean CI-like environment (the CI variables the
/// script reads are removed, so the machine's own cannot leak in).
fn review(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(example_dir().join("review.sh"))
        .args(args)
        .env("PROMGEN_CLI", env!("CARGO_BIN_EXE_promgen-cli"));
    for var in [
        "PROMETHEUS_URL",
        "GRAFANA_URL",
        "GRAFANA_TOKEN",
        "REVIEW_NAME",
        "HOURS",
        "EXPIRE_AFTER",
        "INTERVAL",
        "CONFIG",
        "DASHBOARD",
        "GRAFANA_FOLDER_UID",
        "CI_MERGE_REQUEST_IID",
        "CI_COMMIT_REF_NAME",
        "GITHUB_HEAD_REF",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().expect("run bash review.sh")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: review.sh exited {:?}\nstderr:\n{}",
        out.status.code(),
        stderr(out)
    );
}

fn assert_fails(out: &Output, message: &str) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "review.sh should fail with {message:?}; stderr:\n{}",
        stderr(out)
    );
    assert!(
        stderr(out).contains(message),
        "review.sh's error should contain {message:?}; stderr:\n{}",
        stderr(out)
    );
}

// ---------------------------------------------------------------------------------------
// The tests

/// The pipeline step end to end: backfill into a real Prometheus, create the review
/// dashboard, delete the expired one; then a re-run (the next push to the merge request).
#[test]
fn review_seeds_prometheus_creates_the_dashboard_and_deletes_expired_ones() {
    require("prometheus");
    require_tools();
    let dir = TempDir::new("dashboard-review");
    // Like test/prometheus/prometheus.yml: an out-of-order window, as a long-lived review
    // Prometheus needs (and which would interleave a careless second backfill).
    let prometheus = Prometheus::builder(dir.path())
        .config("storage:\n  tsdb:\n    out_of_order_time_window: 1d\n")
        .flag("--web.enable-remote-write-receiver")
        .start();

    let before = now_s();
    let grafana = GrafanaStub::start(json!([
        {"id": 1, "uid": "promgen-review-mr-1", "title": "[review MR !1] Checkout service",
         "type": "dash-db", "tags": ["promgen-review", format!("expires-{}", before - 3600)]},
        {"id": 2, "uid": "promgen-review-mr-2", "title": "[review MR !2] Checkout service",
         "type": "dash-db", "tags": ["promgen-review", format!("expires-{}", before + 86_400)]},
    ]));
    let env = [
        ("PROMETHEUS_URL", prometheus.url()),
        ("GRAFANA_URL", grafana.url.as_str()),
        ("GRAFANA_TOKEN", TOKEN),
        ("REVIEW_NAME", "MR !42"),
        ("HOURS", "3"),
        ("EXPIRE_AFTER", "2d"),
    ];
    let started = Instant::now();
    let out = review(&[], &env);
    let took = started.elapsed();
    let after = now_s();
    assert_ok(&out, "review.sh");
    eprintln!(
        "review.sh (3 h backfill, dashboard, cleanup) took {took:?}:\n{}",
        stderr(&out)
    );

    // --- Prometheus holds exactly the config's series over the last 3 hours.
    let config = std::fs::read_to_string(example_dir().join("config.yaml")).unwrap();
    let at = after as f64 + 1.0;
    let stored = prometheus.raw_samples(r#"{service="checkout"}"#, 4 * 3600, at);
    let marker = stored
        .iter()
        .find(|s| {
            s.labels["__name__"] == "http_requests_total"
                && s.labels["route"] == "/api/cart"
                && s.labels["code"] == "200"
        })
        .unwrap_or_else(|| panic!("no http_requests_total for /api/cart in {stored:?}"));
    let first_ms = marker.samples.first().unwrap().0;
    let last_ms = marker.samples.last().unwrap().0;
    assert_eq!(
        last_ms - first_ms,
        3 * HOUR_MS,
        "HOURS=3 of history is written"
    );
    assert_eq!(first_ms % INTERVAL_MS, 0, "on the 15 s grid");
    assert!(
        (before * 1000 - INTERVAL_MS..=after * 1000).contains(&last_ms),
        "the history ends now: {last_ms} not in {before}..={after} s"
    );
    let scraper = Scraper::new(first_ms, INTERVAL_MS, Stop::Until(last_ms)).unwrap();
    let want = expected(&config, &scraper);
    assert_eq!(
        want.len(),
        4 + 2 * (7 + 1 + 2) + 2,
        "the config's wire series"
    );
    assert_stored(stored.clone(), &want);

    // --- The dashboard's own queries, on that data: the numbers config.yaml promises.
    // An hour boundary with 40 minutes of data after it and 10 minutes before.
    let hour_ms = (last_ms / HOUR_MS - 1) * HOUR_MS;
    assert!(hour_ms - 10 * 60_000 >= first_ms && hour_ms + 40 * 60_000 <= last_ms);
    let errors_high = (hour_ms + 10 * 60_000) as f64 / 1000.0; // inside :00–:15
    let errors_low = (hour_ms + 40 * 60_000) as f64 / 1000.0;
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(example_dir().join("dashboard.json")).unwrap(),
    )
    .unwrap();
    let panel_query = |title: &str, target: usize, at: f64| -> Vec<(String, f64)> {
        let panel = dashboard["panels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == title)
            .unwrap_or_else(|| panic!("no panel {title:?}"));
        let expr = panel["targets"][target]["expr"]
            .as_str()
            .unwrap()
            .replace("$service", "checkout")
            .replace("$__rate_interval", "1m");
        let result = prometheus.query(&expr, Some(at));
        assert!(
            !result.is_empty(),
            "panel {title:?}: {expr} returns nothing"
        );
        let mut rows: Vec<(String, f64)> = result
            .iter()
            .map(|s| {
                let l = labels(s);
                let key = l
                    .get("route")
                    .or(l.get("instance"))
                    .cloned()
                    .unwrap_or_default();
                (key, s["value"][1].as_str().unwrap().parse().unwrap())
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    };
    let close = |rows: &[(String, f64)], want: &[(&str, f64)], what: &str| {
        assert_eq!(rows.len(), want.len(), "{what}: {rows:?}");
        for ((key, got), (want_key, want)) in rows.iter().zip(want) {
            assert_eq!(key, want_key, "{what}: {rows:?}");
            assert!(
                (got - want).abs() < 1e-9,
                "{what} of {key}: {got}, expected {want}"
            );
        }
    };
    for at in [errors_high, errors_low] {
        close(
            &panel_query("Request rate", 0, at),
            &[("/api/cart", 10.0), ("/api/pay", 5.0)],
            "request rate",
        );
    }
    close(
        &panel_query("Error ratio", 0, errors_high),
        &[("/api/cart", 0.05), ("/api/pay", 0.05)],
        "error ratio at :10",
    );
    close(
        &panel_query("Error ratio", 0, errors_low),
        &[("/api/cart", 0.01), ("/api/pay", 0.01)],
        "error ratio at :40",
    );
    for (target, what) in [(0, "p50"), (1, "p99")] {
        let rows = panel_query("Latency", target, errors_low);
        let ranges = [("/api/cart", 0.025, 0.25), ("/api/pay", 0.1, 1.0)];
        assert_eq!(rows.len(), 2, "latency {what}: {rows:?}");
        for ((route, got), (want_route, lo, hi)) in rows.iter().zip(ranges) {
            assert_eq!(route, want_route);
            assert!((lo..=hi).contains(got), "latency {what} of {route}: {got}");
        }
    }
    let cpu = panel_query("CPU saturation", 0, errors_low);
    assert_eq!(cpu.len(), 2, "{cpu:?}");
    for (instance, cores) in &cpu {
        assert!(
            (0.3 - 1e-9..=0.5 + 1e-9).contains(cores),
            "CPU of {instance}: {cores} cores, expected 0.4 ± 0.1"
        );
    }

    // --- Grafana: the review dashboard created, the expired one deleted, nothing else.
    let requests = grafana.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer test-token")),
        "every request carries the token: {requests:?}"
    );
    let posts = grafana.calls("POST");
    assert_eq!(posts.len(), 1, "{requests:?}");
    assert_eq!(posts[0].path, "/api/dashboards/db");
    let mut body: Value = serde_json::from_str(&posts[0].body).unwrap();
    let tags = body["dashboard"]["tags"].clone();
    let expires: i64 = tags[1]
        .as_str()
        .and_then(|t| t.strip_prefix("expires-"))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no expires-<unix time> tag in {tags}"));
    assert_eq!(tags[0], "promgen-review");
    assert_eq!(tags.as_array().unwrap().len(), 2, "{tags}");
    assert!(
        (before + 2 * 86_400..=after + 2 * 86_400).contains(&expires),
        "EXPIRE_AFTER=2d: expires-{expires}, run between {before} and {after}"
    );
    let mut want_dashboard = dashboard.clone();
    want_dashboard["id"] = Value::Null;
    want_dashboard["uid"] = json!("promgen-review-mr-42");
    want_dashboard["title"] = json!("[review MR !42] Checkout service");
    want_dashboard["tags"] = tags;
    assert_eq!(
        body["dashboard"].take(),
        want_dashboard,
        "the dashboard under review, renamed and tagged"
    );
    assert_eq!(
        body,
        json!({"dashboard": null, "overwrite": true, "message": "promgen review of MR !42"})
    );
    let gets = grafana.calls("GET");
    assert_eq!(gets.len(), 1, "{requests:?}");
    assert!(
        gets[0].path.starts_with("/api/search?tag=promgen-review"),
        "{}",
        gets[0].path
    );
    let deletes: Vec<String> = grafana
        .calls("DELETE")
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        deletes,
        ["/api/dashboards/uid/promgen-review-mr-1"],
        "exactly the expired dashboard is deleted"
    );
    // Created, then looked for expired ones.
    let order: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(order, ["POST", "GET", "DELETE"]);

    // --- The next push re-runs the job: the dashboard is replaced, and Prometheus gets only
    // what comes after the newest sample it holds, never a second copy of the window.
    std::thread::sleep(Duration::from_millis(200));
    let out = review(&[], &env);
    assert_ok(&out, "review.sh, run again");
    assert!(
        stderr(&out).contains("Prometheus holds the data up to"),
        "the re-run sees the earlier data:\n{}",
        stderr(&out)
    );
    assert_eq!(grafana.calls("POST").len(), 2, "the dashboard is replaced");
    let again = prometheus.raw_samples(r#"{service="checkout"}"#, 4 * 3600, now_s() as f64 + 1.0);
    assert_eq!(again.len(), stored.len());
    for series in &again {
        let old = stored.iter().find(|s| s.labels == series.labels).unwrap();
        assert_eq!(
            series.samples[..old.samples.len()],
            old.samples[..],
            "{:?}: the first run's samples are untouched",
            series.labels
        );
        for pair in series.samples.windows(2) {
            assert_eq!(
                pair[1].0 - pair[0].0,
                INTERVAL_MS,
                "{:?}: one sample every 15 s, nothing interleaved",
                series.labels
            );
        }
    }
}

/// `delete` (when the merge request is merged), and the errors a CI log must make clear.
#[test]
fn review_deletes_on_merge_and_fails_clearly() {
    require_tools();
    let grafana = GrafanaStub::start(json!([
        {"uid": "promgen-review-mr-42", "tags": ["promgen-review", "expires-1"]},
    ]));
    let base = [
        ("GRAFANA_URL", grafana.url.as_str()),
        ("GRAFANA_TOKEN", TOKEN),
        ("REVIEW_NAME", "MR !42"),
    ];

    // Merged: this review's dashboard goes; a second delete finds it gone, which is fine.
    let out = review(&["delete"], &base);
    assert_ok(&out, "delete");
    assert!(stderr(&out).contains("deleted dashboard promgen-review-mr-42"));
    let out = review(&["delete"], &base);
    assert_ok(&out, "delete again");
    assert!(stderr(&out).contains("deleted already"), "{}", stderr(&out));
    let deletes: Vec<String> = grafana
        .calls("DELETE")
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(deletes, ["/api/dashboards/uid/promgen-review-mr-42"; 2]);

    // The merge request from GitLab's variables; a long branch name still makes a valid uid.
    let url = grafana.url.as_str();
    let out = review(
        &["delete"],
        &[
            ("GRAFANA_URL", url),
            ("GRAFANA_TOKEN", TOKEN),
            ("CI_MERGE_REQUEST_IID", "7"),
        ],
    );
    assert_ok(&out, "delete with CI_MERGE_REQUEST_IID");
    let branch = "feature/Checkout-dashboard: p99 latency & saturation panels";
    let out = review(
        &["delete"],
        &[
            ("GRAFANA_URL", url),
            ("GRAFANA_TOKEN", TOKEN),
            ("CI_COMMIT_REF_NAME", branch),
        ],
    );
    assert_ok(&out, "delete with CI_COMMIT_REF_NAME");
    let deletes: Vec<String> = grafana
        .calls("DELETE")
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(deletes[2], "/api/dashboards/uid/promgen-review-mr-7");
    let uid = deletes[3].strip_prefix("/api/dashboards/uid/").unwrap();
    assert!(
        uid.len() <= 40
            && uid.starts_with("promgen-review-feature-checkou")
            && uid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
        "a Grafana uid: {uid}"
    );

    // A bad token: Grafana's 401, said plainly, exit 1.
    let out = review(
        &["cleanup"],
        &[("GRAFANA_URL", url), ("GRAFANA_TOKEN", "wrong")],
    );
    assert_fails(&out, "Grafana answered 401 (is GRAFANA_TOKEN valid");

    // Missing settings.
    let out = review(&[], &[("GRAFANA_URL", url), ("GRAFANA_TOKEN", TOKEN)]);
    assert_fails(&out, "PROMETHEUS_URL is not set");
    let out = review(&["cleanup"], &[("GRAFANA_URL", url)]);
    assert_fails(&out, "GRAFANA_TOKEN is not set");
    let out = review(
        &["delete"],
        &[("GRAFANA_URL", url), ("GRAFANA_TOKEN", TOKEN)],
    );
    assert_fails(&out, "REVIEW_NAME is not set");
    let out = review(&["merge"], &base);
    assert_fails(&out, "unknown command 'merge'");

    // Bad values, refused before anything is written.
    let dead = format!("http://127.0.0.1:{}", support::prometheus::free_port());
    let with = |extra: (&'static str, &'static str)| {
        let mut env = base.to_vec();
        env.push(("PROMETHEUS_URL", dead.as_str()));
        env.push(extra);
        review(&[], &env)
    };
    assert_fails(
        &with(("EXPIRE_AFTER", "7 days")),
        "invalid duration '7 days'",
    );
    assert_fails(
        &with(("HOURS", "1.5")),
        "HOURS must be a whole number of hours",
    );
    // Prometheus not there: a quick, clear failure, not minutes of retries.
    let started = Instant::now();
    assert_fails(&with(("HOURS", "1")), "could not reach Prometheus");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        grafana.calls("POST").is_empty(),
        "no dashboard without its data"
    );
}
