//! `promgen-cli write` running in the background, its stderr collected as it comes, to be
//! signalled with `kill` and timed to its exit.

use super::{LONG_SERIES, TempConfig};
use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// How long the tests allow from the stop signal to the exit (the writer's own bound is
/// `RemoteWriter::STOP_GRACE`, 1 s).
pub const STOP_WITHIN: Duration = Duration::from_secs(2);

/// The start of the line the CLI prints on the first Ctrl-C or SIGTERM.
pub const STOPPING: &str = "stopping: ";

/// `promgen-cli write` running.
pub struct Running {
    child: Child,
    stderr: Arc<Mutex<String>>,
    _config: TempConfig,
}

impl Running {
    /// `promgen-cli write --config CONFIG ARGS…`.
    pub fn start(config: TempConfig, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
            .args(["write", "--config"])
            .arg(config.path())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run promgen-cli write");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            // Bytes, not lines of UTF-8: what reaches the terminal is what is checked.
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&line));
                line.clear();
            }
        });
        Self {
            child,
            stderr,
            _config: config,
        }
    }

    /// A backfill of the last hour of [`LONG_SERIES`] into `url`, by 2 shards in batches
    /// of 10 samples, with `extra` flags; `name` names the config file.
    pub fn backfill(url: &str, name: &str, extra: &[&str]) -> Self {
        let config = TempConfig::new(name, LONG_SERIES);
        let mut args = vec!["--url", url, "--from", "-1h", "--to", "now"];
        args.extend(["--concurrency", "2", "--batch-size", "10"]);
        args.extend(extra);
        Self::start(config, &args)
    }

    /// Its stderr so far (invalid UTF-8 shown as U+FFFD).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr holds `text`.
    pub fn wait_for(&mut self, text: &str) {
        let started = Instant::now();
        while !self.stderr().contains(text) {
            assert!(
                self.child.try_wait().unwrap().is_none(),
                "exited before printing {text:?}: {}",
                self.stderr()
            );
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no {text:?} on stderr: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends it `SIG<name>` (`INT`, `TERM`).
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{name}");
    }

    /// Its exit status and how long it took from now, or a failure (after killing it) when
    /// it is still running after `within`.
    pub fn exit_within(&mut self, within: Duration, what: &str) -> (ExitStatus, Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread take the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return (status, started.elapsed());
            }
            if started.elapsed() > within {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{what}: still running {within:?} later; stderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first signal: a clean stop within [`STOP_WITHIN`], the stopping message, the
/// `stopped:` summary, the undelivered samples named, exit status 1. Returns stderr.
pub fn assert_stops(mut cli: Running, signal: &str, what: &str) -> String {
    cli.signal(signal);
    let (status, took) = cli.exit_within(Duration::from_secs(5), what);
    let stderr = cli.stderr();
    assert!(
        took < STOP_WITHIN,
        "{what}: exited {took:?} after SIG{signal}: {stderr}"
    );
    assert_eq!(
        status.code(),
        Some(1),
        "{what}: exit status after SIG{signal} ({status}): {stderr}"
    );
    assert!(
        stderr.contains(STOPPING),
        "{what}: no stopping message: {stderr}"
    );
    assert!(
        stderr.contains("\nstopped: "),
        "{what}: no stopped: summary: {stderr}"
    );
    assert!(
        stderr.contains("error: stopped with ") && stderr.contains(" undelivered"),
        "{what}: the undelivered data is reported: {stderr}"
    );
    stderr
}
