//! Where Prometheus runs: a local binary, or a Docker container.
//!
//! `PROMGEN_PROMETHEUS=auto|binary|docker` picks (default `auto`: the binary when there is
//! one, else Docker). The binary is `PROMGEN_PROMETHEUS_BIN`, else `prometheus` on `PATH`;
//! the image is `PROMGEN_PROMETHEUS_IMAGE`, else [`DEFAULT_IMAGE`].

use crate::{
    HarnessError,
    lifetime::{self, OWNER_LABEL},
};
use std::{
    fmt,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Mutex, OnceLock, PoisonError,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

/// The image the Docker backend runs unless `PROMGEN_PROMETHEUS_IMAGE` says otherwise.
pub const DEFAULT_IMAGE: &str = "prom/prometheus:v2.53.2";

/// Keeps everything back to the Unix epoch, where promtool's tests start (retention counts
/// back from the newest block, which the rule manager's own results at now may make): the
/// default 15 days would drop the start of a long replay while it is evaluated.
const HISTORY_RETENTION: &str = "--storage.tsdb.retention.time=36500d";

/// Which backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// The binary when there is one, else Docker.
    Auto,
    /// A local `prometheus` binary.
    Binary,
    /// A container from a Prometheus image.
    Docker,
}

impl BackendKind {
    /// What `PROMGEN_PROMETHEUS` says (`auto` when unset).
    ///
    /// # Errors
    /// A value other than `auto`, `binary` or `docker`.
    pub fn from_env() -> Result<Self, HarnessError> {
        match std::env::var("PROMGEN_PROMETHEUS").as_deref() {
            Err(_) | Ok("" | "auto") => Ok(Self::Auto),
            Ok("binary") => Ok(Self::Binary),
            Ok("docker") => Ok(Self::Docker),
            Ok(other) => Err(HarnessError::Backend(format!(
                "PROMGEN_PROMETHEUS={other:?}: expected auto, binary or docker"
            ))),
        }
    }
}

/// A Prometheus version, `major.minor.patch` and what follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
    /// As printed (`2.42.0+ds`).
    pub text: String,
}

impl Version {
    /// Reads `prometheus, version 2.42.0+ds (branch: …)` or `2.42.0+ds`.
    ///
    /// ```
    /// let v = promgen_test::Version::parse("prometheus, version 2.42.0+ds (branch: debian/sid)").unwrap();
    /// assert_eq!((v.major, v.minor, v.patch), (2, 42, 0));
    /// assert!(v.at_least(2, 39) && !v.at_least(3, 0));
    /// ```
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let word = text
            .split_whitespace()
            .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
        let mut parts = word
            .split(|c: char| !c.is_ascii_digit())
            .map(str::parse::<u32>);
        Some(Self {
            major: parts.next()?.ok()?,
            minor: parts.next()?.ok()?,
            patch: parts.next().and_then(Result::ok).unwrap_or(0),
            text: word.to_owned(),
        })
    }

    /// Whether it is `major.minor` or newer.
    #[must_use]
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prometheus {}", self.text)
    }
}

/// A backend that is there to use.
pub(crate) enum Backend {
    Binary(PathBuf),
    Docker(String),
}

impl Backend {
    /// The backend for `kind`, checked to be there.
    pub(crate) fn resolve(kind: BackendKind) -> Result<Self, HarnessError> {
        const HOW: &str = "install Prometheus (Debian/Ubuntu: `apt-get install prometheus`; or \
            a release from https://prometheus.io/download/) and put `prometheus` on PATH or set \
            PROMGEN_PROMETHEUS_BIN, or run a Docker engine (image: PROMGEN_PROMETHEUS_IMAGE, \
            default prom/prometheus); promgen-cli test takes them as --prometheus-bin and \
            --prometheus-image";
        // A binary named explicitly is the one wanted: when it does not work, say so rather
        // than falling back to another Prometheus.
        if kind != BackendKind::Docker
            && let Some(path) = std::env::var_os("PROMGEN_PROMETHEUS_BIN")
            && let Err(e) = binary_version(Path::new(&path))
        {
            return Err(HarnessError::Backend(format!(
                "the Prometheus binary {} (PROMGEN_PROMETHEUS_BIN; promgen-cli test's --prometheus-bin) does not work: {e}: {HOW}",
                Path::new(&path).display()
            )));
        }
        let binary = || {
            let path = std::env::var_os("PROMGEN_PROMETHEUS_BIN")
                .map_or_else(|| PathBuf::from("prometheus"), PathBuf::from);
            binary_version(&path).is_ok().then_some(path)
        };
        let docker = || {
            // Asked until it answers once: a test run of many Prometheus instances asks once.
            static ANSWERED: std::sync::atomic::AtomicBool =
                std::sync::atomic::AtomicBool::new(false);
            let answers = ANSWERED.load(std::sync::atomic::Ordering::Relaxed)
                || Command::new("docker")
                    .args(["info", "--format", "{{.ServerVersion}}"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
            ANSWERED.store(answers, std::sync::atomic::Ordering::Relaxed);
            answers.then(|| {
                std::env::var("PROMGEN_PROMETHEUS_IMAGE").unwrap_or_else(|_| DEFAULT_IMAGE.into())
            })
        };
        match kind {
            BackendKind::Binary => binary().map(Self::Binary).ok_or_else(|| {
                HarnessError::Backend(format!("no working `prometheus` binary: {HOW}"))
            }),
            BackendKind::Docker => docker().map(Self::Docker).ok_or_else(|| {
                HarnessError::Backend(format!("no Docker engine answers `docker info`: {HOW}"))
            }),
            BackendKind::Auto => binary()
                .map(Self::Binary)
                .or_else(|| docker().map(Self::Docker))
                .ok_or_else(|| {
                    HarnessError::Backend(format!(
                        "no Prometheus to test against (no binary, no Docker engine): {HOW}"
                    ))
                }),
        }
    }

    /// The version it runs. For an image, asked once per process (`docker run --rm IMAGE
    /// --version` costs a container start): later fixtures reuse the answer.
    pub(crate) fn version(&self) -> Result<Version, HarnessError> {
        match self {
            Self::Binary(path) => binary_version(path),
            Self::Docker(image) => {
                static VERSIONS: Mutex<Vec<(String, Version)>> = Mutex::new(Vec::new());
                // Held while asking, so that tests starting together ask once.
                let mut versions = VERSIONS.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some((_, v)) = versions.iter().find(|(i, _)| i == image) {
                    return Ok(v.clone());
                }
                let out = Command::new("docker")
                    .args([
                        "run",
                        "--rm",
                        "--name",
                        &container_name(),
                        image,
                        "--version",
                    ])
                    .stdin(Stdio::null())
                    .output()
                    .map_err(|e| HarnessError::Backend(format!("docker run: {e}")))?;
                if !out.status.success() {
                    return Err(HarnessError::Backend(format!(
                        "docker run {image} --version failed: {}\n(pull the image, or set \
                         PROMGEN_PROMETHEUS_IMAGE, promgen-cli test's --prometheus-image, to a \
                         Prometheus image the engine has)",
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                let version = parse_version(&out.stdout, &out.stderr)?;
                versions.push((image.clone(), version.clone()));
                Ok(version)
            }
        }
    }

    /// Where the harness's own server listens for Prometheus to scrape it.
    pub(crate) fn scrape_listen_address(&self) -> &'static str {
        match self {
            Self::Binary(_) => "127.0.0.1:0",
            // A container reaches the host through its gateway, not through loopback.
            Self::Docker(_) => "0.0.0.0:0",
        }
    }

    /// The scrape target for the harness's server on `port`, as Prometheus sees it.
    pub(crate) fn scrape_target(&self, port: u16) -> String {
        match self {
            Self::Binary(_) => format!("127.0.0.1:{port}"),
            Self::Docker(_) => format!("host.docker.internal:{port}"),
        }
    }

    /// Starts Prometheus on `dir/prometheus.yml`, with its data in `dir/data`, on a free
    /// loopback port.
    pub(crate) fn start(&self, dir: &Path) -> Result<Process, HarnessError> {
        let flags = [
            "--web.enable-remote-write-receiver",
            "--web.enable-lifecycle",
            // A replay writes up to `MAX_REPLAY` of history: none of it may age out.
            HISTORY_RETENTION,
        ];
        match self {
            Self::Binary(path) => {
                let port = free_port()?;
                let log = std::fs::File::create(dir.join("prometheus.log"))
                    .map_err(|e| HarnessError::Io(format!("creating the log: {e}")))?;
                let mut command = Command::new(path);
                command
                    .arg(format!(
                        "--config.file={}",
                        dir.join("prometheus.yml").display()
                    ))
                    .arg(format!(
                        "--storage.tsdb.path={}",
                        dir.join("data").display()
                    ))
                    .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                    .args(flags)
                    .current_dir(dir)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(log);
                // Killed with this process, even when nothing runs its destructor.
                let child = lifetime::spawn_tied(command).map_err(|e| {
                    HarnessError::Backend(format!("starting {}: {e}", path.display()))
                })?;
                Ok(Process::new(Running::Child { child, port }))
            }
            Self::Docker(image) => {
                // The engine binds the host port: one taken since it was picked free is
                // refused by `docker run`; pick another.
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let port = free_port()?;
                    let name = container_name();
                    let out = Command::new("docker")
                        .args(["run", "-d", "--name", &name])
                        // Whom the reaper removes it for, if this process dies first.
                        .args(["--label", &format!("{OWNER_LABEL}={}", lifetime::owner())])
                        // Files it writes in the mounted directory belong to the test's user,
                        // who removes them.
                        .args(["--user", docker_user()])
                        .args(["-p", &format!("127.0.0.1:{port}:9090")])
                        // The harness's own server, for live scraping, is on the host.
                        .args(["--add-host", "host.docker.internal:host-gateway"])
                        .args(["-v", &format!("{}:/promgen", dir.display())])
                        .args(["-w", "/promgen"])
                        .arg(image)
                        .args([
                            "--config.file=/promgen/prometheus.yml",
                            "--storage.tsdb.path=/promgen/data",
                            "--web.listen-address=0.0.0.0:9090",
                        ])
                        .args(flags)
                        .stdin(Stdio::null())
                        .output()
                        .map_err(|e| HarnessError::Backend(format!("docker run: {e}")))?;
                    if out.status.success() {
                        return Ok(Process::new(Running::Container {
                            name,
                            port,
                            checked: None,
                        }));
                    }
                    // A `docker run` that fails to start the container has created it.
                    remove_container(&name);
                    let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
                    let port_taken = err.contains("address already in use")
                        || err.contains("port is already allocated");
                    if !(port_taken && attempt < 3) {
                        return Err(HarnessError::Backend(format!("docker run {image}: {err}")));
                    }
                }
            }
        }
    }
}

/// `prometheus, version 2.42.0+ds …` from `--version`, on stdout or stderr.
fn parse_version(stdout: &[u8], stderr: &[u8]) -> Result<Version, HarnessError> {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(stdout),
        String::from_utf8_lossy(stderr)
    );
    Version::parse(&text)
        .ok_or_else(|| HarnessError::Backend(format!("unreadable version: {text:?}")))
}

/// A new container name, `promgen-test-PID-N`: the prefix finds this process's containers.
fn container_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "promgen-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// `UID:GID` of this process, for `docker run --user`.
fn docker_user() -> &'static str {
    static USER: OnceLock<String> = OnceLock::new();
    USER.get_or_init(|| {
        let id = |flag: &str| {
            Command::new("id")
                .arg(flag)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        };
        match (id("-u"), id("-g")) {
            (Some(u), Some(g)) => format!("{u}:{g}"),
            _ => "0:0".into(),
        }
    })
}

/// `docker rm -f NAME`, waiting until it is gone.
fn remove_container(name: &str) {
    let _ = Command::new("docker")
        .args(["rm", "-f", name])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A started Prometheus: stopped (the process killed, the container removed) when dropped,
/// also when a start fails half-way or a test panics.
pub(crate) struct Process(Running);

/// What runs.
enum Running {
    Child {
        child: Child,
        port: u16,
    },
    Container {
        name: String,
        port: u16,
        /// When `docker inspect` last said it runs.
        checked: Option<Instant>,
    },
    Stopped,
}

impl Process {
    fn new(running: Running) -> Self {
        Self(running)
    }

    pub(crate) fn url(&self) -> String {
        match &self.0 {
            Running::Child { port, .. } | Running::Container { port, .. } => {
                format!("http://127.0.0.1:{port}")
            }
            Running::Stopped => String::new(),
        }
    }

    /// Its log so far.
    pub(crate) fn log(&self, dir: &Path) -> String {
        match &self.0 {
            // Prometheus logs on stderr; `docker logs` gives each stream on its own.
            Running::Container { name, .. } => Command::new("docker")
                .args(["logs", name])
                .stdin(Stdio::null())
                .output()
                .map(|o| {
                    format!(
                        "{}{}",
                        String::from_utf8_lossy(&o.stdout),
                        String::from_utf8_lossy(&o.stderr)
                    )
                })
                .unwrap_or_else(|e| format!("(docker logs {name}: {e})")),
            _ => std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default(),
        }
    }

    /// Its log, when it has exited. A container is inspected at most every 200 ms (each
    /// look is a `docker` command).
    pub(crate) fn exited_with_log(&mut self, dir: &Path) -> Option<String> {
        let exited = match &mut self.0 {
            Running::Child { child, .. } => child.try_wait().ok().flatten().is_some(),
            Running::Container { name, checked, .. } => {
                if checked.is_some_and(|t| t.elapsed() < Duration::from_millis(200)) {
                    return None;
                }
                *checked = Some(Instant::now());
                Command::new("docker")
                    .args(["inspect", "-f", "{{.State.Running}}", name])
                    .stdin(Stdio::null())
                    .output()
                    .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() != "true")
            }
            Running::Stopped => true,
        };
        exited.then(|| self.log(dir))
    }

    /// Stops it (kill, or remove the container) and waits.
    pub(crate) fn stop(&mut self) {
        match std::mem::replace(&mut self.0, Running::Stopped) {
            Running::Child { mut child, .. } => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Running::Container { name, .. } => remove_container(&name),
            Running::Stopped => {}
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What `path --version` says, asked once per binary and process: starting a Go binary of
/// that size costs tens of milliseconds, and a promtool run starts one per test.
fn binary_version(path: &Path) -> Result<Version, HarnessError> {
    static VERSIONS: Mutex<Vec<(PathBuf, Version)>> = Mutex::new(Vec::new());
    let mut versions = VERSIONS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, v)) = versions.iter().find(|(p, _)| p == path) {
        return Ok(v.clone());
    }
    let out = Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            HarnessError::Backend(format!("asking {} its version: {e}", path.display()))
        })?;
    if !out.status.success() {
        return Err(HarnessError::Backend(format!(
            "{} --version failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let version = parse_version(&out.stdout, &out.stderr)?;
    versions.push((path.to_path_buf(), version.clone()));
    Ok(version)
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16, HarnessError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| HarnessError::Io(format!("finding a free port: {e}")))
}
