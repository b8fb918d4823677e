//! Shared by the Remote Write tests: an in-process receiver on 127.0.0.1 (axum), the
//! samples a config must produce (from a second registry driven with `collect`), series
//! keys and comparisons with readable failures, and `promgen-cli write` run in the
//! background to be signalled ([`Running`]).
//!
//! [`decode`] reads requests with promgen's own `prost` structs, for tests about what is
//! sent rather than how it is encoded; remote_write_v2.rs checks the 2.0 encoding itself
//! with a decoder of its own.

#![allow(dead_code)] // each test binary uses a part

mod running;
#[allow(unused_imports)] // each test binary uses a part
pub use running::{Running, STOP_WITHIN, STOPPING, assert_stops};

use axum::{
    Router,
    body::Bytes,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use promgen::{
    Scraper, Stop,
    config::Config,
    is_stale,
    registry::Registry,
    remote_write::proto::{v1, v2},
};
use prost::Message;
use std::{
    collections::BTreeMap,
    fmt::Write as _,
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::{Arc, Mutex},
};
use tokio::{
    io::{AsyncRead, AsyncReadExt},
    net::TcpListener,
    sync::oneshot,
    task::JoinHandle,
};

/// Where every receiver listens.
pub const WRITE_PATH: &str = "/api/v1/write";

/// Three series with 1001 samples each: more than the tests that stop a write send, so it
/// ends only when stopped (or at `--to`).
pub const LONG_SERIES: &str = r#"
metrics:
  - name: jobs_total
    type: counter
    timeseries:
      - labels: {queue: a}
        values: "0+2x1000"
      - labels: {queue: b}
        values: "0+1x1000"
  - name: level
    timeseries:
      - values: "1x1000"
"#;

/// A fixed past start (2023-11-14T22:13:20Z), so a backfill never waits for the wall clock.
pub const START_MS: i64 = 1_700_000_000_000;

/// One series' samples: `(timestamp ms, value bits)` in the order received.
pub type Points = Vec<(i64, u64)>;

/// Samples per series key.
pub type Samples = BTreeMap<String, Points>;

/// A series key: its labels sorted by name, `name="value"` joined by commas.
pub fn series_key<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = labels.into_iter().collect();
    pairs.sort_unstable();
    let mut key = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            key.push(',');
        }
        let _ = write!(key, "{name}={value:?}");
    }
    key
}

/// The registry a config builds.
pub fn registry(yaml: &str) -> Registry {
    Config::parse(yaml, "t.yaml")
        .unwrap_or_else(|e| panic!("config: {e}"))
        .build_registry()
        .unwrap_or_else(|e| panic!("registry: {e}"))
}

/// `ticks` ticks every `interval_ms` from [`START_MS`].
pub fn scraper(ticks: i64, interval_ms: i64) -> Scraper {
    Scraper::new(
        START_MS,
        interval_ms,
        Stop::Until(START_MS + (ticks - 1) * interval_ms),
    )
    .unwrap()
}

/// What a receiver must get from writing `yaml` over `scraper`: a second registry built
/// from the same YAML, driven with `collect` over the same ticks (and stopping, as the
/// writer does, once every series has ended). Every series appears, even one without a
/// sample.
pub fn expected(yaml: &str, scraper: &Scraper) -> Samples {
    let mut registry = registry(yaml);
    let keys: Vec<String> = registry
        .wire_series()
        .iter()
        .map(|w| series_key(w.labels.iter()))
        .collect();
    let mut out: Samples = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    for tick in scraper.ticks() {
        let ts = tick.timestamp_ms;
        let running = registry.collect(ts, |i, v| {
            out.get_mut(&keys[i]).unwrap().push((ts, v.to_bits()));
        });
        if !running {
            break;
        }
    }
    out.retain(|_, v| !v.is_empty());
    out
}

/// Every sample in `samples`.
pub fn count(samples: &Samples) -> usize {
    samples.values().map(Vec::len).sum()
}

fn show(bits: u64) -> String {
    let v = f64::from_bits(bits);
    if is_stale(v) {
        "stale".to_owned()
    } else if v.is_nan() {
        format!("NaN({bits:#018x})")
    } else {
        v.to_string()
    }
}

fn show_series(samples: &[(i64, u64)]) -> String {
    samples
        .iter()
        .map(|&(ts, bits)| format!("{}:{}", (ts - START_MS) / 1000, show(bits)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fails, naming the series and showing both sides (seconds after [`START_MS`]:value),
/// unless `got` holds exactly `want`'s samples, bit for bit, in the same order.
pub fn assert_samples_eq(got: &Samples, want: &Samples, what: &str) {
    let mut problems = Vec::new();
    for (key, w) in want {
        match got.get(key) {
            None => problems.push(format!("{key}: never received")),
            Some(g) if g != w => problems.push(format!(
                "{key}:\n    got  {}\n    want {}",
                show_series(g),
                show_series(w)
            )),
            Some(_) => {}
        }
    }
    for key in got.keys().filter(|k| !want.contains_key(*k)) {
        problems.push(format!("{key}: received but not expected"));
    }
    assert!(
        problems.is_empty(),
        "{what}: {} of {} series differ ({} samples received, {} expected):\n  {}",
        problems.len(),
        want.len(),
        count(got),
        count(want),
        problems.join("\n  ")
    );
}

/// A write's samples as one receiver got them, checked as they arrive: per series the
/// timestamps strictly increase across requests too (1.0 spec; 2.0 S17).
#[derive(Debug, Default)]
pub struct Store {
    pub samples: Samples,
    pub violations: Vec<String>,
}

impl Store {
    /// Adds one accepted request's series. Order violations are recorded, not panicked on
    /// (a panic inside a handler would only drop the connection).
    pub fn add(&mut self, series: Vec<(String, Points)>) {
        for (key, samples) in series {
            let stored = self.samples.entry(key.clone()).or_default();
            for (ts, bits) in samples {
                if let Some(&(last, _)) = stored.last()
                    && ts <= last
                {
                    self.violations.push(format!(
                        "S17: {key}: sample at {ts} after one at {last} (out of order or doubled)"
                    ));
                }
                stored.push((ts, bits));
            }
        }
    }
}

/// A status with a plain-text body and extra headers.
pub fn reply(status: StatusCode, headers: &[(&str, String)], body: &str) -> Response {
    let mut response = (status, body.to_owned()).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(
            header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            header::HeaderValue::from_str(value).unwrap(),
        );
    }
    response
}

/// The Content-Type of a Remote Write 2.0 request (spec 2.0, S4).
pub const V2_CONTENT_TYPE: &str = "application/x-protobuf;proto=io.prometheus.write.v2.Request";

/// A 2.0 receiver's answer to an accepted request: 204 with the three written counts.
pub fn written(samples: usize) -> Response {
    reply(
        StatusCode::NO_CONTENT,
        &[
            (
                "X-Prometheus-Remote-Write-Samples-Written",
                samples.to_string(),
            ),
            ("X-Prometheus-Remote-Write-Histograms-Written", "0".into()),
            ("X-Prometheus-Remote-Write-Exemplars-Written", "0".into()),
        ],
        "",
    )
}

/// One request's series as `(key, samples)`, decoded by its content type with promgen's own
/// `prost` structs.
pub fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, Points)>, String> {
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| format!("not snappy: {e}"))?;
    if header_str(headers, "content-type") == Some(V2_CONTENT_TYPE) {
        let req = v2::Request::decode(&raw[..]).map_err(|e| e.to_string())?;
        let sym = |r: &u32| req.symbols[*r as usize].as_str();
        Ok(req
            .timeseries
            .iter()
            .map(|ts| {
                let labels = ts.labels_refs.chunks(2).map(|p| (sym(&p[0]), sym(&p[1])));
                let samples = ts
                    .samples
                    .iter()
                    .map(|s| (s.timestamp, s.value.to_bits()))
                    .collect();
                (series_key(labels), samples)
            })
            .collect())
    } else {
        let req = v1::WriteRequest::decode(&raw[..]).map_err(|e| e.to_string())?;
        Ok(req
            .timeseries
            .iter()
            .map(|ts| {
                let labels = ts
                    .labels
                    .iter()
                    .map(|l| (l.name.as_str(), l.value.as_str()));
                let samples = ts
                    .samples
                    .iter()
                    .map(|s| (s.timestamp, s.value.to_bits()))
                    .collect();
                (series_key(labels), samples)
            })
            .collect())
    }
}

/// 204, with the written counts when the request was 2.0.
pub fn accepted(headers: &HeaderMap, samples: usize) -> Response {
    if header_str(headers, "content-type") == Some(V2_CONTENT_TYPE) {
        written(samples)
    } else {
        reply(StatusCode::NO_CONTENT, &[], "")
    }
}

/// An in-process receiver: `handler` answers every POST to [`WRITE_PATH`].
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// A receiver on a free port of 127.0.0.1.
    pub async fn start<H, F>(handler: H) -> Self
    where
        H: Fn(HeaderMap, Bytes) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Response> + Send + 'static,
    {
        Self::on(TcpListener::bind("127.0.0.1:0").await.unwrap(), handler)
    }

    /// A receiver on `addr` (a port used before: a restarted receiver).
    pub async fn start_at<H, F>(addr: SocketAddr, handler: H) -> Self
    where
        H: Fn(HeaderMap, Bytes) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Response> + Send + 'static,
    {
        let listener = TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("binding {addr} again: {e}"));
        Self::on(listener, handler)
    }

    fn on<H, F>(listener: TcpListener, handler: H) -> Self
    where
        H: Fn(HeaderMap, Bytes) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Response> + Send + 'static,
    {
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route(
            WRITE_PATH,
            post(move |headers: HeaderMap, body: Bytes| handler(headers, body)),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The write URL.
    pub fn url(&self) -> String {
        format!("http://{}{WRITE_PATH}", self.addr)
    }

    /// Stops accepting (the port then refuses connections), lets requests in flight get
    /// their answers, closes every connection, and returns once all that is done.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A shared, lockable value for handlers.
pub type Shared<T> = Arc<Mutex<T>>;

pub fn shared<T: Default>() -> Shared<T> {
    Arc::default()
}

/// The value of header `name`, or `None` when it is missing or not text.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A config file in the temporary directory, removed on drop.
pub struct TempConfig(PathBuf);

impl TempConfig {
    /// `yaml` in `promgen-rw-<name>-<pid>.yaml`.
    pub fn new(name: &str, yaml: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("promgen-rw-{name}-{}.yaml", std::process::id()));
        std::fs::write(&path, yaml).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `promgen-cli write` with `config` and `args` to its end, off the async runtime
/// (whose receivers it writes to).
pub async fn cli_write(config: &TempConfig, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_promgen-cli"));
    command
        .arg("write")
        .arg("--config")
        .arg(config.path())
        .args(args);
    tokio::task::spawn_blocking(move || command.output().expect("run promgen-cli write"))
        .await
        .unwrap()
}

/// One HTTP/1.1 request's body (by Content-Length), read from a raw stream, or None when
/// the connection ends first: for stubs that answer below HTTP libraries.
pub async fn read_request(stream: &mut (impl AsyncRead + Unpin)) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))?
        .trim()
        .parse()
        .ok()?;
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.ok()?;
    Some(body)
}
