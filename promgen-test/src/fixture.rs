//! A real Prometheus for one test: its rule files, settings and an isolated data directory,
//! on a free loopback port, stopped and removed when dropped (also when the test panics).

use crate::{
    HarnessError,
    api::Api,
    backend::{Backend, BackendKind, Process, Version},
    feed::Feed,
    startup_log::{RuleCopy, exit_error},
};
use promgen::server::{RunningServer, Server};
use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, AtomicU32, Ordering},
    time::{Duration, Instant},
};

/// How long Prometheus gets to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a rule file comes from.
#[derive(Debug, Clone)]
enum RuleSource {
    Path(PathBuf),
    Inline(String),
}

/// Settings for a [`Prometheus`]; [`PrometheusBuilder::start`] starts it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), promgen_test::HarnessError> {
/// use promgen_test::Prometheus;
/// let prometheus = Prometheus::builder()
///     .rules_yaml("groups: [{name: g, rules: [{alert: Up, expr: 'vector(1)'}]}]")
///     .evaluation_interval("1s")
///     .start()
///     .await?;
/// assert!(prometheus.version().at_least(2, 39));
/// assert!(prometheus.url().starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PrometheusBuilder {
    rules: Vec<RuleSource>,
    evaluation_interval: String,
    scrape_interval: String,
    external_labels: Vec<(String, String)>,
    backend: Option<BackendKind>,
    scrape: Option<Feed>,
}

impl Default for PrometheusBuilder {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            evaluation_interval: "1m".into(),
            scrape_interval: "15s".into(),
            external_labels: Vec::new(),
            backend: None,
            scrape: None,
        }
    }
}

impl PrometheusBuilder {
    /// A rule file to load (a relative path is taken from the current directory, which
    /// for `cargo test` is the crate's root).
    #[must_use]
    pub fn rule_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.rules.push(RuleSource::Path(path.into()));
        self
    }

    /// A rule file given as YAML text.
    #[must_use]
    pub fn rules_yaml(mut self, yaml: impl Into<String>) -> Self {
        self.rules.push(RuleSource::Inline(yaml.into()));
        self
    }

    /// `global.evaluation_interval` (default `1m`, as in Prometheus): how often rules run.
    /// A group's own `interval` wins.
    #[must_use]
    pub fn evaluation_interval(mut self, interval: impl Into<String>) -> Self {
        self.evaluation_interval = interval.into();
        self
    }

    /// `global.scrape_interval` (default `15s`), for [`PrometheusBuilder::scrape`].
    #[must_use]
    pub fn scrape_interval(mut self, interval: impl Into<String>) -> Self {
        self.scrape_interval = interval.into();
        self
    }

    /// An external label (`global.external_labels`).
    #[must_use]
    pub fn external_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.external_labels.push((name.into(), value.into()));
        self
    }

    /// The backend, instead of what `PROMGEN_PROMETHEUS` says (`auto` by default).
    #[must_use]
    pub fn backend(mut self, backend: BackendKind) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Serves `feed` on `/metrics` before Prometheus starts, and has Prometheus scrape it
    /// every scrape interval: live mode, where Prometheus's own rule manager evaluates.
    #[must_use]
    pub fn scrape(mut self, feed: Feed) -> Self {
        self.scrape = Some(feed);
        self
    }

    /// Starts Prometheus and waits until it is ready.
    ///
    /// # Errors
    /// No backend, a Prometheus too old, a rule file it refuses
    /// ([`HarnessError::RefusedRules`], with the file as given here, its line and column),
    /// or one that does not become ready in time.
    pub async fn start(self) -> Result<Prometheus, HarnessError> {
        let kind = match self.backend {
            Some(kind) => kind,
            None => BackendKind::from_env()?,
        };
        let backend = Backend::resolve(kind)?;
        let version = backend.version()?;
        if !version.at_least(2, 39) {
            return Err(HarnessError::TooOld {
                version: version.to_string(),
                needs: "2.39 (remote write receiver and out-of-order ingestion)",
            });
        }
        // Whatever this process leaves when it dies is removed after it.
        crate::lifetime::start_reaper();
        let dir = TempDir::new()?;
        let mut rule_files = Vec::new();
        let mut copies = Vec::new();
        let mut inline = 0;
        for (i, source) in self.rules.iter().enumerate() {
            let (text, shown) = match source {
                RuleSource::Path(path) => (
                    std::fs::read_to_string(path).map_err(|e| {
                        HarnessError::Io(format!("rule file {}: {e}", path.display()))
                    })?,
                    path.display().to_string(),
                ),
                RuleSource::Inline(text) => {
                    inline += 1;
                    (text.clone(), format!("rules_yaml #{inline}"))
                }
            };
            let name = format!("rules-{i}.yml");
            std::fs::write(dir.path().join(&name), text)
                .map_err(|e| HarnessError::Io(format!("writing {name}: {e}")))?;
            copies.push(RuleCopy {
                copy: name.clone(),
                shown,
            });
            rule_files.push(name);
        }
        let server = match &self.scrape {
            Some(feed) => {
                let listen = backend.scrape_listen_address();
                let running = Server::new(feed.registry()?)
                    .spawn(listen)
                    .await
                    .map_err(|e| HarnessError::Io(format!("serving the series: {e}")))?;
                Some(running)
            }
            None => None,
        };
        let target = server
            .as_ref()
            .map(|s| backend.scrape_target(s.addr().port()));
        let config = prometheus_yml(&self, &rule_files, target.as_deref());
        std::fs::write(dir.path().join("prometheus.yml"), &config)
            .map_err(|e| HarnessError::Io(format!("writing prometheus.yml: {e}")))?;
        // A port picked free can be taken before Prometheus binds it: try another.
        let mut attempt = 0;
        let (process, api) = loop {
            attempt += 1;
            let mut process = backend.start(dir.path())?;
            let api = Api::new(&process.url())?;
            match wait_ready(&api, &mut process, dir.path()).await {
                Ok(()) => break (process, api),
                Err(HarnessError::Exited(log))
                    if attempt < 3 && log.contains("address already in use") => {}
                Err(HarnessError::Exited(log)) => return Err(exit_error(&log, &copies)),
                Err(e) => return Err(e),
            }
        };
        let url = process.url();
        let rule_files = rule_files.iter().map(|f| dir.path().join(f)).collect();
        Ok(Prometheus {
            api,
            url,
            version,
            process,
            server,
            rule_files,
            dir,
            replayed: AtomicBool::new(false),
        })
    }
}

/// Waits until Prometheus answers `/-/ready`, or fails with its log.
async fn wait_ready(api: &Api, process: &mut Process, dir: &Path) -> Result<(), HarnessError> {
    let started = Instant::now();
    loop {
        if api.ready().await {
            return Ok(());
        }
        if let Some(log) = process.exited_with_log(dir) {
            return Err(HarnessError::Exited(log));
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(HarnessError::NotReady {
                after: READY_TIMEOUT,
                log: process.log(dir),
            });
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

/// The `prometheus.yml` for these settings.
fn prometheus_yml(b: &PrometheusBuilder, rule_files: &[String], target: Option<&str>) -> String {
    let mut yml = format!(
        "global:\n  evaluation_interval: {}\n  scrape_interval: {}\n",
        b.evaluation_interval, b.scrape_interval
    );
    if !b.external_labels.is_empty() {
        yml.push_str("  external_labels:\n");
        for (k, v) in &b.external_labels {
            yml.push_str(&format!("    {k}: {}\n", quote(v)));
        }
    }
    yml.push_str("rule_files:\n");
    for f in rule_files {
        yml.push_str(&format!("  - {f}\n"));
    }
    // Replays write history, then rule results, older than what is there: as far back as
    // the longest replay (`crate::replay::MAX_REPLAY`), and for promtool's tests as far
    // back as the Unix epoch, where promtool's clock starts, while Prometheus's own rule
    // manager may already have written its results at now. 100 years.
    yml.push_str("storage:\n  tsdb:\n    out_of_order_time_window: 36500d\n");
    if let Some(target) = target {
        yml.push_str(&format!(
            "scrape_configs:\n  - job_name: promgen\n    static_configs:\n      - targets: [{}]\n",
            quote(target)
        ));
    }
    yml
}

/// A YAML double-quoted string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A running Prometheus, stopped and cleaned up when dropped.
pub struct Prometheus {
    pub(crate) api: Api,
    url: String,
    version: Version,
    process: Process,
    server: Option<RunningServer>,
    rule_files: Vec<PathBuf>,
    dir: TempDir,
    /// Whether it holds a replay already.
    pub(crate) replayed: AtomicBool,
}

impl std::fmt::Debug for Prometheus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prometheus")
            .field("url", &self.url)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Prometheus {
    /// Settings for a new one.
    #[must_use]
    pub fn builder() -> PrometheusBuilder {
        PrometheusBuilder::default()
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its remote write endpoint.
    #[must_use]
    pub fn remote_write_url(&self) -> String {
        format!("{}/api/v1/write", self.url)
    }

    /// Its version, as `/api/v1/status/buildinfo` (or `--version`) gives it.
    #[must_use]
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// The server that Prometheus scrapes, in live mode: its registry can be changed while
    /// the test runs.
    #[must_use]
    pub fn scraped(&self) -> Option<&RunningServer> {
        self.server.as_ref()
    }

    /// The rule files it loaded: copies of those given, in order, in [`Prometheus::dir`].
    #[must_use]
    pub fn rule_files(&self) -> &[PathBuf] {
        &self.rule_files
    }

    /// Its data directory and config.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What it has logged so far.
    #[must_use]
    pub fn log(&self) -> String {
        self.process.log(self.dir.path())
    }

    /// An instant query at `time_ms` (now when `None`): the JSON `data.result`.
    ///
    /// # Errors
    /// The request fails or Prometheus refuses the query.
    pub async fn query(
        &self,
        query: &str,
        time_ms: Option<i64>,
    ) -> Result<Vec<serde_json::Value>, HarnessError> {
        self.api.query(query, time_ms).await
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.process.stop();
    }
}

/// A fresh directory for one Prometheus, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, HarnessError> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("promgen-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| HarnessError::Io(format!("creating {}: {e}", dir.display())))?;
        Ok(Self(dir))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
