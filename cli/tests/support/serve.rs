//! `promgen-cli serve` as a child process of a test.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

/// A child process, killed (and reaped) when dropped: also when a test panics.
pub struct Guard {
    pub child: Child,
    name: &'static str,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `promgen-cli serve --listen 127.0.0.1:0 <args>` and returns it with its URL, read
/// from the first line it prints (port 0 lets the OS pick a free port: no race).
pub fn serve(args: &[&str]) -> (Guard, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start promgen-cli serve");
    let stdout = child.stdout.take().unwrap();
    let guard = Guard {
        child,
        name: "promgen-cli serve",
    };
    let mut stdout = BufReader::new(stdout);
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // Keep reading, so that the server never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("{}: no URL in its first line {first:?}", guard.name))
        .to_owned();
    (guard, url)
}
