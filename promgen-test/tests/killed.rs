//! A test process that dies without running a destructor (SIGKILL, as a CI timeout sends)
//! leaves nothing running: no `prometheus` process, no container, no data directory.
//!
//! Each test runs this file's `killed_child` in a child process (this test binary again),
//! waits until its Prometheus is ready, SIGKILLs the child and watches what is left. The
//! Docker variant runs with `PROMGEN_DOCKER_TESTS=1` (see `tests/docker.rs`).

use promgen_test::{BackendKind, Prometheus};
use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// Set in the child's environment: the backend it starts.
const CHILD: &str = "PROMGEN_TEST_KILLED_CHILD";

/// Not a test of its own: the child the tests below kill. It starts a Prometheus, says
/// where it is, and waits.
#[test]
#[ignore = "the child process of this file's tests"]
fn killed_child() {
    let backend = match std::env::var(CHILD).as_deref() {
        Ok("binary") => BackendKind::Binary,
        Ok("docker") => BackendKind::Docker,
        _ => return,
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let prometheus = runtime
        .block_on(Prometheus::builder().backend(backend).start())
        .unwrap();
    println!("READY {} {}", prometheus.url(), prometheus.dir().display());
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(300));
}

/// What a killed child had running.
struct Killed {
    pid: u32,
    url: String,
    dir: PathBuf,
}

/// Runs [`killed_child`] with `backend`, and SIGKILLs it once its Prometheus is ready.
fn kill_a_running_test(backend: &str) -> Killed {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["killed_child", "--exact", "--ignored", "--nocapture"])
        .env(CHILD, backend)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let ready = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("READY ").map(str::to_owned));
    let Some(ready) = ready else {
        let _ = child.kill();
        panic!("the child test never started its Prometheus");
    };
    let (url, dir) = ready.split_once(' ').unwrap();
    assert!(listening(url), "{url} answers before the kill");
    child.kill().unwrap(); // SIGKILL: no destructor, no panic hook, nothing runs.
    child.wait().unwrap();
    Killed {
        pid: child.id(),
        url: url.to_owned(),
        dir: PathBuf::from(dir),
    }
}

fn listening(url: &str) -> bool {
    let port = url.rsplit(':').next().unwrap();
    std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_ok()
}

/// The processes whose command line mentions `dir`.
fn processes_using(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let cmdline = std::fs::read(e.ok()?.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains(&needle).then_some(cmdline)
        })
        .collect()
}

/// Waits up to 20 s for `gone` to hold, else fails with `what`.
fn eventually(what: impl Fn() -> String, gone: impl Fn() -> bool) {
    let started = Instant::now();
    while !gone() {
        assert!(started.elapsed() < Duration::from_secs(20), "{}", what());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_killed_test_leaves_no_prometheus_process_and_no_directory() {
    let killed = kill_a_running_test("binary");
    eventually(
        || format!("{} still answers after its test was killed", killed.url),
        || !listening(&killed.url),
    );
    eventually(
        || format!("still running: {:?}", processes_using(&killed.dir)),
        || processes_using(&killed.dir).is_empty(),
    );
    eventually(
        || format!("{} is still there", killed.dir.display()),
        || !killed.dir.exists(),
    );
}

#[test]
fn a_killed_test_leaves_no_container() {
    if std::env::var("PROMGEN_DOCKER_TESTS").as_deref() != Ok("1") {
        let _ = writeln!(
            std::io::stderr(),
            "killed::a_killed_test_leaves_no_container: skipped: set PROMGEN_DOCKER_TESTS=1 (see tests/docker.rs)"
        );
        return;
    }
    let killed = kill_a_running_test("docker");
    let containers = || {
        let out = Command::new("docker")
            .args(["ps", "-a", "--format", "{{.Names}}"])
            .args(["--filter", &format!("name=^/promgen-test-{}-", killed.pid)])
            .output()
            .expect("docker ps");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    eventually(
        || {
            format!(
                "containers left after the test was killed: {}",
                containers()
            )
        },
        || containers().is_empty(),
    );
    assert!(!listening(&killed.url), "{} still answers", killed.url);
    eventually(
        || format!("{} is still there", killed.dir.display()),
        || !killed.dir.exists(),
    );
}
