//! A real Prometheus for tests: a `prometheus` process on a free loopback port, with its own
//! config, data directory and log, and helpers to query what it stored.
//!
//! ```ignore
//! use support::prometheus::{Prometheus, TempDir, require};
//!
//! require("prometheus");
//! let dir = TempDir::new("my-test");
//! let prometheus = Prometheus::builder(dir.path())
//!     .config("global:\n  scrape_interval: 1s\n")      // optional: else an empty config
//!     .flag("--web.enable-remote-write-receiver")       // any extra flags
//!     .start();                                         // waits for /-/ready
//! let url = format!("{}/api/v1/write", prometheus.url());
//! // … write to it, then read back the raw samples of every matching series:
//! for series in prometheus.raw_samples(r#"{__name__=~"my_.*"}"#, 3600, now_s) {
//!     // series.labels: a BTreeMap with __name__; series.samples: (timestamp in ms, value)
//! }
//! prometheus.stop();       // SIGTERM, and wait until it has exited
//! prometheus.restart();    // the same port, data directory, config and flags
//! ```
//!
//! The process is killed when the [`Prometheus`] is dropped, also when a test panics, and a
//! [`TempDir`] is removed when dropped: declare the directory first, so that Prometheus (which
//! writes into it) is dropped before it.
//!
//! Every wait fails the test after a deadline, with Prometheus' log in the message.

use super::{agent, call, request};
use serde_json::Value;
use std::{
    collections::BTreeMap,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

/// How long Prometheus gets to become ready, and to exit after SIGTERM.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A fresh temporary directory, unique to the process and the call, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `$TMPDIR/promgen-<name>-<pid>-<n>`; `name` only helps a person find it.
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("promgen-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside the directory (not created).
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `text` to the file `name` in the directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback TCP port that was free a moment ago (the OS picked it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Fails the test, saying what to do, when a Prometheus tool (`prometheus`, `promtool`) is
/// not on `PATH`.
pub fn require(tool: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{tool}` is not on PATH: these tests run the real Prometheus tools. Run ./scripts/test.sh, which installs them (Debian package `prometheus`)"
    );
}

/// Percent-encodes a query parameter.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Polls `done` every 200 ms until it holds; panics after `timeout`, naming `what`.
pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() <= timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The raw samples of one series of a range-vector result (`"values"`), as
/// `(timestamp in seconds, value)`. Values are parsed from Prometheus' shortest round-trip
/// text, so they are the stored floats exactly.
pub fn samples(series: &Value) -> Vec<(f64, f64)> {
    series["values"]
        .as_array()
        .unwrap_or_else(|| panic!("not a range-vector series: {series}"))
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), parse_value(&p[1])))
        .collect()
}

/// As [`samples`], with the timestamps in milliseconds (exact: Prometheus stores
/// milliseconds and prints at most three decimals).
pub fn samples_ms(series: &Value) -> Vec<(i64, f64)> {
    samples(series)
        .into_iter()
        .map(|(t, v)| (seconds_to_ms(t), v))
        .collect()
}

/// A timestamp in seconds, as the HTTP API prints it, in milliseconds.
pub fn seconds_to_ms(t: f64) -> i64 {
    (t * 1000.0).round() as i64
}

/// The labels of a result series (`"metric"`), `__name__` included.
pub fn labels(series: &Value) -> BTreeMap<String, String> {
    series["metric"]
        .as_object()
        .unwrap_or_else(|| panic!("no metric in {series}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// The value of a one-series instant-vector result, if any; panics on more than one series.
pub fn single_value(result: &[Value]) -> Option<f64> {
    assert!(result.len() <= 1, "{result:?}");
    result.first().map(|s| parse_value(&s["value"][1]))
}

fn parse_value(v: &Value) -> f64 {
    // Prometheus prints the shortest text that reads back to the same float, and +Inf,
    // -Inf and NaN, all of which Rust's parse takes.
    let text = v.as_str().unwrap_or_else(|| panic!("not a value: {v}"));
    text.parse()
        .unwrap_or_else(|e| panic!("bad value {text:?}: {e}"))
}

/// One series as Prometheus stored it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSeries {
    /// Its labels, `__name__` included.
    pub labels: BTreeMap<String, String>,
    /// Its raw samples, `(timestamp in ms, value)`, in time order.
    pub samples: Vec<(i64, f64)>,
}

/// How to start a [`Prometheus`]: made by [`Prometheus::builder`].
pub struct Builder {
    dir: PathBuf,
    config: String,
    data_dir: PathBuf,
    flags: Vec<String>,
}

impl Builder {
    /// The `prometheus.yml` text (written to the working directory). Default: an empty
    /// config — no scrapes, no rules — for a Prometheus that only receives or reads data.
    pub fn config(mut self, yaml: &str) -> Self {
        yaml.clone_into(&mut self.config);
        self
    }

    /// The TSDB directory (`--storage.tsdb.path`); it may exist already and hold blocks,
    /// e.g. from `promtool tsdb create-blocks-from`. Default: `data` in the working directory.
    pub fn data_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.data_dir = path.into();
        self
    }

    /// An extra command-line flag, such as `--web.enable-remote-write-receiver` or
    /// `--storage.tsdb.retention.time=30d`. `--storage.tsdb.path=DIR` is taken as
    /// [`Builder::data_dir`]; the config file, the data directory and the listen address are
    /// set by the builder.
    pub fn flag(mut self, flag: impl Into<String>) -> Self {
        let flag = flag.into();
        match flag.strip_prefix("--storage.tsdb.path=") {
            Some(path) => self.data_dir = path.into(),
            None => self.flags.push(flag),
        }
        self
    }

    /// Several extra flags, as [`Builder::flag`].
    pub fn flags<S: Into<String>>(self, flags: impl IntoIterator<Item = S>) -> Self {
        flags.into_iter().fold(self, Self::flag)
    }

    /// Starts Prometheus on a free loopback port and waits until `/-/ready` answers 200.
    /// Panics (with the log) when the `prometheus` binary is missing or it never gets ready.
    pub fn start(self) -> Prometheus {
        require("prometheus");
        let config_file = self.dir.join("prometheus.yml");
        std::fs::write(&config_file, &self.config).unwrap();
        let port = free_port();
        let mut prometheus = Prometheus {
            url: format!("http://127.0.0.1:{port}"),
            port,
            config_file,
            data_dir: self.data_dir,
            log: self.dir.join("prometheus.log"),
            flags: self.flags,
            child: None,
        };
        prometheus.spawn_and_wait();
        prometheus
    }
}

/// A running `prometheus` process, killed when dropped. See the module documentation.
pub struct Prometheus {
    url: String,
    port: u16,
    config_file: PathBuf,
    data_dir: PathBuf,
    log: PathBuf,
    flags: Vec<String>,
    child: Option<Child>,
}

impl Prometheus {
    /// A builder whose files (`prometheus.yml`, `prometheus.log`, by default `data/`) go in
    /// `dir`, which must exist (a [`TempDir`]'s path).
    pub fn builder(dir: &Path) -> Builder {
        Builder {
            dir: dir.to_owned(),
            config: String::new(),
            data_dir: dir.join("data"),
            flags: Vec::new(),
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash. It stays the same across
    /// [`Prometheus::restart`].
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The TSDB directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Everything Prometheus has logged so far (all its runs: restarts append).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the process is running (started and not stopped, nor exited by itself).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Polls `done` every 200 ms until it holds; panics after `timeout` with the log.
    pub fn wait_for(&self, what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            if start.elapsed() > timeout {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; prometheus log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// An instant query at `time` (Unix seconds; `None` is now): the `data.result` array.
    /// Panics unless the API answers `success`.
    pub fn query(&self, query: &str, time: Option<f64>) -> Vec<Value> {
        let mut url = format!("{}/api/v1/query?query={}", self.url, encode(query));
        if let Some(t) = time {
            url.push_str(&format!("&time={t:.3}"));
        }
        let reply = call(&agent(), "GET", &url, None, None);
        let json = reply.json();
        assert_eq!(json["status"], "success", "{query}: {}", reply.body);
        json["data"]["result"].as_array().unwrap().clone()
    }

    /// A range query from `start` to `end` (Unix seconds) every `step_s` seconds: each
    /// series' resampled values, as a dashboard would see them.
    pub fn query_range(&self, query: &str, start: f64, end: f64, step_s: f64) -> Vec<Value> {
        let url = format!(
            "{}/api/v1/query_range?query={}&start={start:.3}&end={end:.3}&step={step_s}",
            self.url,
            encode(query)
        );
        let reply = call(&agent(), "GET", &url, None, None);
        let json = reply.json();
        assert_eq!(json["status"], "success", "{query}: {}", reply.body);
        json["data"]["result"].as_array().unwrap().clone()
    }

    /// The raw samples, as stored (not resampled, no stale markers), of every series that
    /// `selector` (`metric{label="v"}`, `{__name__=~"…"}`) matches within the `range_s`
    /// seconds up to `at` (Unix seconds): the instant query `selector[range_s s]` at `at`.
    /// Series are in the API's order.
    pub fn raw_samples(&self, selector: &str, range_s: u64, at: f64) -> Vec<StoredSeries> {
        self.query(&format!("{selector}[{range_s}s]"), Some(at))
            .iter()
            .map(|s| StoredSeries {
                labels: labels(s),
                samples: samples_ms(s),
            })
            .collect()
    }

    /// As [`Prometheus::raw_samples`] for a selector that matches at most one series: its
    /// samples, or none. Panics when it matches more.
    pub fn series_samples(&self, selector: &str, range_s: u64, at: f64) -> Vec<(i64, f64)> {
        let mut all = self.raw_samples(selector, range_s, at);
        assert!(all.len() <= 1, "{selector} matches {} series", all.len());
        all.pop().map(|s| s.samples).unwrap_or_default()
    }

    /// The samples of the series written `labels` (as `promtool tsdb dump` prints them:
    /// `{__name__="m", a="b"}`), read from the data directory by the real `promtool`:
    /// `(timestamp ms, value as printed)`. Unlike a query, this sees stale markers (printed
    /// `NaN`, as any NaN is). It reads the head from the WAL, so Prometheus may be running.
    pub fn dumped_samples(&self, labels: &str) -> Vec<(i64, String)> {
        let out = Command::new("promtool")
            .args(["tsdb", "dump"])
            .arg(&self.data_dir)
            .output()
            .expect("run promtool tsdb dump");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "promtool tsdb dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let prefix = format!("{labels} ");
        text.lines()
            .filter_map(|line| line.strip_prefix(&prefix))
            .map(|rest| {
                let (value, ts) = rest
                    .rsplit_once(' ')
                    .unwrap_or_else(|| panic!("a dump line without a timestamp: {rest:?}"));
                let ts = ts
                    .parse()
                    .unwrap_or_else(|e| panic!("timestamp {ts:?}: {e}"));
                (ts, value.to_owned())
            })
            .collect()
    }

    /// Stops Prometheus with SIGTERM (a clean shutdown: the head is kept in the WAL) and
    /// waits until it has exited; kills it after 30 s. Nothing happens when it is not running.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if child.try_wait().ok().flatten().is_none() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none() {
                if start.elapsed() > STOP_TIMEOUT {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = child.wait();
    }

    /// Kills Prometheus at once (SIGKILL, no clean shutdown) and waits until it has exited.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts Prometheus again — stopping it first if it runs — on the same port with the
    /// same data directory, config and flags, and waits until it is ready.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn_and_wait();
    }

    fn spawn_and_wait(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", self.config_file.display()))
            .arg(format!("--storage.tsdb.path={}", self.data_dir.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .args(&self.flags)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        self.child = Some(child);
        let agent = agent();
        let ready = format!("{}/-/ready", self.url);
        let start = Instant::now();
        loop {
            if request(&agent, "GET", &ready, None, None).is_ok_and(|r| r.status == 200) {
                return;
            }
            if !self.is_running() {
                panic!(
                    "prometheus exited before it was ready; its log:\n{}",
                    self.log()
                );
            }
            if start.elapsed() > READY_TIMEOUT {
                panic!(
                    "prometheus not ready after {READY_TIMEOUT:?}; its log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.kill();
    }
}
